//! Messages that arrive before their room key. In an encrypted room the Megolm key of a
//! message comes as a to-device message, which may reach the bot seconds after the
//! message itself (usual over federation; some clients send it late). Such an event is
//! kept in the lifecycle's memory, waiting for the key by its Megolm session id
//! (`Lifecycle::wait_for_key`): persisted with the sync position like any event received,
//! bounded, and given up after `matrix.room_key_wait` with one WARN naming it.
//!
//! matrix-sdk reports every room key it stores (`room_keys_received_stream`); when one
//! matches a waiting event, the event is fetched again (which decrypts it) and queued for
//! its room's lane as if it had just arrived. Every waiting event is also tried once at
//! start: the key may have come just before a stop.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use matrix_sdk::event_handler::Ctx;
use matrix_sdk::ruma::events::room::encrypted::{
    EncryptedEventScheme, OriginalSyncRoomEncryptedEvent,
};
use matrix_sdk::{Client, Room, RoomState};
use tokio::sync::mpsc::UnboundedSender;
use tracing::Instrument as _;

use super::Bot;
use super::messages::Incoming;
use super::unfinished::{Fetched, fetch};

/// What the SDK reports about room keys.
pub enum Arrived {
    /// Keys stored: (room id, Megolm session id).
    Keys(Vec<(String, String)>),
    /// Reports were missed (the reader fell behind): any key may have come.
    Missed,
}

/// The room keys the SDK stores from now on; `None` without end-to-end encryption.
/// Subscribe before the first sync, so no key it brings is missed.
pub async fn arrivals(client: &Client) -> Option<BoxStream<'static, Arrived>> {
    let stream = client.encryption().room_keys_received_stream().await?;
    Some(
        stream
            .map(|update| match update {
                Ok(keys) => Arrived::Keys(
                    keys.into_iter()
                        .map(|key| (key.room_id.to_string(), key.session_id))
                        .collect(),
                ),
                Err(_) => Arrived::Missed,
            })
            .boxed(),
    )
}

/// The sync handler for an event the SDK could not decrypt with the keys it has.
pub async fn on_undecryptable(
    event: OriginalSyncRoomEncryptedEvent,
    room: Room,
    bot: Ctx<Arc<Bot>>,
) {
    keep(&bot, &room, &event).await;
}

/// Keeps `event` until its key arrives, unless the bot would not handle it anyway (its
/// own, from a room it is not in, backlog, handled before).
pub async fn keep(bot: &Bot, room: &Room, event: &OriginalSyncRoomEncryptedEvent) {
    let id = event.event_id.as_str();
    let span = tracing::info_span!("encrypted", room = %room.room_id(), event = id);
    async {
        if event.sender == bot.own
            || room.state() != RoomState::Joined
            || bot.lifecycle.has_handled(id)
            || bot
                .is_backlog(room, event.origin_server_ts, bot.max_backlog_age)
                .await
        {
            // Done with it, if it was an event received before a stop.
            bot.lifecycle.settled(id);
            return;
        }
        let session = match &event.content.scheme {
            EncryptedEventScheme::MegolmV1AesSha2(megolm) => megolm.session_id.clone(),
            // No Megolm session to wait for: kept until the next start or the bound.
            _ => String::new(),
        };
        tracing::info!(
            sender = %event.sender,
            "could not decrypt a message (no room key for this device yet); kept until its key arrives"
        );
        bot.lifecycle
            .wait_for_key(room.room_id().as_str(), id, &session);
    }
    .instrument(span)
    .await
}

/// Tries every waiting event once: at start, before the sync.
pub async fn retry_all(bot: &Bot, queue: &UnboundedSender<Incoming>) {
    for (room, event) in bot.lifecycle.waiting_for_keys() {
        let _ = retry(bot, &room, &event, queue).await;
    }
}

/// Follows the room keys the SDK stores, handing on each waiting event whose key came,
/// and gives up events that waited too long. Runs until the bot stops.
pub async fn follow(
    bot: Arc<Bot>,
    arrivals: Option<BoxStream<'static, Arrived>>,
    queue: UnboundedSender<Incoming>,
) {
    let mut arrivals = arrivals.unwrap_or_else(|| futures_util::stream::pending().boxed());
    let mut sweep = tokio::time::interval(sweep_every(bot.room_key_wait));
    // Events whose key came but which could not be fetched: tried again at each sweep.
    let mut unfetched = BTreeSet::new();
    loop {
        tokio::select! {
            arrived = arrivals.next() => {
                let waiting: Vec<(String, String)> = match arrived {
                    Some(Arrived::Keys(keys)) => keys
                        .iter()
                        .flat_map(|(room, session)| {
                            bot.lifecycle
                                .waiting_for(room, session)
                                .into_iter()
                                .map(|event| (room.clone(), event))
                        })
                        .collect(),
                    Some(Arrived::Missed) => {
                        tracing::debug!("room key reports were missed; trying every waiting event");
                        bot.lifecycle.waiting_for_keys()
                    }
                    None => {
                        arrivals = futures_util::stream::pending().boxed();
                        continue;
                    }
                };
                for (room, event) in waiting {
                    if retry(&bot, &room, &event, &queue).await.is_err() {
                        unfetched.insert((room, event));
                    }
                }
            }
            _ = sweep.tick() => {
                bot.lifecycle.give_up_key_waits(bot.room_key_wait);
                let still_waiting: BTreeSet<(String, String)> =
                    bot.lifecycle.waiting_for_keys().into_iter().collect();
                for (room, event) in std::mem::take(&mut unfetched) {
                    if still_waiting.contains(&(room.clone(), event.clone()))
                        && retry(&bot, &room, &event, &queue).await.is_err()
                    {
                        unfetched.insert((room, event));
                    }
                }
            }
        }
    }
}

/// How often waiting events are checked against the bound: often enough that one is
/// given up within a few percent of it, at least every second, at most every minute.
fn sweep_every(bound: Duration) -> Duration {
    (bound / 20).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

/// Fetches `event` again and, when it can be read now and was still waiting, queues it
/// as if it had just arrived. An error (the fetch failed) leaves it waiting.
async fn retry(
    bot: &Bot,
    room: &str,
    event: &str,
    queue: &UnboundedSender<Incoming>,
) -> anyhow::Result<()> {
    let span = tracing::info_span!("encrypted", room, event);
    async {
        match fetch(bot, room, event).await {
            Ok((room, Fetched::Event(again))) => {
                if bot.lifecycle.key_arrived(event) {
                    tracing::info!("the room key arrived; handling the message");
                    let _ = queue.send(Incoming::Event(room, again));
                }
                Ok(())
            }
            Ok((_, Fetched::Locked(_))) => {
                tracing::debug!("still cannot decrypt it; waiting on");
                Ok(())
            }
            Ok((_, Fetched::Other)) => {
                tracing::debug!("decrypted, and nothing the bot handles");
                bot.lifecycle.give_up(event);
                Ok(())
            }
            Err(error) => {
                tracing::info!("fetching it again failed; waiting on: {error:#}");
                Err(error)
            }
        }
    }
    .instrument(span)
    .await
}
