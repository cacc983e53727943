//! How the knowledge base scales: loading, lookup and allegation matching with up to 10,000
//! topics of about three allegations each.
//!
//! Targets: parse + validate 10,000 topics in at most 150 ms; a lookup, including the
//! "did you mean" search on a miss, in at most 50 µs at the 99th percentile; matching a
//! 200-byte message costing about the same at 10 and at 10,000 topics.
//!
//! The file comes from `copydesk_core::synthetic::knowledge_text`: about 2.2 KB per topic
//! (two sources, two facts, three allegations), so 10,000 topics are some 22 MB of TOML.
//! Topic names are made-up words; allegation terms mix common real words ("moscow",
//! "smuggl*") into a long tail of made-up ones, as a large real file would.
//!
//! Lookups are timed twice: `KnowledgeBase::lookup` alone, and the whole `!context` answer
//! through `Desk::command` (lookup, suggestions on a miss, and building the reply), which is
//! what a user waits for.
//!
//! Run with `cargo bench -p copydesk-core --bench knowledge`. Besides criterion's report,
//! the run prints lookup latency percentiles, which criterion does not give.

/// As in the copydesk binary, so these numbers are the bot's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::{Duration, Instant};

use copydesk_core::knowledge::Lookup;
use copydesk_core::synthetic::{PLACES, Rng, knowledge_text, topic_name as name};
use copydesk_core::{Checker, Desk, KnowledgeBase, Outcome};
use criterion::{BenchmarkId, Criterion, criterion_group};
use jiff::civil::Date;

fn load(topics: usize) -> KnowledgeBase {
    KnowledgeBase::parse("bench.toml", &knowledge_text(topics)).unwrap_or_else(|e| panic!("{e}"))
}

/// A chat message of about 200 bytes naming topic 7 and some common allegation words.
fn message() -> String {
    format!(
        "so apparently the {}'s people have been bribing harbour officials and smuggling \
         weapons through the port again, with moscow cash, says a guy on telegram. no source yet 🤷",
        name(7)
    )
}

/// Lookups that hit: every fifth topic's slug or alias, in chat spelling.
fn hit_queries(topics: usize) -> Vec<String> {
    (0..topics)
        .step_by(5)
        .map(|i| match i % 3 {
            0 => format!("{}-{}", name(i), PLACES[i % PLACES.len()]),
            1 => format!(
                " {} {} ",
                name(i).to_uppercase(),
                PLACES[(i / PLACES.len()) % PLACES.len()]
            ),
            _ => format!("{}ia", name(i)),
        })
        .collect()
}

/// Lookups that miss by a typo (two letters swapped, one dropped or one doubled) or are
/// nonsense, so the "did you mean" search runs in full.
fn miss_queries(topics: usize) -> Vec<String> {
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    (0..topics)
        .step_by(7)
        .map(|i| {
            let mut q: Vec<char> = format!("{}-{}", name(i), PLACES[i % PLACES.len()])
                .chars()
                .collect();
            let at = 1 + rng.below(q.len() - 2);
            match i % 4 {
                0 => q.swap(at, at + 1),
                1 => {
                    q.remove(at);
                }
                2 => q.insert(at, q[at]),
                _ => return format!("zzq{}xv", i),
            }
            q.into_iter().collect()
        })
        .collect()
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    group.sample_size(10);
    for topics in [10, 1_000, 10_000] {
        let text = knowledge_text(topics);
        group.bench_with_input(BenchmarkId::from_parameter(topics), &text, |b, text| {
            b.iter(|| KnowledgeBase::parse("bench.toml", black_box(text)).is_ok())
        });
    }
    // The floor: toml's own parse of the same text into its spanned tree, which the
    // loader walks. Everything above this is validation and indexing.
    let text = knowledge_text(10_000);
    group.bench_function("toml-only/10000", |b| {
        b.iter(|| toml::de::DeTable::parse(black_box(&text)).is_ok())
    });
    group.finish();
}

fn lookup(c: &mut Criterion) {
    let kb = load(10_000);
    let hits = hit_queries(10_000);
    let misses = miss_queries(10_000);
    let mut group = c.benchmark_group("lookup-10000");
    let mut i = 0;
    group.bench_function("hit", |b| {
        b.iter(|| {
            i = (i + 1) % hits.len();
            matches!(kb.lookup(black_box(&hits[i])), Lookup::Found(_))
        })
    });
    let mut i = 0;
    group.bench_function("miss-with-suggestions", |b| {
        b.iter(|| {
            i = (i + 1) % misses.len();
            matches!(kb.lookup(black_box(&misses[i])), Lookup::Suggestions(_))
        })
    });
    group.finish();
}

/// The day staleness is judged against; fixed so every run builds the same answers.
const TODAY: Date = Date::constant(2026, 6, 1);

fn desk(topics: usize) -> Desk {
    Desk::new(load(topics), Checker::default(), "!")
}

/// The whole `!context` answer a user waits for: lookup, suggestions on a miss, and the
/// reply built for the connector to render.
fn context_command(c: &mut Criterion) {
    let desk = desk(10_000);
    let hits: Vec<String> = hit_queries(10_000)
        .iter()
        .map(|q| format!("context {q}"))
        .collect();
    let misses: Vec<String> = miss_queries(10_000)
        .iter()
        .map(|q| format!("context {q}"))
        .collect();
    let mut group = c.benchmark_group("context-command-10000");
    for (label, lines) in [("hit", &hits), ("miss-with-suggestions", &misses)] {
        let mut i = 0;
        group.bench_function(label, |b| {
            b.iter(|| {
                i = (i + 1) % lines.len();
                matches!(
                    desk.command(black_box(&lines[i]), TODAY),
                    Outcome::Answer { .. }
                )
            })
        });
    }
    group.finish();
}

fn restated(c: &mut Criterion) {
    let text = message();
    let mut group = c.benchmark_group("restated-allegations-200b");
    for topics in [10, 1_000, 10_000] {
        let kb = load(topics);
        group.bench_with_input(BenchmarkId::from_parameter(topics), &text, |b, text| {
            b.iter(|| kb.restated_allegations(black_box(text)).len())
        });
    }
    group.finish();
}

/// Times every hit and miss query one by one, through `Desk::command` and through
/// `lookup` alone, and prints percentiles, which criterion does not report; also the
/// one-off cost of the first miss, which builds the "did you mean" index.
fn lookup_percentiles() {
    let kb = load(10_000);
    let start = Instant::now();
    let first = kb.lookup("never-a-topic-name");
    println!(
        "lookup-10000/first-miss (builds the suggestion index): {:?} ({})",
        start.elapsed(),
        matches!(first, Lookup::Unknown)
    );
    let desk = desk(10_000);
    for (label, queries) in [("hit", hit_queries(10_000)), ("miss", miss_queries(10_000))] {
        let mut commands: Vec<Duration> = Vec::with_capacity(queries.len() * 5);
        for _ in 0..5 {
            for q in &queries {
                let line = format!("context {q}");
                let start = Instant::now();
                let outcome = desk.command(black_box(&line), TODAY);
                commands.push(start.elapsed());
                black_box(outcome);
            }
        }
        commands.sort_unstable();
        let at = |p: f64| commands[((commands.len() - 1) as f64 * p) as usize];
        println!(
            "context-command-10000/{label}: {} answers, p50 {:?}, p99 {:?}, max {:?}",
            commands.len(),
            at(0.50),
            at(0.99),
            commands[commands.len() - 1],
        );
        let mut times: Vec<Duration> = Vec::with_capacity(queries.len() * 5);
        let mut suggested = 0;
        for _ in 0..5 {
            for q in &queries {
                let start = Instant::now();
                let result = kb.lookup(black_box(q));
                times.push(start.elapsed());
                suggested += usize::from(matches!(result, Lookup::Suggestions(_)));
            }
        }
        times.sort_unstable();
        let at = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
        println!(
            "lookup-10000/{label}: {} lookups, p50 {:?}, p99 {:?}, max {:?} ({} with suggestions)",
            times.len(),
            at(0.50),
            at(0.99),
            times[times.len() - 1],
            suggested,
        );
    }
}

criterion_group!(benches, parse, lookup, context_command, restated);

fn main() {
    benches();
    lookup_percentiles();
    Criterion::default().configure_from_args().final_summary();
}
