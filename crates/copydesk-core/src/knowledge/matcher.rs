//! Recognising a known allegation restated in free text.
//!
//! Each allegation lists groups of match terms; it is restated when every group has a term
//! somewhere in the text. All terms of all allegations go into one Aho-Corasick automaton
//! built when the file is loaded, so checking a message is one pass over its bytes. The
//! work after that depends on which terms the text contains and how many allegations are
//! anchored on them (see `Matcher`), never on a scan over every allegation.

mod build;
mod terms;

use std::ops::Range;

use aho_corasick::AhoCorasick;

use super::{Allegation, KnowledgeBase, Topic};
use terms::is_apostrophe;

pub(super) use build::MatcherBuilder;
pub(super) use terms::check_term;

/// An allegation from the knowledge file that a text restates.
#[derive(Debug, Clone)]
pub struct AllegationHit<'a> {
    pub topic: &'a Topic,
    pub allegation: &'a Allegation,
    /// Byte range of the text from the first to the last matched term (one term per group).
    pub span: Range<usize>,
}

impl KnowledgeBase {
    /// Every allegation whose match groups all occur in `text`, in order of where the
    /// restatement starts. Says nothing about attribution; that is the checker's job.
    pub fn restated_allegations(&self, text: &str) -> Vec<AllegationHit<'_>> {
        self.matcher
            .find(text)
            .into_iter()
            .map(|(topic, allegation, span)| {
                let topic = &self.topics[topic];
                AllegationHit {
                    topic,
                    allegation: &topic.allegations[allegation],
                    span,
                }
            })
            .collect()
    }
}

/// Up to this many candidates are deduplicated by sorting, more with a bitset.
const DEDUP_BY_SORT: usize = 64;

/// At most this many groups per allegation; more is surely a mistake in the file.
pub(super) const MAX_GROUPS: usize = 64;

/// One term of one group, as the automaton pattern it is searched with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TermRef {
    pattern: u32,
    prefix: bool,
}

/// An allegation the matcher knows, as indices into the knowledge base.
#[derive(Debug, Clone)]
struct Known {
    topic: u32,
    allegation: u32,
    /// Its groups, as a range of `Matcher::group_starts`.
    groups: Range<u32>,
}

/// The automaton over every allegation's terms, and what each of its patterns means.
///
/// Each allegation has an *anchor*: the group whose terms the fewest other allegations use.
/// Only a hit on an anchor term makes an allegation a candidate, and only candidates have
/// their other groups checked. A word as common as "russia" then costs nothing for the
/// allegations that are anchored on something rarer.
#[derive(Debug, Clone)]
pub(super) struct Matcher {
    automaton: AhoCorasick,
    known: Vec<Known>,
    /// Group `g` holds `terms[group_starts[g]..group_starts[g + 1]]`.
    group_starts: Vec<u32>,
    terms: Vec<TermRef>,
    /// Pattern `p` anchors the allegations `anchored[anchor_starts[p]..anchor_starts[p + 1]]`.
    anchor_starts: Vec<u32>,
    anchored: Vec<u32>,
}

/// Where a pattern first occurs in one text.
#[derive(Debug, Clone, Default)]
struct FirstHits {
    /// First occurrence at the start of a word, extended to the end of that word: what a
    /// prefix term (`smuggl*`) matches.
    prefix: Option<Range<usize>>,
    /// First occurrence as a whole word: what a plain term matches.
    whole: Option<Range<usize>>,
}

impl Matcher {
    /// `(topic index, allegation index, span)` of every allegation restated in `text`.
    fn find(&self, text: &str) -> Vec<(usize, usize, Range<usize>)> {
        let hits = Hits::collect(self, text);
        if hits.first.is_empty() {
            return Vec::new();
        }
        let mut candidates: Vec<u32> = hits
            .first
            .iter()
            .flat_map(|&(p, _)| {
                let p = p as usize;
                &self.anchored[self.anchor_starts[p] as usize..self.anchor_starts[p + 1] as usize]
            })
            .copied()
            .collect();
        if candidates.len() <= DEDUP_BY_SORT {
            candidates.sort_unstable();
            candidates.dedup();
        } else {
            // A common word ("moscow") can anchor hundreds of allegations in a large file;
            // a bitset removes repeats in one pass where sorting them would dominate.
            let mut seen = vec![0u64; self.known.len().div_ceil(64)];
            candidates.retain(|&n| {
                let (word, bit) = (n as usize / 64, 1u64 << (n % 64));
                let new = seen[word] & bit == 0;
                seen[word] |= bit;
                new
            });
        }

        let mut found: Vec<(usize, usize, Range<usize>)> = candidates
            .into_iter()
            .filter_map(|number| {
                let known = &self.known[number as usize];
                self.restated(known, &hits)
                    .map(|span| (known.topic as usize, known.allegation as usize, span))
            })
            .collect();
        found.sort_by_key(|&(topic, allegation, ref span)| (span.start, topic, allegation));
        found
    }

    fn group(&self, g: u32) -> &[TermRef] {
        &self.terms
            [self.group_starts[g as usize] as usize..self.group_starts[g as usize + 1] as usize]
    }

    /// The span from the earliest hit of each group, if every group has one.
    fn restated(&self, known: &Known, hits: &Hits) -> Option<Range<usize>> {
        // Most candidates fail; rule them out with the bitsets before looking at spans.
        if !known
            .groups
            .clone()
            .all(|g| self.group(g).iter().any(|&t| hits.has(t)))
        {
            return None;
        }
        let mut span: Option<Range<usize>> = None;
        for g in known.groups.clone() {
            let earliest = self
                .group(g)
                .iter()
                .filter_map(|t| {
                    let first = hits.first(t.pattern)?;
                    if t.prefix {
                        first.prefix.clone()
                    } else {
                        first.whole.clone()
                    }
                })
                .min_by_key(|r| r.start)?;
            span = Some(match span {
                None => earliest,
                Some(s) => s.start.min(earliest.start)..s.end.max(earliest.end),
            });
        }
        span
    }
}

/// Which patterns one text contains, and where each first occurs.
struct Hits {
    /// Each pattern found, with where it first occurs, ordered by pattern.
    first: Vec<(u32, FirstHits)>,
    /// Bit `p` is set when pattern `p` starts a word somewhere (`prefix`) or is a whole
    /// word somewhere (`whole`): one cheap test per term when checking a candidate.
    prefix: Vec<u64>,
    whole: Vec<u64>,
}

impl Hits {
    fn collect(matcher: &Matcher, text: &str) -> Hits {
        let mut hits = Hits {
            first: Vec::new(),
            prefix: Vec::new(),
            whole: Vec::new(),
        };
        // First occurrences, in the order found: as a prefix, and as a whole word.
        let mut prefixes: Vec<(u32, Range<usize>)> = Vec::new();
        let mut wholes: Vec<(u32, Range<usize>)> = Vec::new();
        for hit in matcher.automaton.find_overlapping_iter(text) {
            let (start, end) = (hit.start(), hit.end());
            if !starts_word(text, start) {
                continue;
            }
            if hits.prefix.is_empty() {
                // Most sentences contain no match term at all: allocate on the first hit.
                let words = matcher.automaton.patterns_len().div_ceil(64);
                hits.prefix = vec![0; words];
                hits.whole = vec![0; words];
            }
            let p = hit.pattern().as_usize();
            let bit = 1 << (p % 64);
            if hits.prefix[p / 64] & bit == 0 {
                hits.prefix[p / 64] |= bit;
                prefixes.push((p as u32, start..word_end(text, end)));
            }
            if hits.whole[p / 64] & bit == 0 && ends_word(text, end) {
                hits.whole[p / 64] |= bit;
                wholes.push((p as u32, start..end));
            }
        }
        // Each list holds a pattern at most once; join them by pattern. A pattern found as a
        // whole word was found as a prefix at the same time or earlier.
        prefixes.sort_unstable_by_key(|(p, _)| *p);
        wholes.sort_unstable_by_key(|(p, _)| *p);
        let mut wholes = wholes.into_iter().peekable();
        hits.first = prefixes
            .into_iter()
            .map(|(p, prefix)| {
                let whole = wholes.next_if(|(q, _)| *q == p).map(|(_, r)| r);
                let first = FirstHits {
                    prefix: Some(prefix),
                    whole,
                };
                (p, first)
            })
            .collect();
        hits
    }

    fn first(&self, pattern: u32) -> Option<&FirstHits> {
        let i = self
            .first
            .binary_search_by_key(&pattern, |&(p, _)| p)
            .ok()?;
        Some(&self.first[i].1)
    }

    fn has(&self, term: TermRef) -> bool {
        let p = term.pattern as usize;
        let bits = if term.prefix {
            &self.prefix
        } else {
            &self.whole
        };
        bits[p / 64] & (1 << (p % 64)) != 0
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Whether a word starts at byte `at`. An apostrophe between letters (`o'neill`) is inside
/// a word; one after a space or quote mark is not.
fn starts_word(text: &str, at: usize) -> bool {
    let Some(before) = text.get(..at) else {
        return false;
    };
    let mut before = before.chars().rev();
    match before.next() {
        None => true,
        Some(c) if is_apostrophe(c) => !before.next().is_some_and(is_word_char),
        Some(c) => !is_word_char(c),
    }
}

/// Whether a word ends at byte `at`. A possessive (`russia's`, `ngos'`) still ends the word
/// before the apostrophe; other letters after one (`don't`) continue it.
fn ends_word(text: &str, at: usize) -> bool {
    let Some(after) = text.get(at..) else {
        return false;
    };
    let mut after = after.chars();
    match after.next() {
        None => true,
        Some(c) if is_apostrophe(c) => match after.next() {
            Some('s' | 'S') => !after.next().is_some_and(is_word_char),
            Some(c) => !is_word_char(c),
            None => true,
        },
        Some(c) => !is_word_char(c),
    }
}

/// The byte offset where the word containing byte `at` ends.
fn word_end(text: &str, at: usize) -> usize {
    let rest = text.get(at..).unwrap_or("");
    at + rest
        .char_indices()
        .find(|&(_, c)| !is_word_char(c))
        .map_or(rest.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests;
