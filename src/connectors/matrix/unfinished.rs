//! What the bot may not have finished when it last stopped, queued ahead of the sync so
//! that each event is handled as if it had just arrived:
//!
//! - events received or being acted on (`Lifecycle::unfinished`), fetched by id. An
//!   action keeps the transaction id it had, so the homeserver answers a send that had
//!   already gone through with the event it has, and nothing posts twice;
//! - events after the last saved sync position (`Lifecycle::resume`), read with
//!   `/messages`: the SDK saves its own position before it hands a sync's events out, and
//!   does not hand them out again, so after a crash between the two only this finds them.
//!
//! An event either finds that is still encrypted is kept until its key arrives (`keys`).

use matrix_sdk::Room;
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::events::room::redaction::SyncRoomRedactionEvent;
use matrix_sdk::ruma::events::{
    AnySyncMessageLikeEvent, AnySyncTimelineEvent, SyncMessageLikeEvent,
};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId};
use tokio::sync::mpsc::UnboundedSender;

use super::Bot;
use super::keys;
use super::messages::{Incoming, RoomEvent};

/// A timeline event fetched again.
pub enum Fetched {
    /// A message, a redaction or a reaction, for the handlers.
    Event(RoomEvent),
    /// Still encrypted: its room key has not come.
    Locked(Box<OriginalSyncRoomEncryptedEvent>),
    /// Anything else: nothing the bot handles.
    Other,
}

/// Queues every unfinished event again. One that cannot be fetched now stays unfinished
/// for the next start (the lifecycle gives it up after a day).
pub async fn requeue(bot: &Bot, queue: &UnboundedSender<Incoming>) {
    for (room, event) in bot.lifecycle.unfinished() {
        match fetch(bot, &room, &event).await {
            Ok((room, Fetched::Event(again))) => {
                tracing::info!(room = %room.room_id(), event, "handling again an event begun before the stop");
                let _ = queue.send(Incoming::Event(room, again));
            }
            Ok((room, Fetched::Locked(encrypted))) => keys::keep(bot, &room, &encrypted).await,
            Ok((_, Fetched::Other)) => {
                tracing::warn!(
                    room,
                    event,
                    "an event begun before the stop is not a message, a redaction or a reaction (any more)"
                );
            }
            Err(error) => {
                tracing::warn!(
                    room,
                    event,
                    "an event begun before the stop cannot be fetched: {error:#}"
                );
            }
        }
    }
}

/// How many events per room are read after the saved position at most: a bot that was
/// down longer than that leaves the rest to `max_backlog_age`.
const CATCH_UP_LIMIT: usize = 500;

/// Queues the events of every joined room after the saved sync position that are not
/// handled yet.
pub async fn catch_up(bot: &Bot, queue: &UnboundedSender<Incoming>) {
    let Some(from) = bot.lifecycle.resume() else {
        return;
    };
    for room in bot.client.joined_rooms() {
        match read_after(bot, &room, &from).await {
            Ok(events) => {
                for (id, event) in events {
                    match event {
                        Fetched::Event(event) => {
                            tracing::info!(room = %room.room_id(), event = id, "caught up with an event the sync will not repeat");
                            bot.lifecycle.received(room.room_id().as_str(), &id);
                            let _ = queue.send(Incoming::Event(room.clone(), event));
                        }
                        Fetched::Locked(encrypted) => keys::keep(bot, &room, &encrypted).await,
                        Fetched::Other => {}
                    }
                }
            }
            Err(error) => {
                tracing::warn!(room = %room.room_id(), "reading the events after the saved position failed: {error:#}");
            }
        }
    }
}

/// The room's events after `from` that are not handled yet, oldest first.
async fn read_after(bot: &Bot, room: &Room, from: &str) -> anyhow::Result<Vec<(String, Fetched)>> {
    let mut next = from.to_owned();
    let (mut found, mut read) = (Vec::new(), 0);
    while read < CATCH_UP_LIMIT {
        let mut options = MessagesOptions::forward().from(next.as_str());
        options.limit = 100u32.into();
        let page = room.messages(options).await?;
        read += page.chunk.len();
        for event in &page.chunk {
            let Some(id) = event.event_id() else {
                continue;
            };
            if bot.lifecycle.has_handled(id.as_str()) {
                continue;
            }
            match room_event(event.raw().deserialize()?) {
                Fetched::Other => {}
                event => found.push((id.to_string(), event)),
            }
        }
        match page.end {
            Some(end) if !page.chunk.is_empty() => next = end,
            _ => break,
        }
    }
    Ok(found)
}

/// Fetches `event` in `room` from the homeserver, decrypted when its key is here.
pub async fn fetch(bot: &Bot, room: &str, event: &str) -> anyhow::Result<(Room, Fetched)> {
    let room_id = OwnedRoomId::try_from(room)?;
    let event_id = OwnedEventId::try_from(event)?;
    let room = bot
        .client
        .get_room(&room_id)
        .ok_or_else(|| anyhow::anyhow!("the bot is not in the room"))?;
    let fetched = room.event(&event_id, None).await?;
    Ok((room, room_event(fetched.raw().deserialize()?)))
}

/// A timeline event as the handlers take it: a message, a redaction or a reaction; or
/// one still encrypted.
fn room_event(event: AnySyncTimelineEvent) -> Fetched {
    let AnySyncTimelineEvent::MessageLike(event) = event else {
        return Fetched::Other;
    };
    match event {
        AnySyncMessageLikeEvent::RoomMessage(SyncMessageLikeEvent::Original(message)) => {
            Fetched::Event(RoomEvent::Message(Box::new(message)))
        }
        AnySyncMessageLikeEvent::RoomRedaction(SyncRoomRedactionEvent::Original(redaction)) => {
            Fetched::Event(RoomEvent::Redaction(Box::new(redaction)))
        }
        AnySyncMessageLikeEvent::Reaction(SyncMessageLikeEvent::Original(reaction)) => {
            Fetched::Event(RoomEvent::Reaction(Box::new(reaction)))
        }
        AnySyncMessageLikeEvent::RoomEncrypted(SyncMessageLikeEvent::Original(encrypted)) => {
            Fetched::Locked(Box::new(encrypted))
        }
        _ => Fetched::Other,
    }
}
