//! Crash points for tests: with `COPYDESK_FAILPOINT=<step>` set, the process aborts when
//! it reaches that step, as a crash (SIGKILL, an OOM kill, a power cut) there would stop
//! it. The crash tests restart the bot without it and check that nothing was lost or done
//! twice. The steps:
//!
//! - `begun`: an event's action is recorded, not yet sent;
//! - `acted`: the platform accepted the action, the event is not yet recorded as done;
//! - `store-write`: half of a state file is written;
//! - `reload`: a new knowledge file is read and built, not yet serving.
//!
//! Unset (always, outside tests), a step costs one read of a cached value.

use std::sync::OnceLock;

/// The environment variable naming the step to abort at.
pub const ENV: &str = "COPYDESK_FAILPOINT";

/// Aborts the process if `step` is the armed one.
pub fn hit(step: &str) {
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    let armed = ARMED.get_or_init(|| std::env::var(ENV).ok().filter(|s| !s.is_empty()));
    if armed.as_deref() == Some(step) {
        eprintln!("{ENV}={step}: aborting here, as a crash would");
        std::process::abort();
    }
}
