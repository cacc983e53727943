//! Text normalisation shared by training and inference.
//!
//! The model must see a sentence typed in chat and a clause cut out of a published article
//! the same way, or it learns the difference between the two sources instead of the
//! difference between an allegation and a plain fact. So both go through [`normalize`]:
//! one quote and dash style, lower case, digits folded to `0`, whitespace collapsed, and
//! the outer quotes and closing punctuation that only one side has stripped.

/// The version of [`normalize`] recorded in model files. Bump it whenever the output of
/// `normalize` changes for any input: a model trained under one normalisation scores
/// nonsense under another.
pub const NORMALIZATION_VERSION: u32 = 1;

/// Normalises `text` for feature extraction:
///
/// - typographic quotes become `'` and `"`, dashes `-`, an ellipsis `.`;
/// - letters are lower-cased, every decimal digit becomes `0` ("$50m" and "$12m" look
///   alike, so the model learns "a sum of money", not a particular sum);
/// - runs of whitespace and control characters become one space;
/// - leading and trailing whitespace, quotes, brackets and punctuation other than `?` are
///   removed (content spans rarely carry the sentence's full stop, chat rarely has one).
pub fn normalize(text: &str) -> String {
    if text.is_ascii() {
        return normalize_ascii(text);
    }
    normalize_chars(text)
}

/// [`normalize`] for any text, character by character.
fn normalize_chars(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' | '`' | '\u{00b4}' => {
                '\''
            }
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{00ab}' | '\u{00bb}'
            | '\u{2033}' => '"',
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            '\u{2026}' => '.',
            c if c.is_numeric() => '0',
            c if c.is_whitespace() || c.is_control() => {
                pending_space = !out.is_empty();
                continue;
            }
            c => c,
        };
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    let trimmed = out.trim_matches(is_outer_punctuation);
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_owned()
    }
}

/// [`normalize`] for ASCII text, byte by byte: the same output, without decoding
/// characters or consulting Unicode tables (scoring a chat sentence normalises it first).
fn normalize_ascii(text: &str) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let mut pending_space = false;
    for &b in text.as_bytes() {
        let b = ASCII_NORMAL[usize::from(b)];
        if b == 0 {
            // Whitespace or a control character.
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(b' ');
            pending_space = false;
        }
        out.push(b);
    }
    let out = String::from_utf8(out).expect("ASCII in, ASCII out");
    let trimmed = out.trim_matches(is_outer_punctuation);
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_owned()
    }
}

/// What `normalize` makes of each ASCII byte: 0 for whitespace and control characters
/// (a space separates words), `'` for a backtick, `0` for a digit, letters in lower case.
const ASCII_NORMAL: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = match c {
            b'`' => b'\'',
            b'0'..=b'9' => b'0',
            b' ' => 0,
            c if c.is_ascii_control() => 0,
            c => c.to_ascii_lowercase(),
        };
        b += 1;
    }
    table
};

/// Characters stripped from both ends of a normalised text.
fn is_outer_punctuation(c: char) -> bool {
    c == ' '
        || matches!(
            c,
            '"' | '\''
                | '.'
                | ','
                | ';'
                | ':'
                | '!'
                | '-'
                | '('
                | ')'
                | '['
                | ']'
                | '*'
                | '_'
                | '>'
                | '<'
                | '~'
        )
}

/// The words of a normalised text: runs of letters and digits, with an apostrophe kept
/// inside a word ("trump's", "didn't").
pub fn words(normalized: &str) -> impl Iterator<Item = &str> {
    normalized
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_and_print_normalise_alike() {
        assert_eq!(
            normalize("\u{201c}The Mayor\u{2019}s office paid $12m \u{2014} twice.\u{201d}"),
            normalize("the mayor's office paid $50m - twice")
        );
    }

    #[test]
    fn whitespace_collapses_and_question_marks_stay() {
        assert_eq!(normalize("  Who\tpaid \n\n them?  "), "who paid them?");
        assert_eq!(normalize("\"...\""), "");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn ascii_fast_path_normalises_like_the_general_one() {
        let mut texts: Vec<String> = (0u8..128).map(|b| format!("a{}B `9", b as char)).collect();
        texts.extend([
            "  Who\tpaid \n\n them?  ".to_owned(),
            "\"'Quoted.'\"".to_owned(),
            "x\x0by\x7fz 12:30 -- (ok)!".to_owned(),
            String::new(),
            " ".to_owned(),
        ]);
        for text in &texts {
            assert_eq!(normalize_ascii(text), normalize_chars(text), "{text:?}");
        }
    }

    #[test]
    fn words_keep_inner_apostrophes() {
        let text = normalize("Trump's aides didn't 'deny' it, 2016-style.");
        let w: Vec<&str> = words(&text).collect();
        assert_eq!(
            w,
            ["trump's", "aides", "didn't", "deny", "it", "0000", "style"]
        );
    }
}
