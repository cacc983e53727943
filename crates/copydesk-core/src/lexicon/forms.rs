//! Word forms for `[lemma]` terms: a lexicon writes `[bribe]` and matches "bribe",
//! "bribes", "bribed" and "bribing"; `[take]` also matches "took" and "taken".
//!
//! Regular English inflection by rule, irregular forms from WordNet's exception lists
//! (`lexicons/word-forms.txt`). A lemma gets every form it could have as a noun and as a
//! verb: an impossible spelling ("frauded") never occurs in text, so generating too much
//! costs nothing, while a missing form would be a silent miss.

use std::collections::HashMap;
use std::sync::OnceLock;

/// WordNet's irregular verb and noun forms, `inflected base` per line.
const IRREGULAR: &str = include_str!("../../lexicons/word-forms.txt");

fn irregular() -> &'static HashMap<&'static str, Vec<&'static str>> {
    static TABLE: OnceLock<HashMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut by_base: HashMap<&str, Vec<&str>> = HashMap::new();
        for line in IRREGULAR.lines() {
            if line.starts_with('#') {
                continue;
            }
            if let Some((inflected, base)) = line.split_once(' ') {
                by_base.entry(base).or_default().push(inflected);
            }
        }
        by_base
    })
}

/// Every form of `lemma` (lowercase; one or more words): the lemma itself, its regular
/// noun and verb inflections and its irregular forms. In a phrase the first word is
/// inflected ("rip off" → "ripped off") and so is the last ("con man" → "con men").
pub fn forms(lemma: &str) -> Vec<String> {
    let words: Vec<&str> = lemma.split(' ').collect();
    let mut out = vec![lemma.to_owned()];
    let mut push = |form: String| {
        if !out.contains(&form) {
            out.push(form);
        }
    };
    let last = words.len() - 1;
    for position in [0, last] {
        for form in word_forms(words[position]) {
            let mut phrase = words.clone();
            phrase[position] = &form;
            push(phrase.join(" "));
        }
    }
    out
}

/// The forms of one word, the word itself included.
fn word_forms(word: &str) -> Vec<String> {
    let mut out = vec![word.to_owned()];
    if let Some(irregular) = irregular().get(word) {
        out.extend(irregular.iter().map(|&f| f.to_owned()));
    }
    let bytes = word.as_bytes();
    let Some(&last) = bytes.last() else {
        return out;
    };
    let before_last = bytes.len().checked_sub(2).map(|i| bytes[i]);
    let consonant_y = last == b'y' && before_last.is_some_and(|b| !is_vowel(b));
    let stem_y = &word[..word.len() - 1];

    // Plural and third person: "taxes", "parties", "bribes".
    if word.ends_with(['s', 'x', 'z']) || word.ends_with("ch") || word.ends_with("sh") {
        out.push(format!("{word}es"));
    } else if consonant_y {
        out.push(format!("{stem_y}ies"));
    } else {
        out.push(format!("{word}s"));
    }
    // Past and participle: "bribed", "buried", "fixed"; "rigged" by doubling.
    if last == b'e' {
        out.push(format!("{word}d"));
    } else if consonant_y {
        out.push(format!("{stem_y}ied"));
    } else {
        out.push(format!("{word}ed"));
    }
    // Present participle: "lying", "bribing", "fixing"; "rigging" by doubling.
    if let Some(stem) = word.strip_suffix("ie") {
        out.push(format!("{stem}ying"));
    } else if last == b'e' && !matches!(before_last, Some(b'e' | b'y' | b'o')) {
        out.push(format!("{}ing", &word[..word.len() - 1]));
    } else {
        out.push(format!("{word}ing"));
    }
    // A final consonant after a single vowel may double ("pad" → "padded"); whether it
    // does depends on stress, which spelling does not show, so both are generated.
    if ends_consonant_vowel_consonant(bytes) {
        let last = char::from(last);
        out.push(format!("{word}{last}ed"));
        out.push(format!("{word}{last}ing"));
    }
    out
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

fn ends_consonant_vowel_consonant(bytes: &[u8]) -> bool {
    let n = bytes.len();
    n >= 3
        && bytes[n - 1].is_ascii_alphabetic()
        && !is_vowel(bytes[n - 1])
        && !matches!(bytes[n - 1], b'w' | b'x' | b'y')
        && is_vowel(bytes[n - 2])
        && !is_vowel(bytes[n - 3])
}

#[cfg(test)]
mod tests {
    use super::forms;

    fn has(lemma: &str, form: &str) -> bool {
        forms(lemma).iter().any(|f| f == form)
    }

    #[test]
    fn regular_verbs_and_nouns_get_every_form() {
        for form in ["bribe", "bribes", "bribed", "bribing"] {
            assert!(has("bribe", form), "{form}");
        }
        for form in ["bury", "buries", "buried", "burying"] {
            assert!(has("bury", form), "{form}");
        }
        for form in ["fix", "fixes", "fixed", "fixing"] {
            assert!(has("fix", form), "{form}");
        }
        assert!(has("lie", "lying"));
        assert!(has("tax", "taxes"));
    }

    #[test]
    fn irregular_forms_come_from_wordnet() {
        for form in ["took", "taken", "takes", "taking"] {
            assert!(has("take", form), "{form}");
        }
        assert!(has("pay", "paid"));
        assert!(has("steal", "stole"));
        assert!(has("steal", "stolen"));
        assert!(has("man", "men"));
    }

    #[test]
    fn final_consonants_may_double() {
        assert!(has("rig", "rigged"));
        assert!(has("pad", "padding"));
        assert!(has("pocket", "pocketed"));
    }

    #[test]
    fn phrases_inflect_their_first_and_last_word() {
        assert!(has("rip off", "ripped off"));
        assert!(has("cook the book", "cooked the book"));
        assert!(has("cook the book", "cook the books"));
        assert!(has("con man", "con men"));
    }
}
