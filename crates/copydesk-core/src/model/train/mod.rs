//! Training: L2-regularised logistic regression over hashed n-grams, by L-BFGS.
//!
//! Why not a crate: linfa's logistic regression (and smartcore's) takes a dense matrix, and
//! a training corpus of sentences × 2^20 hashed features is gigabytes dense but megabytes
//! sparse. A small full-batch L-BFGS over the sparse rows converges to the one optimum of
//! the (strictly convex) objective, so the model depends on no shuffling seed.
//!
//! - Objective: mean weighted log loss + λ/2·‖w‖² (the bias is not regularised); see `fit`.
//! - L-BFGS with 8 correction pairs and a backtracking (Armijo) line search, stopped when
//!   two iterations in a row improve the objective by less than a relative 1e-6, or after
//!   `max_iterations`.
//! - Classes balanced: each class's example weights are scaled to carry half the total.
//! - λ chosen by k-fold cross-validation grouped by article (one article's sentences are
//!   never on both sides of a split: they share names and topics, so a split by sentence
//!   would measure memorisation), by pooled out-of-fold ROC AUC; see `cross_validation`.

mod cross_validation;
mod fit;

use std::sync::atomic::{AtomicUsize, Ordering};

use super::features::FeatureSettings;
use super::format::Provenance;
use super::normalize::normalize;
use super::{Model, sigmoid};
use fit::{Data, fit, margin};

pub use cross_validation::{auc, grouped_folds};

/// One labeled text.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub text: String,
    /// Needs attribution.
    pub positive: bool,
    /// The article (or other unit) it comes from: cross-validation never splits a group.
    pub group: u32,
    /// Relative weight before class balancing (1.0 for ordinary examples).
    pub weight: f32,
    /// What the checker's rules find in the text (`Checker::cues`), for a model that
    /// uses cues; empty otherwise.
    pub cues: Vec<String>,
}

/// How to train.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    pub settings: FeatureSettings,
    /// Cross-validation folds (groups are split into this many).
    pub folds: usize,
    /// Candidate L2 strengths; cross-validation picks one. A single value skips the search
    /// but still measures it.
    pub lambdas: Vec<f64>,
    /// L-BFGS iterations at most (each is about one pass over the data).
    pub max_iterations: usize,
    /// Seed of the fold assignment.
    pub seed: u64,
    /// Worker threads for featurisation and cross-validation (1 = none).
    pub threads: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            settings: FeatureSettings::default(),
            folds: 5,
            lambdas: vec![3e-6, 1e-5, 3e-5, 1e-4],
            max_iterations: 300,
            seed: 0x00c0_ffee,
            threads: 1,
        }
    }
}

/// Cross-validation of one λ.
#[derive(Debug, Clone, PartialEq)]
pub struct CvResult {
    pub lambda: f64,
    /// ROC AUC of all out-of-fold scores pooled.
    pub auc: f64,
    /// ROC AUC of each fold's held-out scores.
    pub fold_aucs: Vec<f64>,
}

/// A trained model and how it was chosen.
#[derive(Debug, Clone)]
pub struct Trained {
    /// Fitted on every example at the chosen λ; its provenance is filled in.
    pub model: Model,
    pub cv: Vec<CvResult>,
    pub lambda: f64,
    pub cv_auc: f64,
    /// Out-of-fold probability of every example at the chosen λ, in input order.
    pub out_of_fold: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrainError {
    #[error("no positive examples (needs attribution) to learn from")]
    NoPositives,
    #[error("no negative examples to learn from")]
    NoNegatives,
    #[error("{groups} groups (articles) cannot be split into {folds} cross-validation folds")]
    TooFewGroups { groups: usize, folds: usize },
    #[error("{0}")]
    Options(String),
}

/// Sparse feature rows of normalised texts.
type Rows = Vec<Vec<(u32, f32)>>;

/// Trains a model on `examples`: featurises them, cross-validates every λ in
/// `options.lambdas` over folds grouped by `Example::group`, and fits the best λ on all
/// examples. `provenance` supplies the corpus name, date and notes; counts, λ and the
/// cross-validated AUC are filled in.
pub fn train(
    examples: &[Example],
    options: &TrainOptions,
    provenance: Provenance,
) -> Result<Trained, TrainError> {
    options.settings.validate().map_err(TrainError::Options)?;
    if options.lambdas.is_empty() || options.lambdas.iter().any(|l| !(*l >= 0.0 && *l < 1.0)) {
        return Err(TrainError::Options(
            "regularisation strengths must be in 0..1".into(),
        ));
    }
    if options.folds < 2 {
        return Err(TrainError::Options("at least 2 folds".into()));
    }
    if options.max_iterations == 0 {
        return Err(TrainError::Options("at least one iteration".into()));
    }
    let positives = examples.iter().filter(|e| e.positive).count();
    let negatives = examples.len() - positives;
    if positives == 0 {
        return Err(TrainError::NoPositives);
    }
    if negatives == 0 {
        return Err(TrainError::NoNegatives);
    }
    let group_ids: Vec<u32> = examples.iter().map(|e| e.group).collect();
    let groups = {
        let mut g = group_ids.clone();
        g.sort_unstable();
        g.dedup();
        g.len()
    };
    if groups < options.folds {
        return Err(TrainError::TooFewGroups {
            groups,
            folds: options.folds,
        });
    }

    let rows = featurize(examples, &options.settings, options.threads.max(1));
    let labels: Vec<bool> = examples.iter().map(|e| e.positive).collect();
    let weights: Vec<f32> = examples
        .iter()
        .map(|e| e.weight.max(0.0))
        .map(|w| if w.is_finite() { w } else { 0.0 })
        .collect();
    // Only buckets that occur get a coordinate: smaller vectors, and features numbered by
    // first occurrence, so frequent ones sit together in memory.
    let (local_rows, global_of) = compress(&rows, options.settings.buckets());
    let data = Data {
        rows: &local_rows,
        labels: &labels,
        weights: &weights,
        dims: global_of.len(),
    };
    let folds = grouped_folds(&group_ids, options.folds, options.seed);

    // Each fold fits the λs from strongest to weakest, each fit starting from the last
    // one's solution; folds run on worker threads.
    let mut strongest_first: Vec<usize> = (0..options.lambdas.len()).collect();
    strongest_first.sort_by(|&a, &b| options.lambdas[b].total_cmp(&options.lambdas[a]));
    let fold_ids: Vec<usize> = (0..options.folds).collect();
    let per_fold = parallel_map(&fold_ids, options.threads.max(1), |&f| {
        let train_idx: Vec<usize> = (0..rows.len()).filter(|&i| folds[i] != f).collect();
        let test_idx: Vec<usize> = (0..rows.len()).filter(|&i| folds[i] == f).collect();
        let mut scores = vec![Vec::new(); options.lambdas.len()];
        let mut start = None;
        for &l in &strongest_first {
            let x = fit(
                &data,
                &train_idx,
                options.lambdas[l],
                options.max_iterations,
                start,
            );
            scores[l] = test_idx
                .iter()
                .map(|&i| sigmoid(margin(&x, &local_rows[i]) as f32))
                .collect();
            start = Some(x);
        }
        (test_idx, scores)
    });

    let mut cv = Vec::new();
    let mut out_of_fold_by_lambda = Vec::new();
    for (l, &lambda) in options.lambdas.iter().enumerate() {
        let mut oof = vec![0.0f32; rows.len()];
        let mut fold_aucs = Vec::new();
        for (test_idx, by_lambda) in &per_fold {
            let scores = &by_lambda[l];
            let fold_labels: Vec<bool> = test_idx.iter().map(|&i| labels[i]).collect();
            fold_aucs.push(auc(scores, &fold_labels));
            for (&i, &s) in test_idx.iter().zip(scores) {
                oof[i] = s;
            }
        }
        cv.push(CvResult {
            lambda,
            auc: auc(&oof, &labels),
            fold_aucs,
        });
        out_of_fold_by_lambda.push(oof);
    }
    // Best pooled AUC; among near-ties (within 0.001) the stronger regularisation.
    let best_auc = cv.iter().map(|c| c.auc).fold(f64::NEG_INFINITY, f64::max);
    let (best, chosen) = cv
        .iter()
        .enumerate()
        .filter(|(_, c)| c.auc >= best_auc - 0.001)
        .max_by(|a, b| a.1.lambda.total_cmp(&b.1.lambda))
        .expect("at least one λ");
    let (lambda, cv_auc) = (chosen.lambda, chosen.auc);

    let all: Vec<usize> = (0..rows.len()).collect();
    let x = fit(&data, &all, lambda, options.max_iterations, None);
    let mut weights = vec![0.0f32; options.settings.buckets()];
    for (k, &global) in global_of.iter().enumerate() {
        weights[global as usize] = x[k] as f32;
    }
    let bias = x[data.dims] as f32;
    let provenance = Provenance {
        positives,
        negatives,
        groups,
        lambda,
        cv_folds: options.folds,
        cv_auc,
        ..provenance
    };
    let model =
        Model::new(options.settings, bias, weights, provenance).map_err(TrainError::Options)?;
    Ok(Trained {
        model,
        cv,
        lambda,
        cv_auc,
        out_of_fold: out_of_fold_by_lambda.swap_remove(best),
    })
}

/// Normalises and featurises every example, on `threads` threads.
fn featurize(examples: &[Example], settings: &FeatureSettings, threads: usize) -> Rows {
    let chunk = examples.len().div_ceil(threads).max(1);
    let chunks: Vec<&[Example]> = examples.chunks(chunk).collect();
    parallel_map(&chunks, threads, |part| {
        part.iter()
            .map(|e| settings.sparse(&normalize(&e.text), &e.cues))
            .collect::<Rows>()
    })
    .into_iter()
    .flatten()
    .collect()
}

/// `f` over `items` on up to `threads` scoped threads; results in input order.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    if threads <= 1 || items.len() <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.min(items.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= items.len() {
                            break done;
                        }
                        done.push((i, f(&items[i])));
                    }
                })
            })
            .collect();
        for handle in handles {
            let done = handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (i, r) in done {
                slots[i] = Some(r);
            }
        }
    });
    slots
        .into_iter()
        .map(|r| r.expect("every item was processed"))
        .collect()
}

/// Renumbers the buckets that occur in `rows` as 0, 1, 2, … in order of first
/// occurrence; returns the renumbered rows and each new index's bucket.
fn compress(rows: &Rows, buckets: usize) -> (Rows, Vec<u32>) {
    let mut local = vec![u32::MAX; buckets];
    let mut global_of: Vec<u32> = Vec::new();
    let renumbered = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|&(j, v)| {
                    let slot = &mut local[j as usize];
                    if *slot == u32::MAX {
                        *slot = global_of.len() as u32;
                        global_of.push(j);
                    }
                    (*slot, v)
                })
                .collect()
        })
        .collect();
    (renumbered, global_of)
}

#[cfg(test)]
mod tests;
