//! Parsing and validating one lexicon file, every problem reported at its place.

use std::collections::HashMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Rule, RuleKind};
use crate::checker::Verdict;
use crate::location::{Located, LocatedErrors};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    /// Free text for the people who edit the file; not used.
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    kind: Spanned<String>,
    severity: Spanned<String>,
    message: Spanned<String>,
    terms: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    exceptions: Vec<Spanned<String>>,
}

pub(super) fn parse(origin: &str, text: &str) -> Result<Vec<Rule>, LocatedErrors> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        LocatedErrors(vec![Located::at(
            origin,
            text,
            e.span(),
            e.message().trim_end().to_owned(),
        )])
    })?;

    let mut errors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut rules = Vec::new();
    for raw_rule in raw.rule {
        let rule_span = raw_rule.span();
        let raw_rule = raw_rule.into_inner();
        let mut err = |span: std::ops::Range<usize>, message: String| {
            errors.push(Located::at(origin, text, Some(span), message));
        };

        let id = raw_rule.id.get_ref().trim().to_owned();
        if id.is_empty() {
            err(raw_rule.id.span(), "rule id is empty".into());
        } else if let Some(first) = seen.get(&id) {
            let (line, _) = crate::location::line_column(text, *first);
            err(
                raw_rule.id.span(),
                format!("duplicate rule id {id:?} (first defined on line {line})"),
            );
        } else {
            seen.insert(id.clone(), raw_rule.id.span().start);
        }

        let kind = raw_rule
            .kind
            .get_ref()
            .parse::<RuleKind>()
            .map_err(|m| err(raw_rule.kind.span(), m))
            .ok();
        let severity = raw_rule
            .severity
            .get_ref()
            .parse::<Verdict>()
            .map_err(|m| err(raw_rule.severity.span(), format!("severity: {m}")))
            .ok();

        let message = raw_rule.message.get_ref().trim().to_owned();
        if message.is_empty() {
            err(raw_rule.message.span(), "message is empty".into());
        }

        let terms_span = raw_rule.terms.span();
        let terms = raw_rule.terms.into_inner();
        if terms.is_empty() {
            err(
                terms_span,
                "terms is empty: a rule needs at least one term".into(),
            );
        }
        let mut clean = |list: Vec<Spanned<String>>, what: &str| -> Vec<String> {
            list.into_iter()
                .filter_map(|t| match normalise_term(t.get_ref()) {
                    Ok(term) => Some(term),
                    Err(m) => {
                        err(t.span(), format!("{what} {:?}: {m}", t.get_ref()));
                        None
                    }
                })
                .collect()
        };
        let terms = clean(terms, "term");
        let exceptions = clean(raw_rule.exceptions, "exception");

        if let (Some(kind), Some(severity)) = (kind, severity) {
            let (line, _) = crate::location::line_column(text, rule_span.start);
            rules.push(Rule {
                id,
                kind,
                severity,
                message,
                terms,
                exceptions,
                origin: format!("{origin}:{line}"),
            });
        }
    }

    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(LocatedErrors(errors).sorted())
    }
}

/// Lowercases a term and collapses its inner whitespace; rejects empty terms and
/// misplaced wildcards.
pub(super) fn normalise_term(term: &str) -> Result<String, String> {
    let words: Vec<&str> = term.split_whitespace().collect();
    let joined = words.join(" ").to_lowercase();
    let stem = joined.strip_suffix('*').unwrap_or(&joined);
    if stem.trim().is_empty() {
        return Err("is empty".into());
    }
    if stem.contains('*') {
        return Err("`*` is only allowed at the end of a term".into());
    }
    if joined.ends_with(" *") {
        return Err("`*` must follow a word ending, as in `smuggl*`".into());
    }
    if !stem.chars().next().is_some_and(char::is_alphanumeric) {
        return Err("must start with a letter or digit".into());
    }
    Ok(joined)
}
