//! How the knowledge base scales: loading, lookup and allegation matching with up to 10,000
//! topics of about three allegations each.
//!
//! Targets: parse + validate 10,000 topics in at most 150 ms; a lookup, including the
//! "did you mean" search on a miss, in at most 50 µs at the 99th percentile; matching a
//! 200-byte message costing about the same at 10 and at 10,000 topics.
//!
//! The generated file is about 2.2 KB per topic (two sources, two facts, three
//! allegations), so 10,000 topics are some 22 MB of TOML. Topic names are made-up words;
//! allegation terms mix common real words ("moscow", "smuggl*") into a long tail of
//! made-up ones, as a large real file would.
//!
//! Run with `cargo bench -p copydesk-core --bench knowledge`. Besides criterion's report,
//! the run prints lookup latency percentiles, which criterion does not give.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use copydesk_core::KnowledgeBase;
use copydesk_core::knowledge::Lookup;
use criterion::{BenchmarkId, Criterion, criterion_group};

/// Two-letter syllables; three of them spell a made-up name unique to each topic index.
const SYLLABLES: [&str; 32] = [
    "ka", "lo", "mi", "ve", "su", "ra", "to", "ne", "bi", "da", "fe", "go", "hu", "ji", "ko", "le",
    "ma", "no", "pi", "qu", "ri", "sa", "ti", "vo", "wa", "xe", "ya", "zu", "be", "ce", "di", "fo",
];
const PLACES: [&str; 16] = [
    "harbour",
    "border",
    "pipeline",
    "election",
    "summit",
    "airport",
    "refinery",
    "bridge",
    "ministry",
    "embassy",
    "railway",
    "dam",
    "port",
    "mine",
    "court",
    "parliament",
];
/// Real words that chat messages use; each allegation's groups draw mostly from a long
/// tail of made-up words (see `vocabulary`), as a large real file would, with these mixed
/// in.
const ACTORS: [&str; 12] = [
    "russia*",
    "moscow",
    "kremlin",
    "china",
    "beijing",
    "iran*",
    "tehran",
    "minister*",
    "army",
    "militia*",
    "cartel*",
    "agency",
];
const VERBS: [&str; 24] = [
    "brib*",
    "smuggl*",
    "sabotag*",
    "hack*",
    "rigg*",
    "fund*",
    "spy",
    "spies",
    "launder*",
    "threat*",
    "blackmail*",
    "poison*",
    "bomb*",
    "leak*",
    "forg*",
    "kidnap*",
    "arm*",
    "recruit*",
    "cover up",
    "covered up",
    "paid off",
    "pays off",
    "stole",
    "steal*",
];
const OBJECTS: [&str; 24] = [
    "officials",
    "weapons",
    "votes",
    "ballots",
    "data",
    "emails",
    "money",
    "cash",
    "fuel",
    "gold",
    "journalists",
    "judges",
    "police",
    "migrants",
    "documents",
    "servers",
    "contracts",
    "permits",
    "shipments",
    "drones",
    "missiles",
    "passports",
    "evidence",
    "witnesses",
];

/// `real` followed by made-up words (two syllables and `suffix`) up to `size` words.
fn vocabulary(real: &[&str], size: usize, suffix: &str) -> Vec<String> {
    let mut words: Vec<String> = real.iter().map(|w| w.to_string()).collect();
    let mut i = 0;
    while words.len() < size {
        words.push(format!(
            "{}{}{suffix}",
            SYLLABLES[i % 32],
            SYLLABLES[(i / 32) % 32]
        ));
        i += 1;
    }
    words
}

/// The made-up name for topic `i`: six letters, unique below 32,768.
fn name(i: usize) -> String {
    [i % 32, (i / 32) % 32, (i / 1024) % 32]
        .iter()
        .map(|&s| SYLLABLES[s])
        .collect()
}

/// xorshift: deterministic, so every run measures the same file.
fn next(state: &mut u64) -> usize {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state as usize
}

fn pick<'a>(state: &mut u64, from: &'a [String]) -> &'a str {
    &from[next(state) % from.len()]
}

/// A knowledge file of `topics` topics with two sources, two facts and three allegations
/// each.
fn knowledge_text(topics: usize) -> String {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let actors = vocabulary(&ACTORS, 200, "an");
    let verbs = vocabulary(&VERBS, 300, "ing");
    let objects = vocabulary(&OBJECTS, 400, "s");
    let mut out = String::with_capacity(topics * 2200);
    for i in 0..topics {
        let n = name(i);
        let place = PLACES[i % PLACES.len()];
        let other = PLACES[(i / PLACES.len()) % PLACES.len()];
        let _ = write!(
            out,
            r#"[[topic]]
slug = "{n}-{place}"
title = "The {n} {place} affair"
aliases = ["{n} {other}", "{n}ia"]
summary = "Background on the {n} {place} affair and what has been alleged about it."
updated = 2026-{month:02}-{day:02}
review_every = "6 months"
tags = ["{place}", "generated"]

  [[topic.source]]
  id = "wire-{n}"
  outlet = "Example Wire"
  title = "Report on the {n} {place} affair"
  url = "https://wire.example/{n}"
  date = 2026-01-{day:02}

  [[topic.source]]
  id = "gazette-{n}"
  outlet = "Example Gazette"
  title = "Officials respond over {n}"
  url = "https://gazette.example/{n}/response"
  date = 2026-02-{day:02}

  [[topic.fact]]
  text = "The {n} {place} opened in 2019."
  sources = ["wire-{n}"]

  [[topic.fact]]
  text = "Officials in {n} have denied any wrongdoing."
  sources = ["wire-{n}", "gazette-{n}"]
"#,
            month = 1 + i % 12,
            day = 1 + i % 28,
        );
        for a in 0..3 {
            let _ = write!(
                out,
                r#"
  [[topic.allegation]]
  id = "claim-{a}"
  claim = "Someone in {n} did something at the {place}."
  made_by = {{ name = "Person {i}", role = "an opposition politician" }}
  source = "{source}"
  status = "unproven"
  match_all = [["{n}*", "{actor1}", "{actor2}"], ["{verb1}", "{verb2}", "{verb3}"], ["{object1}", "{object2}", "{place}"]]
  attributed = "Person {i}, an opposition politician, alleged that someone in {n} did something."
"#,
                source = if a == 0 {
                    format!("wire-{n}")
                } else {
                    format!("gazette-{n}")
                },
                actor1 = pick(&mut state, &actors),
                actor2 = pick(&mut state, &actors),
                verb1 = pick(&mut state, &verbs),
                verb2 = pick(&mut state, &verbs),
                verb3 = pick(&mut state, &verbs),
                object1 = pick(&mut state, &objects),
                object2 = pick(&mut state, &objects),
            );
        }
        out.push('\n');
    }
    out
}

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
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    (0..topics)
        .step_by(7)
        .map(|i| {
            let mut q: Vec<char> = format!("{}-{}", name(i), PLACES[i % PLACES.len()])
                .chars()
                .collect();
            let at = 1 + next(&mut state) % (q.len() - 2);
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

/// Times every hit and miss query one by one and prints percentiles, which criterion
/// does not report; also the one-off cost of the first miss, which builds the
/// "did you mean" index.
fn lookup_percentiles() {
    let kb = load(10_000);
    let start = Instant::now();
    let first = kb.lookup("never-a-topic-name");
    println!(
        "lookup-10000/first-miss (builds the suggestion index): {:?} ({})",
        start.elapsed(),
        matches!(first, Lookup::Unknown)
    );
    for (label, queries) in [("hit", hit_queries(10_000)), ("miss", miss_queries(10_000))] {
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

criterion_group!(benches, parse, lookup, restated);

fn main() {
    benches();
    lookup_percentiles();
    Criterion::default().configure_from_args().final_summary();
}
