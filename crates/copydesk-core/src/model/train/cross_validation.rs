//! Cross-validation: folds that never split a group, and the ROC AUC they are scored by.

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
