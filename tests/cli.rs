//! The `copydesk` binary as a user runs it: exit codes, output formats, error lines.

#[path = "support/process.rs"]
mod process;

use process::{copydesk, stderr, stdout};

fn write_temp(name: &str, contents: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    (dir, path)
}

#[test]
fn plain_copydesk_runs_the_console_on_the_embedded_knowledge() {
    let output = copydesk(&[], "!context bulgaria-schengen\n");
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("bulgaria-schengen"), "{text}");
    assert!(text.contains("Daniel Mitov"), "{text}");
    assert!(text.contains("Last reviewed "), "{text}");
    assert!(text.contains("https://"), "sources carry links: {text}");
}

#[test]
fn console_warns_on_unattributed_allegation_and_stays_quiet_on_attributed_one() {
    let output = copydesk(
        &["console"],
        "Mitov told The Times that Russian intelligence is helping people smugglers.\n\
         russian intelligence is helping people smugglers get migrants into the eu\n",
    );
    let text = stdout(&output);
    assert_eq!(text.matches("Attribution needed").count(), 1, "{text}");
    assert!(text.contains("Daniel Mitov"), "{text}");
    assert!(
        text.contains("alleged"),
        "suggests an attributed phrasing: {text}"
    );
}

#[test]
fn console_ignores_blank_lines() {
    let output = copydesk(&["console"], "\n   \n\t\n");
    assert!(output.status.success());
    assert_eq!(stdout(&output), "");
}

#[test]
fn check_json_gives_one_object_per_input_line_and_exit_1_when_flagged() {
    let output = copydesk(
        &["check", "--json"],
        "The press conference is at 3pm.\n\nRussia's spies are running the smuggling routes into the EU now\n",
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[0]["verdict"], "ok");
    assert_eq!(lines[1]["verdict"], "ok");
    assert_eq!(lines[2]["line"], 3);
    assert_eq!(lines[2]["verdict"], "flag");
    let finding = &lines[2]["findings"][0];
    assert_eq!(finding["allegation"]["made_by"]["name"], "Daniel Mitov");
}

#[test]
fn check_exits_0_when_nothing_needs_attention() {
    let (_dir, path) = write_temp(
        "msgs.txt",
        "Can someone call the ministry?\nThe summit starts on Monday.\n",
    );
    let output = copydesk(&["check", path.to_str().unwrap()], "");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(stdout(&output).contains("0 of 2 messages need attention"));
}

#[test]
fn context_for_misspelled_topic_suggests_and_exits_1() {
    let output = copydesk(&["context", "bulgaria-shengen"], "");
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("Did you mean"), "{text}");
    assert!(text.contains("bulgaria-schengen"), "{text}");
    assert_eq!(stderr(&output), "");
}

#[test]
fn context_shows_a_stale_notice_past_the_review_period() {
    let output = copydesk(
        &["context", "bulgaria-schengen", "--today", "2031-01-01"],
        "",
    );
    assert!(output.status.success());
    assert!(stdout(&output).contains("Stale"), "{}", stdout(&output));
    let fresh = copydesk(
        &["context", "bulgaria-schengen", "--today", "2026-11-03"],
        "",
    );
    assert!(!stdout(&fresh).contains("Stale"), "{}", stdout(&fresh));
}

#[test]
fn kb_check_accepts_the_example_file() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/knowledge.toml");
    let output = copydesk(&["kb", "check", example], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains(": ok ("));
}

#[test]
fn kb_check_reports_each_problem_with_file_line_and_column() {
    let (_dir, path) = write_temp(
        "bad.toml",
        "[[topic]]\nslug = \"x\"\ntitle = \"X\"\nsummary = \"s\"\nupdated = 2025-01-01\nsorces = []\n",
    );
    let output = copydesk(&["kb", "check", path.to_str().unwrap()], "");
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    let first = err.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("{}:6:1: ", path.display())),
        "{err}"
    );
    assert!(first.contains("sorces"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn missing_knowledge_file_is_a_one_line_error_with_exit_2() {
    let output = copydesk(&["check", "--knowledge", "/nonexistent/k.toml"], "hello\n");
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/k.toml"), "{err}");
}

#[test]
fn eval_json_reports_confusion_and_scores() {
    let cases = [
        r#"{"id":"a","text":"The governor took bribes from a contractor.","label":"flag","kind":"stripped","source":"mine"}"#,
        r#"{"id":"b","text":"The meeting starts at noon.","label":"ok","kind":"neutral","source":"mine"}"#,
        r#"{"id":"c","text":"The governor reportedly took bribes.","label":"weak","kind":"hedged","source":"mine"}"#,
    ]
    .join("\n");
    let (_dir, path) = write_temp("cases.jsonl", &cases);
    let output = copydesk(&["eval", path.to_str().unwrap(), "--json"], "");
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["cases"], 3);
    let total: u64 = report["confusion"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|row| row.as_object().unwrap().values())
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(total, 3);
    for label in ["flag", "weak", "alarm"] {
        for score in ["precision", "recall", "f1"] {
            assert!(
                report[label][score].is_number(),
                "{label}.{score} in {report}"
            );
        }
    }
}

#[test]
fn eval_text_prints_precision_and_recall_per_label() {
    let (_dir, path) = write_temp(
        "cases.jsonl",
        r#"{"id":"a","text":"The meeting starts at noon.","label":"ok","kind":"neutral","source":"mine"}"#,
    );
    let output = copydesk(&["eval", path.to_str().unwrap()], "");
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output).to_lowercase();
    for word in ["flag", "weak", "alarm", "precision", "recall"] {
        assert!(text.contains(word), "{word} missing from: {text}");
    }
}

#[test]
fn help_lists_the_product_commands_and_no_developer_tools() {
    let output = copydesk(&["--help"], "");
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for command in [
        "console", "context", "check", "kb", "eval", "run", "train", "audit",
    ] {
        assert!(
            text.contains(&format!("\n  {command} ")),
            "{command}: {text}"
        );
    }
    assert!(!text.contains("bench"), "{text}");
    let output = copydesk(&["bench"], "");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}
