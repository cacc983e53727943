//! Shared by the release-mode measurement tools (`bench`, `latency`, `load`): a throwaway
//! Synapse, the release build of the bot, percentiles, and timings read from the bot's log.
// Not every tool uses every helper.
#![allow(dead_code)]

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

/// Where a throwaway Synapse keeps its SQLite database.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SynapseStorage {
    /// In `/dev/shm` (memory) when the machine has it: SQLite's fsync on every commit
    /// then costs nothing. A throwaway homeserver needs no durability, and on a small
    /// machine the fsyncs were a fifth of Synapse's time under load (py-spy).
    Memory,
    /// In the usual temp dir, on disk, as `scripts/test` runs it.
    Disk,
}

/// The command-line choice every tool offers about its throwaway Synapse.
#[derive(clap::Args, Debug)]
pub struct SynapseArgs {
    /// Keep the throwaway Synapse's SQLite database on disk instead of in /dev/shm
    #[arg(long)]
    synapse_on_disk: bool,
}

impl SynapseArgs {
    pub fn storage(&self) -> SynapseStorage {
        if self.synapse_on_disk {
            SynapseStorage::Disk
        } else {
            SynapseStorage::Memory
        }
    }
}

/// A parser for a count that must be at least one.
pub fn at_least_one<T>() -> clap::builder::RangedU64ValueParser<T>
where
    T: TryFrom<u64> + Clone + Send + Sync + 'static,
    <T as TryFrom<u64>>::Error: std::error::Error + Send + Sync + 'static,
{
    clap::builder::RangedU64ValueParser::new().range(1..)
}

impl OwnSynapse {
    /// A throwaway Synapse (see [`start`](Self::start)), unless
    /// `COPYDESK_TEST_HOMESERVER` already names a homeserver to measure against.
    pub fn unless_given(prefix: &str, storage: SynapseStorage) -> Option<OwnSynapse> {
        std::env::var_os("COPYDESK_TEST_HOMESERVER")
            .is_none()
            .then(|| OwnSynapse::start(prefix, storage))
    }

    /// Starts Synapse in a temp dir whose name begins with `prefix` and points the test
    /// support at it. Call from `main` before any thread or runtime starts.
    pub fn start(prefix: &str, storage: SynapseStorage) -> OwnSynapse {
        let script = repo_root().join("scripts/synapse");
        let shm = Path::new("/dev/shm");
        let mut builder = tempfile::Builder::new();
        builder.prefix(prefix);
        let dir = match storage {
            SynapseStorage::Memory if shm.is_dir() => builder.tempdir_in(shm),
            _ => builder.tempdir(),
        }
        .expect("temp dir");
        println!("Synapse's dir: {}", dir.path().display());
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

/// The `field=` values, in milliseconds, of the bot's log lines that contain `message`
/// (e.g. `since_sent_ms` of "answered" lines).
pub fn logged_ms(log: &str, message: &str, field: &str) -> Vec<Duration> {
    let key = format!("{field}=");
    log.lines()
        .map(strip_ansi)
        .filter(|line| line.contains(message))
        .filter_map(|line| {
            let value = line.split(key.as_str()).nth(1)?;
            let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok().map(Duration::from_millis)
        })
        .collect()
}

/// A log line without its terminal colour codes.
pub fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ … final byte (a letter)
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// How many WARN and ERROR lines the bot logged, by their message (the span before it
/// cut off, the message cut at 160 characters), most frequent first.
pub fn warnings_by_message(log: &str) -> Vec<(usize, String)> {
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    for line in log.lines().map(strip_ansi) {
        let Some((level, rest)) = [" WARN ", " ERROR "]
            .iter()
            .find_map(|level| line.split_once(level).map(|(_, rest)| (level.trim(), rest)))
        else {
            continue;
        };
        // `span{fields}: message`: the message is after the last "}: ", if any.
        let message = rest.rsplit_once("}: ").map_or(rest, |(_, m)| m);
        let message: String = message.chars().take(160).collect();
        *counts.entry(format!("{level} {message}")).or_default() += 1;
    }
    let mut counts: Vec<(usize, String)> = counts.into_iter().map(|(m, n)| (n, m)).collect();
    counts.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    counts
}

/// The runtime the measuring clients run on: two workers, as on the test machine.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A line of `/proc/PID/status` (`VmHWM:`, `VmRSS:`, …) without its key, or `?`.
pub fn proc_status(pid: u32, key: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .map(|l| l[key.len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "?".to_owned())
}

/// The CPU time (user + system, all threads) process `pid` has used so far, from
/// `/proc/PID/stat` in clock ticks; zero when the process is gone.
pub fn cpu_time(pid: u32) -> Duration {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Duration::ZERO;
    };
    // Fields after the command name (which may hold spaces) start with the state, the
    // third field; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second())
}

fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}
