//! Reading one `[[topic]]` with its sources and facts, and checking slugs and aliases
//! across topics.

use rustc_hash::FxHashMap;
use toml::Spanned;

use super::allegations::read_allegations;
use crate::knowledge::fields::{Fields, Problems, Span};
use crate::knowledge::names;
use crate::knowledge::{Fact, Source, Topic};

const SOURCE_FIELDS: &[&str] = &["id", "outlet", "title", "url", "date"];
const FACT_FIELDS: &[&str] = &["text", "sources"];

/// What one `[[topic]]` says on its own: the topic (`None` where it has problems), how
/// to refer to it, and the names to check against every other topic's.
pub(super) struct TopicRead {
    pub(super) topic: Option<Topic>,
    pub(super) label: String,
    pub(super) names: Vec<WrittenName>,
}

/// A slug or alias as written.
pub(super) struct WrittenName {
    /// "slug" or "alias", for messages.
    what: &'static str,
    name: String,
    /// Where it is in the whole file.
    at: Span,
    /// Normalised, as names are compared.
    key: String,
}

/// Every slug and alias seen so far, to catch one name given to two topics.
#[derive(Default)]
pub(super) struct NameRegistry {
    /// Normalised name -> index into `firsts`.
    names: FxHashMap<String, usize>,
    /// For each name: its topic and where it was written.
    firsts: Vec<(usize, Span)>,
    /// How to refer to each topic in messages, by topic index.
    labels: Vec<String>,
}

impl NameRegistry {
    /// Adds the next topic, referred to in messages as `label`, reporting each of its
    /// `names` that an earlier topic already has.
    pub(super) fn add_topic(&mut self, p: &mut Problems, label: String, names: &[WrittenName]) {
        let topic = self.labels.len();
        self.labels.push(label);
        for written in names {
            self.register(p, topic, written);
        }
    }

    fn register(&mut self, p: &mut Problems, topic: usize, written: &WrittenName) {
        match self.names.get(&written.key) {
            Some(&first) if self.firsts[first].0 != topic => {
                let (other, ref at) = self.firsts[first];
                let line = p.line_at(at);
                p.report_in_file(
                    written.at.clone(),
                    format!(
                        "{} \"{}\" is already a name of {} (line {line}); \
                         slugs and aliases must be unique across topics, ignoring case",
                        written.what, written.name, self.labels[other]
                    ),
                );
            }
            Some(_) => {}
            None => {
                self.names.insert(written.key.clone(), self.firsts.len());
                self.firsts.push((topic, written.at.clone()));
            }
        }
    }

    /// Normalised name -> topic index.
    pub(super) fn into_map(self) -> FxHashMap<String, usize> {
        let mut names = self.names;
        for first in names.values_mut() {
            *first = self.firsts[*first].0;
        }
        names
    }
}

pub(super) fn read_topic(t: &Fields, p: &mut Problems) -> TopicRead {
    t.finish(p);
    let written_slug = t.text(p, "slug");
    let label = match &written_slug {
        Some(slug) => format!("topic \"{}\"", slug.get_ref()),
        None => format!("the topic on line {}", p.line_at(&p.absolute(&t.span))),
    };
    let mut names = Vec::new();
    let mut name = |p: &Problems, what, written: &Spanned<String>, key| {
        names.push(WrittenName {
            what,
            name: written.get_ref().clone(),
            at: p.absolute(&written.span()),
            key,
        })
    };
    // A malformed slug still takes part in the uniqueness check, so fixing its spelling
    // cannot uncover a second problem later.
    if let Some(slug) = &written_slug {
        name(p, "slug", slug, names::normalize(slug.get_ref()));
    }
    let slug = written_slug.filter(|slug| {
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
    let aliases = t.texts(p, "aliases", false);
    for alias in aliases.iter().flatten() {
        let key = names::normalize(alias.get_ref());
        if key.is_empty() {
            p.report(
                alias.span(),
                format!(
                    "alias \"{}\" has no letters or digits; remove it",
                    alias.get_ref()
                ),
            );
        } else {
            name(p, "alias", alias, key);
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

    let (sources, source_ids) = read_sources(t, p);
    let known: Vec<&str> = source_ids.iter().map(String::as_str).collect();
    let facts: Vec<Option<Fact>> = t
        .tables(p, "fact", "[[topic.fact]]", "fact", FACT_FIELDS)
        .iter()
        .map(|f| read_fact(f, p, &known))
        .collect();
    let allegations = read_allegations(t, p, &known);

    let topic = (|| {
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
    })();
    TopicRead {
        topic,
        label,
        names,
    }
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

/// The topic's sources, each `None` if it has a problem, and every id that was given, so
/// that a source with a bad url does not also make each citation of it an error.
fn read_sources(t: &Fields, p: &mut Problems) -> (Vec<Option<Source>>, Vec<String>) {
    let mut seen: Vec<(String, Span)> = Vec::new();
    let sources = t
        .tables(p, "source", "[[topic.source]]", "source", SOURCE_FIELDS)
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
        .collect();
    (sources, seen.into_iter().map(|(id, _)| id).collect())
}

/// A required lowercase-kebab `id`, unique among `seen` (which it joins).
pub(super) fn id_field(
    f: &Fields,
    p: &mut Problems,
    what: &str,
    seen: &mut Vec<(String, Span)>,
) -> Option<String> {
    let id = f.text(p, "id")?;
    if let Some((_, first)) = seen.iter().find(|(seen, _)| seen == id.get_ref()) {
        let line = p.line_at(first);
        p.report(
            id.span(),
            format!(
                "duplicate {what} \"{}\" in this topic (first on line {line}); give each its own id",
                id.get_ref()
            ),
        );
        return None;
    }
    // Remembered even when malformed, so citations of it are not reported as well.
    seen.push((id.get_ref().clone(), p.absolute(&id.span())));
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
    Some(id.into_inner())
}

/// Why `url` is not a usable http(s) link, if it is not.
pub(super) fn url_problem(url: &str) -> Option<&'static str> {
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
pub(super) fn check_citation(
    p: &mut Problems,
    who: &str,
    cited: &Spanned<String>,
    known: &[&str],
) -> bool {
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
