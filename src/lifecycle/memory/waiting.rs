//! Events waiting for the key to read them (`Pending::waiting_for_key`): kept beside the
//! events received, bounded in number and in time, and handed on once when the key comes.

use super::Memory;

/// How many events may wait for their keys at once; beyond that the oldest is given up.
pub const KEY_WAITS_KEPT: usize = 1_000;

/// An event given up on after waiting for its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenUp {
    pub room: String,
    pub event: String,
    /// How long it waited (milliseconds).
    pub waited_ms: i64,
}

impl Memory {
    /// Notes that `event` in `room` was received but cannot be read without `key`, which
    /// has not come yet (saved with the next write). Returns the events given up to stay
    /// within [`KEY_WAITS_KEPT`], oldest first.
    pub fn wait_for_key(&mut self, room: &str, event: &str, key: &str) -> Vec<GivenUp> {
        if self.handled.contains(event) {
            return Vec::new();
        }
        if !self.saved.pending.contains_key(event) {
            self.insert_pending(room, event, false);
        }
        match self.saved.pending.get_mut(event) {
            // An action already begun on it was begun on its text: nothing to wait for.
            Some(pending) if !pending.acting => {
                pending.waiting_for_key = Some(key.to_owned());
            }
            _ => return Vec::new(),
        }
        let mut waiting: Vec<(i64, String)> = self
            .saved
            .pending
            .iter()
            .filter(|(_, p)| p.waiting_for_key.is_some())
            .map(|(event, p)| (p.begun_ms, event.clone()))
            .collect();
        let excess = waiting.len().saturating_sub(KEY_WAITS_KEPT);
        waiting.sort();
        let now = jiff::Timestamp::now().as_millisecond();
        waiting
            .into_iter()
            .take(excess)
            .filter_map(|(_, event)| self.stop_waiting(&event, now))
            .collect()
    }

    /// The events in `room` waiting for `key`.
    pub fn waiting_for(&self, room: &str, key: &str) -> Vec<String> {
        self.saved
            .pending
            .iter()
            .filter(|(_, p)| p.room == room && p.waiting_for_key.as_deref() == Some(key))
            .map(|(event, _)| event.clone())
            .collect()
    }

    /// Every event waiting for its key: (room, event).
    pub fn waiting(&self) -> Vec<(String, String)> {
        self.saved
            .pending
            .iter()
            .filter(|(_, p)| p.waiting_for_key.is_some())
            .map(|(event, p)| (p.room.clone(), event.clone()))
            .collect()
    }

    /// `event` can be read now. Returns whether it was waiting (so that, of two
    /// deliveries racing, only one hands it on); it is then an event received.
    pub fn key_arrived(&mut self, event: &str) -> bool {
        match self.saved.pending.get_mut(event) {
            Some(pending) if pending.waiting_for_key.is_some() => {
                pending.waiting_for_key = None;
                pending.key_came_late = true;
                true
            }
            _ => false,
        }
    }

    /// Whether `event` became readable only after waiting for its key.
    pub fn key_came_late(&self, event: &str) -> bool {
        self.saved
            .pending
            .get(event)
            .is_some_and(|p| p.key_came_late)
    }

    /// Gives up the events that have waited `max_ms` or longer for their keys.
    pub fn expire_key_waits(&mut self, max_ms: i64) -> Vec<GivenUp> {
        let now = jiff::Timestamp::now().as_millisecond();
        let expired: Vec<String> = self
            .saved
            .pending
            .iter()
            .filter(|(_, p)| p.waiting_for_key.is_some() && now - p.begun_ms >= max_ms)
            .map(|(event, _)| event.clone())
            .collect();
        expired
            .into_iter()
            .filter_map(|event| self.stop_waiting(&event, now))
            .collect()
    }

    fn stop_waiting(&mut self, event: &str, now: i64) -> Option<GivenUp> {
        let pending = self.saved.pending.get(event)?;
        let given_up = GivenUp {
            room: pending.room.clone(),
            event: event.to_owned(),
            waited_ms: now - pending.begun_ms,
        };
        self.finish(event);
        Some(given_up)
    }
}
