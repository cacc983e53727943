//! Feedback on warnings: false-alarm rates per rule, and demoting a rule that editors
//! keep marking as a false alarm from `flag` to `weak`.
//!
//! The connector records the reactions (👍 useful, 👎 false alarm) and keeps the counts;
//! the arithmetic and the demotion itself live here so they are the same everywhere.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::checker::{MessageReport, Verdict};

/// What a reaction on a warning says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Vote {
    Useful,
    FalseAlarm,
}

impl Vote {
    /// The vote a reaction key stands for: 👍 useful, 👎 false alarm (with or without a
    /// skin-tone modifier or variation selector); anything else is no vote.
    pub fn from_reaction(key: &str) -> Option<Vote> {
        let base: String = key
            .chars()
            .filter(|c| !matches!(c, '\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}'))
            .collect();
        match base.as_str() {
            "👍" | "+1" | ":+1:" | ":thumbsup:" => Some(Vote::Useful),
            "👎" | "-1" | ":-1:" | ":thumbsdown:" => Some(Vote::FalseAlarm),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Vote::Useful => "useful",
            Vote::FalseAlarm => "false-alarm",
        }
    }
}

/// Warnings a rule took part in, and the votes on them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFeedback {
    pub warnings: u64,
    pub useful: u64,
    pub false_alarms: u64,
}

impl RuleFeedback {
    pub fn votes(&self) -> u64 {
        self.useful + self.false_alarms
    }

    /// False alarms among the votes, from 0 to 1; `None` before the first vote.
    pub fn false_alarm_rate(&self) -> Option<f64> {
        let votes = self.votes();
        (votes > 0).then(|| self.false_alarms as f64 / votes as f64)
    }

    pub fn add(&mut self, other: &RuleFeedback) {
        self.warnings += other.warnings;
        self.useful += other.useful;
        self.false_alarms += other.false_alarms;
    }

    pub fn count(&mut self, vote: Vote) {
        match vote {
            Vote::Useful => self.useful += 1,
            Vote::FalseAlarm => self.false_alarms += 1,
        }
    }
}

/// When a rule is demoted: a false-alarm rate of at least `threshold` over at least
/// `min_votes` votes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemotionPolicy {
    pub threshold: f64,
    pub min_votes: u64,
}

impl DemotionPolicy {
    pub fn demotes(&self, feedback: &RuleFeedback) -> bool {
        feedback.votes() >= self.min_votes.max(1)
            && feedback
                .false_alarm_rate()
                .is_some_and(|rate| rate >= self.threshold)
    }
}

/// `report` with every `flag` finding of a rule in `demoted` lowered to `weak`; sentence
/// verdicts are recomputed from their findings.
pub fn demote(mut report: MessageReport, demoted: &HashSet<String>) -> MessageReport {
    if demoted.is_empty() {
        return report;
    }
    for sentence in &mut report.sentences {
        let mut changed = false;
        for finding in &mut sentence.findings {
            if finding.verdict == Verdict::Flag && demoted.contains(&finding.rule) {
                finding.verdict = Verdict::Weak;
                changed = true;
            }
        }
        if changed {
            sentence.settle_verdict();
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Checker;
    use crate::fixtures::example_knowledge;

    #[test]
    fn thumbs_are_votes_whatever_the_skin_tone() {
        assert_eq!(Vote::from_reaction("👍"), Some(Vote::Useful));
        assert_eq!(Vote::from_reaction("👍🏽"), Some(Vote::Useful));
        assert_eq!(Vote::from_reaction("👎️"), Some(Vote::FalseAlarm));
        assert_eq!(Vote::from_reaction("🎉"), None);
    }

    #[test]
    fn false_alarm_rate_and_demotion() {
        let f = RuleFeedback {
            warnings: 10,
            useful: 1,
            false_alarms: 3,
        };
        assert_eq!(f.false_alarm_rate(), Some(0.75));
        assert_eq!(RuleFeedback::default().false_alarm_rate(), None);
        let policy = DemotionPolicy {
            threshold: 0.7,
            min_votes: 4,
        };
        assert!(policy.demotes(&f));
        assert!(!policy.demotes(&RuleFeedback {
            false_alarms: 3,
            ..RuleFeedback::default()
        }));
    }

    #[test]
    fn a_demoted_rule_flags_no_more() {
        let report = Checker::default().check(
            &example_knowledge(),
            "so russian intelligence is basically helping the smugglers",
        );
        assert_eq!(report.verdict(), Verdict::Flag);
        let rule = report.alarms().next().unwrap().rule.clone();
        let demoted = demote(report.clone(), &HashSet::from([rule]));
        assert_eq!(demoted.verdict(), Verdict::Weak);
        let untouched = demote(report, &HashSet::from(["other".to_owned()]));
        assert_eq!(untouched.verdict(), Verdict::Flag);
    }
}
