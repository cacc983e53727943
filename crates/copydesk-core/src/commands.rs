//! Commands and the one message handler every connector calls.
//!
//! A connector hands `Desk::handle` the text of a message and today's date and gets back an
//! `Outcome`: nothing to do, a command answer, or a checked message with an optional
//! warning. The connector decides where the answer goes (a reply, a thread, the editors'
//! room); the desk decides what it says.

use jiff::civil::Date;

use crate::Checker;
use crate::admin::{self, AdminRequest, Caller};
use crate::checker::{Finding, MessageReport, Verdict};
use crate::knowledge::{KnowledgeBase, Lookup, Topic};
use crate::reply::{Inline, Reply};

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
    /// An ordinary message was checked; `warning` is set when it needs an editor's eye.
    Checked {
        report: MessageReport,
        warning: Option<Reply>,
    },
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

/// One entry of the command table. `!help` is generated from this table.
pub struct Command {
    pub name: &'static str,
    /// Argument synopsis shown by `!help`, e.g. `<topic>`.
    pub args: &'static str,
    pub summary: &'static str,
    /// Only editors may run it; everyone else gets a polite refusal.
    pub editors_only: bool,
    run: Run,
}

/// How a command is carried out.
enum Run {
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
        args: "<commands|warn|editors|off>",
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
        let report = self.checker.check(&self.knowledge, message);
        let warning = warning_reply(&report, message);
        Outcome::Checked { report, warning }
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

    fn unknown_command(&self, name: &str) -> Reply {
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

    fn context(&self, args: &str, today: Date) -> Reply {
        if args.is_empty() {
            return self.topic_list();
        }
        let topic = match self.knowledge.lookup(args) {
            Lookup::Found(topic) => topic,
            miss => return self.topic_not_found(args, miss),
        };
        let mut reply = Reply::new()
            .heading(vec![Inline::text(format!(
                "{} ({})",
                topic.title, topic.slug
            ))])
            .paragraph(vec![Inline::text(&topic.summary)]);
        if !topic.facts.is_empty() {
            let facts = topic
                .facts
                .iter()
                .map(|fact| {
                    let mut line = vec![Inline::text(&fact.text)];
                    line.extend(source_citations(topic, &fact.sources));
                    line
                })
                .collect();
            reply = reply
                .paragraph(vec![Inline::strong("Key facts")])
                .list(facts);
        }
        let open: Vec<_> = topic
            .allegations
            .iter()
            .filter(|a| a.status.is_open())
            .collect();
        if !open.is_empty() {
            let allegations = open
                .iter()
                .map(|a| {
                    let mut line = vec![
                        Inline::text(format!("{} — alleged by ", a.claim)),
                        Inline::strong(&a.made_by.name),
                        Inline::text(format!(" ({}), {}", a.made_by.role, a.status.as_str())),
                    ];
                    line.extend(source_citations(topic, std::slice::from_ref(&a.source)));
                    line
                })
                .collect();
            reply = reply
                .paragraph(vec![Inline::strong(
                    "Allegations (attribute when repeating)",
                )])
                .list(allegations);
        }
        reply = reply
            .paragraph(vec![Inline::strong("Sources")])
            .list(topic.sources.iter().map(source_line).collect());
        reply.paragraph(review_line(topic, today, self.knowledge.version()))
    }

    fn sources(&self, args: &str, today: Date) -> Reply {
        if args.is_empty() {
            return self.usage("sources");
        }
        match self.knowledge.lookup(args) {
            Lookup::Found(topic) => Reply::new()
                .heading(vec![Inline::text(format!(
                    "Sources for {} ({})",
                    topic.title, topic.slug
                ))])
                .list(topic.sources.iter().map(source_line).collect())
                .paragraph(review_line(topic, today, self.knowledge.version())),
            miss => self.topic_not_found(args, miss),
        }
    }

    fn check_draft(&self, args: &str, _today: Date) -> Reply {
        if args.is_empty() {
            return self.usage("check");
        }
        let report = self.checker.check(&self.knowledge, args);
        let verdict = report.verdict();
        let heading = match verdict {
            Verdict::Ok => "No unattributed allegations found.".to_owned(),
            _ => format!(
                "{} of {} sentences need attention.",
                report
                    .sentences
                    .iter()
                    .filter(|s| s.verdict > Verdict::Ok)
                    .count(),
                report.sentences.len()
            ),
        };
        let items = report
            .sentences
            .iter()
            .map(|sentence| {
                let mut line = vec![
                    Inline::strong(sentence.verdict.as_str().to_uppercase()),
                    Inline::text(" "),
                    Inline::emphasis(echo(&args[sentence.span.clone()])),
                ];
                for finding in sentence.findings.iter().filter(|f| f.verdict > Verdict::Ok) {
                    line.push(Inline::text(" — "));
                    line.extend(finding_explanation(finding));
                }
                line
            })
            .collect();
        Reply::new()
            .heading(vec![Inline::text(heading)])
            .list(items)
    }

    fn topic_list(&self) -> Reply {
        let items = self
            .knowledge
            .topics()
            .iter()
            .map(|t| {
                vec![
                    Inline::code(&t.slug),
                    Inline::text(format!(" — {}", t.title)),
                ]
            })
            .collect();
        Reply::new()
            .heading(vec![Inline::text("Topics")])
            .list(items)
            .paragraph(vec![
                Inline::text("Ask for one with "),
                Inline::code(format!("{}context <topic>", self.prefix)),
                Inline::text("."),
            ])
    }

    fn topic_not_found(&self, query: &str, miss: Lookup<'_>) -> Reply {
        let mut line = vec![
            Inline::text("No topic "),
            Inline::code(echo(query)),
            Inline::text(". "),
        ];
        match miss {
            Lookup::Suggestions(topics) if !topics.is_empty() => {
                line.push(Inline::text("Did you mean "));
                for (i, topic) in topics.iter().enumerate() {
                    if i > 0 {
                        line.push(Inline::text(if i + 1 == topics.len() {
                            " or "
                        } else {
                            ", "
                        }));
                    }
                    line.push(Inline::code(&topic.slug));
                }
                line.push(Inline::text("?"));
            }
            _ => {
                line.push(Inline::code(format!("{}context", self.prefix)));
                line.push(Inline::text(" lists every topic."));
            }
        }
        Reply::new().paragraph(line)
    }

    fn stale(&self, _args: &str, today: Date) -> Reply {
        admin::stale(&self.knowledge, today)
    }

    /// The usage line after what was wrong with the arguments.
    fn usage_because(&self, command: &Command, problem: &str) -> Reply {
        let mut reply = self.usage(command.name);
        if let Some(crate::reply::Block::Paragraph(line)) = reply.blocks.first_mut() {
            let problem = capitalised(problem.trim_end_matches('.'));
            line.insert(0, Inline::text(format!("{problem}. ")));
        }
        reply
    }

    fn usage(&self, name: &str) -> Reply {
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

/// The warning for a checked message, or `None` when every sentence is ok.
pub fn warning_reply(report: &MessageReport, message: &str) -> Option<Reply> {
    let alarms: Vec<&Finding> = report.alarms().collect();
    if alarms.is_empty() {
        return None;
    }
    let heading = match report.verdict() {
        Verdict::Flag => "Attribution needed",
        _ => "Vague sourcing",
    };
    let items = alarms
        .iter()
        .map(|finding| {
            let mut line = Vec::new();
            if let Some(trigger) = message
                .get(finding.span.clone())
                .filter(|t| !t.trim().is_empty())
            {
                line.push(Inline::emphasis(format!("“{}”", echo(trigger.trim()))));
                line.push(Inline::text(if finding.allegation.is_some() {
                    " "
                } else {
                    ": "
                }));
            }
            line.extend(finding_explanation(finding));
            line
        })
        .collect();
    Some(
        Reply::new()
            .heading(vec![Inline::text(heading)])
            .list(items),
    )
}

/// What a finding means for the writer. For a known allegation the structured record says
/// it all (who made it, where, how to attribute it), so the rule's generic message is
/// replaced rather than repeated.
fn finding_explanation(finding: &Finding) -> Vec<Inline> {
    let Some(allegation) = &finding.allegation else {
        return vec![Inline::text(&finding.message)];
    };
    let lead = match finding.verdict {
        Verdict::Flag => "repeats, as fact, an allegation made by ",
        _ => "is vague sourcing for an allegation made by ",
    };
    let source = &allegation.source;
    vec![
        Inline::text(lead),
        Inline::strong(format!(
            "{} ({})",
            allegation.made_by.name, allegation.made_by.role
        )),
        Inline::text(", reported by "),
        Inline::link(
            format!("{}, “{}”", source.outlet, source.title),
            &source.url,
        ),
        Inline::text(format!(
            " ({}; status: {}). Attribute it, e.g. ",
            source.date, allegation.status
        )),
        Inline::code(&allegation.attributed),
    ]
}

fn source_citations(topic: &Topic, ids: &[String]) -> Vec<Inline> {
    let mut line = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let Some(source) = topic.source(id) else {
            continue;
        };
        line.push(Inline::text(if i == 0 { " — " } else { "; " }));
        line.push(Inline::link(&source.outlet, &source.url));
        line.push(Inline::text(format!(", {}", source.date)));
    }
    line
}

fn source_line(source: &crate::knowledge::Source) -> Vec<Inline> {
    vec![
        Inline::strong(&source.outlet),
        Inline::text(": "),
        Inline::link(format!("“{}”", source.title), &source.url),
        Inline::text(format!(" ({})", source.date)),
    ]
}

fn review_line(topic: &Topic, today: Date, version: &str) -> Vec<Inline> {
    let reviewed = format!(
        "Last reviewed {} · knowledge file version {version}",
        topic.updated
    );
    match topic.review_due().filter(|_| topic.is_stale(today)) {
        Some(due) => vec![
            Inline::text(format!("{reviewed}. ")),
            Inline::strong(format!(
                "Stale: review was due {due}; check for newer developments before relying on it."
            )),
        ],
        None => vec![Inline::text(reviewed)],
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
mod tests {
    use super::*;
    use crate::fixtures::example_desk as desk;

    fn today() -> Date {
        jiff::civil::date(2026, 11, 26)
    }

    fn answer(desk: &Desk, message: &str) -> (&'static str, String) {
        match desk.handle(message, today()) {
            Outcome::Answer { command, reply } => (command, reply.to_plain()),
            other => panic!("expected an answer to {message:?}, got {other:?}"),
        }
    }

    #[test]
    fn context_answer_carries_summary_facts_sources_and_review_date() {
        let desk = desk("!");
        let (command, text) = answer(&desk, "!context bulgaria-schengen");
        assert_eq!(command, "context");
        let topic = &desk.knowledge().topics()[0];
        assert!(text.contains(&topic.title));
        assert!(text.contains(&topic.summary));
        for fact in &topic.facts {
            assert!(text.contains(&fact.text), "missing fact {:?}", fact.text);
        }
        for source in &topic.sources {
            assert!(text.contains(&source.url) && text.contains(&source.title));
        }
        assert!(text.contains(&format!("Last reviewed {}", topic.updated)));
        assert!(text.contains(desk.knowledge().version()));
    }

    #[test]
    fn context_lists_open_allegations_with_who_made_them() {
        let desk = desk("!");
        let (_, text) = answer(&desk, "!context bulgaria-schengen");
        let topic = &desk.knowledge().topics()[0];
        let open: Vec<_> = topic
            .allegations
            .iter()
            .filter(|a| a.status.is_open())
            .collect();
        assert!(!open.is_empty());
        for allegation in open {
            assert!(text.contains(&allegation.claim));
            assert!(text.contains(&allegation.made_by.name));
        }
    }

    #[test]
    fn context_accepts_aliases_in_any_case() {
        let desk = desk("!");
        let topic = &desk.knowledge().topics()[0];
        let alias = topic.aliases.first().expect("example topic has an alias");
        let (_, text) = answer(&desk, &format!("!context {}", alias.to_uppercase()));
        assert!(text.contains(&topic.title), "{text}");
    }

    #[test]
    fn misspelled_topic_gets_did_you_mean() {
        let (_, text) = answer(&desk("!"), "!context bulgaria-shengen");
        assert!(text.contains("Did you mean `bulgaria-schengen`"), "{text}");
    }

    #[test]
    fn nonsense_topic_points_to_the_topic_list() {
        let (_, text) = answer(&desk("!"), "!context qqqqzzzz");
        assert!(text.contains("No topic `qqqqzzzz`"), "{text}");
        assert!(text.contains("`!context` lists every topic"), "{text}");
    }

    #[test]
    fn context_without_topic_lists_every_topic() {
        let desk = desk("!");
        let (_, text) = answer(&desk, "!context");
        for topic in desk.knowledge().topics() {
            assert!(text.contains(&topic.slug), "missing {}", topic.slug);
        }
    }

    #[test]
    fn stale_topic_says_so() {
        let desk = desk("!");
        let topic = desk
            .knowledge()
            .topics()
            .iter()
            .find(|t| t.review_due().is_some())
            .expect("a topic with a review period");
        let due = topic.review_due().unwrap();
        let after = due.checked_add(jiff::Span::new().days(1)).unwrap();
        let stale = desk.command(&format!("context {}", topic.slug), after);
        let fresh = desk.command(&format!("context {}", topic.slug), topic.updated);
        let text = |o: Outcome| match o {
            Outcome::Answer { reply, .. } => reply.to_plain(),
            _ => unreachable!(),
        };
        assert!(text(stale).contains(&format!("Stale: review was due {due}")));
        assert!(!text(fresh).contains("Stale"));
    }

    #[test]
    fn sources_lists_outlet_title_link_and_date() {
        let desk = desk("!");
        let (_, text) = answer(&desk, "!sources bulgaria-schengen");
        for source in &desk.knowledge().topics()[0].sources {
            assert!(text.contains(&source.outlet));
            assert!(text.contains(&format!(
                "“{}” <{}> ({})",
                source.title, source.url, source.date
            )));
        }
    }

    #[test]
    fn commands_without_required_argument_show_usage() {
        let desk = desk("!");
        assert!(
            answer(&desk, "!sources")
                .1
                .starts_with("Usage: `!sources <topic>`")
        );
        assert!(
            answer(&desk, "!check")
                .1
                .starts_with("Usage: `!check <text>`")
        );
    }

    #[test]
    fn help_is_generated_from_the_command_table_with_the_prefix() {
        let desk = desk("?");
        let (_, text) = answer(&desk, "?help");
        for command in COMMANDS {
            assert!(text.contains(&format!("`?{}", command.name)), "{text}");
            assert!(text.contains(command.summary));
        }
    }

    #[test]
    fn prefix_is_configurable() {
        let desk = desk("cd:");
        assert!(matches!(
            desk.handle("cd:help", today()),
            Outcome::Answer {
                command: "help",
                ..
            }
        ));
        assert!(matches!(
            desk.handle("!help", today()),
            Outcome::Checked { .. }
        ));
    }

    #[test]
    fn prefix_without_a_word_is_ordinary_chat() {
        let desk = desk("!");
        assert!(matches!(
            desk.handle("!!!", today()),
            Outcome::Checked { warning: None, .. }
        ));
        assert!(matches!(
            desk.handle("! wow", today()),
            Outcome::Checked { warning: None, .. }
        ));
    }

    #[test]
    fn unknown_command_suggests_the_closest() {
        let (command, text) = answer(&desk("!"), "!contxt bulgaria");
        assert_eq!(command, "unknown");
        assert!(text.contains("Did you mean `!context`?"), "{text}");
    }

    #[test]
    fn blank_messages_are_ignored() {
        assert_eq!(desk("!").handle(" \n\t ", today()), Outcome::Ignored);
    }

    #[test]
    fn unattributed_known_allegation_gets_a_warning_naming_the_accuser() {
        let desk = desk("!");
        let Outcome::Checked { report, warning } = desk.handle(
            "so russian intelligence is basically helping the smugglers",
            today(),
        ) else {
            panic!("expected a checked message");
        };
        assert_eq!(report.verdict(), Verdict::Flag);
        let text = warning.expect("a warning").to_plain();
        assert!(text.starts_with("Attribution needed"), "{text}");
        assert!(text.contains("Daniel Mitov"), "{text}");
        assert!(text.contains("Attribute it, e.g. `"), "{text}");
    }

    #[test]
    fn attributed_allegation_gets_no_warning() {
        let outcome = desk("!").handle(
            "Mitov told The Times that Russian intelligence is helping smugglers.",
            today(),
        );
        assert!(
            matches!(outcome, Outcome::Checked { warning: None, .. }),
            "{outcome:?}"
        );
    }

    #[test]
    fn check_command_reports_each_sentence() {
        let (_, text) = answer(
            &desk("!"),
            "!check The summit is on Monday. Russian intelligence is helping the smugglers.",
        );
        assert!(
            text.starts_with("1 of 2 sentences need attention."),
            "{text}"
        );
        assert!(text.contains("OK The summit is on Monday."), "{text}");
        assert!(text.contains("FLAG Russian intelligence"), "{text}");
    }

    #[test]
    fn check_command_escapes_user_text_in_html() {
        let desk = desk("!");
        let Outcome::Answer { reply, .. } = desk.handle("!check <b>hi</b> & bye", today()) else {
            panic!()
        };
        let html = reply.to_html();
        assert!(html.contains("&lt;b&gt;hi&lt;/b&gt; &amp; bye"), "{html}");
    }

    #[test]
    fn admin_commands_are_refused_politely_to_non_editors() {
        let desk = desk("!");
        for line in ["!mode warn", "!mute 1h", "!stats", "!stale", "!reload"] {
            let (command, text) = answer(&desk, line);
            assert_ne!(command, "unknown", "{line}");
            assert!(text.starts_with("Sorry, `!"), "{line}: {text}");
            assert!(text.contains("is for the editors"), "{text}");
            let as_member = desk.handle_as(line, today(), Caller::MEMBER);
            assert!(matches!(as_member, Action::Outcome(_)), "{line}");
        }
    }

    #[test]
    fn editors_admin_commands_become_requests() {
        use crate::admin::{Mute, Period, RoomMode};
        let desk = desk("!");
        let request = |line: &str| match desk.handle_as(line, today(), Caller::EDITOR) {
            Action::Admin { request, .. } => request,
            other => panic!("expected an admin request for {line:?}, got {other:?}"),
        };
        assert_eq!(request("!mode warn"), AdminRequest::SetMode(RoomMode::Warn));
        assert_eq!(
            request("!MUTE 2h"),
            AdminRequest::Mute(Mute::For(std::time::Duration::from_secs(7200)))
        );
        assert_eq!(request("!stats"), AdminRequest::Stats(Period::Days(7)));
        assert_eq!(request("!stats all"), AdminRequest::Stats(Period::All));
        assert_eq!(request("!reload"), AdminRequest::Reload);
        assert!(matches!(
            desk.command_as("mode off", today(), Caller::EDITOR),
            Action::Admin {
                command: "mode",
                request: AdminRequest::SetMode(RoomMode::Off)
            }
        ));
    }

    #[test]
    fn bad_admin_arguments_get_the_problem_and_usage() {
        let desk = desk("!");
        let Action::Outcome(Outcome::Answer { command, reply }) =
            desk.handle_as("!mode loud", today(), Caller::EDITOR)
        else {
            panic!("expected an answer")
        };
        assert_eq!(command, "mode");
        let text = reply.to_plain();
        assert!(
            text.starts_with("Unknown mode \"loud\" (expected commands, warn, editors or off). Usage: `!mode <commands|warn|editors|off>`"),
            "{text}"
        );
        let Action::Outcome(Outcome::Answer { reply, .. }) =
            desk.handle_as("!reload now", today(), Caller::EDITOR)
        else {
            panic!("expected an answer")
        };
        assert!(
            reply.to_plain().contains("Usage: `!reload` —"),
            "{}",
            reply.to_plain()
        );
    }

    #[test]
    fn stale_for_an_editor_lists_topics_past_review() {
        let desk = desk("!");
        let topic = desk
            .knowledge()
            .topics()
            .iter()
            .find(|t| t.review_due().is_some())
            .expect("a topic with a review period");
        let after = topic
            .review_due()
            .unwrap()
            .checked_add(jiff::Span::new().days(1))
            .unwrap();
        let Action::Outcome(Outcome::Answer { command, reply }) =
            desk.command_as("stale", after, Caller::EDITOR)
        else {
            panic!()
        };
        assert_eq!(command, "stale");
        let text = reply.to_plain();
        let earliest = desk
            .knowledge()
            .topics()
            .iter()
            .map(|t| t.updated)
            .min()
            .unwrap();
        assert!(
            text.contains(&format!("`{}` — {}", topic.slug, topic.title)),
            "{text}"
        );
        let Action::Outcome(Outcome::Answer { reply, .. }) =
            desk.command_as("stale", earliest, Caller::EDITOR)
        else {
            panic!()
        };
        assert!(
            reply
                .to_plain()
                .starts_with("No topic is past its review date")
        );
    }

    #[test]
    fn help_marks_admin_commands() {
        let (_, text) = answer(&desk("!"), "!help");
        assert!(
            text.contains("`!mode <commands|warn|editors|off>` — "),
            "{text}"
        );
        assert!(
            text.contains("`!stale` — topics past their review date (editors)"),
            "{text}"
        );
        assert!(text.contains("`!context [topic]` — sourced background on a topic; without a topic, the list of topics\n"), "{text}");
    }

    #[test]
    fn long_user_input_is_cut_when_echoed() {
        let long_topic = "x".repeat(500);
        let (_, text) = answer(&desk("!"), &format!("!context {long_topic}"));
        assert!(text.len() < 300, "{text}");
        assert!(text.contains('…'));
    }
}
