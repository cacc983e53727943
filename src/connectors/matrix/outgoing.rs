//! What the bot posts, as the lifecycle's `Connector`: a `Reply` rendered as an
//! `m.notice` (plain `body`, HTML `formatted_body`), placed as a reply or in a thread,
//! edited with `m.replace`, withdrawn with a redaction, each sent with retries.
//!
//! Everything the bot says is an `m.notice`: clients show notices as bot output and other
//! bots ignore them, which is what keeps two bots from answering each other forever.

use std::time::Duration;

use anyhow::Context as _;
use copydesk_core::Reply;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::relation::Thread;
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ForwardThread, ReplacementMetadata, ReplyMetadata, ReplyWithinThread,
    RoomMessageEventContent, RoomMessageEventContentWithoutRelation,
};
use matrix_sdk::ruma::{EventId, OwnedEventId, OwnedRoomId, OwnedTransactionId, OwnedUserId};
use matrix_sdk::{Client, Room, RoomState};

use super::reachability::Reachability;
use super::retry;
use crate::lifecycle::{Connector, MessageRef, Once, Sent, Target};

/// How long to keep retrying one message before giving up on it.
const SEND_PATIENCE: Duration = Duration::from_secs(120);

/// The bot's side of Matrix: posting, editing and redacting in the rooms it is in.
pub struct Matrix {
    pub client: Client,
    pub reach: Reachability,
}

impl Matrix {
    fn room(&self, room: &str) -> anyhow::Result<Room> {
        let id = OwnedRoomId::try_from(room).with_context(|| format!("bad room id {room}"))?;
        let room = self
            .client
            .get_room(&id)
            .with_context(|| format!("the bot is not in {id}"))?;
        anyhow::ensure!(
            room.state() == RoomState::Joined,
            "the bot is not joined to {}",
            room.room_id()
        );
        Ok(room)
    }
}

impl Connector for Matrix {
    async fn send(&self, target: Target<'_>, reply: &Reply, once: &Once) -> anyhow::Result<Sent> {
        let (room, content) = match target {
            Target::Answer(command) => (command.room.as_str(), answer(reply, command)?),
            // Matrix has no message for one person in a room: a private warning is the
            // usual threaded one (documented in config.toml.example under warn-private).
            Target::Warning(message) | Target::Private(message) => {
                (message.room.as_str(), warning(reply, message)?)
            }
            Target::Room(room) => (room, plain_notice(reply)),
        };
        let room = self.room(room)?;
        let event = send(&self.reach, &room, content, once).await?;
        Ok(Sent {
            room: room.room_id().to_string(),
            event: event.to_string(),
        })
    }

    async fn edit(&self, sent: &Sent, reply: &Reply, once: &Once) -> anyhow::Result<()> {
        let room = self.room(&sent.room)?;
        let event = OwnedEventId::try_from(sent.event.as_str())?;
        let content = RoomMessageEventContent::notice_html(reply.to_plain(), reply.to_html())
            .add_mentions(Mentions::new())
            .make_replacement(ReplacementMetadata::new(event, Some(Mentions::new())));
        send(&self.reach, &room, content, once).await.map(|_| ())
    }

    async fn delete(&self, sent: &Sent, reason: &str, once: &Once) -> anyhow::Result<()> {
        let room = self.room(&sent.room)?;
        let event = OwnedEventId::try_from(sent.event.as_str())?;
        redact(&self.reach, &room, &event, reason, once).await
    }

    async fn permalink(&self, message: &MessageRef) -> String {
        let (Ok(room), Ok(event)) = (
            self.room(&message.room),
            OwnedEventId::try_from(message.event.as_str()),
        ) else {
            return message.event.clone();
        };
        match room.matrix_to_event_permalink(event.clone()).await {
            Ok(uri) => uri.to_string(),
            Err(_) => room.room_id().matrix_to_event_uri(event).to_string(),
        }
    }

    fn room_name(&self, room: &str) -> String {
        self.room(room)
            .ok()
            .and_then(|room| room.cached_display_name())
            .map_or_else(|| room.to_owned(), |name| name.to_string())
    }
}

fn notice(reply: &Reply) -> RoomMessageEventContentWithoutRelation {
    RoomMessageEventContentWithoutRelation::notice_html(reply.to_plain(), reply.to_html())
}

/// A notice on its own, mentioning nobody.
fn plain_notice(reply: &Reply) -> RoomMessageEventContent {
    let mut content = RoomMessageEventContent::notice_html(reply.to_plain(), reply.to_html());
    content.mentions = Some(Mentions::new());
    content
}

/// The ruma ids of a message, and its thread relation.
struct Ids {
    event: OwnedEventId,
    sender: OwnedUserId,
    thread: Option<Thread>,
}

impl Ids {
    fn of(message: &MessageRef) -> anyhow::Result<Ids> {
        let event = OwnedEventId::try_from(message.event.as_str())?;
        let thread = match &message.thread {
            Some(root) => Some(Thread::plain(
                OwnedEventId::try_from(root.as_str())?,
                event.clone(),
            )),
            None => None,
        };
        Ok(Ids {
            sender: OwnedUserId::try_from(message.sender.as_str())?,
            event,
            thread,
        })
    }

    fn metadata(&self) -> ReplyMetadata<'_> {
        ReplyMetadata::new(&self.event, &self.sender, self.thread.as_ref())
    }
}

/// A command's answer: a reply to the command, inside its thread when it was in one.
/// The asker is mentioned, so their client highlights the answer.
fn answer(reply: &Reply, command: &MessageRef) -> anyhow::Result<RoomMessageEventContent> {
    let ids = Ids::of(command)?;
    let content = notice(reply);
    Ok(if ids.thread.is_some() {
        content.make_for_thread(ids.metadata(), ReplyWithinThread::Yes, AddMentions::Yes)
    } else {
        content.make_reply_to(ids.metadata(), ForwardThread::Yes, AddMentions::Yes)
    })
}

/// A warning in the room: a reply to the offending message, in its thread (a new thread
/// rooted at the message when it was not in one). Nobody is mentioned: the warning's
/// text names people (who made an allegation), and without `m.mentions` older clients
/// would ping any user whose name appears in the body.
fn warning(reply: &Reply, message: &MessageRef) -> anyhow::Result<RoomMessageEventContent> {
    let ids = Ids::of(message)?;
    Ok(notice(reply).add_mentions(Mentions::new()).make_for_thread(
        ids.metadata(),
        ReplyWithinThread::Yes,
        AddMentions::No,
    ))
}

/// Sends `content` to `room`, retrying transient failures for a while. The action's id is
/// the transaction id of every attempt, also after a restart: the homeserver answers a
/// repeat with the event it already has, so neither a retry after a lost response nor a
/// resend after a crash can post twice.
pub async fn send(
    reach: &Reachability,
    room: &Room,
    content: RoomMessageEventContent,
    once: &Once,
) -> anyhow::Result<OwnedEventId> {
    let txn_id = OwnedTransactionId::from(once.id.as_str());
    let deadline = tokio::time::Instant::now() + SEND_PATIENCE;
    let mut failures = 0;
    loop {
        match room
            .send(content.clone())
            .with_transaction_id(txn_id.clone())
            .await
        {
            Ok(sent) => return Ok(sent.response.event_id),
            Err(error) if retry::is_transient(&error) => {
                tracing::debug!(room = %room.room_id(), %error, failures, "sending failed");
                let wait = reach.before_retry(&error, failures);
                if tokio::time::timeout_at(deadline, wait).await.is_err() {
                    return Err(error.into());
                }
                failures += 1;
            }
            Err(error) => return Err(error.into()),
        }
    }
}

/// Redacts `event` in `room`, retrying transient failures like [`send`].
async fn redact(
    reach: &Reachability,
    room: &Room,
    event: &EventId,
    reason: &str,
    once: &Once,
) -> anyhow::Result<()> {
    let txn_id = OwnedTransactionId::from(once.id.as_str());
    let deadline = tokio::time::Instant::now() + SEND_PATIENCE;
    let mut failures = 0;
    loop {
        match room.redact(event, Some(reason), Some(txn_id.clone())).await {
            Ok(_) => return Ok(()),
            Err(error) => {
                let error = matrix_sdk::Error::from(error);
                if !retry::is_transient(&error) {
                    return Err(error.into());
                }
                tracing::debug!(room = %room.room_id(), %event, %error, failures, "redacting failed");
                let wait = reach.before_retry(&error, failures);
                if tokio::time::timeout_at(deadline, wait).await.is_err() {
                    return Err(error.into());
                }
                failures += 1;
            }
        }
    }
}
