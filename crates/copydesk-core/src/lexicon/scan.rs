//! One Aho-Corasick automaton over every term and exception of a lexicon.

use std::collections::HashMap;
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::pattern::{ClassSet, Step, Term, compile_rest, match_rest};
use super::{Rule, WordClass};

/// One rule term found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index of the rule in its lexicon (`Lexicon::rule_of` resolves it).
    pub rule: usize,
    /// Byte range of the matched words in the scanned text.
    pub span: Range<usize>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    rule: usize,
    exception: bool,
    wildcard: bool,
    /// For a pattern's anchor: the index of the steps that must follow it.
    rest: Option<usize>,
}

#[derive(Debug)]
pub(super) struct Scanner {
    automaton: Option<AhoCorasick>,
    /// Per automaton pattern: every rule term or exception spelled that way.
    entries: Vec<Vec<Entry>>,
    /// What follows each pattern's anchor.
    rests: Vec<Vec<Step>>,
    classes: Vec<ClassSet>,
    /// Longest exception in bytes, bounding the look-back for exceptions.
    longest_exception: usize,
}

/// A problem with a term found when compiling: rule index, term index, message.
pub(super) type Problem = (usize, usize, String);

impl Scanner {
    pub(super) fn new(rules: &[Rule], classes: &[WordClass]) -> Result<Scanner, Vec<Problem>> {
        let class_index: HashMap<&str, usize> = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.as_str(), i))
            .collect();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut entries: Vec<Vec<Entry>> = Vec::new();
        let mut rests: Vec<Vec<Step>> = Vec::new();
        let mut problems = Vec::new();
        let mut longest_exception = 0;
        for (rule, r) in rules.iter().enumerate() {
            let all = r
                .terms
                .iter()
                .map(|t| (t, false))
                .chain(r.exceptions.iter().map(|t| (t, true)));
            for (term_index, (term, exception)) in all.enumerate() {
                let parsed = match Term::parse(term) {
                    Ok(parsed) => parsed,
                    Err(m) => {
                        problems.push((rule, term_index, format!("term {term:?}: {m}")));
                        continue;
                    }
                };
                let rest = if parsed.is_pattern() {
                    match compile_rest(parsed.rest(), &class_index) {
                        Ok(steps) => {
                            rests.push(steps);
                            Some(rests.len() - 1)
                        }
                        Err(m) => {
                            problems.push((rule, term_index, format!("term {term:?}: {m}")));
                            continue;
                        }
                    }
                } else {
                    None
                };
                for stem in parsed.anchors() {
                    let mut spellings = vec![stem.clone()];
                    if stem.contains('\'') {
                        spellings.push(stem.replace('\'', "\u{2019}"));
                    }
                    for spelling in spellings {
                        if exception {
                            longest_exception = longest_exception.max(spelling.len() + 64);
                        }
                        let slot = *index.entry(spelling.clone()).or_insert_with(|| {
                            patterns.push(spelling);
                            entries.push(Vec::new());
                            patterns.len() - 1
                        });
                        entries[slot].push(Entry {
                            rule,
                            exception,
                            wildcard: parsed.wildcard,
                            rest,
                        });
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        // A contiguous NFA: over the lexicon's ~11,000 case-insensitive spellings a DFA
        // took about 23 MB, most of the bot's own memory, for a few per cent of scan speed.
        let automaton = (!patterns.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(&patterns)
                .expect("lexicon automaton builds")
        });
        let classes = classes
            .iter()
            .map(|c| ClassSet::new(c.terms.iter().map(String::as_str)))
            .collect();
        Ok(Scanner {
            automaton,
            entries,
            rests,
            classes,
            longest_exception,
        })
    }

    pub(super) fn scan(&self, text: &str) -> Vec<Hit> {
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        let mut hits = Vec::new();
        let mut exceptions: Vec<Hit> = Vec::new();
        for m in automaton.find_overlapping_iter(text) {
            let (start, end) = (m.start(), m.end());
            if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
                continue;
            }
            let matched = &text[start..end];
            let starts_word = matched.chars().next().is_some_and(is_word);
            if starts_word && text[..start].chars().next_back().is_some_and(is_word) {
                continue;
            }
            let ends_word = matched.chars().next_back().is_some_and(is_word);
            let word_continues = text[end..].chars().next().is_some_and(is_word);
            let extended = end + word_len(&text[end..]);
            for entry in &self.entries[m.pattern().as_usize()] {
                let end = if entry.wildcard {
                    extended
                } else if ends_word && word_continues {
                    continue;
                } else if let Some(rest) = entry.rest {
                    match match_rest(text, end, &self.rests[rest], &self.classes) {
                        Some(end) => end,
                        None => continue,
                    }
                } else {
                    end
                };
                let hit = Hit {
                    rule: entry.rule,
                    span: start..end,
                };
                if entry.exception {
                    exceptions.push(hit);
                } else {
                    hits.push(hit);
                }
            }
        }
        exceptions.sort_by_key(|h| (h.span.start, h.span.end));
        hits.sort_by(|a, b| {
            (a.span.start, std::cmp::Reverse(a.span.end), a.rule).cmp(&(
                b.span.start,
                std::cmp::Reverse(b.span.end),
                b.rule,
            ))
        });
        hits.dedup();
        if !exceptions.is_empty() {
            hits.retain(|hit| !self.excepted(hit, &exceptions));
        }
        hits
    }

    /// Whether an exception of the hit's rule covers the hit.
    fn excepted(&self, hit: &Hit, exceptions: &[Hit]) -> bool {
        let from = hit.span.end.saturating_sub(self.longest_exception);
        let first = exceptions.partition_point(|e| e.span.start < from);
        exceptions[first..]
            .iter()
            .take_while(|e| e.span.start <= hit.span.start)
            .any(|e| e.rule == hit.rule && e.span.end >= hit.span.end)
    }
}

/// Letters and digits make words; apostrophes, hyphens and punctuation separate them.
pub(crate) fn is_word(c: char) -> bool {
    c.is_alphanumeric()
}

fn word_len(text: &str) -> usize {
    text.char_indices()
        .find(|&(_, c)| !is_word(c))
        .map_or(text.len(), |(i, _)| i)
}
