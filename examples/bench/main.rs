//! How fast copydesk is, measured in a release build on generated data, next to a ripgrep
//! scan of the same text as the baseline (`BENCHMARKS.md` has the numbers).
//!
//! ```text
//! cargo build --release
//! cargo run --release --example bench -- [--only PART] [--messages N] [--topics 10,1000,10000]
//!     [--repeat N] [--seed N] [--keep DIR]
//! ```
//!
//! Four parts, each runnable alone with `--only`:
//! - `throughput`: checking a corpus of chat messages, with the embedded example knowledge
//!   file and with generated files of 10, 1,000 and 10,000 topics; the same corpus file is
//!   scanned by `rg -c -i -w -F -f <lexicon words>` for the baseline.
//! - `knowledge`: loading and validating a 10,000-topic file; `!context` answers through
//!   `Desk::command`, including the "did you mean" search.
//! - `worst`: a 1 MB message, 100,000 repeated cue words, deeply nested quotes and
//!   markdown, each at three sizes to show the cost stays linear.
//! - `startup`: from starting the release binary's console (`target/release/copydesk`,
//!   hence `cargo build --release` first) to its first answer, over a pipe.
//!
//! Throughput is reported per CPU second of the measuring thread (Linux's schedstat) and
//! per wall-clock second: on a machine shared with other work the CPU figure is the one
//! that says what one core can do. Timings are printed, never asserted: they belong to the
//! machine they were taken on.

#[path = "../measure/mod.rs"]
mod measure;

mod clock;
mod knowledge;
mod report;
mod ripgrep;
mod startup;
mod throughput;
mod worst;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, ValueEnum};
use copydesk::cli::{DataArgs, ModelArgs};
use copydesk::status::Status;
use copydesk_core::Desk;
use copydesk_core::synthetic;
use jiff::civil::Date;

/// The allocator of the `copydesk` binary, so that what is measured here (a large
/// knowledge file's threaded load above all) is what the bot does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The knowledge-file size used for load, lookup, worst-case and start-up measurements.
const LARGE: usize = 10_000;

/// Measure checker throughput, knowledge-file load and lookup, worst cases and start-up on
/// generated data, next to a ripgrep baseline (use a release build).
#[derive(Debug, Clone, Parser)]
#[command(name = "bench")]
struct BenchArgs {
    /// Generated chat messages in the throughput corpus (30–400 bytes each).
    #[arg(long, default_value_t = 100_000)]
    messages: usize,
    /// Generated knowledge-file sizes, in topics, to measure throughput with.
    #[arg(long, value_delimiter = ',', default_value = "10,1000,10000")]
    topics: Vec<usize>,
    /// Timed runs per measurement; medians are reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// Seed of the generated corpus.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Run only this part (repeatable). Default: all parts.
    #[arg(long, value_enum, value_name = "PART")]
    only: Vec<Part>,
    /// Keep the generated files (corpus, knowledge files, lexicon words) in DIR, to rerun
    /// the baseline by hand. Default: a temporary directory, removed afterwards.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Part {
    Throughput,
    Knowledge,
    Worst,
    Startup,
}

fn main() -> ExitCode {
    let args = BenchArgs::parse();
    copydesk::logging::init(0, tracing::Level::WARN, copydesk::logging::LogFormat::Text);
    match run(args) {
        Ok(()) => Status::Success.into(),
        Err(error) => {
            eprintln!("bench: {error:#}");
            Status::Error.into()
        }
    }
}

/// Runs the selected parts and prints their numbers and targets.
fn run(args: BenchArgs) -> anyhow::Result<()> {
    let wants = |part| args.only.is_empty() || args.only.contains(&part);
    // Looked up before anything runs, so a missing binary is reported at once rather than
    // after minutes of other measurements.
    let binary = wants(Part::Startup).then(measure::release_binary);
    let dir = WorkDir::new(args.keep.clone())?;
    let today = Date::constant(2026, 6, 1);
    println!(
        "copydesk bench ({} build, {} CPU threads available; timings are this machine's)",
        if cfg!(debug_assertions) {
            "DEBUG — numbers are meaningless, use --release"
        } else {
            "release"
        },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let large_kb = dir.path.join(format!("knowledge-{LARGE}.toml"));
    std::fs::write(&large_kb, synthetic::knowledge_text(LARGE))
        .with_context(|| format!("cannot write {}", large_kb.display()))?;
    if wants(Part::Throughput) {
        throughput::run(&args, &dir.path, today)?;
    }
    if wants(Part::Knowledge) {
        knowledge::run(&args, &large_kb, today)?;
    }
    if wants(Part::Worst) {
        worst::run(&args, &large_kb, today)?;
    }
    if let Some(binary) = binary {
        startup::run(&args, &binary, &large_kb)?;
    }
    if args.keep.is_some() {
        println!("\ngenerated files kept in {}", dir.path.display());
    }
    Ok(())
}

/// The desk the bot would build for this knowledge file (embedded example if `None`):
/// embedded lexicons and the embedded model.
fn desk_for(knowledge: Option<&Path>) -> anyhow::Result<Desk> {
    desk_with(knowledge, false)
}

/// As [`desk_for`], without the model when `rules_only`.
fn desk_with(knowledge: Option<&Path>, rules_only: bool) -> anyhow::Result<Desk> {
    let data = DataArgs {
        knowledge: knowledge.map(Path::to_path_buf),
        model: ModelArgs {
            no_model: rules_only,
            ..ModelArgs::default()
        },
        ..DataArgs::default()
    };
    copydesk::loading::desk(&data, "!")
}

/// Where generated files go: a fresh temporary directory removed on drop, or the
/// directory given with `--keep`, left in place.
struct WorkDir {
    path: PathBuf,
    remove: bool,
}

impl WorkDir {
    fn new(keep: Option<PathBuf>) -> anyhow::Result<WorkDir> {
        let (path, remove) = match keep {
            Some(path) => (path, false),
            None => (
                std::env::temp_dir().join(format!("copydesk-bench-{}", std::process::id())),
                true,
            ),
        };
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(WorkDir { path, remove })
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
