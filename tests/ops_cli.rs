//! `copydesk audit` as an operator runs it: the summary of the audit log the bot keeps in
//! its data_dir, rotated files included, and the error when there is none.

#[path = "support/process.rs"]
mod process;

use process::{copydesk, stderr, stdout};

fn record(time: &str, action: &str, room: &str, rule: &str, extra: &str) -> String {
    format!(
        r#"{{"time":"{time}","action":"{action}","room":"{room}","event":"$e","sender":"@j:localhost","rules":["{rule}"]{extra}}}"#
    )
}

/// A data_dir with a rotated file and the current one.
fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let older = [
        record(
            "2026-11-01T09:00:00Z",
            "warn",
            "!news:localhost",
            "known-allegation",
            r#","verdict":"flag""#,
        ),
        record(
            "2026-11-01T10:00:00Z",
            "warn",
            "!news:localhost",
            "hedge",
            r#","verdict":"weak""#,
        ),
    ];
    let newer = [
        record("2026-11-02T09:00:00Z", "warn", "!politics:localhost", "known-allegation", r#","verdict":"flag""#),
        record("2026-11-02T09:05:00Z", "feedback", "!politics:localhost", "known-allegation", r#","detail":"false-alarm""#),
        r#"{"time":"2026-11-02T11:00:00Z","action":"mode","room":"!news:localhost","detail":"off"}"#.to_owned(),
    ];
    std::fs::write(dir.path().join("audit.jsonl.1"), older.join("\n") + "\n").unwrap();
    std::fs::write(dir.path().join("audit.jsonl"), newer.join("\n") + "\n").unwrap();
    dir
}

#[test]
fn audit_summarises_a_data_dir_per_day_rule_and_room() {
    let dir = data_dir();
    let out = copydesk(&["audit", "--data-dir", dir.path().to_str().unwrap()], "");
    let stdout = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout.starts_with("5 records: 1 feedback, 1 mode, 3 warn\n"),
        "{stdout}"
    );
    let row = |key: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no row {key} in\n{stdout}"))
            .split_whitespace()
            .skip(1)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    // warnings flag weak withdrawn useful false-alarm admin
    assert_eq!(row("2026-11-01"), ["2", "1", "1", "0", "0", "0", "0"]);
    assert_eq!(row("2026-11-02"), ["1", "1", "0", "0", "0", "1", "1"]);
    assert_eq!(row("known-allegation"), ["2", "2", "0", "0", "0", "1", "0"]);
    assert_eq!(row("!news:localhost"), ["2", "1", "1", "0", "0", "0", "1"]);
}

#[test]
fn audit_reads_one_file_and_prints_json() {
    let dir = data_dir();
    let file = dir.path().join("audit.jsonl.1");
    let out = copydesk(&["audit", "--json", file.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["records"], 2);
    assert_eq!(summary["rules"]["hedge"]["weak"], 1);
    assert_eq!(summary["rooms"]["!news:localhost"]["warnings"], 2);
}

#[test]
fn audit_without_a_log_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = copydesk(&["audit", "--data-dir", dir.path().to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr(&out);
    assert!(stderr.starts_with("copydesk: no audit log in "), "{stderr}");
    let out = copydesk(&["audit"], "");
    assert_eq!(out.status.code(), Some(2), "clap's usage error");
}
