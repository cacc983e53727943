//! Counters behind `!stats`: messages checked, commands answered, warnings by verdict, by
//! rule and by allegation, kept per day in `data_dir/stats.json` so a period (`today`,
//! `7d`, `all`) is a sum of days and the numbers survive restarts.
//!
//! Checking a message bumps a counter many times a minute in a busy newsroom, so the file
//! is written at most every [`SAVE_INTERVAL`] (and at shutdown), not on every message.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use copydesk_core::Verdict;
use copydesk_core::admin::{Period, Stats};
use copydesk_core::feedback::RuleFeedback;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::operations::state_file;

pub const FILE_NAME: &str = "stats.json";
/// The longest the file lags behind the counters.
pub const SAVE_INTERVAL: Duration = Duration::from_secs(30);
/// Days kept; `!stats all` covers this much.
const DAYS_KEPT: usize = 800;

/// One day's counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Day {
    pub messages_checked: u64,
    pub commands_answered: u64,
    /// Warnings by verdict (`flag`, `weak`).
    pub warnings: BTreeMap<String, u64>,
    /// Warnings each rule took part in.
    pub rules: BTreeMap<String, u64>,
    /// Warnings about each known allegation (`topic/id`).
    pub allegations: BTreeMap<String, u64>,
}

/// The counters, by day.
#[derive(Debug)]
pub struct StatsStore {
    path: PathBuf,
    days: BTreeMap<Date, Day>,
    dirty: bool,
    saved_at: Instant,
}

impl StatsStore {
    /// Loads `data_dir/stats.json`, or starts counting from zero.
    pub fn load(data_dir: &Path) -> anyhow::Result<StatsStore> {
        let path = data_dir.join(FILE_NAME);
        Ok(StatsStore {
            days: state_file::load(&path)?,
            path,
            dirty: false,
            saved_at: Instant::now(),
        })
    }

    fn day(&mut self, day: Date) -> &mut Day {
        self.dirty = true;
        self.days.entry(day).or_default()
    }

    pub fn checked(&mut self, day: Date) {
        self.day(day).messages_checked += 1;
    }

    pub fn answered(&mut self, day: Date) {
        self.day(day).commands_answered += 1;
    }

    /// A warning was posted: its verdict, the rules that fired, the allegations it names.
    pub fn warned(
        &mut self,
        day: Date,
        verdict: Verdict,
        rules: &[String],
        allegations: &[String],
    ) {
        let d = self.day(day);
        *d.warnings.entry(verdict.as_str().to_owned()).or_default() += 1;
        for rule in rules {
            *d.rules.entry(rule.clone()).or_default() += 1;
        }
        for allegation in allegations {
            *d.allegations.entry(allegation.clone()).or_default() += 1;
        }
    }

    /// The counts over `period` ending `today`, as the core's `Stats` (without feedback;
    /// see [`compose`]).
    pub fn totals(&self, period: Period, today: Date) -> Stats {
        let first = period.first_day(today);
        let mut stats = Stats::default();
        for (_, day) in self
            .days
            .iter()
            .filter(|(d, _)| first.is_none_or(|first| **d >= first) && **d <= today)
        {
            stats.messages_checked += day.messages_checked;
            stats.commands_answered += day.commands_answered;
            for (verdict, n) in &day.warnings {
                if let Ok(v) = verdict.parse::<Verdict>() {
                    *stats.warnings.entry(v).or_default() += n;
                }
            }
            for (rule, n) in &day.rules {
                stats.rules.entry(rule.clone()).or_default().warnings += n;
            }
            for (allegation, n) in &day.allegations {
                *stats.allegations.entry(allegation.clone()).or_default() += n;
            }
        }
        stats
    }

    /// Writes the file if anything changed since the last save at least
    /// [`SAVE_INTERVAL`] ago.
    pub fn save_soon(&mut self) -> anyhow::Result<()> {
        if self.dirty && self.saved_at.elapsed() >= SAVE_INTERVAL {
            self.save()?;
        }
        Ok(())
    }

    /// Writes the file now (at shutdown, or after a warning).
    pub fn save(&mut self) -> anyhow::Result<()> {
        while self.days.len() > DAYS_KEPT {
            self.days.pop_first();
        }
        state_file::save(&self.path, &self.days)?;
        self.dirty = false;
        self.saved_at = Instant::now();
        Ok(())
    }
}

/// Everything `!stats` shows for `period`: the counters, the feedback on warnings in the
/// period, and the rules feedback has demoted.
pub fn compose(
    stats: &StatsStore,
    votes_per_rule: BTreeMap<String, RuleFeedback>,
    demoted: BTreeSet<String>,
    period: Period,
    today: Date,
) -> Stats {
    let mut totals = stats.totals(period, today);
    for (rule, votes) in votes_per_rule {
        let entry = totals.rules.entry(rule).or_default();
        entry.useful += votes.useful;
        entry.false_alarms += votes.false_alarms;
    }
    totals.demoted = demoted.into_iter().collect();
    totals
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn periods_add_up_days_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = StatsStore::load(dir.path()).unwrap();
        let (old, yesterday, today) = (date(2026, 10, 1), date(2026, 11, 25), date(2026, 11, 26));
        store.checked(old);
        store.checked(yesterday);
        store.checked(today);
        store.checked(today);
        store.answered(today);
        store.warned(
            today,
            Verdict::Flag,
            &["known-allegation".into()],
            &["t/a".into()],
        );
        store.warned(yesterday, Verdict::Weak, &["hedge".into()], &[]);
        store.save().unwrap();

        let store = StatsStore::load(dir.path()).unwrap();
        let day = store.totals(Period::Days(1), today);
        assert_eq!(day.messages_checked, 2);
        assert_eq!(day.commands_answered, 1);
        assert_eq!(day.warnings.get(&Verdict::Flag), Some(&1));
        assert_eq!(day.warnings.get(&Verdict::Weak), None);
        assert_eq!(day.rules["known-allegation"].warnings, 1);
        assert_eq!(day.allegations["t/a"], 1);
        let week = store.totals(Period::Days(7), today);
        assert_eq!(week.messages_checked, 3);
        assert_eq!(week.warnings.get(&Verdict::Weak), Some(&1));
        assert_eq!(store.totals(Period::All, today).messages_checked, 4);
    }
}
