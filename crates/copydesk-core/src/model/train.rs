//! Training: L2-regularised logistic regression over hashed n-grams, by L-BFGS.
//!
//! Why not a crate: linfa 0.8's logistic regression (and smartcore's) takes a dense
//! matrix; 12 000 sentences × 2^20 hashed features is 50 GB dense and about 50 MB sparse.
//! A small full-batch L-BFGS over the sparse rows is short and converges to the one
//! optimum of the (strictly convex) objective. Plain SGD was tried first: its final
//! iterate depended on the shuffling seed enough to move the false-alarm rate on chatter
//! by a factor of two between seeds; the optimum does not depend on any seed.
//!
//! - Objective: mean weighted log loss + λ/2·‖w‖² (the bias is not regularised).
//! - L-BFGS with 8 correction pairs and a backtracking (Armijo) line search, stopped when
//!   an iteration improves the objective by less than a relative 1e-7 or after
//!   `max_iterations`.
//! - Classes balanced: each class's example weights are scaled to carry half the total.
//! - λ chosen by k-fold cross-validation grouped by article (one article's sentences are
//!   never on both sides of a split: they share names and topics, so a split by sentence
//!   would measure memorisation), by pooled out-of-fold ROC AUC.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::features::FeatureSettings;
use super::format::Provenance;
use super::normalize::normalize;
use super::{Model, sigmoid};

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

struct Data<'a> {
    /// Rows over compressed feature indices.
    rows: &'a Rows,
    labels: &'a [bool],
    weights: &'a [f32],
    /// Number of distinct features (the bias is coordinate `dims`).
    dims: usize,
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

/// Bias plus weights · row, for `x` = weights then bias.
fn margin(x: &[f64], row: &[(u32, f32)]) -> f64 {
    x[x.len() - 1]
        + row
            .iter()
            .map(|&(j, v)| x[j as usize] * f64::from(v))
            .sum::<f64>()
}

/// Minimises the balanced, L2-regularised log loss over the examples `idx` of `data`.
/// Returns the weights (compressed indices) followed by the bias; `start` is a warm start.
fn fit(
    data: &Data<'_>,
    idx: &[usize],
    lambda: f64,
    max_iterations: usize,
    start: Option<Vec<f64>>,
) -> Vec<f64> {
    // Balanced weights: each class carries half the total, mean weight 1.
    let (mut pos, mut neg) = (0.0f64, 0.0f64);
    for &i in idx {
        if data.labels[i] {
            pos += f64::from(data.weights[i]);
        } else {
            neg += f64::from(data.weights[i]);
        }
    }
    let n = idx.len().max(1) as f64;
    let pos_factor = if pos > 0.0 { n / (2.0 * pos) } else { 0.0 };
    let neg_factor = if neg > 0.0 { n / (2.0 * neg) } else { 0.0 };
    let coefficients: Vec<f64> = idx
        .iter()
        .map(|&i| {
            f64::from(data.weights[i])
                * if data.labels[i] {
                    pos_factor
                } else {
                    neg_factor
                }
                / n
        })
        .collect();
    let objective = Objective {
        data,
        idx,
        coefficients: &coefficients,
        lambda,
    };
    let x = start.unwrap_or_else(|| vec![0.0; data.dims + 1]);
    lbfgs(&objective, x, max_iterations)
}

/// The training objective and its gradient.
struct Objective<'a> {
    data: &'a Data<'a>,
    idx: &'a [usize],
    /// Each example's weight in the mean loss (class-balanced, divided by n).
    coefficients: &'a [f64],
    lambda: f64,
}

impl Objective<'_> {
    /// Objective value at `x`, gradient written to `grad`.
    fn eval(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let buckets = x.len() - 1;
        let mut loss = 0.0;
        let mut reg = 0.0;
        for (g, &w) in grad[..buckets].iter_mut().zip(&x[..buckets]) {
            *g = self.lambda * w;
            reg += w * w;
        }
        grad[buckets] = 0.0;
        for (&i, &c) in self.idx.iter().zip(self.coefficients) {
            if c == 0.0 {
                continue;
            }
            let row = &self.data.rows[i];
            let margin = margin(x, row);
            // log(1 + e^-m) for positives, log(1 + e^m) for negatives, computed stably.
            let signed = if self.data.labels[i] { margin } else { -margin };
            loss += c * softplus(-signed);
            let p = 1.0 / (1.0 + (-margin).exp());
            let y = if self.data.labels[i] { 1.0 } else { 0.0 };
            let d = c * (p - y);
            for &(j, v) in row {
                grad[j as usize] += d * f64::from(v);
            }
            grad[buckets] += d;
        }
        loss + 0.5 * self.lambda * reg
    }
}

/// log(1 + e^z) without overflow.
fn softplus(z: f64) -> f64 {
    if z > 30.0 {
        z
    } else if z < -30.0 {
        z.exp()
    } else {
        z.exp().ln_1p()
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Limited-memory BFGS from `x`: returns the minimiser found.
fn lbfgs(objective: &Objective<'_>, mut x: Vec<f64>, max_iterations: usize) -> Vec<f64> {
    const MEMORY: usize = 8;
    /// Stop after two iterations in a row improve the objective by less than this, relative.
    const TOLERANCE: f64 = 1e-6;
    let dims = x.len();
    let mut small_steps = 0;
    let mut grad = vec![0.0f64; dims];
    let mut f = objective.eval(&x, &mut grad);
    let mut history: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> =
        std::collections::VecDeque::with_capacity(MEMORY);
    let mut direction = vec![0.0f64; dims];
    let mut x_new = vec![0.0f64; dims];
    let mut grad_new = vec![0.0f64; dims];
    let mut alphas = [0.0f64; MEMORY];
    for iteration in 0..max_iterations {
        // Two-loop recursion: direction = -H·grad.
        for (d, g) in direction.iter_mut().zip(&grad) {
            *d = -g;
        }
        for (k, (s, y, rho)) in history.iter().enumerate().rev() {
            let a = rho * dot(s, &direction);
            alphas[k] = a;
            for (d, yv) in direction.iter_mut().zip(y) {
                *d -= a * yv;
            }
        }
        if let Some((s, y, _)) = history.back() {
            let gamma = dot(s, y) / dot(y, y);
            for d in &mut direction {
                *d *= gamma;
            }
        }
        for (k, (s, y, rho)) in history.iter().enumerate() {
            let b = rho * dot(y, &direction);
            for (d, sv) in direction.iter_mut().zip(s) {
                *d += (alphas[k] - b) * sv;
            }
        }
        let mut slope = dot(&grad, &direction);
        if slope >= 0.0 {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            history.clear();
            for (d, g) in direction.iter_mut().zip(&grad) {
                *d = -g;
            }
            slope = dot(&grad, &direction);
        }
        if slope.abs() < 1e-20 {
            break;
        }
        // Backtracking line search with the Armijo condition.
        let mut step = if iteration == 0 {
            1.0 / dot(&grad, &grad).sqrt().max(1e-12)
        } else {
            1.0
        };
        let mut f_new;
        let mut tries = 0;
        loop {
            for ((xn, xv), d) in x_new.iter_mut().zip(&x).zip(&direction) {
                *xn = xv + step * d;
            }
            f_new = objective.eval(&x_new, &mut grad_new);
            if f_new <= f + 1e-4 * step * slope || tries >= 30 {
                break;
            }
            // The minimum of the quadratic through f, the slope and f_new, kept within
            // [0.1, 0.5] of the step tried.
            let curvature = f_new - f - slope * step;
            let quadratic = if curvature > 0.0 {
                -slope * step * step / (2.0 * curvature)
            } else {
                0.5 * step
            };
            step = quadratic.clamp(0.1 * step, 0.5 * step);
            tries += 1;
        }
        if f_new > f {
            break; // no progress possible
        }
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = grad_new.iter().zip(&grad).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 {
            if history.len() == MEMORY {
                history.pop_front();
            }
            history.push_back((s, y, 1.0 / sy));
        }
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut grad, &mut grad_new);
        let improvement = (f - f_new) / f_new.abs().max(1e-12);
        f = f_new;
        small_steps = if improvement < TOLERANCE {
            small_steps + 1
        } else {
            0
        };
        if small_steps >= 2 {
            break;
        }
    }
    x
}

/// A small seeded generator (SplitMix64): reproducible shuffles on every platform.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), without modulo bias worth caring about at these sizes.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

fn shuffle<T>(items: &mut [T], rng: &mut SplitMix) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i + 1);
        items.swap(i, j);
    }
}

/// Assigns each example a fold in `0..k` so that all examples of a group share a fold:
/// groups in a seeded random order, each to the fold with the fewest examples so far.
pub fn grouped_folds(groups: &[u32], k: usize, seed: u64) -> Vec<usize> {
    let k = k.max(1);
    let mut sizes: Vec<(u32, usize)> = Vec::new();
    {
        let mut sorted = groups.to_vec();
        sorted.sort_unstable();
        for g in sorted {
            match sizes.last_mut() {
                Some((last, n)) if *last == g => *n += 1,
                _ => sizes.push((g, 1)),
            }
        }
    }
    let mut rng = SplitMix(seed);
    shuffle(&mut sizes, &mut rng);
    let mut load = vec![0usize; k];
    let mut fold_of: Vec<(u32, usize)> = Vec::with_capacity(sizes.len());
    for (g, n) in sizes {
        let f = (0..k).min_by_key(|&f| (load[f], f)).expect("k ≥ 1");
        load[f] += n;
        fold_of.push((g, f));
    }
    fold_of.sort_unstable();
    groups
        .iter()
        .map(|g| {
            let at = fold_of
                .binary_search_by_key(g, |&(group, _)| group)
                .expect("every group was assigned");
            fold_of[at].1
        })
        .collect()
}

/// Area under the ROC curve: the chance that a random positive outscores a random
/// negative (ties count half). 0.5 when either class is missing.
pub fn auc(scores: &[f32], positive: &[bool]) -> f64 {
    let mut pairs: Vec<(f32, bool)> = scores
        .iter()
        .copied()
        .zip(positive.iter().copied())
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let pos = pairs.iter().filter(|p| p.1).count() as f64;
    let neg = pairs.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return 0.5;
    }
    // Sum of the positives' ranks, ties given their average rank.
    let mut rank_sum = 0.0f64;
    let mut i = 0;
    while i < pairs.len() {
        let mut j = i;
        while j < pairs.len() && pairs[j].0 == pairs[i].0 {
            j += 1;
        }
        let average_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += average_rank * pairs[i..j].iter().filter(|p| p.1).count() as f64;
        i = j;
    }
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ties_half() {
        assert_eq!(auc(&[0.1, 0.9], &[false, true]), 1.0);
        assert_eq!(auc(&[0.9, 0.1], &[false, true]), 0.0);
        assert_eq!(auc(&[0.5, 0.5], &[false, true]), 0.5);
        assert_eq!(auc(&[0.2, 0.4, 0.6], &[true, false, true]), 0.5);
        assert_eq!(auc(&[0.2], &[true]), 0.5);
    }

    #[test]
    fn grouped_folds_never_split_a_group() {
        let groups: Vec<u32> = (0..500u32).map(|i| (i * 7919) % 83).collect();
        let folds = grouped_folds(&groups, 5, 42);
        for g in 0..83u32 {
            let mut seen: Vec<usize> = groups
                .iter()
                .zip(&folds)
                .filter(|(x, _)| **x == g)
                .map(|(_, f)| *f)
                .collect();
            seen.dedup();
            assert_eq!(seen.len(), 1, "group {g} is in folds {seen:?}");
        }
        // Balanced: every fold holds roughly a fifth.
        for f in 0..5 {
            let n = folds.iter().filter(|&&x| x == f).count();
            assert!((80..=120).contains(&n), "fold {f} has {n}");
        }
        assert_eq!(folds, grouped_folds(&groups, 5, 42), "deterministic");
    }

    fn synthetic() -> Vec<Example> {
        // Two vocabularies: accusations of named officials vs timetable facts.
        let people = [
            "the mayor",
            "the governor",
            "the minister",
            "the treasurer",
            "the senator",
            "the chief",
        ];
        let bad = [
            "stole",
            "embezzled",
            "laundered",
            "hid",
            "falsified",
            "rigged",
        ];
        let goods = [
            "the pension fund",
            "the election",
            "the audit",
            "the accounts",
            "the contracts",
        ];
        let places = [
            "library", "bridge", "museum", "school", "stadium", "harbour",
        ];
        let days = ["monday", "tuesday", "friday", "june", "spring", "march"];
        let mut out = Vec::new();
        let mut group = 0;
        for (i, p) in people.iter().enumerate() {
            for (j, b) in bad.iter().enumerate() {
                let g = goods[(i + j) % goods.len()];
                out.push(Example {
                    text: format!("{p} {b} {g} for years"),
                    positive: true,
                    group,
                    weight: 1.0,
                    cues: Vec::new(),
                });
                let place = places[(i + j) % places.len()];
                let day = days[(i * 2 + j) % days.len()];
                out.push(Example {
                    text: format!("The new {place} opens on {day} with a ceremony"),
                    positive: false,
                    group,
                    weight: 1.0,
                    cues: Vec::new(),
                });
                group += 1;
            }
        }
        out
    }

    #[test]
    fn separable_synthetic_data_is_learned() {
        let examples = synthetic();
        let options = TrainOptions {
            settings: FeatureSettings {
                buckets_log2: 14,
                ..FeatureSettings::default()
            },
            lambdas: vec![1e-4, 1e-3],
            threads: 2,
            ..TrainOptions::default()
        };
        let trained = train(&examples, &options, Provenance::default()).unwrap();
        assert!(trained.cv_auc > 0.95, "cv auc {}", trained.cv_auc);
        let correct = examples
            .iter()
            .filter(|e| (trained.model.probability(&e.text, &[]) >= 0.5) == e.positive)
            .count();
        assert!(correct as f64 >= 0.95 * examples.len() as f64, "{correct}");
        assert!(
            trained
                .model
                .probability("the auditor embezzled the grant", &[])
                > 0.5
        );
        assert!(
            trained
                .model
                .probability("the new pool opens on sunday with a ceremony", &[])
                < 0.5
        );
        let p = trained.model.provenance();
        assert_eq!((p.positives, p.negatives, p.groups), (36, 36, 36));
        assert_eq!(p.cv_folds, 5);
    }

    #[test]
    fn training_is_deterministic_whatever_the_threads() {
        let examples = synthetic();
        let mut options = TrainOptions {
            settings: FeatureSettings {
                buckets_log2: 12,
                ..FeatureSettings::default()
            },
            lambdas: vec![1e-3],
            max_iterations: 20,
            threads: 1,
            ..TrainOptions::default()
        };
        let a = train(&examples, &options, Provenance::default()).unwrap();
        options.threads = 3;
        let b = train(&examples, &options, Provenance::default()).unwrap();
        assert_eq!(a.model, b.model);
        assert_eq!(a.out_of_fold, b.out_of_fold);
    }

    #[test]
    fn one_class_or_too_few_groups_is_an_error() {
        let mut examples = synthetic();
        examples.retain(|e| e.positive);
        assert_eq!(
            train(&examples, &TrainOptions::default(), Provenance::default()).unwrap_err(),
            TrainError::NoNegatives
        );
        let mut examples = synthetic();
        for e in &mut examples {
            e.group %= 3;
        }
        assert!(matches!(
            train(&examples, &TrainOptions::default(), Provenance::default()),
            Err(TrainError::TooFewGroups {
                groups: 3,
                folds: 5
            })
        ));
    }
}
