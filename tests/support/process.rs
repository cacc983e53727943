//! The built `copydesk` binary run once, as a user or an operator runs it from a shell:
//! arguments and standard input in, the exit status and both outputs back.
//!
//! Included by path by the tests that run the binary, without the homeserver harness:
//!
//! ```ignore
//! #[path = "support/process.rs"]
//! mod process;
//! ```
#![allow(dead_code)]

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

/// Runs `copydesk ARGS` with `stdin` as its standard input (`RUST_LOG` unset, so its
/// stderr is only what a user sees) and waits for it to finish.
pub fn copydesk(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_copydesk"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("copydesk starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().expect("copydesk finishes")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
