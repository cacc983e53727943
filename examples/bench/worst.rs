//! Worst cases: one huge message of each kind at three sizes, to show the cost stays
//! linear in the message length.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use copydesk_core::synthetic::{self, WorstCase};
use jiff::civil::Date;

use crate::report::{millis, verdict};
use crate::{BenchArgs, LARGE, desk_for};

/// Times each worst case at 0.25, 0.5 and 1 MB with the knowledge file at `path`.
pub fn run(args: &BenchArgs, path: &Path, today: Date) -> anyhow::Result<()> {
    println!(
        "\n== 4. Worst cases, one message each, with the {LARGE}-topic knowledge file \
         (fastest of {} runs)",
        args.repeat.max(3)
    );
    let desk = desk_for(Some(path))?;
    let chat = synthetic::chat_messages(20_000, LARGE, args.seed);
    println!(
        "\n   {:<34} {:>10} {:>10} {:>10} {:>9} {:>10}",
        "message", "0.25 MB", "0.5 MB", "1 MB", "MB/s", "1MB/0.25MB"
    );
    let mut worst_ratio: f64 = 0.0;
    for case in WorstCase::ALL {
        let mut times = Vec::new();
        let mut line = format!("   {:<34}", case.label());
        for bytes in [250_000, 500_000, 1_000_000] {
            let message = case.message(bytes, &chat);
            // The fastest of the runs: a few milliseconds are too short for the CPU-time
            // counter (it advances with the scheduler tick), and the fastest wall-clock
            // run is the one least disturbed by other work on the machine.
            let mut t = Duration::MAX;
            for _ in 0..args.repeat.max(3) {
                let start = Instant::now();
                black_box(desk.handle(black_box(&message), today));
                t = t.min(start.elapsed());
            }
            let _ = write!(line, " {:>10}", millis(t));
            times.push((message.len(), t));
        }
        let (bytes, t) = times[2];
        let ratio = t.as_secs_f64() / times[0].1.as_secs_f64();
        worst_ratio = worst_ratio.max(ratio);
        let _ = write!(
            line,
            " {:>9.1} {:>9.1}×",
            bytes as f64 / 1e6 / t.as_secs_f64(),
            ratio
        );
        println!("{line}");
    }
    println!();
    verdict(
        "cost linear in message size (1 MB vs 0.25 MB; 4× is linear)",
        format!("at most {worst_ratio:.1}×"),
        "≈ 4×, no quadratic 16×".to_owned(),
        worst_ratio < 8.0,
    );
    Ok(())
}
