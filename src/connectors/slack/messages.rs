//! Events turned into `Desk` calls and lifecycle steps, one handler per kind; what to
//! warn about, and what an edit, a deletion or a reaction does, is decided in
//! `crate::lifecycle`. `events` has already read the Slack JSON.
//!
//! The socket queues events; `work` hands each to its channel's lane
//! (`crate::lifecycle::lanes`, where the ordering rule is).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use copydesk_core::admin::RoomMode;
use copydesk_core::reply::Inline;
use copydesk_core::{Action, Caller, MessageReport, Outcome, Reply};
use slack_morphism::prelude::*;
use tokio::sync::mpsc::UnboundedReceiver;
use tracing::Instrument as _;

use super::SlackBot;
use super::events::{self, Event};
use crate::lifecycle::MessageRef;
use crate::lifecycle::lanes::{InOrder, Lanes, Unfinished};
use crate::operations::lock;

/// What the socket queues for the dispatcher.
pub enum Incoming {
    Event(Box<SlackPushEventCallback>),
    /// An event the last run did not finish, read again (`super::unfinished`).
    Again(Box<Event>),
    /// Sent once the sockets are closed: finish what is queued, then return.
    Stop,
}

/// How long a channel's lane stays open with nothing to do.
const LANE_IDLE: Duration = Duration::from_secs(300);

/// Every event waits until the earlier ones of its channel are finished, warnings' posts
/// included. On Matrix a new message may go ahead of warnings still being sent; on Slack
/// nothing would be gained, since a channel's posts go one after the other anyway (`pace`,
/// about one a second), and waiting keeps a channel's warnings in the order of their
/// messages, also through a storm of 429s.
impl InOrder for Event {
    fn needs_earlier_finished(&self) -> bool {
        true
    }
}

/// The events routed to a lane and not finished yet (queued, being handled, or their
/// warning being posted): what a shutdown that runs out of time leaves undone.
#[derive(Default)]
pub struct InHand(Mutex<(u64, BTreeMap<u64, Held>)>);

/// An event in hand, by what a log may name: its kind, channel and id.
struct Held {
    kind: &'static str,
    channel: String,
    id: String,
}

impl Held {
    fn of(event: &Event) -> Held {
        let (kind, channel, id) = match event {
            Event::Message { message, .. } => ("message", &message.room, &message.event),
            Event::Edited { edit, .. } => ("edit", &edit.room, &edit.event),
            Event::Deleted { deletion, deleted } => ("deletion", &deletion.room, deleted),
            Event::Reaction { reaction, .. } => ("reaction", &reaction.room, &reaction.event),
        };
        Held {
            kind,
            channel: channel.clone(),
            id: id.clone(),
        }
    }
}

impl InHand {
    fn hold(self: &Arc<Self>, held: Held) -> Holding {
        let mut guard = lock(&self.0);
        let (next, held_now) = &mut *guard;
        *next += 1;
        held_now.insert(*next, held);
        Holding {
            in_hand: self.clone(),
            number: *next,
        }
    }

    /// Logs each event not finished, oldest first, by channel and id (never its text);
    /// returns how many there were.
    pub fn log_unfinished(&self) -> usize {
        let guard = lock(&self.0);
        for held in guard.1.values() {
            tracing::warn!(
                channel = %held.channel,
                id = %held.id,
                event = held.kind,
                "not finished at shutdown: dropped, and Slack will not send it again"
            );
        }
        guard.1.len()
    }
}

/// An event's place in `InHand`, given up when it is finished (or its handler panicked).
struct Holding {
    in_hand: Arc<InHand>,
    number: u64,
}

impl Drop for Holding {
    fn drop(&mut self) {
        lock(&self.in_hand.0).1.remove(&self.number);
    }
}

/// An event on its way through its lane, held in `InHand` until it is finished.
struct Tracked {
    event: Event,
    holding: Holding,
}

impl InOrder for Tracked {
    fn needs_earlier_finished(&self) -> bool {
        self.event.needs_earlier_finished()
    }
}

/// Routes queued events to their channel's lane until `Incoming::Stop`, then waits
/// until every lane has handled what is queued on it. Every event routed is in
/// `in_hand` until it is finished.
pub async fn work(
    bot: Arc<SlackBot>,
    mut queue: UnboundedReceiver<Incoming>,
    in_hand: Arc<InHand>,
) {
    let handler_bot = bot.clone();
    let mut lanes = Lanes::new(move |Tracked { event, holding }: Tracked| {
        let bot = handler_bot.clone();
        async move {
            let rest = handle(bot, event).await?;
            let rest: Unfinished = Box::pin(async move {
                rest.await;
                drop(holding);
            });
            Some(rest)
        }
    });
    let mut tidy = tokio::time::interval(LANE_IDLE);
    loop {
        tokio::select! {
            incoming = queue.recv() => match incoming {
                Some(Incoming::Event(push)) => {
                    crate::failpoint::hit("queued");
                    let Some(event) = events::translate(&push.event, &bot.own) else {
                        tracing::debug!(event_id = %push.event_id, "not followed");
                        continue;
                    };
                    let (channel, item) = tracked(&in_hand, event);
                    lanes.route(channel, item);
                }
                Some(Incoming::Again(event)) => {
                    let (channel, item) = tracked(&in_hand, *event);
                    lanes.route(channel, item);
                }
                Some(Incoming::Stop) | None => break,
            },
            _ = tidy.tick() => lanes.retire_idle(LANE_IDLE),
        }
    }
    lanes.finish().await;
}

/// `event` held in `in_hand` until it is finished, with the channel whose lane it goes on.
fn tracked(in_hand: &Arc<InHand>, event: Event) -> (String, Tracked) {
    let held = Held::of(&event);
    let channel = held.channel.clone();
    let holding = in_hand.hold(held);
    (channel, Tracked { event, holding })
}

/// Notes a followed event as received, durably (before Socket Mode acknowledges it).
pub fn note_received(bot: &SlackBot, push: &SlackPushEventCallback) {
    let Some(event) = events::translate(&push.event, &bot.own) else {
        return;
    };
    let (channel, id) = event.id();
    if let Err(error) = bot.lifecycle.received_durably(channel, id) {
        tracing::warn!(
            channel,
            id,
            "noting the event as received failed: {error:#}"
        );
    }
}

/// Runs the handler for one event; then an event that needed no action is done with.
async fn handle(bot: Arc<SlackBot>, event: Event) -> Option<Unfinished> {
    let id = event.id().1.to_owned();
    let rest = handle_kind(bot.clone(), event).await;
    bot.lifecycle.settled(&id);
    rest
}

/// Runs the handler for one event in a span naming its channel and id; returns the
/// posting of a warning, for the lane to finish.
async fn handle_kind(bot: Arc<SlackBot>, event: Event) -> Option<Unfinished> {
    match event {
        Event::Message {
            message,
            text,
            command,
        } => {
            let span = tracing::info_span!("message", channel = %message.room, id = %message.event);
            let rest = on_message(&bot, message, text, command)
                .instrument(span.clone())
                .await?;
            Some(Box::pin(rest.instrument(span)))
        }
        Event::Edited {
            edit,
            original,
            text,
        } => {
            let span = tracing::info_span!("edit", channel = %edit.room, id = %edit.event);
            if let Err(error) = on_edit(&bot, edit, original, &text)
                .instrument(span.clone())
                .await
            {
                span.in_scope(|| tracing::warn!("following the edit failed: {error:#}"));
            }
            None
        }
        Event::Deleted { deletion, deleted } => {
            let span = tracing::info_span!("deletion", channel = %deletion.room, id = %deleted);
            let result = bot
                .lifecycle
                .deleted(&bot.out, &deletion, &deleted)
                .instrument(span.clone())
                .await;
            if let Err(error) = result {
                span.in_scope(|| tracing::warn!("following the deletion failed: {error:#}"));
            }
            None
        }
        Event::Reaction {
            reaction,
            target,
            key,
            added,
        } => {
            let span =
                tracing::info_span!("reaction", channel = %reaction.room, id = %reaction.event);
            if added {
                let is_editor = bot.is_editor(&reaction.sender);
                span.in_scope(|| bot.lifecycle.reacted(&reaction, &target, &key, is_editor));
                return None;
            }
            // A reaction taken back: the vote it cast, if any, goes with it.
            let result = bot
                .lifecycle
                .deleted(&bot.out, &reaction, &reaction.event)
                .instrument(span.clone())
                .await;
            if let Err(error) = result {
                span.in_scope(|| tracing::warn!("taking the vote back failed: {error:#}"));
            }
            None
        }
    }
}

/// A new message: a command to answer, or a message to check. Returns the posting of
/// a warning it needs.
async fn on_message(
    bot: &Arc<SlackBot>,
    message: MessageRef,
    text: String,
    command: Option<String>,
) -> Option<impl Future<Output = ()> + Send + 'static> {
    let policy = bot.policy(&message.room);
    let is_editor = bot.is_editor(&message.sender);
    // In an "off" channel the bot stays silent, except to editors' admin commands.
    if policy.mode == RoomMode::Off && !is_editor {
        return None;
    }
    if bot.lifecycle.has_handled(&message.event) {
        tracing::info!("already handled (delivered again, or after a restart); skipping");
        return None;
    }
    bot.out.learn_channel(&message.room).await;
    let desk = bot.desk();
    let caller = Caller { is_editor };
    let started = Instant::now();
    let action = match &command {
        Some(line) => desk.command_as(line, crate::operations::today(), caller),
        None => desk.handle_as(&text, crate::operations::today(), caller),
    };
    let result = match action {
        Action::Admin { command, request } => bot
            .lifecycle
            .admin(&bot.out, &message, command, request)
            .await
            .map(|mode| {
                tracing::info!(command, ?mode, "admin command carried out");
                None
            }),
        Action::Outcome(_) if policy.mode == RoomMode::Off => Ok(None),
        Action::Outcome(Outcome::Answer { command, reply }) => bot
            .lifecycle
            .answer(&bot.out, &message, command, &reply)
            .await
            .map(|answer| {
                let since_sent_ms = message.since_received_ms();
                tracing::info!(command, answer = %answer.event, since_sent_ms, "answered");
                None
            }),
        Action::Outcome(Outcome::Checked { report, .. }) => {
            bot.lifecycle.ops().checked(started.elapsed());
            bot.lifecycle.plan(report, &text, message, policy)
        }
        Action::Outcome(Outcome::Ignored) => Ok(None),
    };
    let planned = match result {
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

/// An edit: the new text is re-checked, and the lifecycle decides what becomes of the
/// warning about the original. Edited commands are not answered again.
async fn on_edit(
    bot: &SlackBot,
    edit: MessageRef,
    original: MessageRef,
    text: &str,
) -> anyhow::Result<()> {
    if bot.lifecycle.has_handled(&edit.event) {
        return Ok(());
    }
    let desk = bot.desk();
    if events::command_after_mention(text, &bot.own).is_some()
        || text.trim_start().starts_with(desk.prefix())
    {
        return Ok(());
    }
    let original = match bot.lifecycle.warned_message(&original.event) {
        Some(remembered) => remembered,
        None => with_thread(bot, original).await,
    };
    let report = match desk.handle(text, crate::operations::today()) {
        Outcome::Checked { report, .. } => report,
        Outcome::Answer { .. } | Outcome::Ignored => MessageReport::default(),
    };
    let policy = bot.policy(&edit.room);
    bot.lifecycle
        .edited(
            &bot.out,
            &edit.event,
            original,
            &edit.sender,
            report,
            text,
            policy,
        )
        .await
}

/// `message` with its thread, which an edit event does not tell: asked of Slack
/// (`conversations.replies`), or left out when that fails.
async fn with_thread(bot: &SlackBot, mut message: MessageRef) -> MessageRef {
    let Some((channel, ts)) = events::split_id(&message.event) else {
        return message;
    };
    match bot.out.api.thread_of(channel, ts).await {
        Ok(Some(root)) if root != ts => message.thread = Some(events::message_id(channel, &root)),
        Ok(_) => {}
        Err(error) => tracing::debug!("conversations.replies failed: {error:#}"),
    }
    message
}

/// The slash-command answer for `event` (`/context …`), counted like any answer.
pub fn slash_command(bot: &SlackBot, event: &SlackCommandEvent) -> SlackCommandEventResponse {
    if bot.policy(event.channel_id.value()).mode == RoomMode::Off {
        return super::socket::ephemeral(&Reply::new().paragraph(vec![Inline::text(
            "copydesk is switched off in this channel; an editor can switch it on with `!mode`.",
        )]));
    }
    let desk = bot.desk();
    let (command, reply) =
        super::socket::answer_command(&desk, event, bot.is_editor(event.user_id.value()));
    if let Some(command) = command {
        bot.lifecycle.ops().answered(command);
        tracing::info!(
            command,
            channel = %event.channel_id,
            user = %event.user_id,
            "answered a slash command"
        );
    }
    super::socket::ephemeral(&reply)
}
