//! Grammar words as data: the closed-class word lists the checker's sentence tests and the
//! sentence splitters consult, from `lexicons/grammar.toml` (see the comments there for
//! what each list is for). Parsed and validated once per process; every list is sorted
//! once, so a lookup is a binary search.

use std::sync::OnceLock;

use serde::Deserialize;
use toml::Spanned;

use crate::location::{Located, LocatedErrors};

/// Where the embedded grammar file comes from, and its text.
pub const EMBEDDED_GRAMMAR: (&str, &str) = (
    "lexicons/grammar.toml",
    include_str!("../../lexicons/grammar.toml"),
);

/// A set of lowercase words. The checker asks one for nearly every word it reads, so a
/// word of up to [`PACKED`] bytes is packed with its length into one integer and looked
/// up by binary search over integers, with no string comparisons.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WordSet {
    /// Packed short words, sorted.
    short: Box<[u128]>,
    /// Longer words, sorted.
    long: Box<[Box<str>]>,
}

/// The longest word packed into a `u128`: its bytes, then its length in the last byte.
const PACKED: usize = 15;

/// `bytes` (at most `PACKED` of them) and their length as one integer, ASCII-lowercased
/// if `lowercase`.
fn pack(bytes: &[u8], lowercase: bool) -> u128 {
    let mut key = [0u8; PACKED + 1];
    key[..bytes.len()].copy_from_slice(bytes);
    if lowercase {
        key.make_ascii_lowercase();
    }
    key[PACKED] = bytes.len() as u8;
    u128::from_le_bytes(key)
}

impl WordSet {
    fn new(words: Vec<Box<str>>) -> WordSet {
        let (short, long): (Vec<Box<str>>, Vec<Box<str>>) =
            words.into_iter().partition(|w| w.len() <= PACKED);
        let mut short: Vec<u128> = short.iter().map(|w| pack(w.as_bytes(), false)).collect();
        short.sort_unstable();
        short.dedup();
        let mut long = long;
        long.sort_unstable();
        long.dedup();
        WordSet {
            short: short.into_boxed_slice(),
            long: long.into_boxed_slice(),
        }
    }

    /// Whether `word` (already lowercase) is in the set.
    pub fn contains(&self, word: &str) -> bool {
        if word.len() <= PACKED {
            self.short
                .binary_search(&pack(word.as_bytes(), false))
                .is_ok()
        } else {
            self.long.binary_search_by(|w| (**w).cmp(word)).is_ok()
        }
    }

    /// Whether `word` is in the set, ignoring ASCII case ("That", "THAT", "that").
    pub fn contains_ignore_ascii_case(&self, word: &str) -> bool {
        if word.len() <= PACKED {
            self.short
                .binary_search(&pack(word.as_bytes(), true))
                .is_ok()
        } else {
            self.contains(&word.to_ascii_lowercase())
        }
    }
}

/// The word lists of `lexicons/grammar.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grammar {
    /// Words after which a full stop does not end a sentence, without the stop.
    pub abbreviations: WordSet,
    /// Words that open a question when the question mark is left out.
    pub question_openers: WordSet,
    /// Words that do not name anyone even when capitalized.
    pub not_names: WordSet,
    /// Words before a party word that make it someone in particular.
    pub definite: WordSet,
    /// Words before a party word that make it anyone at all.
    pub indefinite: WordSet,
    /// Words that may open a chat line before its subject.
    pub discourse: WordSet,
    /// Words a reporting verb's subject does not reach back across.
    pub subject_stops: WordSet,
    /// Words that follow a plural noun but not a reporting verb.
    pub noun_followers: WordSet,
}

type RawList = Spanned<Vec<Spanned<String>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrammar {
    /// Free text for the people who edit the file; not used.
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    abbreviations: RawList,
    question_openers: RawList,
    not_names: RawList,
    definite: RawList,
    indefinite: RawList,
    discourse: RawList,
    subject_stops: RawList,
    noun_followers: RawList,
}

impl Grammar {
    /// The grammar file embedded in the binary, parsed once per process and shared.
    pub fn embedded() -> &'static Grammar {
        static EMBEDDED: OnceLock<Grammar> = OnceLock::new();
        EMBEDDED.get_or_init(|| {
            let (origin, text) = EMBEDDED_GRAMMAR;
            Grammar::parse(origin, text)
                .unwrap_or_else(|e| panic!("embedded grammar file is invalid:\n{e}"))
        })
    }

    /// Parses and validates a grammar file. `origin` names the file in error messages.
    pub fn parse(origin: &str, text: &str) -> Result<Grammar, LocatedErrors> {
        let raw: RawGrammar =
            toml::from_str(text).map_err(|e| LocatedErrors::from_toml(origin, text, &e))?;
        let mut errors = Vec::new();
        let mut list = |name: &str, raw: RawList| -> WordSet {
            let (words, problems) = validate(name, raw);
            errors.extend(
                problems
                    .into_iter()
                    .map(|(span, message)| Located::at(origin, text, Some(span), message)),
            );
            words
        };
        let grammar = Grammar {
            abbreviations: list("abbreviations", raw.abbreviations),
            question_openers: list("question_openers", raw.question_openers),
            not_names: list("not_names", raw.not_names),
            definite: list("definite", raw.definite),
            indefinite: list("indefinite", raw.indefinite),
            discourse: list("discourse", raw.discourse),
            subject_stops: list("subject_stops", raw.subject_stops),
            noun_followers: list("noun_followers", raw.noun_followers),
        };
        if errors.is_empty() {
            Ok(grammar)
        } else {
            Err(LocatedErrors(errors).sorted())
        }
    }
}

/// The words of list `name`, and the problems found in it, each at its place.
fn validate(name: &str, raw: RawList) -> (WordSet, Vec<(std::ops::Range<usize>, String)>) {
    let mut problems = Vec::new();
    let list_span = raw.span();
    let raw = raw.into_inner();
    if raw.is_empty() {
        problems.push((list_span, format!("{name} is empty")));
    }
    let mut words: Vec<Box<str>> = Vec::with_capacity(raw.len());
    for word in raw {
        let span = word.span();
        let w = word.get_ref();
        let problem = if w.is_empty() {
            Some("is empty".to_owned())
        } else if w.chars().any(char::is_whitespace) {
            Some("one word per entry, no spaces".to_owned())
        } else if w.to_lowercase() != *w {
            Some("write it in lowercase".to_owned())
        } else if name == "abbreviations" && w.ends_with('.') {
            Some("write it without the final full stop".to_owned())
        } else if words.iter().any(|seen| **seen == **w) {
            Some(format!("is already in {name}"))
        } else {
            None
        };
        match problem {
            Some(problem) => problems.push((span, format!("{name}: {w:?} {problem}"))),
            None => words.push(w.as_str().into()),
        }
    }
    (WordSet::new(words), problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_grammar_parses() {
        let grammar = Grammar::embedded();
        assert!(grammar.abbreviations.contains("sept"));
        assert!(grammar.abbreviations.contains("u.s"));
        assert!(grammar.question_openers.contains("didn't"));
        assert!(!grammar.not_names.contains("okafor"));
        assert!(grammar.subject_stops.contains_ignore_ascii_case("THAT"));
        assert!(!grammar.subject_stops.contains_ignore_ascii_case("thatcher"));
    }

    #[test]
    fn word_sets_hold_short_and_long_words_exactly() {
        let words = [
            "a",
            "an",
            "fifteen-letters",
            "sixteen-letters!",
            "über",
            "don't",
        ];
        let set = WordSet::new(words.iter().map(|w| Box::from(*w)).collect());
        for word in words {
            assert!(set.contains(word), "{word}");
        }
        assert!(set.contains_ignore_ascii_case("FIFTEEN-Letters"));
        assert!(set.contains_ignore_ascii_case("Sixteen-Letters!"));
        assert!(set.contains_ignore_ascii_case("üBER"));
        for word in [
            "",
            "a\0",
            "A",
            "ans",
            "fifteen-letter",
            "sixteen-letters",
            "Über",
        ] {
            assert!(!set.contains(word), "{word:?}");
        }
        assert!(
            !set.contains_ignore_ascii_case("ÜBER"),
            "only ASCII case is ignored"
        );
    }

    #[test]
    fn bad_words_are_errors_with_their_place() {
        let text = EMBEDDED_GRAMMAR.1.replacen(
            "\"mr\", ",
            "\"Mr\", \"mr.\", \"mr\", \"mr\", \"two words\", ",
            1,
        );
        let errors = Grammar::parse("grammar.toml", &text)
            .unwrap_err()
            .to_string();
        let line = text
            .lines()
            .position(|l| l.contains("\"Mr\""))
            .expect("the edited line")
            + 1;
        for expected in [
            format!("grammar.toml:{line}:3: abbreviations: \"Mr\" write it in lowercase"),
            format!(
                "grammar.toml:{line}:9: abbreviations: \"mr.\" write it without the final full stop"
            ),
            format!("grammar.toml:{line}:22: abbreviations: \"mr\" is already in abbreviations"),
            format!(
                "grammar.toml:{line}:28: abbreviations: \"two words\" one word per entry, no spaces"
            ),
        ] {
            assert!(errors.contains(&expected), "{expected}\nin\n{errors}");
        }
    }

    #[test]
    fn missing_lists_and_unknown_keys_are_errors() {
        let errors = Grammar::parse("grammar.toml", "abbreviations = [\"mr\"]\n")
            .unwrap_err()
            .to_string();
        assert!(errors.starts_with("grammar.toml:"), "{errors}");
        assert!(errors.contains("missing field"), "{errors}");
        let text = format!("{}\nquestion_words = [\"who\"]\n", EMBEDDED_GRAMMAR.1);
        let errors = Grammar::parse("grammar.toml", &text)
            .unwrap_err()
            .to_string();
        assert!(
            errors.contains("unknown field `question_words`"),
            "{errors}"
        );
    }
}
