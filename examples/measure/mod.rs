//! Shared by the release-mode measurement tools (`latency`, `load`): a throwaway Synapse,
//! the release build of the bot, and percentiles.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A Synapse of our own, stopped on drop.
pub struct OwnSynapse {
    dir: tempfile::TempDir,
}

impl OwnSynapse {
    /// Starts Synapse in a temp dir whose name begins with `prefix` and points the test
    /// support at it. Call from `main` before any thread or runtime starts.
    pub fn start(prefix: &str) -> OwnSynapse {
        let script = repo_root().join("scripts/synapse");
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .expect("temp dir");
        let port = Command::new("bash")
            .arg(&script)
            .arg("free-port")
            .output()
            .expect("scripts/synapse free-port");
        let port = String::from_utf8_lossy(&port.stdout).trim().to_owned();
        let status = Command::new("bash")
            .arg(&script)
            .arg("start")
            .arg(dir.path())
            .arg(&port)
            .status()
            .expect("scripts/synapse start");
        assert!(status.success(), "Synapse did not start");
        // SAFETY: called from `main` before the async runtime or any thread starts.
        unsafe {
            std::env::set_var(
                "COPYDESK_TEST_HOMESERVER",
                format!("http://127.0.0.1:{port}"),
            );
            std::env::set_var("COPYDESK_TEST_SYNAPSE_DIR", dir.path());
        }
        OwnSynapse { dir }
    }
}

impl Drop for OwnSynapse {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo_root().join("scripts/synapse"))
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

pub fn release_binary() -> PathBuf {
    // This example runs from target/release/examples/; the bot is in target/release/.
    let exe = std::env::current_exe().expect("current exe");
    let binary = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("copydesk"))
        .expect("target dir");
    if !binary.exists() {
        eprintln!(
            "{} is missing: run `cargo build --release` first",
            binary.display()
        );
        std::process::exit(2);
    }
    binary
}

/// The `p` quantile (0..1) of `sorted` by the nearest-rank method; zero when empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}
