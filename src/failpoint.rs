//! Crash points for tests: with `COPYDESK_FAILPOINT=<step>` set, the process aborts when
//! it reaches that step, as a crash (SIGKILL, an OOM kill, a panic) there would stop
//! it. The crash tests restart the bot without it and check that nothing was lost or done
//! twice. The steps:
//!
//! - `queued`: an event was received (and, on Slack, acknowledged), not yet handled;
//! - `begun`: an event's action is recorded, not yet sent;
//! - `acted`: the platform accepted the action, the event is not yet recorded as done;
//! - `store-write`: half of a state file is written;
//! - `reload`: a new knowledge file is read and built, not yet serving.
//!
//! Unset (always, outside tests), a step costs one read of a cached value.

use std::sync::OnceLock;

/// The environment variable naming the step to abort at.
pub const ENV: &str = "COPYDESK_FAILPOINT";

fn armed(step: &str) -> bool {
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    let armed = ARMED.get_or_init(|| std::env::var(ENV).ok().filter(|s| !s.is_empty()));
    armed.as_deref() == Some(step)
}

/// How long the rest of the process runs on after the task at the armed step stops.
const GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// Aborts the process if `step` is the armed one: the task at the step stops there, and
/// the process aborts [`GRACE`] later. What other tasks do at once still goes out first,
/// as it would before a real crash: Socket Mode's acknowledgement of an event, written
/// by the socket task once its callback returns, is what the Slack crash tests rely on.
pub fn hit(step: &str) {
    if armed(step) {
        eprintln!("{ENV}={step}: aborting here, as a crash would");
        let multi_thread = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if multi_thread {
            // Hands this worker's other tasks to another thread while this one waits.
            tokio::task::block_in_place(|| std::thread::sleep(GRACE));
        }
        std::process::abort();
    }
}
