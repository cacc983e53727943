//! Reading one TOML table field by field, reporting every problem with its place.
//!
//! serde's derive stops at the first missing or unknown field, but an editor fixing a file
//! wants every problem at once. So the loader walks toml's spanned document tree
//! (`DeTable`, whose every key and value is a `toml::Spanned`) with these helpers: each
//! getter reports a missing, mistyped or empty value and returns `None`, and `finish`
//! reports the keys no schema field claims.

use std::ops::Range;

use jiff::civil::Date;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::Located;

pub(super) type Span = Range<usize>;

/// Problems found so far in one file.
pub(super) struct Problems<'t> {
    origin: &'t str,
    text: &'t str,
    found: Vec<Located>,
    /// Where the piece of the file being read starts: spans from toml are relative to it.
    base: usize,
}

impl<'t> Problems<'t> {
    pub(super) fn new(origin: &'t str, text: &'t str) -> Self {
        Problems {
            origin,
            text,
            found: Vec::new(),
            base: 0,
        }
    }

    /// From now on, spans passed in are relative to byte `base` of the file.
    pub(super) fn set_base(&mut self, base: usize) {
        self.base = base;
    }

    /// Reports `message` at `span` of the piece being read.
    pub(super) fn report(&mut self, span: Span, message: impl Into<String>) {
        let span = self.absolute(&span);
        self.report_in_file(span, message);
    }

    /// Reports `message` at `span` of the whole file, as returned by `absolute`.
    pub(super) fn report_in_file(&mut self, span: Span, message: impl Into<String>) {
        self.found
            .push(Located::at(self.origin, self.text, Some(span), message));
    }

    /// Takes over the problems found in another piece of the same file.
    pub(super) fn absorb(&mut self, other: Problems) {
        self.found.extend(other.found);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// `span` of the piece being read as a span of the whole file, to remember across pieces.
    pub(super) fn absolute(&self, span: &Span) -> Span {
        span.start + self.base..span.end + self.base
    }

    /// The line of a span returned by `absolute`.
    pub(super) fn line_at(&self, absolute: &Span) -> usize {
        crate::location::line_column(self.text, absolute.start).0
    }

    pub(super) fn into_errors(self) -> crate::LocatedErrors {
        crate::LocatedErrors(self.found).sorted()
    }
}

/// One TOML table of a known kind (`topic`, `source`, ...), read key by key.
pub(super) struct Fields<'a, 'i> {
    table: &'a DeTable<'i>,
    pub(super) span: Span,
    /// What the table is, for messages: "topic", "source", "made_by".
    kind: &'static str,
    /// The keys the schema allows, in the order the README documents them.
    known: &'static [&'static str],
}

impl<'a, 'i> Fields<'a, 'i> {
    pub(super) fn new(
        table: &'a DeTable<'i>,
        span: Span,
        kind: &'static str,
        known: &'static [&'static str],
    ) -> Self {
        Fields {
            table,
            span,
            kind,
            known,
        }
    }

    fn get(&self, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.table.get(key)
    }

    fn missing(&self, p: &mut Problems, key: &str, example: &str) {
        p.report(
            self.span.clone(),
            format!(
                "{} is missing required field \"{key}\"; add {key} = {example}",
                self.kind
            ),
        );
    }

    fn wrong_type(&self, p: &mut Problems, key: &str, value: &Spanned<DeValue>, expected: &str) {
        p.report(
            value.span(),
            format!(
                "\"{key}\" in {} must be {expected}, not {}",
                self.kind,
                value.get_ref().type_str()
            ),
        );
    }

    /// A required, non-blank string.
    pub(super) fn text(&self, p: &mut Problems, key: &str) -> Option<Spanned<String>> {
        let Some(value) = self.get(key) else {
            self.missing(p, key, "\"...\"");
            return None;
        };
        self.text_value(p, key, value)
    }

    /// An optional string: `None` when absent, and also when present but unusable (reported).
    pub(super) fn optional_text(&self, p: &mut Problems, key: &str) -> Option<Spanned<String>> {
        self.get(key).and_then(|v| self.text_value(p, key, v))
    }

    fn text_value(
        &self,
        p: &mut Problems,
        key: &str,
        value: &Spanned<DeValue>,
    ) -> Option<Spanned<String>> {
        let Some(s) = value.get_ref().as_str() else {
            self.wrong_type(p, key, value, "a string");
            return None;
        };
        if s.trim().is_empty() {
            p.report(
                value.span(),
                format!(
                    "\"{key}\" in {} is empty; write a value or remove the line",
                    self.kind
                ),
            );
            return None;
        }
        Some(Spanned::new(value.span(), s.trim().to_owned()))
    }

    /// An array of non-blank strings; `required` says whether it may be left out. Blank or
    /// mistyped entries are reported and dropped.
    pub(super) fn texts(
        &self,
        p: &mut Problems,
        key: &str,
        required: bool,
    ) -> Option<Vec<Spanned<String>>> {
        let Some(value) = self.get(key) else {
            if required {
                self.missing(p, key, "[\"...\"]");
                return None;
            }
            return Some(Vec::new());
        };
        let Some(items) = value.get_ref().as_array() else {
            self.wrong_type(p, key, value, "an array of strings");
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            match item.get_ref().as_str() {
                Some(s) if !s.trim().is_empty() => {
                    out.push(Spanned::new(item.span(), s.trim().to_owned()))
                }
                Some(_) => p.report(
                    item.span(),
                    format!("\"{key}\" in {} has an empty entry; remove it", self.kind),
                ),
                None => self.wrong_type(p, key, item, "an array of strings"),
            }
        }
        if required && out.is_empty() && items.is_empty() {
            p.report(
                value.span(),
                format!("\"{key}\" in {} is empty; list at least one", self.kind),
            );
            return None;
        }
        Some(out)
    }

    /// A required calendar date: a TOML date (`2025-03-31`) or a string in that form.
    pub(super) fn date(&self, p: &mut Problems, key: &str) -> Option<Date> {
        let Some(value) = self.get(key) else {
            self.missing(p, key, "2025-03-31");
            return None;
        };
        let date = match value.get_ref() {
            DeValue::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
                (Some(d), None, None) => Date::new(d.year as i16, d.month as i8, d.day as i8).ok(),
                _ => {
                    p.report(
                        value.span(),
                        format!(
                            "\"{key}\" in {} must be a plain date like 2025-03-31, without a time",
                            self.kind
                        ),
                    );
                    return None;
                }
            },
            DeValue::String(s) => s.trim().parse::<Date>().ok(),
            _ => {
                self.wrong_type(p, key, value, "a date like 2025-03-31");
                return None;
            }
        };
        if date.is_none() {
            p.report(
                value.span(),
                format!(
                    "\"{key}\" in {} is not a valid date; write it as YYYY-MM-DD, like 2025-03-31",
                    self.kind
                ),
            );
        }
        date
    }

    /// The tables of an optional array of tables, written `header` (`[[topic.source]]`);
    /// empty when absent.
    pub(super) fn tables(
        &self,
        p: &mut Problems,
        key: &str,
        header: &str,
        kind: &'static str,
        known: &'static [&'static str],
    ) -> Vec<Fields<'a, 'i>> {
        let Some(value) = self.get(key) else {
            return Vec::new();
        };
        let Some(items) = value.get_ref().as_array() else {
            self.wrong_type(p, key, value, &format!("an array of tables ({header})"));
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            match item.get_ref().as_table() {
                Some(table) => out.push(Fields::new(table, item.span(), kind, known)),
                None => self.wrong_type(p, key, item, "a table"),
            }
        }
        out
    }

    /// A required table, written inline (`made_by = { ... }`) or as a sub-table.
    pub(super) fn table(
        &self,
        p: &mut Problems,
        key: &str,
        kind: &'static str,
        known: &'static [&'static str],
    ) -> Option<Fields<'a, 'i>> {
        let Some(value) = self.get(key) else {
            self.missing(p, key, "{ ... }");
            return None;
        };
        match value.get_ref().as_table() {
            Some(table) => Some(Fields::new(table, value.span(), kind, known)),
            None => {
                self.wrong_type(p, key, value, "a table");
                None
            }
        }
    }

    /// The raw value of a required key the caller reads itself, e.g. `match_all`.
    pub(super) fn required(
        &self,
        p: &mut Problems,
        key: &str,
        example: &str,
    ) -> Option<&'a Spanned<DeValue<'i>>> {
        let value = self.get(key);
        if value.is_none() {
            self.missing(p, key, example);
        }
        value
    }

    /// Reports every key the schema does not know, suggesting the closest known one.
    pub(super) fn finish(&self, p: &mut Problems) {
        for (key, _) in self.table.iter() {
            let name = key.get_ref().as_ref();
            if self.known.contains(&name) {
                continue;
            }
            let closest = self
                .known
                .iter()
                .map(|k| (strsim::normalized_damerau_levenshtein(name, k), *k))
                .filter(|(score, _)| *score >= 0.6)
                .max_by(|a, b| a.0.total_cmp(&b.0));
            let hint = match closest {
                Some((_, k)) => format!("did you mean \"{k}\"?"),
                None => format!("known fields: {}", self.known.join(", ")),
            };
            p.report(
                key.span(),
                format!("unknown field \"{name}\" in {}; {hint}", self.kind),
            );
        }
    }
}
