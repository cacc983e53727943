//! The clause test: is a text sentence-like enough to be a label? Enough words, a finite
//! verb, not in the first person.

use super::{LabelStats, MIN_WORDS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reject {
    TooShort,
    NoFiniteVerb,
    FirstPerson,
}

impl Reject {
    pub(super) fn count(self, stats: &mut LabelStats) {
        match self {
            Reject::TooShort => stats.too_short += 1,
            Reject::NoFiniteVerb => stats.no_finite_verb += 1,
            Reject::FirstPerson => stats.first_person += 1,
        }
    }
}

/// Clause-like: enough words, a finite verb, not in the first person.
pub(super) fn clause_check(text: &str) -> Result<(), Reject> {
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}'))
        .map(|w| w.trim_matches(['\'', '\u{2019}']))
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() < MIN_WORDS {
        return Err(Reject::TooShort);
    }
    if !has_finite_verb(&words) {
        return Err(Reject::NoFiniteVerb);
    }
    if words.iter().any(|w| is_first_person(w)) {
        return Err(Reject::FirstPerson);
    }
    Ok(())
}

fn is_first_person(word: &str) -> bool {
    let lower = word.to_lowercase().replace('\u{2019}', "'");
    matches!(
        lower.as_str(),
        "i" | "me"
            | "my"
            | "mine"
            | "myself"
            | "we"
            | "us"
            | "our"
            | "ours"
            | "ourselves"
            | "i'm"
            | "i've"
            | "i'd"
            | "i'll"
            | "we're"
            | "we've"
            | "we'd"
            | "we'll"
    )
}

const AUXILIARIES: &[&str] = &[
    "am", "are", "can", "could", "did", "does", "had", "has", "have", "is", "may", "might", "must",
    "shall", "should", "was", "were", "will", "would",
];

const IRREGULAR_PAST: &[&str] = &[
    "ate",
    "became",
    "began",
    "bought",
    "brought",
    "built",
    "came",
    "chose",
    "drew",
    "drove",
    "fell",
    "felt",
    "fled",
    "flew",
    "forgot",
    "fought",
    "found",
    "gave",
    "got",
    "grew",
    "held",
    "hid",
    "kept",
    "knew",
    "led",
    "left",
    "lent",
    "lost",
    "made",
    "meant",
    "met",
    "paid",
    "ran",
    "rang",
    "rose",
    "said",
    "sat",
    "saw",
    "sent",
    "shot",
    "sold",
    "spent",
    "spoke",
    "stole",
    "stood",
    "struck",
    "swore",
    "taught",
    "thought",
    "threw",
    "told",
    "took",
    "tore",
    "understood",
    "went",
    "won",
    "wore",
    "wrote",
];

const SUBJECT_PRONOUNS: &[&str] = &[
    "he", "she", "it", "they", "you", "who", "which", "that", "this", "there", "what",
];

/// Words ending in "-ed" that are not verbs.
const NOT_PAST: &[&str] = &[
    "bed", "breed", "feed", "hundred", "indeed", "need", "red", "seed", "shed", "speed", "steed",
];

/// A rough finite-verb test, good enough for weak labels: an auxiliary or modal, a
/// negative or other contraction, a past tense (regular or common irregular), or a
/// present-tense verb right after a subject pronoun or a name.
fn has_finite_verb(words: &[&str]) -> bool {
    let lower: Vec<String> = words
        .iter()
        .map(|w| w.to_lowercase().replace('\u{2019}', "'"))
        .collect();
    lower.iter().enumerate().any(|(i, w)| {
        let w = w.as_str();
        if AUXILIARIES.binary_search(&w).is_ok() || IRREGULAR_PAST.binary_search(&w).is_ok() {
            return true;
        }
        if ["n't", "'re", "'ve", "'ll", "'d", "'m"]
            .iter()
            .any(|s| w.ends_with(s))
        {
            return true;
        }
        if let Some(stem) = w.strip_suffix("'s")
            && SUBJECT_PRONOUNS.contains(&stem)
        {
            return true;
        }
        if w.len() >= 5 && w.ends_with("ed") && !NOT_PAST.contains(&w) {
            return true;
        }
        let Some(prev) = i.checked_sub(1).map(|p| lower[p].as_str()) else {
            return false;
        };
        let alphabetic = w.chars().all(|c| c.is_ascii_lowercase());
        let present_s = alphabetic
            && w.len() >= 3
            && w.ends_with('s')
            && !w.ends_with("ss")
            && !w.ends_with("us")
            && !w.ends_with("is");
        let after_name = words[i - 1].chars().next().is_some_and(char::is_uppercase)
            && words[i].chars().next().is_some_and(char::is_lowercase);
        (present_s && (SUBJECT_PRONOUNS.contains(&prev) || after_name))
            || (alphabetic && matches!(prev, "they" | "you" | "we" | "i") && !is_function_word(w))
    })
}

fn is_function_word(w: &str) -> bool {
    matches!(
        w,
        "and"
            | "or"
            | "but"
            | "the"
            | "a"
            | "an"
            | "to"
            | "of"
            | "in"
            | "on"
            | "at"
            | "for"
            | "with"
            | "all"
            | "both"
            | "too"
            | "also"
            | "who"
            | "that"
            | "which"
            | "as"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lists_are_sorted_for_binary_search() {
        for list in [AUXILIARIES, IRREGULAR_PAST] {
            assert!(
                list.windows(2).all(|w| w[0] < w[1]),
                "{:?}",
                list.windows(2).find(|w| w[0] >= w[1])
            );
        }
    }

    #[test]
    fn clause_test_needs_words_a_verb_and_no_first_person() {
        assert_eq!(
            clause_check("the mayor hid the audit from the council"),
            Ok(())
        );
        assert_eq!(
            clause_check("The Mayor hides audits from council members"),
            Ok(())
        );
        assert_eq!(clause_check("the budget hole"), Err(Reject::TooShort));
        assert_eq!(
            clause_check("a long and winding road through the quiet hills of home"),
            Err(Reject::NoFiniteVerb)
        );
        assert_eq!(
            clause_check("we will never accept this budget from them"),
            Err(Reject::FirstPerson)
        );
    }
}
