//! Freshness: once a day the editors' room gets the topics past their review date (the
//! same list `!stale` answers), so an entry nobody has looked at in months does not keep
//! answering `!context` unnoticed.
//!
//! The list goes out at `[freshness] at` (local time) or, when the bot was down then, as
//! soon as it is back the same day. The day it went out is kept in `settings.json`, so a
//! restart does not post it twice. Nothing is posted when no topic is stale.

use std::time::Duration;

use jiff::civil::{Date, DateTime, Time};

/// How often the bot looks at the clock: the post is at most this late.
pub const CHECK_EVERY: Duration = Duration::from_secs(60);
pub const DEFAULT_AT: Time = Time::constant(9, 0, 0, 0);

/// `[freshness]` in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreshnessSettings {
    pub enabled: bool,
    /// Local time of day the list goes out.
    pub at: Time,
}

impl Default for FreshnessSettings {
    fn default() -> Self {
        FreshnessSettings {
            enabled: true,
            at: DEFAULT_AT,
        }
    }
}

/// Whether today's list is due at `now` (local), given the day it last went out.
pub fn due(now: DateTime, at: Time, last_posted: Option<Date>) -> bool {
    now.time() >= at && last_posted.is_none_or(|last| last < now.date())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn once_a_day_at_the_configured_time_or_later_that_day() {
        let at = Time::constant(9, 0, 0, 0);
        let day = date(2026, 11, 26);
        assert!(!due(day.at(8, 59, 0, 0), at, None));
        assert!(due(day.at(9, 0, 0, 0), at, None));
        // Down at nine, back at three: posted at three.
        assert!(due(day.at(15, 0, 0, 0), at, Some(date(2026, 11, 25))));
        // Already posted today (the bot restarted): not again.
        assert!(!due(day.at(15, 0, 0, 0), at, Some(day)));
        assert!(due(date(2026, 11, 27).at(9, 1, 0, 0), at, Some(day)));
    }
}
