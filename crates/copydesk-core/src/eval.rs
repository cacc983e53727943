//! Scoring the checker against labeled cases (the `../shared/eval` format).
//!
//! Pure: the caller reads the JSONL file and prints the report. `parse_cases` turns the
//! text into cases (every bad line reported as `file:line:column`), `evaluate` runs the
//! checker over them and computes the confusion matrix, precision/recall/F1 for `flag`,
//! for `weak` and for `alarm` (flag or weak, against ok), and the failures by kind.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::checker::{Checker, MessageReport, SentenceReport, Test, Verdict};
use crate::knowledge::KnowledgeBase;
use crate::location::{Located, LocatedErrors};

/// One labeled message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    pub id: String,
    pub text: String,
    pub label: Verdict,
    /// attributed | stripped | hedged | neutral | chat (free text: other kinds are kept).
    pub kind: String,
    pub source: String,
}

#[derive(Deserialize)]
struct RawCase {
    id: String,
    text: String,
    label: String,
    kind: String,
    #[serde(default)]
    source: String,
}

/// Parses JSON Lines cases. Blank lines are skipped; every bad line is reported.
pub fn parse_cases(origin: &str, text: &str) -> Result<Vec<Case>, LocatedErrors> {
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut line_start = 0;
    for (n, line) in text.split('\n').enumerate() {
        let start = line_start;
        line_start += line.len() + 1;
        if line.trim().is_empty() {
            continue;
        }
        let raw: RawCase = match serde_json::from_str(line) {
            Ok(raw) => raw,
            Err(e) => {
                let column_bytes = line
                    .char_indices()
                    .nth(e.column().saturating_sub(1))
                    .map_or(line.len(), |(i, _)| i);
                errors.push(Located::at(
                    origin,
                    text,
                    Some(start + column_bytes..start + column_bytes),
                    format!("bad case: {e}"),
                ));
                continue;
            }
        };
        let at = |key: &str| {
            let offset = line.find(&format!("\"{key}\"")).unwrap_or(0);
            Some(start + offset..start + offset)
        };
        let label = match raw.label.parse::<Verdict>() {
            Ok(label) => label,
            Err(m) => {
                errors.push(Located::at(
                    origin,
                    text,
                    at("label"),
                    format!("label: {m}"),
                ));
                continue;
            }
        };
        if let Some(first) = ids.insert(raw.id.clone(), n + 1) {
            errors.push(Located::at(
                origin,
                text,
                at("id"),
                format!("duplicate case id {:?} (first on line {first})", raw.id),
            ));
            continue;
        }
        cases.push(Case {
            id: raw.id,
            text: raw.text,
            label,
            kind: raw.kind,
            source: raw.source,
        });
    }
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(LocatedErrors(errors))
    }
}

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Scores {
    fn from_counts(true_pos: usize, predicted: usize, actual: usize) -> Scores {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let precision = ratio(true_pos, predicted);
        let recall = ratio(true_pos, actual);
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Scores {
            precision,
            recall,
            f1,
        }
    }
}

/// A case the checker got wrong.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    pub id: String,
    pub kind: String,
    pub gold: Verdict,
    pub predicted: Verdict,
    /// The rule behind the prediction, if any fired.
    pub rule: Option<String>,
    /// The test that decided the worst sentence, and the classifier's score if asked.
    pub decided_by: Option<Test>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    pub text: String,
}

/// The result of an evaluation run. Its JSON is
/// `{"cases": N, "confusion": {gold: {predicted: n}}, "flag": {...}, "weak": {...},
/// "alarm": {...}, "failures": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub cases: usize,
    pub confusion: BTreeMap<&'static str, BTreeMap<&'static str, usize>>,
    pub flag: Scores,
    pub weak: Scores,
    pub alarm: Scores,
    pub failures: Vec<Failure>,
}

const VERDICTS: [Verdict; 3] = [Verdict::Ok, Verdict::Weak, Verdict::Flag];

/// Runs `checker` over every case and scores it.
pub fn evaluate(checker: &Checker, kb: &KnowledgeBase, cases: &[Case]) -> Report {
    let predictions: Vec<MessageReport> =
        cases.iter().map(|c| checker.check(kb, &c.text)).collect();
    let pairs: Vec<(Verdict, Verdict)> = cases
        .iter()
        .zip(&predictions)
        .map(|(c, p)| (c.label, p.verdict()))
        .collect();

    let mut confusion: BTreeMap<&'static str, BTreeMap<&'static str, usize>> = VERDICTS
        .iter()
        .map(|g| {
            (
                g.as_str(),
                VERDICTS.iter().map(|p| (p.as_str(), 0)).collect(),
            )
        })
        .collect();
    for (gold, predicted) in &pairs {
        *confusion
            .get_mut(gold.as_str())
            .and_then(|row| row.get_mut(predicted.as_str()))
            .expect("every verdict has a cell") += 1;
    }

    let scores = |is: &dyn Fn(Verdict) -> bool| {
        let true_pos = pairs.iter().filter(|(g, p)| is(*g) && is(*p)).count();
        let predicted = pairs.iter().filter(|(_, p)| is(*p)).count();
        let actual = pairs.iter().filter(|(g, _)| is(*g)).count();
        Scores::from_counts(true_pos, predicted, actual)
    };

    let failures = cases
        .iter()
        .zip(&predictions)
        .filter(|(c, p)| c.label != p.verdict())
        .map(|(c, p)| Failure {
            id: c.id.clone(),
            kind: c.kind.clone(),
            gold: c.label,
            predicted: p.verdict(),
            rule: deciding_rule(p),
            decided_by: deciding(p).and_then(|s| s.findings.first().map(|f| f.decided_by)),
            score: deciding(p).and_then(|s| s.score),
            text: c.text.clone(),
        })
        .collect();

    Report {
        cases: cases.len(),
        confusion,
        flag: scores(&|v| v == Verdict::Flag),
        weak: scores(&|v| v == Verdict::Weak),
        alarm: scores(&|v| v > Verdict::Ok),
        failures,
    }
}

/// The first sentence with the message's verdict.
fn deciding(report: &MessageReport) -> Option<&SentenceReport> {
    let verdict = report.verdict();
    report.sentences.iter().find(|s| s.verdict == verdict)
}

/// The rule of the first finding with the message's verdict.
fn deciding_rule(report: &MessageReport) -> Option<String> {
    let verdict = report.verdict();
    report
        .sentences
        .iter()
        .filter(|s| s.verdict == verdict)
        .flat_map(|s| &s.findings)
        .find(|f| f.verdict == verdict)
        .map(|f| f.rule.clone())
}

impl Report {
    /// Failures grouped by case kind, kinds in alphabetical order.
    pub fn failures_by_kind(&self) -> BTreeMap<&str, Vec<&Failure>> {
        let mut by_kind: BTreeMap<&str, Vec<&Failure>> = BTreeMap::new();
        for f in &self.failures {
            by_kind.entry(f.kind.as_str()).or_default().push(f);
        }
        by_kind
    }

    /// A plain-text report: confusion matrix, scores, failures by kind (texts cut to
    /// `width` characters).
    pub fn render(&self, width: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{} cases", self.cases);
        let _ = writeln!(out);
        let _ = writeln!(out, "gold \\ predicted      ok    weak    flag");
        for gold in VERDICTS {
            let row = &self.confusion[gold.as_str()];
            let _ = writeln!(
                out,
                "{:<18} {:>6}  {:>6}  {:>6}",
                gold.as_str(),
                row["ok"],
                row["weak"],
                row["flag"]
            );
        }
        let _ = writeln!(out);
        for (name, s) in [
            ("flag", self.flag),
            ("weak", self.weak),
            ("alarm", self.alarm),
        ] {
            let _ = writeln!(
                out,
                "{name:<6} precision {:.3}  recall {:.3}  F1 {:.3}",
                s.precision, s.recall, s.f1
            );
        }
        for (kind, failures) in self.failures_by_kind() {
            let _ = writeln!(out);
            let _ = writeln!(out, "{kind}: {} failures", failures.len());
            for f in failures {
                let test = f.decided_by.map_or_else(String::new, |t| {
                    serde_json::to_value(t)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                });
                let score = f.score.map_or_else(String::new, |s| format!(" {s:.2}"));
                let _ = writeln!(
                    out,
                    "  {:<10} gold {:<4} got {:<4} {:<22} {:<18} {}",
                    f.id,
                    f.gold.as_str(),
                    f.predicted.as_str(),
                    f.rule.as_deref().unwrap_or("-"),
                    format!("{test}{score}"),
                    truncate(&f.text, width)
                );
            }
        }
        out
    }
}

/// One line per case file: alarm precision and recall, flag and weak recall, and how many
/// `ok` cases raised an alarm.
pub fn render_summary(reports: &[(String, Report)]) -> String {
    let mut out = String::new();
    let width = reports
        .iter()
        .map(|(name, _)| name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        out,
        "{:<width$}  cases  alarm P  alarm R  flag R  weak R  ok alarmed",
        "file"
    );
    for (name, report) in reports {
        let ok = &report.confusion["ok"];
        let ok_total: usize = ok.values().sum();
        let ok_alarmed = ok["weak"] + ok["flag"];
        let rate = if ok_total == 0 {
            0.0
        } else {
            100.0 * ok_alarmed as f64 / ok_total as f64
        };
        let recall = |s: Scores, gold: &str| {
            if report.confusion[gold].values().sum::<usize>() == 0 {
                "     -".to_owned()
            } else {
                format!("{:>6.3}", s.recall)
            }
        };
        let _ = writeln!(
            out,
            "{name:<width$}  {:>5}  {:>7.3}  {:>7.3}  {}  {}  {ok_alarmed}/{ok_total} ({rate:.1}%)",
            report.cases,
            report.alarm.precision,
            report.alarm.recall,
            recall(report.flag, "flag"),
            recall(report.weak, "weak"),
        );
    }
    out
}

fn truncate(text: &str, width: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= width {
        return flat;
    }
    let cut: String = flat.chars().take(width.saturating_sub(1)).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb() -> KnowledgeBase {
        KnowledgeBase::parse("empty.toml", "").expect("an empty knowledge file parses")
    }

    #[test]
    fn bad_case_lines_report_line_and_column() {
        let text = concat!(
            r#"{"id": "a", "text": "The mayor opened the bridge.", "label": "ok", "kind": "neutral"}"#,
            "\n",
            r#"{"id": "b", "text": "x", "label": "maybe", "kind": "neutral"}"#,
            "\n",
            r#"{"id": "c", "text": "x" "label": "ok"}"#,
            "\n"
        );
        let errors = parse_cases("cases.jsonl", text).unwrap_err();
        assert_eq!(errors.0.len(), 2);
        assert_eq!((errors.0[0].line, errors.0[0].column), (2, 26));
        assert!(errors.0[0].message.contains("unknown verdict"));
        assert_eq!(errors.0[1].line, 3);
        assert!(errors.0[1].column > 1);
    }

    #[test]
    fn report_counts_and_scores_alarm_classes() {
        let text = [
            r#"{"id": "1", "text": "The governor embezzled the pension fund.", "label": "flag", "kind": "stripped"}"#,
            r#"{"id": "2", "text": "The governor allegedly embezzled the pension fund.", "label": "weak", "kind": "hedged"}"#,
            r#"{"id": "3", "text": "The auditor said the governor embezzled the pension fund.", "label": "ok", "kind": "attributed"}"#,
            r#"{"id": "4", "text": "The bridge opens on Monday.", "label": "flag", "kind": "stripped"}"#,
        ]
        .join("\n");
        let cases = parse_cases("c.jsonl", &text).unwrap();
        let report = evaluate(&Checker::default(), &kb(), &cases);
        assert_eq!(report.cases, 4);
        assert_eq!(report.confusion["flag"]["flag"], 1);
        assert_eq!(report.confusion["flag"]["ok"], 1);
        assert_eq!(report.confusion["weak"]["weak"], 1);
        assert_eq!(report.confusion["ok"]["ok"], 1);
        assert_eq!(report.flag.precision, 1.0);
        assert_eq!(report.flag.recall, 0.5);
        assert_eq!(report.alarm.precision, 1.0);
        assert_eq!(report.failures.len(), 1);
        assert_eq!(report.failures[0].id, "4");

        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["cases"], 4);
        assert_eq!(json["confusion"]["flag"]["ok"], 1);
        assert!(json["alarm"]["f1"].as_f64().is_some());
        let rendered = report.render(40);
        assert!(rendered.contains("stripped: 1 failures"));
        assert!(rendered.contains("alarm  precision 1.000"));
    }
}
