//! Finding a topic by slug or alias, with "did you mean" suggestions for near misses.

use super::{KnowledgeBase, Topic, names};

/// At most this many "did you mean" suggestions.
const MAX_SUGGESTIONS: usize = 3;

/// The result of looking a topic up by name.
#[derive(Debug, Clone)]
pub enum Lookup<'a> {
    Found(&'a Topic),
    /// No exact match; these topics have close names (best first).
    Suggestions(Vec<&'a Topic>),
    Unknown,
}

impl KnowledgeBase {
    /// Finds a topic by slug or alias, ignoring case, surrounding whitespace and the
    /// difference between spaces, hyphens and underscores. On a miss, suggests up to three
    /// topics whose names start with the query or are a typo or two away from it.
    pub fn lookup(&self, query: &str) -> Lookup<'_> {
        let key = names::normalize(query);
        if let Some(&i) = self.names.get(&key) {
            return Lookup::Found(&self.topics[i]);
        }
        let close = self.suggester.suggest(&key, MAX_SUGGESTIONS);
        if close.is_empty() {
            Lookup::Unknown
        } else {
            Lookup::Suggestions(close.into_iter().map(|i| &self.topics[i]).collect())
        }
    }
}
