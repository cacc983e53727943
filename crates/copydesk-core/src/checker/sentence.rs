//! The verdict for one sentence, from the lexicon hits inside it.
//!
//! The order of questions follows the labeling guide:
//! 1. Not a claim at all (a question, newsroom logistics, the writer's marked opinion)? ok.
//! 2. Who is the source (`attribution`)? A reporting verb or attribution phrase with a
//!    specific subject makes the sentence ok; hedges, agentless passives and unnamed
//!    crowds are vague.
//! 3. Is it an accusation (`accusation`)? A party and a wrongdoing predicate asserted as
//!    fact, a knowledge-file allegation restated, or a quotation with no speaker; for a
//!    sentence that names a party but no predicate the lexicons know, the classifier.
//!    Vague source + accusation -> weak; no source + accusation -> flag.
//!
//! All lookups into the hit list are binary searches over sorted spans, so a sentence costs
//! time proportional to its length and its hits, whatever their number.

use std::cell::OnceCell;
use std::ops::Range;

use super::attribution::Attribution;
use super::quotes::{is_clause_break, quotations};
use super::scorer::AllegationScorer;
use super::text;
use super::{Finding, KnownAllegation, SentenceReport, Test, Verdict};
use crate::knowledge::KnowledgeBase;
use crate::lexicon::{Grammar, Hit, Lexicon, Rule, RuleKind};

pub(super) struct Context<'a> {
    pub lexicon: &'a Lexicon,
    pub grammar: &'a Grammar,
    /// The knowledge base whose allegations a sentence may restate (none for cues).
    pub kb: Option<&'a KnowledgeBase>,
    pub scorer: Option<&'a dyn AllegationScorer>,
    /// The masked message.
    pub text: &'a str,
}

pub(super) struct Sentence<'a> {
    pub(super) cx: &'a Context<'a>,
    pub(super) span: Range<usize>,
    /// Words, clause breaks and quotations are found on first use: a sentence settled by
    /// its lexicon hits alone (logistics, opinion) never needs them.
    pub(super) words: OnceCell<Vec<Range<usize>>>,
    /// Offsets of clause punctuation, ascending.
    pub(super) breaks: OnceCell<Vec<(usize, char)>>,
    /// Quotations, ascending and disjoint.
    pub(super) quotes: OnceCell<Vec<Range<usize>>>,
    pub(super) hits: Vec<(&'a Rule, Range<usize>)>,
    pub(super) follows_named: bool,
    /// The classifier's score, once asked.
    pub(super) score: OnceCell<f32>,
    /// Whether most words are capitalized, and the possible parties: found on first use.
    pub(super) headline: OnceCell<bool>,
    pub(super) disputable: OnceCell<bool>,
    pub(super) parties: OnceCell<super::accusation::PartyCandidates>,
    pub(super) accused: OnceCell<Vec<super::accusation::Accused<'a>>>,
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
        score: sentence.score.get().copied(),
        span: sentence.span,
        verdict,
        findings,
    };
    (report, named)
}

/// The cues of `span` as one sentence (see `Sentence::cues`).
pub(super) fn cues(cx: &Context<'_>, span: Range<usize>, hits: &[Hit]) -> Vec<String> {
    Sentence::new(cx, span, hits).cues()
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
            score: OnceCell::new(),
            headline: OnceCell::new(),
            disputable: OnceCell::new(),
            parties: OnceCell::new(),
            accused: OnceCell::new(),
        }
    }

    pub(super) fn words(&self) -> &[Range<usize>] {
        self.words
            .get_or_init(|| text::words(self.cx.text, self.span.clone()))
    }

    pub(super) fn breaks(&self) -> &[(usize, char)] {
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

    pub(super) fn quotes(&self) -> &[Range<usize>] {
        self.quotes
            .get_or_init(|| quotations(self.cx.text, self.span.clone()))
    }

    pub(super) fn text(&self) -> &'a str {
        &self.cx.text[self.span.clone()]
    }

    pub(super) fn of_kind(
        &self,
        kind: RuleKind,
    ) -> impl Iterator<Item = &(&'a Rule, Range<usize>)> {
        self.hits.iter().filter(move |(r, _)| r.kind == kind)
    }

    pub(super) fn finding(
        &self,
        verdict: Verdict,
        rule: &Rule,
        span: &Range<usize>,
        decided_by: Test,
    ) -> Finding {
        Finding::new(
            verdict,
            rule.id.clone(),
            rule.message_for(&self.cx.text[span.clone()]),
            span.clone(),
            decided_by,
        )
    }

    fn judge(&self) -> (Verdict, Vec<Finding>, bool) {
        let (verdict, findings) = self.decide();
        let named = findings
            .first()
            .is_some_and(|f| f.verdict == Verdict::Ok && self.names_source(f));
        (verdict, findings, named)
    }

    fn names_source(&self, finding: &Finding) -> bool {
        matches!(
            finding.decided_by,
            Test::NamedSource | Test::QuoteContinuation
        ) && (finding.rule == "quote-continuation"
            || self.cx.lexicon.rule(&finding.rule).is_some_and(|r| {
                matches!(
                    r.kind,
                    RuleKind::ReportingVerb | RuleKind::AttributionPattern
                )
            }))
    }

    fn decide(&self) -> (Verdict, Vec<Finding>) {
        // 1. Not a claim.
        if self.is_question() {
            let finding = Finding::new(
                Verdict::Ok,
                "question",
                "A question, not a claim.",
                self.span.clone(),
                Test::Question,
            );
            return (Verdict::Ok, vec![finding]);
        }
        for (kind, test) in [
            (RuleKind::Neutral, Test::NotAClaim),
            (RuleKind::Opinion, Test::Opinion),
        ] {
            if let Some((rule, span)) = self.of_kind(kind).next() {
                return (
                    Verdict::Ok,
                    vec![self.finding(Verdict::Ok, rule, span, test)],
                );
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
            let mut findings =
                vec![self.finding(Verdict::Ok, named.rule, &named.span, Test::NamedSource)];
            findings.extend(known.into_iter().map(|(allegation, span)| {
                let message = format!(
                    "Restates {}'s allegation with a source on record.",
                    allegation.made_by.name
                );
                let mut finding = Finding::new(
                    Verdict::Ok,
                    "known-allegation",
                    message,
                    span,
                    Test::NamedSource,
                );
                finding.allegation = Some(allegation);
                finding
            }));
            return (Verdict::Ok, findings);
        }

        let opens_with_quote = self
            .text()
            .trim_start()
            .starts_with(['\u{201c}', '"', '\u{2018}']);
        if self.follows_named && opens_with_quote && attributions.iter().all(|a| a.vague) {
            let finding = Finding::new(
                Verdict::Ok,
                "quote-continuation",
                "Continues a quotation whose speaker the previous sentence names.",
                self.span.clone(),
                Test::QuoteContinuation,
            );
            return (Verdict::Ok, vec![finding]);
        }

        // 3. Is it an accusation?
        let mut evidence = self.allegation_evidence(!attributions.is_empty());
        if known.is_empty() && self.classifier_overrules(&evidence) {
            for finding in evidence
                .iter_mut()
                .filter(|f| f.decided_by == Test::Accusation)
            {
                finding.verdict = Verdict::Ok;
                finding.decided_by = Test::ClassifierVeto;
                finding.message = format!(
                    "'{}' reads as reference or banter here, not as an accusation.",
                    self.cx.text[finding.span.clone()].trim()
                );
            }
        }
        let accusations: Vec<&Finding> = evidence
            .iter()
            .filter(|f| f.verdict > Verdict::Ok)
            .collect();
        let vague: Vec<&Attribution> = governing.into_iter().filter(|a| a.vague).collect();
        let is_allegation = !accusations.is_empty() || !known.is_empty();

        let decisive = vague
            .iter()
            .find(|a| !a.needs_allegation)
            .or_else(|| vague.first().filter(|_| is_allegation))
            .and_then(|a| a.vague_by.clone());
        if let Some((rule, span)) = decisive {
            let verdict = rule.severity;
            let mut finding = match known.into_iter().next() {
                Some((allegation, _)) => {
                    let message = format!(
                        "Repeats {}'s allegation with only vague attribution ('{}'): say who made it, e.g. '{}'",
                        allegation.made_by.name,
                        self.cx.text[span.clone()].trim(),
                        allegation.attributed
                    );
                    let mut finding = Finding::new(
                        verdict,
                        "known-allegation",
                        message,
                        span,
                        Test::VagueSource,
                    );
                    finding.allegation = Some(allegation);
                    finding
                }
                None => self.finding(verdict, rule, &span, Test::VagueSource),
            };
            if let Some(accusation) = accusations.first() {
                finding.party.clone_from(&accusation.party);
                finding.predicate.clone_from(&accusation.predicate);
            }
            return (verdict, vec![finding]);
        }
        if let Some((rule, span)) = vague.first().and_then(|a| a.vague_by.clone()) {
            if self.classifier_says() {
                let finding = self.finding(rule.severity, rule, &span, Test::Classifier);
                return (rule.severity, vec![finding]);
            }
            return (Verdict::Ok, evidence);
        }

        if let Some((allegation, span)) = known.into_iter().next() {
            let message = format!(
                "Repeats {}'s allegation without attribution: say who made it, e.g. '{}'",
                allegation.made_by.name, allegation.attributed
            );
            let mut finding = Finding::new(
                Verdict::Flag,
                "known-allegation",
                message,
                span,
                Test::KnownAllegation,
            );
            finding.allegation = Some(allegation);
            return (Verdict::Flag, vec![finding]);
        }
        if let Some(first) = accusations.first() {
            return (first.verdict, vec![(*first).clone()]);
        }
        if self.classifier_says() {
            let rule = self.cx.scorer.map_or("allegation-model", |s| s.rule_id());
            let finding = Finding::new(
                Verdict::Flag,
                rule,
                "Reads as an accusation with no source: say who makes it.",
                self.span.clone(),
                Test::Classifier,
            );
            return (Verdict::Flag, vec![finding]);
        }
        (Verdict::Ok, evidence)
    }

    /// Whether the classifier scores a sentence with rule-found accusations below its veto.
    fn classifier_overrules(&self, evidence: &[Finding]) -> bool {
        let Some(scorer) = self.cx.scorer else {
            return false;
        };
        scorer.veto() > 0.0
            && evidence.iter().any(|f| f.decided_by == Test::Accusation)
            && self.score(scorer) < scorer.veto()
    }

    /// What the rules found, as the classifier sees it: each kind of rule the sentence
    /// hits, each wrongdoing rule, and whether it names a party and accuses it.
    pub(super) fn cues(&self) -> Vec<String> {
        let mut cues: Vec<String> = Vec::new();
        for (rule, _) in &self.hits {
            cues.push(rule.kind.as_str().to_owned());
            if rule.kind == RuleKind::AllegationTerm {
                cues.push(format!("rule:{}", rule.id));
            }
        }
        if self.names_a_party() {
            cues.push("party".into());
        }
        if self.accused().iter().any(|(_, _, party)| party.is_some()) {
            cues.push("accusation".into());
        }
        cues.sort_unstable();
        cues.dedup();
        cues
    }

    /// The classifier's score for this sentence, computed once.
    fn score(&self, scorer: &dyn AllegationScorer) -> f32 {
        *self
            .score
            .get_or_init(|| scorer.score(self.text().trim(), &self.cues()))
    }

    /// The classifier's answer for a sentence the rules leave open. It is asked only when
    /// the sentence names a party and is open to dispute: on its own it never accuses no
    /// one, and never doubts the record.
    fn classifier_says(&self) -> bool {
        let Some(scorer) = self.cx.scorer else {
            return false;
        };
        self.open_to_dispute() && self.names_a_party() && self.score(scorer) >= scorer.threshold()
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
        !tail.contains('.')
            && !tail.contains('!')
            && self.cx.grammar.question_openers.contains(&first)
    }

    /// Index of the first word starting at or after byte `at`.
    pub(super) fn word_index(&self, at: usize) -> usize {
        self.words().partition_point(|w| w.start < at)
    }

    /// The clause break before byte `at` (within the sentence), if any.
    pub(super) fn break_before(&self, at: usize) -> Option<(usize, char)> {
        let i = self.breaks().partition_point(|&(b, _)| b < at);
        i.checked_sub(1).map(|i| self.breaks()[i])
    }

    pub(super) fn break_after(&self, at: usize) -> Option<(usize, char)> {
        let i = self.breaks().partition_point(|&(b, _)| b < at);
        self.breaks().get(i).copied()
    }

    pub(super) fn in_quote(&self, span: &Range<usize>) -> bool {
        let i = self.quotes().partition_point(|q| q.end <= span.start);
        self.quotes()
            .get(i)
            .is_some_and(|q| q.start <= span.start && span.end <= q.end)
    }

    /// Byte range covered by a run of words.
    pub(super) fn bytes_of(&self, words: &Range<usize>) -> Range<usize> {
        if words.is_empty() {
            return 0..0;
        }
        self.words()[words.start].start..self.words()[words.end - 1].end
    }

    /// Hits of `kind` inside byte range `bytes`.
    pub(super) fn hits_in(
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

    fn known_allegations(&self) -> Vec<(KnownAllegation, Range<usize>)> {
        let Some(kb) = self.cx.kb else {
            return Vec::new();
        };
        kb.restated_allegations(self.text())
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
