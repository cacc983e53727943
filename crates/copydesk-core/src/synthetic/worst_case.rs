//! Message shapes a checker must stay linear on, built at any size.

use super::MessageKind;

/// A hostile or unlucky message shape, built at any size: the cases a checker must stay
/// linear on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorstCase {
    /// Chat messages run together into one.
    ChatRunTogether,
    /// One cue word over and over.
    Repeated(&'static str),
    /// A claim inside many “curly quotes”.
    NestedCurlyQuotes,
    /// A claim inside many "straight quotes".
    NestedStraightQuotes,
    /// Four lines of deeply nested `>` reply quotes.
    NestedReplyQuotes,
    /// A claim inside many layers of markdown.
    NestedMarkdown,
}

impl WorstCase {
    /// Every case, with the cue words that exercise the vague-source ("allegedly",
    /// "critics say"), reporting-verb ("said") and allegation ("bribed") rules.
    pub const ALL: [WorstCase; 9] = [
        WorstCase::ChatRunTogether,
        WorstCase::Repeated("allegedly"),
        WorstCase::Repeated("critics say"),
        WorstCase::Repeated("said"),
        WorstCase::Repeated("bribed"),
        WorstCase::NestedCurlyQuotes,
        WorstCase::NestedStraightQuotes,
        WorstCase::NestedReplyQuotes,
        WorstCase::NestedMarkdown,
    ];

    /// A short name for reports.
    pub fn label(&self) -> String {
        match self {
            WorstCase::ChatRunTogether => "chat messages run together".into(),
            WorstCase::Repeated(words) => format!("'{words} ' repeated"),
            WorstCase::NestedCurlyQuotes => "nested \u{201c}quotes\u{201d} around a claim".into(),
            WorstCase::NestedStraightQuotes => "nested \"quotes\" around a claim".into(),
            WorstCase::NestedReplyQuotes => "nested > reply quotes, 4 lines".into(),
            WorstCase::NestedMarkdown => "nested **_~~`[markdown]`~~_**".into(),
        }
    }

    /// A name for benchmark ids and command lines: lowercase, hyphens, no spaces.
    pub fn slug(&self) -> String {
        match self {
            WorstCase::ChatRunTogether => "chat-run-together".into(),
            WorstCase::Repeated(words) => format!("{}-repeated", words.replace(' ', "-")),
            WorstCase::NestedCurlyQuotes => "nested-curly-quotes".into(),
            WorstCase::NestedStraightQuotes => "nested-straight-quotes".into(),
            WorstCase::NestedReplyQuotes => "nested-reply-quotes".into(),
            WorstCase::NestedMarkdown => "nested-markdown".into(),
        }
    }

    /// The message at about `bytes` bytes; `chat` supplies the messages
    /// [`ChatRunTogether`](WorstCase::ChatRunTogether) runs together (e.g. from
    /// [`chat_messages`](super::chat_messages)).
    pub fn message(&self, bytes: usize, chat: &[(MessageKind, String)]) -> String {
        match *self {
            WorstCase::ChatRunTogether => {
                let mut m = String::with_capacity(bytes + 400);
                for (_, c) in chat.iter().cycle() {
                    if m.len() >= bytes {
                        break;
                    }
                    m.push_str(c);
                    m.push(' ');
                }
                m
            }
            WorstCase::Repeated(words) => format!("{words} ").repeat(bytes / (words.len() + 1)),
            WorstCase::NestedCurlyQuotes => {
                let n = bytes / 6;
                format!("{}he lied{}", "\u{201c}".repeat(n), "\u{201d}".repeat(n))
            }
            WorstCase::NestedStraightQuotes => {
                let n = bytes / 4;
                format!("{}he lied{}", "\" ".repeat(n), " \"".repeat(n))
            }
            WorstCase::NestedReplyQuotes => {
                format!("{}the minister lied\n", "> ".repeat(bytes / 8)).repeat(4)
            }
            WorstCase::NestedMarkdown => {
                let n = bytes / 14;
                format!(
                    "{}the minister lied{}",
                    "**_~~`[".repeat(n),
                    "]`~~_**".repeat(n)
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::chat_messages;

    #[test]
    fn worst_cases_come_out_near_the_asked_size() {
        let chat = chat_messages(50, 10, 7);
        for case in WorstCase::ALL {
            let message = case.message(10_000, &chat);
            assert!(
                (9_000..=12_000).contains(&message.len()),
                "{}: {} bytes",
                case.label(),
                message.len()
            );
        }
        assert_eq!(
            WorstCase::Repeated("said").message(20, &chat),
            "said said said said "
        );
    }
}
