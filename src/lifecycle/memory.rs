//! What the bot remembers across restarts, in one file, `data_dir/memory.json`: whether
//! the first start's backlog was skipped, which events it has handled, and the warnings
//! it posted with the votes cast on them. Only ids, rule names and votes: never message
//! text.
//!
//! A warning is remembered for three reasons: an edit or a deletion of the message may
//! take it back; the same known allegation is warned about once per thread; and a
//! 👍/👎 on it is feedback on the rules that fired. A withdrawn warning stays (marked)
//! for its votes, and no longer counts for the first two.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use copydesk_core::feedback::{DemotionPolicy, RuleFeedback, Vote};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::operations::state_file;

pub const FILE_NAME: &str = "memory.json";
/// The feedback file of earlier versions, folded into the memory once.
const OLD_FEEDBACK_FILE: &str = "feedback.json";
/// How many handled event ids are kept: far more than one sync can deliver again.
const HANDLED_LIMIT: usize = 2_000;
/// How many warnings are kept; reactions to older ones are not counted, edits of their
/// messages not followed.
const WARNINGS_KEPT: usize = 5_000;

/// A warning the bot posted about a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarningRecord {
    /// The room of the message the warning is about.
    pub room: String,
    /// The message the warning is about.
    pub message: String,
    /// Who wrote it: only they may edit it, and they (or an editor) may vote.
    pub sender: String,
    /// The thread the message belongs to: its thread root, or the message itself.
    pub thread: String,
    /// Known allegations (`topic/id`) the warning covers.
    pub allegations: Vec<String>,
    /// Where the warning was posted: the same room, or the editors' room.
    pub posted_in: String,
    /// The warning's own event.
    pub warning: String,
    /// The rules that fired.
    #[serde(default)]
    pub rules: Vec<String>,
    /// `flag` or `weak`.
    #[serde(default)]
    pub verdict: Option<String>,
    /// When it was posted.
    #[serde(default)]
    pub day: Option<Date>,
    /// Votes by voter.
    #[serde(default)]
    pub votes: BTreeMap<String, Cast>,
    /// Taken back (the message was edited or deleted, or someone removed the warning).
    #[serde(default)]
    pub withdrawn: bool,
}

/// One person's vote on one warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cast {
    pub vote: Vote,
    /// The reaction event, so its removal takes the vote back.
    pub reaction: String,
    pub day: Date,
}

/// A vote cast, changed or taken back.
#[derive(Debug, Clone, PartialEq)]
pub struct VoteChange {
    pub vote: Vote,
    /// `false` when the vote was taken back.
    pub counted: bool,
    /// The room of the warned message.
    pub room: String,
    pub warning: String,
    pub rules: Vec<String>,
    pub allegations: Vec<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    #[serde(default)]
    caught_up: bool,
    /// Handled events (the name is the file's from before the lifecycle had its own).
    #[serde(default)]
    acted_on: VecDeque<String>,
    #[serde(default)]
    warnings: VecDeque<WarningRecord>,
}

/// The bot's memory, loaded from and saved to one JSON file.
#[derive(Debug)]
pub struct Memory {
    path: PathBuf,
    saved: Saved,
    handled: HashSet<String>,
}

impl Memory {
    /// Loads `data_dir/memory.json`, or starts empty. A damaged file is moved aside and
    /// the bot starts afresh. An earlier version's `feedback.json` is folded in once (and
    /// renamed `feedback.json.imported`), so no vote is lost on an upgrade.
    pub fn load(data_dir: &Path) -> anyhow::Result<Memory> {
        let path = data_dir.join(FILE_NAME);
        let saved: Saved = state_file::load(&path)?;
        let handled = saved.acted_on.iter().cloned().collect();
        let mut memory = Memory {
            path,
            saved,
            handled,
        };
        let old_feedback = data_dir.join(OLD_FEEDBACK_FILE);
        if old_feedback.exists() {
            memory.import_feedback(&old_feedback)?;
        }
        Ok(memory)
    }

    /// Writes the memory: a new file renamed over the old, so a crash mid-write leaves
    /// the previous version.
    pub fn save(&self) -> anyhow::Result<()> {
        state_file::save(&self.path, &self.saved)
    }

    pub fn caught_up(&self) -> bool {
        self.saved.caught_up
    }

    pub fn set_caught_up(&mut self) {
        self.saved.caught_up = true;
    }

    pub fn has_handled(&self, event: &str) -> bool {
        self.handled.contains(event)
    }

    /// Records that the bot handles `event` (then save, before acting on it).
    pub fn record_handled(&mut self, event: &str) {
        if !self.handled.insert(event.to_owned()) {
            return;
        }
        self.saved.acted_on.push_back(event.to_owned());
        while self.saved.acted_on.len() > HANDLED_LIMIT {
            if let Some(old) = self.saved.acted_on.pop_front() {
                self.handled.remove(&old);
            }
        }
    }

    /// The live (not withdrawn) warning about `message`.
    pub fn warning_about(&self, message: &str) -> Option<&WarningRecord> {
        self.saved
            .warnings
            .iter()
            .rev()
            .find(|w| !w.withdrawn && w.message == message)
    }

    /// Known allegations already warned about in `thread` of `room` by live warnings,
    /// except the one about `except` (the message being re-checked after an edit).
    pub fn warned_in_thread(
        &self,
        room: &str,
        thread: &str,
        except: Option<&str>,
    ) -> HashSet<String> {
        self.saved
            .warnings
            .iter()
            .filter(|w| !w.withdrawn && w.room == room && w.thread == thread)
            .filter(|w| Some(w.message.as_str()) != except)
            .flat_map(|w| w.allegations.iter().cloned())
            .collect()
    }

    pub fn add_warning(&mut self, warning: WarningRecord) {
        self.saved.warnings.push_back(warning);
        while self.saved.warnings.len() > WARNINGS_KEPT {
            self.saved.warnings.pop_front();
        }
    }

    /// Replaces the live warning about the same message (its text was updated).
    pub fn replace_warning(&mut self, warning: WarningRecord) {
        match self
            .saved
            .warnings
            .iter_mut()
            .rev()
            .find(|w| !w.withdrawn && w.message == warning.message)
        {
            Some(existing) => {
                let votes = std::mem::take(&mut existing.votes);
                *existing = WarningRecord { votes, ..warning };
            }
            None => self.add_warning(warning),
        }
    }

    /// Marks the live warning about `message` withdrawn and returns it.
    pub fn withdraw_about(&mut self, message: &str) -> Option<WarningRecord> {
        let warning = self
            .saved
            .warnings
            .iter_mut()
            .rev()
            .find(|w| !w.withdrawn && w.message == message)?;
        warning.withdrawn = true;
        Some(warning.clone())
    }

    /// Marks the live warning whose own event is `warning` withdrawn (someone removed
    /// it) and returns it.
    pub fn withdraw_warning_event(&mut self, warning: &str) -> Option<WarningRecord> {
        let record = self
            .saved
            .warnings
            .iter_mut()
            .rev()
            .find(|w| !w.withdrawn && w.warning == warning)?;
        record.withdrawn = true;
        Some(record.clone())
    }

    /// The warning (live or withdrawn) whose own event is `warning`.
    pub fn warning_event(&self, warning: &str) -> Option<&WarningRecord> {
        self.saved
            .warnings
            .iter()
            .rev()
            .find(|w| w.warning == warning)
    }

    /// `user`'s vote on `warning` by reaction `reaction`: a change, or `None` when the
    /// event is no warning of ours or the vote is the one already cast. Who may vote is
    /// decided by the caller.
    pub fn vote(
        &mut self,
        reaction: &str,
        warning: &str,
        user: &str,
        vote: Vote,
        day: Date,
    ) -> Option<VoteChange> {
        let record = self
            .saved
            .warnings
            .iter_mut()
            .rev()
            .find(|w| w.warning == warning)?;
        if record.votes.get(user).is_some_and(|c| c.vote == vote) {
            return None;
        }
        record.votes.insert(
            user.to_owned(),
            Cast {
                vote,
                reaction: reaction.to_owned(),
                day,
            },
        );
        Some(change(record, vote, true))
    }

    /// A removed reaction: if it was a vote, the vote is taken back.
    pub fn unvote(&mut self, reaction: &str) -> Option<VoteChange> {
        self.saved.warnings.iter_mut().rev().find_map(|record| {
            let user = record
                .votes
                .iter()
                .find(|(_, c)| c.reaction == reaction)
                .map(|(u, _)| u.clone())?;
            let cast = record.votes.remove(&user)?;
            Some(change(record, cast.vote, false))
        })
    }

    /// Votes per rule, cast on or after `since` (every remembered vote for `None`).
    /// `warnings` is left at zero: the stats count those.
    pub fn votes_per_rule(&self, since: Option<Date>) -> BTreeMap<String, RuleFeedback> {
        let mut rules: BTreeMap<String, RuleFeedback> = BTreeMap::new();
        for record in &self.saved.warnings {
            for cast in record.votes.values() {
                if since.is_some_and(|since| cast.day < since) {
                    continue;
                }
                for rule in &record.rules {
                    rules.entry(rule.clone()).or_default().count(cast.vote);
                }
            }
        }
        rules
    }

    /// Rules whose false-alarm rate over every remembered vote passes `policy`.
    pub fn demoted(&self, policy: DemotionPolicy) -> BTreeSet<String> {
        self.votes_per_rule(None)
            .into_iter()
            .filter(|(_, f)| policy.demotes(f))
            .map(|(rule, _)| rule)
            .collect()
    }

    /// Folds an earlier version's `feedback.json` (warnings with their rules and votes)
    /// into the memory, then renames it so this happens once.
    fn import_feedback(&mut self, path: &Path) -> anyhow::Result<()> {
        #[derive(Deserialize, Default)]
        struct OldFeedback {
            #[serde(default)]
            warnings: Vec<OldWarned>,
        }
        #[derive(Deserialize)]
        struct OldWarned {
            warning: String,
            room: String,
            author: String,
            #[serde(default)]
            rules: Vec<String>,
            #[serde(default)]
            allegations: Vec<String>,
            day: Date,
            #[serde(default)]
            votes: BTreeMap<String, Cast>,
        }
        let old: OldFeedback = state_file::load(path)?;
        for warned in old.warnings {
            match self
                .saved
                .warnings
                .iter_mut()
                .find(|w| w.warning == warned.warning)
            {
                Some(record) => {
                    record.rules = warned.rules;
                    record.day = Some(warned.day);
                    record.votes = warned.votes;
                }
                // A warning the old memory had already forgotten: kept for its votes.
                None => self.add_warning(WarningRecord {
                    room: warned.room.clone(),
                    message: String::new(),
                    sender: warned.author,
                    thread: String::new(),
                    allegations: warned.allegations,
                    posted_in: warned.room,
                    warning: warned.warning,
                    rules: warned.rules,
                    verdict: None,
                    day: Some(warned.day),
                    votes: warned.votes,
                    withdrawn: true,
                }),
            }
        }
        self.save()?;
        let mut imported = path.as_os_str().to_owned();
        imported.push(".imported");
        std::fs::rename(path, &imported)?;
        tracing::info!(
            path = %path.display(),
            "folded the earlier feedback file into the memory"
        );
        Ok(())
    }
}

fn change(record: &WarningRecord, vote: Vote, counted: bool) -> VoteChange {
    VoteChange {
        vote,
        counted,
        room: record.room.clone(),
        warning: record.warning.clone(),
        rules: record.rules.clone(),
        allegations: record.allegations.clone(),
    }
}
