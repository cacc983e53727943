//! Who is the source? A reporting verb's subject (or, inverted, the words after it), an
//! attribution phrase, a hedge, an agentless passive or an unnamed crowd.

use std::ops::Range;

use super::sentence::Sentence;
use crate::lexicon::{Rule, RuleKind};

/// How many words before (or after) a reporting verb can hold its subject.
const SUBJECT_WINDOW: usize = 6;
/// How many words after an agentless passive its `by` agent may come.
const AGENT_REACH: usize = 8;

/// A source found in a sentence.
pub(super) struct Attribution<'a> {
    pub rule: &'a Rule,
    pub span: Range<usize>,
    pub vague: bool,
    /// The vague rule and the words it covers ("several members said"), when vague.
    pub vague_by: Option<(&'a Rule, Range<usize>)>,
    /// An inverted or trailing attribution ("..., the source added") that governs the
    /// whole sentence before it.
    pub trailing: bool,
    /// Whether a vague source needs allegation content to matter (hedges and accusing
    /// passives carry their own).
    pub needs_allegation: bool,
}

impl<'a> Sentence<'a> {
    /// Words of the clause right before `at`, at most `SUBJECT_WINDOW` of them.
    pub(super) fn window_before(&self, at: usize) -> Range<usize> {
        let floor = self.break_before(at).map_or(self.span.start, |(b, _)| b);
        let end = self.word_index(at);
        let stops = &self.cx.grammar.subject_stops;
        let mut start = end;
        while start > 0 && end - start < SUBJECT_WINDOW && self.words()[start - 1].start >= floor {
            let word = &self.cx.text[self.words()[start - 1].clone()];
            if stops.contains_ignore_ascii_case(word) {
                break;
            }
            start -= 1;
        }
        start..end
    }

    /// Words of the clause right after `at`, at most `SUBJECT_WINDOW` of them.
    pub(super) fn window_after(&self, at: usize) -> Range<usize> {
        let ceiling = self.break_after(at).map_or(self.span.end, |(b, _)| b);
        let start = self.word_index(at);
        let mut end = (start + SUBJECT_WINDOW).min(self.words().len());
        while end > start && self.words()[end - 1].end > ceiling {
            end -= 1;
        }
        start..end
    }

    /// The vague term that makes the subject in `words` vague, if any: an unnamed source,
    /// or a crowd word not qualified by a name right before it ("several members" is
    /// vague, "Pentagon officials" is not).
    pub(super) fn vague_subject(&self, words: &Range<usize>) -> Option<(&'a Rule, Range<usize>)> {
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
                        && !self.cx.grammar.not_names.contains(&prev.to_lowercase())
                };
                // "the tenants' union says": the crowd word only modifies the source.
                let possessive = self.cx.text[s.end..].starts_with(['\'', '\u{2019}']);
                !qualified && !possessive
            })
            .map(|(rule, span)| (*rule, span.clone()))
    }

    pub(super) fn attributions(&self) -> Vec<Attribution<'a>> {
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
                        // "people are saying ...", "i'm told ...": a crowd or hearsay reporting,
                        // as vague as "critics say", and like it only an alarm when what it
                        // reports is an accusation.
                        if vague_rule.kind == RuleKind::VagueSource
                            && rule.kind == RuleKind::ReportingVerb
                        {
                            out.push(Attribution {
                                rule,
                                span: span.clone(),
                                vague: true,
                                vague_by: Some((vague_rule, whole)),
                                trailing: false,
                                needs_allegation: true,
                            });
                        }
                        continue;
                    }
                    let k = self.word_index(span.start);
                    if k > 0 && self.cx.text[self.words()[k - 1].clone()].eq_ignore_ascii_case("to")
                    {
                        continue; // "declined to say", "wants to know"
                    }
                    let after_possessive = k > 0 && {
                        let previous = &self.cx.text[self.words()[k - 1].clone()];
                        previous.ends_with("'s") || previous.ends_with("\u{2019}s")
                    };
                    if after_possessive {
                        continue; // "the treasurer's alleged payments": an adjective
                    }
                    if rule.kind != RuleKind::AttributionPattern && self.used_as_noun(span) {
                        continue; // "angry calls came in", "claims of abuse"
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

    /// Whether a vague phrase that starts before `span` covers it ("is said to", "faced
    /// claims that"): the verb is part of the vague phrase, not a source.
    pub(super) fn inside_vague_phrase(
        &self,
        span: &Range<usize>,
    ) -> Option<(&'a Rule, Range<usize>)> {
        let i = self.hits.partition_point(|(_, s)| s.start <= span.start);
        self.hits[i.saturating_sub(8)..i]
            .iter()
            .find(|(r, s)| {
                let covers = (s.start < span.start && s.end >= span.end)
                    || (s.start == span.start && s.end > span.end);
                covers
                    && matches!(
                        r.kind,
                        RuleKind::AgentlessPassive | RuleKind::VagueSource | RuleKind::Hedge
                    )
            })
            .map(|(r, s)| (*r, s.clone()))
    }

    /// A reporting word spelled like a plural noun and followed by a word that only
    /// follows nouns ("calls came", "claims of", "charges were").
    pub(super) fn used_as_noun(&self, span: &Range<usize>) -> bool {
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
        self.cx.grammar.noun_followers.contains(&next)
    }

    /// "... was accused of fraud by the SEC": a `by` agent with a name.
    pub(super) fn named_agent_after(&self, at: usize) -> bool {
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
                && !self.cx.grammar.not_names.contains(&w.to_lowercase())
        })
    }
}
