//! What the bot posts: the desk's `Reply` rendered as an `m.notice` (plain `body`, HTML
//! `formatted_body`), placed as a reply or in a thread, and sent with retries.
//!
//! Everything the bot says is an `m.notice`: clients show notices as bot output and other
//! bots ignore them, which is what keeps two bots from answering each other forever.

use std::time::Duration;

use copydesk_core::Reply;
use copydesk_core::reply::Inline;
use matrix_sdk::Room;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::relation::Thread;
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ForwardThread, OriginalSyncRoomMessageEvent, Relation, ReplyMetadata,
    ReplyWithinThread, RoomMessageEventContent, RoomMessageEventContentWithoutRelation,
};
use matrix_sdk::ruma::{EventId, OwnedEventId, TransactionId, UserId};

use super::retry;

/// How long to keep retrying one message before giving up on it.
const SEND_PATIENCE: Duration = Duration::from_secs(120);

fn notice(reply: &Reply) -> RoomMessageEventContentWithoutRelation {
    RoomMessageEventContentWithoutRelation::notice_html(reply.to_plain(), reply.to_html())
}

/// A command's answer: a reply to the command, inside its thread when it was in one.
/// The asker is mentioned, so their client highlights the answer.
pub fn answer(reply: &Reply, command: &OriginalSyncRoomMessageEvent) -> RoomMessageEventContent {
    let content = notice(reply);
    if thread_of(command).is_some() {
        content.make_for_thread(command, ReplyWithinThread::Yes, AddMentions::Yes)
    } else {
        content.make_reply_to(command, ForwardThread::Yes, AddMentions::Yes)
    }
}

/// The thread a message is in, if any.
pub fn thread_of(message: &OriginalSyncRoomMessageEvent) -> Option<&Thread> {
    match &message.content.relates_to {
        Some(Relation::Thread(thread)) => Some(thread),
        _ => None,
    }
}

/// A warning in the room: a reply to the offending message, in its thread (a new thread
/// rooted at the message when it was not in one). Nobody is mentioned: the warning's
/// text names people (who made an allegation), and without `m.mentions` older clients
/// would ping any user whose name appears in the body.
pub fn warning<'a>(
    reply: &Reply,
    message: impl Into<ReplyMetadata<'a>>,
) -> RoomMessageEventContent {
    notice(reply).add_mentions(Mentions::new()).make_for_thread(
        message,
        ReplyWithinThread::Yes,
        AddMentions::No,
    )
}

/// A warning for the editors' room: who wrote what where, with a matrix.to link to the
/// message, then the warning itself.
pub fn editors_warning(
    reply: &Reply,
    link: &str,
    sender: &UserId,
    room_name: &str,
) -> RoomMessageEventContent {
    let mut full = Reply::new().paragraph(vec![
        Inline::link("A message", link),
        Inline::text(format!(" from {sender} in ")),
        Inline::strong(room_name),
        Inline::text(" needs attention:"),
    ]);
    full.blocks.extend(reply.blocks.iter().cloned());
    let mut content = RoomMessageEventContent::notice_html(full.to_plain(), full.to_html());
    content.mentions = Some(Mentions::new());
    content
}

/// Sends `content` to `room`, retrying transient failures for a while. One transaction
/// id is used for every attempt, so a retry after a lost response cannot post twice.
pub async fn send(room: &Room, content: RoomMessageEventContent) -> anyhow::Result<OwnedEventId> {
    let txn_id = TransactionId::new();
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
                let delay = retry::delay_after(&error, failures);
                if tokio::time::Instant::now() + delay > deadline {
                    return Err(error.into());
                }
                tracing::warn!(room = %room.room_id(), %error, ?delay, "sending failed; retrying");
                failures += 1;
                tokio::time::sleep(delay).await;
            }
            Err(error) => return Err(error.into()),
        }
    }
}

/// Redacts `event` in `room`, retrying transient failures like [`send`].
pub async fn redact(room: &Room, event: &EventId, reason: &str) -> anyhow::Result<()> {
    let txn_id = TransactionId::new();
    let deadline = tokio::time::Instant::now() + SEND_PATIENCE;
    let mut failures = 0;
    loop {
        match room.redact(event, Some(reason), Some(txn_id.clone())).await {
            Ok(_) => return Ok(()),
            Err(error) => {
                let error = matrix_sdk::Error::from(error);
                let delay = retry::delay_after(&error, failures);
                if !retry::is_transient(&error) || tokio::time::Instant::now() + delay > deadline {
                    return Err(error.into());
                }
                tracing::warn!(room = %room.room_id(), %event, %error, ?delay, "redacting failed; retrying");
                failures += 1;
                tokio::time::sleep(delay).await;
            }
        }
    }
}
