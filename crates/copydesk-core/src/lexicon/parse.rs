//! Parsing and validating one lexicon file, every problem reported at its place.

use std::collections::HashMap;

use serde::Deserialize;
use toml::Spanned;

use super::pattern::Term;
use super::{Rule, RuleKind, WordClass};
use crate::location::{Located, LocatedErrors};
use crate::verdict::Verdict;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    /// Free text for the people who edit the file; not used.
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
    #[serde(default)]
    class: Vec<Spanned<RawClass>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClass {
    name: Spanned<String>,
    terms: Spanned<Vec<Spanned<String>>>,
}

/// The rules and word classes of one lexicon file.
#[derive(Debug, Default)]
pub(super) struct File {
    pub rules: Vec<Rule>,
    pub classes: Vec<WordClass>,
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
    #[serde(default)]
    examples: Vec<String>,
}

pub(super) fn parse(origin: &str, text: &str) -> Result<File, LocatedErrors> {
    let raw: RawFile =
        toml::from_str(text).map_err(|e| LocatedErrors::from_toml(origin, text, &e))?;

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
        let mut clean = |list: Vec<Spanned<String>>, what: &str| -> Vec<(String, usize)> {
            list.into_iter()
                .filter_map(|t| match normalise_term(t.get_ref()) {
                    Ok(term) => Some((term, t.span().start)),
                    Err(m) => {
                        err(t.span(), format!("{what} {:?}: {m}", t.get_ref()));
                        None
                    }
                })
                .collect()
        };
        let terms = clean(terms, "term");
        let exceptions = clean(raw_rule.exceptions, "exception");
        let term_places = terms
            .iter()
            .chain(&exceptions)
            .map(|(_, at)| crate::location::line_column(text, *at))
            .collect();
        let terms = terms.into_iter().map(|(t, _)| t).collect();
        let exceptions = exceptions.into_iter().map(|(t, _)| t).collect();

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
                file: origin.to_owned(),
                term_places,
                examples: raw_rule.examples,
            });
        }
    }

    let mut classes: Vec<WordClass> = Vec::new();
    for raw_class in raw.class {
        let class_span = raw_class.span();
        let raw_class = raw_class.into_inner();
        let name = raw_class.name.get_ref().trim().to_owned();
        let valid_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid_name {
            errors.push(Located::at(
                origin,
                text,
                Some(raw_class.name.span()),
                format!("class name {name:?}: use lowercase letters, digits and hyphens"),
            ));
        } else if classes.iter().any(|c| c.name == name) {
            errors.push(Located::at(
                origin,
                text,
                Some(raw_class.name.span()),
                format!("duplicate class {name:?}"),
            ));
        }
        let terms_span = raw_class.terms.span();
        let mut terms = Vec::new();
        for term in raw_class.terms.into_inner() {
            let words: Vec<&str> = term.get_ref().split_whitespace().collect();
            let joined = words.join(" ").to_lowercase();
            let lemma = joined.trim_start_matches('[').trim_end_matches(']');
            if lemma.is_empty() || !lemma.chars().next().is_some_and(char::is_alphanumeric) {
                errors.push(Located::at(
                    origin,
                    text,
                    Some(term.span()),
                    format!(
                        "class term {:?}: a word or phrase, no patterns",
                        term.get_ref()
                    ),
                ));
            } else {
                terms.push(lemma.to_owned());
            }
        }
        if terms.is_empty() {
            errors.push(Located::at(
                origin,
                text,
                Some(terms_span),
                "terms is empty: a class needs at least one term",
            ));
        }
        let (line, _) = crate::location::line_column(text, class_span.start);
        classes.push(WordClass {
            name,
            terms,
            origin: format!("{origin}:{line}"),
        });
    }

    if errors.is_empty() {
        Ok(File { rules, classes })
    } else {
        Err(LocatedErrors(errors).sorted())
    }
}

/// Lowercases a term and collapses its inner whitespace; rejects terms that do not parse
/// (see `pattern` for the syntax).
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
    if !stem
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '[')
    {
        return Err("must start with a letter, a digit or `[`".into());
    }
    Term::parse(&joined)?;
    Ok(joined)
}
