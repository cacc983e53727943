//! Room messages, redactions and reactions: turned into `Desk` calls and lifecycle steps.
//! One handler per event kind; each returns early when the event is not for it. What
//! to warn about, and what an edit, a redaction or a reaction does, is decided in
//! `crate::lifecycle`; this file only reads Matrix events.
//!
//! The sync hands events to a queue (see `mod.rs`); `work` routes each to its room's lane
//! (`crate::lifecycle::lanes`, where the ordering rule is).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use copydesk_core::admin::RoomMode;
use copydesk_core::{Action, Caller, MessageReport, Outcome};
use matrix_sdk::ruma::EventId;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::relation::Replacement;
use matrix_sdk::ruma::events::room::message::{
    MessageFormat, MessageType, OriginalSyncRoomMessageEvent, Relation,
    RoomMessageEventContentWithoutRelation,
};
use matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent;
use matrix_sdk::ruma::events::{
    AnySyncMessageLikeEvent, AnySyncTimelineEvent, SyncMessageLikeEvent,
};
use matrix_sdk::{Room, RoomState};
use tokio::sync::mpsc::UnboundedReceiver;
use tracing::Instrument as _;

use super::Bot;
use super::addressing::{addressed, starts_with_pill, strip_mx_reply, strip_reply_fallback};
use crate::lifecycle::MessageRef;
use crate::lifecycle::ToPost;
use crate::lifecycle::lanes::{InOrder, Lanes, Unfinished};

/// What the sync queues for the dispatcher.
pub enum Incoming {
    Event(Room, RoomEvent),
    /// Sent once the sync has stopped: finish what is queued, then return.
    Stop,
}

/// A room event waiting for its room's lane.
pub enum RoomEvent {
    Message(Box<OriginalSyncRoomMessageEvent>),
    Redaction(Box<OriginalSyncRoomRedactionEvent>),
    Reaction(Box<OriginalSyncReactionEvent>),
}

/// How long a room's lane stays open with nothing to do. A busy room keeps its lane;
/// a room the bot has left, or one that fell quiet, gives it up.
const LANE_IDLE: Duration = Duration::from_secs(300);

/// Routes queued events to their room's lane until `Incoming::Stop`, then waits until
/// every lane has handled what is queued on it.
pub async fn work(bot: Arc<Bot>, mut queue: UnboundedReceiver<Incoming>) {
    let mut lanes = Lanes::new(move |(room, event)| handle(bot.clone(), room, event));
    let mut tidy = tokio::time::interval(LANE_IDLE);
    loop {
        tokio::select! {
            incoming = queue.recv() => match incoming {
                Some(Incoming::Event(room, event)) => {
                    crate::failpoint::hit("queued");
                    lanes.route(room.room_id().to_owned(), (room, event));
                }
                Some(Incoming::Stop) | None => break,
            },
            _ = tidy.tick() => lanes.retire_idle(LANE_IDLE),
        }
    }
    lanes.finish().await;
}

/// Runs the handler for one event, in a span naming its room and id. Returns what is
/// left to finish: the posting of a warning, in the same span.
async fn handle(bot: Arc<Bot>, room: Room, event: RoomEvent) -> Option<Unfinished> {
    let id = match &event {
        RoomEvent::Message(event) => event.event_id.to_string(),
        RoomEvent::Redaction(event) => event.event_id.to_string(),
        RoomEvent::Reaction(event) => event.event_id.to_string(),
    };
    let rest = handle_kind(&bot, room, event).await;
    bot.lifecycle.settled(&id);
    rest
}

async fn handle_kind(bot: &Arc<Bot>, room: Room, event: RoomEvent) -> Option<Unfinished> {
    match event {
        RoomEvent::Message(event) => {
            let span =
                tracing::info_span!("message", room = %room.room_id(), event = %event.event_id);
            let rest = on_room_message(bot, room, *event)
                .instrument(span.clone())
                .await?;
            Some(Box::pin(rest.instrument(span)))
        }
        RoomEvent::Redaction(event) => {
            let span =
                tracing::info_span!("redaction", room = %room.room_id(), event = %event.event_id);
            on_redaction(bot, room, *event).instrument(span).await;
            None
        }
        RoomEvent::Reaction(event) => {
            let span =
                tracing::info_span!("reaction", room = %room.room_id(), event = %event.event_id);
            let _enter = span.enter();
            on_reaction(bot, &room, &event);
            None
        }
    }
}

/// A new message outside any thread refers to nothing earlier, so it may go ahead of
/// earlier warnings still being sent; everything else waits (see `crate::lifecycle`).
impl InOrder for (Room, RoomEvent) {
    fn needs_earlier_finished(&self) -> bool {
        match &self.1 {
            RoomEvent::Message(event) => {
                !matches!(event.content.relates_to, None | Some(Relation::Reply(_)))
            }
            RoomEvent::Redaction(_) | RoomEvent::Reaction(_) => true,
        }
    }
}

/// A message: a command to answer, a new message to check, or an edit. Returns the
/// posting of a warning about a new message, for the lane to finish.
async fn on_room_message(
    bot: &Arc<Bot>,
    room: Room,
    event: OriginalSyncRoomMessageEvent,
) -> Option<impl Future<Output = ()> + Send + 'static> {
    // Never our own messages.
    if event.sender == bot.own {
        return None;
    }
    // Only `m.text`: never `m.notice`, which is what other bots (and this one) post;
    // answering notices is how two bots end up talking to each other forever.
    let MessageType::Text(_) = &event.content.msgtype else {
        return None;
    };
    if room.state() != RoomState::Joined {
        return None;
    }
    let policy = bot.policy(room.room_id());
    // In an "off" room the bot stays silent, except to editors' admin commands (so one
    // can switch it back on with `!mode`).
    if policy.mode == RoomMode::Off && !bot.is_editor(&event.sender) {
        return None;
    }
    // One whose key came late may be older than a restart's backlog bound.
    let max_age = match bot.lifecycle.key_came_late(event.event_id.as_str()) {
        true => bot.max_backlog_age.max(bot.room_key_wait),
        false => bot.max_backlog_age,
    };
    if bot.is_backlog(&room, event.origin_server_ts, max_age).await {
        return None;
    }
    if bot.lifecycle.has_handled(event.event_id.as_str()) {
        tracing::info!("already handled before a restart; skipping");
        return None;
    }
    let result = match &event.content.relates_to {
        Some(Relation::Replacement(edit)) => on_edit(bot, &room, &event, edit).await.map(|()| None),
        _ => on_new_message(bot, &room, &event).await,
    };
    let (planned, text) = match result {
        Ok(Some(planned)) => planned,
        Ok(None) => return None,
        Err(error) => {
            tracing::warn!("handling the message failed: {error:#}");
            return None;
        }
    };
    let bot = bot.clone();
    Some(async move {
        if let Err(error) = bot.lifecycle.post(&bot.out, planned, &text).await {
            tracing::warn!("posting the warning failed: {error:#}");
        }
    })
}

/// A new message (not an edit): answer it if it is a command, else check it. A warning
/// it needs is decided on here and returned for posting, with the text it is about.
async fn on_new_message(
    bot: &Bot,
    room: &Room,
    event: &OriginalSyncRoomMessageEvent,
) -> anyhow::Result<Option<(ToPost, String)>> {
    let MessageType::Text(text) = &event.content.msgtype else {
        return Ok(None);
    };
    // A reply may start with a quote of the message it answers (the reply fallback);
    // that quote is someone else's text, not a command and not this author's claim.
    let is_reply = matches!(
        event.content.relates_to,
        Some(Relation::Reply(_) | Relation::Thread(_))
    );
    let body = if is_reply {
        strip_reply_fallback(&text.body)
    } else {
        &text.body
    };
    let html = text
        .formatted
        .as_ref()
        .filter(|f| f.format == MessageFormat::Html)
        .map(|f| strip_mx_reply(&f.body));
    let mentioned = event
        .content
        .mentions
        .as_ref()
        .is_some_and(|m| m.user_ids.contains(&bot.own))
        || html.is_some_and(|h| starts_with_pill(h, bot.own.as_str()));

    let desk = bot.desk();
    let caller = Caller {
        is_editor: bot.is_editor(&event.sender),
    };
    let policy = bot.policy(room.room_id());
    let started = Instant::now();
    let action = match addressed(body, &bot.names, desk.prefix(), mentioned) {
        Some(command_line) => desk.command_as(command_line, crate::operations::today(), caller),
        None => desk.handle_as(body, crate::operations::today(), caller),
    };
    let message = message_ref(room, event);
    match action {
        Action::Admin { command, request } => {
            let mode = bot
                .lifecycle
                .admin(&bot.out, &message, command, request)
                .await?;
            tracing::info!(command, ?mode, "admin command carried out");
        }
        Action::Outcome(_) if policy.mode == RoomMode::Off => {}
        Action::Outcome(Outcome::Answer { command, reply }) => {
            let answer = bot
                .lifecycle
                .answer(&bot.out, &message, command, &reply)
                .await?;
            let since_sent_ms = message.since_received_ms();
            tracing::info!(command, answer = %answer.event, since_sent_ms, "answered");
        }
        Action::Outcome(Outcome::Checked { report, .. }) => {
            bot.lifecycle.ops().checked(started.elapsed());
            let planned = bot.lifecycle.plan(report, body, message, policy)?;
            return Ok(planned.map(|planned| (planned, body.to_owned())));
        }
        Action::Outcome(Outcome::Ignored) => {}
    }
    Ok(None)
}

/// An edit (`m.replace`): the new text is re-checked, and the lifecycle decides what
/// becomes of the warning about the original. Edited commands are not answered again.
async fn on_edit(
    bot: &Bot,
    room: &Room,
    edit: &OriginalSyncRoomMessageEvent,
    replacement: &Replacement<RoomMessageEventContentWithoutRelation>,
) -> anyhow::Result<()> {
    let MessageType::Text(new) = &replacement.new_content.msgtype else {
        return Ok(());
    };
    let original = match bot.lifecycle.warned_message(replacement.event_id.as_str()) {
        Some(original) => original,
        None => fetch(room, &replacement.event_id).await?,
    };
    let body = new.body.as_str();
    let desk = bot.desk();
    if addressed(body, &bot.names, desk.prefix(), false).is_some() {
        return Ok(());
    }
    let report = match desk.handle(body, crate::operations::today()) {
        Outcome::Checked { report, .. } => report,
        Outcome::Answer { .. } | Outcome::Ignored => MessageReport::default(),
    };
    let policy = bot.policy(room.room_id());
    bot.lifecycle
        .edited(
            &bot.out,
            edit.event_id.as_str(),
            original,
            edit.sender.as_str(),
            report,
            body,
            policy,
        )
        .await
}

/// A redaction by someone other than the bot: what it removed may be a vote, a warned
/// message or one of the bot's warnings (our own redactions are withdrawals already
/// recorded).
async fn on_redaction(bot: &Bot, room: Room, event: OriginalSyncRoomRedactionEvent) {
    let Some(redacted) = event
        .redacts
        .clone()
        .or_else(|| event.content.redacts.clone())
    else {
        return;
    };
    if event.sender == bot.own {
        return;
    }
    let deletion = MessageRef {
        room: room.room_id().to_string(),
        event: event.event_id.to_string(),
        sender: event.sender.to_string(),
        thread: None,
        received_ms: None,
    };
    if let Err(error) = bot
        .lifecycle
        .deleted(&bot.out, &deletion, redacted.as_str())
        .await
    {
        tracing::warn!("following the redaction failed: {error:#}");
    }
}

/// A reaction: a 👍 or 👎 on one of the bot's warnings may be feedback.
fn on_reaction(bot: &Bot, room: &Room, event: &OriginalSyncReactionEvent) {
    if event.sender == bot.own {
        return;
    }
    let annotation = &event.content.relates_to;
    let reaction = MessageRef {
        room: room.room_id().to_string(),
        event: event.event_id.to_string(),
        sender: event.sender.to_string(),
        thread: None,
        received_ms: None,
    };
    bot.lifecycle.reacted(
        &reaction,
        annotation.event_id.as_str(),
        &annotation.key,
        bot.is_editor(&event.sender),
    );
}

/// A message event in `room`, by ids.
fn message_ref(room: &Room, event: &OriginalSyncRoomMessageEvent) -> MessageRef {
    MessageRef {
        room: room.room_id().to_string(),
        event: event.event_id.to_string(),
        sender: event.sender.to_string(),
        thread: match &event.content.relates_to {
            Some(Relation::Thread(thread)) => Some(thread.event_id.to_string()),
            _ => None,
        },
        received_ms: Some(u64::from(event.origin_server_ts.0)),
    }
}

/// Loads the original of an edit (decrypted when the room is encrypted).
async fn fetch(room: &Room, event_id: &EventId) -> anyhow::Result<MessageRef> {
    let event = room
        .event(event_id, None)
        .await
        .with_context(|| format!("fetching the edited message {event_id}"))?;
    let Ok(AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomMessage(
        SyncMessageLikeEvent::Original(message),
    ))) = event.raw().deserialize()
    else {
        anyhow::bail!("the edited event {event_id} is not a message");
    };
    Ok(message_ref(room, &message))
}
