//! Recognising a known allegation restated in free text.
//!
//! Each allegation lists groups of match terms; it is restated when every group has a term
//! somewhere in the text. All terms of all allegations go into one Aho-Corasick automaton
//! built when the file is loaded, so checking a message is one pass over its bytes. The
//! work after that depends on which terms the text contains and how many allegations are
//! anchored on them (see `Matcher`), never on a scan over every allegation.

use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::{Allegation, KnowledgeBase, Topic};

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

/// Up to this many distinct patterns the matcher is built as a DFA (see `MatcherBuilder::build`).
const DFA_MAX_PATTERNS: usize = 3_000;

/// Up to this many candidates are deduplicated by sorting, more with a bitset.
const DEDUP_BY_SORT: usize = 64;

/// At most this many groups per allegation; more is surely a mistake in the file.
pub(super) const MAX_GROUPS: usize = 64;

/// A match term as the matcher uses it: `smuggl*` is the prefix `smuggl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Term {
    /// Lowercase, with straight apostrophes.
    literal: String,
    /// A trailing `*`: matches any word that starts with `literal`.
    prefix: bool,
}

/// Checks one term as written in the file and returns it as the matcher uses it.
pub(super) fn parse_term(raw: &str) -> Result<Term, String> {
    let (body, prefix) = check_term(raw)?;
    let literal = body
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if is_apostrophe(c) { '\'' } else { c })
        .collect();
    Ok(Term { literal, prefix })
}

/// Checks one term as written in the file, without allocating unless it is wrong: the
/// term without its `*`, and whether it had one. The error says how to fix it.
pub(super) fn check_term(raw: &str) -> Result<(&str, bool), String> {
    let term = raw.trim();
    if term.is_empty() {
        return Err("empty match term; write a word or phrase, or remove it".to_owned());
    }
    let (body, prefix) = match term.strip_suffix('*') {
        Some(body) => (body, true),
        None => (term, false),
    };
    if body.contains('*') {
        return Err(format!(
            "match term {raw:?} has \"*\" before its end; \"*\" may only end a term (smuggl* matches smuggler and smuggling)"
        ));
    }
    if let Some(c) = body
        .chars()
        .find(|&c| !(c.is_alphanumeric() || c == ' ' || c == '-' || is_apostrophe(c)))
    {
        return Err(format!(
            "match term {raw:?} contains {c:?}; use letters, digits, single spaces, hyphens and apostrophes"
        ));
    }
    let starts_ok = body.chars().next().is_some_and(char::is_alphanumeric);
    let ends_ok = body.chars().next_back().is_some_and(char::is_alphanumeric);
    if !starts_ok || !ends_ok {
        return Err(format!(
            "match term {raw:?} must start and end with a letter or digit"
        ));
    }
    if body.contains("  ") {
        return Err(format!(
            "match term {raw:?} has a double space; separate words with one space"
        ));
    }
    if prefix && body.chars().count() < 3 {
        return Err(format!(
            "wildcard term {raw:?} would match too many words; give at least three letters before \"*\""
        ));
    }
    Ok((body, prefix))
}

impl Term {
    /// The spellings to search for: chat writes `russia’s` as often as `russia's`, and
    /// `people smuggling` as often as `people-smuggling`.
    fn spellings(&self) -> Vec<String> {
        let mut out = vec![self.literal.clone()];
        let mut add = |s: String| {
            if !out.contains(&s) {
                out.push(s);
            }
        };
        for base in [
            self.literal.replace('-', " "),
            self.literal.replace(' ', "-"),
        ] {
            if base.contains('\'') {
                add(base.replace('\'', "\u{2019}"));
            }
            add(base);
        }
        if self.literal.contains('\'') {
            add(self.literal.replace('\'', "\u{2019}"));
        }
        out
    }
}

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

/// Collects the allegations' terms one topic at a time, so that a loader can do it while
/// later topics are still being read; [`MatcherBuilder::build`] then makes the automaton.
pub(super) struct MatcherBuilder {
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
    pub(super) fn add_topic(&mut self, topic: &Topic) {
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
    pub(super) fn build(self) -> Result<Matcher, String> {
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

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02bc}')
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
mod tests {
    use super::*;
    use crate::fixtures::example_knowledge as example;

    /// A one-topic file whose single allegation has the given `match_all` groups.
    fn with_groups(match_all: &str) -> KnowledgeBase {
        let text = format!(
            r#"[[topic]]
slug = "t"
title = "T"
summary = "S"
updated = 2025-01-01
  [[topic.source]]
  id = "s"
  outlet = "O"
  title = "T"
  url = "https://o.example/"
  date = 2025-01-01
  [[topic.allegation]]
  id = "a"
  claim = "C"
  made_by = {{ name = "N", role = "R" }}
  source = "s"
  status = "unproven"
  match_all = {match_all}
  attributed = "A"
"#
        );
        KnowledgeBase::parse("k.toml", &text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn ids(kb: &KnowledgeBase, text: &str) -> Vec<String> {
        kb.restated_allegations(text)
            .iter()
            .map(|h| format!("{}/{}", h.topic.slug, h.allegation.id))
            .collect()
    }

    fn fires(kb: &KnowledgeBase, text: &str) -> bool {
        !kb.restated_allegations(text).is_empty()
    }

    #[test]
    fn chat_restatements_of_mitovs_allegations_are_recognised() {
        let kb = example();
        for (text, expected) in [
            (
                "russian intelligence is helping smugglers",
                "russia-intelligence-smugglers",
            ),
            (
                "so russia's spies are basically running the smuggling routes now",
                "russia-intelligence-smugglers",
            ),
            (
                "The SVR is in bed with the people-traffickers, apparently",
                "russia-intelligence-smugglers",
            ),
            (
                "Kremlin agents paying off smuggling gangs? wild",
                "russia-intelligence-smugglers",
            ),
            (
                "moscow trains migrants to dodge deportation",
                "russia-coaching-deportation",
            ),
            (
                "Russia is coaching asylum seekers on beating deportation orders",
                "russia-coaching-deportation",
            ),
            (
                "those ngos are useful idiots for putin",
                "ngos-useful-idiots",
            ),
            (
                "open borders activists are basically Moscow's pawns",
                "ngos-useful-idiots",
            ),
        ] {
            assert_eq!(
                ids(&kb, text),
                [format!("bulgaria-schengen/{expected}")],
                "{text}"
            );
        }
    }

    #[test]
    fn neutral_sentences_restate_nothing() {
        let kb = example();
        for text in [
            "Bulgaria joined Schengen in January 2025",
            "Mitov is the interior minister",
            "Bulgaria's border with Turkey is 161 miles long",
            "Police arrested three smugglers near the Turkish border",
            "Russian gas prices rose again this winter",
            "Starmer hosted a summit on migration in London",
            "",
        ] {
            assert_eq!(ids(&kb, text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn every_group_must_match() {
        let kb = example();
        assert!(!fires(&kb, "russian intelligence is everywhere"));
        assert!(!fires(&kb, "smugglers and spies, a thriller"));
        assert!(fires(&kb, "smugglers and russian spies, a thriller"));
    }

    #[test]
    fn plain_terms_match_whole_words_only() {
        let kb = with_groups(r#"[["svr"], ["spy"]]"#);
        assert!(fires(&kb, "the SVR has a spy"));
        assert!(!fires(&kb, "the SVRX has a spy"));
        assert!(!fires(&kb, "the SVR has a spyglass"));
        assert!(!fires(&kb, "the xSVR has a spy"));
        assert!(fires(&kb, "(SVR) spy!"));
        assert!(fires(&kb, "svr-backed spy"));
    }

    #[test]
    fn wildcard_matches_any_word_ending_but_not_inside_words() {
        let kb = with_groups(r#"[["russia*"], ["smuggl*"]]"#);
        assert!(fires(&kb, "Russian smugglers"));
        assert!(fires(&kb, "russia smuggles"));
        assert!(!fires(&kb, "Prussian smugglers"));
        assert!(!fires(&kb, "Russian desmugglers"));
    }

    #[test]
    fn possessive_apostrophes_end_a_word_but_contractions_do_not() {
        let kb = with_groups(r#"[["russia"], ["don"]]"#);
        assert!(fires(&kb, "russia's don"));
        assert!(fires(&kb, "Russia’s Don"));
        assert!(fires(&kb, "the don of 'russia'"));
        assert!(!fires(&kb, "russia don't"));
        assert!(!fires(&kb, "russia o'don"));
    }

    #[test]
    fn phrases_match_with_spaces_hyphens_and_either_apostrophe() {
        let kb = with_groups(r#"[["people smuggling"], ["russia's"]]"#);
        assert!(fires(&kb, "people-smuggling by russia's agents"));
        assert!(fires(&kb, "People smuggling by Russia’s agents"));
        assert!(!fires(&kb, "people smuggle by russia's agents"));
    }

    #[test]
    fn span_covers_the_matched_terms() {
        let kb = example();
        let text = "lol so russia's spies are basically running the smuggling routes now";
        let hits = kb.restated_allegations(text);
        assert_eq!(hits.len(), 1);
        assert_eq!(
            &text[hits[0].span.clone()],
            "russia's spies are basically running the smuggling"
        );
    }

    #[test]
    fn hits_come_in_text_order() {
        let kb = example();
        let text = "Those NGOs are Putin's useful idiots. Also Moscow coaches migrants on avoiding deportation.";
        assert_eq!(
            ids(&kb, text),
            [
                "bulgaria-schengen/ngos-useful-idiots",
                "bulgaria-schengen/russia-coaching-deportation"
            ]
        );
    }

    #[test]
    fn unicode_and_megabyte_inputs_do_not_panic() {
        let kb = example();
        let chunk = "“Russia’s spies” 🕵️‍♂️ run the smuggling — naïve café ßtraße ";
        let mut text = String::new();
        while text.len() < 1_000_000 {
            text.push_str(chunk);
        }
        let hits = kb.restated_allegations(&text);
        assert_eq!(hits.len(), 1);
        assert!(text.get(hits[0].span.clone()).is_some());
        for cut in 0..chunk.len() {
            if let Some(part) = chunk.get(..cut) {
                let _ = kb.restated_allegations(part);
            }
        }
    }

    #[test]
    fn terms_are_checked_when_the_file_is_loaded() {
        assert!(parse_term("smuggl*").is_ok_and(|t| t.prefix && t.literal == "smuggl"));
        assert!(parse_term("Russia’s").is_ok_and(|t| !t.prefix && t.literal == "russia's"));
        assert!(parse_term("erdoğan*").is_ok());
        for bad in [
            "",
            "  ",
            "*",
            "a*",
            "smu*ggl",
            "lock-out!",
            "-dash",
            "two  spaces",
            "u.s.",
        ] {
            assert!(parse_term(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
