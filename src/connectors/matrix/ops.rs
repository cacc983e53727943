//! Operations in Matrix: reload outcomes and the daily freshness list posted to the
//! editors' room. What they say is `crate::operations`'s.

use std::sync::Arc;

use copydesk_core::Reply;
use tokio::sync::mpsc::UnboundedReceiver;

use super::Bot;
use crate::lifecycle::{Connector as _, Once, Target};
use crate::operations::reload::Reload;

/// Posts every reload the file watcher makes to the editors' room: a failure with its
/// `file:line:column` problems, and the reload that fixes it.
pub async fn forward_reloads(bot: Arc<Bot>, mut reloads: UnboundedReceiver<Reload>) {
    while let Some(outcome) = reloads.recv().await {
        let reply = bot.ops().reload_report(&outcome, None);
        post_to_editors(&bot, &reply, "reload").await;
    }
}

/// Once a day (`[freshness]`), the topics past their review date go to the editors' room.
pub async fn freshness(bot: Arc<Bot>) {
    if !bot.ops().settings().freshness.enabled {
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
        if let Some(reply) = bot.ops().freshness_due(now)
            && post_to_editors(&bot, &reply, "freshness").await
        {
            bot.ops().freshness_sent(now.date());
        }
        tokio::time::sleep(crate::operations::freshness::CHECK_EVERY).await;
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
    match bot
        .out
        .send(
            Target::Room(editors.room_id().as_str()),
            reply,
            &Once::fresh(),
        )
        .await
    {
        Ok(sent) => {
            tracing::info!(what, event = %sent.event, "posted to the editors' room");
            true
        }
        Err(error) => {
            tracing::warn!(what, "posting to the editors' room failed: {error:#}");
            false
        }
    }
}
