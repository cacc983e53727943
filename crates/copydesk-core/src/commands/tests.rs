//! The desk's answers to commands and its warnings, on the example knowledge file.

use super::*;
use crate::checker::Verdict;
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
    for message in ["!!!", "! wow"] {
        let Outcome::Checked { report } = desk.handle(message, today()) else {
            panic!("{message}: expected a checked message");
        };
        assert_eq!(warning_reply(&report, message), None, "{message}");
    }
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
    let message = "so russian intelligence is basically helping the smugglers";
    let Outcome::Checked { report } = desk.handle(message, today()) else {
        panic!("expected a checked message");
    };
    assert_eq!(report.verdict(), Verdict::Flag);
    let text = warning_reply(&report, message)
        .expect("a warning")
        .to_plain();
    assert!(text.starts_with("Attribution needed"), "{text}");
    assert!(text.contains("Daniel Mitov"), "{text}");
    assert!(text.contains("Attribute it, e.g. `"), "{text}");
}

#[test]
fn attributed_allegation_gets_no_warning() {
    let message = "Mitov told The Times that Russian intelligence is helping smugglers.";
    let Outcome::Checked { report } = desk("!").handle(message, today()) else {
        panic!("expected a checked message");
    };
    assert_eq!(warning_reply(&report, message), None, "{report:?}");
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
        text.starts_with("Unknown mode \"loud\" (expected commands, warn, warn-private, editors or off). Usage: `!mode <commands|warn|warn-private|editors|off>`"),
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
        text.contains("`!mode <commands|warn|warn-private|editors|off>` — "),
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
