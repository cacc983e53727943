//! Term syntax: what a lexicon term may say beyond plain words.
//!
//! - `word`, `two words`: literal words, whole words, any case;
//! - `smuggl*`: a trailing `*` matches any word ending (plain-word terms only);
//! - `[take]`: every form of the lemma (`took`, `taken`, `takes`, `taking`; see `forms`);
//! - `{money}`: a short noun phrase (at most [`SLOT_WORDS`] words) ending in a word of the
//!   class `money`, defined by a `[[class]]` table ("a brown envelope", "£300k in bribes");
//! - `~`: a gap of one to [`GAP_WORDS`] words.
//!
//! A term with neither slot nor gap is expanded into literal spellings for the lexicon's
//! automaton. A term with one is a pattern: its leading words (the anchor) go into the
//! automaton, and the rest is checked word by word after each anchor hit, never across
//! clause punctuation. Either way a message is scanned once.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use super::forms::forms;

/// Words a `{class}` slot may cover, its head word included.
pub const SLOT_WORDS: usize = 4;
/// Words a `~` gap may cover.
pub const GAP_WORDS: usize = 3;
/// Spellings one term may expand to; more means a term that should be split.
const MAX_SPELLINGS: usize = 512;

/// One piece of a parsed term.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    /// Alternative spellings of one word or phrase (a literal word has one).
    Words(Vec<String>),
    Class(String),
    Gap,
}

/// A parsed term.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Term {
    pub pieces: Vec<Piece>,
    /// A trailing `*`: the last word may continue.
    pub wildcard: bool,
}

impl Term {
    /// Parses a normalised (lowercase, single-spaced) term.
    pub fn parse(term: &str) -> Result<Term, String> {
        let (body, wildcard) = match term.strip_suffix('*') {
            Some(stem) => (stem, true),
            None => (term, false),
        };
        let mut pieces = Vec::new();
        let mut rest = body.trim();
        while !rest.is_empty() {
            let (piece, after) = if let Some(inner) = rest.strip_prefix('[') {
                let end = inner.find(']').ok_or("`[` without its `]`")?;
                let lemma = inner[..end].trim();
                if lemma.is_empty() || lemma.contains(['[', '{', '~']) {
                    return Err("`[...]` holds one word or phrase to inflect".into());
                }
                (Piece::Words(forms(lemma)), &inner[end + 1..])
            } else if let Some(inner) = rest.strip_prefix('{') {
                let end = inner.find('}').ok_or("`{` without its `}`")?;
                let name = inner[..end].trim();
                if name.is_empty() || name.contains(char::is_whitespace) {
                    return Err("`{...}` names one word class".into());
                }
                (Piece::Class(name.to_owned()), &inner[end + 1..])
            } else if let Some(after) = rest.strip_prefix('~') {
                (Piece::Gap, after)
            } else {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                let word = &rest[..end];
                if word.contains(['[', ']', '{', '}', '~', '*']) {
                    return Err(format!("{word:?}: brackets and `~` stand apart from words"));
                }
                (Piece::Words(vec![word.to_owned()]), &rest[end..])
            };
            pieces.push(piece);
            rest = after.trim_start();
        }
        let term = Term { pieces, wildcard };
        term.validate()?;
        Ok(term)
    }

    fn validate(&self) -> Result<(), String> {
        match self.pieces.first() {
            None => return Err("is empty".into()),
            Some(Piece::Words(_)) => {}
            Some(_) => return Err("must start with a word, not a `{class}` or `~`".into()),
        }
        if matches!(self.pieces.last(), Some(Piece::Gap)) {
            return Err("must not end with `~`".into());
        }
        if self.wildcard && self.is_pattern() {
            return Err("`*` is only for terms without `{class}` or `~`".into());
        }
        if self.wildcard && !matches!(self.pieces.last(), Some(Piece::Words(w)) if w.len() == 1) {
            return Err("`*` must follow a word ending, as in `smuggl*`".into());
        }
        if self.anchor_len() > 4 && self.spellings(self.anchor_len()).len() > MAX_SPELLINGS {
            return Err(format!(
                "expands to more than {MAX_SPELLINGS} spellings: split it"
            ));
        }
        Ok(())
    }

    /// Whether the term has a slot or a gap.
    pub fn is_pattern(&self) -> bool {
        self.pieces.iter().any(|p| !matches!(p, Piece::Words(_)))
    }

    /// How many leading pieces are words.
    fn anchor_len(&self) -> usize {
        self.pieces
            .iter()
            .take_while(|p| matches!(p, Piece::Words(_)))
            .count()
    }

    /// The literal spellings of the leading word pieces: every combination of their forms.
    fn spellings(&self, len: usize) -> Vec<String> {
        let mut out = vec![String::new()];
        for piece in &self.pieces[..len] {
            let Piece::Words(alternatives) = piece else {
                unreachable!("anchors are words")
            };
            out = out
                .iter()
                .flat_map(|prefix| {
                    alternatives.iter().map(move |alt| {
                        if prefix.is_empty() {
                            alt.clone()
                        } else {
                            format!("{prefix} {alt}")
                        }
                    })
                })
                .collect();
            if out.len() > MAX_SPELLINGS {
                break;
            }
        }
        out
    }

    /// The spellings the automaton looks for: the whole term, or a pattern's anchor.
    pub fn anchors(&self) -> Vec<String> {
        self.spellings(self.anchor_len())
    }

    /// A pattern's pieces after its anchor (empty for a plain term).
    pub fn rest(&self) -> &[Piece] {
        &self.pieces[self.anchor_len()..]
    }
}

/// A word class compiled for matching: its terms' spellings (every form), by last word.
#[derive(Debug, Default)]
pub(crate) struct ClassSet {
    by_last_word: FxHashMap<String, Vec<Vec<String>>>,
}

impl ClassSet {
    pub fn new<'a>(terms: impl IntoIterator<Item = &'a str>) -> ClassSet {
        let mut set = ClassSet::default();
        for term in terms {
            let lemma = term.trim_start_matches('[').trim_end_matches(']');
            for spelling in forms(lemma) {
                let words: Vec<String> = spelling.split(' ').map(str::to_owned).collect();
                let last = words.last().expect("a form has a word").clone();
                let entry = set.by_last_word.entry(last).or_default();
                if !entry.contains(&words) {
                    entry.push(words);
                }
            }
        }
        set
    }

    /// Whether `words` (as written) end in one of the class's terms.
    fn ends(&self, words: &[&str]) -> bool {
        let Some(last) = words.last() else {
            return false;
        };
        let mut buffer = [0u8; 32];
        let owned;
        let key: &str = if last.is_ascii() && last.len() <= buffer.len() {
            let lowered = &mut buffer[..last.len()];
            lowered.copy_from_slice(last.as_bytes());
            lowered.make_ascii_lowercase();
            std::str::from_utf8(lowered).expect("ASCII is UTF-8")
        } else {
            owned = last.to_lowercase().replace('\u{2019}', "'");
            &owned
        };
        self.by_last_word.get(key).is_some_and(|terms| {
            terms.iter().any(|term| {
                term.len() <= words.len()
                    && term
                        .iter()
                        .zip(&words[words.len() - term.len()..])
                        .all(|(a, b)| same_word(a, b))
            })
        })
    }
}

/// A pattern's rest, with class names resolved to indexes into the lexicon's classes.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// Alternatives, each split into words.
    Words(Vec<Vec<String>>),
    Class(usize),
    Gap,
}

pub(crate) fn compile_rest(
    rest: &[Piece],
    class_index: &HashMap<&str, usize>,
) -> Result<Vec<Step>, String> {
    rest.iter()
        .map(|piece| match piece {
            Piece::Words(alternatives) => Ok(Step::Words(
                alternatives
                    .iter()
                    .map(|a| a.split(' ').map(str::to_owned).collect())
                    .collect(),
            )),
            Piece::Class(name) => class_index
                .get(name.as_str())
                .copied()
                .map(Step::Class)
                .ok_or_else(|| format!("unknown word class {{{name}}}")),
            Piece::Gap => Ok(Step::Gap),
        })
        .collect()
}

/// The end of a match of `steps` in `text` right after byte `from`, if they match.
pub(crate) fn match_rest(
    text: &str,
    from: usize,
    steps: &[Step],
    classes: &[ClassSet],
) -> Option<usize> {
    let mut spans = [(0, 0); MOST_WORDS];
    let found = following_words(text, from, reach(steps), &mut spans);
    let mut words = [""; MOST_WORDS];
    for (word, &(start, end)) in words.iter_mut().zip(&spans[..found]) {
        *word = &text[start..end];
    }
    let used = match_steps(&words[..found], steps, classes)?;
    Some(if used == 0 { from } else { spans[used - 1].1 })
}

/// Whether a word of the text is `term` (lower case, `'` for any apostrophe).
fn same_word(term: &str, word: &str) -> bool {
    if word.is_ascii() {
        term.eq_ignore_ascii_case(word)
    } else {
        term == word.to_lowercase().replace('\u{2019}', "'")
    }
}

/// The most words `steps` can use.
fn reach(steps: &[Step]) -> usize {
    steps
        .iter()
        .map(|step| match step {
            Step::Words(alternatives) => alternatives.iter().map(Vec::len).max().unwrap_or(0),
            Step::Class(_) => SLOT_WORDS,
            Step::Gap => GAP_WORDS,
        })
        .sum::<usize>()
        .min(MOST_WORDS)
}

/// How many of `words` the steps use, if they match from the first word.
fn match_steps(words: &[&str], steps: &[Step], classes: &[ClassSet]) -> Option<usize> {
    let Some((step, rest)) = steps.split_first() else {
        return Some(0);
    };
    let then = |used: usize| -> Option<usize> {
        match_steps(&words[used..], rest, classes).map(|more| used + more)
    };
    match step {
        Step::Words(alternatives) => alternatives.iter().find_map(|alt| {
            (alt.len() <= words.len() && alt.iter().zip(words).all(|(a, b)| same_word(a, b)))
                .then(|| then(alt.len()))
                .flatten()
        }),
        Step::Class(class) => (1..=SLOT_WORDS.min(words.len()))
            .filter(|&n| classes[*class].ends(&words[..n]))
            .find_map(then),
        Step::Gap => (1..=GAP_WORDS.min(words.len())).find_map(then),
    }
}

/// The most words a pattern's rest looks at.
const MOST_WORDS: usize = 16;

/// The words after byte `from` up to the next clause punctuation, at most `limit`, as
/// (start, end) byte offsets into `out`; returns how many.
fn following_words(
    text: &str,
    from: usize,
    limit: usize,
    out: &mut [(usize, usize); MOST_WORDS],
) -> usize {
    let mut found = 0;
    let mut start: Option<usize> = None;
    let bytes = text.as_bytes();
    // ASCII bytes are whole characters; only other bytes need decoding.
    let char_at = |at: usize| -> (char, usize) {
        if bytes[at].is_ascii() {
            (char::from(bytes[at]), 1)
        } else {
            let c = text[at..]
                .chars()
                .next()
                .expect("at is a character boundary");
            (c, c.len_utf8())
        }
    };
    let mut at = from;
    while at < bytes.len() {
        if found == limit {
            return found;
        }
        let (c, len) = char_at(at);
        let next_is_word = at + len < bytes.len() && char_at(at + len).0.is_alphanumeric();
        let inner_apostrophe = matches!(c, '\'' | '\u{2019}') && start.is_some() && next_is_word;
        if c.is_alphanumeric() || inner_apostrophe {
            start.get_or_insert(at);
            at += len;
            continue;
        }
        if let Some(s) = start.take() {
            out[found] = (s, at);
            found += 1;
        }
        if is_clause_punctuation(c) {
            return found;
        }
        at += len;
    }
    if let Some(s) = start
        && found < limit
    {
        out[found] = (s, text.len());
        found += 1;
    }
    found
}

fn is_clause_punctuation(c: char) -> bool {
    matches!(
        c,
        ',' | ';'
            | ':'
            | '.'
            | '!'
            | '?'
            | '('
            | ')'
            | '"'
            | '\n'
            | '\u{201c}'
            | '\u{201d}'
            | '\u{2014}'
            | '\u{2013}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_parse_into_pieces() {
        let term = Term::parse("[take] {money} from").unwrap();
        assert!(term.is_pattern());
        assert!(term.anchors().contains(&"took".to_owned()));
        assert_eq!(term.rest().len(), 2);
        let plain = Term::parse("[cook] the [book]").unwrap();
        assert!(!plain.is_pattern());
        assert!(plain.anchors().contains(&"cooked the books".to_owned()));
    }

    #[test]
    fn bad_terms_say_what_is_wrong() {
        for (bad, says) in [
            ("{money} changed hands", "must start with a word"),
            ("paid ~", "must not end with `~`"),
            ("[take {money}]", "`[...]` holds one word"),
            ("[take", "without its `]`"),
            ("take {money from", "without its `}`"),
            ("take {} from", "names one word class"),
            ("take {money} smuggl*", "`*` is only for terms without"),
        ] {
            let error = Term::parse(bad).unwrap_err();
            assert!(error.contains(says), "{bad:?}: {error}");
        }
    }

    fn matches(term: &str, text: &str) -> Option<String> {
        let term = Term::parse(term).unwrap();
        let classes = vec![ClassSet::new(["cash", "[bribe]", "brown envelope"])];
        let index = HashMap::from([("money", 0)]);
        let steps = compile_rest(term.rest(), &index).unwrap();
        let lower = text.to_lowercase();
        let anchor = term
            .anchors()
            .into_iter()
            .find_map(|a| lower.find(&a).map(|at| (at, at + a.len())))?;
        match_rest(text, anchor.1, &steps, &classes).map(|end| text[anchor.0..end].to_owned())
    }

    #[test]
    fn slots_take_a_short_noun_phrase_ending_in_the_class() {
        assert_eq!(
            matches("[take] {money} from", "he took cash from them").as_deref(),
            Some("took cash from")
        );
        assert_eq!(
            matches(
                "[take] {money} from",
                "she takes £300k in bribes from the firm"
            )
            .as_deref(),
            Some("takes £300k in bribes from")
        );
        assert_eq!(
            matches("[take] {money} from", "took a brown envelope from").as_deref(),
            Some("took a brown envelope from")
        );
        assert_eq!(
            matches("[take] {money} from", "took the kids from school"),
            None
        );
    }

    #[test]
    fn gaps_and_slots_stop_at_clause_punctuation() {
        assert_eq!(
            matches(
                "[pay] ~ to look the other way",
                "paid the guards to look the other way"
            )
            .as_deref(),
            Some("paid the guards to look the other way")
        );
        assert_eq!(
            matches(
                "[take] {money} from",
                "took the train, cash from the machine"
            ),
            None
        );
        assert_eq!(
            matches(
                "[pay] ~ to look the other way",
                "paid a lot of money to look the other way"
            ),
            None,
            "the gap covers at most three words"
        );
    }
}
