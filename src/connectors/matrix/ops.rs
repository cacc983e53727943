//! Operations in Matrix: editors' admin commands answered, 👍/👎 reactions on warnings
//! counted, reload outcomes and the daily freshness list posted to the editors' room.
//! What they do lives in `crate::operations`; this file only turns Matrix events into
//! those calls and their replies into notices.

use std::sync::Arc;

use copydesk_core::{AdminRequest, Reply};
use matrix_sdk::Room;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::message::{
    OriginalSyncRoomMessageEvent, RoomMessageEventContent,
};
use tokio::sync::mpsc::UnboundedReceiver;

use super::{Bot, outgoing};
use crate::operations::{Origin, is_vote};
use crate::reload::Reload;

/// An editor's admin command (already validated by the desk): carried out, then answered
/// like any command, as a reply to it.
pub async fn admin(
    bot: &Bot,
    room: &Room,
    event: &OriginalSyncRoomMessageEvent,
    command: &'static str,
    request: AdminRequest,
) -> anyhow::Result<()> {
    bot.acting_on(&event.event_id)?;
    let origin = Origin {
        room: room.room_id().as_str(),
        event: event.event_id.as_str(),
        sender: event.sender.as_str(),
    };
    let done = bot.ops.admin(origin, request).await;
    let answer = outgoing::send(room, outgoing::answer(&done.reply, event)).await?;
    bot.ops.answered(command);
    tracing::info!(command, %answer, mode = ?done.mode, "admin command carried out");
    Ok(())
}

/// A reaction: a 👍 or 👎 on one of the bot's warnings, from the warned message's
/// author or an editor, is feedback on the rules that fired.
pub async fn on_reaction(bot: &Bot, room: Room, event: OriginalSyncReactionEvent) {
    let annotation = &event.content.relates_to;
    if event.sender == bot.own || !is_vote(&annotation.key) {
        return;
    }
    let origin = Origin {
        room: room.room_id().as_str(),
        event: event.event_id.as_str(),
        sender: event.sender.as_str(),
    };
    // Counting is idempotent (one vote per person per warning), so a reaction delivered
    // again after a restart changes nothing and needs no entry in the bot's memory.
    bot.ops.reacted(
        origin,
        annotation.event_id.as_str(),
        bot.is_editor(&event.sender),
        &annotation.key,
    );
}

/// Posts every reload the file watcher makes to the editors' room: a failure with its
/// `file:line:column` problems, and the reload that fixes it.
pub async fn forward_reloads(bot: Arc<Bot>, mut reloads: UnboundedReceiver<Reload>) {
    while let Some(outcome) = reloads.recv().await {
        let reply = bot.ops.reload_report(&outcome, None);
        post_to_editors(&bot, &reply, "reload").await;
    }
}

/// Once a day (`[freshness]`), the topics past their review date go to the editors' room.
pub async fn freshness(bot: Arc<Bot>) {
    if !bot.ops.settings().freshness.enabled {
        return;
    }
    if bot.rooms.editors_room.is_none() {
        tracing::info!("no rooms.editors_room: the daily list of stale topics is not posted");
        return;
    }
    loop {
        // Right after a start the bot may still be joining the editors' room: look
        // again soon rather than at the next regular check.
        if bot.editors_room().is_none() {
            tracing::debug!("not in the editors' room (yet); the stale-topics list waits");
            tokio::time::sleep(EDITORS_ROOM_RETRY).await;
            continue;
        }
        let now = jiff::Zoned::now().datetime();
        if let Some(reply) = bot.ops.freshness_due(now)
            && post_to_editors(&bot, &reply, "freshness").await
        {
            bot.ops.freshness_sent(now.date());
        }
        tokio::time::sleep(crate::freshness::CHECK_EVERY).await;
    }
}

/// How soon to look again when the bot is not (yet) in the editors' room.
const EDITORS_ROOM_RETRY: std::time::Duration = std::time::Duration::from_secs(2);

/// A notice in the editors' room, mentioning nobody. Returns whether it was posted.
async fn post_to_editors(bot: &Bot, reply: &Reply, what: &str) -> bool {
    let Some(editors) = bot.editors_room() else {
        tracing::warn!(
            what,
            "no editors' room to post to (rooms.editors_room unset, or the bot is not in it)"
        );
        return false;
    };
    let mut content = RoomMessageEventContent::notice_html(reply.to_plain(), reply.to_html());
    content.mentions = Some(Mentions::new());
    match outgoing::send(&editors, content).await {
        Ok(event) => {
            tracing::info!(what, %event, "posted to the editors' room");
            true
        }
        Err(error) => {
            tracing::warn!(what, "posting to the editors' room failed: {error:#}");
            false
        }
    }
}
