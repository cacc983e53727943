//! `[feedback]`: whether 👍 (useful) and 👎 (false alarm) reactions on warnings count,
//! and when a rule that editors keep marking as a false alarm is demoted from flag to
//! weak. The votes are remembered with the warnings (`crate::lifecycle::memory`); the
//! arithmetic is `copydesk_core::feedback`'s.

use copydesk_core::feedback::DemotionPolicy;

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
