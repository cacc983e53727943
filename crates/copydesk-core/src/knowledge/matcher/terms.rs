//! Match terms: how a term in the knowledge file is checked, and the spellings it is
//! searched for.

/// A match term as the matcher uses it: `smuggl*` is the prefix `smuggl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Term {
    /// Lowercase, with straight apostrophes.
    pub(super) literal: String,
    /// A trailing `*`: matches any word that starts with `literal`.
    pub(super) prefix: bool,
}

/// Checks one term as written in the file and returns it as the matcher uses it.
pub(super) fn parse_term(raw: &str) -> Result<Term, String> {
    let (body, prefix) = check_term(raw)?;
    let literal = body
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if is_apostrophe(c) { '\'' } else { c })
        .collect();
    Ok(Term { literal, prefix })
}

/// Checks one term as written in the file, without allocating unless it is wrong: the
/// term without its `*`, and whether it had one. The error says how to fix it.
pub(in crate::knowledge) fn check_term(raw: &str) -> Result<(&str, bool), String> {
    let term = raw.trim();
    if term.is_empty() {
        return Err("empty match term; write a word or phrase, or remove it".to_owned());
    }
    let (body, prefix) = match term.strip_suffix('*') {
        Some(body) => (body, true),
        None => (term, false),
    };
    if body.contains('*') {
        return Err(format!(
            "match term {raw:?} has \"*\" before its end; \"*\" may only end a term (smuggl* matches smuggler and smuggling)"
        ));
    }
    if let Some(c) = body
        .chars()
        .find(|&c| !(c.is_alphanumeric() || c == ' ' || c == '-' || is_apostrophe(c)))
    {
        return Err(format!(
            "match term {raw:?} contains {c:?}; use letters, digits, single spaces, hyphens and apostrophes"
        ));
    }
    let starts_ok = body.chars().next().is_some_and(char::is_alphanumeric);
    let ends_ok = body.chars().next_back().is_some_and(char::is_alphanumeric);
    if !starts_ok || !ends_ok {
        return Err(format!(
            "match term {raw:?} must start and end with a letter or digit"
        ));
    }
    if body.contains("  ") {
        return Err(format!(
            "match term {raw:?} has a double space; separate words with one space"
        ));
    }
    if prefix && body.chars().count() < 3 {
        return Err(format!(
            "wildcard term {raw:?} would match too many words; give at least three letters before \"*\""
        ));
    }
    Ok((body, prefix))
}

impl Term {
    /// The spellings to search for: chat writes `russia’s` as often as `russia's`, and
    /// `people smuggling` as often as `people-smuggling`.
    pub(super) fn spellings(&self) -> Vec<String> {
        let mut out = vec![self.literal.clone()];
        let mut add = |s: String| {
            if !out.contains(&s) {
                out.push(s);
            }
        };
        for base in [
            self.literal.replace('-', " "),
            self.literal.replace(' ', "-"),
        ] {
            if base.contains('\'') {
                add(base.replace('\'', "\u{2019}"));
            }
            add(base);
        }
        if self.literal.contains('\'') {
            add(self.literal.replace('\'', "\u{2019}"));
        }
        out
    }
}

pub(super) fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02bc}')
}
