//! The answers the desk writes on its own: topic background, sources, a checked draft and
//! the stale topics.

use jiff::civil::Date;

use super::warning::finding_explanation;
use super::{Desk, echo};
use crate::admin;
use crate::checker::Verdict;
use crate::knowledge::{Lookup, Topic};
use crate::reply::{Inline, Reply};

impl Desk {
    pub(super) fn context(&self, args: &str, today: Date) -> Reply {
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

    pub(super) fn sources(&self, args: &str, today: Date) -> Reply {
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

    pub(super) fn check_draft(&self, args: &str, _today: Date) -> Reply {
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

    pub(super) fn stale(&self, _args: &str, today: Date) -> Reply {
        admin::stale(&self.knowledge, today)
    }
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
