//! What editors set from chat, kept in `data_dir/settings.json` so it survives restarts:
//! each room's mode (`!mode`, which wins over `[rooms.mode]` in the configuration), each
//! room's mute (`!mute`), and the day the freshness list was last posted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use copydesk_core::admin::RoomMode;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::operations::state_file;

pub const FILE_NAME: &str = "settings.json";

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Saved {
    /// By room id.
    #[serde(default)]
    modes: BTreeMap<String, RoomMode>,
    /// Room id → end of the mute.
    #[serde(default)]
    mutes: BTreeMap<String, Timestamp>,
    #[serde(default)]
    freshness_posted: Option<Date>,
}

/// The settings, loaded once and saved on every change (they change rarely).
#[derive(Debug)]
pub struct Settings {
    path: PathBuf,
    saved: Saved,
}

impl Settings {
    pub fn load(data_dir: &Path) -> anyhow::Result<Settings> {
        let path = data_dir.join(FILE_NAME);
        Ok(Settings {
            saved: state_file::load(&path)?,
            path,
        })
    }

    /// The mode an editor set for `room`, if any.
    pub fn mode(&self, room: &str) -> Option<RoomMode> {
        self.saved.modes.get(room).copied()
    }

    pub fn set_mode(&mut self, room: &str, mode: RoomMode) -> anyhow::Result<()> {
        self.saved.modes.insert(room.to_owned(), mode);
        self.save()
    }

    /// Whether attribution warnings in `room` are muted at `now`.
    pub fn is_muted(&self, room: &str, now: Timestamp) -> bool {
        self.saved.mutes.get(room).is_some_and(|until| now < *until)
    }

    /// Mutes `room` until `until`, or unmutes it (`None`). Expired mutes are dropped.
    pub fn set_mute(
        &mut self,
        room: &str,
        until: Option<Timestamp>,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        self.saved.mutes.retain(|_, end| *end > now);
        match until {
            Some(until) => self.saved.mutes.insert(room.to_owned(), until),
            None => self.saved.mutes.remove(room),
        };
        self.save()
    }

    pub fn freshness_posted(&self) -> Option<Date> {
        self.saved.freshness_posted
    }

    pub fn set_freshness_posted(&mut self, day: Date) -> anyhow::Result<()> {
        self.saved.freshness_posted = Some(day);
        self.save()
    }

    fn save(&self) -> anyhow::Result<()> {
        state_file::save(&self.path, &self.saved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_mutes_and_freshness_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let now: Timestamp = "2026-11-26T10:00:00Z".parse().unwrap();
        let later: Timestamp = "2026-11-26T12:00:00Z".parse().unwrap();
        let mut settings = Settings::load(dir.path()).unwrap();
        assert_eq!(settings.mode("!a:x"), None);
        settings.set_mode("!a:x", RoomMode::Warn).unwrap();
        settings.set_mute("!a:x", Some(later), now).unwrap();
        settings
            .set_freshness_posted(jiff::civil::date(2026, 11, 26))
            .unwrap();

        let mut settings = Settings::load(dir.path()).unwrap();
        assert_eq!(settings.mode("!a:x"), Some(RoomMode::Warn));
        assert!(settings.is_muted("!a:x", now));
        assert!(!settings.is_muted("!a:x", later));
        assert!(!settings.is_muted("!b:x", now));
        assert_eq!(
            settings.freshness_posted(),
            Some(jiff::civil::date(2026, 11, 26))
        );
        settings.set_mute("!a:x", None, now).unwrap();
        assert!(!settings.is_muted("!a:x", now));
    }
}
