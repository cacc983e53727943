//! The exit statuses of `copydesk`: what every command returns and `main` turns into the
//! process's exit code. A module of its own, depending on nothing in the crate, so that a
//! command module `cli` refers to (`train`) need not import `cli` back.

use std::process::ExitCode;

/// Exit statuses: what a script calling copydesk can rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Done; nothing needs attention.
    Success = 0,
    /// `check` found something to flag or weak sourcing; `context` found no such topic.
    Attention = 1,
    /// Bad input or a failure; the message on stderr says what and where.
    Error = 2,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        ExitCode::from(status as u8)
    }
}
