//! Operations in Slack: the editors' user groups kept current, and (when Slack runs alone)
//! reload outcomes and the daily freshness list posted to the editors' channel. What they
//! say is `crate::operations`'s. `/healthz` follows the Socket Mode connections
//! (`super::connections`).

use std::collections::HashSet;
use std::sync::Arc;

use copydesk_core::Reply;
use tokio::sync::mpsc::UnboundedReceiver;

use super::SlackBot;
use crate::lifecycle::{Connector as _, Once, Target};
use crate::operations::reload::Reload;

/// Looks up the members of every `editor_groups` group (`usergroups.users.list`). A
/// group that cannot be read keeps its members from the last lookup.
pub async fn refresh_editor_groups(bot: &SlackBot) {
    if bot.config.editor_groups.is_empty() {
        return;
    }
    let mut members = HashSet::new();
    for group in &bot.config.editor_groups {
        match bot.out.api.group_members(group).await {
            Ok(users) => members.extend(users),
            Err(error) => {
                tracing::warn!(group, "reading the editors' user group failed: {error:#}");
                return;
            }
        }
    }
    tracing::info!(editors = members.len(), "editors' user groups read");
    *bot.group_editors.write().unwrap_or_else(|p| p.into_inner()) = members;
}

/// Reads the editors' user groups again every `editor_groups_refresh`.
pub async fn editor_groups(bot: Arc<SlackBot>) {
    if bot.config.editor_groups.is_empty() {
        return;
    }
    loop {
        tokio::time::sleep(bot.config.editor_groups_refresh).await;
        refresh_editor_groups(&bot).await;
    }
}

/// Posts every reload the file watcher makes to the editors' channel.
pub async fn forward_reloads(bot: Arc<SlackBot>, mut reloads: UnboundedReceiver<Reload>) {
    while let Some(outcome) = reloads.recv().await {
        let reply = bot.ops().reload_report(&outcome, None);
        post_to_editors(&bot, &reply, "reload").await;
    }
}

/// Once a day (`[freshness]`), the topics past their review date go to the editors'
/// channel.
pub async fn freshness(bot: Arc<SlackBot>) {
    if !bot.ops().settings().freshness.enabled {
        return;
    }
    if bot.config.editors_channel.is_none() {
        tracing::info!("no slack.editors_channel: the daily list of stale topics is not posted");
        return;
    }
    loop {
        let now = jiff::Zoned::now().datetime();
        if let Some(reply) = bot.ops().freshness_due(now)
            && post_to_editors(&bot, &reply, "freshness").await
        {
            bot.ops().freshness_sent(now.date());
        }
        tokio::time::sleep(crate::operations::freshness::CHECK_EVERY).await;
    }
}

/// A message in the editors' channel. Returns whether it was posted.
async fn post_to_editors(bot: &SlackBot, reply: &Reply, what: &str) -> bool {
    let Some(channel) = &bot.config.editors_channel else {
        tracing::warn!(what, "no slack.editors_channel to post to");
        return false;
    };
    match bot
        .out
        .send(Target::Room(channel), reply, &Once::fresh())
        .await
    {
        Ok(sent) => {
            tracing::info!(what, id = %sent.event, "posted to the editors' channel");
            true
        }
        Err(error) => {
            tracing::warn!(what, "posting to the editors' channel failed: {error:#}");
            false
        }
    }
}
