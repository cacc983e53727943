//! Structured replies, rendered by connectors as plain text, HTML or Slack blocks.
//!
//! Commands never build strings for a particular platform: they return a `Reply`, a small
//! document of blocks and inline spans. Text inside a `Reply` is always plain text; the HTML
//! and Slack renderers ([`slack`]) escape every piece of it, so user input can never inject
//! markup, mentions or links.

pub mod slack;

use std::fmt::Write as _;

pub use slack::{SlackMessage, escape_mrkdwn};

/// A reply document: a sequence of blocks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A title line.
    Heading(Vec<Inline>),
    Paragraph(Vec<Inline>),
    /// A bulleted list; each item is a line of inline spans.
    List(Vec<Vec<Inline>>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Strong(String),
    Emphasis(String),
    /// A verbatim fragment such as a command name or a suggested phrasing.
    Code(String),
    Link {
        text: String,
        url: String,
    },
}

impl Inline {
    pub fn text(s: impl Into<String>) -> Inline {
        Inline::Text(s.into())
    }
    pub fn strong(s: impl Into<String>) -> Inline {
        Inline::Strong(s.into())
    }
    pub fn emphasis(s: impl Into<String>) -> Inline {
        Inline::Emphasis(s.into())
    }
    pub fn code(s: impl Into<String>) -> Inline {
        Inline::Code(s.into())
    }
    pub fn link(text: impl Into<String>, url: impl Into<String>) -> Inline {
        Inline::Link {
            text: text.into(),
            url: url.into(),
        }
    }
}

impl Reply {
    pub fn new() -> Reply {
        Reply::default()
    }

    pub fn heading(mut self, line: Vec<Inline>) -> Reply {
        self.blocks.push(Block::Heading(line));
        self
    }

    pub fn paragraph(mut self, line: Vec<Inline>) -> Reply {
        self.blocks.push(Block::Paragraph(line));
        self
    }

    /// Appends a list; an empty list is left out so replies never show a bare heading
    /// over nothing.
    pub fn list(mut self, items: Vec<Vec<Inline>>) -> Reply {
        if !items.is_empty() {
            self.blocks.push(Block::List(items));
        }
        self
    }

    /// Plain text for terminals and for Matrix's `body`.
    pub fn to_plain(&self) -> String {
        let mut out = String::new();
        for (i, block) in self.blocks.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            match block {
                Block::Heading(line) | Block::Paragraph(line) => {
                    plain_line(&mut out, line);
                    out.push('\n');
                }
                Block::List(items) => {
                    for item in items {
                        out.push_str("• ");
                        plain_line(&mut out, item);
                        out.push('\n');
                    }
                }
            }
        }
        let trimmed = out.trim_end_matches('\n').len();
        out.truncate(trimmed);
        out
    }

    /// HTML for Matrix's `formatted_body` (the subset Matrix clients allow).
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        for block in &self.blocks {
            match block {
                Block::Heading(line) => {
                    out.push_str("<p><strong>");
                    html_line(&mut out, line);
                    out.push_str("</strong></p>");
                }
                Block::Paragraph(line) => {
                    out.push_str("<p>");
                    html_line(&mut out, line);
                    out.push_str("</p>");
                }
                Block::List(items) => {
                    out.push_str("<ul>");
                    for item in items {
                        out.push_str("<li>");
                        html_line(&mut out, item);
                        out.push_str("</li>");
                    }
                    out.push_str("</ul>");
                }
            }
        }
        out
    }
}

fn plain_line(out: &mut String, line: &[Inline]) {
    for inline in line {
        match inline {
            Inline::Text(s) | Inline::Strong(s) | Inline::Emphasis(s) => out.push_str(s),
            Inline::Code(s) => {
                let _ = write!(out, "`{s}`");
            }
            Inline::Link { text, url } if text == url => out.push_str(url),
            Inline::Link { text, url } => {
                let _ = write!(out, "{text} <{url}>");
            }
        }
    }
}

fn html_line(out: &mut String, line: &[Inline]) {
    for inline in line {
        match inline {
            Inline::Text(s) => escape_into(out, s),
            Inline::Strong(s) => wrap(out, "strong", s),
            Inline::Emphasis(s) => wrap(out, "em", s),
            Inline::Code(s) => wrap(out, "code", s),
            Inline::Link { text, url } => {
                out.push_str("<a href=\"");
                escape_into(out, url);
                out.push_str("\">");
                escape_into(out, text);
                out.push_str("</a>");
            }
        }
    }
}

fn wrap(out: &mut String, tag: &str, text: &str) {
    let _ = write!(out, "<{tag}>");
    escape_into(out, text);
    let _ = write!(out, "</{tag}>");
}

/// Escapes text for both element content and double-quoted attribute values.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Reply {
        Reply::new()
            .heading(vec![Inline::text("Title")])
            .paragraph(vec![Inline::text("see "), Inline::code("!help")])
            .list(vec![
                vec![Inline::link("The Times", "https://www.thetimes.com/")],
                vec![Inline::text("plain")],
            ])
    }

    #[test]
    fn plain_rendering_has_bullets_and_visible_links() {
        assert_eq!(
            sample().to_plain(),
            "Title\n\nsee `!help`\n\n• The Times <https://www.thetimes.com/>\n• plain"
        );
    }

    #[test]
    fn html_rendering_uses_matrix_safe_tags() {
        assert_eq!(
            sample().to_html(),
            "<p><strong>Title</strong></p><p>see <code>!help</code></p>\
             <ul><li><a href=\"https://www.thetimes.com/\">The Times</a></li><li>plain</li></ul>"
        );
    }

    #[test]
    fn user_text_is_escaped_in_html() {
        let reply = Reply::new().paragraph(vec![
            Inline::text("<script>alert('x')</script> & co"),
            Inline::link("a\"b", "https://x.test/?a=1&b=\"2\""),
        ]);
        let html = reply.to_html();
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
        assert!(html.contains("href=\"https://x.test/?a=1&amp;b=&quot;2&quot;\""));
    }

    #[test]
    fn empty_lists_are_left_out() {
        let reply = Reply::new().heading(vec![Inline::text("x")]).list(vec![]);
        assert_eq!(reply.blocks.len(), 1);
    }
}
