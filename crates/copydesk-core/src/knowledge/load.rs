//! Parsing and validating the knowledge file.
//!
//! The schema (documented for editors in the README):
//!
//! ```toml
//! [[topic]]
//! slug = "bulgaria-schengen"      # lowercase-kebab, unique
//! title = "..."
//! aliases = ["bulgaria"]          # optional; unique across all slugs and aliases
//! summary = "..."
//! updated = 2026-11-02            # TOML date
//! review_every = "6 months"       # optional jiff span in whole days or longer
//! tags = ["migration"]            # optional
//!
//! [[topic.source]]                # id, outlet, title, url (http/https), date
//! [[topic.fact]]                  # text, sources = ["source-id", ...]
//! [[topic.allegation]]            # id, claim, made_by = { name, role }, source, status,
//!                                 # match_all = [["term", "prefix*"], ...], attributed
//! ```
//!
//! Every problem is collected, not just the first: an editor fixing the file sees them all.

mod allegations;
mod pieces;
mod topics;

use toml::Spanned;
use toml::de::DeTable;

use super::fields::{Fields, Problems};
use super::matcher::MatcherBuilder;
use super::{KnowledgeBase, Topic};
use crate::LocatedErrors;
use pieces::read_in_pieces;
use topics::{NameRegistry, TopicRead, read_topic};

const ROOT_FIELDS: &[&str] = &["topic"];
const TOPIC_FIELDS: &[&str] = &[
    "slug",
    "title",
    "aliases",
    "summary",
    "updated",
    "review_every",
    "tags",
    "source",
    "fact",
    "allegation",
];

pub(super) fn parse(origin: &str, text: &str) -> Result<KnowledgeBase, LocatedErrors> {
    let reader = match read_in_pieces(origin, text) {
        Some(reader) => reader,
        None => read_whole(origin, text)?,
    };
    let Reader {
        mut p,
        registry,
        topics,
        matcher,
    } = reader;
    if !p.is_empty() {
        return Err(p.into_errors());
    }
    let topics: Vec<Topic> = topics.into_iter().flatten().collect();
    let matcher = match matcher.build() {
        Ok(m) => m,
        Err(message) => {
            p.report(0..0, message);
            return Err(p.into_errors());
        }
    };
    let names = registry.into_map();
    Ok(KnowledgeBase {
        suggester: std::sync::OnceLock::new(),
        names,
        version: version(text),
        matcher,
        topics,
    })
}

/// Topics read so far, and every problem found on the way.
struct Reader<'t> {
    /// Spans given to it are spans of the whole file (its base stays 0).
    p: Problems<'t>,
    registry: NameRegistry,
    /// One entry per `[[topic]]`, `None` where the topic has problems.
    topics: Vec<Option<Topic>>,
    /// The allegation matcher's terms, from every topic without problems so far.
    matcher: MatcherBuilder,
}

impl<'t> Reader<'t> {
    fn new(origin: &'t str, text: &'t str) -> Self {
        Reader {
            p: Problems::new(origin, text),
            registry: NameRegistry::default(),
            topics: Vec::new(),
            matcher: MatcherBuilder::default(),
        }
    }

    /// Adds topics read from the next part of the file, checking their names against
    /// every earlier topic's: the one step that needs all that came before.
    fn add(&mut self, topics: Vec<TopicRead>) {
        for read in topics {
            self.registry
                .add_topic(&mut self.p, read.label, &read.names);
            if let Some(topic) = &read.topic {
                self.matcher.add_topic(topic);
            }
            self.topics.push(read.topic);
        }
    }
}

/// Reads the topics of one parsed document, or of one piece of the file, on its own:
/// everything but the checks across topics.
fn read_document(document: &Spanned<DeTable>, p: &mut Problems) -> Vec<TopicRead> {
    let root = Fields::new(
        document.get_ref(),
        document.span(),
        "the knowledge file",
        ROOT_FIELDS,
    );
    root.finish(p);
    root.tables(p, "topic", "[[topic]]", "topic", TOPIC_FIELDS)
        .iter()
        .map(|t| read_topic(t, p))
        .collect()
}

/// Parses the file as one TOML document. Syntax errors are returned as they are: after
/// one the recovered tree is a guess, and checking it would only add confusing follow-on
/// complaints.
fn read_whole<'t>(origin: &'t str, text: &'t str) -> Result<Reader<'t>, LocatedErrors> {
    let mut reader = Reader::new(origin, text);
    let (document, syntax_errors) = DeTable::parse_recoverable(text);
    if !syntax_errors.is_empty() {
        for e in syntax_errors {
            reader
                .p
                .report(e.span().unwrap_or(0..0), one_line(e.message()));
        }
        return Err(reader.p.into_errors());
    }
    let topics = read_document(&document, &mut reader.p);
    reader.add(topics);
    Ok(reader)
}

/// Twelve hex digits of a 64-bit FNV-1a hash of the text, taken eight bytes at a time
/// (little-endian, the last word zero-padded, then the length): stable across builds and
/// platforms, fast on a large file, and short enough to quote in a chat answer.
fn version(text: &str) -> String {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let mut words = text.as_bytes().chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        hash = (hash ^ word).wrapping_mul(PRIME);
    }
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    hash = (hash ^ u64::from_le_bytes(last)).wrapping_mul(PRIME);
    hash = (hash ^ text.len() as u64).wrapping_mul(PRIME);
    format!("{hash:016x}")[..12].to_owned()
}

/// toml's messages are single sentences, but make sure: one problem, one line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
