//! Loading and validating a large knowledge file, and `!context` answers from it,
//! including the "did you mean" search.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use copydesk_core::knowledge::Lookup;
use copydesk_core::synthetic;
use jiff::civil::Date;

use crate::clock::process_cpu;
use crate::report::{Percentiles, median, micros, millis, verdict};
use crate::{BenchArgs, LARGE, desk_for};

/// Load and validate 10,000 topics.
const TARGET_LOAD: Duration = Duration::from_millis(150);
/// 99th percentile of a `!context` answer at 10,000 topics.
const TARGET_LOOKUP_P99: Duration = Duration::from_micros(50);

/// Times loading `path` and `!context` answers from it.
pub fn run(args: &BenchArgs, path: &Path, today: Date) -> anyhow::Result<()> {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    println!(
        "\n== 3. Knowledge file: {LARGE} topics, {} allegations, {:.1} MB of TOML",
        LARGE * 3,
        size as f64 / 1e6
    );
    // A large file is parsed on several threads, so this thread's CPU time says little:
    // the target is judged on wall-clock time, with the CPU time of every thread beside it.
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    for _ in 0..args.repeat.max(5) {
        let cpu = process_cpu();
        let start = Instant::now();
        let kb = copydesk::loading::knowledge(Some(path));
        walls.push(start.elapsed());
        if let (Some(before), Some(after)) = (cpu, process_cpu()) {
            cpus.push(after.saturating_sub(before));
        }
        drop(black_box(kb?));
    }
    let fastest = walls.iter().min().copied().unwrap_or_default();
    let load = median(&mut walls);
    let cpu = if cpus.is_empty() {
        "n/a".to_owned()
    } else {
        millis(median(&mut cpus))
    };
    println!(
        "   read + parse + validate + index: {} wall (median of {}; fastest {}), {cpu} CPU \
         over all threads",
        millis(load),
        walls.len(),
        millis(fastest),
    );

    let desk = desk_for(Some(path))?;
    let slugs: Vec<String> = (0..LARGE).step_by(5).map(synthetic::topic_slug).collect();
    let aliases: Vec<String> = (2..LARGE)
        .step_by(5)
        .map(|i| synthetic::topic_alias(i).to_uppercase())
        .collect();
    let misses = typo_queries(LARGE);
    // The first miss builds the "did you mean" index; time it on its own.
    let start = Instant::now();
    black_box(desk.command("context never-a-topic-name", today));
    let first_miss = start.elapsed();
    println!(
        "   first miss (builds the did-you-mean index once): {}",
        millis(first_miss)
    );
    println!(
        "\n   `!context` through Desk::command, {} rounds over every query. Two views: every \n   \
         sample, and each query's fastest round (what the code costs, without the moments \n   \
         this thread was waiting for a CPU).",
        args.repeat
    );
    println!(
        "\n   {:<30} {:>7} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9}",
        "queries", "count", "p50", "p99", "max", "│ best p50", "best p99", "best max"
    );
    let mut all = Vec::new();
    let mut all_best = Vec::new();
    let mut suggested = 0;
    for (label, queries) in [
        ("hit by slug", &slugs),
        ("hit by alias, upper case", &aliases),
        ("miss by a typo: did you mean", &misses),
    ] {
        let lines: Vec<String> = queries.iter().map(|q| format!("context {q}")).collect();
        let mut times = Vec::with_capacity(lines.len() * args.repeat as usize);
        let mut best = vec![Duration::MAX; lines.len()];
        for _ in 0..args.repeat {
            for (line, best) in lines.iter().zip(&mut best) {
                let start = Instant::now();
                let outcome = desk.command(black_box(line), today);
                let elapsed = start.elapsed();
                black_box(outcome);
                times.push(elapsed);
                *best = (*best).min(elapsed);
            }
        }
        suggested += queries
            .iter()
            .filter(|q| matches!(desk.knowledge().lookup(q), Lookup::Suggestions(_)))
            .count();
        all.extend_from_slice(&times);
        all_best.extend_from_slice(&best);
        print_lookup_row(label, &Percentiles::new(times), &Percentiles::new(best));
    }
    let all = Percentiles::new(all);
    let all_best = Percentiles::new(all_best);
    print_lookup_row("all", &all, &all_best);
    println!(
        "   ({suggested} of {} misses got suggestions)",
        misses.len()
    );
    println!();
    verdict(
        &format!("load + validate {LARGE} topics"),
        millis(load),
        format!("≤ {}", millis(TARGET_LOAD)),
        load <= TARGET_LOAD,
    );
    verdict(
        &format!("`!context` p99 at {LARGE} topics (incl. did-you-mean), every sample"),
        micros(all.at(0.99)),
        format!("≤ {}", micros(TARGET_LOOKUP_P99)),
        all.at(0.99) <= TARGET_LOOKUP_P99,
    );
    verdict(
        &format!("`!context` p99 at {LARGE} topics (incl. did-you-mean), best round"),
        micros(all_best.at(0.99)),
        format!("≤ {}", micros(TARGET_LOOKUP_P99)),
        all_best.at(0.99) <= TARGET_LOOKUP_P99,
    );
    Ok(())
}

fn print_lookup_row(label: &str, every: &Percentiles, best: &Percentiles) {
    println!(
        "   {:<30} {:>7} {:>9} {:>9} {:>9} │ {:>8} {:>9} {:>9}",
        label,
        every.len(),
        micros(every.at(0.50)),
        micros(every.at(0.99)),
        micros(every.max()),
        micros(best.at(0.50)),
        micros(best.at(0.99)),
        micros(best.max()),
    );
}

/// Queries that miss by a typo (two letters swapped, one dropped or one doubled), so the
/// "did you mean" search runs in full.
fn typo_queries(topics: usize) -> Vec<String> {
    let mut rng = synthetic::Rng::new(0x9e37_79b9_7f4a_7c15);
    (0..topics)
        .step_by(7)
        .map(|i| {
            let mut q: Vec<char> = synthetic::topic_slug(i).chars().collect();
            let at = 1 + rng.below(q.len() - 2);
            match i % 3 {
                0 => q.swap(at, at + 1),
                1 => {
                    q.remove(at);
                }
                _ => q.insert(at, q[at]),
            }
            q.into_iter().collect()
        })
        .collect()
}
