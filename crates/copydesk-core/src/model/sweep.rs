//! The checker with and without a model, over thresholds: what `copydesk eval` reports so
//! an editor can pick the threshold that trades false alarms for missed allegations.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::checker::{AllegationScorer, Checker};
use crate::eval::{self, Case, Scores};
use crate::knowledge::KnowledgeBase;

use super::Model;

/// Thresholds reported when the caller names none.
pub const DEFAULT_THRESHOLDS: &[f32] = &[0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/// The scores at one setting: rules only (`threshold: None`) or rules + model.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SweepPoint {
    pub threshold: Option<f32>,
    pub flag: Scores,
    pub weak: Scores,
    pub alarm: Scores,
    /// Cases the model decided (its rule id is the deciding finding) that are `ok`.
    pub model_false_alarms: usize,
    /// Cases the model decided that are `flag` or `weak`.
    pub model_true_alarms: usize,
}

/// A model shared between thresholds without copying its weights.
struct Thresholded {
    model: Arc<Model>,
    threshold: f32,
}

impl AllegationScorer for Thresholded {
    fn score(&self, sentence: &str, cues: &[String]) -> f32 {
        self.model.score(sentence, cues)
    }
    fn threshold(&self) -> f32 {
        self.threshold
    }
    fn rule_id(&self) -> &str {
        self.model.rule_id()
    }
}

/// Runs `checker` (which should have no scorer) on `cases` as it is, then with `model`
/// at each threshold.
pub fn threshold_sweep(
    checker: &Checker,
    model: Arc<Model>,
    kb: &KnowledgeBase,
    cases: &[Case],
    thresholds: &[f32],
) -> Vec<SweepPoint> {
    let point = |checker: &Checker, threshold: Option<f32>| {
        let report = eval::evaluate(checker, kb, cases);
        let (mut false_alarms, mut true_alarms) = (0, 0);
        if threshold.is_some() {
            for case in cases {
                let message = checker.check(kb, &case.text);
                let by_model = message
                    .alarms()
                    .any(|f| f.rule == model.rule_id() && f.verdict == message.verdict());
                if by_model {
                    if case.label == crate::Verdict::Ok {
                        false_alarms += 1;
                    } else {
                        true_alarms += 1;
                    }
                }
            }
        }
        SweepPoint {
            threshold,
            flag: report.flag,
            weak: report.weak,
            alarm: report.alarm,
            model_false_alarms: false_alarms,
            model_true_alarms: true_alarms,
        }
    };
    let mut out = vec![point(checker, None)];
    for &t in thresholds {
        let scorer = Thresholded {
            model: Arc::clone(&model),
            threshold: t,
        };
        let with = checker.clone().with_scorer(Arc::new(scorer));
        out.push(point(&with, Some(t)));
    }
    out
}

/// A plain-text table of a sweep.
pub fn render_sweep(points: &[SweepPoint]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "model       alarm P  alarm R  alarm F1   flag P  flag R   weak P  weak R   model +/-"
    );
    for p in points {
        let setting = match p.threshold {
            None => "rules only".to_owned(),
            Some(t) => format!("t = {t:.2}"),
        };
        let _ = writeln!(
            out,
            "{setting:<10}  {:>7.3}  {:>7.3}  {:>8.3}   {:>6.3}  {:>6.3}   {:>6.3}  {:>6.3}   {:>4}/{:<4}",
            p.alarm.precision,
            p.alarm.recall,
            p.alarm.f1,
            p.flag.precision,
            p.flag.recall,
            p.weak.precision,
            p.weak.recall,
            p.model_true_alarms,
            p.model_false_alarms,
        );
    }
    out
}
