//! The curated knowledge file: topics, their sources, facts and attributed allegations.
//!
//! `KnowledgeBase::parse` turns TOML text into a validated, indexed knowledge base or into
//! every problem found, each with `file:line:column`. Reading the file is the caller's job.

mod fields;
mod load;
mod lookup;
mod matcher;
mod names;

use jiff::civil::Date;

pub use lookup::Lookup;
pub use matcher::AllegationHit;

/// A validated, indexed knowledge file. Immutable once built; a reload builds a new one.
#[derive(Debug, Clone)]
pub struct KnowledgeBase {
    topics: Vec<Topic>,
    /// Lowercased slug or alias -> index into `topics`.
    names: rustc_hash::FxHashMap<String, usize>,
    /// Short content hash of the source text, shown in answers so editors know which
    /// version of the file answered.
    version: String,
    /// Every slug and alias, arranged for fast "did you mean" searches. Built on the first
    /// miss rather than at load: it is the costliest index (tens of milliseconds for ten
    /// thousand topics) and many loads never need it.
    suggester: std::sync::OnceLock<names::Suggester>,
    /// One automaton over every allegation's match terms.
    matcher: matcher::Matcher,
}

/// One background topic, e.g. `bulgaria-schengen`.
#[derive(Debug, Clone)]
pub struct Topic {
    pub slug: String,
    pub title: String,
    pub aliases: Vec<String>,
    pub summary: String,
    /// When an editor last reviewed the entry.
    pub updated: Date,
    /// How long after `updated` the entry counts as stale.
    pub review_every: Option<jiff::Span>,
    pub tags: Vec<String>,
    pub sources: Vec<Source>,
    pub facts: Vec<Fact>,
    pub allegations: Vec<Allegation>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: String,
    pub outlet: String,
    pub title: String,
    pub url: String,
    pub date: Date,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub text: String,
    /// Ids of the topic's sources that back this fact (validated to exist).
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub name: String,
    /// e.g. "Bulgaria's interior minister".
    pub role: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AllegationStatus {
    Unproven,
    Denied,
    Disputed,
    Confirmed,
    Retracted,
}

impl AllegationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AllegationStatus::Unproven => "unproven",
            AllegationStatus::Denied => "denied",
            AllegationStatus::Disputed => "disputed",
            AllegationStatus::Confirmed => "confirmed",
            AllegationStatus::Retracted => "retracted",
        }
    }

    /// Open allegations are the ones still needing attribution when repeated.
    pub fn is_open(self) -> bool {
        !matches!(self, AllegationStatus::Confirmed)
    }
}

/// An allegation someone made, and how to recognise it restated in chat.
#[derive(Debug, Clone, PartialEq)]
pub struct Allegation {
    /// Unique within its topic; `topic-slug/allegation-id` is unique in the file.
    pub id: String,
    /// The claim in neutral words, e.g. "Russia's foreign intelligence service works with
    /// people-smuggling networks to move migrants into the EU".
    pub claim: String,
    pub made_by: Person,
    /// Id of the topic source that reports the allegation.
    pub source: String,
    pub status: AllegationStatus,
    /// Every group must match somewhere in a sentence; a group matches when any of its
    /// terms does. Terms are lowercase words or phrases; a trailing `*` matches any word
    /// ending (`smuggl*`).
    pub match_all: Vec<Vec<String>>,
    /// How to say it with attribution, e.g. "Bulgaria's interior minister, Daniel Mitov,
    /// alleged that ...".
    pub attributed: String,
}

impl KnowledgeBase {
    /// Parses and validates knowledge-file text. `origin` names the file in error messages.
    pub fn parse(origin: &str, text: &str) -> Result<KnowledgeBase, crate::LocatedErrors> {
        load::parse(origin, text)
    }

    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    /// Short content hash identifying this version of the file.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Every allegation in the file with the topic it belongs to.
    pub fn allegations(&self) -> impl Iterator<Item = (&Topic, &Allegation)> {
        self.topics
            .iter()
            .flat_map(|t| t.allegations.iter().map(move |a| (t, a)))
    }
}

impl Topic {
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// The date after which the entry is stale, if it has a review period.
    pub fn review_due(&self) -> Option<Date> {
        self.review_every
            .and_then(|span| self.updated.checked_add(span).ok())
    }

    pub fn is_stale(&self, today: Date) -> bool {
        self.review_due().is_some_and(|due| today > due)
    }
}
