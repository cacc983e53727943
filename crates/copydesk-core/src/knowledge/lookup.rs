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
        let close = self
            .suggester
            .get_or_init(|| names::Suggester::new(&self.names))
            .suggest(&key, MAX_SUGGESTIONS);
        if close.is_empty() {
            Lookup::Unknown
        } else {
            Lookup::Suggestions(close.into_iter().map(|i| &self.topics[i]).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::example_knowledge as example;

    fn found(kb: &KnowledgeBase, query: &str) -> Option<String> {
        match kb.lookup(query) {
            Lookup::Found(topic) => Some(topic.slug.clone()),
            _ => None,
        }
    }

    fn suggested(kb: &KnowledgeBase, query: &str) -> Vec<String> {
        match kb.lookup(query) {
            Lookup::Suggestions(topics) => topics.iter().map(|t| t.slug.clone()).collect(),
            Lookup::Found(topic) => panic!("{query:?} unexpectedly found {}", topic.slug),
            Lookup::Unknown => Vec::new(),
        }
    }

    #[test]
    fn slug_and_alias_are_found_ignoring_case_space_and_hyphens() {
        let kb = example();
        for query in [
            "bulgaria-schengen",
            "  Bulgaria Schengen ",
            "BULGARIA_SCHENGEN",
            "bulgaria",
            "Mitov",
        ] {
            assert_eq!(
                found(&kb, query).as_deref(),
                Some("bulgaria-schengen"),
                "{query:?}"
            );
        }
        assert_eq!(
            found(&kb, "Nord Stream").as_deref(),
            Some("nord-stream-sabotage")
        );
        assert_eq!(found(&kb, "MH-17").as_deref(), Some("mh17"));
    }

    #[test]
    fn misspelling_suggests_the_intended_topic_first() {
        let kb = example();
        assert_eq!(suggested(&kb, "bulgaria-schengn")[0], "bulgaria-schengen");
        assert_eq!(suggested(&kb, "shengen")[0], "schengen-area");
        assert_eq!(suggested(&kb, "rwadna")[0], "uk-rwanda-asylum");
    }

    #[test]
    fn prefix_suggests_topics_starting_with_it() {
        let kb = example();
        assert_eq!(suggested(&kb, "nord")[0], "nord-stream-sabotage");
        assert_eq!(suggested(&kb, "belar")[0], "belarus-border-crisis-2021");
    }

    #[test]
    fn suggestions_are_at_most_three() {
        let kb = example();
        assert!(suggested(&kb, "eu").len() <= 3);
        assert!(suggested(&kb, "schengn").len() <= 3);
    }

    #[test]
    fn nonsense_is_unknown() {
        let kb = example();
        for query in ["xqzvwk", "", "   ", "!!!", "the weather in paris tomorrow"] {
            assert!(matches!(kb.lookup(query), Lookup::Unknown), "{query:?}");
        }
    }
}
