//! Chat text as the checker reads it: a masked copy of the message and its sentences.
//!
//! The mask has exactly the bytes of the message, except that what is not the author's
//! prose is blanked with ASCII spaces: quoted reply-fallback lines (`> ...`), fenced code,
//! URLs and markdown emphasis or code markers. Blanking byte for byte keeps every offset
//! valid in the original message, so spans found in the mask point into the message.

use std::ops::Range;

use crate::lexicon::WordSet;

/// The message with everything that is not the author's prose blanked out.
pub(crate) fn mask(message: &str) -> String {
    let mut bytes = message.as_bytes().to_vec();
    let mut in_fence = false;
    let mut line_start = 0;
    while line_start < message.len() {
        let line_end = message[line_start..]
            .find('\n')
            .map_or(message.len(), |i| line_start + i);
        let line = &message[line_start..line_end];
        let trimmed = line.trim_start();
        let fence = trimmed.starts_with("```") || trimmed.starts_with("~~~");
        if fence || in_fence || trimmed.starts_with('>') {
            blank(&mut bytes, line_start..line_end);
            if fence {
                in_fence = !in_fence;
            }
        } else {
            mask_inline(line, line_start, &mut bytes);
        }
        line_start = line_end + 1;
    }
    // Only ASCII bytes were written, each over a whole character's bytes, so the result is
    // still UTF-8.
    String::from_utf8(bytes).expect("masking keeps UTF-8")
}

fn blank(bytes: &mut [u8], range: Range<usize>) {
    for b in &mut bytes[range] {
        if *b != b'\n' {
            *b = b' ';
        }
    }
}

/// Blanks URLs, markdown link syntax and emphasis/code markers within one line.
///
/// Every byte this looks at is ASCII, and an ASCII byte is always a whole character in
/// UTF-8, so the line is walked byte by byte; only a possible URL start (`h`, `w`) looks
/// at the character before it.
fn mask_inline(line: &str, offset: usize, bytes: &mut [u8]) {
    let raw = line.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if !INLINE_SPECIAL[usize::from(raw[i])] {
            i += 1;
            continue;
        }
        match raw[i] {
            b'*' | b'_' | b'`' | b'~' | b'[' | b']' => bytes[offset + i] = b' ',
            b'h' | b'H' | b'w' | b'W' => {
                let rest = &line[i..];
                let at_word_start = i == 0
                    || !line[..i]
                        .chars()
                        .next_back()
                        .is_some_and(char::is_alphanumeric);
                let is_url = at_word_start
                    && (starts_with_ignore_case(rest, "http://")
                        || starts_with_ignore_case(rest, "https://")
                        || starts_with_ignore_case(rest, "www."));
                if is_url {
                    let len = rest
                        .char_indices()
                        .find(|&(_, c)| c.is_whitespace())
                        .map_or(rest.len(), |(j, _)| j);
                    blank(bytes, offset + i..offset + i + len);
                    i += len;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// The bytes `mask_inline` acts on: markers it blanks and letters that may start a URL.
const INLINE_SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let special = b"*_`~[]hHwW";
    let mut i = 0;
    while i < special.len() {
        table[special[i] as usize] = true;
        i += 1;
    }
    table
};

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Byte ranges of the sentences in `text` (a masked message), trimmed, skipping pieces
/// with no letters or digits. Sentences end at `.`, `!`, `?` or `…` followed by space
/// (after any closing quotes or brackets), and at line breaks. A full stop after one of
/// `abbreviations` ("Sept.", "Mr."), an initial ("John F. Kennedy") or inside a dotted
/// acronym ("U.S.") does not end a sentence.
pub(crate) fn sentences(text: &str, abbreviations: &WordSet) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    // Inside a quotation a full stop does not end the sentence: the speaker usually comes
    // after the quote ("“A. B,” he said."). A line break ends any quotation.
    let mut quoted = false;
    // Only ASCII bytes and characters starting with 0xE2 (“ ” …) matter, and neither can be
    // inside another character, so the text is walked byte by byte.
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !matches!(b, b'\n' | b'"' | b'.' | b'!' | b'?' | 0xE2) {
            i += 1;
            continue;
        }
        let c = char_at(text, i);
        let mut next = i + c.len_utf8();
        let end = match c {
            '\n' => {
                quoted = false;
                Some((i, i + 1))
            }
            '\u{201c}' => {
                quoted = true;
                None
            }
            '\u{201d}' => {
                quoted = false;
                None
            }
            '"' => {
                quoted = !quoted;
                None
            }
            '.' | '!' | '?' | '\u{2026}' => {
                // Swallow a run of terminal punctuation and closing quotes/brackets.
                let mut after = next;
                while after < bytes.len() {
                    let d = char_at(text, after);
                    match d {
                        '.' | '!' | '?' | '\u{2026}' | '\'' | ')' | ']' | '\u{2019}' => {}
                        '\u{201d}' => quoted = false,
                        '"' if quoted => quoted = false,
                        _ => break,
                    }
                    after += d.len_utf8();
                }
                next = after;
                let followed_by_space =
                    text[after..].chars().next().is_none_or(char::is_whitespace);
                let abbreviation =
                    c == '.' && after == i + 1 && is_abbreviation(&text[start..i], abbreviations);
                (followed_by_space && !abbreviation && !quoted).then_some((after, after))
            }
            _ => None,
        };
        if let Some((sentence_end, next_start)) = end {
            push_trimmed(text, start..sentence_end, &mut out);
            start = next_start;
        }
        i = next;
    }
    push_trimmed(text, start..text.len(), &mut out);
    out
}

/// The character starting at byte `at` (a character boundary).
pub(crate) fn char_at(text: &str, at: usize) -> char {
    let b = text.as_bytes()[at];
    if b.is_ascii() {
        char::from(b)
    } else {
        text[at..].chars().next().expect("at is inside text")
    }
}

fn push_trimmed(text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
    let piece = &text[range.clone()];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    let trimmed = range.start + lead..range.end - trail;
    if trimmed.start < trimmed.end && text[trimmed.clone()].chars().any(char::is_alphanumeric) {
        out.push(trimmed);
    }
}

/// Whether the word before a full stop (the end of `before`) is an abbreviation.
fn is_abbreviation(before: &str, abbreviations: &WordSet) -> bool {
    let word = before
        .rsplit(|c: char| c.is_whitespace() || matches!(c, '(' | '"' | '\u{201c}'))
        .next()
        .unwrap_or("");
    if word.is_empty() {
        return false;
    }
    // A dotted acronym ("U.S", "a.m") or a single initial ("F").
    if word.contains('.') && word.split('.').all(|p| p.chars().count() <= 2) {
        return true;
    }
    let mut letters = word.chars();
    if let (Some(first), None) = (letters.next(), letters.next()) {
        return first.is_uppercase();
    }
    abbreviations.contains_ignore_ascii_case(word)
}

/// Byte ranges of the words (runs of letters and digits, with inner apostrophes) in `range`
/// of `text`.
pub(crate) fn words(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    words_up_to(text, range, usize::MAX)
}

/// The first word in `range` of `text`, as `words` would find it.
pub(crate) fn first_word(text: &str, range: Range<usize>) -> Option<Range<usize>> {
    words_up_to(text, range, 1).pop()
}

/// The first `limit` words of `words`.
fn words_up_to(text: &str, range: Range<usize>, limit: usize) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    // About one word per six bytes of chat; one allocation covers most sentences.
    let mut out = Vec::with_capacity((range.len() / 4 + 1).min(limit));
    let mut current: Option<usize> = None;
    let mut i = range.start;
    while i < range.end {
        let b = bytes[i];
        let (word_char, len) = if b.is_ascii() {
            let apostrophe_inside = b == b'\''
                && current.is_some()
                && i + 1 < range.end
                && char_at(text, i + 1).is_alphanumeric();
            (b.is_ascii_alphanumeric() || apostrophe_inside, 1)
        } else {
            let c = char_at(text, i);
            let len = c.len_utf8();
            let apostrophe_inside = c == '\u{2019}'
                && current.is_some()
                && i + len < range.end
                && char_at(text, i + len).is_alphanumeric();
            (c.is_alphanumeric() || apostrophe_inside, len)
        };
        if word_char {
            current.get_or_insert(i);
        } else if let Some(s) = current.take() {
            out.push(s..i);
            if out.len() == limit {
                return out;
            }
        }
        i += len;
    }
    if let Some(s) = current {
        out.push(s..range.end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        sentences(text, &crate::lexicon::Grammar::embedded().abbreviations)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn abbreviations_and_initials_do_not_end_sentences() {
        assert_eq!(
            split(
                "Mr. Smith met U.S. officials on Sept. 3 with John F. Kennedy Jr. in tow. Then he left."
            ),
            vec![
                "Mr. Smith met U.S. officials on Sept. 3 with John F. Kennedy Jr. in tow.",
                "Then he left."
            ]
        );
    }

    #[test]
    fn lowercase_chat_lines_and_emoji_split() {
        assert_eq!(
            split("so the minister lied. wow 😮\nno final stop here\n🙄"),
            vec!["so the minister lied.", "wow 😮", "no final stop here"]
        );
    }

    #[test]
    fn quotes_close_sentences() {
        assert_eq!(
            split("“It is a lie. A big one,” he said. He left! Really?! ok"),
            vec![
                "“It is a lie. A big one,” he said.",
                "He left!",
                "Really?!",
                "ok"
            ]
        );
    }

    #[test]
    fn masking_keeps_offsets_and_blanks_non_prose() {
        let message = "> old quoted line\n**bold** see https://example.org/x_y and `code`";
        let masked = mask(message);
        assert_eq!(masked.len(), message.len());
        assert!(!masked.contains("old quoted"));
        assert!(!masked.contains("example"));
        assert!(!masked.contains('*'));
        assert!(masked.contains("bold"));
        assert!(masked.contains("code"));
    }

    #[test]
    fn words_keep_inner_apostrophes() {
        let text = "Russia’s spies don't 'say'";
        let found: Vec<&str> = words(text, 0..text.len())
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(found, vec!["Russia’s", "spies", "don't", "say"]);
    }
}
