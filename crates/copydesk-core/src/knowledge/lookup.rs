//! Finding a topic by slug or alias, with "did you mean" suggestions for near misses.

use super::{KnowledgeBase, Topic};

/// The result of looking a topic up by name.
#[derive(Debug, Clone)]
pub enum Lookup<'a> {
    Found(&'a Topic),
    /// No exact match; these topics have close names (best first).
    Suggestions(Vec<&'a Topic>),
    Unknown,
}

impl KnowledgeBase {
    /// Finds a topic by slug or alias, case-insensitively.
    pub fn lookup(&self, query: &str) -> Lookup<'_> {
        let _ = query;
        todo!("lookup")
    }
}
