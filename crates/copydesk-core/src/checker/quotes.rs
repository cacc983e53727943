//! Quotations and clause punctuation in a sentence.

use std::ops::Range;

use super::text;

pub(super) fn is_clause_break(c: char) -> bool {
    matches!(
        c,
        ',' | ';'
            | ':'
            | '('
            | ')'
            | '\u{2014}'
            | '\u{2013}'
            | '"'
            | '\u{201c}'
            | '\u{201d}'
            | '\u{2018}'
    )
}

/// Quotations in `range` of `text`: “…”, "…", ''…'' and ‘…’, as byte ranges of their
/// content.
pub(super) fn quotations(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut open: Option<(usize, char)> = None;
    // Every quotation mark is `"`, `'` or a character starting with byte 0xE2, none of which
    // occurs inside another character: other bytes are skipped unread.
    let mut at = range.start;
    while at < range.end {
        if !matches!(bytes[at], b'"' | b'\'' | 0xE2) {
            at += 1;
            continue;
        }
        let c = text::char_at(text, at);
        let mut after = at + c.len_utf8();
        let next = (after < range.end).then(|| text::char_at(text, after));
        match (open, c) {
            (None, '\u{201c}') => open = Some((at + c.len_utf8(), '\u{201d}')),
            (None, '"') => open = Some((at + 1, '"')),
            (None, '\u{2018}') => open = Some((at + c.len_utf8(), '\u{2019}')),
            (None, '\'') if next == Some('\'') => {
                after += 1;
                open = Some((at + 2, '\''));
            }
            (Some((start, close)), c) if c == close => {
                // A closing ’ followed by a letter is an apostrophe ("Russia’s").
                let apostrophe = close == '\u{2019}' && next.is_some_and(char::is_alphanumeric);
                let double = close == '\'';
                if double && next != Some('\'') {
                    // A lone apostrophe inside ''…''.
                } else if !apostrophe {
                    if double {
                        after += 1;
                    }
                    out.push(start..at);
                    open = None;
                }
            }
            _ => {}
        }
        at = after;
    }
    out
}
