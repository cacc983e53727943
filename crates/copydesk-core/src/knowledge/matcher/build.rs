//! Building the matcher: every allegation's terms as automaton patterns, and each
//! allegation's anchor group.

use std::collections::hash_map::Entry;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use rustc_hash::FxHashMap;

use super::terms::parse_term;
use super::{Known, MAX_GROUPS, Matcher, TermRef};
use crate::knowledge::Topic;

/// Up to this many distinct patterns the matcher is built as a DFA (see `MatcherBuilder::build`).
const DFA_MAX_PATTERNS: usize = 3_000;

/// Collects the allegations' terms one topic at a time, so that a loader can do it while
/// later topics are still being read; [`MatcherBuilder::build`] then makes the automaton.
pub(in crate::knowledge) struct MatcherBuilder {
    pattern_ids: FxHashMap<String, u32>,
    patterns: Vec<String>,
    /// Most terms ("russia*", "smuggl*") recur across allegations: each is parsed once.
    parsed: FxHashMap<String, (Vec<u32>, bool)>,
    known: Vec<Known>,
    group_starts: Vec<u32>,
    terms: Vec<TermRef>,
    topics: u32,
}

impl Default for MatcherBuilder {
    fn default() -> Self {
        MatcherBuilder {
            pattern_ids: FxHashMap::default(),
            patterns: Vec::new(),
            parsed: FxHashMap::default(),
            known: Vec::new(),
            group_starts: vec![0],
            terms: Vec::new(),
            topics: 0,
        }
    }
}

impl MatcherBuilder {
    /// Adds the next topic of the knowledge base. Terms that do not parse are skipped; the
    /// loader has already reported them.
    pub(in crate::knowledge) fn add_topic(&mut self, topic: &Topic) {
        let t = self.topics;
        self.topics += 1;
        for (a, allegation) in topic.allegations.iter().enumerate() {
            let first_group = self.group_starts.len() as u32 - 1;
            for group in allegation.match_all.iter().take(MAX_GROUPS) {
                for raw in group {
                    let (ids, prefix) = match self.parsed.get(raw.as_str()) {
                        Some(known) => known,
                        None => {
                            let parsed = self.parse(raw);
                            self.parsed.entry(raw.clone()).or_insert(parsed)
                        }
                    };
                    self.terms.extend(ids.iter().map(|&pattern| TermRef {
                        pattern,
                        prefix: *prefix,
                    }));
                }
                self.group_starts.push(self.terms.len() as u32);
            }
            let groups = first_group..self.group_starts.len() as u32 - 1;
            // An allegation without terms can never be restated; leave it out.
            if !groups.is_empty() {
                self.known.push(Known {
                    topic: t,
                    allegation: a as u32,
                    groups,
                });
            }
        }
    }

    /// The pattern ids of a term's spellings, and whether it is a prefix term.
    fn parse(&mut self, raw: &str) -> (Vec<u32>, bool) {
        let Ok(term) = parse_term(raw) else {
            return (Vec::new(), false);
        };
        let ids = term
            .spellings()
            .into_iter()
            .map(|spelling| match self.pattern_ids.entry(spelling) {
                Entry::Occupied(e) => *e.get(),
                Entry::Vacant(e) => {
                    let id = self.patterns.len() as u32;
                    self.patterns.push(e.key().clone());
                    e.insert(id);
                    id
                }
            })
            .collect();
        (ids, term.prefix)
    }

    /// Chooses each allegation's anchor and builds the automaton.
    pub(in crate::knowledge) fn build(self) -> Result<Matcher, String> {
        let MatcherBuilder {
            patterns,
            known,
            group_starts,
            terms,
            ..
        } = self;
        // How many terms, across all allegations, each pattern serves.
        let mut popularity = vec![0u32; patterns.len()];
        for term in &terms {
            popularity[term.pattern as usize] += 1;
        }
        let group_terms = |g: u32| {
            &terms[group_starts[g as usize] as usize..group_starts[g as usize + 1] as usize]
        };
        let mut anchors: Vec<(u32, u32)> = Vec::new();
        for (number, k) in known.iter().enumerate() {
            let cost = |g: &u32| -> u64 {
                let terms = group_terms(*g);
                if terms.is_empty() {
                    // A group whose every term was invalid cannot match; anchoring on it
                    // keeps the allegation out of every candidate list.
                    return 0;
                }
                terms
                    .iter()
                    .map(|t| u64::from(popularity[t.pattern as usize]))
                    .sum()
            };
            if let Some(anchor) = k.groups.clone().min_by_key(cost) {
                anchors.extend(
                    group_terms(anchor)
                        .iter()
                        .map(|t| (t.pattern, number as u32)),
                );
            }
        }
        anchors.sort_unstable();
        anchors.dedup();
        let mut anchor_starts = Vec::with_capacity(patterns.len() + 1);
        let mut next = 0;
        for p in 0..patterns.len() as u32 {
            anchor_starts.push(next as u32);
            while next < anchors.len() && anchors[next].0 == p {
                next += 1;
            }
        }
        anchor_starts.push(next as u32);
        let anchored = anchors.into_iter().map(|(_, number)| number).collect();

        // A DFA scans text faster than the default contiguous NFA, but takes far longer to
        // build and more memory as patterns grow: small and medium files get the DFA, large
        // ones keep load time short.
        let kind = (patterns.len() <= DFA_MAX_PATTERNS).then_some(AhoCorasickKind::DFA);
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(kind)
            .build(&patterns)
            .map_err(|e| format!("cannot build the allegation matcher: {e}"))?;
        Ok(Matcher {
            automaton,
            known,
            group_starts,
            terms,
            anchor_starts,
            anchored,
        })
    }
}
