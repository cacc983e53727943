//! Sentences of a news article, for the negative labels.

use std::ops::Range;

use crate::lexicon::Grammar;

/// Byte ranges of the sentences of an article, skipping its first line (the headline).
/// Paragraphs are lines; a sentence ends at `.`, `!` or `?` (and any closing quotes or
/// brackets) followed by a space and a capital, digit or opening quote — except after an
/// abbreviation or an initial.
pub fn sentences(article: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for (n, line) in article.split('\n').enumerate() {
        let start = line_start;
        line_start += line.len() + 1;
        if n == 0 || line.trim().is_empty() {
            continue;
        }
        let mut from = 0;
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let mut k = 0;
        while k < chars.len() {
            let (i, c) = chars[k];
            if matches!(c, '.' | '!' | '?') {
                let mut j = k + 1;
                while j < chars.len()
                    && matches!(
                        chars[j].1,
                        '"' | '\'' | '\u{201d}' | '\u{2019}' | ')' | ']' | '.' | '!' | '?'
                    )
                {
                    j += 1;
                }
                let spaced = j < chars.len() && chars[j].1.is_whitespace();
                let mut m = j;
                while m < chars.len() && chars[m].1.is_whitespace() {
                    m += 1;
                }
                let opens = m < chars.len()
                    && (chars[m].1.is_uppercase()
                        || chars[m].1.is_ascii_digit()
                        || matches!(chars[m].1, '"' | '\u{201c}' | '\u{2018}' | '\''));
                if spaced && opens && !(c == '.' && ends_with_abbreviation(&line[from..i])) {
                    let end = chars.get(j).map_or(line.len(), |&(b, _)| b);
                    push_trimmed(&mut out, line, start, from..end);
                    from = chars[m].0;
                    k = m;
                    continue;
                }
            }
            k += 1;
        }
        push_trimmed(&mut out, line, start, from..line.len());
    }
    out
}

fn push_trimmed(out: &mut Vec<Range<usize>>, line: &str, offset: usize, r: Range<usize>) {
    let piece = &line[r.clone()];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    if piece.trim().is_empty() {
        return;
    }
    out.push(offset + r.start + lead..offset + r.end - trail);
}

fn ends_with_abbreviation(before: &str) -> bool {
    let last = before
        .rsplit(|c: char| c.is_whitespace() || c == '(' || c == '"' || c == '\u{201c}')
        .next()
        .unwrap_or("");
    let lower = last.to_lowercase();
    // "No. 10": in edited news "no." before a capital or a number is the numero sign. The
    // shared list leaves it out because in chat "no." mostly ends a sentence.
    Grammar::embedded().abbreviations.contains(&lower)
        || lower == "no"
        || (last.chars().count() == 1 && last.chars().all(char::is_uppercase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_skip_the_headline_and_respect_abbreviations() {
        let article = "Headline Here\n\nMr. Brown met Sen. Lee in the U.S. capital. They talked! \u{201c}Fine,\u{201d} he said.\nA second paragraph";
        let got: Vec<&str> = sentences(article)
            .into_iter()
            .map(|r| &article[r])
            .collect();
        assert_eq!(
            got,
            [
                "Mr. Brown met Sen. Lee in the U.S. capital.",
                "They talked!",
                "\u{201c}Fine,\u{201d} he said.",
                "A second paragraph"
            ]
        );
    }
}
