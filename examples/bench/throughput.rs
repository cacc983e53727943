//! Checker throughput on a generated chat corpus, with knowledge files of several sizes,
//! next to ripgrep scanning the same corpus file for the lexicon's words.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use copydesk_core::commands::warning_reply;
use copydesk_core::synthetic::{self, MessageKind};
use copydesk_core::{Desk, Outcome, Reply};
use jiff::civil::Date;

use crate::clock::thread_cpu;
use crate::report::{Percentiles, median, micros, verdict};
use crate::{BenchArgs, LARGE, desk_with, ripgrep};

/// Checker throughput on chat-length messages, MB per CPU second.
const TARGET_MB_S: f64 = 50.0;
/// At most this many times the ripgrep scan of the same text.
const TARGET_RG_RATIO: f64 = 6.0;
/// Throughput with a 10,000-topic knowledge file.
const TARGET_SCALE_MB_S: f64 = 20.0;

/// Checks the corpus with each knowledge file, then runs the ripgrep baseline.
pub fn run(args: &BenchArgs, dir: &Path, today: Date) -> anyhow::Result<()> {
    // One corpus for every knowledge-file size, generated against the largest, so each row
    // checks exactly the same text and only the knowledge file changes.
    let largest = args.topics.iter().copied().max().unwrap_or(0);
    let corpus = synthetic::chat_messages(args.messages, largest, args.seed);
    let bytes: usize = corpus.iter().map(|(_, m)| m.len()).sum();
    let corpus_path = dir.join("corpus.txt");
    let mut file_text = String::with_capacity(bytes + corpus.len());
    for (_, message) in &corpus {
        file_text.push_str(message);
        file_text.push('\n');
    }
    std::fs::write(&corpus_path, &file_text)
        .with_context(|| format!("cannot write {}", corpus_path.display()))?;
    drop(file_text);
    let mix = |kind| corpus.iter().filter(|(k, _)| *k == kind).count() * 100 / corpus.len();
    println!(
        "\n== 1-2. Checker throughput: {} messages, {:.1} MB, {}–{} bytes each \
         ({}% chatter, {}% attributed, {}% vague, {}% bare allegations)",
        corpus.len(),
        bytes as f64 / 1e6,
        corpus.iter().map(|(_, m)| m.len()).min().unwrap_or(0),
        corpus.iter().map(|(_, m)| m.len()).max().unwrap_or(0),
        mix(MessageKind::Chatter),
        mix(MessageKind::Attributed),
        mix(MessageKind::Vague),
        mix(MessageKind::Bare),
    );
    println!("   corpus file: {}", corpus_path.display());
    println!(
        "   one thread, Desk::handle per message (check + warning), median of {} runs",
        args.repeat
    );
    println!(
        "\n   {:<14} {:>9} {:>10} {:>10} {:>11} {:>8} {:>8} {:>8} {:>9} {:>7}",
        "knowledge",
        "allegs",
        "MB/s cpu",
        "MB/s wall",
        "msgs/s cpu",
        "p50",
        "p90",
        "p99",
        "max",
        "warned"
    );

    // The bot's checker (rules and the embedded model) with each knowledge file, and the
    // rules alone once, to show what the model costs.
    let mut configs: Vec<(String, Option<PathBuf>, bool)> = vec![
        ("example".to_owned(), None, false),
        ("example, rules".to_owned(), None, true),
    ];
    for &topics in &args.topics {
        let path = dir.join(format!("knowledge-{topics}.toml"));
        if !path.exists() {
            std::fs::write(&path, synthetic::knowledge_text(topics))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        configs.push((format!("{topics} topics"), Some(path), false));
    }
    let mut rows = Vec::new();
    let mut words = Vec::new();
    for (label, path, rules_only) in configs {
        let desk = desk_with(path.as_deref(), rules_only)?;
        if words.is_empty() {
            words = lexicon_words(&desk);
        }
        let row = check_corpus(&desk, &corpus, args.repeat, today);
        println!(
            "   {:<14} {:>9} {:>10.1} {:>10.1} {:>11.0} {:>8} {:>8} {:>8} {:>9} {:>6.1}%",
            label,
            desk.knowledge().allegations().count(),
            row.mb_per_cpu_s(bytes),
            row.mb_per_wall_s(bytes),
            corpus.len() as f64 / row.cpu_or_wall().as_secs_f64(),
            micros(row.latency.at(0.50)),
            micros(row.latency.at(0.90)),
            micros(row.latency.at(0.99)),
            micros(row.latency.max()),
            row.warned as f64 * 100.0 / corpus.len() as f64,
        );
        rows.push((label, row));
    }

    let words_path = dir.join("lexicon-words.txt");
    std::fs::write(&words_path, words.join("\n") + "\n")
        .with_context(|| format!("cannot write {}", words_path.display()))?;
    println!(
        "\n   Baseline: ripgrep over the same corpus file for the {} lexicon words \
         (every rule term, `*` dropped), median of {} runs:",
        words.len(),
        args.repeat
    );
    let word_scan = ripgrep::scan(
        &["-c", "-i", "-w", "-F"],
        &words_path,
        &corpus_path,
        args.repeat,
    );
    let substring_scan = ripgrep::scan(&["-c", "-i", "-F"], &words_path, &corpus_path, args.repeat);
    let first = &rows[0].1;
    let ours = first.cpu_or_wall();
    let mut ratio_to_word_scan = None;
    for (flags, scan, role) in [
        ("-c -i -w -F", &word_scan, "the issue's baseline"),
        (
            "-c -i -F",
            &substring_scan,
            "no -w: a plain substring scan, stricter",
        ),
    ] {
        match scan {
            Ok(scan) => {
                let theirs = scan.cpu.unwrap_or(scan.wall);
                let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
                if flags.contains("-w") {
                    ratio_to_word_scan = Some(ratio);
                }
                println!(
                    "   rg {flags:<12} wall {:>8.3} s, cpu {:>8} → copydesk ({}) takes {ratio:.2}× its time  [{role}; {} matching lines]",
                    scan.wall.as_secs_f64(),
                    scan.cpu
                        .map_or("n/a".to_owned(), |c| format!("{:.3} s", c.as_secs_f64())),
                    rows[0].0,
                    scan.output.trim(),
                );
            }
            Err(note) => println!("   rg {flags}: skipped — {note}"),
        }
    }
    println!(
        "   (to rerun: rg -c -i -w -F -f {} {})",
        words_path.display(),
        corpus_path.display()
    );

    println!();
    verdict(
        "checker throughput (example knowledge, rules + model as the bot runs)",
        format!("{:.1} MB/s per CPU second", first.mb_per_cpu_s(bytes)),
        format!("≥ {TARGET_MB_S} MB/s"),
        first.mb_per_cpu_s(bytes) >= TARGET_MB_S,
    );
    let rules = &rows[1].1;
    verdict(
        "checker throughput (example knowledge, rules only: --no-model)",
        format!("{:.1} MB/s per CPU second", rules.mb_per_cpu_s(bytes)),
        format!("≥ {TARGET_MB_S} MB/s"),
        rules.mb_per_cpu_s(bytes) >= TARGET_MB_S,
    );
    match ratio_to_word_scan {
        Some(ratio) => verdict(
            "time relative to rg -c -i -w -F",
            format!("{ratio:.2}×"),
            format!("≤ {TARGET_RG_RATIO}×"),
            ratio <= TARGET_RG_RATIO,
        ),
        None => println!("   [skipped] time relative to rg: ripgrep not available"),
    }
    if let Some((label, row)) = rows.iter().find(|(l, _)| l == &format!("{LARGE} topics")) {
        verdict(
            &format!("throughput with {label}"),
            format!("{:.1} MB/s per CPU second", row.mb_per_cpu_s(bytes)),
            format!("≥ {TARGET_SCALE_MB_S} MB/s"),
            row.mb_per_cpu_s(bytes) >= TARGET_SCALE_MB_S,
        );
    }
    let sized = &rows[2..];
    if sized.len() > 1 {
        let (smallest, largest) = (&sized[0], &sized[sized.len() - 1]);
        let cost = largest.1.cpu_or_wall().as_secs_f64() / smallest.1.cpu_or_wall().as_secs_f64();
        println!(
            "   [info] {} → {}: {:.0}× the allegations, {cost:.2}× the checking time",
            smallest.0,
            largest.0,
            largest_allegation_ratio(&args.topics),
        );
    }
    Ok(())
}

fn largest_allegation_ratio(topics: &[usize]) -> f64 {
    let min = topics.iter().copied().min().unwrap_or(1).max(1);
    let max = topics.iter().copied().max().unwrap_or(1);
    max as f64 / min as f64
}

/// Every lexicon term as a plain word for ripgrep: lowercase, wildcard `*` dropped.
fn lexicon_words(desk: &Desk) -> Vec<String> {
    let mut words: Vec<String> = desk
        .checker()
        .lexicon()
        .rules()
        .iter()
        .flat_map(|r| &r.terms)
        .map(|t| t.trim_end_matches('*').to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    words.sort();
    words.dedup();
    words
}

struct CorpusRun {
    wall: Duration,
    cpu: Option<Duration>,
    latency: Percentiles,
    warned: usize,
}

impl CorpusRun {
    fn cpu_or_wall(&self) -> Duration {
        self.cpu.unwrap_or(self.wall)
    }

    fn mb_per_cpu_s(&self, bytes: usize) -> f64 {
        bytes as f64 / 1e6 / self.cpu_or_wall().as_secs_f64()
    }

    fn mb_per_wall_s(&self, bytes: usize) -> f64 {
        bytes as f64 / 1e6 / self.wall.as_secs_f64()
    }
}

/// What a chat message costs the bot: the desk's answer or check, and the warning
/// rendered when one is due.
fn handle(desk: &Desk, message: &str, today: Date) -> Option<Reply> {
    match desk.handle(message, today) {
        Outcome::Answer { reply, .. } => Some(reply),
        Outcome::Checked { report } => warning_reply(&report, message),
        Outcome::Ignored => None,
    }
}

/// Handles every message `repeat` times untimed per message (for throughput), then once
/// more timing each message (for its latency percentiles).
fn check_corpus(
    desk: &Desk,
    corpus: &[(MessageKind, String)],
    repeat: u32,
    today: Date,
) -> CorpusRun {
    // Warm-up: the first pass pays for page faults and lazily built indexes.
    let warned = corpus
        .iter()
        .filter(|(_, m)| handle(desk, m, today).is_some())
        .count();
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    for _ in 0..repeat {
        let cpu = thread_cpu();
        let start = Instant::now();
        for (_, message) in corpus {
            black_box(handle(desk, black_box(message), today));
        }
        walls.push(start.elapsed());
        if let (Some(before), Some(after)) = (cpu, thread_cpu()) {
            cpus.push(after.saturating_sub(before));
        }
    }
    let mut latency = Vec::with_capacity(corpus.len());
    for (_, message) in corpus {
        let start = Instant::now();
        black_box(handle(desk, black_box(message), today));
        latency.push(start.elapsed());
    }
    CorpusRun {
        wall: median(&mut walls),
        cpu: (!cpus.is_empty()).then(|| median(&mut cpus)),
        latency: Percentiles::new(latency),
        warned,
    }
}
