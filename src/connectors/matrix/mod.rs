//! The Matrix connector: copydesk as a bot in Matrix rooms, on matrix-sdk.
//!
//! The connector turns room events into `Desk` calls and the desk's replies into
//! `m.notice` messages; what to answer and what to warn about is decided in the core.
//!
//! How a run goes:
//! 1. `session`: restore the login saved in `data_dir` (or log in the first time).
//! 2. First start only: one sync *before any message handler exists*, so the history the
//!    homeserver sends with it is never answered ("no backlog from before the first
//!    start").
//! 3. Handlers: invites (`invites`), messages, redactions and reactions (`messages`),
//!    and messages that cannot be decrypted yet, kept until their room key arrives
//!    (`keys`). The sync only queues room events; a dispatcher hands each to its room's lane
//!    (`crate::lifecycle::lanes`). What becomes of a message is the lifecycle's
//!    (`crate::lifecycle`); `outgoing` is how the bot posts. Beside them run the
//!    knowledge-file watcher and the daily freshness post (`ops`, `crate::operations`);
//!    each sync is reported to the process's metrics (`/healthz`).
//! 4. Sync forever from the position the lifecycle saved (`unfinished` queued what comes
//!    before it). While the homeserver is down, the sync and every send wait for it to
//!    answer again (`reachability`) and go at once when it does; SIGINT/SIGTERM stop the
//!    sync, every lane finishes its queue
//!    (within `SHUTDOWN_GRACE`), and the bot exits.
//!
//! Privacy: logs at info and above carry room ids, event ids and user ids, never message
//! text. Files in `data_dir`: `store/` (SQLite state and crypto store), `session.json`,
//! `memory.json` (see `crate::lifecycle::memory`), `settings.json`, `stats.json`,
//! `audit.jsonl` (see `crate::operations`), and `lock`.

mod addressing;
mod invites;
mod keys;
mod messages;
mod ops;
mod outgoing;
mod reachability;
mod retry;
mod session;
mod unfinished;

use std::os::unix::fs::DirBuilderExt as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use copydesk_core::Desk;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::api::client::filter::{FilterDefinition, RoomEventFilter};
use matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::message::OriginalSyncRoomMessageEvent;
use matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent;
use matrix_sdk::ruma::{MilliSecondsSinceUnixEpoch, OwnedUserId, RoomId, UInt, UserId};
use matrix_sdk::{Client, Room, RoomState};
use tokio::sync::mpsc;

use crate::config::{Autojoin, Config, RoomsConfig};
use crate::connectors::running::{Shutdown, lock_data_dir};
use crate::lifecycle::Lifecycle;
use crate::lifecycle::decide::Policy;
use crate::operations::Operations;
use crate::operations::metrics::{Metrics, Platform};
use crate::operations::reload::Reloader;
use addressing::Names;
use messages::{Incoming, RoomEvent};
use outgoing::Matrix;
use reachability::Reachability;

/// How many timeline events one sync may return per room: enough to cover a busy room
/// for the time the bot is typically down (older ones fall outside max_backlog_age).
const TIMELINE_LIMIT: u32 = 50;
/// How long the lanes may take to finish queued events at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// Everything the handlers share.
pub struct Bot {
    client: Client,
    own: OwnedUserId,
    /// The warning lifecycle, and through it the desk and everything operations keeps.
    lifecycle: Lifecycle,
    /// How the lifecycle posts, edits and redacts.
    out: Matrix,
    names: Names,
    rooms: RoomsConfig,
    autojoin: Autojoin,
    editors: Vec<OwnedUserId>,
    max_backlog_age: Duration,
    /// How long an event that cannot be decrypted yet waits for its room key.
    room_key_wait: Duration,
}

impl Bot {
    fn ops(&self) -> &Operations {
        self.lifecycle.ops()
    }

    /// Whether a message sent at `sent` is backlog the bot must not handle: older than
    /// `max_age` (`max_backlog_age`, or longer for one whose room key came late), or
    /// written before the bot joined the room.
    async fn is_backlog(
        &self,
        room: &Room,
        sent: MilliSecondsSinceUnixEpoch,
        max_age: Duration,
    ) -> bool {
        let now = u64::from(MilliSecondsSinceUnixEpoch::now().0);
        let age = Duration::from_millis(now.saturating_sub(u64::from(sent.0)));
        if age > max_age {
            tracing::info!(
                age_s = age.as_secs(),
                "older than max_backlog_age; not handled"
            );
            return true;
        }
        // Protocol trap: after a join, the next sync brings the room's recent history
        // along with it. Those messages were written before the bot was there. The sync
        // filter leaves the bot's own join out of the timeline, so the members are read
        // from the homeserver once per room when the store does not have them.
        let joined = match room.get_member(&self.own).await {
            Ok(Some(member)) => member.event().origin_server_ts(),
            _ => None,
        };
        if joined.is_some_and(|joined| sent < joined) {
            tracing::info!("sent before the bot joined; not handled");
            return true;
        }
        false
    }

    /// The desk serving now (a reload swaps it): take it once per message.
    fn desk(&self) -> Arc<Desk> {
        self.ops().desk()
    }

    fn is_editor(&self, user: &UserId) -> bool {
        self.editors.iter().any(|e| e == user)
    }

    /// The settings of `room`: its mode (set by an editor with `!mode`, else from the
    /// configuration) and whether warnings are muted.
    fn policy(&self, room: &RoomId) -> Policy {
        self.lifecycle.policy(room.as_str(), self.rooms.mode(room))
    }

    /// The editors' room, when configured and joined.
    fn editors_room(&self) -> Option<Room> {
        let room = self.client.get_room(self.rooms.editors_room.as_ref()?)?;
        (room.state() == RoomState::Joined).then_some(room)
    }
}

/// Runs the bot until SIGINT or SIGTERM. Returns an error only for what retrying cannot
/// fix (bad credentials, a store that cannot be opened, a revoked access token).
pub async fn serve(
    config: &Config,
    reloader: Arc<Reloader>,
    metrics: Arc<Metrics>,
) -> anyhow::Result<()> {
    let mut shutdown = Shutdown::listen()?;
    let matrix = config.matrix.as_ref().context("no [matrix] table")?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&matrix.data_dir)
        .with_context(|| format!("cannot create data_dir {}", matrix.data_dir.display()))?;
    let _lock = lock_data_dir(&matrix.data_dir)?;
    let ops = Operations::open(
        &matrix.data_dir,
        config.ops.clone(),
        reloader,
        (metrics.clone(), Platform::Matrix),
        config.rooms.editors_room.is_some(),
    )?;
    let lifecycle = Lifecycle::open(
        &matrix.data_dir,
        ops,
        config.rooms.editors_room.as_ref().map(|r| r.to_string()),
    )?;

    let client = tokio::select! {
        connected = session::connect(matrix) => connected?.0,
        () = shutdown.requested() => return Ok(()),
    };
    let reach = Reachability::new(&client.homeserver())?;
    let own = client
        .user_id()
        .context("logged in without a user id")?
        .to_owned();
    let display_name = client.account().get_display_name().await.ok().flatten();
    let names = Names::new(
        own.as_str(),
        Some(display_name.as_deref().unwrap_or(own.localpart())),
    );
    let bot = Arc::new(Bot {
        client: client.clone(),
        own,
        lifecycle,
        out: Matrix {
            client: client.clone(),
            reach: reach.clone(),
        },
        names,
        rooms: config.rooms.clone(),
        autojoin: matrix.autojoin.clone(),
        editors: config.rooms.editors.clone(),
        max_backlog_age: matrix.max_backlog_age,
        room_key_wait: matrix.room_key_wait,
    });

    // Protocol trap: the first sync of a new login returns recent history from every
    // room the account is in. It runs before any message handler exists, so none of it
    // is answered or checked. Later starts skip this and resume from the saved position.
    if !bot.lifecycle.caught_up() {
        let position = tokio::select! {
            position = initial_sync(&client, &bot.own, &metrics, &reach) => position,
            () = shutdown.requested() => return Ok(()),
        };
        bot.lifecycle.set_caught_up()?;
        bot.lifecycle.synced(&position)?;
        tracing::info!("first start: the backlog before now is skipped");
    }

    let (queue, inbox) = mpsc::unbounded_channel();
    // Before anything can bring a room key: one that comes during the retries below is
    // still seen.
    let room_keys = keys::arrivals(&client).await;
    install_handlers(&client, &bot, queue.clone());
    invites::consider_pending(&bot).await;
    bot.lifecycle.give_up_key_waits(bot.room_key_wait);
    unfinished::requeue(&bot, &queue).await;
    keys::retry_all(&bot, &queue).await;
    unfinished::catch_up(&bot, &queue).await;
    let dispatcher = tokio::spawn(messages::work(bot.clone(), inbox));
    let mut background = vec![
        tokio::spawn(ops::freshness(bot.clone())),
        tokio::spawn(keys::follow(bot.clone(), room_keys, queue.clone())),
    ];
    let _watch = match bot.ops().settings().reload.watch {
        true => {
            let (watch, reloads) = bot
                .ops()
                .reloader()
                .watch(bot.ops().settings().reload.debounce)?;
            background.push(tokio::spawn(ops::forward_reloads(bot.clone(), reloads)));
            Some(watch)
        }
        false => None,
    };
    tracing::info!(
        user = %bot.own,
        device = ?client.device_id(),
        rooms = client.joined_rooms().len(),
        default_mode = %config.rooms.default_mode,
        "copydesk is running"
    );

    let settings = SyncSettings::default()
        .timeout(matrix.sync_timeout)
        .filter(sync_filter(&bot.own, TIMELINE_LIMIT));
    let outcome = tokio::select! {
        fatal = sync_forever(&client, settings, &bot.lifecycle, &metrics, &reach) => Err(fatal),
        () = shutdown.requested() => Ok(()),
    };

    // Finish what is queued (a command being answered is answered), then stop.
    let _ = queue.send(Incoming::Stop);
    match tokio::time::timeout(SHUTDOWN_GRACE, dispatcher).await {
        Ok(_) => tracing::info!("stopped cleanly"),
        Err(_) => tracing::warn!("stopped with events still queued"),
    }
    for task in background {
        task.abort();
    }
    bot.ops().shutdown();
    drop(bot);
    drop(client);
    outcome
}

/// Registers the event handlers. Room events only go into the queue; `messages::work`
/// hands them to their room's lane.
fn install_handlers(client: &Client, bot: &Arc<Bot>, queue: mpsc::UnboundedSender<Incoming>) {
    client.add_event_handler_context(bot.clone());
    client.add_event_handler(invites::on_stripped_member);

    // Each event is noted as received before the sync position that follows it is saved
    // (`sync_forever`), so a stop with events still queued loses none of them.
    let (messages, noted) = (queue.clone(), bot.clone());
    client.add_event_handler(move |event: OriginalSyncRoomMessageEvent, room: Room| {
        noted
            .lifecycle
            .received(room.room_id().as_str(), event.event_id.as_str());
        let _ = messages.send(Incoming::Event(room, RoomEvent::Message(Box::new(event))));
        async {}
    });
    let (redactions, noted) = (queue.clone(), bot.clone());
    client.add_event_handler(move |event: OriginalSyncRoomRedactionEvent, room: Room| {
        noted
            .lifecycle
            .received(room.room_id().as_str(), event.event_id.as_str());
        let _ = redactions.send(Incoming::Event(room, RoomEvent::Redaction(Box::new(event))));
        async {}
    });
    let noted = bot.clone();
    client.add_event_handler(move |event: OriginalSyncReactionEvent, room: Room| {
        noted
            .lifecycle
            .received(room.room_id().as_str(), event.event_id.as_str());
        let _ = queue.send(Incoming::Event(room, RoomEvent::Reaction(Box::new(event))));
        async {}
    });
    // Decrypted events reach the handlers above; what is still encrypted here had no key
    // yet, and is noted as waiting for it, like an event received.
    client.add_event_handler(keys::on_undecryptable);
}

/// The sync filter: only what the bot uses. Every sync costs the SDK a crypto-store and a
/// state-store transaction whatever it brings, so the bot is not woken for typing,
/// receipts, presence or account data, nor for the echo of its own posts (it never
/// handles its own events; `Bot::is_backlog` reads its own join from the homeserver).
/// Members are lazy-loaded (the bot never lists them; the SDK fetches them when an
/// encrypted room needs them) and the timeline is capped per room.
fn sync_filter(own: &UserId, timeline_limit: u32) -> Filter {
    let mut filter = FilterDefinition::with_lazy_loading();
    filter.presence.types = Some(Vec::new());
    filter.account_data.types = Some(Vec::new());
    filter.room.ephemeral.types = Some(Vec::new());
    filter.room.account_data.types = Some(Vec::new());
    let mut timeline = RoomEventFilter::default();
    timeline.limit = Some(UInt::from(timeline_limit));
    timeline.not_senders = vec![own.to_owned()];
    timeline.lazy_load_options = filter.room.state.lazy_load_options;
    filter.room.timeline = timeline;
    Filter::FilterDefinition(filter)
}

/// The first sync after the first login, retried until it succeeds.
async fn initial_sync(
    client: &Client,
    own: &UserId,
    metrics: &Metrics,
    reach: &Reachability,
) -> String {
    let settings = SyncSettings::default()
        .timeout(Duration::ZERO)
        .filter(sync_filter(own, 1));
    let mut failures = 0;
    loop {
        match client.sync_once(settings.clone()).await {
            Ok(response) => {
                metrics.synced();
                return response.next_batch;
            }
            Err(error) => {
                tracing::debug!(%error, failures, "first sync failed");
                reach.before_retry(&error, failures).await;
                failures += 1;
            }
        }
    }
}

/// Syncs until the access token is revoked (the only error returned). Any other failure
/// is retried forever: at once when an unreachable homeserver answers again, else after
/// the delay the server asks for or the back-off (`Reachability::before_retry`).
///
/// The position each sync resumes from is the lifecycle's (saved once every event of the
/// sync is noted as received), not the SDK's, which it saves before the events are handed
/// out: a crash in between would skip them.
async fn sync_forever(
    client: &Client,
    settings: SyncSettings,
    lifecycle: &Lifecycle,
    metrics: &Metrics,
    reach: &Reachability,
) -> anyhow::Error {
    let mut failures: u32 = 0;
    loop {
        let settings = match lifecycle.resume() {
            Some(position) => settings.clone().token(position),
            None => settings.clone(),
        };
        match client.sync_once(settings).await {
            Ok(response) => {
                if let Err(error) = lifecycle.synced(&response.next_batch) {
                    tracing::warn!("saving the sync position failed: {error:#}");
                }
                metrics.synced();
                failures = 0;
            }
            Err(error) if retry::is_unknown_token(&error) => {
                return anyhow::anyhow!(
                    "the homeserver no longer accepts the bot's access token ({error}); \
                     delete session.json and store/ in data_dir to log in again"
                );
            }
            Err(error) => {
                tracing::debug!(%error, failures, "sync failed");
                reach.before_retry(&error, failures).await;
                failures = failures.saturating_add(1);
            }
        }
    }
}
