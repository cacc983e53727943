//! Weak labels from an attribution corpus in brat standoff (PolNeAR's format).
//!
//! What journalists attribute is what needs attribution; what they write in their own
//! voice mostly does not. So:
//!
//! - **positive** ("needs attribution"): the content of an attribution whose cue asserts
//!   something ("said", "claimed", "accused", "found", "according to" — not "asked",
//!   "wants", "hopes"), when the content is clause-like: at least [`MIN_WORDS`] words, a
//!   finite verb, no cue nested inside it (that would make it an attribution itself), not
//!   in the first person (a speaker's "we will win" is not a claim about anyone). A leading
//!   "that" and outer quotes are stripped, so the content reads like a sentence said in
//!   one's own voice;
//! - **negative**: a sentence of the article that overlaps no annotation at all, with the
//!   same clause test.
//!
//! Pure functions over strings; the caller reads the files.

mod brat;
mod clause;
mod cues;
mod sentences;

use std::collections::HashSet;
use std::ops::{AddAssign, Range};

use super::normalize::normalize;
use clause::{Reject, clause_check};

pub use brat::{Annotations, Relation, Span, parse_ann};
pub use cues::{has_speech_cue, is_asserting_cue};
pub use sentences::sentences;

/// Content spans and sentences shorter than this many words are not used.
pub const MIN_WORDS: usize = 6;

/// How many candidates each filter dropped, for the training report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LabelStats {
    pub relations: usize,
    pub no_content_or_cue: usize,
    pub non_asserting_cue: usize,
    pub nested_cue: usize,
    pub too_short: usize,
    pub no_finite_verb: usize,
    pub first_person: usize,
    pub positives: usize,
    pub sentences: usize,
    pub overlapping: usize,
    pub unannotated_cue: usize,
    pub short_or_verbless_sentences: usize,
    pub negatives: usize,
    pub duplicates: usize,
    pub out_of_range: usize,
}

impl AddAssign for LabelStats {
    fn add_assign(&mut self, o: LabelStats) {
        self.relations += o.relations;
        self.no_content_or_cue += o.no_content_or_cue;
        self.non_asserting_cue += o.non_asserting_cue;
        self.nested_cue += o.nested_cue;
        self.too_short += o.too_short;
        self.no_finite_verb += o.no_finite_verb;
        self.first_person += o.first_person;
        self.positives += o.positives;
        self.sentences += o.sentences;
        self.overlapping += o.overlapping;
        self.unannotated_cue += o.unannotated_cue;
        self.short_or_verbless_sentences += o.short_or_verbless_sentences;
        self.negatives += o.negatives;
        self.duplicates += o.duplicates;
        self.out_of_range += o.out_of_range;
    }
}

/// The weak labels of one article.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ArticleLabels {
    pub positives: Vec<String>,
    pub negatives: Vec<String>,
    pub stats: LabelStats,
}

/// Weak labels for one article from every annotator's annotations of it. Texts are
/// returned as they appear in the article (after stripping "that" and outer quotes);
/// the trainer normalises them. Duplicates (two annotators, one span) are kept once.
pub fn article_labels(article: &str, annotators: &[Annotations]) -> ArticleLabels {
    let mut out = ArticleLabels::default();
    // Character offsets to byte offsets (one past the end allowed).
    let mut byte_at: Vec<usize> = article.char_indices().map(|(i, _)| i).collect();
    byte_at.push(article.len());
    let to_bytes = |r: &Range<usize>| -> Option<Range<usize>> {
        Some(*byte_at.get(r.start)?..*byte_at.get(r.end)?)
    };

    let mut seen: HashSet<String> = HashSet::new();
    let mut covered: Vec<Range<usize>> = Vec::new();
    for ann in annotators {
        for span in &ann.spans {
            for r in &span.ranges {
                match to_bytes(r) {
                    Some(b) => covered.push(b),
                    None => out.stats.out_of_range += 1,
                }
            }
        }
        for relation in &ann.relations {
            out.stats.relations += 1;
            let (Some(content), Some(cue)) = (relation.content, relation.cue) else {
                out.stats.no_content_or_cue += 1;
                continue;
            };
            let (content, cue) = (&ann.spans[content], &ann.spans[cue]);
            let Some(cue_text) = join(article, &cue.ranges, &to_bytes) else {
                out.stats.out_of_range += 1;
                continue;
            };
            if !is_asserting_cue(&cue_text) {
                out.stats.non_asserting_cue += 1;
                continue;
            }
            let nested = ann.spans.iter().any(|other| {
                other.kind == "Cue"
                    && !std::ptr::eq(other, cue)
                    && other.ranges.iter().any(|o| {
                        content
                            .ranges
                            .iter()
                            .any(|c| c.start <= o.start && o.end <= c.end)
                    })
            });
            let Some(text) = join(article, &content.ranges, &to_bytes) else {
                out.stats.out_of_range += 1;
                continue;
            };
            // Annotators often leave a nested attribution unmarked ("he says he will
            // ..."): a speech verb inside the content counts as a nested cue too.
            if nested || has_speech_cue(&text) {
                out.stats.nested_cue += 1;
                continue;
            }
            let text = strip_that(&text);
            match clause_check(text) {
                Err(reason) => reason.count(&mut out.stats),
                Ok(()) => {
                    if seen.insert(normalize(text)) {
                        out.stats.positives += 1;
                        out.positives.push(text.to_owned());
                    } else {
                        out.stats.duplicates += 1;
                    }
                }
            }
        }
    }

    covered.sort_by_key(|r| r.start);
    for sentence in sentences(article) {
        out.stats.sentences += 1;
        let overlaps = covered
            .iter()
            .take_while(|c| c.start < sentence.end)
            .any(|c| c.end > sentence.start);
        if overlaps {
            out.stats.overlapping += 1;
            continue;
        }
        let text = article[sentence].trim();
        if has_speech_cue(text) {
            // An attribution the annotators missed: not the author's own voice.
            out.stats.unannotated_cue += 1;
            continue;
        }
        match clause_check(text) {
            Err(Reject::FirstPerson) | Ok(()) => {
                // First-person narration is still the author's own voice.
                if seen.insert(normalize(text)) {
                    out.stats.negatives += 1;
                    out.negatives.push(text.to_owned());
                } else {
                    out.stats.duplicates += 1;
                }
            }
            Err(_) => out.stats.short_or_verbless_sentences += 1,
        }
    }
    out
}

/// The text of discontinuous `ranges`, each piece stripped of outer quotes and commas,
/// joined by spaces.
fn join(
    article: &str,
    ranges: &[Range<usize>],
    to_bytes: &impl Fn(&Range<usize>) -> Option<Range<usize>>,
) -> Option<String> {
    let mut pieces = Vec::with_capacity(ranges.len());
    for r in ranges {
        let piece = article.get(to_bytes(r)?)?;
        let piece = piece.trim_matches(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    '"' | '\u{201c}' | '\u{201d}' | ',' | '\u{2018}' | '\u{2019}' | '\''
                )
        });
        if !piece.is_empty() {
            pieces.push(piece);
        }
    }
    Some(pieces.join(" "))
}

/// Removes a leading "that" (the complementiser after the cue) and outer quotes.
fn strip_that(text: &str) -> &str {
    let quotes = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '"' | '\u{201c}' | '\u{201d}' | '\u{2018}' | '\u{2019}' | '\''
            )
    };
    let text = text.trim_matches(quotes);
    let lower = text.get(..5).map(str::to_ascii_lowercase);
    match lower.as_deref() {
        Some("that ") => text[5..].trim_matches(quotes),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn that_and_quotes_are_stripped() {
        assert_eq!(strip_that("that the council lied"), "the council lied");
        assert_eq!(
            strip_that("\u{201c}The council lied.\u{201d}"),
            "The council lied."
        );
        assert_eq!(strip_that("thatcher won"), "thatcher won");
    }

    #[test]
    fn brat_annotations_become_weak_labels() {
        // Offsets count characters: the curly quote before "Council" is one.
        let article = "Title line\n\nThe auditor said that the council treasurer hid losses from the pension board. \
The park will reopen next spring after the city finishes new paths. \
\u{201c}Council members broke the rules again and again,\u{201d} the mayor said. \
She asked whether the council would publish its minutes next week.";
        let find = |s: &str| {
            let b = article.find(s).unwrap();
            let start = article[..b].chars().count();
            start..start + s.chars().count()
        };
        let content1 = find("that the council treasurer hid losses from the pension board");
        let cue1 = find("said");
        let content2 = find("Council members broke the rules again and again");
        let cue2 = find("said.");
        let cue2 = cue2.start..cue2.end - 1;
        let content3 = find("whether the council would publish its minutes next week");
        let cue3 = find("asked");
        let ann_text = format!(
            "T1\tCue {} {}\tsaid\nT2\tContent {} {}\tx\nE1\tAttribution:T1 Content:T2 Cue:T1\n\
T3\tCue {} {}\tsaid\nT4\tContent {} {}\tx\nE2\tAttribution:T3 Content:T4 Cue:T3\n\
T5\tCue {} {}\tasked\nT6\tContent {} {}\tx\nE3\tAttribution:T5 Content:T6 Cue:T5\nstray line\n",
            cue1.start,
            cue1.end,
            content1.start,
            content1.end,
            cue2.start,
            cue2.end,
            content2.start,
            content2.end,
            cue3.start,
            cue3.end,
            content3.start,
            content3.end,
        );
        let (ann, problems) = parse_ann(&ann_text);
        assert_eq!(problems, ["line 10: not an annotation"]);
        assert_eq!(ann.relations.len(), 3);
        let labels = article_labels(article, &[ann.clone(), ann]);
        assert_eq!(
            labels.positives,
            [
                "the council treasurer hid losses from the pension board",
                "Council members broke the rules again and again"
            ]
        );
        assert_eq!(
            labels.negatives,
            ["The park will reopen next spring after the city finishes new paths."]
        );
        assert_eq!(labels.stats.non_asserting_cue, 2);
        assert_eq!(labels.stats.duplicates, 2);
    }
}
