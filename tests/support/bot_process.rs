//! The bot as a child process, for the Matrix and the Slack test harnesses alike: started
//! on a config with its log in a file, stopped with SIGTERM, killed when dropped (printing
//! its log when a test failed).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

/// A file's text, or nothing when it cannot be read yet.
pub fn read_log(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    text
}

/// The test build of the bot: known to integration tests only (examples pass a binary).
pub fn test_build() -> &'static Path {
    match option_env!("CARGO_BIN_EXE_copydesk") {
        Some(binary) => Path::new(binary),
        None => panic!("the copydesk binary is only known to integration tests; use start_binary"),
    }
}

/// Which log lines the bot writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BotLog {
    /// `RUST_LOG` from `COPYDESK_TEST_BOT_LOG` (default `warn,copydesk=debug`): enough to
    /// see what a test did.
    Test,
    /// No `RUST_LOG`: the default level an operator runs at, for tests of the log itself.
    Default,
}

/// A running bot. Dropping it kills the process (and prints its log if the test failed).
pub struct BotProcess {
    child: Child,
    log_path: PathBuf,
}

impl BotProcess {
    /// Runs `binary run --config config`, appending its output to `log_path`, with
    /// `secrets` in its environment and the test's log level ([`BotLog::Test`]).
    pub fn spawn(
        binary: &Path,
        config: &Path,
        log_path: PathBuf,
        secrets: &[(&str, &str)],
    ) -> Self {
        Self::spawn_logging(binary, config, log_path, secrets, BotLog::Test)
    }

    /// [`spawn`](Self::spawn) with the log lines `log` says.
    pub fn spawn_logging(
        binary: &Path,
        config: &Path,
        log_path: PathBuf,
        secrets: &[(&str, &str)],
        log: BotLog,
    ) -> Self {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("opening the bot's log");
        let mut command = Command::new(binary);
        command
            .arg("run")
            .arg("--config")
            .arg(config)
            .envs(secrets.iter().copied());
        match log {
            BotLog::Test => command.env(
                "RUST_LOG",
                std::env::var("COPYDESK_TEST_BOT_LOG")
                    .unwrap_or_else(|_| "warn,copydesk=debug".to_owned()),
            ),
            BotLog::Default => command.env_remove("RUST_LOG"),
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("cloning the log handle"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        BotProcess { child, log_path }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until the process has aborted at its failpoint (`COPYDESK_FAILPOINT`).
    pub async fn wait_for_abort(&mut self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.is_running() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the bot did not reach its failpoint: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let log = self.log();
        assert!(log.contains("aborting here, as a crash would"), "{log}");
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits (up to `timeout`) for the process to end by itself, and returns how it ended.
    pub async fn exited(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the bot still runs after {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, then waits (up to 30 s) for the exit.
    pub async fn stop(&mut self) -> ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if tokio::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the bot did not stop within 30 s of SIGTERM");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL, as a crash or the OOM killer would, and waits for the exit.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log(&self) -> String {
        read_log(&self.log_path)
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- bot log ({}):\n{}", self.log_path.display(), self.log());
        }
    }
}
