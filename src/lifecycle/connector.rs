//! What a connector does for the lifecycle: post a reply, change or delete what it
//! posted, and link to a message. Each connector renders a `Reply` its own way (Matrix:
//! an `m.notice` with HTML; the console: plain text) and speaks its own protocol; the
//! lifecycle only names rooms, messages and users by their ids, as strings.

use copydesk_core::Reply;

use super::MessageRef;
use super::memory::Once;

/// Where a reply goes.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// An answer to a command: a reply to it, in its thread if it was in one; the asker
    /// is notified.
    Answer(&'a MessageRef),
    /// A warning about a message: in the message's thread (started at it when it was in
    /// none); nobody is notified, since a warning names people.
    Warning(&'a MessageRef),
    /// A warning for the message's author alone (mode `warn-private`): on Slack an
    /// ephemeral message (a direct message where that fails); a platform with no such
    /// thing (Matrix) posts it as a [`Target::Warning`].
    Private(&'a MessageRef),
    /// A notice on its own in a room (the editors' room); nobody is notified.
    Room(&'a str),
}

/// Something the bot posted: its room and its own id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub room: String,
    pub event: String,
}

/// A chat platform, as the lifecycle uses it. Every method retries what is worth
/// retrying and returns an error only once it gives up.
///
/// Every action carries its [`Once`]: an id that is the same on every attempt, also after
/// a restart. A connector must make a repeat of an action that already reached the
/// platform change nothing (Matrix: the id is the transaction id; Slack: posts carry it as
/// a mark and are looked for before a repeat, `once.again`).
pub trait Connector: Sync {
    /// Posts `reply` at `target`.
    fn send(
        &self,
        target: Target<'_>,
        reply: &Reply,
        once: &Once,
    ) -> impl Future<Output = anyhow::Result<Sent>> + Send;

    /// Replaces the text of something the bot posted.
    fn edit(
        &self,
        sent: &Sent,
        reply: &Reply,
        once: &Once,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Deletes something the bot posted, saying why where the platform shows it.
    fn delete(
        &self,
        sent: &Sent,
        reason: &str,
        once: &Once,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// A link to `message` that the editors can follow.
    fn permalink(&self, message: &MessageRef) -> impl Future<Output = String> + Send;

    /// A room's name for people (its display name, or its id).
    fn room_name(&self, room: &str) -> String;
}
