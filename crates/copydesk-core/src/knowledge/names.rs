//! Topic names: how slugs and aliases are normalised, and the index behind "did you mean".
//!
//! A knowledge file can hold ten thousand topics with two or three names each, and a miss
//! must still be answered in microseconds, so comparing the query with every name is out.
//! Near misses are found with symmetric-delete indexes (the idea behind SymSpell): for
//! every name, each way of deleting up to two characters from its first six characters
//! (its *head*) is hashed and stored, and the same for its last six (its *tail*). If two
//! strings are within two edits (insertions, deletions, substitutions or swaps of
//! neighbours), their heads share one of these hashes and so do their tails. A query looks
//! up its own deletions at the end that finds fewer names (many topics may start with
//! "russia-", or end in "-2024"), rules most of those out by length and character set,
//! and computes the real distance only for the rest.

use rustc_hash::FxHashMap;

/// The form every slug, alias and query is compared in: trimmed, lowercase, with runs of
/// spaces, underscores and hyphens turned into a single hyphen. `"Bulgaria  Schengen"`,
/// `"bulgaria_schengen"` and `"bulgaria-schengen"` are the same name.
pub(super) fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// Whether `s` is lowercase-kebab: ASCII lowercase letters and digits in words joined by
/// single hyphens (`bulgaria-schengen`, `mh17`).
pub(super) fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Queries shorter than this are only ever matched exactly or as a prefix.
const MIN_FUZZY_LEN: usize = 3;
/// Prefix matches looked at per query; bounds the work when thousands of names share a
/// prefix.
const MAX_PREFIX_SCAN: usize = 32;
/// Characters at each end of a name that the delete indexes cover.
const INDEXED_CHARS: usize = 6;
/// The most edits a suggestion may be away from the query.
const MAX_EDITS: usize = 2;

/// How many edits a query of `len` characters may be away from a name and still be a
/// suggestion: one typo in a short word, two in a longer one.
fn edit_budget(len: usize) -> usize {
    match len {
        0..MIN_FUZZY_LEN => 0,
        3..=4 => 1,
        _ => MAX_EDITS,
    }
}

/// The first (`Head`) or last (`Tail`) `INDEXED_CHARS` characters of a name.
#[derive(Debug, Clone, Copy)]
enum End {
    Head,
    Tail,
}

impl End {
    fn of(self, name: &str) -> ([char; INDEXED_CHARS], usize) {
        let mut out = ['\0'; INDEXED_CHARS];
        let mut n = 0;
        let mut put = |c| {
            out[n] = c;
            n += 1;
        };
        match self {
            End::Head => name.chars().take(INDEXED_CHARS).for_each(&mut put),
            End::Tail => name.chars().rev().take(INDEXED_CHARS).for_each(&mut put),
        }
        (out, n)
    }
}

/// Calls `f` with a hash of every string made by deleting at most `max` characters from
/// `chars` (including `chars` itself). Deleting different characters can give the same
/// string, so the same hash may come more than once.
fn for_each_deletion(chars: &[char], max: usize, mut f: impl FnMut(u32)) {
    for deleted in 0u32..1 << chars.len() {
        if deleted.count_ones() as usize > max {
            continue;
        }
        let mut hash = 0x811c_9dc5_u32;
        for (i, &c) in chars.iter().enumerate() {
            if deleted & (1 << i) == 0 {
                hash = (hash ^ c as u32).wrapping_mul(0x0100_0193);
            }
        }
        f(hash);
    }
}

/// Deletion hash -> names, for one end of every name.
///
/// Entries are `hash << 32 | name index`, sorted. A directory over the top bits of the
/// hash finds the few entries of one hash with a single memory access, where a binary
/// search would take twenty.
#[derive(Debug, Clone, Default)]
struct DeletionIndex {
    entries: Vec<u64>,
    /// Entries whose hash has top bits `b` are `entries[directory[b]..directory[b + 1]]`.
    directory: Vec<u32>,
    shift: u32,
}

impl DeletionIndex {
    fn new<'n>(names: impl ExactSizeIterator<Item = &'n str>, end: End) -> Self {
        let mut entries = Vec::with_capacity(names.len() * 22);
        for (i, name) in names.enumerate() {
            let (chars, n) = end.of(name);
            for_each_deletion(&chars[..n], MAX_EDITS, |hash| {
                entries.push(u64::from(hash) << 32 | i as u64);
            });
        }
        entries.sort_unstable();
        entries.dedup();
        let bits = (usize::BITS - entries.len().leading_zeros()).clamp(1, 24);
        let shift = 32 - bits;
        let mut directory = Vec::with_capacity((1 << bits) + 1);
        let mut at = 0;
        for bucket in 0..=1u64 << bits {
            while at < entries.len() && (entries[at] >> 32) >> shift < bucket {
                at += 1;
            }
            directory.push(at as u32);
        }
        DeletionIndex {
            entries,
            directory,
            shift,
        }
    }

    /// The entries for `hash`: name indexes in their low 32 bits.
    fn get(&self, hash: u32) -> &[u64] {
        let bucket = (hash >> self.shift) as usize;
        let (Some(&from), Some(&to)) = (self.directory.get(bucket), self.directory.get(bucket + 1))
        else {
            return &[];
        };
        let run = &self.entries[from as usize..to as usize];
        // Both ends by binary search: with many similar names one hash can hold hundreds
        // of entries.
        let start = run.partition_point(|&e| ((e >> 32) as u32) < hash);
        let end = start + run[start..].partition_point(|&e| (e >> 32) as u32 == hash);
        &run[start..end]
    }
}

/// The characters of `name` as a 64-bit set: one bit per ASCII letter and digit, one for the
/// hyphen, and the remaining bits shared by everything else. One edit changes at most two
/// members of a string's character set, so `(a ^ b).count_ones() > 2 * k` proves that `a`
/// and `b` are more than `k` edits apart.
fn char_set(name: &str) -> u64 {
    name.chars().fold(0u64, |set, c| {
        let bit = match c {
            'a'..='z' => c as u32 - 'a' as u32,
            '0'..='9' => 26 + (c as u32 - '0' as u32),
            '-' => 36,
            other => 37 + (other as u32 % 27),
        };
        set | (1 << bit)
    })
}

/// Every normalised slug and alias, arranged for prefix and near-miss searches.
#[derive(Debug, Clone, Default)]
pub(super) struct Suggester {
    /// Every name, sorted (so a prefix is a contiguous run) and stored back to back: the
    /// few hundred names a search touches are then a few cache lines apart, not scattered
    /// over the heap. Name `i` is `text[ends[i - 1]..ends[i]]`.
    text: String,
    ends: Vec<u32>,
    /// For each name: its topic, its length in characters (at most 255) and its
    /// `char_set`; small and separate so ruling a candidate out rarely touches its text.
    topics: Vec<u32>,
    lens: Vec<u8>,
    sets: Vec<u64>,
    heads: DeletionIndex,
    tails: DeletionIndex,
}

impl Suggester {
    pub(super) fn new(names: &FxHashMap<String, usize>) -> Self {
        let mut sorted: Vec<(&str, usize)> = names.iter().map(|(n, &t)| (n.as_str(), t)).collect();
        sorted.sort_unstable();
        let mut text = String::with_capacity(sorted.iter().map(|(n, _)| n.len()).sum());
        let mut ends = Vec::with_capacity(sorted.len());
        for (name, _) in &sorted {
            text.push_str(name);
            ends.push(text.len() as u32);
        }
        let names = || sorted.iter().map(|(n, _)| *n);
        Suggester {
            topics: sorted.iter().map(|(_, t)| *t as u32).collect(),
            lens: names().map(|n| n.chars().count().min(255) as u8).collect(),
            sets: names().map(char_set).collect(),
            heads: DeletionIndex::new(names(), End::Head),
            tails: DeletionIndex::new(names(), End::Tail),
            text,
            ends,
        }
    }

    fn name(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// Topics whose names start with `query` or are a typo or two away from it, best
    /// first, at most `limit`, each topic once. `query` must already be normalised.
    pub(super) fn suggest(&self, query: &str, limit: usize) -> Vec<usize> {
        let len = query.chars().count();
        if len < MIN_FUZZY_LEN || limit == 0 {
            return Vec::new();
        }
        let mut close: Vec<u32> = Vec::new();

        let start = {
            let (mut low, mut high) = (0, self.ends.len());
            while low < high {
                let middle = (low + high) / 2;
                if self.name(middle) < query {
                    low = middle + 1;
                } else {
                    high = middle;
                }
            }
            low
        };
        let prefixed = (start..self.ends.len())
            .take(MAX_PREFIX_SCAN)
            .take_while(|&i| self.name(i).starts_with(query))
            .count();
        close.extend((start..start + prefixed).map(|i| i as u32));

        let budget = edit_budget(len);
        let candidates = self.candidates(query, budget);
        let pattern = Pattern::new(query);
        let query_set = char_set(query);
        for i in candidates {
            let i = i as usize;
            // Cheap exact lower bounds first: length, then character set.
            if usize::from(self.lens[i]).abs_diff(len.min(255)) > budget
                || (self.sets[i] ^ query_set).count_ones() as usize > 2 * budget
            {
                continue;
            }
            let name = self.name(i);
            if name.starts_with(query) {
                continue;
            }
            let distance = match &pattern {
                Some(pattern) => pattern.distance(name),
                None => strsim::osa_distance(query, name),
            };
            if distance <= budget {
                close.push(i as u32);
            }
        }

        // Best first: closest by Jaro-Winkler (which favours a shared start), then the
        // shorter name, then file order.
        let mut ranked: Vec<(f64, u8, usize)> = close
            .into_iter()
            .map(|i| {
                let i = i as usize;
                (
                    strsim::jaro_winkler(query, self.name(i)),
                    self.lens[i],
                    self.topics[i] as usize,
                )
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut topics = Vec::with_capacity(limit.min(ranked.len()));
        for (_, _, topic) in ranked {
            if !topics.contains(&topic) {
                topics.push(topic);
                if topics.len() == limit {
                    break;
                }
            }
        }
        topics
    }

    /// Indexes of the names that may be within `budget` edits of `query`, each once:
    /// those sharing a deletion hash with it at whichever end finds fewer.
    fn candidates(&self, query: &str, budget: usize) -> Vec<u32> {
        fn lookups<'s>(
            index: &'s DeletionIndex,
            end: End,
            query: &str,
            budget: usize,
        ) -> Vec<&'s [u64]> {
            let (chars, n) = end.of(query);
            let mut runs = Vec::with_capacity(22);
            for_each_deletion(&chars[..n], budget, |hash| runs.push(index.get(hash)));
            runs
        }
        // Looking an end up costs a cache miss or two per deletion; skip the tails when
        // the heads already give few names.
        const FEW: usize = 64;
        let size = |runs: &[&[u64]]| runs.iter().map(|r| r.len()).sum::<usize>();
        let heads = lookups(&self.heads, End::Head, query, budget);
        let runs = if size(&heads) <= FEW {
            heads
        } else {
            let tails = lookups(&self.tails, End::Tail, query, budget);
            if size(&heads) <= size(&tails) {
                heads
            } else {
                tails
            }
        };
        let mut seen = vec![0u64; self.ends.len().div_ceil(64)];
        let mut out = Vec::new();
        for &e in runs.iter().flat_map(|run| run.iter()) {
            let i = e as u32 as usize;
            if seen[i / 64] & (1 << (i % 64)) == 0 {
                seen[i / 64] |= 1 << (i % 64);
                out.push(i as u32);
            }
        }
        out
    }
}

/// The query, prepared for computing its edit distance to many names.
///
/// Uses Hyyrö's bit-parallel algorithm for the optimal string alignment distance
/// (insertions, deletions, substitutions and swaps of neighbours): one pass over the name
/// with a handful of word operations per character, and no allocation.
struct Pattern {
    len: usize,
    /// For each ASCII character, the positions in the query where it occurs.
    ascii: [u64; 128],
    /// The same for other characters.
    other: Vec<(char, u64)>,
}

impl Pattern {
    /// `None` if the query is too long for one machine word.
    fn new(query: &str) -> Option<Pattern> {
        let mut pattern = Pattern {
            len: 0,
            ascii: [0; 128],
            other: Vec::new(),
        };
        for (i, c) in query.chars().enumerate() {
            if i >= 64 {
                return None;
            }
            let bit = 1u64 << i;
            if c.is_ascii() {
                pattern.ascii[c as usize] |= bit;
            } else if let Some(entry) = pattern.other.iter_mut().find(|(o, _)| *o == c) {
                entry.1 |= bit;
            } else {
                pattern.other.push((c, bit));
            }
            pattern.len = i + 1;
        }
        Some(pattern)
    }

    fn positions(&self, c: char) -> u64 {
        if c.is_ascii() {
            self.ascii[c as usize]
        } else {
            self.other
                .iter()
                .find(|(o, _)| *o == c)
                .map_or(0, |(_, bits)| *bits)
        }
    }

    /// The optimal string alignment distance between the query and `name`.
    fn distance(&self, name: &str) -> usize {
        let m = self.len;
        if m == 0 {
            return name.chars().count();
        }
        let last = 1u64 << (m - 1);
        let mut vp: u64 = u64::MAX >> (64 - m);
        let mut vn: u64 = 0;
        let mut d0: u64 = 0;
        let mut previous: u64 = 0;
        let mut score = m;
        for c in name.chars() {
            let pm = self.positions(c);
            // Swaps of neighbours: positions where this and the previous character match
            // the query the other way round.
            let tr = ((!d0 & pm) << 1) & previous;
            d0 = (((pm & vp).wrapping_add(vp)) ^ vp) | pm | vn | tr;
            let hp = vn | !(d0 | vp);
            let hn = d0 & vp;
            if hp & last != 0 {
                score += 1;
            } else if hn & last != 0 {
                score -= 1;
            }
            let x = (hp << 1) | 1;
            vn = x & d0;
            vp = (hn << 1) | !(x | d0);
            previous = pm;
        }
        score
    }
}

#[cfg(test)]
mod tests;
