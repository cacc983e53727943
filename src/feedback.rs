//! Feedback on the bot's warnings: a 👍 (useful) or 👎 (false alarm) reaction from the
//! author of the warned message or from an editor is recorded with the rules and
//! allegations that fired, in `data_dir/feedback.json`.
//!
//! One vote per person per warning: reacting again with the other thumb changes the vote,
//! and redacting the reaction takes it back. The counts per rule give the false-alarm
//! rate `!stats` shows and, when `[feedback] demote_threshold` is set, the rules demoted
//! from flag to weak (the arithmetic is in `copydesk_core::feedback`).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use copydesk_core::feedback::{DemotionPolicy, RuleFeedback, Vote};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::state_file;

pub const FILE_NAME: &str = "feedback.json";
/// Warnings remembered for feedback; reactions to older ones are not counted.
const WARNINGS_KEPT: usize = 5_000;

/// `[feedback]` in the configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeedbackSettings {
    /// Count 👍/👎 reactions on warnings.
    pub enabled: bool,
    /// Demote rules from flag to weak past this false-alarm rate; `None` never demotes.
    pub demotion: Option<DemotionPolicy>,
}

impl Default for FeedbackSettings {
    fn default() -> Self {
        FeedbackSettings {
            enabled: true,
            demotion: None,
        }
    }
}

/// A warning the bot posted, and the votes on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warned {
    /// The warning event.
    pub warning: String,
    /// The room of the warned message.
    pub room: String,
    /// Who wrote the warned message: they may vote.
    pub author: String,
    pub rules: Vec<String>,
    pub allegations: Vec<String>,
    pub day: Date,
    /// By voter.
    #[serde(default)]
    pub votes: BTreeMap<String, Cast>,
}

/// One person's vote on one warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cast {
    pub vote: Vote,
    /// The reaction event, so its redaction takes the vote back.
    pub reaction: String,
    pub day: Date,
}

/// What a reaction changed, for the audit log and the metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub vote: Vote,
    /// `false` when the vote was taken back.
    pub counted: bool,
    pub room: String,
    pub rules: Vec<String>,
    pub allegations: Vec<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    warnings: VecDeque<Warned>,
}

/// The warnings and their votes.
#[derive(Debug)]
pub struct FeedbackStore {
    path: PathBuf,
    saved: Saved,
}

impl FeedbackStore {
    /// Loads `data_dir/feedback.json`, or starts empty.
    pub fn load(data_dir: &Path) -> anyhow::Result<FeedbackStore> {
        let path = data_dir.join(FILE_NAME);
        Ok(FeedbackStore {
            saved: state_file::load(&path)?,
            path,
        })
    }

    pub fn save(&self) -> anyhow::Result<()> {
        state_file::save(&self.path, &self.saved)
    }

    /// Remembers a warning the bot posted so reactions to it can be counted.
    pub fn warned(&mut self, warned: Warned) {
        self.saved.warnings.push_back(warned);
        while self.saved.warnings.len() > WARNINGS_KEPT {
            self.saved.warnings.pop_front();
        }
    }

    /// Whether `event` is a warning the bot remembers.
    pub fn is_warning(&self, event: &str) -> bool {
        self.saved.warnings.iter().any(|w| w.warning == event)
    }

    /// A reaction `key` by `user` (an editor or not) on `warning`. Returns what was
    /// recorded, or `None` when the reaction is no vote, the event is no warning of ours,
    /// the user may not vote on it, or the vote is unchanged.
    pub fn react(
        &mut self,
        reaction: &str,
        warning: &str,
        user: &str,
        is_editor: bool,
        key: &str,
        day: Date,
    ) -> Option<Recorded> {
        let vote = Vote::from_reaction(key)?;
        let warned = self
            .saved
            .warnings
            .iter_mut()
            .rev()
            .find(|w| w.warning == warning)?;
        if !is_editor && warned.author != user {
            tracing::info!(%user, "a reaction from someone who is neither the author nor an editor; not counted");
            return None;
        }
        if warned.votes.get(user).is_some_and(|c| c.vote == vote) {
            return None;
        }
        warned.votes.insert(
            user.to_owned(),
            Cast {
                vote,
                reaction: reaction.to_owned(),
                day,
            },
        );
        Some(Recorded {
            vote,
            counted: true,
            room: warned.room.clone(),
            rules: warned.rules.clone(),
            allegations: warned.allegations.clone(),
        })
    }

    /// A redacted reaction: if it was a vote, the vote is taken back.
    pub fn unreact(&mut self, reaction: &str) -> Option<Recorded> {
        for warned in self.saved.warnings.iter_mut().rev() {
            let Some(user) = warned
                .votes
                .iter()
                .find(|(_, c)| c.reaction == reaction)
                .map(|(u, _)| u.clone())
            else {
                continue;
            };
            let cast = warned.votes.remove(&user)?;
            return Some(Recorded {
                vote: cast.vote,
                counted: false,
                room: warned.room.clone(),
                rules: warned.rules.clone(),
                allegations: warned.allegations.clone(),
            });
        }
        None
    }

    /// Votes per rule, cast on or after `since` (all of them for `None`). `warnings` is
    /// left at zero: the stats store counts those.
    pub fn per_rule(&self, since: Option<Date>) -> BTreeMap<String, RuleFeedback> {
        let mut rules: BTreeMap<String, RuleFeedback> = BTreeMap::new();
        for warned in &self.saved.warnings {
            for cast in warned.votes.values() {
                if since.is_some_and(|since| cast.day < since) {
                    continue;
                }
                for rule in &warned.rules {
                    rules.entry(rule.clone()).or_default().count(cast.vote);
                }
            }
        }
        rules
    }

    /// Rules whose false-alarm rate over every remembered vote passes `policy`.
    pub fn demoted(&self, policy: DemotionPolicy) -> BTreeSet<String> {
        self.per_rule(None)
            .into_iter()
            .filter(|(_, f)| policy.demotes(f))
            .map(|(rule, _)| rule)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn warned(warning: &str, rules: &[&str]) -> Warned {
        Warned {
            warning: warning.into(),
            room: "!r:localhost".into(),
            author: "@author:localhost".into(),
            rules: rules.iter().map(|r| r.to_string()).collect(),
            allegations: vec!["t/a".into()],
            day: date(2026, 11, 1),
            votes: BTreeMap::new(),
        }
    }

    #[test]
    fn authors_and_editors_vote_once_each_and_can_change_or_take_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = FeedbackStore::load(dir.path()).unwrap();
        store.warned(warned("$w", &["known-allegation"]));
        let day = date(2026, 11, 2);

        let r = store
            .react("$r1", "$w", "@author:localhost", false, "👎", day)
            .unwrap();
        assert_eq!(r.vote, Vote::FalseAlarm);
        assert_eq!(r.rules, ["known-allegation"]);
        // The same vote again changes nothing.
        assert!(
            store
                .react("$r2", "$w", "@author:localhost", false, "👎", day)
                .is_none()
        );
        // Someone else's reaction does not count; an editor's does.
        assert!(
            store
                .react("$r3", "$w", "@bystander:localhost", false, "👍", day)
                .is_none()
        );
        assert!(
            store
                .react("$r4", "$w", "@editor:localhost", true, "👍", day)
                .is_some()
        );
        // Not a vote, not a warning.
        assert!(
            store
                .react("$r5", "$w", "@editor:localhost", true, "🎉", day)
                .is_none()
        );
        assert!(
            store
                .react("$r6", "$x", "@editor:localhost", true, "👍", day)
                .is_none()
        );

        let rule = store.per_rule(None)["known-allegation"];
        assert_eq!((rule.useful, rule.false_alarms), (1, 1));

        // The editor changes their mind, then takes the vote back.
        store
            .react("$r7", "$w", "@editor:localhost", true, "👎", day)
            .unwrap();
        assert_eq!(store.per_rule(None)["known-allegation"].false_alarms, 2);
        let back = store.unreact("$r7").unwrap();
        assert!(!back.counted);
        assert!(store.unreact("$r7").is_none());
        store.save().unwrap();

        let store = FeedbackStore::load(dir.path()).unwrap();
        let rule = store.per_rule(None)["known-allegation"];
        assert_eq!((rule.useful, rule.false_alarms), (0, 1));
        assert!(store.per_rule(Some(date(2026, 11, 3))).is_empty());
    }

    #[test]
    fn a_rule_past_the_threshold_is_demoted() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = FeedbackStore::load(dir.path()).unwrap();
        let day = date(2026, 11, 2);
        for i in 0..3 {
            let w = format!("$w{i}");
            store.warned(warned(&w, &["hedge", "known-allegation"]));
            let key = if i == 0 { "👍" } else { "👎" };
            store.react(&format!("$r{i}"), &w, "@author:localhost", false, key, day);
        }
        let policy = DemotionPolicy {
            threshold: 0.6,
            min_votes: 3,
        };
        assert_eq!(
            store.demoted(policy),
            BTreeSet::from(["hedge".to_owned(), "known-allegation".to_owned()])
        );
        let strict = DemotionPolicy {
            threshold: 0.9,
            min_votes: 3,
        };
        assert!(store.demoted(strict).is_empty());
    }
}
