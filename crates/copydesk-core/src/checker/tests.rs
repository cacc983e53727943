//! Behaviour of the checker, on sentences written for these tests.

use std::sync::Arc;

use super::*;

const KNOWLEDGE: &str = r#"
[[topic]]
slug = "border-test"
title = "A test topic about spies and smugglers"
summary = "Written for the checker's tests."
updated = 2025-01-01

  [[topic.source]]
  id = "interview"
  outlet = "The Times"
  title = "Interview with the interior minister"
  url = "https://example.org/interview"
  date = 2025-03-30

  [[topic.allegation]]
  id = "spies-smugglers"
  claim = "Russian intelligence works with people smugglers to move migrants into the EU."
  made_by = { name = "Daniel Mitov", role = "Bulgaria's interior minister" }
  source = "interview"
  status = "unproven"
  match_all = [["russia*", "moscow", "kremlin"], ["intelligence", "spies", "spy"], ["smuggl*"]]
  attributed = "Bulgaria's interior minister, Daniel Mitov, alleged that Russian intelligence is working with people smugglers."
"#;

fn kb() -> KnowledgeBase {
    KnowledgeBase::parse("test-knowledge.toml", KNOWLEDGE).expect("test knowledge parses")
}

fn empty_kb() -> KnowledgeBase {
    KnowledgeBase::parse("empty.toml", "").expect("an empty knowledge file parses")
}

fn verdict(message: &str) -> Verdict {
    Checker::default().check(&empty_kb(), message).verdict()
}

fn first_alarm(report: &MessageReport) -> &Finding {
    report.alarms().next().expect("an alarm")
}

#[test]
fn unattributed_known_allegation_is_flagged() {
    let message = "Russian spies are helping people smugglers get migrants into Europe.";
    let report = Checker::default().check(&kb(), message);
    assert_eq!(report.verdict(), Verdict::Flag);
    let finding = first_alarm(&report);
    assert_eq!(finding.rule, "known-allegation");
    let known = finding.allegation.as_ref().expect("names the allegation");
    assert_eq!(known.made_by.name, "Daniel Mitov");
    assert_eq!(known.source.outlet, "The Times");
    assert!(
        finding
            .message
            .starts_with("Repeats Daniel Mitov's allegation without attribution: say who made it, e.g. 'Bulgaria's interior minister, Daniel Mitov, alleged")
    );
    assert_eq!(
        &message[finding.span.clone()],
        "Russian spies are helping people smugglers"
    );
}

#[test]
fn vaguely_sourced_known_allegation_is_weak_and_named() {
    let report = Checker::default().check(
        &kb(),
        "Kremlin intelligence is reportedly working with smuggling gangs.",
    );
    assert_eq!(report.verdict(), Verdict::Weak);
    let finding = first_alarm(&report);
    assert!(finding.allegation.is_some());
    assert!(
        finding
            .message
            .contains("only vague attribution ('reportedly')")
    );
}

#[test]
fn attributed_known_allegation_is_ok() {
    let report = Checker::default().check(
        &kb(),
        "Mitov told The Times that Russian intelligence works with smugglers.",
    );
    assert_eq!(report.verdict(), Verdict::Ok);
    assert!(
        report.sentences[0]
            .findings
            .iter()
            .any(|f| f.allegation.is_some())
    );
}

#[test]
fn allegation_asserted_as_fact_is_flagged() {
    assert_eq!(
        verdict("The mayor took bribes from a developer."),
        Verdict::Flag
    );
    assert_eq!(verdict("The agency covered up the report."), Verdict::Flag);
    assert_eq!(
        verdict("The governor is lying about the budget."),
        Verdict::Flag
    );
}

#[test]
fn hedged_allegation_is_weak() {
    assert_eq!(
        verdict("The mayor allegedly took bribes from a developer."),
        Verdict::Weak
    );
    assert_eq!(
        verdict("The port authority is accused of hiding the spill."),
        Verdict::Weak
    );
    assert_eq!(
        verdict("Critics say the governor lied about the budget."),
        Verdict::Weak
    );
    assert_eq!(
        verdict("The firm has long faced accusations of dumping waste in the river."),
        Verdict::Weak
    );
}

#[test]
fn named_source_makes_it_ok() {
    for message in [
        "The mayor took bribes from a developer, prosecutors said.",
        "According to the city auditor, the mayor embezzled the fund.",
        "The senator accused the mayor of fraud.",
        "He said the governor lied about the budget.",
        "Interior Minister Ana Petrova alleged that the gangs bribed border guards.",
        "“They are lying to the public,” Petrova said.",
    ] {
        assert_eq!(verdict(message), Verdict::Ok, "{message}");
    }
}

#[test]
fn vague_source_after_the_claim_governs_it() {
    assert_eq!(
        verdict("The mayor told aides to shred the files, a source said."),
        Verdict::Weak
    );
    assert_eq!(
        verdict("Several former staffers said the director bullied interns."),
        Verdict::Weak
    );
}

#[test]
fn modal_hedges_are_not_attribution() {
    assert_eq!(
        verdict("The mayor may have embezzled the fund."),
        Verdict::Flag
    );
}

#[test]
fn questions_negations_and_logistics_are_ok() {
    for message in [
        "Did the mayor take bribes?",
        "did the mayor take bribes",
        "The mayor did not lie about the budget.",
        "can someone call the ministry about the smuggling story?",
        "The council meets on Tuesday at 9 a.m. in the town hall.",
        "I think the speech was weak.",
    ] {
        assert_eq!(verdict(message), Verdict::Ok, "{message}");
    }
}

#[test]
fn settled_facts_are_ok() {
    assert_eq!(
        verdict("The bank was fined $10 million for cheating its customers."),
        Verdict::Ok
    );
    assert_eq!(
        verdict("The former mayor was convicted of fraud in 2019."),
        Verdict::Ok
    );
}

#[test]
fn quoted_reply_lines_are_not_checked() {
    let message = "> the mayor is a liar and a crook\nthanks, I'll check with the desk";
    let report = Checker::default().check(&empty_kb(), message);
    assert_eq!(report.verdict(), Verdict::Ok);
    assert!(
        report
            .sentences
            .iter()
            .all(|s| !message[s.span.clone()].contains("liar"))
    );
}

#[test]
fn chat_style_is_understood() {
    assert_eq!(verdict("lol the mayor is literally a crook"), Verdict::Flag);
    assert_eq!(
        verdict("per police the mayor lied about the crash"),
        Verdict::Ok
    );
    assert_eq!(verdict("sources say the mayor lied 🙄"), Verdict::Weak);
}

#[test]
fn spans_point_into_the_original_message() {
    let message = "🙄 **the mayor _lied_** about it, see https://example.org/lied";
    let report = Checker::default().check(&empty_kb(), message);
    assert_eq!(report.verdict(), Verdict::Flag);
    let finding = first_alarm(&report);
    assert_eq!(&message[finding.span.clone()], "lied");
    assert!(finding.span.end < message.find("https").unwrap());
}

#[test]
fn empty_messages_have_no_sentences() {
    for message in ["", "   \n\t ", "> only a quote"] {
        let report = Checker::default().check(&empty_kb(), message);
        assert!(report.sentences.is_empty(), "{message:?}");
        assert_eq!(report.verdict(), Verdict::Ok);
    }
}

#[test]
fn each_sentence_gets_its_own_verdict() {
    let message =
        "The council met on Sept. 3 in the U.S. embassy. The mayor lied about the budget.";
    let report = Checker::default().check(&empty_kb(), message);
    let verdicts: Vec<Verdict> = report.sentences.iter().map(|s| s.verdict).collect();
    assert_eq!(verdicts, vec![Verdict::Ok, Verdict::Flag]);
    assert_eq!(report.verdict(), Verdict::Flag);
}

#[test]
fn article_structures_get_the_expected_verdicts() {
    // Sentences built like the seed article's, about an invented case.
    let ok = [
        "Estonia has warned that radical activist networks are working with trafficking rings and foreign spy agencies to push irregular migration into Europe.",
        "Minsk is allegedly using its security services to help traffickers find gaps in Europe's frontier, Lithuanian Interior Minister Jonas Petraitis told Reuters.",
        "He claimed that Vilnius had gathered evidence tying the Belarusian security service to the smuggling gangs.",
        "“Migration flows are a weapon for hostile regimes to destabilise the European Union,” Petraitis said.",
        "Commenting on the claims, EU commissioner Maria Lind said: “It is clear that hostile states are exploiting migration to destabilise Europe.”",
    ];
    for message in ok {
        assert_eq!(verdict(message), Verdict::Ok, "{message}");
    }
    let weak = [
        "Both the government in Minsk and the regime in Tehran have long faced accusations of weaponising migration in disputes with the West.",
        "Latvia had to guard its frontier against migrants who were allegedly flown in by the regime in Minsk, whose government is reported to have lured people with promises of easy passage to Germany.",
    ];
    for message in weak {
        assert_eq!(verdict(message), Verdict::Weak, "{message}");
    }
}

#[test]
fn quotation_continuing_a_named_speaker_is_ok() {
    let message = "“Smuggling gangs are a tool of hostile states,” Petraitis said. “They are bribing our guards.”";
    let report = Checker::default().check(&empty_kb(), message);
    assert_eq!(report.verdict(), Verdict::Ok);
}

#[test]
fn one_megabyte_message_is_checked() {
    let paragraph = "The council met on Tuesday. Critics say the mayor lied about the budget, \
        and the mayor allegedly took bribes, prosecutors said. the mayor is a crook lol\n";
    let message = paragraph.repeat(1_000_000 / paragraph.len() + 1);
    assert!(message.len() >= 1_000_000);
    let started = std::time::Instant::now();
    let report = Checker::default().check(&empty_kb(), &message);
    assert_eq!(report.verdict(), Verdict::Flag);
    assert_eq!(report.sentences.len() % 3, 0);
    // One sentence a megabyte long, full of hits: no quadratic blow-up either.
    let run_on = "critics say the mayor lied and ".repeat(1_000_000 / 31 + 1);
    let report = Checker::default().check(&empty_kb(), &run_on);
    assert_eq!(report.sentences.len(), 1);
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[derive(Debug)]
struct AlwaysAllegation;

impl AllegationScorer for AlwaysAllegation {
    fn score(&self, _sentence: &str, _cues: &[String]) -> f32 {
        0.9
    }
    fn rule_id(&self) -> &str {
        "test-model"
    }
}

#[test]
fn scorer_is_consulted_only_where_rules_leave_the_question_open() {
    let checker = Checker::default().with_scorer(Arc::new(AlwaysAllegation));
    let report = checker.check(&empty_kb(), "The mayor hired his cousin.");
    assert_eq!(report.verdict(), Verdict::Flag);
    assert_eq!(first_alarm(&report).rule, "test-model");
    let attributed = checker.check(&empty_kb(), "The mayor hired his cousin, the auditor said.");
    assert_eq!(attributed.verdict(), Verdict::Ok);
    let question = checker.check(&empty_kb(), "Did the mayor hire his cousin?");
    assert_eq!(question.verdict(), Verdict::Ok);
}

#[test]
fn crowd_reporting_is_weak_even_without_allegation_words() {
    assert_eq!(
        verdict("some people are saying the governor buried the audit"),
        Verdict::Weak
    );
    assert_eq!(
        verdict("Experts say the new plant dumps its waste at night."),
        Verdict::Weak
    );
}

#[test]
fn praise_from_an_unnamed_crowd_is_not_an_alarm() {
    assert_eq!(
        verdict("Critics called the novel a masterpiece."),
        Verdict::Ok
    );
    assert_eq!(
        verdict("Polls showed that few voters thought the bridge was a priority."),
        Verdict::Ok
    );
}

#[test]
fn encyclopedic_history_and_countering_are_ok() {
    for message in [
        "Smuggling was common along the coast in the 18th century.",
        "In 1933 the new government banned the opposition and persecuted its leaders.",
        "The charity works to combat human trafficking in the region.",
        "The village lies about 5 km north of the river.",
    ] {
        assert_eq!(verdict(message), Verdict::Ok, "{message}");
    }
}
