//! Rendering a [`Reply`] for Slack: mrkdwn `section` blocks plus a plain fallback `text`.
//!
//! The result is plain JSON (`serde_json::Value`), so the core knows no Slack client types;
//! the Slack connector only wraps it into its own. Every piece of text from users or the
//! knowledge file goes through [`escape_mrkdwn`], which turns `&`, `<` and `>` into
//! entities. That alone keeps `<!here>`, `<!channel>`, `<@U…>`, `<#C…>` and fake
//! `<url|label>` links in user text from becoming control sequences: the only `<…>` this
//! renderer emits are links it builds itself from `http(s)` URLs. The blocks' text objects
//! also set `verbatim`, so Slack does not auto-link channel names or parse mentions.
//!
//! Slack's limits are kept here rather than discovered as API errors: a section's text is at
//! most [`TEXT_LIMIT`] characters, a message has at most [`BLOCK_LIMIT`] blocks, and the
//! fallback text is at most [`TEXT_LIMIT`] characters. Text that does not fit is cut at a
//! grapheme boundary (never inside an entity, a link or a styling pair) and ends with `…`.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};
use unicode_segmentation::UnicodeSegmentation;

use super::{Block, Inline, Reply};

/// The most characters Slack accepts in a section's mrkdwn text; also the length this
/// renderer allows the fallback `text`.
pub const TEXT_LIMIT: usize = 3000;

/// The most blocks Slack accepts in one message.
pub const BLOCK_LIMIT: usize = 50;

/// Marks text that was cut to fit a limit.
const ELLIPSIS: char = '…';

/// A reply rendered for Slack's `chat.postMessage` (or an ephemeral / slash-command
/// response): `text` is the fallback that notifications, screen readers and old clients
/// show; `blocks` are Block Kit blocks as JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlackMessage {
    /// [`Reply::to_plain`] escaped for mrkdwn, cut to [`TEXT_LIMIT`] characters.
    pub text: String,
    /// At most [`BLOCK_LIMIT`] `section` blocks with mrkdwn text of at most [`TEXT_LIMIT`]
    /// characters each.
    pub blocks: Vec<Value>,
}

impl Reply {
    /// The reply as a Slack message: one mrkdwn `section` per heading or paragraph, lists
    /// packed into as few sections as fit, and the escaped plain text as the fallback.
    pub fn to_slack(&self) -> SlackMessage {
        let mut sections = Vec::new();
        for block in &self.blocks {
            match block {
                Block::Heading(line) => sections.push(heading(line)),
                Block::Paragraph(line) => sections.push(render_line(line, PARAGRAPH, TEXT_LIMIT)),
                Block::List(items) => pack_list(&mut sections, items),
            }
        }
        // Slack rejects a section whose text is empty.
        sections.retain(|text| !text.trim().is_empty());
        if sections.len() > BLOCK_LIMIT {
            let shown = BLOCK_LIMIT - 1;
            let more = sections.len() - shown;
            sections.truncate(shown);
            sections.push(format!("{ELLIPSIS}and {more} more"));
        }
        SlackMessage {
            text: escape_cut(&self.to_plain(), TEXT_LIMIT, false),
            blocks: sections.into_iter().map(section).collect(),
        }
    }
}

/// Escapes text for Slack mrkdwn: `&` → `&amp;`, `<` → `&lt;`, `>` → `&gt;`, and nothing
/// else (Slack decodes only these three).
pub fn escape_mrkdwn(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text, false);
    out
}

/// A `section` block with verbatim mrkdwn text.
fn section(text: String) -> Value {
    json!({
        "type": "section",
        "text": { "type": "mrkdwn", "text": text, "verbatim": true },
    })
}

/// How a line is rendered.
#[derive(Debug, Clone, Copy)]
struct LineStyle {
    /// Newlines become spaces (a heading or a list item is one line).
    flat: bool,
    /// The whole line is bold already, so `Strong` spans are plain text.
    in_bold: bool,
}

const PARAGRAPH: LineStyle = LineStyle {
    flat: false,
    in_bold: false,
};
const HEADING: LineStyle = LineStyle {
    flat: true,
    in_bold: true,
};
const ITEM: LineStyle = LineStyle {
    flat: true,
    in_bold: false,
};

/// A heading as a bold line, `*{line}*`. If the heading shows a `*` of its own, bold
/// markers around it could pair with it, so it stays plain.
fn heading(line: &[Inline]) -> String {
    let bold = !line
        .iter()
        .any(|inline| Piece::of(inline, HEADING).shows('*'));
    if !bold {
        return render_line(line, HEADING, TEXT_LIMIT).trim().to_owned();
    }
    let text = render_line(line, HEADING, TEXT_LIMIT - 2);
    let text = text.trim();
    if text.is_empty() {
        String::new()
    } else {
        format!("*{text}*")
    }
}

/// Appends a list as `• item` lines, packed into sections of at most [`TEXT_LIMIT`] chars.
fn pack_list(sections: &mut Vec<String>, items: &[Vec<Inline>]) {
    const BULLET: &str = "• ";
    let mut current = String::new();
    let mut current_len = 0;
    for item in items {
        let line = render_line(item, ITEM, TEXT_LIMIT - BULLET.chars().count());
        let line_len = BULLET.chars().count() + line.chars().count();
        if current_len > 0 && current_len + 1 + line_len > TEXT_LIMIT {
            sections.push(std::mem::take(&mut current));
            current_len = 0;
        }
        if current_len > 0 {
            current.push('\n');
            current_len += 1;
        }
        current.push_str(BULLET);
        current.push_str(&line);
        current_len += line_len;
    }
    if current_len > 0 {
        sections.push(current);
    }
}

/// Renders a line of spans in at most `budget` chars. A line too long keeps its first spans
/// whole and cuts the first one that does not fit, ending with `…`.
fn render_line(line: &[Inline], style: LineStyle, budget: usize) -> String {
    let pieces: Vec<Piece> = line.iter().map(|inline| Piece::of(inline, style)).collect();
    let whole: Vec<String> = pieces.iter().map(|piece| piece.render(style)).collect();
    if whole.iter().map(|s| s.chars().count()).sum::<usize>() <= budget {
        return whole.concat();
    }
    let mut out = String::new();
    let mut len = 0;
    for (piece, rendered) in pieces.iter().zip(&whole) {
        // Whole pieces leave room for the ellipsis, so `len < budget` holds here.
        let rendered_len = rendered.chars().count();
        if len + rendered_len < budget {
            out.push_str(rendered);
            len += rendered_len;
        } else {
            out.push_str(&piece.cut(budget - len, style));
            return out;
        }
    }
    out
}

/// One span, decided: how it is shown, before any cutting.
#[derive(Debug)]
enum Piece<'a> {
    /// Escaped text.
    Text(Cow<'a, str>),
    /// `lead` + `delim` + escaped `core` + `delim` + `trail`: styling markers hug the text,
    /// with the span's outer whitespace outside them, or Slack would not style it.
    Styled {
        lead: &'a str,
        core: &'a str,
        trail: &'a str,
        delim: char,
    },
    /// `<url|text>` (or `<url>` when there is no text), `url` already encoded.
    Link { url: String, text: &'a str },
}

impl<'a> Piece<'a> {
    fn of(inline: &'a Inline, style: LineStyle) -> Piece<'a> {
        match inline {
            Inline::Text(s) => Piece::Text(Cow::Borrowed(s)),
            Inline::Strong(s) if style.in_bold => Piece::Text(Cow::Borrowed(s)),
            Inline::Strong(s) => Piece::styled(s, '*'),
            Inline::Emphasis(s) => Piece::styled(s, '_'),
            Inline::Code(s) => Piece::styled(s, '`'),
            Inline::Link { text, url } if is_web_url(url) => Piece::Link {
                url: encode_url(url),
                text,
            },
            Inline::Link { text, url } if text.trim().is_empty() || text == url => {
                Piece::Text(Cow::Borrowed(url))
            }
            Inline::Link { text, url } => Piece::Text(Cow::Owned(format!("{text} ({url})"))),
        }
    }

    /// A styled span, or plain text when styling could break: the text holds its own
    /// delimiter or a newline, or is only whitespace.
    fn styled(text: &'a str, delim: char) -> Piece<'a> {
        let core = text.trim();
        if core.is_empty() || text.contains([delim, '\n', '\r']) {
            return Piece::Text(Cow::Borrowed(text));
        }
        let start = text.len() - text.trim_start().len();
        let end = start + core.len();
        Piece::Styled {
            lead: &text[..start],
            core,
            trail: &text[end..],
            delim,
        }
    }

    /// Whether the text a reader sees contains `c`.
    fn shows(&self, c: char) -> bool {
        match self {
            Piece::Text(s) => s.contains(c),
            Piece::Styled { core, .. } => core.contains(c),
            Piece::Link { text, .. } => text.contains(c),
        }
    }

    fn render(&self, style: LineStyle) -> String {
        let mut out = String::new();
        match self {
            Piece::Text(s) => push_escaped(&mut out, s, style.flat),
            Piece::Styled {
                lead,
                core,
                trail,
                delim,
            } => {
                out.push_str(lead);
                out.push(*delim);
                push_escaped(&mut out, core, style.flat);
                out.push(*delim);
                out.push_str(trail);
            }
            Piece::Link { url, text } => {
                out.push('<');
                out.push_str(url);
                if !text.trim().is_empty() {
                    out.push('|');
                    push_escaped(&mut out, text, true);
                }
                out.push('>');
            }
        }
        out
    }

    /// The piece cut to at most `budget` chars (at least 1), ending with `…`. Styling
    /// markers and link brackets stay paired; a link too long for its url drops to text.
    fn cut(&self, budget: usize, style: LineStyle) -> String {
        match self {
            Piece::Text(s) => escape_cut(s, budget, style.flat),
            Piece::Styled {
                lead, core, delim, ..
            } => {
                let lead_len = lead.chars().count();
                if budget < lead_len + 3 {
                    return ELLIPSIS.to_string();
                }
                let core = escape_cut(core, budget - lead_len - 2, style.flat);
                format!("{lead}{delim}{core}{delim}")
            }
            Piece::Link { url, text } => {
                let url_len = url.chars().count();
                if budget < url_len + 4 {
                    return escape_cut(text, budget, true);
                }
                let text = escape_cut(text, budget - url_len - 3, true);
                format!("<{url}|{text}>")
            }
        }
    }
}

/// Appends `text` escaped for mrkdwn; with `flat`, line breaks become spaces.
fn push_escaped(out: &mut String, text: &str, flat: bool) {
    let mut after_cr = false;
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // A CRLF becomes one space, like a lone LF or CR.
            '\n' if flat && after_cr => {}
            '\n' | '\r' if flat => out.push(' '),
            c => out.push(c),
        }
        after_cr = c == '\r';
    }
}

/// `text` escaped, in at most `budget` chars: if the escaped text is longer, it is cut at
/// a grapheme boundary, so no entity, character or cluster is split, and ends with `…`.
fn escape_cut(text: &str, budget: usize, flat: bool) -> String {
    let whole = {
        let mut out = String::with_capacity(text.len());
        push_escaped(&mut out, text, flat);
        out
    };
    if whole.chars().count() <= budget {
        return whole;
    }
    let mut out = String::new();
    let mut len = 0;
    let mut escaped = String::new();
    for grapheme in text.graphemes(true) {
        escaped.clear();
        push_escaped(&mut escaped, grapheme, flat);
        let grapheme_len = escaped.chars().count();
        if len + grapheme_len + 1 > budget {
            break;
        }
        out.push_str(&escaped);
        len += grapheme_len;
    }
    if budget > 0 {
        out.push(ELLIPSIS);
    }
    out
}

/// Whether Slack may be given `url` as a link: `http://` or `https://` and a host.
fn is_web_url(url: &str) -> bool {
    ["http://", "https://"].iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
            && url.len() > scheme.len()
    })
}

/// `url` made safe inside `<…|…>`: `&` becomes `&amp;`; `<`, `>`, `|`, whitespace and
/// control characters are percent-encoded, so the url can neither end the link early nor
/// start a label of its own.
fn encode_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' | '>' | '|' => push_percent_encoded(&mut out, c),
            c if c.is_whitespace() || c.is_control() => push_percent_encoded(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

fn push_percent_encoded(out: &mut String, c: char) {
    let mut bytes = [0; 4];
    for byte in c.encode_utf8(&mut bytes).bytes() {
        let _ = write!(out, "%{byte:02X}");
    }
}

#[cfg(test)]
mod tests;
