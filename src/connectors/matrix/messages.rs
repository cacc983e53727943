//! Room messages and redactions: turned into `Desk` calls, and the desk's replies into
//! notices. One handler per event kind; each returns early when the event is not for it.
//! (Reactions and editors' admin commands are handled in `ops`.)
//!
//! The sync hands events to a queue (see `mod.rs`); `work` routes each to its room's lane
//! (`lanes`). Rooms are handled concurrently, so one room's warnings do not wait for
//! another's sends. Within a room the handlers run one at a time in the order the events
//! arrived; a warning is decided on and recorded as acted on in that order, and then
//! posted while the lane goes on. Only a new message outside any thread goes ahead of
//! earlier warnings still being sent; an edit, a message in a thread, a redaction or a
//! reaction waits until every earlier warning of its room is posted and remembered (see
//! `impl InOrder`). So an edit is always handled after the message it edits and its
//! warning, a redaction after what it redacts, and "warned once per thread" sees every
//! warning before it. A clean shutdown finishes every lane, sends included, instead of
//! cutting a handler off mid-send.
//!
//! What the handlers share across rooms sits behind locks held for no `await`: the
//! memory of handled events and warnings (`Bot::memory`), and everything in
//! `crate::operations` (stats, feedback, audit, settings). The one thing that crosses
//! rooms is the editors' room in `editors` mode: a warning posted there is recorded by the
//! lane of the room it is about, as soon as its send returns, so a 👍 or 👎 on it that
//! reaches the bot before that moment is not counted.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use copydesk_core::commands::warning_reply;
use copydesk_core::{Action, Caller, MessageReport, Outcome, Reply, Verdict};
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::relation::{Replacement, Thread};
use matrix_sdk::ruma::events::room::message::{
    MessageFormat, MessageType, OriginalSyncRoomMessageEvent, Relation, ReplyMetadata,
    RoomMessageEventContentWithoutRelation,
};
use matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent;
use matrix_sdk::ruma::events::{
    AnySyncMessageLikeEvent, AnySyncTimelineEvent, SyncMessageLikeEvent,
};
use matrix_sdk::ruma::{EventId, MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedUserId};
use matrix_sdk::{Room, RoomState};
use tokio::sync::mpsc::UnboundedReceiver;
use tracing::Instrument as _;

use super::addressing::{addressed, starts_with_pill, strip_mx_reply, strip_reply_fallback};
use super::lanes::{InOrder, Lanes, Unfinished};
use super::memory::Warning;
use super::{Bot, outgoing};
use crate::config::Mode;

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
/// every lane has handled what is queued on it. Rooms are handled concurrently, the
/// events of one room in the order they arrived (see `lanes`).
pub async fn work(bot: Arc<Bot>, mut queue: UnboundedReceiver<Incoming>) {
    let mut lanes = Lanes::new(move |(room, event)| handle(bot.clone(), room, event));
    let mut tidy = tokio::time::interval(LANE_IDLE);
    loop {
        tokio::select! {
            incoming = queue.recv() => match incoming {
                Some(Incoming::Event(room, event)) => {
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
    match event {
        RoomEvent::Message(event) => {
            let span =
                tracing::info_span!("message", room = %room.room_id(), event = %event.event_id);
            let rest = on_room_message(&bot, room, *event)
                .instrument(span.clone())
                .await?;
            Some(Box::pin(rest.instrument(span)))
        }
        RoomEvent::Redaction(event) => {
            let span =
                tracing::info_span!("redaction", room = %room.room_id(), event = %event.event_id);
            on_redaction(&bot, room, *event).instrument(span).await;
            None
        }
        RoomEvent::Reaction(event) => {
            let span =
                tracing::info_span!("reaction", room = %room.room_id(), event = %event.event_id);
            super::ops::on_reaction(&bot, room, *event)
                .instrument(span)
                .await;
            None
        }
    }
}

/// Which events wait for the warnings of earlier ones to be posted: a new message outside
/// any thread refers to nothing earlier (its warning would start a thread of its own),
/// so it is handled while earlier warnings are still being sent. An edit, a message in a
/// thread ("warned once per thread"), a redaction or a reaction may refer to a warning
/// still being sent, so they wait until it is posted and remembered.
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

/// A message in a room: a command to answer, a new message to check, or an edit.
/// Returns the posting of a warning about a new message, for the lane to finish.
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
    let mode = bot.mode(room.room_id());
    // In an "off" room the bot stays silent, except to editors' admin commands (so one
    // can switch it back on with `!mode`).
    if mode == Mode::Off && !bot.is_editor(&event.sender) {
        return None;
    }
    if bot.is_backlog(&room, event.origin_server_ts).await {
        return None;
    }
    if bot.memory().has_acted_on(&event.event_id) {
        tracing::info!("already handled before a restart; skipping");
        return None;
    }
    let result = match &event.content.relates_to {
        Some(Relation::Replacement(edit)) => {
            on_edit(bot, &room, &event, edit, mode).await.map(|()| None)
        }
        _ => on_new_message(bot, &room, &event, mode).await,
    };
    let posting = match result {
        Ok(Some(posting)) => posting,
        Ok(None) => return None,
        Err(error) => {
            tracing::warn!("handling the message failed: {error:#}");
            return None;
        }
    };
    let bot = bot.clone();
    Some(async move {
        if let Err(error) = posting.post(&bot).await {
            tracing::warn!("posting the warning failed: {error:#}");
        }
    })
}

/// A new message (not an edit): answer it if it is a command, else check it. A warning
/// it needs is decided on here and returned for posting.
async fn on_new_message(
    bot: &Bot,
    room: &Room,
    event: &OriginalSyncRoomMessageEvent,
    mode: Mode,
) -> anyhow::Result<Option<Posting>> {
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

    let today = super::today();
    let desk = bot.desk();
    let caller = Caller {
        is_editor: bot.is_editor(&event.sender),
    };
    let started = Instant::now();
    let action = match addressed(body, &bot.names, desk.prefix(), mentioned) {
        Some(command_line) => desk.command_as(command_line, today, caller),
        None => desk.handle_as(body, today, caller),
    };
    let outcome = match action {
        Action::Admin { command, request } => {
            super::ops::admin(bot, room, event, command, request).await?;
            return Ok(None);
        }
        Action::Outcome(_) if mode == Mode::Off => return Ok(None),
        Action::Outcome(outcome) => outcome,
    };
    match outcome {
        Outcome::Answer { command, reply } => {
            bot.acting_on(&event.event_id)?;
            let content = outgoing::answer(&reply, event);
            let answer = outgoing::send(room, content).await?;
            bot.ops.answered(command);
            let since_sent_ms = since_sent_ms(event.origin_server_ts);
            tracing::info!(command, %answer, since_sent_ms, "answered");
        }
        Outcome::Checked { report, .. } if mode.checks_messages() => {
            bot.ops.checked(started.elapsed());
            let offending = Offending {
                event_id: event.event_id.clone(),
                sender: event.sender.clone(),
                thread: outgoing::thread_of(event).cloned(),
            };
            return prepare_warning(bot, room, offending, body, report, mode, event);
        }
        Outcome::Checked { .. } | Outcome::Ignored => {}
    }
    Ok(None)
}

/// An edit (`m.replace`): re-check the new text. Attribution added → take the warning
/// back; an allegation introduced → warn now. Edited commands are not answered again.
async fn on_edit(
    bot: &Bot,
    room: &Room,
    edit: &OriginalSyncRoomMessageEvent,
    replacement: &Replacement<RoomMessageEventContentWithoutRelation>,
    mode: Mode,
) -> anyhow::Result<()> {
    if !mode.checks_messages() {
        return Ok(());
    }
    let MessageType::Text(new) = &replacement.new_content.msgtype else {
        return Ok(());
    };
    let original = &replacement.event_id;
    let existing = bot.memory().warning_about(original).cloned();
    let offending = match &existing {
        Some(w) => Offending {
            event_id: w.message.clone(),
            sender: w.sender.clone(),
            thread: (w.thread != w.message)
                .then(|| Thread::plain(w.thread.clone(), w.message.clone())),
        },
        None => Offending::fetch(room, original).await?,
    };
    // Only the author may edit a message; anything else is a forged relation.
    if offending.sender != edit.sender {
        tracing::info!(original = %original, "ignoring an edit by someone other than the author");
        return Ok(());
    }
    let body = new.body.as_str();
    let desk = bot.desk();
    if addressed(body, &bot.names, desk.prefix(), false).is_some() {
        return Ok(());
    }
    let report = match desk.handle(body, super::today()) {
        Outcome::Checked { report, .. } => report,
        Outcome::Answer { .. } | Outcome::Ignored => MessageReport::default(),
    };
    let Some(existing) = existing else {
        // An edit waits for earlier warnings anyway (see `InOrder`): post at once.
        return match prepare_warning(bot, room, offending, body, report, mode, edit)? {
            Some(posting) => posting.post(bot).await,
            None => Ok(()),
        };
    };
    let already =
        bot.memory()
            .warned_in_thread(room.room_id(), offending.thread_root(), Some(original));
    let report = without_allegations(report, &already);
    if report.alarms().next().is_some() {
        tracing::info!(original = %original, "the edited message still needs attribution; the warning stands");
        return Ok(());
    }
    withdraw(
        bot,
        &existing,
        &edit.event_id,
        "the message was edited to attribute it",
    )
    .await
}

/// A redaction: if it removed a message the bot warned about, the warning goes too; if it
/// removed the bot's warning itself, the bot forgets that warning.
async fn on_redaction(bot: &Bot, room: Room, event: OriginalSyncRoomRedactionEvent) {
    let Some(redacted) = event
        .redacts
        .clone()
        .or_else(|| event.content.redacts.clone())
    else {
        return;
    };
    // Our own redactions are withdrawals we already recorded.
    if event.sender == bot.own {
        return;
    }
    // A reaction taken back: if it was a vote on a warning, the vote goes too.
    let origin = crate::operations::Origin {
        room: room.room_id().as_str(),
        event: event.event_id.as_str(),
        sender: event.sender.as_str(),
    };
    if bot
        .ops
        .reaction_removed(origin, redacted.as_str())
        .is_some()
    {
        return;
    }
    let removed_warning = bot.memory().take_warning_event(&redacted);
    if let Some(warning) = removed_warning {
        tracing::info!(warning = %warning.warning, "someone removed a warning; forgetting it");
        if let Err(error) = bot.memory().save() {
            tracing::warn!("{error:#}");
        }
        return;
    }
    let Some(warning) = bot.memory().warning_about(&redacted).cloned() else {
        return;
    };
    if let Err(error) = withdraw(
        bot,
        &warning,
        &event.event_id,
        "the original message was redacted",
    )
    .await
    {
        tracing::warn!("withdrawing the warning failed: {error:#}");
    }
}

/// The message a warning is about: what a threaded reply to it needs.
struct Offending {
    event_id: OwnedEventId,
    sender: OwnedUserId,
    thread: Option<Thread>,
}

impl Offending {
    /// Loads the original of an edit (decrypted when the room is encrypted).
    async fn fetch(room: &Room, event_id: &EventId) -> anyhow::Result<Offending> {
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
        Ok(Offending {
            thread: outgoing::thread_of(&message).cloned(),
            event_id: message.event_id,
            sender: message.sender,
        })
    }

    /// The thread the message belongs to, for "warned once per thread": its thread root,
    /// or, outside a thread, the message itself (the warning starts a thread there).
    fn thread_root(&self) -> &EventId {
        self.thread.as_ref().map_or(&self.event_id, |t| &t.event_id)
    }

    fn reply_metadata(&self) -> ReplyMetadata<'_> {
        ReplyMetadata::new(&self.event_id, &self.sender, self.thread.as_ref())
    }
}

/// From the homeserver receiving an event sent at `sent` to now, in milliseconds: logged
/// when the bot has answered or warned, it is the bot's share of the latency a reader
/// sees (its sync, its work, its send).
fn since_sent_ms(sent: MilliSecondsSinceUnixEpoch) -> u64 {
    u64::from(MilliSecondsSinceUnixEpoch::now().0).saturating_sub(u64::from(sent.0))
}

/// Decides whether `offending` gets a warning: not when every allegation in it was
/// already warned about in the same thread, nor in a muted room. When it does, records
/// that the bot acts on `trigger` (the message itself, or the edit that made it need a
/// warning) and returns the warning to post.
fn prepare_warning(
    bot: &Bot,
    room: &Room,
    offending: Offending,
    body: &str,
    report: MessageReport,
    mode: Mode,
    trigger: &OriginalSyncRoomMessageEvent,
) -> anyhow::Result<Option<Posting>> {
    let already = bot.memory().warned_in_thread(
        room.room_id(),
        offending.thread_root(),
        Some(&offending.event_id),
    );
    let report = bot.ops.demote(without_allegations(report, &already));
    let Some(reply) = warning_reply(&report, body) else {
        if !already.is_empty() {
            tracing::info!("allegation already warned about in this thread");
        }
        return Ok(None);
    };
    if bot.ops.warnings_muted(room.room_id().as_str()) {
        tracing::info!("attribution warnings are muted in this room; not warned");
        return Ok(None);
    }
    let allegations: Vec<String> = report
        .alarms()
        .filter_map(|f| f.allegation.as_ref())
        .map(|a| allegation_key(&a.topic, &a.id))
        .collect();
    bot.acting_on(&trigger.event_id)?;
    Ok(Some(Posting {
        room: room.clone(),
        offending,
        text: body.to_owned(),
        report,
        reply,
        allegations,
        mode,
        sent: trigger.origin_server_ts,
    }))
}

/// A warning decided on (see [`prepare_warning`]), to post in the offending message's
/// thread or in the editors' room.
struct Posting {
    room: Room,
    offending: Offending,
    /// The warned text, for the audit log (kept there only with `include_text`).
    text: String,
    report: MessageReport,
    reply: Reply,
    /// Known allegations (`topic/id`) the warning covers.
    allegations: Vec<String>,
    mode: Mode,
    /// When the homeserver received the event acted on.
    sent: MilliSecondsSinceUnixEpoch,
}

impl Posting {
    /// Posts the warning, then counts, audits and remembers it.
    async fn post(self, bot: &Bot) -> anyhow::Result<()> {
        let Posting {
            room,
            offending,
            text,
            report,
            reply,
            allegations,
            mode,
            sent,
        } = self;
        let (posted_in, warning) = match mode {
            Mode::Warn => {
                let content = outgoing::warning(&reply, offending.reply_metadata());
                let id = outgoing::send(&room, content).await?;
                (room.clone(), id)
            }
            Mode::Editors => {
                let Some(editors) = bot.editors_room() else {
                    tracing::warn!(
                        "mode is editors but the bot is not in rooms.editors_room; warning dropped"
                    );
                    return Ok(());
                };
                let link = match room
                    .matrix_to_event_permalink(offending.event_id.clone())
                    .await
                {
                    Ok(uri) => uri.to_string(),
                    Err(_) => room
                        .room_id()
                        .matrix_to_event_uri(offending.event_id.clone())
                        .to_string(),
                };
                let room_name = room
                    .cached_display_name()
                    .map_or_else(|| room.room_id().to_string(), |name| name.to_string());
                let content =
                    outgoing::editors_warning(&reply, &link, &offending.sender, &room_name);
                let id = outgoing::send(&editors, content).await?;
                (editors, id)
            }
            Mode::Commands | Mode::Off => return Ok(()),
        };
        tracing::info!(
            %warning,
            posted_in = %posted_in.room_id(),
            verdict = report.verdict().as_str(),
            since_sent_ms = since_sent_ms(sent),
            "warned"
        );
        bot.ops.warned(crate::operations::PostedWarning {
            message: crate::operations::Origin {
                room: room.room_id().as_str(),
                event: offending.event_id.as_str(),
                sender: offending.sender.as_str(),
            },
            warning: warning.as_str(),
            report: &report,
            text: &text,
        });
        let mut memory = bot.memory();
        memory.add_warning(Warning {
            room: room.room_id().to_owned(),
            message: offending.event_id.clone(),
            sender: offending.sender.clone(),
            thread: offending.thread_root().to_owned(),
            allegations,
            posted_in: posted_in.room_id().to_owned(),
            warning,
        });
        memory.save()
    }
}

/// Redacts a warning the bot posted and forgets it.
async fn withdraw(
    bot: &Bot,
    warning: &Warning,
    acted_on: &EventId,
    why: &str,
) -> anyhow::Result<()> {
    bot.acting_on(acted_on)?;
    let Some(room) = bot.client.get_room(&warning.posted_in) else {
        anyhow::bail!("the bot is no longer in {}", warning.posted_in);
    };
    outgoing::redact(&room, &warning.warning, why).await?;
    tracing::info!(warning = %warning.warning, reason = why, "withdrew the warning");
    let message = crate::operations::Origin {
        room: warning.room.as_str(),
        event: warning.message.as_str(),
        sender: warning.sender.as_str(),
    };
    bot.ops.withdrew(message, warning.warning.as_str(), why);
    let mut memory = bot.memory();
    memory.take_warning_about(&warning.message);
    memory.save()
}

fn allegation_key(topic: &str, id: &str) -> String {
    format!("{topic}/{id}")
}

/// `report` without findings about allegations in `already` (warned about once in this
/// thread already); a sentence's verdict is recomputed from the findings it keeps.
fn without_allegations(mut report: MessageReport, already: &HashSet<String>) -> MessageReport {
    if already.is_empty() {
        return report;
    }
    for sentence in &mut report.sentences {
        let before = sentence.findings.len();
        sentence.findings.retain(|f| {
            f.allegation
                .as_ref()
                .is_none_or(|a| !already.contains(&allegation_key(&a.topic, &a.id)))
        });
        if sentence.findings.len() != before {
            sentence.verdict = sentence
                .findings
                .iter()
                .map(|f| f.verdict)
                .max()
                .unwrap_or(Verdict::Ok);
        }
    }
    report
}
