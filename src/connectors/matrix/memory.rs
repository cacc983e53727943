//! What the bot remembers across restarts, kept in `data_dir/memory.json`.
//!
//! The SQLite store already keeps the sync position, so a restart normally resumes right
//! after the last event seen. This file covers what the store cannot know:
//!
//! * whether the first start's backlog has been skipped yet (`caught_up`);
//! * which events the bot has acted on, so an event delivered again (the sync position
//!   is saved before handlers run, and a crash can land in between) is never answered
//!   or warned about twice. The id is written *before* the answer is sent: at most once;
//! * the warnings it posted, so an edit that adds attribution or a redaction of the
//!   original can take the warning back, and so the same allegation is warned about once
//!   per thread.
//!
//! Only ids are stored, never message text. Both lists are bounded.

use std::collections::{HashSet, VecDeque};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use matrix_sdk::ruma::{EventId, OwnedEventId, OwnedRoomId, OwnedUserId, RoomId};
use serde::{Deserialize, Serialize};

/// How many acted-on event ids are kept: far more than one sync can deliver again.
const ACTED_ON_LIMIT: usize = 2_000;
/// How many live warnings are kept; older ones can no longer be taken back.
const WARNING_LIMIT: usize = 2_000;

/// A warning the bot posted about a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    /// The room of the message the warning is about.
    pub room: OwnedRoomId,
    /// The message the warning is about.
    pub message: OwnedEventId,
    /// Who wrote it: only they may edit it.
    pub sender: OwnedUserId,
    /// The thread the message belongs to: its thread root, or the message itself.
    pub thread: OwnedEventId,
    /// Known allegations (`topic/id`) the warning covers.
    pub allegations: Vec<String>,
    /// Where the warning was posted: the same room, or the editors' room.
    pub posted_in: OwnedRoomId,
    /// The warning event.
    pub warning: OwnedEventId,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    caught_up: bool,
    acted_on: VecDeque<OwnedEventId>,
    warnings: VecDeque<Warning>,
}

/// The bot's memory, loaded from and saved to one JSON file.
#[derive(Debug)]
pub struct Memory {
    path: PathBuf,
    saved: Saved,
    acted_index: HashSet<OwnedEventId>,
}

impl Memory {
    /// Loads `path`, or starts empty when it does not exist. A damaged file is moved
    /// aside (`.damaged`) and the bot starts with an empty memory.
    pub fn load(path: &Path) -> anyhow::Result<Memory> {
        let saved = match std::fs::read(path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(saved) => saved,
                Err(error) => {
                    let aside = path.with_extension("json.damaged");
                    tracing::warn!(
                        path = %path.display(),
                        %error,
                        "the bot's memory file is damaged; moved aside, starting afresh"
                    );
                    std::fs::rename(path, &aside)
                        .with_context(|| format!("moving {} aside", path.display()))?;
                    Saved::default()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Saved::default(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let acted_index = saved.acted_on.iter().cloned().collect();
        Ok(Memory {
            path: path.to_owned(),
            saved,
            acted_index,
        })
    }

    /// Writes the memory to disk: a new file renamed over the old, so a crash mid-write
    /// leaves the previous version. No fsync: this guards against the bot crashing, which
    /// leaves the page cache intact, and an fsync per answer would cost latency.
    pub fn save(&self) -> anyhow::Result<()> {
        let tmp = self.path.with_extension("json.tmp");
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&serde_json::to_vec(&self.saved)?)?;
            std::fs::rename(&tmp, &self.path)
        };
        write().with_context(|| format!("cannot write {}", self.path.display()))
    }

    pub fn caught_up(&self) -> bool {
        self.saved.caught_up
    }

    pub fn set_caught_up(&mut self) {
        self.saved.caught_up = true;
    }

    pub fn has_acted_on(&self, event: &EventId) -> bool {
        self.acted_index.contains(event)
    }

    /// Records that the bot is acting on `event` (call before acting, then save).
    pub fn record_action(&mut self, event: &EventId) {
        if !self.acted_index.insert(event.to_owned()) {
            return;
        }
        self.saved.acted_on.push_back(event.to_owned());
        while self.saved.acted_on.len() > ACTED_ON_LIMIT {
            if let Some(old) = self.saved.acted_on.pop_front() {
                self.acted_index.remove(&old);
            }
        }
    }

    /// The live warning about `message`, if any.
    pub fn warning_about(&self, message: &EventId) -> Option<&Warning> {
        self.saved.warnings.iter().find(|w| w.message == message)
    }

    /// Allegations already warned about in `thread` of `room`, except by the warning
    /// about `except` (the message being re-checked after an edit).
    pub fn warned_in_thread(
        &self,
        room: &RoomId,
        thread: &EventId,
        except: Option<&EventId>,
    ) -> HashSet<String> {
        self.saved
            .warnings
            .iter()
            .filter(|w| w.room == room && w.thread == thread)
            .filter(|w| Some(w.message.as_ref()) != except)
            .flat_map(|w| w.allegations.iter().cloned())
            .collect()
    }

    pub fn add_warning(&mut self, warning: Warning) {
        self.saved.warnings.push_back(warning);
        while self.saved.warnings.len() > WARNING_LIMIT {
            self.saved.warnings.pop_front();
        }
    }

    /// Forgets and returns the warning about `message`.
    pub fn take_warning_about(&mut self, message: &EventId) -> Option<Warning> {
        let index = self
            .saved
            .warnings
            .iter()
            .position(|w| w.message == message)?;
        self.saved.warnings.remove(index)
    }

    /// Forgets and returns the warning whose own event is `warning` (someone redacted it).
    pub fn take_warning_event(&mut self, warning: &EventId) -> Option<Warning> {
        let index = self
            .saved
            .warnings
            .iter()
            .position(|w| w.warning == warning)?;
        self.saved.warnings.remove(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use matrix_sdk::ruma::{event_id, room_id, user_id};

    fn warning(message: &EventId, thread: &EventId, allegation: &str) -> Warning {
        Warning {
            room: room_id!("!r:localhost").to_owned(),
            message: message.to_owned(),
            sender: user_id!("@j:localhost").to_owned(),
            thread: thread.to_owned(),
            allegations: vec![allegation.to_owned()],
            posted_in: room_id!("!r:localhost").to_owned(),
            warning: event_id!("$w").to_owned(),
        }
    }

    #[test]
    fn memory_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memory.json");
        let mut memory = Memory::load(&path).unwrap();
        assert!(!memory.caught_up());
        memory.set_caught_up();
        memory.record_action(event_id!("$a"));
        memory.add_warning(warning(event_id!("$a"), event_id!("$a"), "t/x"));
        memory.save().unwrap();

        let mut again = Memory::load(&path).unwrap();
        assert!(again.caught_up());
        assert!(again.has_acted_on(event_id!("$a")));
        assert!(!again.has_acted_on(event_id!("$b")));
        let room = room_id!("!r:localhost");
        assert_eq!(
            again.warned_in_thread(room, event_id!("$a"), None),
            HashSet::from(["t/x".to_owned()])
        );
        assert!(
            again
                .warned_in_thread(room, event_id!("$a"), Some(event_id!("$a")))
                .is_empty()
        );
        assert!(again.take_warning_about(event_id!("$a")).is_some());
        assert!(again.warning_about(event_id!("$a")).is_none());
    }

    #[test]
    fn acted_on_ids_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let mut memory = Memory::load(&dir.path().join("m.json")).unwrap();
        for i in 0..ACTED_ON_LIMIT + 10 {
            memory.record_action(&OwnedEventId::try_from(format!("${i}")).unwrap());
        }
        assert!(!memory.has_acted_on(&OwnedEventId::try_from("$0").unwrap()));
        assert!(
            memory
                .has_acted_on(&OwnedEventId::try_from(format!("${}", ACTED_ON_LIMIT + 9)).unwrap())
        );
    }

    #[test]
    fn a_damaged_file_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memory.json");
        std::fs::write(&path, "{not json").unwrap();
        let memory = Memory::load(&path).unwrap();
        assert!(!memory.caught_up());
        assert!(dir.path().join("memory.json.damaged").exists());
    }
}
