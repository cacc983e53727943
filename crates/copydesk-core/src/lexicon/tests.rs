//! Loading, validating, merging and matching lexicon rules.

use super::*;

fn matched<'t>(lexicon: &Lexicon, text: &'t str) -> Vec<(&'t str, String)> {
    lexicon
        .scan(text)
        .into_iter()
        .map(|h| (&text[h.span.clone()], lexicon.rule_of(&h).id.clone()))
        .collect()
}

const SMALL: &str = r#"
[[rule]]
id = "crime"
kind = "allegation-term"
severity = "flag"
message = "'{match}' alleges a crime."
terms = ["smuggl*", "lie", "cover up"]
exceptions = ["anti-smuggl*", "lie in"]
"#;

#[test]
fn embedded_lexicons_parse() {
    let lexicon = Lexicon::embedded();
    assert!(lexicon.rules().len() >= 10);
    for kind in [
        RuleKind::ReportingVerb,
        RuleKind::Hedge,
        RuleKind::AllegationTerm,
    ] {
        assert!(lexicon.rules().iter().any(|r| r.kind == kind), "{kind:?}");
    }
    assert!(
        lexicon
            .rule("hedge")
            .unwrap()
            .origin
            .starts_with("lexicons/vague.toml:")
    );
}

#[test]
fn terms_match_whole_words_and_wildcard_endings() {
    let lexicon = Lexicon::parse("small.toml", SMALL).unwrap();
    let found = matched(&lexicon, "Smugglers lied; they Lie. Believe the COVER UP!");
    let words: Vec<&str> = found.iter().map(|(w, _)| *w).collect();
    assert_eq!(words, vec!["Smugglers", "Lie", "COVER UP"]);
}

#[test]
fn exceptions_switch_a_term_off() {
    let lexicon = Lexicon::parse("small.toml", SMALL).unwrap();
    assert!(
        matched(
            &lexicon,
            "an anti-smuggling patrol; the answers lie in the files"
        )
        .is_empty()
    );
}

#[test]
fn curly_apostrophes_match_straight_ones() {
    let text = "[[rule]]\nid = \"x\"\nkind = \"negation\"\nseverity = \"ok\"\nmessage = \"m\"\nterms = [\"didn't\"]\n";
    let lexicon = Lexicon::parse("x.toml", text).unwrap();
    assert_eq!(matched(&lexicon, "he didn’t").len(), 1);
}

#[test]
fn bad_lexicon_rule_reports_its_line() {
    let text = r#"[[rule]]
id = "a"
kind = "reporting-verbs"
severity = "ok"
message = "m"
terms = ["said"]

[[rule]]
id = "a"
kind = "hedge"
severity = "maybe"
message = "m"
terms = []

[[rule]]
id = "b"
kind = "hedge"
severity = "weak"
message = "m"
terms = ["all*eged", "*"]
"#;
    let errors = Lexicon::parse("editor.toml", text).unwrap_err();
    let lines: Vec<String> = errors.0.iter().map(|e| e.to_string()).collect();
    assert!(
        lines[0].starts_with("editor.toml:3:8: unknown kind \"reporting-verbs\""),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("editor.toml:9:6: duplicate rule id \"a\" (first defined on line 2)"),
        "{lines:?}"
    );
    assert!(
        lines[2].starts_with("editor.toml:11:12: severity: unknown verdict \"maybe\""),
        "{lines:?}"
    );
    assert!(
        lines[3].starts_with("editor.toml:13:9: terms is empty"),
        "{lines:?}"
    );
    assert!(
        lines[4].starts_with("editor.toml:20:10: term \"all*eged\""),
        "{lines:?}"
    );
    assert!(
        lines[5].starts_with("editor.toml:20:22: term \"*\": is empty"),
        "{lines:?}"
    );
    assert_eq!(lines.len(), 6);
}

#[test]
fn unknown_fields_are_errors_with_their_place() {
    let text = "[[rule]]\nid = \"a\"\nkind = \"hedge\"\nseverity = \"weak\"\nmessage = \"m\"\nterms = [\"x\"]\nexeptions = []\n";
    let errors = Lexicon::parse("editor.toml", text).unwrap_err();
    let message = errors.to_string();
    assert!(
        message.starts_with("editor.toml:7:1: unknown field `exeptions`"),
        "{message}"
    );
}

#[test]
fn editor_rules_replace_defaults_by_id_and_add_new_ones() {
    let editor = r#"
[[rule]]
id = "hedge"
kind = "hedge"
severity = "weak"
message = "Who says so? '{match}'"
terms = ["allegedly"]

[[rule]]
id = "house-hedges"
kind = "hedge"
severity = "weak"
message = "House style: '{match}' needs a source."
terms = ["it is whispered"]
"#;
    let base = Lexicon::embedded();
    let merged = Lexicon::embedded_with(&[("house.toml", editor)]).unwrap();
    assert_eq!(merged.rules().len(), base.rules().len() + 1);
    assert_eq!(merged.rule("hedge").unwrap().terms, vec!["allegedly"]);
    assert!(merged.rule("house-hedges").is_some());
    let found = matched(&merged, "it is whispered that he purportedly lied");
    assert!(
        found
            .iter()
            .any(|(w, id)| *w == "it is whispered" && id == "house-hedges")
    );
    assert!(!found.iter().any(|(w, _)| *w == "purportedly"));
}

#[test]
fn editor_file_errors_are_reported_not_merged() {
    let errors = Lexicon::embedded_with(&[("house.toml", "[[rule]]\nid = 3\n")]).unwrap_err();
    assert!(errors.to_string().starts_with("house.toml:2:"), "{errors}");
}

#[test]
fn every_rule_matches_its_own_examples() {
    let lexicon = Lexicon::embedded();
    let mut misses = Vec::new();
    for rule in lexicon.rules() {
        for example in &rule.examples {
            let hit = lexicon
                .scan(example)
                .iter()
                .any(|h| lexicon.rule_of(h).id == rule.id);
            if !hit {
                misses.push(format!("{} ({}): {example:?}", rule.id, rule.origin));
            }
        }
    }
    assert!(
        misses.is_empty(),
        "examples not matched:\n{}",
        misses.join("\n")
    );
}

#[test]
fn unknown_class_is_reported_at_its_term() {
    let text = "[[rule]]\nid = \"x\"\nkind = \"allegation-term\"\nseverity = \"flag\"\nmessage = \"m\"\nterms = [\"[take] {loot} from\"]\n";
    let error = Lexicon::parse("x.toml", text).unwrap_err().to_string();
    assert_eq!(
        error,
        "x.toml:6:10: term \"[take] {loot} from\": unknown word class {loot}"
    );
}

#[test]
fn patterns_match_inflections_slots_and_gaps() {
    let text = r#"
[[rule]]
id = "bribe-taking"
kind = "allegation-term"
severity = "flag"
message = "m"
terms = ["[take] {money} from", "on the take", "[pay] ~ to look the other way"]

[[class]]
name = "money"
terms = ["cash", "bribe", "brown envelope"]
"#;
    let lexicon = Lexicon::parse("p.toml", text).unwrap();
    let found = matched(
        &lexicon,
        "She took a brown envelope from him; he was on the take; they paid the guards to look the other way.",
    );
    let words: Vec<&str> = found.iter().map(|(w, _)| *w).collect();
    assert_eq!(
        words,
        vec![
            "took a brown envelope from",
            "on the take",
            "paid the guards to look the other way"
        ]
    );
    assert!(matched(&lexicon, "she took the kids from school").is_empty());
}
