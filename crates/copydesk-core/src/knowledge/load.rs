//! Parsing and validating the knowledge file.
//!
//! The schema (documented for editors in the README):
//!
//! ```toml
//! [[topic]]
//! slug = "bulgaria-schengen"      # lowercase-kebab, unique
//! title = "..."
//! aliases = ["bulgaria"]          # optional; unique across all slugs and aliases
//! summary = "..."
//! updated = 2026-11-02            # TOML date
//! review_every = "6 months"       # optional jiff span in whole days or longer
//! tags = ["migration"]            # optional
//!
//! [[topic.source]]                # id, outlet, title, url (http/https), date
//! [[topic.fact]]                  # text, sources = ["source-id", ...]
//! [[topic.allegation]]            # id, claim, made_by = { name, role }, source, status,
//!                                 # match_all = [["term", "prefix*"], ...], attributed
//! ```
//!
//! Every problem is collected, not just the first: an editor fixing the file sees them all.

use std::collections::HashMap;

use toml::Spanned;
use toml::de::DeTable;

use super::fields::{Fields, Problems, Span};
use super::matcher::{self, MAX_GROUPS, Matcher};
use super::names::{self, Suggester};
use super::{Allegation, AllegationStatus, Fact, KnowledgeBase, Person, Source, Topic};
use crate::LocatedErrors;

const ROOT_FIELDS: &[&str] = &["topic"];
const TOPIC_FIELDS: &[&str] = &[
    "slug",
    "title",
    "aliases",
    "summary",
    "updated",
    "review_every",
    "tags",
    "source",
    "fact",
    "allegation",
];
const SOURCE_FIELDS: &[&str] = &["id", "outlet", "title", "url", "date"];
const FACT_FIELDS: &[&str] = &["text", "sources"];
const ALLEGATION_FIELDS: &[&str] = &[
    "id",
    "claim",
    "made_by",
    "source",
    "status",
    "match_all",
    "attributed",
];
const PERSON_FIELDS: &[&str] = &["name", "role"];

pub(super) fn parse(origin: &str, text: &str) -> Result<KnowledgeBase, LocatedErrors> {
    let mut p = Problems::new(origin, text);
    let (document, syntax_errors) = DeTable::parse_recoverable(text);
    if !syntax_errors.is_empty() {
        // After a syntax error the recovered tree is a guess; checking it would only add
        // confusing follow-on complaints.
        for e in syntax_errors {
            p.report(e.span().unwrap_or(0..0), one_line(e.message()));
        }
        return Err(p.into_errors());
    }

    let root = Fields::new(
        document.get_ref(),
        document.span(),
        "the knowledge file",
        ROOT_FIELDS,
    );
    root.finish(&mut p);
    let tables = root.tables(&mut p, "topic", "topic", TOPIC_FIELDS);
    let mut registry = NameRegistry::default();
    let topics: Vec<Option<Topic>> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| read_topic(t, i, &mut p, &mut registry))
        .collect();
    if !p.is_empty() {
        return Err(p.into_errors());
    }
    let topics: Vec<Topic> = topics.into_iter().flatten().collect();
    let matcher = match Matcher::new(&topics) {
        Ok(m) => m,
        Err(message) => {
            p.report(0..0, message);
            return Err(p.into_errors());
        }
    };
    let names = registry.into_map();
    Ok(KnowledgeBase {
        suggester: Suggester::new(&names),
        names,
        version: version(text),
        matcher,
        topics,
    })
}

/// Twelve hex digits of the text's 64-bit FNV-1a hash: stable across builds and platforms,
/// short enough to quote in a chat answer.
fn version(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")[..12].to_owned()
}

/// toml's messages are single sentences, but make sure: one problem, one line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every slug and alias seen so far, to catch one name given to two topics.
#[derive(Default)]
struct NameRegistry {
    /// Normalised name -> (topic index, the topic's slug if known, where it was written).
    names: HashMap<String, (usize, String, Span)>,
}

impl NameRegistry {
    fn register(
        &mut self,
        p: &mut Problems,
        topic: usize,
        slug: &str,
        what: &str,
        name: &Spanned<String>,
    ) {
        let key = names::normalize(name.get_ref());
        match self.names.get(&key) {
            Some((other, other_slug, first)) if *other != topic => {
                let line = p.line_of(first);
                p.report(
                    name.span(),
                    format!(
                        "{what} \"{}\" is already a name of topic \"{other_slug}\" (line {line}); \
                         slugs and aliases must be unique across topics, ignoring case",
                        name.get_ref()
                    ),
                );
            }
            Some(_) => {}
            None => {
                self.names
                    .insert(key, (topic, slug.to_owned(), name.span()));
            }
        }
    }

    fn into_map(self) -> HashMap<String, usize> {
        self.names
            .into_iter()
            .map(|(name, (topic, _, _))| (name, topic))
            .collect()
    }
}

fn read_topic(
    t: &Fields,
    index: usize,
    p: &mut Problems,
    registry: &mut NameRegistry,
) -> Option<Topic> {
    t.finish(p);
    let slug = t.text(p, "slug").filter(|slug| {
        let ok = names::is_kebab(slug.get_ref());
        if !ok {
            p.report(
                slug.span(),
                format!(
                    "slug \"{}\" must be lowercase-kebab (a-z, 0-9 and single hyphens), e.g. \"{}\"",
                    slug.get_ref(),
                    names::normalize(slug.get_ref())
                ),
            );
        }
        ok
    });
    let slug_text = slug.as_ref().map_or("", |s| s.get_ref().as_str());
    if let Some(slug) = &slug {
        registry.register(p, index, slug_text, "slug", slug);
    }
    let aliases = t.texts(p, "aliases", false);
    for alias in aliases.iter().flatten() {
        if names::normalize(alias.get_ref()).is_empty() {
            p.report(
                alias.span(),
                format!(
                    "alias \"{}\" has no letters or digits; remove it",
                    alias.get_ref()
                ),
            );
        } else {
            registry.register(p, index, slug_text, "alias", alias);
        }
    }
    let title = t.text(p, "title");
    let summary = t.text(p, "summary");
    let updated = t.date(p, "updated");
    let review_every = match t.optional_text(p, "review_every") {
        None => Some(None),
        Some(text) => review_period(p, &text, updated).map(Some),
    };
    let tags = t.texts(p, "tags", false);

    let sources = read_sources(t, p);
    let known: Vec<&str> = sources.iter().flatten().map(|s| s.id.as_str()).collect();
    let facts: Vec<Option<Fact>> = t
        .tables(p, "fact", "fact", FACT_FIELDS)
        .iter()
        .map(|f| read_fact(f, p, &known))
        .collect();
    let allegations = read_allegations(t, p, &known);

    Some(Topic {
        slug: slug?.into_inner(),
        title: title?.into_inner(),
        aliases: strings(aliases?),
        summary: summary?.into_inner(),
        updated: updated?,
        review_every: review_every?,
        tags: strings(tags?),
        sources: sources.into_iter().collect::<Option<_>>()?,
        facts: facts.into_iter().collect::<Option<_>>()?,
        allegations: allegations.into_iter().collect::<Option<_>>()?,
    })
}

fn strings(items: Vec<Spanned<String>>) -> Vec<String> {
    items.into_iter().map(Spanned::into_inner).collect()
}

/// `review_every`: a positive period of whole days or longer ("6 months", "1 year", "P90D").
fn review_period(
    p: &mut Problems,
    text: &Spanned<String>,
    updated: Option<jiff::civil::Date>,
) -> Option<jiff::Span> {
    let problem = match text.get_ref().parse::<jiff::Span>() {
        Err(_) => "is not a period",
        Ok(span) if !span.is_positive() => "must be longer than zero",
        Ok(span)
            if span.get_hours() != 0
                || span.get_minutes() != 0
                || span.get_seconds() != 0
                || span.get_milliseconds() != 0
                || span.get_microseconds() != 0
                || span.get_nanoseconds() != 0 =>
        {
            "must be whole days or longer"
        }
        Ok(span) if updated.is_some_and(|d| d.checked_add(span).is_err()) => "is too long",
        Ok(span) => return Some(span),
    };
    p.report(
        text.span(),
        format!(
            "review_every \"{}\" {problem}; write a period like \"6 months\", \"1 year\" or \"90 days\"",
            text.get_ref()
        ),
    );
    None
}

/// The topic's sources, each `None` if it has a problem; duplicate ids are reported.
fn read_sources(t: &Fields, p: &mut Problems) -> Vec<Option<Source>> {
    let mut seen: HashMap<String, Span> = HashMap::new();
    t.tables(p, "source", "source", SOURCE_FIELDS)
        .iter()
        .map(|s| {
            s.finish(p);
            let id = id_field(s, p, "source id", &mut seen);
            let outlet = s.text(p, "outlet");
            let title = s.text(p, "title");
            let url = s.text(p, "url").filter(|url| {
                let problem = url_problem(url.get_ref());
                if let Some(problem) = problem {
                    p.report(url.span(), format!("url \"{}\" {problem}", url.get_ref()));
                }
                problem.is_none()
            });
            let date = s.date(p, "date");
            Some(Source {
                id: id?,
                outlet: outlet?.into_inner(),
                title: title?.into_inner(),
                url: url?.into_inner(),
                date: date?,
            })
        })
        .collect()
}

/// A required lowercase-kebab `id`, unique among `seen`.
fn id_field(
    f: &Fields,
    p: &mut Problems,
    what: &str,
    seen: &mut HashMap<String, Span>,
) -> Option<String> {
    let id = f.text(p, "id")?;
    if !names::is_kebab(id.get_ref()) {
        p.report(
            id.span(),
            format!(
                "{what} \"{}\" must be lowercase-kebab (a-z, 0-9 and single hyphens), e.g. \"{}\"",
                id.get_ref(),
                names::normalize(id.get_ref())
            ),
        );
        return None;
    }
    if let Some(first) = seen.get(id.get_ref()) {
        let line = p.line_of(first);
        p.report(
            id.span(),
            format!(
                "duplicate {what} \"{}\" in this topic (first on line {line}); give each its own id",
                id.get_ref()
            ),
        );
        return None;
    }
    seen.insert(id.get_ref().clone(), id.span());
    Some(id.into_inner())
}

/// Why `url` is not a usable http(s) link, if it is not.
fn url_problem(url: &str) -> Option<&'static str> {
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    else {
        return Some("must start with https:// or http://");
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("contains spaces; encode them as %20");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = match host.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => host,
    };
    let host_ok = !host.is_empty()
        && (host.contains('.') || host == "localhost")
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if host_ok {
        None
    } else {
        Some("has no valid host name; write a full link like https://www.example.com/page")
    }
}

/// Reports each id in `cited` that is not among `known` sources.
fn check_citation(p: &mut Problems, who: &str, cited: &Spanned<String>, known: &[&str]) -> bool {
    if known.contains(&cited.get_ref().as_str()) {
        return true;
    }
    let known_list = if known.is_empty() {
        "this topic has no [[topic.source]] entries".to_owned()
    } else {
        format!("known: {}", known.join(", "))
    };
    p.report(
        cited.span(),
        format!(
            "{who} cites unknown source \"{}\" ({known_list})",
            cited.get_ref()
        ),
    );
    false
}

fn read_fact(f: &Fields, p: &mut Problems, known: &[&str]) -> Option<Fact> {
    f.finish(p);
    let text = f.text(p, "text");
    let sources = f.texts(p, "sources", true);
    // Check every citation, not just up to the first bad one.
    let unknown = sources
        .iter()
        .flatten()
        .filter(|s| !check_citation(p, "fact", s, known))
        .count();
    if unknown > 0 {
        return None;
    }
    Some(Fact {
        text: text?.into_inner(),
        sources: strings(sources?),
    })
}

fn read_allegations(t: &Fields, p: &mut Problems, known: &[&str]) -> Vec<Option<Allegation>> {
    let mut seen: HashMap<String, Span> = HashMap::new();
    t.tables(p, "allegation", "allegation", ALLEGATION_FIELDS)
        .iter()
        .map(|a| {
            a.finish(p);
            let id = id_field(a, p, "allegation id", &mut seen);
            let claim = a.text(p, "claim");
            let made_by = read_person(a, p);
            let source = a
                .text(p, "source")
                .filter(|s| check_citation(p, "allegation", s, known));
            let status = a.text(p, "status").and_then(|s| {
                let status = parse_status(s.get_ref());
                if status.is_none() {
                    p.report(
                        s.span(),
                        format!(
                            "unknown status \"{}\"; use one of unproven, denied, disputed, confirmed, retracted",
                            s.get_ref()
                        ),
                    );
                }
                status
            });
            let match_all = read_match_all(a, p);
            let attributed = a.text(p, "attributed");
            Some(Allegation {
                id: id?,
                claim: claim?.into_inner(),
                made_by: made_by?,
                source: source?.into_inner(),
                status: status?,
                match_all: match_all?,
                attributed: attributed?.into_inner(),
            })
        })
        .collect()
}

fn read_person(a: &Fields, p: &mut Problems) -> Option<Person> {
    let person = a.table(p, "made_by", "made_by", PERSON_FIELDS)?;
    person.finish(p);
    let name = person.text(p, "name");
    let role = person.text(p, "role");
    Some(Person {
        name: name?.into_inner(),
        role: role?.into_inner(),
    })
}

fn parse_status(s: &str) -> Option<AllegationStatus> {
    Some(match s {
        "unproven" => AllegationStatus::Unproven,
        "denied" => AllegationStatus::Denied,
        "disputed" => AllegationStatus::Disputed,
        "confirmed" => AllegationStatus::Confirmed,
        "retracted" => AllegationStatus::Retracted,
        _ => return None,
    })
}

/// `match_all = [["russia*", "moscow"], ["smuggl*"]]`: a non-empty array of non-empty
/// groups of valid terms.
fn read_match_all(a: &Fields, p: &mut Problems) -> Option<Vec<Vec<String>>> {
    const EXAMPLE: &str = "[[\"russia*\", \"moscow\"], [\"smuggl*\", \"traffick*\"]]";
    let value = a.required(p, "match_all", EXAMPLE)?;
    let Some(groups) = value.get_ref().as_array() else {
        p.report(
            value.span(),
            format!("match_all must be an array of term groups, like {EXAMPLE}"),
        );
        return None;
    };
    if groups.is_empty() || groups.len() > MAX_GROUPS {
        p.report(
            value.span(),
            format!("match_all needs between 1 and {MAX_GROUPS} groups of terms, like {EXAMPLE}"),
        );
        return None;
    }
    let mut ok = true;
    let mut out = Vec::with_capacity(groups.len());
    for group in groups.iter() {
        let Some(terms) = group.get_ref().as_array() else {
            p.report(
                group.span(),
                "each match_all group must be an array of terms, like [\"smuggl*\", \"traffick*\"]",
            );
            ok = false;
            continue;
        };
        if terms.is_empty() {
            p.report(
                group.span(),
                "empty match group; add at least one term or remove the group",
            );
            ok = false;
            continue;
        }
        let mut kept = Vec::with_capacity(terms.len());
        for term in terms.iter() {
            let Some(raw) = term.get_ref().as_str() else {
                p.report(
                    term.span(),
                    format!(
                        "match terms must be strings, not {}",
                        term.get_ref().type_str()
                    ),
                );
                ok = false;
                continue;
            };
            match matcher::parse_term(raw) {
                Ok(_) => kept.push(raw.trim().to_owned()),
                Err(message) => {
                    p.report(term.span(), message);
                    ok = false;
                }
            }
        }
        out.push(kept);
    }
    ok.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../../examples/knowledge.toml");

    #[test]
    fn example_file_loads() {
        let kb = match KnowledgeBase::parse("examples/knowledge.toml", EXAMPLE) {
            Ok(kb) => kb,
            Err(e) => panic!("{e}"),
        };
        assert!(kb.topics().len() >= 6);
    }
}
