//! Is the sentence an accusation? A party (a name, a role, an organisation, a pronoun)
//! and a wrongdoing predicate (a word, a phrasal pattern or an idiom from the lexicons),
//! asserted as fact: not negated, not hypothetical, not an official act on the record and
//! not settled history. Questions, requests and opinions are settled before this is asked.

use std::ops::Range;

use super::sentence::Sentence;
use super::{Finding, Test, Verdict, text};
use crate::lexicon::{RuleKind, is_common_word};

/// How many words after a negation it still negates.
const NEGATION_REACH: usize = 4;
/// Sentences about years before this one report settled history.
const HISTORY_BEFORE: u32 = 1950;
/// Bytes before a term in which to look for its negation (bounds the look-back).
const NEGATION_REACH_BYTES: usize = 160;
/// How many words after a wrongdoing word a topic noun may come ("fraud trial").
const TOPIC_REACH: usize = 1;
/// Shortest lower-case word taken for a name when no dictionary knows it.
const MIN_NAME_LEN: usize = 3;
/// How many words a subject opening a predicate's clause may have ("the deputy head of
/// maths at the grammar school").
const SUBJECT_REACH: usize = 10;
/// How many words before a party word its determiner may stand ("the club's head coach").
const DETERMINER_REACH: usize = 3;
/// The rule whose terms stand for a party by themselves: "he", "they".
const PRONOUN_RULE: &str = "party-pronoun";
/// A wrongdoing predicate's rule and span, and the span of the party it accuses.
pub(super) type Accused<'a> = (&'a crate::lexicon::Rule, Range<usize>, Option<Range<usize>>);

/// A sentence's possible parties, in order of appearance.
#[derive(Debug, Default)]
pub(super) struct PartyCandidates {
    /// Names, pronouns and definite party words: a party wherever they stand.
    anywhere: Vec<Range<usize>>,
    /// Party words with no determiner: a party as the subject before a predicate.
    bare: Vec<Range<usize>>,
}

enum Reference {
    Particular,
    Bare,
    Anyone,
}

fn predicate_is_phrase(text: &str) -> bool {
    text.split_whitespace().nth(1).is_some()
}

impl<'a> Sentence<'a> {
    /// Accusations the rules find (a predicate with a party), predicates that accuse no
    /// one (as `NoParty` findings, for the record), and quotations with no speaker when
    /// the sentence has no source at all. Empty when an official act or settled history
    /// takes the sentence out of dispute.
    pub(super) fn allegation_evidence(&self, has_source: bool) -> Vec<Finding> {
        if !self.open_to_dispute() {
            return Vec::new();
        }
        let mut out: Vec<Finding> = self
            .accused()
            .iter()
            .map(|(rule, span, party)| match party {
                Some(party) => {
                    let mut finding = self.finding(rule.severity, rule, span, Test::Accusation);
                    finding.party = Some(party.clone());
                    finding.predicate = Some(span.clone());
                    finding
                }
                None => {
                    let mut finding = self.finding(Verdict::Ok, rule, span, Test::NoParty);
                    finding.message = format!(
                        "'{}' accuses no one named here.",
                        self.cx.text[span.clone()].trim()
                    );
                    finding.predicate = Some(span.clone());
                    finding
                }
            })
            .collect();
        if !has_source && let Some(quote) = self.unattributed_quote() {
            out.push(Finding::new(
                Verdict::Flag,
                "unattributed-quote",
                "Quoted words with no speaker: say who said them.",
                quote,
                Test::UnattributedQuote,
            ));
        }
        out.sort_by_key(|f| (std::cmp::Reverse(f.verdict), f.span.start));
        out
    }

    /// The wrongdoing predicates asserted as fact, each with the party it accuses if the
    /// sentence names one; empty when the sentence is not open to dispute. Found once.
    pub(super) fn accused(&self) -> &[Accused<'a>] {
        self.accused.get_or_init(|| {
            if !self.open_to_dispute() {
                return Vec::new();
            }
            self.predicates()
                .into_iter()
                .map(|(rule, span)| (*rule, span.clone(), self.party(span)))
                .collect()
        })
    }

    /// Neither an official act on the record ("was charged with") nor settled history.
    pub(super) fn open_to_dispute(&self) -> bool {
        *self.disputable.get_or_init(|| {
            self.of_kind(RuleKind::OfficialRecord).next().is_none() && !self.is_history()
        })
    }

    /// Wrongdoing predicates asserted as fact: not negated, not part of a name, not inside
    /// a hypothetical ("if they took bribes"), not naming a topic ("the fraud trial").
    fn predicates(&self) -> Vec<&(&'a crate::lexicon::Rule, Range<usize>)> {
        let headline = self.is_headline();
        let conditionals: Vec<&Range<usize>> = self
            .of_kind(RuleKind::Conditional)
            .map(|(_, span)| span)
            .collect();
        self.of_kind(RuleKind::AllegationTerm)
            .filter(|(_, span)| !self.negated(span))
            .filter(|(_, span)| headline || !self.in_proper_name(span))
            .filter(|(_, span)| !self.hypothetical(span, &conditionals))
            .filter(|(_, span)| !self.topical(span))
            .collect()
    }

    /// A wrongdoing word naming a topic: right before a topic noun ("the fraud trial",
    /// "the bribery law", "a doping tribunal") or after "anti-".
    fn topical(&self, span: &Range<usize>) -> bool {
        let before = &self.cx.text.as_bytes()[span.start.saturating_sub(5)..span.start];
        let anti = before.eq_ignore_ascii_case(b"anti-");
        let next = self.word_index(span.end);
        let before_topic = self.words()[next..].iter().take(TOPIC_REACH).any(|w| {
            self.hits_in(RuleKind::TopicNoun, w).next().is_some()
                && self.break_after(span.end).is_none_or(|(b, _)| b > w.start)
        });
        anti || before_topic
    }

    /// An identifiable party the sentence names, outside `predicate`: a name, a possessor
    /// ("the club's"), a pronoun, or a party word ("coach", "council") that is definite
    /// ("the coach", "his staff") or the bare subject before the predicate ("cops are
    /// taking bribes"). "A person", "someone" or "companies" in a definition accuse no
    /// one.
    pub(super) fn party(&self, predicate: &Range<usize>) -> Option<Range<usize>> {
        let outside = |s: &&Range<usize>| s.end <= predicate.start || s.start >= predicate.end;
        let candidates = self.party_candidates();
        let anywhere = candidates.anywhere.iter().find(outside);
        let subject = candidates.bare.first().filter(|s| s.end <= predicate.start);
        match (anywhere, subject) {
            (Some(a), Some(b)) => Some(if a.start <= b.start { a } else { b }.clone()),
            (a, b) => a.or(b).cloned(),
        }
        .or_else(|| self.definite_subject(predicate))
    }

    /// The sentence's possible parties, found once, in order.
    fn party_candidates(&self) -> &PartyCandidates {
        self.parties.get_or_init(|| {
            let mut anywhere: Vec<Range<usize>> = self
                .words()
                .iter()
                .enumerate()
                .filter(|(i, w)| self.is_name(*i, w))
                .map(|(_, w)| w.clone())
                .collect();
            let mut bare = Vec::new();
            for (rule, span) in self.of_kind(RuleKind::Party) {
                match self.reference(rule.id == PRONOUN_RULE, span) {
                    Reference::Particular => anywhere.push(span.clone()),
                    Reference::Bare => bare.push(span.clone()),
                    Reference::Anyone => {}
                }
            }
            anywhere.sort_by_key(|s| s.start);
            PartyCandidates { anywhere, bare }
        })
    }

    /// Whether a party word refers to someone in particular: a pronoun, or a definite or
    /// possessive word or a name right before it ("the coach", "his staff", "Kenyan
    /// police"); a bare word is someone in particular only as a subject.
    fn reference(&self, pronoun: bool, party: &Range<usize>) -> Reference {
        if pronoun {
            return Reference::Particular;
        }
        let at = self.word_index(party.start);
        let from = at.saturating_sub(DETERMINER_REACH);
        let clause_start = self
            .break_before(party.start)
            .map_or(self.span.start, |(b, _)| b);
        for i in (from..at).rev() {
            let word = &self.words()[i];
            if word.start < clause_start {
                break;
            }
            let lower = self.cx.text[word.clone()].to_lowercase();
            if self.cx.grammar.definite.contains(&lower) || self.is_name(i, word) {
                return Reference::Particular;
            }
            if self.cx.grammar.indefinite.contains(&lower) {
                return Reference::Anyone;
            }
        }
        Reference::Bare
    }

    /// A definite noun phrase opening the predicate's clause, when the predicate reads as
    /// its verb: "the night shift covered up ...", "this firm has been fiddling ...".
    fn definite_subject(&self, predicate: &Range<usize>) -> Option<Range<usize>> {
        let head = self.cx.text[predicate.clone()]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_lowercase();
        let verbal = predicate_is_phrase(&self.cx.text[predicate.clone()])
            || ["ed", "ing", "es", "s", "en"]
                .iter()
                .any(|ending| head.ends_with(ending));
        if !verbal {
            return None;
        }
        let clause_start = self
            .break_before(predicate.start)
            .map_or(self.span.start, |(b, _)| b);
        let first = self.word_index(clause_start);
        let last = self.word_index(predicate.start);
        if last - first > SUBJECT_REACH {
            return None;
        }
        let words = &self.words()[first..last];
        let opener = words.iter().position(|w| {
            let lower = self.cx.text[w.clone()].to_lowercase();
            !self.cx.grammar.discourse.contains(&lower)
        })?;
        let determiner = self.cx.text[words[opener].clone()].to_lowercase();
        (self.cx.grammar.definite.contains(&determiner) && words.len() - opener >= 2)
            .then(|| words[opener].start..words[words.len() - 1].end)
    }

    /// Whether the sentence names any party at all, or opens with a definite noun phrase
    /// ("the head of maths has been ...").
    pub(super) fn names_a_party(&self) -> bool {
        let opens_definite = self.words().iter().take(4).any(|w| {
            let lower = self.cx.text[w.clone()].to_lowercase();
            self.cx.grammar.definite.contains(&lower)
        });
        opens_definite || self.party(&(self.span.start..self.span.start)).is_some()
    }

    /// A word that names someone: capitalized inside the sentence ("Okafor", "FIFA"),
    /// a possessor ("okafor's"), or a lower-case word no dictionary holds ("okafor").
    fn is_name(&self, index: usize, word: &Range<usize>) -> bool {
        let text = &self.cx.text[word.clone()];
        if text.bytes().any(|b| b.is_ascii_digit()) {
            return false;
        }
        // Most words are short ASCII: lowered on the stack.
        let mut buffer = [0u8; 32];
        let owned;
        let lower: &str = if text.is_ascii() && text.len() <= buffer.len() {
            let lowered = &mut buffer[..text.len()];
            lowered.copy_from_slice(text.as_bytes());
            lowered.make_ascii_lowercase();
            std::str::from_utf8(lowered).expect("ASCII is UTF-8")
        } else {
            owned = text.to_lowercase().replace('\u{2019}', "'");
            &owned
        };
        if self.cx.grammar.not_names.contains(lower) {
            return false;
        }
        if lower.ends_with("'s") && lower.len() > 2 {
            return true;
        }
        let capitalized = text.starts_with(char::is_uppercase);
        if capitalized && index > 0 && !self.is_headline() {
            return true;
        }
        let letters = lower
            .chars()
            .all(|c| c.is_alphabetic() || c == '-' || c == '\'');
        letters && lower.chars().count() >= MIN_NAME_LEN && !is_common_word(lower)
    }

    /// Inside the reach of a conditional before it in the same clause: "if the books
    /// were cooked", "checking whether the coach doped riders". `conditionals` are the
    /// sentence's conditional words in order; only the nearest one before can reach.
    fn hypothetical(&self, span: &Range<usize>, conditionals: &[&Range<usize>]) -> bool {
        let before = conditionals.partition_point(|c| c.end <= span.start);
        before > 0 && {
            let nearest = conditionals[before - 1];
            self.break_after(nearest.end)
                .is_none_or(|(b, _)| b >= span.start)
        }
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
    pub(super) fn is_headline(&self) -> bool {
        *self.headline.get_or_init(|| {
            let capitalized = self
                .words()
                .iter()
                .filter(|w| self.cx.text[w.start..].starts_with(char::is_uppercase))
                .count();
            self.words().len() >= 3 && capitalized * 3 >= self.words().len() * 2
        })
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
}
