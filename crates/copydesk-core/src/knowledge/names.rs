//! Topic names: how slugs and aliases are normalised, and the index behind "did you mean".
//!
//! A knowledge file can hold ten thousand topics with two or three names each, and a miss
//! must still be answered in microseconds. Computing an edit distance against every name
//! would take milliseconds, so names are bucketed by length and tagged with a 64-bit set of
//! the characters they contain. A name is only compared in full when its length and its
//! character set are both close enough to the query's that the edit-distance budget could
//! be met; both filters are exact lower bounds, so they never hide a real match.

use std::collections::HashMap;

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
/// Prefix matches looked at per query; bounds the work for a one-letter-different prefix
/// shared by thousands of names.
const MAX_PREFIX_SCAN: usize = 32;

/// How many edits a query of `len` characters may be away from a name and still be a
/// suggestion: one typo in a short word, up to three in a long one.
fn edit_budget(len: usize) -> usize {
    match len {
        0..MIN_FUZZY_LEN => 0,
        3..=4 => 1,
        5..=8 => 2,
        _ => 3,
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

#[derive(Debug, Clone, Copy)]
struct Entry {
    chars: u64,
    /// Index into `Suggester::sorted`.
    name: u32,
}

/// Every normalised slug and alias, arranged for prefix and near-miss searches.
#[derive(Debug, Clone, Default)]
pub(super) struct Suggester {
    /// `(name, topic index)`, sorted by name, so a prefix is a contiguous run.
    sorted: Vec<(String, usize)>,
    /// `by_len[n]` holds the names that are `n` characters long.
    by_len: Vec<Vec<Entry>>,
}

impl Suggester {
    pub(super) fn new(names: &HashMap<String, usize>) -> Self {
        let mut sorted: Vec<(String, usize)> = names.iter().map(|(n, &t)| (n.clone(), t)).collect();
        sorted.sort_unstable();
        let mut by_len: Vec<Vec<Entry>> = Vec::new();
        for (i, (name, _)) in sorted.iter().enumerate() {
            let len = name.chars().count();
            if by_len.len() <= len {
                by_len.resize_with(len + 1, Vec::new);
            }
            by_len[len].push(Entry {
                chars: char_set(name),
                name: i as u32,
            });
        }
        Suggester { sorted, by_len }
    }

    /// Topics whose names start with `query` or are a few edits away from it, best first,
    /// at most `limit` and each topic once. `query` must already be normalised.
    pub(super) fn suggest(&self, query: &str, limit: usize) -> Vec<usize> {
        let len = query.chars().count();
        if len == 0 || limit == 0 {
            return Vec::new();
        }
        // (score, name length, topic): higher score first, then the shorter name.
        let mut candidates: Vec<(f64, usize, usize)> = Vec::new();
        let mut consider = |name: &str, topic: usize| {
            let score = strsim::jaro_winkler(query, name);
            candidates.push((score, name.len(), topic));
        };

        if len >= MIN_FUZZY_LEN {
            let start = self.sorted.partition_point(|(n, _)| n.as_str() < query);
            for (name, topic) in self.sorted[start..]
                .iter()
                .take(MAX_PREFIX_SCAN)
                .take_while(|(n, _)| n.starts_with(query))
            {
                consider(name, *topic);
            }
        }

        let budget = edit_budget(len);
        if budget > 0 {
            let query_chars = char_set(query);
            let lengths = len.saturating_sub(budget)..=len + budget;
            for bucket in lengths.filter_map(|n| self.by_len.get(n)) {
                for entry in bucket {
                    if (entry.chars ^ query_chars).count_ones() as usize > 2 * budget {
                        continue;
                    }
                    let (name, topic) = &self.sorted[entry.name as usize];
                    // Prefix matches were already considered above.
                    if name.starts_with(query) {
                        continue;
                    }
                    if strsim::osa_distance(query, name) <= budget {
                        consider(name, *topic);
                    }
                }
            }
        }

        candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut topics = Vec::with_capacity(limit);
        for (_, _, topic) in candidates {
            if !topics.contains(&topic) {
                topics.push(topic);
                if topics.len() == limit {
                    break;
                }
            }
        }
        topics
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suggester(names: &[(&str, usize)]) -> Suggester {
        Suggester::new(&names.iter().map(|&(n, t)| (n.to_owned(), t)).collect())
    }

    #[test]
    fn normalize_folds_case_spaces_and_underscores_into_kebab() {
        assert_eq!(normalize("  Bulgaria  Schengen "), "bulgaria-schengen");
        assert_eq!(normalize("bulgaria_schengen"), "bulgaria-schengen");
        assert_eq!(normalize("Nord -- Stream"), "nord-stream");
        assert_eq!(normalize(" \t "), "");
    }

    #[test]
    fn kebab_accepts_lowercase_words_joined_by_single_hyphens() {
        assert!(is_kebab("bulgaria-schengen"));
        assert!(is_kebab("mh17"));
        for bad in [
            "",
            "Bulgaria",
            "bulgaria--schengen",
            "-x",
            "x-",
            "a_b",
            "a b",
            "é",
        ] {
            assert!(!is_kebab(bad), "{bad:?} should not be kebab");
        }
    }

    #[test]
    fn char_set_difference_never_exceeds_twice_the_edit_distance() {
        let pairs = [
            ("schengen", "schnegen"),
            ("schengen", "shengen"),
            ("nord-stream", "nord-steam"),
            ("rwanda", "rwnada"),
            ("mh17", "mh71"),
            ("belarus", "bëlarus"),
        ];
        for (a, b) in pairs {
            let edits = strsim::osa_distance(a, b);
            let differ = (char_set(a) ^ char_set(b)).count_ones() as usize;
            assert!(differ <= 2 * edits, "{a} vs {b}: {differ} > 2 * {edits}");
        }
    }

    #[test]
    fn misspelling_suggests_the_closest_name_first() {
        let s = suggester(&[
            ("schengen", 0),
            ("schengen-area", 0),
            ("belarus", 1),
            ("shenzhen", 2),
        ]);
        assert_eq!(s.suggest("shengen", 3), vec![0, 2]);
    }

    #[test]
    fn prefix_of_a_name_is_a_suggestion() {
        let s = suggester(&[("nord-stream", 0), ("nordic-council", 1), ("mh17", 2)]);
        assert_eq!(s.suggest("nord", 3), vec![0, 1]);
    }

    #[test]
    fn nonsense_and_tiny_queries_suggest_nothing() {
        let s = suggester(&[("schengen", 0), ("belarus", 1)]);
        assert!(s.suggest("xqzvw", 3).is_empty());
        assert!(s.suggest("sc", 3).is_empty());
        assert!(s.suggest("", 3).is_empty());
    }

    #[test]
    fn suggestions_are_capped_and_name_each_topic_once() {
        let s = suggester(&[
            ("rwanda", 0),
            ("rwanda-plan", 0),
            ("rwandan", 1),
            ("ruanda", 2),
            ("rwanka", 3),
        ]);
        let got = s.suggest("rwanda", 3);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], 0);
    }
}
