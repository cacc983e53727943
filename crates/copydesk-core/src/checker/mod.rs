//! The attribution checker: does a message repeat an allegation without saying who made it?
//!
//! `../shared/eval/GUIDE.md` is the contract: `flag` for an allegation asserted as fact with
//! no source, `weak` for one whose only source is vague or anonymous, `ok` for everything
//! else. The checker works sentence by sentence, is deterministic, and runs in time linear in
//! the message length.

mod accusation;
mod attribution;
mod quotes;
mod scorer;
mod sentence;
mod text;

use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;

pub use scorer::AllegationScorer;

pub use crate::verdict::Verdict;

use crate::knowledge::{AllegationStatus, KnowledgeBase, Person, Source};
use crate::lexicon::{Grammar, Lexicon};

/// A knowledge-file allegation that a sentence restates, with everything needed to tell
/// the writer who made it and how to attribute it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnownAllegation {
    pub topic: String,
    pub id: String,
    pub claim: String,
    pub made_by: PersonView,
    pub source: SourceView,
    pub status: &'static str,
    pub attributed: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonView {
    pub name: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceView {
    pub outlet: String,
    pub title: String,
    pub url: String,
    pub date: String,
}

impl KnownAllegation {
    /// The allegation's key across topics, `topic/id`: how warnings, counts and the
    /// audit log name it.
    pub fn key(&self) -> String {
        format!("{}/{}", self.topic, self.id)
    }

    pub fn new(
        topic: &str,
        id: &str,
        claim: &str,
        made_by: &Person,
        source: &Source,
        status: AllegationStatus,
        attributed: &str,
    ) -> Self {
        KnownAllegation {
            topic: topic.to_owned(),
            id: id.to_owned(),
            claim: claim.to_owned(),
            made_by: PersonView {
                name: made_by.name.clone(),
                role: made_by.role.clone(),
            },
            source: SourceView {
                outlet: source.outlet.clone(),
                title: source.title.clone(),
                url: source.url.clone(),
                date: source.date.to_string(),
            },
            status: status.as_str(),
            attributed: attributed.to_owned(),
        }
    }
}

/// Which of the checker's tests decided a sentence's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Test {
    /// A question, not a claim.
    Question,
    /// Newsroom logistics, a request or a plan.
    NotAClaim,
    /// The writer marks the words as their own opinion.
    Opinion,
    /// A named source is on record.
    NamedSource,
    /// A quotation continuing the previous sentence's named speaker.
    QuoteContinuation,
    /// Only a vague or anonymous source.
    VagueSource,
    /// A knowledge-file allegation restated.
    KnownAllegation,
    /// A party and a wrongdoing predicate, asserted as fact.
    Accusation,
    /// Quoted words with no speaker.
    UnattributedQuote,
    /// The learned classifier, for a sentence naming a party but no predicate the
    /// lexicons know.
    Classifier,
    /// A wrongdoing predicate with no party it could accuse.
    NoParty,
    /// The classifier overruled an accusation the rules found: the sentence reads as
    /// reference prose or banter.
    ClassifierVeto,
}

/// Why a sentence got its verdict: the rule that fired, where, and what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub verdict: Verdict,
    /// Id of the lexicon rule (or built-in rule) that fired, e.g. `vague-source`.
    pub rule: String,
    /// What an editor should read: the rule's message, filled in.
    pub message: String,
    /// Byte range in the whole message of the words that triggered the rule.
    pub span: Range<usize>,
    /// The test that decided the sentence's verdict.
    pub decided_by: Test,
    /// Byte range of the accused party, when the rules found one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<Range<usize>>,
    /// Byte range of the wrongdoing predicate, when the rules found one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate: Option<Range<usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allegation: Option<KnownAllegation>,
}

impl Finding {
    pub fn new(
        verdict: Verdict,
        rule: impl Into<String>,
        message: impl Into<String>,
        span: Range<usize>,
        decided_by: Test,
    ) -> Finding {
        Finding {
            verdict,
            rule: rule.into(),
            message: message.into(),
            span,
            decided_by,
            party: None,
            predicate: None,
            allegation: None,
        }
    }
}

/// The verdict for one sentence of a message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentenceReport {
    /// Byte range of the sentence in the message.
    pub span: Range<usize>,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// The classifier's score, when it was asked about this sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
}

impl SentenceReport {
    /// Sets the verdict to the worst of the findings, after a caller changed or removed
    /// some (feedback demotes rules; a thread leaves out allegations already warned about).
    pub fn settle_verdict(&mut self) {
        self.verdict = self
            .findings
            .iter()
            .map(|f| f.verdict)
            .max()
            .unwrap_or(Verdict::Ok);
    }
}

/// The verdict for a whole message: the worst of its sentences.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct MessageReport {
    pub sentences: Vec<SentenceReport>,
}

impl MessageReport {
    pub fn verdict(&self) -> Verdict {
        self.sentences
            .iter()
            .map(|s| s.verdict)
            .max()
            .unwrap_or(Verdict::Ok)
    }

    /// Findings that need an editor's attention (weak or flag), in message order.
    pub fn alarms(&self) -> impl Iterator<Item = &Finding> {
        self.sentences
            .iter()
            .flat_map(|s| s.findings.iter())
            .filter(|f| f.verdict > Verdict::Ok)
    }
}

/// The checker: compiled lexicons and grammar words, ready to check messages against a
/// knowledge base, and optionally a learned scorer for the sentences the rules leave open.
#[derive(Clone)]
pub struct Checker {
    lexicon: Lexicon,
    grammar: &'static Grammar,
    scorer: Option<Arc<dyn AllegationScorer>>,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker")
            .field("rules", &self.lexicon.rules().len())
            .field(
                "scorer",
                &self.scorer.as_ref().map(|s| s.rule_id().to_owned()),
            )
            .finish()
    }
}

impl Default for Checker {
    fn default() -> Self {
        Checker::new(Lexicon::embedded())
    }
}

impl Checker {
    pub fn new(lexicon: Lexicon) -> Self {
        Checker {
            lexicon,
            grammar: Grammar::embedded(),
            scorer: None,
        }
    }

    /// This checker, consulting `scorer` for sentences the rules leave open (see
    /// [`AllegationScorer`]).
    pub fn with_scorer(mut self, scorer: Arc<dyn AllegationScorer>) -> Self {
        self.scorer = Some(scorer);
        self
    }

    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// What the rules find in `text` taken as one sentence, as the classifier sees it
    /// (`AllegationScorer::score`): training computes an example's cues with this, so a
    /// model learns from exactly what it is shown when checking.
    pub fn cues(&self, text: &str) -> Vec<String> {
        let masked = text::mask(text);
        let hits = self.lexicon.scan(&masked);
        let cx = sentence::Context {
            lexicon: &self.lexicon,
            grammar: self.grammar,
            kb: None,
            scorer: None,
            text: &masked,
        };
        let trimmed = masked.trim_end();
        let start = trimmed.len() - trimmed.trim_start().len();
        sentence::cues(&cx, start..trimmed.len(), &hits)
    }

    /// Checks one message, sentence by sentence. Quoted reply-fallback lines (`> `), fenced
    /// code, URLs and markdown markers are not the author's prose and are blanked first;
    /// spans still point into `message`.
    ///
    /// One automaton pass over the message finds every lexicon hit; each sentence then
    /// looks only at its own hits, so the cost is linear in the message length.
    pub fn check(&self, kb: &KnowledgeBase, message: &str) -> MessageReport {
        let masked = text::mask(message);
        let hits = self.lexicon.scan(&masked);
        let cx = sentence::Context {
            lexicon: &self.lexicon,
            grammar: self.grammar,
            kb: Some(kb),
            scorer: self.scorer.as_deref(),
            text: &masked,
        };
        let mut sentences = Vec::new();
        let mut next_hit = 0;
        let mut follows_named = false;
        for span in text::sentences(&masked, &self.grammar.abbreviations) {
            while next_hit < hits.len() && hits[next_hit].span.start < span.start {
                next_hit += 1;
            }
            let first = next_hit;
            while next_hit < hits.len() && hits[next_hit].span.start < span.end {
                next_hit += 1;
            }
            // Hits starting in the sentence; `sentence::check` drops any that run past it.
            let own = &hits[first..next_hit];
            let (report, named) = sentence::check(&cx, span, own, follows_named);
            follows_named = named;
            sentences.push(report);
        }
        MessageReport { sentences }
    }
}

#[cfg(test)]
mod tests;
