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

use std::collections::HashSet;
use std::ops::{AddAssign, Range};

use super::normalize::normalize;
use crate::lexicon::Grammar;

/// Content spans and sentences shorter than this many words are not used.
pub const MIN_WORDS: usize = 6;

/// One text-bound annotation (`T` line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub id: String,
    /// `Source`, `Cue`, `Content`, `Attribution`, …
    pub kind: String,
    /// Character (code point) offsets into the article; more than one when discontinuous.
    pub ranges: Vec<Range<usize>>,
}

/// One attribution relation (`E` line): indices into [`Annotations::spans`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Relation {
    pub content: Option<usize>,
    pub cue: Option<usize>,
    pub source: Option<usize>,
}

/// The annotations of one `.ann` file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Annotations {
    pub spans: Vec<Span>,
    pub relations: Vec<Relation>,
}

/// Parses a brat `.ann` file. Lines that cannot be read (brat writes a span's text with
/// its line breaks, so a multi-line span leaves stray lines) are skipped and reported as
/// `line N: problem`; relations pointing at unknown spans lose those roles.
pub fn parse_ann(text: &str) -> (Annotations, Vec<String>) {
    let mut ann = Annotations::default();
    let mut problems = Vec::new();
    let mut relation_lines: Vec<(usize, &str)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut fields = line.split('\t');
        let id = fields.next().unwrap_or("");
        let body = fields.next().unwrap_or("");
        match id.chars().next() {
            Some('T') => match parse_span(id, body) {
                Some(span) => ann.spans.push(span),
                None => problems.push(format!("line {line_no}: unreadable span {body:?}")),
            },
            Some('E') | Some('R') => relation_lines.push((line_no, body)),
            Some('#') | Some('A') | Some('M') | Some('N') => {}
            _ => problems.push(format!("line {line_no}: not an annotation")),
        }
    }
    for (line_no, body) in relation_lines {
        let mut relation = Relation::default();
        for arg in body.split_whitespace() {
            let Some((role, target)) = arg.split_once(':') else {
                continue;
            };
            let index = ann.spans.iter().position(|s| s.id == target);
            let slot = match role {
                "Content" => &mut relation.content,
                "Cue" => &mut relation.cue,
                "Source" => &mut relation.source,
                _ => continue,
            };
            if index.is_none() {
                problems.push(format!("line {line_no}: {role} {target} is not a span"));
            }
            *slot = index;
        }
        ann.relations.push(relation);
    }
    (ann, problems)
}

fn parse_span(id: &str, body: &str) -> Option<Span> {
    let (kind, offsets) = body.split_once(' ')?;
    let mut ranges = Vec::new();
    for piece in offsets.split(';') {
        let mut numbers = piece.split_whitespace().map(|n| n.parse::<usize>());
        let (Some(Ok(start)), Some(Ok(end)), None) =
            (numbers.next(), numbers.next(), numbers.next())
        else {
            return None;
        };
        if start > end {
            return None;
        }
        ranges.push(start..end);
    }
    Some(Span {
        id: id.to_owned(),
        kind: kind.to_owned(),
        ranges,
    })
}

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

/// Cue words that assert something is so.
const ASSERTING: &[&str] = &[
    "according",
    "accuse",
    "accused",
    "accuses",
    "accusing",
    "acknowledge",
    "acknowledged",
    "acknowledges",
    "add",
    "added",
    "adding",
    "adds",
    "admit",
    "admits",
    "admitted",
    "affirmed",
    "allege",
    "alleged",
    "alleges",
    "alleging",
    "announce",
    "announced",
    "announces",
    "argue",
    "argued",
    "argues",
    "arguing",
    "assert",
    "asserted",
    "asserts",
    "blame",
    "blamed",
    "blames",
    "boasted",
    "bragged",
    "charge",
    "charged",
    "charges",
    "claim",
    "claimed",
    "claiming",
    "claims",
    "complained",
    "complains",
    "conceded",
    "concluded",
    "concludes",
    "confirm",
    "confirmed",
    "confirms",
    "contend",
    "contended",
    "contends",
    "countered",
    "declare",
    "declared",
    "declares",
    "denied",
    "denies",
    "deny",
    "determined",
    "disclosed",
    "disputed",
    "disputes",
    "emphasized",
    "estimated",
    "estimates",
    "explain",
    "explained",
    "explains",
    "find",
    "finding",
    "finds",
    "found",
    "indicated",
    "indicates",
    "insist",
    "insisted",
    "insisting",
    "insists",
    "maintained",
    "maintains",
    "note",
    "noted",
    "notes",
    "noting",
    "observed",
    "pointed",
    "posted",
    "predicted",
    "predicts",
    "recalled",
    "recalls",
    "reiterated",
    "remarked",
    "repeated",
    "replied",
    "report",
    "reported",
    "reporting",
    "reports",
    "responded",
    "reveal",
    "revealed",
    "reveals",
    "said",
    "say",
    "saying",
    "says",
    "show",
    "showed",
    "showing",
    "shown",
    "shows",
    "stated",
    "states",
    "stressed",
    "suggest",
    "suggested",
    "suggesting",
    "suggests",
    "tell",
    "telling",
    "tells",
    "testified",
    "told",
    "tweeted",
    "warn",
    "warned",
    "warning",
    "warns",
    "write",
    "writes",
    "writing",
    "written",
    "wrote",
];

/// Cue words that do not assert: questions, wishes, plans, requests, support.
const NON_ASSERTING: &[&str] = &[
    "ask",
    "asked",
    "asking",
    "asks",
    "demand",
    "demanded",
    "endorse",
    "endorsed",
    "expect",
    "expected",
    "expects",
    "hope",
    "hoped",
    "hopes",
    "hoping",
    "intend",
    "intends",
    "plan",
    "planned",
    "plans",
    "pledged",
    "promise",
    "promised",
    "promises",
    "propose",
    "proposed",
    "question",
    "questioned",
    "questions",
    "seek",
    "seeking",
    "sought",
    "support",
    "supported",
    "supports",
    "urge",
    "urged",
    "urges",
    "vowed",
    "want",
    "wanted",
    "wanting",
    "wants",
    "wish",
    "wished",
    "wonder",
    "wondered",
    "would",
    "if",
    "whether",
    "for",
];

/// Whether a cue asserts its content: it has an asserting word and no wish, question or
/// plan word ("said" yes, "asked" no, "called for" no).
pub fn is_asserting_cue(cue: &str) -> bool {
    let normalized = normalize(cue);
    let words: Vec<&str> = super::normalize::words(&normalized).collect();
    words.iter().any(|w| ASSERTING.binary_search(w).is_ok())
        && !words.iter().any(|w| NON_ASSERTING.contains(w))
}

/// Verbs and phrases that attribute what follows to someone, used to spot attributions
/// the annotators did not mark.
const SPEECH_CUES: &[&str] = &[
    "according",
    "accused",
    "accusing",
    "added",
    "alleged",
    "alleging",
    "announced",
    "argued",
    "claimed",
    "claiming",
    "insisted",
    "noted",
    "reported",
    "said",
    "say",
    "saying",
    "says",
    "stated",
    "tell",
    "telling",
    "tells",
    "testified",
    "told",
    "tweeted",
    "wrote",
];

/// Whether `text` contains a speech verb ("said", "told", "according to").
pub fn has_speech_cue(text: &str) -> bool {
    let normalized = normalize(text);
    super::normalize::words(&normalized).any(|w| SPEECH_CUES.binary_search(&w).is_ok())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reject {
    TooShort,
    NoFiniteVerb,
    FirstPerson,
}

impl Reject {
    fn count(self, stats: &mut LabelStats) {
        match self {
            Reject::TooShort => stats.too_short += 1,
            Reject::NoFiniteVerb => stats.no_finite_verb += 1,
            Reject::FirstPerson => stats.first_person += 1,
        }
    }
}

/// Clause-like: enough words, a finite verb, not in the first person.
fn clause_check(text: &str) -> Result<(), Reject> {
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}'))
        .map(|w| w.trim_matches(['\'', '\u{2019}']))
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() < MIN_WORDS {
        return Err(Reject::TooShort);
    }
    if !has_finite_verb(&words) {
        return Err(Reject::NoFiniteVerb);
    }
    if words.iter().any(|w| is_first_person(w)) {
        return Err(Reject::FirstPerson);
    }
    Ok(())
}

fn is_first_person(word: &str) -> bool {
    let lower = word.to_lowercase().replace('\u{2019}', "'");
    matches!(
        lower.as_str(),
        "i" | "me"
            | "my"
            | "mine"
            | "myself"
            | "we"
            | "us"
            | "our"
            | "ours"
            | "ourselves"
            | "i'm"
            | "i've"
            | "i'd"
            | "i'll"
            | "we're"
            | "we've"
            | "we'd"
            | "we'll"
    )
}

const AUXILIARIES: &[&str] = &[
    "am", "are", "can", "could", "did", "does", "had", "has", "have", "is", "may", "might", "must",
    "shall", "should", "was", "were", "will", "would",
];

const IRREGULAR_PAST: &[&str] = &[
    "ate",
    "became",
    "began",
    "bought",
    "brought",
    "built",
    "came",
    "chose",
    "drew",
    "drove",
    "fell",
    "felt",
    "fled",
    "flew",
    "forgot",
    "fought",
    "found",
    "gave",
    "got",
    "grew",
    "held",
    "hid",
    "kept",
    "knew",
    "led",
    "left",
    "lent",
    "lost",
    "made",
    "meant",
    "met",
    "paid",
    "ran",
    "rang",
    "rose",
    "said",
    "sat",
    "saw",
    "sent",
    "shot",
    "sold",
    "spent",
    "spoke",
    "stole",
    "stood",
    "struck",
    "swore",
    "taught",
    "thought",
    "threw",
    "told",
    "took",
    "tore",
    "understood",
    "went",
    "won",
    "wore",
    "wrote",
];

const SUBJECT_PRONOUNS: &[&str] = &[
    "he", "she", "it", "they", "you", "who", "which", "that", "this", "there", "what",
];

/// Words ending in "-ed" that are not verbs.
const NOT_PAST: &[&str] = &[
    "bed", "breed", "feed", "hundred", "indeed", "need", "red", "seed", "shed", "speed", "steed",
];

/// A rough finite-verb test, good enough for weak labels: an auxiliary or modal, a
/// negative or other contraction, a past tense (regular or common irregular), or a
/// present-tense verb right after a subject pronoun or a name.
fn has_finite_verb(words: &[&str]) -> bool {
    let lower: Vec<String> = words
        .iter()
        .map(|w| w.to_lowercase().replace('\u{2019}', "'"))
        .collect();
    lower.iter().enumerate().any(|(i, w)| {
        let w = w.as_str();
        if AUXILIARIES.binary_search(&w).is_ok() || IRREGULAR_PAST.binary_search(&w).is_ok() {
            return true;
        }
        if ["n't", "'re", "'ve", "'ll", "'d", "'m"]
            .iter()
            .any(|s| w.ends_with(s))
        {
            return true;
        }
        if let Some(stem) = w.strip_suffix("'s")
            && SUBJECT_PRONOUNS.contains(&stem)
        {
            return true;
        }
        if w.len() >= 5 && w.ends_with("ed") && !NOT_PAST.contains(&w) {
            return true;
        }
        let Some(prev) = i.checked_sub(1).map(|p| lower[p].as_str()) else {
            return false;
        };
        let alphabetic = w.chars().all(|c| c.is_ascii_lowercase());
        let present_s = alphabetic
            && w.len() >= 3
            && w.ends_with('s')
            && !w.ends_with("ss")
            && !w.ends_with("us")
            && !w.ends_with("is");
        let after_name = words[i - 1].chars().next().is_some_and(char::is_uppercase)
            && words[i].chars().next().is_some_and(char::is_lowercase);
        (present_s && (SUBJECT_PRONOUNS.contains(&prev) || after_name))
            || (alphabetic && matches!(prev, "they" | "you" | "we" | "i") && !is_function_word(w))
    })
}

fn is_function_word(w: &str) -> bool {
    matches!(
        w,
        "and"
            | "or"
            | "but"
            | "the"
            | "a"
            | "an"
            | "to"
            | "of"
            | "in"
            | "on"
            | "at"
            | "for"
            | "with"
            | "all"
            | "both"
            | "too"
            | "also"
            | "who"
            | "that"
            | "which"
            | "as"
    )
}

/// Byte ranges of the sentences of an article, skipping its first line (the headline).
/// Paragraphs are lines; a sentence ends at `.`, `!` or `?` (and any closing quotes or
/// brackets) followed by a space and a capital, digit or opening quote — except after an
/// abbreviation or an initial.
pub fn sentences(article: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for (n, line) in article.split('\n').enumerate() {
        let start = line_start;
        line_start += line.len() + 1;
        if n == 0 || line.trim().is_empty() {
            continue;
        }
        let mut from = 0;
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let mut k = 0;
        while k < chars.len() {
            let (i, c) = chars[k];
            if matches!(c, '.' | '!' | '?') {
                let mut j = k + 1;
                while j < chars.len()
                    && matches!(
                        chars[j].1,
                        '"' | '\'' | '\u{201d}' | '\u{2019}' | ')' | ']' | '.' | '!' | '?'
                    )
                {
                    j += 1;
                }
                let spaced = j < chars.len() && chars[j].1.is_whitespace();
                let mut m = j;
                while m < chars.len() && chars[m].1.is_whitespace() {
                    m += 1;
                }
                let opens = m < chars.len()
                    && (chars[m].1.is_uppercase()
                        || chars[m].1.is_ascii_digit()
                        || matches!(chars[m].1, '"' | '\u{201c}' | '\u{2018}' | '\''));
                if spaced && opens && !(c == '.' && ends_with_abbreviation(&line[from..i])) {
                    let end = chars.get(j).map_or(line.len(), |&(b, _)| b);
                    push_trimmed(&mut out, line, start, from..end);
                    from = chars[m].0;
                    k = m;
                    continue;
                }
            }
            k += 1;
        }
        push_trimmed(&mut out, line, start, from..line.len());
    }
    out
}

fn push_trimmed(out: &mut Vec<Range<usize>>, line: &str, offset: usize, r: Range<usize>) {
    let piece = &line[r.clone()];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    if piece.trim().is_empty() {
        return;
    }
    out.push(offset + r.start + lead..offset + r.end - trail);
}

fn ends_with_abbreviation(before: &str) -> bool {
    let last = before
        .rsplit(|c: char| c.is_whitespace() || c == '(' || c == '"' || c == '\u{201c}')
        .next()
        .unwrap_or("");
    let lower = last.to_lowercase();
    // "No. 10": in edited news "no." before a capital or a number is the numero sign. The
    // shared list leaves it out because in chat "no." mostly ends a sentence.
    Grammar::embedded().abbreviations.contains(&lower)
        || lower == "no"
        || (last.chars().count() == 1 && last.chars().all(char::is_uppercase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lists_are_sorted_for_binary_search() {
        for list in [ASSERTING, SPEECH_CUES, AUXILIARIES, IRREGULAR_PAST] {
            assert!(
                list.windows(2).all(|w| w[0] < w[1]),
                "{:?}",
                list.windows(2).find(|w| w[0] >= w[1])
            );
        }
    }

    #[test]
    fn asserting_cues_are_told_from_wishes_and_questions() {
        for cue in [
            "said",
            "has said",
            "according to",
            "accused",
            "Found",
            "told reporters",
        ] {
            assert!(is_asserting_cue(cue), "{cue}");
        }
        for cue in [
            "asked",
            "wants",
            "hopes",
            "called for",
            "urged",
            "mocked",
            "think",
        ] {
            assert!(!is_asserting_cue(cue), "{cue}");
        }
    }

    #[test]
    fn clause_test_needs_words_a_verb_and_no_first_person() {
        assert_eq!(
            clause_check("the mayor hid the audit from the council"),
            Ok(())
        );
        assert_eq!(
            clause_check("The Mayor hides audits from council members"),
            Ok(())
        );
        assert_eq!(clause_check("the budget hole"), Err(Reject::TooShort));
        assert_eq!(
            clause_check("a long and winding road through the quiet hills of home"),
            Err(Reject::NoFiniteVerb)
        );
        assert_eq!(
            clause_check("we will never accept this budget from them"),
            Err(Reject::FirstPerson)
        );
    }

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
    fn sentences_skip_the_headline_and_respect_abbreviations() {
        let article = "Headline Here\n\nMr. Brown met Sen. Lee in the U.S. capital. They talked! \u{201c}Fine,\u{201d} he said.\nA second paragraph";
        let got: Vec<&str> = sentences(article)
            .into_iter()
            .map(|r| &article[r])
            .collect();
        assert_eq!(
            got,
            [
                "Mr. Brown met Sen. Lee in the U.S. capital.",
                "They talked!",
                "\u{201c}Fine,\u{201d} he said.",
                "A second paragraph"
            ]
        );
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
