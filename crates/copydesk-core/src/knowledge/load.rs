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

use rustc_hash::FxHashMap;
use toml::Spanned;
use toml::de::DeTable;

use super::fields::{Fields, Problems, Span};
use super::matcher::{self, MAX_GROUPS, MatcherBuilder};
use super::names;
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
    let reader = match read_in_pieces(origin, text) {
        Some(reader) => reader,
        None => read_whole(origin, text)?,
    };
    let Reader {
        mut p,
        registry,
        topics,
        matcher,
    } = reader;
    if !p.is_empty() {
        return Err(p.into_errors());
    }
    let topics: Vec<Topic> = topics.into_iter().flatten().collect();
    let matcher = match matcher.build() {
        Ok(m) => m,
        Err(message) => {
            p.report(0..0, message);
            return Err(p.into_errors());
        }
    };
    let names = registry.into_map();
    Ok(KnowledgeBase {
        suggester: std::sync::OnceLock::new(),
        names,
        version: version(text),
        matcher,
        topics,
    })
}

/// Topics read so far, and every problem found on the way.
struct Reader<'t> {
    /// Spans given to it are spans of the whole file (its base stays 0).
    p: Problems<'t>,
    registry: NameRegistry,
    /// One entry per `[[topic]]`, `None` where the topic has problems.
    topics: Vec<Option<Topic>>,
    /// The allegation matcher's terms, from every topic without problems so far.
    matcher: MatcherBuilder,
}

impl<'t> Reader<'t> {
    fn new(origin: &'t str, text: &'t str) -> Self {
        Reader {
            p: Problems::new(origin, text),
            registry: NameRegistry::default(),
            topics: Vec::new(),
            matcher: MatcherBuilder::default(),
        }
    }

    /// Adds topics read from the next part of the file, checking their names against
    /// every earlier topic's: the one step that needs all that came before.
    fn add(&mut self, topics: Vec<TopicRead>) {
        for read in topics {
            self.registry
                .add_topic(&mut self.p, read.label, &read.names);
            if let Some(topic) = &read.topic {
                self.matcher.add_topic(topic);
            }
            self.topics.push(read.topic);
        }
    }
}

/// Reads the topics of one parsed document, or of one piece of the file, on its own:
/// everything but the checks across topics.
fn read_document(document: &Spanned<DeTable>, p: &mut Problems) -> Vec<TopicRead> {
    let root = Fields::new(
        document.get_ref(),
        document.span(),
        "the knowledge file",
        ROOT_FIELDS,
    );
    root.finish(p);
    root.tables(p, "topic", "[[topic]]", "topic", TOPIC_FIELDS)
        .iter()
        .map(|t| read_topic(t, p))
        .collect()
}

/// Parses the file as one TOML document. Syntax errors are returned as they are: after
/// one the recovered tree is a guess, and checking it would only add confusing follow-on
/// complaints.
fn read_whole<'t>(origin: &'t str, text: &'t str) -> Result<Reader<'t>, LocatedErrors> {
    let mut reader = Reader::new(origin, text);
    let (document, syntax_errors) = DeTable::parse_recoverable(text);
    if !syntax_errors.is_empty() {
        for e in syntax_errors {
            reader
                .p
                .report(e.span().unwrap_or(0..0), one_line(e.message()));
        }
        return Err(reader.p.into_errors());
    }
    let topics = read_document(&document, &mut reader.p);
    reader.add(topics);
    Ok(reader)
}

/// One piece of the file, parsed and read on its own.
struct PieceRead<'t> {
    topics: Vec<TopicRead>,
    problems: Problems<'t>,
}

/// The fast path for large files: parses and reads one `[[topic]]` at a time.
///
/// toml lexes the whole input into a token list and builds the whole tree before handing
/// any of it over; for ten thousand topics that is tens of megabytes of short-lived memory,
/// and page faults and cache misses then cost more than parsing. Pieces split at lines
/// that are exactly a `[[topic]]` header stay small and in cache, and can be parsed and
/// read on several threads (see [`in_order`]) while this one checks names across topics.
///
/// A piece must mean what it means in the whole file, so this gives up (returns `None`) on
/// any syntax error (a header line inside a multi-line string makes the piece before it
/// unterminated), on a `topic` key before the first header, and on any other root key
/// after it. `read_whole` then reports exactly what toml sees.
fn read_in_pieces<'t>(origin: &'t str, text: &'t str) -> Option<Reader<'t>> {
    let mut bounds = topic_header_offsets(text);
    bounds.insert(0, 0);
    bounds.push(text.len());
    let pieces: Vec<&str> = bounds.windows(2).map(|b| &text[b[0]..b[1]]).collect();
    let read_piece = |i: usize, piece: &'t str| {
        let (document, syntax_errors) = DeTable::parse_recoverable(piece);
        let root = document.get_ref();
        let has_topic = root.get("topic").is_some();
        let same_meaning = if i == 0 {
            !has_topic
        } else {
            has_topic && root.len() == 1
        };
        if !syntax_errors.is_empty() || !same_meaning {
            return None;
        }
        let mut problems = Problems::new(origin, text);
        problems.set_base(bounds[i]);
        let topics = read_document(&document, &mut problems);
        Some(PieceRead { topics, problems })
    };
    let mut reader = Reader::new(origin, text);
    let complete = in_order(&pieces, read_piece, |piece| {
        reader.p.absorb(piece.problems);
        reader.add(piece.topics);
    });
    complete.then_some(reader)
}

/// Pieces below which threads cost more than they save.
const PIECES_PER_THREAD: usize = 2_000;

/// Pieces a worker hands over at a time, so that the merging thread is woken once per
/// batch rather than once per topic.
const PIECES_PER_BATCH: usize = 64;

/// Runs `work(index, piece)` over `pieces` and hands each result to `merge` on this
/// thread, in order, until `work` returns `None`; returns whether every piece worked.
///
/// With more than one CPU and enough pieces, worker threads do the work (parsing and
/// reading, nearly all of the cost of loading a large file) while this thread merges:
/// worker `w` takes pieces `w`, `w + n`, … into a short queue, so memory stays bounded
/// and the order is kept. Stopping early drops the queues, which stops the workers.
fn in_order<'t, R: Send>(
    pieces: &[&'t str],
    work: impl Fn(usize, &'t str) -> Option<R> + Sync,
    mut merge: impl FnMut(R),
) -> bool {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = cpus.min(pieces.len() / PIECES_PER_THREAD).min(8);
    if workers < 2 {
        return pieces
            .iter()
            .enumerate()
            .all(|(i, piece)| work(i, piece).map(&mut merge).is_some());
    }
    let work = &work;
    std::thread::scope(|scope| {
        let queues: Vec<_> = (0..workers)
            .map(|w| {
                let (queue, done) = std::sync::mpsc::sync_channel::<Option<Vec<R>>>(4);
                scope.spawn(move || {
                    let batches = pieces.chunks(PIECES_PER_BATCH).enumerate();
                    for (b, batch) in batches.skip(w).step_by(workers) {
                        let first = b * PIECES_PER_BATCH;
                        let results: Option<Vec<R>> = batch
                            .iter()
                            .enumerate()
                            .map(|(j, piece)| work(first + j, piece))
                            .collect();
                        let failed = results.is_none();
                        if queue.send(results).is_err() || failed {
                            return;
                        }
                    }
                });
                done
            })
            .collect();
        (0..pieces.len().div_ceil(PIECES_PER_BATCH)).all(|b| {
            // Only a panic can end a worker early; the scope then re-raises it, as the
            // same panic would surface on one thread.
            queues[b % workers]
                .recv()
                .ok()
                .flatten()
                .map(|results| results.into_iter().for_each(&mut merge))
                .is_some()
        })
    })
}

/// Byte offsets of the lines that are exactly `[[topic]]`, optionally followed by
/// whitespace and a comment.
fn topic_header_offsets(text: &str) -> Vec<usize> {
    const HEADER: &str = "[[topic]]";
    // A vectorised substring search: this runs on one thread before any worker can start.
    memchr::memmem::find_iter(text.as_bytes(), HEADER)
        .filter(|&at| {
            let line_start = at == 0 || text.as_bytes()[at - 1] == b'\n';
            let after = &text[at + HEADER.len()..];
            let rest = after[..after.find('\n').unwrap_or(after.len())]
                .trim_start_matches([' ', '\t', '\r']);
            line_start && (rest.is_empty() || rest.starts_with('#'))
        })
        .collect()
}

/// Twelve hex digits of a 64-bit FNV-1a hash of the text, taken eight bytes at a time
/// (little-endian, the last word zero-padded, then the length): stable across builds and
/// platforms, fast on a large file, and short enough to quote in a chat answer.
fn version(text: &str) -> String {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let mut words = text.as_bytes().chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        hash = (hash ^ word).wrapping_mul(PRIME);
    }
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    hash = (hash ^ u64::from_le_bytes(last)).wrapping_mul(PRIME);
    hash = (hash ^ text.len() as u64).wrapping_mul(PRIME);
    format!("{hash:016x}")[..12].to_owned()
}

/// toml's messages are single sentences, but make sure: one problem, one line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What one `[[topic]]` says on its own: the topic (`None` where it has problems), how
/// to refer to it, and the names to check against every other topic's.
struct TopicRead {
    topic: Option<Topic>,
    label: String,
    names: Vec<WrittenName>,
}

/// A slug or alias as written.
struct WrittenName {
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
struct NameRegistry {
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
    fn add_topic(&mut self, p: &mut Problems, label: String, names: &[WrittenName]) {
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
    fn into_map(self) -> FxHashMap<String, usize> {
        let mut names = self.names;
        for first in names.values_mut() {
            *first = self.firsts[*first].0;
        }
        names
    }
}

fn read_topic(t: &Fields, p: &mut Problems) -> TopicRead {
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
fn id_field(
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
    let mut seen: Vec<(String, Span)> = Vec::new();
    t.tables(p, "allegation", "[[topic.allegation]]", "allegation", ALLEGATION_FIELDS)
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
            match matcher::check_term(raw) {
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
    use crate::fixtures::{EXAMPLE_KNOWLEDGE as EXAMPLE, example_knowledge};

    /// A small valid file; tests break one thing in it at a time.
    const GOOD: &str = r#"[[topic]]
slug = "harbour-strike"
title = "Harbour strike"
aliases = ["docks", "Port Strike"]
summary = "Dock workers walked out."
updated = 2025-02-01
review_every = "6 months"

  [[topic.source]]
  id = "gazette"
  outlet = "Harbour Gazette"
  title = "Dock workers walk out"
  url = "https://gazette.example/strike"
  date = 2025-02-01

  [[topic.fact]]
  text = "Dock workers walked out on 1 February."
  sources = ["gazette"]

  [[topic.allegation]]
  id = "owner-lockout"
  claim = "The port owner locked the workers out."
  made_by = { name = "Ada Quay", role = "the dockers' union leader" }
  source = "gazette"
  status = "disputed"
  match_all = [["owner*", "management"], ["lock out", "locked out", "lockout"]]
  attributed = "The union leader, Ada Quay, said the owner locked workers out; the owner disputes it."

[[topic]]
slug = "ferry-fares"
title = "Ferry fares"
summary = "Fares rose in spring."
updated = 2025-03-01
"#;

    fn load(text: &str) -> KnowledgeBase {
        KnowledgeBase::parse("k.toml", text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Every problem in `text`, one `k.toml:line:column: message` per entry.
    fn problems(text: &str) -> Vec<String> {
        match KnowledgeBase::parse("k.toml", text) {
            Ok(_) => panic!("expected problems in:\n{text}"),
            Err(e) => e.0.iter().map(ToString::to_string).collect(),
        }
    }

    /// `GOOD` with `from` (which must occur exactly once) replaced by `to`.
    fn good_with(from: &str, to: &str) -> String {
        assert_eq!(GOOD.matches(from).count(), 1, "{from:?} should occur once");
        GOOD.replace(from, to)
    }

    #[test]
    fn example_file_loads_with_the_bulgaria_topic_first() {
        let kb = example_knowledge();
        assert!(kb.topics().len() >= 6);
        let first = &kb.topics()[0];
        assert_eq!(first.slug, "bulgaria-schengen");
        let ids: Vec<&str> = first.allegations.iter().map(|a| a.id.as_str()).collect();
        for id in [
            "russia-intelligence-smugglers",
            "russia-coaching-deportation",
            "ngos-useful-idiots",
        ] {
            assert!(ids.contains(&id), "missing allegation {id}");
        }
        for a in &first.allegations {
            assert_eq!(a.made_by.name, "Daniel Mitov");
            assert_eq!(first.source(&a.source).unwrap().outlet, "The Times");
        }
    }

    #[test]
    fn example_file_has_stale_and_fresh_topics_on_2026_11_26() {
        let kb = example_knowledge();
        let today = jiff::civil::date(2026, 11, 26);
        let stale: Vec<&str> = kb
            .topics()
            .iter()
            .filter(|t| t.is_stale(today))
            .map(|t| t.slug.as_str())
            .collect();
        assert!(!stale.is_empty());
        assert!(stale.len() < kb.topics().len());
        assert!(!stale.contains(&"bulgaria-schengen"));
    }

    #[test]
    fn good_file_keeps_every_field() {
        let kb = load(GOOD);
        let topic = &kb.topics()[0];
        assert_eq!(topic.aliases, ["docks", "Port Strike"]);
        assert_eq!(topic.updated, jiff::civil::date(2025, 2, 1));
        assert_eq!(topic.review_due(), Some(jiff::civil::date(2025, 8, 1)));
        assert_eq!(topic.sources[0].url, "https://gazette.example/strike");
        assert_eq!(topic.facts[0].sources, ["gazette"]);
        let allegation = &topic.allegations[0];
        assert_eq!(allegation.status, AllegationStatus::Disputed);
        assert_eq!(allegation.made_by.role, "the dockers' union leader");
        assert_eq!(
            allegation.match_all[1],
            ["lock out", "locked out", "lockout"]
        );
        assert!(kb.topics()[1].review_every.is_none());
    }

    #[test]
    fn version_is_twelve_hex_digits_that_follow_the_text() {
        let a = load(GOOD);
        let b = load(&format!("{GOOD}# edited\n"));
        assert_eq!(a.version().len(), 12);
        assert!(a.version().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a.version(), load(GOOD).version());
        assert_ne!(a.version(), b.version());
    }

    #[test]
    fn empty_file_is_an_empty_knowledge_base() {
        assert!(load("").topics().is_empty());
        assert!(load("# nothing yet\n").topics().is_empty());
    }

    #[test]
    fn syntax_error_becomes_one_line_with_its_position() {
        let text = good_with("title = \"Ferry fares\"", "title = \"Ferry fares");
        assert_eq!(
            problems(&text),
            ["k.toml:31:21: invalid basic string, expected `\"`"]
        );
    }

    #[test]
    fn missing_required_field_points_at_its_table() {
        let text = good_with("title = \"Harbour strike\"\n", "");
        assert_eq!(
            problems(&text),
            ["k.toml:1:1: topic is missing required field \"title\"; add title = \"...\""]
        );
    }

    #[test]
    fn unknown_field_suggests_the_closest_known_one() {
        let text = good_with("  sources = [\"gazette\"]", "  sorces = [\"gazette\"]");
        assert_eq!(
            problems(&text),
            [
                "k.toml:16:3: fact is missing required field \"sources\"; add sources = [\"...\"]",
                "k.toml:18:3: unknown field \"sorces\" in fact; did you mean \"sources\"?",
            ]
        );
    }

    #[test]
    fn empty_string_is_reported() {
        let text = good_with("title = \"Harbour strike\"", "title = \"  \"");
        assert_eq!(
            problems(&text),
            ["k.toml:3:9: \"title\" in topic is empty; write a value or remove the line"]
        );
    }

    #[test]
    fn slug_must_be_lowercase_kebab() {
        let text = good_with("slug = \"ferry-fares\"", "slug = \"Ferry Fares\"");
        assert_eq!(
            problems(&text),
            [
                "k.toml:30:8: slug \"Ferry Fares\" must be lowercase-kebab (a-z, 0-9 and single hyphens), e.g. \"ferry-fares\""
            ]
        );
    }

    #[test]
    fn duplicate_slug_reports_the_second_one() {
        let text = good_with("slug = \"ferry-fares\"", "slug = \"harbour-strike\"");
        assert_eq!(
            problems(&text),
            [
                "k.toml:30:8: slug \"harbour-strike\" is already a name of topic \"harbour-strike\" (line 2); slugs and aliases must be unique across topics, ignoring case"
            ]
        );
    }

    #[test]
    fn alias_colliding_with_another_topics_alias_ignores_case_and_spacing() {
        let text = good_with(
            "title = \"Ferry fares\"",
            "title = \"Ferry fares\"\naliases = [\"PORT-strike\"]",
        );
        assert_eq!(
            problems(&text),
            [
                "k.toml:32:12: alias \"PORT-strike\" is already a name of topic \"harbour-strike\" (line 4); slugs and aliases must be unique across topics, ignoring case"
            ]
        );
    }

    #[test]
    fn duplicate_source_id_reports_where_the_first_is() {
        let text = good_with(
            "  [[topic.fact]]",
            "  [[topic.source]]\n  id = \"gazette\"\n  outlet = \"O\"\n  title = \"T\"\n  url = \"https://o.example/\"\n  date = 2025-02-02\n  [[topic.fact]]",
        );
        assert_eq!(
            problems(&text),
            [
                "k.toml:17:8: duplicate source id \"gazette\" in this topic (first on line 10); give each its own id"
            ]
        );
    }

    #[test]
    fn duplicate_allegation_id_is_reported() {
        let allegation = &GOOD[GOOD.find("  [[topic.allegation]]").unwrap()
            ..GOOD.find("\n[[topic]]\nslug = \"ferry").unwrap()];
        let text = good_with(allegation, &format!("{allegation}\n{allegation}"));
        assert_eq!(
            problems(&text),
            [
                "k.toml:30:8: duplicate allegation id \"owner-lockout\" in this topic (first on line 21); give each its own id"
            ]
        );
    }

    #[test]
    fn fact_citing_unknown_source_reports_its_line() {
        let text = good_with(
            "sources = [\"gazette\"]",
            "sources = [\"gazette\", \"gazete\"]",
        );
        assert_eq!(
            problems(&text),
            ["k.toml:18:25: fact cites unknown source \"gazete\" (known: gazette)"]
        );
    }

    #[test]
    fn allegation_citing_unknown_source_is_reported() {
        let text = good_with("  source = \"gazette\"", "  source = \"herald\"");
        assert_eq!(
            problems(&text),
            ["k.toml:24:12: allegation cites unknown source \"herald\" (known: gazette)"]
        );
    }

    #[test]
    fn invalid_dates_are_reported() {
        let text = good_with("date = 2025-02-01", "date = \"2025-02-30\"");
        assert_eq!(
            problems(&text),
            [
                "k.toml:14:10: \"date\" in source is not a valid date; write it as YYYY-MM-DD, like 2025-03-31"
            ]
        );
        let text = good_with("updated = 2025-03-01", "updated = 2025-03-01T09:30:00Z");
        assert_eq!(
            problems(&text),
            [
                "k.toml:33:11: \"updated\" in topic must be a plain date like 2025-03-31, without a time"
            ]
        );
        let text = good_with("updated = 2025-03-01", "updated = 2025-02-29");
        assert_eq!(problems(&text).len(), 1);
    }

    #[test]
    fn invalid_review_period_is_reported() {
        for (period, problem) in [
            ("6 monts", "is not a period"),
            ("0 days", "must be longer than zero"),
            ("36 hours", "must be whole days or longer"),
        ] {
            let text = good_with("\"6 months\"", &format!("\"{period}\""));
            assert_eq!(
                problems(&text),
                [format!(
                    "k.toml:7:16: review_every \"{period}\" {problem}; write a period like \"6 months\", \"1 year\" or \"90 days\""
                )]
            );
        }
    }

    #[test]
    fn url_must_be_http_or_https_with_a_host() {
        let text = good_with(
            "https://gazette.example/strike",
            "ftp://gazette.example/strike",
        );
        assert_eq!(
            problems(&text),
            [
                "k.toml:13:9: url \"ftp://gazette.example/strike\" must start with https:// or http://"
            ]
        );
        for bad in ["https://", "https://gazette", "https://gaz ette.example/"] {
            let text = good_with("https://gazette.example/strike", bad);
            assert_eq!(problems(&text).len(), 1, "{bad}");
        }
        assert_eq!(url_problem("HTTP://localhost:8080/x"), None);
    }

    #[test]
    fn unknown_status_lists_the_valid_ones() {
        let text = good_with("status = \"disputed\"", "status = \"alleged\"");
        assert_eq!(
            problems(&text),
            [
                "k.toml:25:12: unknown status \"alleged\"; use one of unproven, denied, disputed, confirmed, retracted"
            ]
        );
    }

    #[test]
    fn bad_match_terms_are_each_reported() {
        let text = good_with(
            "match_all = [[\"owner*\", \"management\"], [\"lock out\", \"locked out\", \"lockout\"]]",
            "match_all = [[\"owner*\", \"\"], [], [\"lock* out\", \"lock-out!\", \"lo*\"]]",
        );
        assert_eq!(
            problems(&text),
            [
                "k.toml:26:27: empty match term; write a word or phrase, or remove it",
                "k.toml:26:32: empty match group; add at least one term or remove the group",
                "k.toml:26:37: match term \"lock* out\" has \"*\" before its end; \"*\" may only end a term (smuggl* matches smuggler and smuggling)",
                "k.toml:26:50: match term \"lock-out!\" contains '!'; use letters, digits, single spaces, hyphens and apostrophes",
                "k.toml:26:63: wildcard term \"lo*\" would match too many words; give at least three letters before \"*\"",
            ]
        );
    }

    #[test]
    fn made_by_needs_a_name_and_a_role() {
        let text = good_with(
            "{ name = \"Ada Quay\", role = \"the dockers' union leader\" }",
            "{ name = \"Ada Quay\", rank = 2 }",
        );
        assert_eq!(
            problems(&text),
            [
                "k.toml:23:13: made_by is missing required field \"role\"; add role = \"...\"",
                "k.toml:23:34: unknown field \"rank\" in made_by; known fields: name, role",
            ]
        );
    }

    #[test]
    fn every_problem_is_reported_not_just_the_first() {
        let text = GOOD
            .replace("title = \"Harbour strike\"\n", "")
            .replace("sources = [\"gazette\"]", "sources = [\"gazete\"]")
            .replace("status = \"disputed\"", "status = \"maybe\"")
            .replace("updated = 2025-03-01", "updated = \"yesterday\"");
        assert_eq!(problems(&text).len(), 4);
    }

    #[test]
    fn wrong_types_name_what_was_expected() {
        assert_eq!(
            problems("topic = 3"),
            [
                "k.toml:1:9: \"topic\" in the knowledge file must be an array of tables ([[topic]]), not integer"
            ]
        );
        let text = good_with(
            "aliases = [\"docks\", \"Port Strike\"]",
            "aliases = \"docks\"",
        );
        assert_eq!(
            problems(&text),
            ["k.toml:4:11: \"aliases\" in topic must be an array of strings, not string"]
        );
    }

    #[test]
    fn topic_headers_are_found_only_as_whole_lines() {
        let text = "[[topic]]\nslug = \"a\"\n\
                    [[topic]]   # second\r\n\
                    x = \"[[topic]]\"\n\
                    \x20 [[topic]]\n\
                    [[topic]]x\n\
                    [[topic.source]]\n\
                    [[topic]]\t\r\n\
                    [[topic]]";
        let starts: Vec<&str> = topic_header_offsets(text)
            .into_iter()
            .map(|at| text[at..].lines().next().unwrap_or(""))
            .collect();
        assert_eq!(
            starts,
            [
                "[[topic]]",
                "[[topic]]   # second",
                "[[topic]]\t",
                "[[topic]]"
            ]
        );
    }

    #[test]
    fn header_line_inside_a_multiline_string_is_text_not_a_new_topic() {
        let text = good_with(
            "summary = \"Fares rose in spring.\"",
            "summary = \"\"\"\nFares rose in spring.\n[[topic]]\nslug = \"not-a-topic\"\n\"\"\"",
        );
        let kb = load(&text);
        assert_eq!(kb.topics().len(), 2);
        assert!(kb.topics()[1].summary.contains("[[topic]]"));
    }

    #[test]
    fn table_after_the_topics_is_reported_where_it_is() {
        let text = format!("{GOOD}\n[extra]\nnote = 1\n");
        assert_eq!(
            problems(&text),
            ["k.toml:35:2: unknown field \"extra\" in the knowledge file; known fields: topic"]
        );
    }

    #[test]
    fn problems_in_later_topics_point_at_their_own_lines() {
        let text = format!(
            "{GOOD}\n[[topic]]\nslug = \"docks\"\ntitle = \"\"\nsummary = \"S\"\nupdated = 2025-01-01\n"
        );
        assert_eq!(
            problems(&text),
            [
                "k.toml:36:8: slug \"docks\" is already a name of topic \"harbour-strike\" (line 4); slugs and aliases must be unique across topics, ignoring case",
                "k.toml:37:9: \"title\" in topic is empty; write a value or remove the line",
            ]
        );
    }

    /// Problems as the whole-document parse reports them, the reference for the pieces.
    fn problems_of_whole(text: &str) -> Vec<String> {
        let errors = match read_whole("k.toml", text) {
            Ok(reader) => reader.p.into_errors(),
            Err(errors) => errors,
        };
        errors.0.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_file_read_in_pieces_on_several_threads_reports_what_the_whole_file_does() {
        // Enough topics for two or more parsing threads where there are CPUs for them.
        let topics = PIECES_PER_THREAD * 2 + 50;
        let text = crate::synthetic::knowledge_text(topics);
        let last = crate::synthetic::topic_slug(topics - 1);
        let first = crate::synthetic::topic_slug(0);
        let broken = text
            .replacen(
                &format!("slug = \"{last}\""),
                &format!("slug = \"{first}\""),
                1,
            )
            .replacen("title = \"The ", "title = \"\"\nx = \"The ", 1);
        let found = problems(&broken);
        assert_eq!(found.len(), 3, "{found:#?}");
        assert_eq!(found, problems_of_whole(&broken));
        assert!(KnowledgeBase::parse("k.toml", &text).is_ok());

        // A syntax error late in the file falls back to the whole-file parse.
        let garbled = format!("{text}[[topic]]\nslug = \"unterminated\n");
        let found = problems(&garbled);
        assert_eq!(found, problems_of_whole(&garbled));
        assert!(
            found[0].starts_with(&format!("k.toml:{}:", garbled.lines().count())),
            "{found:?}"
        );
    }

    /// A small deterministic pseudo-random sequence (xorshift), so failures reproduce.
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn truncated_or_garbled_files_never_panic() {
        let mut exercised = 0;
        let mut check = |text: &str| {
            if let Ok(kb) = KnowledgeBase::parse("k.toml", text) {
                let _ = kb.lookup("bulgaria schengn");
                let _ = kb.restated_allegations("russia's spies help smugglers");
            }
            exercised += 1;
        };
        for (i, _) in EXAMPLE.char_indices().step_by(97) {
            check(&EXAMPLE[..i]);
        }
        let noise = [
            "[",
            "]",
            "=",
            "\"",
            "{",
            "}",
            ",",
            "*",
            "\n",
            "#",
            "'",
            "é",
            "💥",
            "\u{201c}",
            "[[topic]]",
            "",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..1500 {
            let mut text = EXAMPLE.to_owned();
            for _ in 0..3 {
                let mut at = (xorshift(&mut state) % text.len() as u64) as usize;
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let end = (at + (xorshift(&mut state) % 4) as usize).min(text.len());
                let end = (end..=text.len())
                    .find(|&e| text.is_char_boundary(e))
                    .unwrap_or(text.len());
                let with = noise[(xorshift(&mut state) % noise.len() as u64) as usize];
                text.replace_range(at..end, with);
            }
            check(&text);
        }
        assert!(exercised > 1500);
    }
}
