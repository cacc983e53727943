//! Reading brat standoff annotation files (`.ann`), the format PolNeAR ships in.

use std::ops::Range;

/// One text-bound annotation (`T` line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub id: String,
    /// `Source`, `Cue`, `Content`, `Attribution`, …
    pub kind: String,
    /// Character (code point) offsets into the article; more than one when discontinuous.
    pub ranges: Vec<Range<usize>>,
}

/// One attribution relation (`E` line): indices into [`Annotations::spans`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Relation {
    pub content: Option<usize>,
    pub cue: Option<usize>,
    pub source: Option<usize>,
}

/// The annotations of one `.ann` file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Annotations {
    pub spans: Vec<Span>,
    pub relations: Vec<Relation>,
}

/// Parses a brat `.ann` file. Lines that cannot be read (brat writes a span's text with
/// its line breaks, so a multi-line span leaves stray lines) are skipped and reported as
/// `line N: problem`; relations pointing at unknown spans lose those roles.
pub fn parse_ann(text: &str) -> (Annotations, Vec<String>) {
    let mut ann = Annotations::default();
    let mut problems = Vec::new();
    let mut relation_lines: Vec<(usize, &str)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut fields = line.split('\t');
        let id = fields.next().unwrap_or("");
        let body = fields.next().unwrap_or("");
        match id.chars().next() {
            Some('T') => match parse_span(id, body) {
                Some(span) => ann.spans.push(span),
                None => problems.push(format!("line {line_no}: unreadable span {body:?}")),
            },
            Some('E') | Some('R') => relation_lines.push((line_no, body)),
            Some('#') | Some('A') | Some('M') | Some('N') => {}
            _ => problems.push(format!("line {line_no}: not an annotation")),
        }
    }
    for (line_no, body) in relation_lines {
        let mut relation = Relation::default();
        for arg in body.split_whitespace() {
            let Some((role, target)) = arg.split_once(':') else {
                continue;
            };
            let index = ann.spans.iter().position(|s| s.id == target);
            let slot = match role {
                "Content" => &mut relation.content,
                "Cue" => &mut relation.cue,
                "Source" => &mut relation.source,
                _ => continue,
            };
            if index.is_none() {
                problems.push(format!("line {line_no}: {role} {target} is not a span"));
            }
            *slot = index;
        }
        ann.relations.push(relation);
    }
    (ann, problems)
}

fn parse_span(id: &str, body: &str) -> Option<Span> {
    let (kind, offsets) = body.split_once(' ')?;
    let mut ranges = Vec::new();
    for piece in offsets.split(';') {
        let mut numbers = piece.split_whitespace().map(|n| n.parse::<usize>());
        let (Some(Ok(start)), Some(Ok(end)), None) =
            (numbers.next(), numbers.next(), numbers.next())
        else {
            return None;
        };
        if start > end {
            return None;
        }
        ranges.push(start..end);
    }
    Some(Span {
        id: id.to_owned(),
        kind: kind.to_owned(),
        ranges,
    })
}
