//! Errors that point at a place in a data file, printed as `file:line:column: message`.

use std::fmt;
use std::ops::Range;

/// One problem in a data file, at a 1-based line and column (columns count characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{line}:{column}: {message}")]
pub struct Located {
    pub origin: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Located {
    /// Places `message` at the start of byte range `span` of `text`.
    pub fn at(
        origin: &str,
        text: &str,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> Self {
        let offset = span.map_or(0, |s| s.start.min(text.len()));
        let (line, column) = line_column(text, offset);
        Located {
            origin: origin.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }
}

/// Every problem found in one file, in file order. Displayed one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LocatedErrors(pub Vec<Located>);

impl fmt::Display for LocatedErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl LocatedErrors {
    /// Text that is not valid TOML: one problem, where the parser stopped.
    pub fn from_toml(origin: &str, text: &str, error: &toml::de::Error) -> Self {
        LocatedErrors(vec![Located::at(
            origin,
            text,
            error.span(),
            error.message().trim_end(),
        )])
    }

    pub fn sorted(mut self) -> Self {
        self.0.sort_by_key(|e| (e.line, e.column));
        self.0.dedup();
        self
    }
}

/// 1-based line and character column of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "a = 1\nb = \"é\" x";
        let offset = text.find('x').unwrap();
        assert_eq!(line_column(text, offset), (2, 9));
    }

    #[test]
    fn errors_print_one_per_line() {
        let errors = LocatedErrors(vec![
            Located::at("k.toml", "x\ny", Some(2..3), "bad y"),
            Located::at("k.toml", "x\ny", Some(0..1), "bad x"),
        ])
        .sorted();
        assert_eq!(errors.to_string(), "k.toml:1:1: bad x\nk.toml:2:1: bad y");
    }
}
