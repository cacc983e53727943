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

/// Aborts the process if `step` is the armed one.
pub fn hit(step: &str) {
    if armed(step) {
        eprintln!("{ENV}={step}: aborting here, as a crash would");
        std::process::abort();
    }
}

/// Like [`hit`], a moment later: for a step whose crash must come after something the
/// process does on another task right away (Socket Mode's acknowledgement of the event).
pub async fn hit_soon(step: &str) {
    if armed(step) {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        hit(step);
    }
}
