//! Events waiting for the key to read them: the lifecycle's side of
//! `memory::waiting`, with the one WARN for each event given up.

use std::time::Duration;

use super::Lifecycle;
use crate::lifecycle::memory::GivenUp;

impl Lifecycle {
    /// Notes that `event` in `room` was received but cannot be read until `key` (an
    /// opaque id) comes; kept, like a received event, until then or until given up
    /// ([`Self::give_up_key_waits`]). In memory; saved by [`Self::synced`].
    pub fn wait_for_key(&self, room: &str, event: &str, key: &str) {
        let given_up = self.memory().wait_for_key(room, event, key);
        warn_given_up(&given_up, "too many events wait for keys");
    }

    /// The events in `room` waiting for `key`.
    pub fn waiting_for(&self, room: &str, key: &str) -> Vec<String> {
        self.memory().waiting_for(room, key)
    }

    /// Every event waiting for its key, as (room, event).
    pub fn waiting_for_keys(&self) -> Vec<(String, String)> {
        self.memory().waiting()
    }

    /// `event` can be read now: from here on it is an event received, handled as if it
    /// had just arrived. `false` when it was not waiting (another delivery has it).
    pub fn key_arrived(&self, event: &str) -> bool {
        self.memory().key_arrived(event)
    }

    /// Whether `event` was readable only after waiting for its key: it may be older
    /// than a backlog bound made for restarts.
    pub fn key_came_late(&self, event: &str) -> bool {
        self.memory().key_came_late(event)
    }

    /// Gives up the events that have waited `max` or longer for their keys, with one
    /// WARN each, and saves.
    pub fn give_up_key_waits(&self, max: Duration) {
        let max_ms = i64::try_from(max.as_millis()).unwrap_or(i64::MAX);
        let mut memory = self.memory();
        let given_up = memory.expire_key_waits(max_ms);
        if given_up.is_empty() {
            return;
        }
        if let Err(error) = memory.save() {
            tracing::warn!("{error:#}");
        }
        drop(memory);
        warn_given_up(&given_up, "the key did not come in time");
    }
}

/// One WARN per event given up, naming it (never its text) and why.
fn warn_given_up(given_up: &[GivenUp], why: &str) {
    for event in given_up {
        tracing::warn!(
            room = event.room,
            event = event.event,
            waited_s = event.waited_ms / 1000,
            "gave up waiting for the key to read an event; it is not handled: {why}"
        );
    }
}
