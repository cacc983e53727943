//! The verdict for one sentence, from the lexicon hits inside it.
//!
//! The order of questions follows the labeling guide:
//! 1. Not a claim at all (a question, newsroom logistics, the writer's marked opinion)? ok.
//! 2. Who is the source? A reporting verb or attribution phrase with a specific subject
//!    makes the sentence ok; hedges, agentless passives and unnamed crowds are vague.
//! 3. Is it an allegation? Allegation vocabulary (not negated, not settled on the record),
//!    a quotation with no speaker, or a knowledge-file allegation restated.
//!    Vague source + allegation -> weak; no source + allegation -> flag.
//!
//! All lookups into the hit list are binary searches over sorted spans, so a sentence costs
//! time proportional to its length and its hits, whatever their number.

use std::cell::OnceCell;
use std::ops::Range;

use super::scorer::{AllegationScorer, OpenQuestion};
use super::text;
use super::{Finding, KnownAllegation, SentenceReport, Verdict};
use crate::knowledge::KnowledgeBase;
use crate::lexicon::{Hit, Lexicon, Rule, RuleKind};

/// How many words before (or after) a reporting verb can hold its subject.
const SUBJECT_WINDOW: usize = 6;
/// How many words after a negation it still negates.
const NEGATION_REACH: usize = 4;
/// Sentences about years before this one report settled history.
const HISTORY_BEFORE: u32 = 1950;
/// Bytes before a term in which to look for its negation (bounds the look-back).
const NEGATION_REACH_BYTES: usize = 160;
/// How many words after an agentless passive its `by` agent may come.
const AGENT_REACH: usize = 8;

/// Words that open a question when a chat message leaves out the question mark.
const QUESTION_OPENERS: &[&str] = &[
    "did", "does", "do", "is", "are", "was", "were", "has", "have", "can", "could", "should",
    "would", "will", "why", "how", "who", "whom", "whose", "what", "when", "where", "which",
    "whether", "isn't", "isnt", "aren't", "didn't", "didnt", "doesn't", "doesnt", "wasn't",
    "anyone", "any",
];

/// Words a reporting verb's subject does not reach back across ("polls showed that few
/// voters thought": the subject of "thought" is "few voters").
const SUBJECT_STOPS: &[&str] = &[
    "that", "which", "because", "while", "whether", "if", "but", "although", "though", "when",
    "since", "unless", "whereas",
];

/// Words that follow a plural noun but not a reporting verb.
const NOUN_FOLLOWERS: &[&str] = &[
    "are",
    "were",
    "was",
    "is",
    "have",
    "had",
    "has",
    "came",
    "come",
    "of",
    "about",
    "from",
    "against",
    "over",
    "will",
    "would",
    "could",
    "can",
    "may",
    "might",
    "must",
    "should",
    "by",
    "made",
    "which",
    "remain",
    "remained",
    "seem",
    "seemed",
    "appear",
    "appeared",
    "went",
    "go",
    "began",
    "continue",
    "continued",
];

/// Determiners and quantifiers that do not name anyone even when capitalized.
const NOT_NAMES: &[&str] = &[
    "the", "a", "an", "some", "several", "many", "most", "these", "those", "two", "three", "four",
    "few", "other", "others", "various", "certain", "numerous", "multiple", "one", "and", "but",
    "or", "so", "yet", "i", "we", "our", "their", "his", "her", "its",
];

pub(super) struct Context<'a> {
    pub lexicon: &'a Lexicon,
    pub kb: &'a KnowledgeBase,
    pub scorer: Option<&'a dyn AllegationScorer>,
    /// The masked message.
    pub text: &'a str,
}

/// A source found in a sentence.
struct Attribution<'a> {
    rule: &'a Rule,
    span: Range<usize>,
    vague: bool,
    /// The vague rule and the words it covers ("several members said"), when vague.
    vague_by: Option<(&'a Rule, Range<usize>)>,
    /// An inverted or trailing attribution ("..., the source added") that governs the
    /// whole sentence before it.
    trailing: bool,
    /// Whether a vague source needs allegation content to matter (hedges and accusing
    /// passives carry their own).
    needs_allegation: bool,
}

struct Sentence<'a> {
    cx: &'a Context<'a>,
    span: Range<usize>,
    /// Words, clause breaks and quotations are found on first use: about half of all chat
    /// sentences are settled by their lexicon hits alone (logistics, opinion) and never
    /// need them.
    words: OnceCell<Vec<Range<usize>>>,
    /// Offsets of clause punctuation, ascending.
    breaks: OnceCell<Vec<(usize, char)>>,
    /// Quotations, ascending and disjoint.
    quotes: OnceCell<Vec<Range<usize>>>,
    hits: Vec<(&'a Rule, Range<usize>)>,
    follows_named: bool,
}

/// Checks one sentence, given the message's lexicon hits that start inside it (hits that
/// run past its end are ignored). `follows_named` says the previous sentence of the message named
/// its source, so a quotation opening this one continues that speaker's words. Returns the
/// report and whether this sentence names its source.
pub(super) fn check(
    cx: &Context<'_>,
    span: Range<usize>,
    hits: &[Hit],
    follows_named: bool,
) -> (SentenceReport, bool) {
    let mut sentence = Sentence::new(cx, span, hits);
    sentence.follows_named = follows_named;
    let (verdict, findings, named) = sentence.judge();
    let report = SentenceReport {
        span: sentence.span,
        verdict,
        findings,
    };
    (report, named)
}

impl<'a> Sentence<'a> {
    fn new(cx: &'a Context<'a>, span: Range<usize>, hits: &[Hit]) -> Sentence<'a> {
        let hits = hits
            .iter()
            .filter(|h| h.span.end <= span.end)
            .map(|h| (cx.lexicon.rule_of(h), h.span.clone()))
            .filter(|(rule, _)| rule.severity != Verdict::Ok || !rule.kind.is_alarm())
            .collect();
        Sentence {
            cx,
            span,
            words: OnceCell::new(),
            breaks: OnceCell::new(),
            quotes: OnceCell::new(),
            hits,
            follows_named: false,
        }
    }

    fn words(&self) -> &[Range<usize>] {
        self.words
            .get_or_init(|| text::words(self.cx.text, self.span.clone()))
    }

    fn breaks(&self) -> &[(usize, char)] {
        self.breaks.get_or_init(|| {
            // Clause punctuation is ASCII or starts with byte 0xE2 (dashes, curly quotes).
            let bytes = self.cx.text.as_bytes();
            self.span
                .clone()
                .filter(|&i| matches!(bytes[i], b',' | b';' | b':' | b'(' | b')' | b'"' | 0xE2))
                .map(|i| (i, text::char_at(self.cx.text, i)))
                .filter(|&(_, c)| is_clause_break(c))
                .collect()
        })
    }

    fn quotes(&self) -> &[Range<usize>] {
        self.quotes
            .get_or_init(|| quotations(self.cx.text, self.span.clone()))
    }

    fn text(&self) -> &'a str {
        &self.cx.text[self.span.clone()]
    }

    fn of_kind(&self, kind: RuleKind) -> impl Iterator<Item = &(&'a Rule, Range<usize>)> {
        self.hits.iter().filter(move |(r, _)| r.kind == kind)
    }

    fn finding(&self, verdict: Verdict, rule: &Rule, span: &Range<usize>) -> Finding {
        Finding {
            verdict,
            rule: rule.id.clone(),
            message: rule.message_for(&self.cx.text[span.clone()]),
            span: span.clone(),
            allegation: None,
        }
    }

    fn judge(&self) -> (Verdict, Vec<Finding>, bool) {
        let (verdict, findings) = self.decide();
        let named = findings
            .first()
            .is_some_and(|f| f.verdict == Verdict::Ok && self.names_source(f));
        (verdict, findings, named)
    }

    fn names_source(&self, finding: &Finding) -> bool {
        self.cx.lexicon.rule(&finding.rule).is_some_and(|r| {
            matches!(
                r.kind,
                RuleKind::ReportingVerb | RuleKind::AttributionPattern
            )
        }) || finding.rule == "quote-continuation"
    }

    fn decide(&self) -> (Verdict, Vec<Finding>) {
        // 1. Not a claim.
        if self.is_question() {
            let finding = Finding {
                verdict: Verdict::Ok,
                rule: "question".into(),
                message: "A question, not a claim.".into(),
                span: self.span.clone(),
                allegation: None,
            };
            return (Verdict::Ok, vec![finding]);
        }
        for kind in [RuleKind::Neutral, RuleKind::Opinion] {
            if let Some((rule, span)) = self.of_kind(kind).next() {
                return (Verdict::Ok, vec![self.finding(Verdict::Ok, rule, span)]);
            }
        }

        // 2. Who is the source?
        let attributions = self.attributions();
        let known = self.known_allegations();
        // The source that governs the sentence: an attribution closing it ("..., the
        // source added") or else the first one ("Critics say ... he said ...").
        let trailing = attributions.iter().rfind(|a| a.trailing);
        let governing = trailing.or_else(|| attributions.first());
        if let Some(named) = governing.filter(|a| !a.vague) {
            let mut findings = vec![self.finding(Verdict::Ok, named.rule, &named.span)];
            findings.extend(known.into_iter().map(|(allegation, span)| Finding {
                verdict: Verdict::Ok,
                rule: "known-allegation".into(),
                message: format!(
                    "Restates {}'s allegation with a source on record.",
                    allegation.made_by.name
                ),
                span,
                allegation: Some(allegation),
            }));
            return (Verdict::Ok, findings);
        }

        let opens_with_quote = self
            .text()
            .trim_start()
            .starts_with(['\u{201c}', '"', '\u{2018}']);
        if self.follows_named && opens_with_quote && attributions.iter().all(|a| a.vague) {
            let finding = Finding {
                verdict: Verdict::Ok,
                rule: "quote-continuation".into(),
                message: "Continues a quotation whose speaker the previous sentence names.".into(),
                span: self.span.clone(),
                allegation: None,
            };
            return (Verdict::Ok, vec![finding]);
        }

        // 3. Is it an allegation?
        let evidence = self.allegation_evidence(!attributions.is_empty());
        let vague: Vec<&Attribution> = governing.into_iter().filter(|a| a.vague).collect();
        let is_allegation = !evidence.is_empty() || !known.is_empty();

        let decisive = vague
            .iter()
            .find(|a| !a.needs_allegation)
            .or_else(|| vague.first().filter(|_| is_allegation))
            .and_then(|a| a.vague_by.clone());
        if let Some((rule, span)) = decisive {
            let verdict = rule.severity;
            let finding = match known.into_iter().next() {
                Some((allegation, _)) => Finding {
                    verdict,
                    rule: "known-allegation".into(),
                    message: format!(
                        "Repeats {}'s allegation with only vague attribution ('{}'): say who made it, e.g. '{}'",
                        allegation.made_by.name,
                        self.cx.text[span.clone()].trim(),
                        allegation.attributed
                    ),
                    span: span.clone(),
                    allegation: Some(allegation),
                },
                None => self.finding(verdict, rule, &span),
            };
            return (verdict, vec![finding]);
        }
        if let Some((rule, span)) = vague.first().and_then(|a| a.vague_by.clone()) {
            if self.scorer_says(OpenQuestion::VaguelySourced) {
                let finding = self.finding(rule.severity, rule, &span);
                return (rule.severity, vec![finding]);
            }
            return (Verdict::Ok, Vec::new());
        }

        if let Some((allegation, span)) = known.into_iter().next() {
            let finding = Finding {
                verdict: Verdict::Flag,
                rule: "known-allegation".into(),
                message: format!(
                    "Repeats {}'s allegation without attribution: say who made it, e.g. '{}'",
                    allegation.made_by.name, allegation.attributed
                ),
                span,
                allegation: Some(allegation),
            };
            return (Verdict::Flag, vec![finding]);
        }
        if let Some(first) = evidence.first() {
            let verdict = evidence
                .iter()
                .map(|e| e.verdict)
                .max()
                .unwrap_or(Verdict::Flag);
            let finding = Finding {
                verdict,
                rule: first.rule.clone(),
                message: first.message.clone(),
                span: first.span.clone(),
                allegation: None,
            };
            return (verdict, vec![finding]);
        }
        if self.scorer_says(OpenQuestion::Unattributed) {
            let rule = self.cx.scorer.map_or("allegation-model", |s| s.rule_id());
            let finding = Finding {
                verdict: Verdict::Flag,
                rule: rule.to_owned(),
                message: "Reads as an allegation with no source: say who makes the claim.".into(),
                span: self.span.clone(),
                allegation: None,
            };
            return (Verdict::Flag, vec![finding]);
        }
        (Verdict::Ok, Vec::new())
    }

    fn scorer_says(&self, question: OpenQuestion) -> bool {
        self.cx
            .scorer
            .is_some_and(|s| s.score(self.text().trim(), question) >= s.threshold())
    }

    fn is_question(&self) -> bool {
        let text = self.text();
        let tail_start = text
            .char_indices()
            .rev()
            .find(|&(_, c)| c.is_alphanumeric())
            .map_or(0, |(i, c)| i + c.len_utf8());
        let tail = &text[tail_start..];
        if tail.contains('?') {
            return true;
        }
        let first = match self.words.get() {
            Some(words) => words.first().cloned(),
            None => text::first_word(self.cx.text, self.span.clone()),
        };
        let Some(first) = first else {
            return false;
        };
        let first = self.cx.text[first].to_lowercase();
        !tail.contains('.') && !tail.contains('!') && QUESTION_OPENERS.contains(&first.as_str())
    }

    /// Index of the first word starting at or after byte `at`.
    fn word_index(&self, at: usize) -> usize {
        self.words().partition_point(|w| w.start < at)
    }

    /// The clause break before byte `at` (within the sentence), if any.
    fn break_before(&self, at: usize) -> Option<(usize, char)> {
        let i = self.breaks().partition_point(|&(b, _)| b < at);
        i.checked_sub(1).map(|i| self.breaks()[i])
    }

    fn break_after(&self, at: usize) -> Option<(usize, char)> {
        let i = self.breaks().partition_point(|&(b, _)| b < at);
        self.breaks().get(i).copied()
    }

    fn in_quote(&self, span: &Range<usize>) -> bool {
        let i = self.quotes().partition_point(|q| q.end <= span.start);
        self.quotes()
            .get(i)
            .is_some_and(|q| q.start <= span.start && span.end <= q.end)
    }

    /// Words of the clause right before `at`, at most `SUBJECT_WINDOW` of them.
    fn window_before(&self, at: usize) -> Range<usize> {
        let floor = self.break_before(at).map_or(self.span.start, |(b, _)| b);
        let end = self.word_index(at);
        let mut start = end;
        while start > 0 && end - start < SUBJECT_WINDOW && self.words()[start - 1].start >= floor {
            let word = &self.cx.text[self.words()[start - 1].clone()];
            if SUBJECT_STOPS.iter().any(|s| word.eq_ignore_ascii_case(s)) {
                break;
            }
            start -= 1;
        }
        start..end
    }

    /// Words of the clause right after `at`, at most `SUBJECT_WINDOW` of them.
    fn window_after(&self, at: usize) -> Range<usize> {
        let ceiling = self.break_after(at).map_or(self.span.end, |(b, _)| b);
        let start = self.word_index(at);
        let mut end = (start + SUBJECT_WINDOW).min(self.words().len());
        while end > start && self.words()[end - 1].end > ceiling {
            end -= 1;
        }
        start..end
    }

    /// Byte range covered by a run of words.
    fn bytes_of(&self, words: &Range<usize>) -> Range<usize> {
        if words.is_empty() {
            return 0..0;
        }
        self.words()[words.start].start..self.words()[words.end - 1].end
    }

    /// Hits of `kind` inside byte range `bytes`.
    fn hits_in(
        &self,
        kind: RuleKind,
        bytes: &Range<usize>,
    ) -> impl Iterator<Item = &(&'a Rule, Range<usize>)> {
        let from = self.hits.partition_point(|(_, s)| s.start < bytes.start);
        self.hits[from..]
            .iter()
            .take_while(move |(_, s)| s.start < bytes.end)
            .filter(move |(r, s)| r.kind == kind && s.end <= bytes.end)
    }

    /// The vague term that makes the subject in `words` vague, if any: an unnamed source,
    /// or a crowd word not qualified by a name right before it ("several members" is
    /// vague, "Pentagon officials" is not).
    fn vague_subject(&self, words: &Range<usize>) -> Option<(&'a Rule, Range<usize>)> {
        let bytes = self.bytes_of(words);
        if let Some((rule, span)) = self.hits_in(RuleKind::VagueSource, &bytes).next() {
            return Some((rule, span.clone()));
        }
        self.hits_in(RuleKind::VagueSubject, &bytes)
            .find(|(_, s)| {
                let i = self.word_index(s.start);
                let qualified = i > 0 && i > words.start && {
                    let prev = &self.cx.text[self.words()[i - 1].clone()];
                    prev.chars().next().is_some_and(char::is_uppercase)
                        && !NOT_NAMES.contains(&prev.to_lowercase().as_str())
                };
                !qualified
            })
            .map(|(rule, span)| (*rule, span.clone()))
    }

    fn attributions(&self) -> Vec<Attribution<'a>> {
        let mut out = Vec::new();
        // Vague sources already counted as the subject of a reporting verb.
        let mut subjects: Vec<Range<usize>> = Vec::new();
        let mut standalone: Vec<(&'a Rule, &Range<usize>)> = Vec::new();
        for (rule, span) in &self.hits {
            match rule.kind {
                RuleKind::ReportingVerb
                | RuleKind::CharacterizingVerb
                | RuleKind::AttributionPattern => {
                    if self.in_quote(span) {
                        continue;
                    }
                    if let Some((vague_rule, whole)) = self.inside_vague_phrase(span) {
                        // "people are saying ...": a crowd reporting, as vague as "critics say".
                        if vague_rule.kind == RuleKind::VagueSource
                            && rule.kind == RuleKind::ReportingVerb
                        {
                            out.push(Attribution {
                                rule,
                                span: span.clone(),
                                vague: true,
                                vague_by: Some((vague_rule, whole)),
                                trailing: false,
                                needs_allegation: false,
                            });
                        }
                        continue;
                    }
                    let k = self.word_index(span.start);
                    if k > 0 && self.cx.text[self.words()[k - 1].clone()].eq_ignore_ascii_case("to")
                    {
                        continue; // "declined to say", "wants to know"
                    }
                    if rule.kind != RuleKind::AttributionPattern && self.used_as_noun(span) {
                        continue; // "late-night calls came in", "claims of abuse"
                    }
                    let mut before = self.window_before(span.start);
                    let after = self.window_after(span.end);
                    let mut loose = false;
                    if before.is_empty() && after.is_empty() {
                        // "X, who runs the campaign, said, ..." : the subject is further back,
                        // behind a clause whose crowd words ("families") are not the source.
                        let end = self.word_index(span.start);
                        before = end.saturating_sub(SUBJECT_WINDOW)..end;
                        loose = true;
                    }
                    let subject = match rule.kind {
                        RuleKind::ReportingVerb | RuleKind::CharacterizingVerb
                            if !before.is_empty() =>
                        {
                            before.clone()
                        }
                        _ if !after.is_empty() => after.clone(),
                        _ => before.clone(),
                    };
                    if subject.is_empty() {
                        continue;
                    }
                    let opened_by_break = self.break_before(span.start).is_some_and(|(b, c)| {
                        matches!(c, ',' | '\u{201d}' | '"')
                            && k - self.word_index(b) <= SUBJECT_WINDOW
                    });
                    let last_clause = self.break_after(span.end).is_none();
                    let vague = self
                        .vague_subject(&subject)
                        .filter(|(r, _)| !loose || r.kind == RuleKind::VagueSource);
                    if let Some((_, vague_span)) = &vague {
                        subjects.push(vague_span.clone());
                    }
                    // "critics say ..." is itself a sign of a contested claim; "several
                    // residents said ..." or "critics called it ..." need allegation words.
                    let needs_allegation = rule.kind == RuleKind::CharacterizingVerb
                        || vague
                            .as_ref()
                            .is_some_and(|(r, _)| r.kind != RuleKind::VagueSource);
                    out.push(Attribution {
                        rule,
                        span: span.clone(),
                        vague: vague.is_some(),
                        vague_by: vague.map(|(rule, vague_span)| {
                            let whole =
                                vague_span.start.min(span.start)..vague_span.end.max(span.end);
                            (rule, whole)
                        }),
                        trailing: opened_by_break && last_clause,
                        needs_allegation,
                    });
                }
                RuleKind::AgentlessPassive | RuleKind::Hedge => {
                    let named_agent =
                        rule.kind == RuleKind::AgentlessPassive && self.named_agent_after(span.end);
                    out.push(Attribution {
                        rule,
                        span: span.clone(),
                        vague: !named_agent,
                        vague_by: (!named_agent).then(|| (*rule, span.clone())),
                        trailing: false,
                        needs_allegation: false,
                    });
                }
                RuleKind::VagueSource => standalone.push((*rule, span)),
                _ => {}
            }
        }
        // Sorted for binary search: a long message can hold thousands of each.
        subjects.sort_unstable_by_key(|s| (s.start, s.end));
        for (rule, span) in standalone {
            if subjects
                .binary_search_by_key(&(span.start, span.end), |s| (s.start, s.end))
                .is_ok()
            {
                continue;
            }
            out.push(Attribution {
                rule,
                span: span.clone(),
                vague: true,
                vague_by: Some((rule, span.clone())),
                trailing: false,
                // "people are saying", "reports say": a crowd reporting is a claim.
                needs_allegation: self.hits_in(RuleKind::ReportingVerb, span).next().is_none(),
            });
        }
        // Earlier first; at the same place a named source before a vague reading.
        out.sort_by_key(|a| (a.span.start, a.vague));
        out
    }

    /// Whether a vague phrase that starts before `span` covers it ("is not thought to",
    /// "dogged by charges that"): the verb is part of the vague phrase, not a source.
    fn inside_vague_phrase(&self, span: &Range<usize>) -> Option<(&'a Rule, Range<usize>)> {
        let i = self.hits.partition_point(|(_, s)| s.start < span.start);
        self.hits[i.saturating_sub(8)..i]
            .iter()
            .find(|(r, s)| {
                matches!(
                    r.kind,
                    RuleKind::AgentlessPassive | RuleKind::VagueSource | RuleKind::Hedge
                ) && s.end >= span.end
            })
            .map(|(r, s)| (*r, s.clone()))
    }

    /// A reporting word spelled like a plural noun and followed by a word that only
    /// follows nouns ("calls came", "claims of", "charges were").
    fn used_as_noun(&self, span: &Range<usize>) -> bool {
        let word = &self.cx.text[span.clone()];
        if !word.ends_with('s') || word.contains(' ') {
            return false;
        }
        let k = self.word_index(span.end);
        let Some(next) = self.words().get(k) else {
            return false;
        };
        if self
            .break_after(span.end)
            .is_some_and(|(b, _)| b < next.start)
        {
            return false;
        }
        let next = self.cx.text[next.clone()].to_lowercase();
        NOUN_FOLLOWERS.contains(&next.as_str())
    }

    /// "... was accused of fraud by the SEC": a `by` agent with a name.
    fn named_agent_after(&self, at: usize) -> bool {
        let ceiling = self.break_after(at).map_or(self.span.end, |(b, _)| b);
        let start = self.word_index(at);
        let end = (start + AGENT_REACH).min(self.words().len());
        let words: Vec<&str> = self.words()[start..end]
            .iter()
            .take_while(|w| w.end <= ceiling)
            .map(|w| &self.cx.text[w.clone()])
            .collect();
        let Some(by) = words.iter().position(|w| w.eq_ignore_ascii_case("by")) else {
            return false;
        };
        let agent = words[by + 1..]
            .iter()
            .find(|w| !matches!(w.to_lowercase().as_str(), "the" | "a" | "an"));
        agent.is_some_and(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                && !NOT_NAMES.contains(&w.to_lowercase().as_str())
        })
    }

    /// Allegation vocabulary not negated, plus quotations with no speaker (when the
    /// sentence has no source at all). Empty when an official act settles the matter.
    fn allegation_evidence(&self, has_source: bool) -> Vec<Finding> {
        if self.of_kind(RuleKind::OfficialRecord).next().is_some() || self.is_history() {
            return Vec::new();
        }
        let headline = self.is_headline();
        let mut out: Vec<Finding> = self
            .of_kind(RuleKind::AllegationTerm)
            .filter(|(_, span)| !self.negated(span))
            .filter(|(_, span)| headline || !self.in_proper_name(span))
            .map(|(rule, span)| self.finding(rule.severity, rule, span))
            .collect();
        if !has_source && let Some(quote) = self.unattributed_quote() {
            out.push(Finding {
                verdict: Verdict::Flag,
                rule: "unattributed-quote".into(),
                message: "Quoted words with no speaker: say who said them.".into(),
                span: quote,
                allegation: None,
            });
        }
        out.sort_by_key(|f| f.span.start);
        out
    }

    /// A sentence about events before `HISTORY_BEFORE`: what it reports is settled
    /// history, not a live allegation ("In 1942 the regime deported ...").
    fn is_history(&self) -> bool {
        self.words().iter().enumerate().any(|(i, w)| {
            let word = &self.cx.text[w.clone()];
            let old_year = word.len() == 4
                && word.bytes().all(|b| b.is_ascii_digit())
                && word
                    .parse::<u32>()
                    .is_ok_and(|year| (1000..HISTORY_BEFORE).contains(&year));
            // "the 18th century": any century before the twentieth.
            let old_century = word
                .strip_suffix(|c: char| c.is_ascii_alphabetic())
                .and_then(|w| w.strip_suffix(|c: char| c.is_ascii_alphabetic()))
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n < 20)
                && self.words().get(i + 1).is_some_and(|next| {
                    self.cx.text[next.clone()]
                        .to_ascii_lowercase()
                        .starts_with("centur")
                });
            old_year || old_century
        })
    }

    /// Most words capitalized, as in a headline ("Mayor Hid Audit From Council").
    fn is_headline(&self) -> bool {
        let capitalized = self
            .words()
            .iter()
            .filter(|w| self.cx.text[w.start..].starts_with(char::is_uppercase))
            .count();
        self.words().len() >= 3 && capitalized * 3 >= self.words().len() * 2
    }

    /// A capitalized term that does not open the sentence is part of a name ("the
    /// Trafficking Victims Protection Act"), not an accusation.
    fn in_proper_name(&self, span: &Range<usize>) -> bool {
        let first_word = self.words().first().is_some_and(|w| w.start == span.start);
        !first_word && self.cx.text[span.start..].starts_with(char::is_uppercase)
    }

    fn negated(&self, span: &Range<usize>) -> bool {
        let i = self.hits.partition_point(|(_, s)| s.start < span.start);
        // Only hits starting shortly before the term can negate it.
        let reach = span.start.saturating_sub(NEGATION_REACH_BYTES);
        let Some((_, neg)) = self.hits[..i]
            .iter()
            .rev()
            .take_while(|(_, s)| s.start >= reach)
            .find(|(r, s)| r.kind == RuleKind::Negation && s.end <= span.start)
        else {
            return false;
        };
        let no_break = self
            .break_after(neg.end)
            .is_none_or(|(b, _)| b >= span.start);
        no_break && self.word_index(span.start) - self.word_index(neg.end) <= NEGATION_REACH
    }

    /// A quotation of someone's words (not a title or a name) with no speaker.
    fn unattributed_quote(&self) -> Option<Range<usize>> {
        self.quotes().iter().find_map(|q| {
            let inner = &self.cx.text[q.clone()];
            let words = text::words(self.cx.text, q.clone());
            let has_lowercase_word = words.iter().any(|w| {
                self.cx.text[w.clone()]
                    .chars()
                    .next()
                    .is_some_and(char::is_lowercase)
            });
            let opening = self.cx.text[..q.start]
                .char_indices()
                .next_back()
                .map_or(q.start, |(i, _)| i);
            let before = self.bytes_of(&self.window_before(opening));
            let named = self.hits_in(RuleKind::Naming, &before).next().is_some();
            // A sentence that is all quotation usually continues a speaker named before
            // it; a fragment quoted inside the writer's own sentence is a claim.
            let words_outside = self.words().len() > words.len();
            (has_lowercase_word && !named && words_outside && !inner.trim().is_empty())
                .then(|| q.clone())
        })
    }

    fn known_allegations(&self) -> Vec<(KnownAllegation, Range<usize>)> {
        self.cx
            .kb
            .restated_allegations(self.text())
            .into_iter()
            .filter(|hit| hit.allegation.status.is_open())
            .filter_map(|hit| {
                let a = hit.allegation;
                let source = hit.topic.source(&a.source)?;
                let known = KnownAllegation::new(
                    &hit.topic.slug,
                    &a.id,
                    &a.claim,
                    &a.made_by,
                    source,
                    a.status,
                    &a.attributed,
                );
                let span = self.span.start + hit.span.start..self.span.start + hit.span.end;
                Some((known, span))
            })
            .collect()
    }
}

fn is_clause_break(c: char) -> bool {
    matches!(
        c,
        ',' | ';'
            | ':'
            | '('
            | ')'
            | '\u{2014}'
            | '\u{2013}'
            | '"'
            | '\u{201c}'
            | '\u{201d}'
            | '\u{2018}'
    )
}

/// Quotations in `range` of `text`: “…”, "…", ''…'' and ‘…’, as byte ranges of their
/// content.
fn quotations(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut open: Option<(usize, char)> = None;
    // Every quotation mark is `"`, `'` or a character starting with byte 0xE2, none of which
    // occurs inside another character: other bytes are skipped unread.
    let mut at = range.start;
    while at < range.end {
        if !matches!(bytes[at], b'"' | b'\'' | 0xE2) {
            at += 1;
            continue;
        }
        let c = text::char_at(text, at);
        let mut after = at + c.len_utf8();
        let next = (after < range.end).then(|| text::char_at(text, after));
        match (open, c) {
            (None, '\u{201c}') => open = Some((at + c.len_utf8(), '\u{201d}')),
            (None, '"') => open = Some((at + 1, '"')),
            (None, '\u{2018}') => open = Some((at + c.len_utf8(), '\u{2019}')),
            (None, '\'') if next == Some('\'') => {
                after += 1;
                open = Some((at + 2, '\''));
            }
            (Some((start, close)), c) if c == close => {
                // A closing ’ followed by a letter is an apostrophe ("Russia’s").
                let apostrophe = close == '\u{2019}' && next.is_some_and(char::is_alphanumeric);
                let double = close == '\'';
                if double && next != Some('\'') {
                    // A lone apostrophe inside ''…''.
                } else if !apostrophe {
                    if double {
                        after += 1;
                    }
                    out.push(start..at);
                    open = None;
                }
            }
            _ => {}
        }
        at = after;
    }
    out
}
