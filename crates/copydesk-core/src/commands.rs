//! Commands and the one message handler every connector calls.
//!
//! A connector hands `Desk::handle` the text of a message and today's date and gets back an
//! `Outcome`: nothing to do, a command answer, or a checked message with an optional
//! warning. The connector decides where the answer goes (a reply, a thread, the editors'
//! room); the desk decides what it says.

mod answers;
mod table;
mod warning;

use jiff::civil::Date;

use crate::Checker;
use crate::admin::{self, AdminRequest, Caller};
use crate::checker::MessageReport;
use crate::knowledge::KnowledgeBase;
use crate::reply::Reply;

use table::Run;
pub use table::{COMMANDS, Command};
pub use warning::warning_reply;

/// The longest piece of user input echoed back in a reply; longer input is cut with "…".
const ECHO_LIMIT: usize = 80;

/// The bot's brain for one version of the knowledge file and lexicons. Immutable: a reload
/// builds a new `Desk` and swaps it in, so a message being handled finishes on the old one.
#[derive(Debug, Clone)]
pub struct Desk {
    knowledge: KnowledgeBase,
    checker: Checker,
    prefix: String,
}

/// What a connector should do with a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Empty or whitespace-only: nothing to check, nothing to say.
    Ignored,
    /// A command was addressed to the bot; `reply` answers it.
    Answer { command: &'static str, reply: Reply },
    /// An ordinary message was checked. Whether it gets a warning, and which, is for the
    /// caller to decide ([`warning_reply`] renders one): a room may have warned about the
    /// same allegation already, or its editors may have demoted a rule.
    Checked { report: MessageReport },
}

/// What a connector that knows who is asking does with a command line (see
/// [`Desk::command_as`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send this answer, as [`Desk::command`] would: an ordinary answer, a usage line, or
    /// the polite refusal of an admin command for someone who is not an editor.
    Outcome(Outcome),
    /// An editor's admin command, validated: the connector carries it out and answers
    /// with the reply [`admin`] renders for it.
    Admin {
        command: &'static str,
        request: AdminRequest,
    },
}

impl Desk {
    pub fn new(knowledge: KnowledgeBase, checker: Checker, prefix: impl Into<String>) -> Desk {
        Desk {
            knowledge,
            checker,
            prefix: prefix.into(),
        }
    }

    pub fn knowledge(&self) -> &KnowledgeBase {
        &self.knowledge
    }

    pub fn checker(&self) -> &Checker {
        &self.checker
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Handles a message typed in a room: a prefixed command is answered, anything else is
    /// checked for unattributed allegations.
    pub fn handle(&self, message: &str, today: Date) -> Outcome {
        let trimmed = message.trim();
        if trimmed.is_empty() {
            return Outcome::Ignored;
        }
        if let Some(command_line) = self.strip_prefix(trimmed) {
            return self.command(command_line, today);
        }
        Outcome::Checked {
            report: self.checker.check(&self.knowledge, message),
        }
    }

    /// Runs a command line without its prefix (`context bulgaria`), as when the bot is
    /// addressed by a mention instead of the prefix. The caller is taken for someone who
    /// is not an editor: admin commands get the polite refusal.
    pub fn command(&self, command_line: &str, today: Date) -> Outcome {
        match self.command_as(command_line, today, Caller::MEMBER) {
            Action::Outcome(outcome) => outcome,
            Action::Admin { .. } => unreachable!("only editors get admin requests"),
        }
    }

    /// Runs a command line for a caller the connector knows: an editor's admin command
    /// comes back as an [`Action::Admin`] for the connector to carry out; everything else
    /// is answered as by [`Desk::command`].
    pub fn command_as(&self, command_line: &str, today: Date, caller: Caller) -> Action {
        let command_line = command_line.trim();
        let (name, args) = command_line
            .split_once(char::is_whitespace)
            .map_or((command_line, ""), |(n, a)| (n, a.trim()));
        let name_lower = name.to_lowercase();
        let Some(command) = COMMANDS.iter().find(|c| c.name == name_lower) else {
            return Action::Outcome(Outcome::Answer {
                command: "unknown",
                reply: self.unknown_command(name),
            });
        };
        let answer = |reply| {
            Action::Outcome(Outcome::Answer {
                command: command.name,
                reply,
            })
        };
        if command.editors_only && !caller.is_editor {
            return answer(admin::refusal(&self.prefix, command.name));
        }
        match command.run {
            Run::Answer(run) => answer(run(self, args, today)),
            Run::Admin(parse) => match parse(args) {
                Ok(request) => Action::Admin {
                    command: command.name,
                    request,
                },
                Err(problem) => answer(self.usage_because(command, &problem)),
            },
        }
    }

    /// Handles a message for a caller the connector knows: like [`Desk::handle`], with
    /// admin commands as in [`Desk::command_as`].
    pub fn handle_as(&self, message: &str, today: Date, caller: Caller) -> Action {
        match self.strip_prefix(message.trim()) {
            Some(command_line) => self.command_as(command_line, today, caller),
            None => Action::Outcome(self.handle(message, today)),
        }
    }

    /// The command line after the prefix, if `message` starts with the prefix followed by a
    /// letter (so "!!!" or "! wow" stay ordinary chat).
    fn strip_prefix<'a>(&self, message: &'a str) -> Option<&'a str> {
        let rest = message.strip_prefix(self.prefix.as_str())?;
        rest.starts_with(|c: char| c.is_alphabetic())
            .then_some(rest)
    }
}

/// User input shortened for echoing back, so a pasted article never fills the room.
fn echo(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(ECHO_LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
