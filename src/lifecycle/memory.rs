//! What the bot remembers across restarts, in one file, `data_dir/memory.json`: whether
//! the first start's backlog was skipped, which events it has handled, which it was
//! handling when it stopped (with the id of the action it was taking), and the warnings
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

mod waiting;
pub use waiting::{GivenUp, KEY_WAITS_KEPT};

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
    /// Events received and not yet done with: some were only received, some had their
    /// action begun, which may or may not have reached the platform. By event id.
    #[serde(default)]
    pending: BTreeMap<String, Pending>,
    /// The platform's position in its event stream (Matrix: the sync token) up to which
    /// every event is in `pending` or handled: where to resume after a stop.
    #[serde(default)]
    resume: Option<String>,
}

/// An event the bot began to act on and has not finished with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    /// The event's room.
    pub room: String,
    /// The id of the action (a transaction id): the same on every attempt, so the
    /// platform can tell a repeat from a new post.
    pub action: String,
    /// When it was received (milliseconds since the Unix epoch).
    #[serde(default)]
    pub begun_ms: i64,
    /// Whether an action was begun on it (else it was only received).
    #[serde(default = "acting_by_default")]
    pub acting: bool,
    /// The key the event cannot be read without, while the bot waits for it (an opaque
    /// id the connector chose; Matrix: the Megolm session). `begun_ms` is when it was
    /// first seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_for_key: Option<String>,
    /// Whether the event became readable only after waiting for its key.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub key_came_late: bool,
}

fn acting_by_default() -> bool {
    true
}

/// How long an unfinished event is tried again at each start: one that cannot be
/// delivered again (deleted, or in a room the bot left) is given up after that.
const UNFINISHED_KEPT_MS: i64 = 24 * 3600 * 1000;
/// An action begun on an event: its id, and whether an earlier attempt (before a
/// restart) may already have reached the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Once {
    pub id: String,
    pub again: bool,
}

impl Once {
    /// An action about no event (a notice to the editors): tried once per start.
    pub fn fresh() -> Once {
        Once {
            id: new_action_id(),
            again: false,
        }
    }
}

/// The bot's memory, loaded from and saved to one JSON file.
#[derive(Debug)]
pub struct Memory {
    path: PathBuf,
    saved: Saved,
    handled: HashSet<String>,
    /// Events this process has begun acting on and not finished: a second delivery of
    /// one is not acted on again.
    in_flight: HashSet<String>,
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
            in_flight: HashSet::new(),
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

    /// Whether `event` is handled, or being acted on by this process.
    pub fn has_handled(&self, event: &str) -> bool {
        self.handled.contains(event) || self.in_flight.contains(event)
    }

    /// Notes that `event` in `room` was received, so that it is handled again after a
    /// stop even if the platform does not deliver it again (saved with the next write).
    pub fn receive(&mut self, room: &str, event: &str) {
        if self.handled.contains(event) || self.saved.pending.contains_key(event) {
            return;
        }
        self.insert_pending(room, event, false);
    }

    /// Done with a received event on which no action was begun (none was needed).
    pub fn settle(&mut self, event: &str) {
        if self.saved.pending.get(event).is_some_and(|p| !p.acting) {
            self.finish(event);
        }
    }

    /// Where to resume the platform's event stream.
    pub fn resume(&self) -> Option<&str> {
        self.saved.resume.as_deref()
    }

    /// Every event up to `position` is received (call after `receive` for each).
    pub fn set_resume(&mut self, position: &str) {
        self.saved.resume = Some(position.to_owned());
    }

    /// Begins acting on `event` in `room`: a new action id, or the one of an attempt
    /// that did not finish.
    pub fn begin(&mut self, room: &str, event: &str) -> Once {
        self.in_flight.insert(event.to_owned());
        if let Some(pending) = self.saved.pending.get_mut(event) {
            let again = pending.acting;
            pending.acting = true;
            return Once {
                id: pending.action.clone(),
                again,
            };
        }
        let id = self.insert_pending(room, event, true);
        Once { id, again: false }
    }

    fn insert_pending(&mut self, room: &str, event: &str, acting: bool) -> String {
        let id = new_action_id();
        let now = jiff::Timestamp::now().as_millisecond();
        self.saved
            .pending
            .retain(|_, p| now - p.begun_ms < UNFINISHED_KEPT_MS);
        self.saved.pending.insert(
            event.to_owned(),
            Pending {
                room: room.to_owned(),
                action: id.clone(),
                begun_ms: now,
                acting,
                waiting_for_key: None,
                key_came_late: false,
            },
        );
        id
    }

    /// Done with `event` (its action reached the platform, or failed for good).
    pub fn finish(&mut self, event: &str) {
        self.in_flight.remove(event);
        self.saved.pending.remove(event);
        self.record_handled(event);
    }

    /// The events the bot was acting on when it stopped, begun in the last day, except
    /// those still waiting for their keys ([`Memory::waiting`]): (room, event).
    pub fn pending(&self) -> Vec<(String, String)> {
        let now = jiff::Timestamp::now().as_millisecond();
        self.saved
            .pending
            .iter()
            .filter(|(_, p)| now - p.begun_ms < UNFINISHED_KEPT_MS)
            .filter(|(_, p)| p.waiting_for_key.is_none())
            .map(|(event, pending)| (pending.room.clone(), event.clone()))
            .collect()
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

/// An action id unique to this data dir: the time in microseconds and a counter.
fn new_action_id() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("copydesk.{}.{n}", jiff::Timestamp::now().as_microsecond())
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
