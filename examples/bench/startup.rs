//! Start-up: from spawning `copydesk console` to the first line of its answer, over a pipe.

use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use copydesk_core::synthetic;

use crate::report::{median, millis, verdict};
use crate::{BenchArgs, LARGE};

/// Process start to first answer with a 10,000-topic file, without a Matrix sync.
const TARGET_STARTUP: Duration = Duration::from_secs(1);

/// Times the console of the `copydesk` binary at `exe` with the embedded knowledge file
/// and with the one at `path`.
pub fn run(args: &BenchArgs, exe: &Path, path: &Path) -> anyhow::Result<()> {
    println!(
        "\n== 6. Start-up: `copydesk console` over a pipe, from spawning the process to the \
         first line of its answer to `!context` (median of {} runs)",
        args.repeat
    );
    let slug = synthetic::topic_slug(7);
    let mut results = Vec::new();
    for (label, knowledge) in [
        ("embedded example knowledge".to_owned(), None),
        (format!("{LARGE}-topic knowledge file"), Some(path)),
    ] {
        let mut runs = Vec::new();
        for _ in 0..args.repeat {
            runs.push(first_answer(exe, knowledge, &slug)?);
        }
        let t = median(&mut runs);
        println!("   {label:<34} {}", millis(t));
        results.push(t);
    }
    println!();
    verdict(
        &format!("start → first answer, {LARGE} topics (console; Matrix sync not included)"),
        millis(results[1]),
        format!("≤ {}", millis(TARGET_STARTUP)),
        results[1] <= TARGET_STARTUP,
    );
    Ok(())
}

/// Spawns `copydesk console [--knowledge FILE]`, sends `!context SLUG`, and returns the
/// time until the first line of the answer arrives.
fn first_answer(exe: &Path, knowledge: Option<&Path>, slug: &str) -> anyhow::Result<Duration> {
    let mut command = Command::new(exe);
    command.arg("console");
    if let Some(path) = knowledge {
        command.arg("--knowledge").arg(path);
    }
    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start copydesk console")?;
    let mut stdin = child.stdin.take().context("console stdin")?;
    writeln!(stdin, "!context {slug}").context("writing to the console")?;
    let mut stdout = BufReader::new(child.stdout.take().context("console stdout")?);
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .context("reading the console's answer")?;
    let elapsed = start.elapsed();
    drop(stdin);
    let _ = std::io::copy(&mut stdout, &mut std::io::sink());
    let status = child.wait().context("waiting for the console")?;
    anyhow::ensure!(
        status.success() && !line.trim().is_empty(),
        "the console did not answer (status {status}, first line {line:?})"
    );
    Ok(elapsed)
}
