//! The command table, and the answers about commands themselves: `!help`, usage lines
//! and unknown commands.

use jiff::civil::Date;

use super::{Desk, echo};
use crate::admin::{self, AdminRequest};
use crate::reply::{Inline, Reply};

/// One entry of the command table. `!help` is generated from this table.
pub struct Command {
    pub name: &'static str,
    /// Argument synopsis shown by `!help`, e.g. `<topic>`.
    pub args: &'static str,
    pub summary: &'static str,
    /// Only editors may run it; everyone else gets a polite refusal.
    pub editors_only: bool,
    pub(super) run: Run,
}

/// How a command is carried out.
pub(super) enum Run {
    /// The desk answers it on its own.
    Answer(fn(&Desk, &str, Date) -> Reply),
    /// The desk validates it into an [`AdminRequest`] for the connector (or explains what
    /// is wrong with the arguments).
    Admin(fn(&str) -> Result<AdminRequest, String>),
}

/// Every command the desk answers, in the order `!help` lists them.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "context",
        args: "[topic]",
        summary: "sourced background on a topic; without a topic, the list of topics",
        editors_only: false,
        run: Run::Answer(Desk::context),
    },
    Command {
        name: "sources",
        args: "<topic>",
        summary: "the sources behind a topic, with outlet, title, link and date",
        editors_only: false,
        run: Run::Answer(Desk::sources),
    },
    Command {
        name: "check",
        args: "<text>",
        summary: "check a draft for unattributed allegations, sentence by sentence",
        editors_only: false,
        run: Run::Answer(Desk::check_draft),
    },
    Command {
        name: "help",
        args: "",
        summary: "this list",
        editors_only: false,
        run: Run::Answer(Desk::help),
    },
    Command {
        name: "mode",
        args: "<commands|warn|warn-private|editors|off>",
        summary: "what I do in this room: answer commands only, warn in the room, warn in the editors' room, or stay silent",
        editors_only: true,
        run: Run::Admin(admin::parse_mode),
    },
    Command {
        name: "mute",
        args: "<duration|off>",
        summary: "no attribution warnings in this room for a while (30m, 2h, 1d)",
        editors_only: true,
        run: Run::Admin(admin::parse_mute),
    },
    Command {
        name: "stats",
        args: "[today|7d|4w|all]",
        summary: "messages checked, warnings by verdict and rule, most repeated allegations, false-alarm rates",
        editors_only: true,
        run: Run::Admin(admin::parse_stats),
    },
    Command {
        name: "stale",
        args: "",
        summary: "topics past their review date",
        editors_only: true,
        run: Run::Answer(Desk::stale),
    },
    Command {
        name: "reload",
        args: "",
        summary: "reload the knowledge file and lexicons now",
        editors_only: true,
        run: Run::Admin(admin::parse_reload),
    },
];

impl Desk {
    pub(super) fn unknown_command(&self, name: &str) -> Reply {
        let closest = COMMANDS
            .iter()
            .map(|c| (strsim::damerau_levenshtein(c.name, &name.to_lowercase()), c))
            .filter(|(distance, _)| *distance <= 2)
            .min_by_key(|(distance, _)| *distance);
        let mut line = vec![
            Inline::text("Unknown command "),
            Inline::code(format!("{}{}", self.prefix, echo(name))),
            Inline::text(". "),
        ];
        if let Some((_, command)) = closest {
            line.push(Inline::text("Did you mean "));
            line.push(Inline::code(format!("{}{}", self.prefix, command.name)));
            line.push(Inline::text("? "));
        }
        line.push(Inline::text("Type "));
        line.push(Inline::code(format!("{}help", self.prefix)));
        line.push(Inline::text(" for the list of commands."));
        Reply::new().paragraph(line)
    }

    fn help(&self, _args: &str, _today: Date) -> Reply {
        let items = COMMANDS
            .iter()
            .map(|c| {
                let usage = if c.args.is_empty() {
                    format!("{}{}", self.prefix, c.name)
                } else {
                    format!("{}{} {}", self.prefix, c.name, c.args)
                };
                let mut line = vec![
                    Inline::code(usage),
                    Inline::text(format!(" — {}", c.summary)),
                ];
                if c.editors_only {
                    line.push(Inline::emphasis(" (editors)"));
                }
                line
            })
            .collect();
        Reply::new()
            .heading(vec![Inline::text("copydesk commands")])
            .list(items)
            .paragraph(vec![Inline::text(
                "Messages that repeat an allegation without saying who made it get a warning.",
            )])
    }

    /// The usage line after what was wrong with the arguments.
    pub(super) fn usage_because(&self, command: &Command, problem: &str) -> Reply {
        let mut reply = self.usage(command.name);
        if let Some(crate::reply::Block::Paragraph(line)) = reply.blocks.first_mut() {
            let problem = capitalised(problem.trim_end_matches('.'));
            line.insert(0, Inline::text(format!("{problem}. ")));
        }
        reply
    }

    pub(super) fn usage(&self, name: &str) -> Reply {
        let command = COMMANDS
            .iter()
            .find(|c| c.name == name)
            .expect("command in table");
        let usage = if command.args.is_empty() {
            format!("{}{}", self.prefix, command.name)
        } else {
            format!("{}{} {}", self.prefix, command.name, command.args)
        };
        Reply::new().paragraph(vec![
            Inline::text("Usage: "),
            Inline::code(usage),
            Inline::text(format!(" — {}", command.summary)),
        ])
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
