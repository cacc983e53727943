//! `copydesk train`: learn the "needs attribution" model from an attribution corpus in brat
//! standoff and/or labeled JSON Lines, and write the model file.
//!
//! This is the I/O edge: it reads the corpus, hands strings to `copydesk_core::model`
//! (weak labels, features, training — all pure) and writes the bytes it gets back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::Args;
use copydesk_core::model::train::{Example, TrainOptions, train as fit};
use copydesk_core::model::weak::{self, Annotations, LabelStats};
use copydesk_core::model::{Encoding, FeatureSettings, Provenance};
use serde::Deserialize;

use crate::status::Status;

#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// Attribution corpus in brat standoff: a directory holding `text/ARTICLE.txt` and
    /// `attributions/ARTICLE_ANNOTATOR.ann` (repeatable).
    #[arg(long = "brat", value_name = "DIR")]
    pub brat: Vec<PathBuf>,
    /// Labeled texts, one JSON object per line: {"text": …, "needs_attribution": true|false}
    /// and optionally "group" (texts sharing a group stay on one side of a
    /// cross-validation split). Repeatable.
    #[arg(long = "jsonl", value_name = "FILE")]
    pub jsonl: Vec<PathBuf>,
    /// Leave out JSON Lines examples whose `case` is this (repeatable), e.g. cases the
    /// checker's rules settle before the model is asked.
    #[arg(long = "skip-case", value_name = "CASE")]
    pub skip_cases: Vec<String>,
    /// Weight of a JSON Lines example relative to a corpus example (before balancing).
    #[arg(long, default_value_t = 3.0, value_name = "W")]
    pub jsonl_weight: f32,
    /// Where to write the model file.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// log2 of the number of hash buckets (weights): 18 to 20 is sensible; more buckets,
    /// fewer collisions, a bigger file (2^18 half-precision weights are 0.5 MB).
    #[arg(long, default_value_t = 18, value_name = "N")]
    pub bits: u8,
    /// Word n-gram lengths, e.g. 1-2 (0-0 for none).
    #[arg(long, default_value = "1-2", value_parser = parse_range, value_name = "MIN-MAX")]
    pub word_ngrams: (u8, u8),
    /// Character n-gram lengths, e.g. 3-4 (0-0 for none).
    #[arg(long, default_value = "3-4", value_parser = parse_range, value_name = "MIN-MAX")]
    pub char_ngrams: (u8, u8),
    /// Cross-validation folds, grouped by article.
    #[arg(long, default_value_t = 5, value_name = "K")]
    pub folds: usize,
    /// L2 regularisation strengths to choose from by cross-validation.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0.000003,0.00001,0.00003,0.0001",
        value_name = "L,..."
    )]
    pub lambdas: Vec<f64>,
    /// L-BFGS iterations at most per fit (each is about one pass over the data).
    #[arg(long, default_value_t = 300, value_name = "N")]
    pub max_iterations: usize,
    /// Score at or above which the checker counts a sentence as an allegation; recorded in
    /// the model file, overridable in the configuration.
    #[arg(long, default_value_t = 0.7, value_name = "P")]
    pub threshold: f32,
    /// Score below which the checker lets the model overrule an accusation its rules
    /// found (0 never); recorded in the model file, overridable in the configuration.
    #[arg(long, default_value_t = 0.0, value_name = "V")]
    pub veto: f32,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Seed of the cross-validation fold assignment (the fitted optimum does not depend
    /// on it; the λ chosen may).
    #[arg(long, default_value_t = 0x00c0_ffee, value_name = "N")]
    pub seed: u64,
    /// Leave out the rules' cues (which kinds of lexicon rule a text hits, whether it names
    /// a party): a model of n-grams only.
    #[arg(long)]
    pub no_cues: bool,
    /// Store weights as 32-bit floats instead of 16-bit (twice the size, no rounding).
    #[arg(long)]
    pub f32: bool,
}

/// One JSON Lines example; other keys (ids, notes, spans) are ignored. The label is either
/// `needs_attribution` (true or false) or a checker verdict, `label` (`flag` or `weak` is
/// positive: the line states an accusation; `ok` is negative).
#[derive(Deserialize)]
struct Labeled {
    text: String,
    #[serde(default)]
    needs_attribution: Option<bool>,
    #[serde(default)]
    label: Option<String>,
    /// What kind of case the line is (`attributed-person`, `question`, ...), for `--skip-case`.
    #[serde(default)]
    case: Option<String>,
    #[serde(default)]
    group: Option<String>,
}

impl Labeled {
    fn positive(&self) -> Result<bool, String> {
        match (self.needs_attribution, self.label.as_deref()) {
            (Some(positive), None) => Ok(positive),
            (None, Some("flag" | "weak")) => Ok(true),
            (None, Some("ok")) => Ok(false),
            (None, Some(other)) => Err(format!("label {other:?}: expected flag, weak or ok")),
            (None, None) => Err("no label: give \"label\" or \"needs_attribution\"".into()),
            (Some(_), Some(_)) => Err("give \"label\" or \"needs_attribution\", not both".into()),
        }
    }
}

/// `copydesk train`: read, label, cross-validate, fit, write; print what happened.
pub fn run(args: TrainArgs) -> anyhow::Result<Status> {
    let started = Instant::now();
    if args.brat.is_empty() && args.jsonl.is_empty() {
        bail!("nothing to train on: give --brat DIR and/or --jsonl FILE");
    }
    if !(args.jsonl_weight.is_finite() && args.jsonl_weight >= 0.0) {
        bail!("--jsonl-weight must be a non-negative number");
    }
    if !(0.0..=1.0).contains(&args.threshold) {
        bail!("--threshold must be between 0 and 1");
    }
    let mut examples: Vec<Example> = Vec::new();
    let mut corpus_parts: Vec<String> = Vec::new();
    let mut next_group: u32 = 0;

    for dir in &args.brat {
        let (stats, articles) = read_brat(dir, &mut examples, &mut next_group)?;
        println!(
            "{}: {articles} articles, {} positives, {} negatives",
            dir.display(),
            stats.positives,
            stats.negatives
        );
        println!(
            "  attributions {}: dropped {} without content or cue, {} non-asserting cue, {} nested cue, {} under {} words, {} without a finite verb, {} first person; {} duplicates",
            stats.relations,
            stats.no_content_or_cue,
            stats.non_asserting_cue,
            stats.nested_cue,
            stats.too_short,
            weak::MIN_WORDS,
            stats.no_finite_verb,
            stats.first_person,
            stats.duplicates,
        );
        println!(
            "  sentences {}: {} overlap an annotation, {} hold an unannotated speech verb, {} too short or verbless",
            stats.sentences,
            stats.overlapping,
            stats.unannotated_cue,
            stats.short_or_verbless_sentences
        );
        corpus_parts.push(format!("{} (brat, {articles} articles)", file_name(dir)));
    }
    for path in &args.jsonl {
        let (positives, negatives) = read_jsonl(path, &args, &mut examples, &mut next_group)?;
        println!(
            "{}: {positives} positives, {negatives} negatives (weight {})",
            path.display(),
            args.jsonl_weight
        );
        corpus_parts.push(format!(
            "{} ({} lines)",
            file_name(path),
            positives + negatives
        ));
    }

    if !args.no_cues {
        // The cues come from the embedded lexicons, as when the bot checks a message.
        let checker = copydesk_core::Checker::default();
        for example in &mut examples {
            example.cues = checker.cues(&example.text);
        }
    }
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let options = TrainOptions {
        settings: FeatureSettings {
            word_ngrams: args.word_ngrams,
            char_ngrams: args.char_ngrams,
            buckets_log2: args.bits,
            cues: !args.no_cues,
        },
        folds: args.folds,
        lambdas: args.lambdas.clone(),
        max_iterations: args.max_iterations,
        seed: args.seed,
        threads,
    };
    let provenance = Provenance {
        corpus: corpus_parts.join(" + "),
        trained: jiff::Zoned::now().date().to_string(),
        notes: vec![
            (
                "labels".into(),
                "brat: content of asserting attributions vs sentences overlapping no annotation; jsonl: as given".into(),
            ),
            ("jsonl-weight".into(), args.jsonl_weight.to_string()),
            ("solver".into(), format!("L-BFGS, at most {} iterations", args.max_iterations)),
            ("seed".into(), args.seed.to_string()),
        ],
        ..Provenance::default()
    };
    let positives = examples.iter().filter(|e| e.positive).count();
    println!(
        "training on {} examples ({positives} positive, {} negative, classes balanced), 2^{} buckets, {}-fold cross-validation grouped by article, {threads} threads",
        examples.len(),
        examples.len() - positives,
        args.bits,
        args.folds,
    );
    let trained = fit(&examples, &options, provenance).context("training failed")?;
    for cv in &trained.cv {
        let folds: Vec<String> = cv.fold_aucs.iter().map(|a| format!("{a:.3}")).collect();
        println!(
            "  lambda {:<8} cross-validated AUC {:.4}  (folds {}){}",
            cv.lambda,
            cv.auc,
            folds.join(" "),
            if cv.lambda == trained.lambda {
                "  <- chosen"
            } else {
                ""
            }
        );
    }
    let model = trained
        .model
        .with_threshold(args.threshold)
        .with_veto(args.veto);
    let encoding = if args.f32 {
        Encoding::F32
    } else {
        Encoding::F16
    };
    let bytes = model.to_bytes(encoding);
    if let Some(parent) = args.output.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(&args.output, &bytes)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    println!(
        "wrote {} ({:.2} MB, {} weights), cross-validated AUC {:.4} at lambda {}, threshold {}, in {:.1} s",
        args.output.display(),
        bytes.len() as f64 / 1e6,
        encoding.as_str(),
        trained.cv_auc,
        trained.lambda,
        args.threshold,
        started.elapsed().as_secs_f64()
    );
    Ok(Status::Success)
}

fn parse_range(text: &str) -> Result<(u8, u8), String> {
    let (a, b) = text
        .split_once('-')
        .ok_or_else(|| format!("expected MIN-MAX, e.g. 1-2, found {text:?}"))?;
    let number = |s: &str| s.trim().parse::<u8>().map_err(|e| format!("{s:?}: {e}"));
    Ok((number(a)?, number(b)?))
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Reads one brat corpus directory; every article becomes one cross-validation group.
fn read_brat(
    dir: &Path,
    examples: &mut Vec<Example>,
    next_group: &mut u32,
) -> anyhow::Result<(LabelStats, usize)> {
    let text_dir = dir.join("text");
    let ann_dir = dir.join("attributions");
    let mut annotations: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(&ann_dir).with_context(|| {
        format!(
            "cannot read {} (expected brat standoff: text/ and attributions/)",
            ann_dir.display()
        )
    })? {
        let path = entry?.path();
        let Some(stem) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".ann"))
        else {
            continue;
        };
        // ARTICLE_ANNOTATOR.ann; article names contain underscores themselves.
        let article = stem.rsplit_once('_').map_or(stem, |(a, _)| a);
        annotations
            .entry(article.to_owned())
            .or_default()
            .push(path);
    }
    let mut articles: Vec<PathBuf> = std::fs::read_dir(&text_dir)
        .with_context(|| format!("cannot read {}", text_dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    articles.retain(|p| p.extension().is_some_and(|e| e == "txt"));
    articles.sort();

    let mut stats = LabelStats::default();
    let mut problems = 0usize;
    let mut used = 0usize;
    for path in &articles {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let Some(ann_paths) = annotations.get(&stem) else {
            continue; // no annotation: nothing is known about it
        };
        let article = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let mut parsed: Vec<Annotations> = Vec::new();
        for ann_path in ann_paths {
            let text = std::fs::read_to_string(ann_path)
                .with_context(|| format!("cannot read {}", ann_path.display()))?;
            let (ann, file_problems) = weak::parse_ann(&text);
            for p in &file_problems {
                tracing::debug!("{}: {p}", ann_path.display());
            }
            problems += file_problems.len();
            parsed.push(ann);
        }
        let labels = weak::article_labels(&article, &parsed);
        stats += labels.stats;
        let group = *next_group;
        *next_group += 1;
        used += 1;
        for (texts, positive) in [(labels.positives, true), (labels.negatives, false)] {
            examples.extend(texts.into_iter().map(|text| Example {
                text,
                positive,
                group,
                weight: 1.0,
                cues: Vec::new(),
            }));
        }
    }
    if used == 0 {
        bail!(
            "{}: no article in text/ has an annotation file in attributions/",
            dir.display()
        );
    }
    if problems > 0 {
        println!("  skipped {problems} unreadable annotation lines (-vv lists them)");
    }
    Ok((stats, used))
}

/// Reads labeled JSON Lines; each line is its own group unless it names one.
fn read_jsonl(
    path: &Path,
    args: &TrainArgs,
    examples: &mut Vec<Example>,
    next_group: &mut u32,
) -> anyhow::Result<(usize, usize)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut groups: BTreeMap<String, u32> = BTreeMap::new();
    let (mut positives, mut negatives) = (0, 0);
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let labeled: Labeled = match serde_json::from_str(line) {
            Ok(l) => l,
            Err(e) => {
                errors.push(format!("{}:{}:{}: {e}", path.display(), i + 1, e.column()));
                continue;
            }
        };
        let positive = match labeled.positive() {
            Ok(positive) => positive,
            Err(e) => {
                errors.push(format!("{}:{}:1: {e}", path.display(), i + 1));
                continue;
            }
        };
        if labeled
            .case
            .as_ref()
            .is_some_and(|case| args.skip_cases.contains(case))
        {
            continue;
        }
        let group = match labeled.group {
            Some(name) => *groups.entry(name).or_insert_with(|| {
                *next_group += 1;
                *next_group - 1
            }),
            None => {
                *next_group += 1;
                *next_group - 1
            }
        };
        if positive {
            positives += 1;
        } else {
            negatives += 1;
        }
        examples.push(Example {
            text: labeled.text,
            positive,
            group,
            weight: args.jsonl_weight,
            cues: Vec::new(),
        });
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    Ok((positives, negatives))
}
