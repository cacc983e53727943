//! The baseline: ripgrep over the same corpus file for the lexicon's words.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::clock::children_cpu;
use crate::report::median;

pub struct Scan {
    pub wall: Duration,
    pub cpu: Option<Duration>,
    pub output: String,
}

/// Runs `rg FLAGS -f WORDS FILE` `repeat` times; the median wall and CPU time, or why it
/// could not run.
pub fn scan(flags: &[&str], words: &Path, file: &Path, repeat: u32) -> Result<Scan, String> {
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut output = String::new();
    for _ in 0..repeat {
        let before = children_cpu();
        let start = Instant::now();
        let result = Command::new("rg")
            .args(flags)
            .arg("-f")
            .arg(words)
            .arg(file)
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .output();
        let wall = start.elapsed();
        let out = match result {
            Ok(out) => out,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(
                    "ripgrep (rg) is not on PATH; install it (Debian: apt-get install ripgrep) \
                     to get the baseline"
                        .to_owned(),
                );
            }
            Err(e) => return Err(format!("cannot run rg: {e}")),
        };
        // rg exits 1 when nothing matched, which is still a complete scan.
        if !matches!(out.status.code(), Some(0 | 1)) {
            return Err(format!(
                "rg failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        walls.push(wall);
        if let (Some(before), Some(after)) = (before, children_cpu()) {
            cpus.push(after.saturating_sub(before));
        }
        output = String::from_utf8_lossy(&out.stdout).into_owned();
    }
    Ok(Scan {
        wall: median(&mut walls),
        cpu: (!cpus.is_empty()).then(|| median(&mut cpus)),
        output,
    })
}
