//! The warning lifecycle, the same for every connector: what the bot does about a
//! message over time, once the core has checked it.
//!
//! A connector (Matrix, the console, ...) turns its platform's events into calls here and
//! implements [`Connector`] to post, edit and delete. Everything else is decided and
//! remembered here, with rooms, messages and users named by their ids as strings:
//!
//! - a checked message gets one warning or none: allegations already warned about in the
//!   same thread are left out, rules demoted by feedback count as weak, a muted room
//!   gets none, and the room's mode says where it goes (`decide`);
//! - an edit of a warned message withdraws the warning when it now attributes the claim,
//!   updates it when it needs a different one, and leaves it otherwise; an edit of a
//!   message with no warning may need a first one;
//! - deleting a warned message withdraws its warning; deleting a warning forgets it;
//! - a 👍/👎 on a warning from the message's author or an editor is a vote on the rules
//!   that fired, and enough false alarms demote a rule from flag to weak;
//! - the memory (`memory`) keeps what must survive a restart: the first start's
//!   backlog skipped, the events handled (each at most once), the events that wait for
//!   the key to read them, the warnings and their votes.
//!
//! # How a message flows
//!
//! The connector receives an event and puts it on its room's lane (`lanes`). In its turn
//! the connector drops what is not for the bot (its own messages, other bots', backlog,
//! events it has handled before), asks the `Desk` about the text, and hands the outcome
//! here: an answer goes out at once ([`Lifecycle::answer`]); a checked message goes to
//! [`Lifecycle::plan`], which decides on the one warning and records the message as
//! handled; [`Lifecycle::post`] then sends it through the connector, counts and audits it
//! (`crate::operations`) and remembers it.
//!
//! # Order
//!
//! Events of one room are handled one at a time, in the order they arrived; different
//! rooms at the same time. A warning is decided and recorded in that order and then
//! posted while the room's next events are handled, except that an event which may refer
//! to an earlier one (an edit, a message in a thread, a deletion, a reaction) waits
//! until every earlier warning of its room is posted and remembered. So an edit always
//! comes after the warning it may take back, and "once per thread" sees every warning
//! before it. This is the one place the rule is written down; `lanes` implements it.

mod connector;
pub mod decide;
mod engine;
pub mod lanes;
pub mod memory;

pub use connector::{Connector, Sent, Target};
pub use engine::{Lifecycle, ToPost};
pub use memory::Once;

/// A chat message, by ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRef {
    pub room: String,
    pub event: String,
    pub sender: String,
    /// The root of the thread the message is in; `None` outside any thread.
    pub thread: Option<String>,
    /// When the platform received it (milliseconds since the Unix epoch), where known:
    /// the log says how long after that the bot acted.
    pub received_ms: Option<u64>,
}

impl MessageRef {
    /// Milliseconds from when the platform received the message to now.
    pub fn since_received_ms(&self) -> Option<u64> {
        let now = u64::try_from(jiff::Timestamp::now().as_millisecond()).ok()?;
        Some(now.saturating_sub(self.received_ms?))
    }

    /// The thread the message belongs to, for "warned once per thread": its thread root,
    /// or, outside a thread, the message itself (a warning starts a thread there).
    pub fn thread_root(&self) -> &str {
        self.thread.as_deref().unwrap_or(&self.event)
    }
}

#[cfg(test)]
mod tests;
