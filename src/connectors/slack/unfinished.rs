//! Events received or being acted on when the bot last stopped (`Lifecycle::unfinished`),
//! queued again at start. Slack does not deliver an acknowledged event again, so each
//! message is read back with `conversations.replies` and handled as if it had just
//! arrived; a post it had begun is looked for by its mark before it is sent again
//! (`api::post_message`), so nothing appears twice. Edits, deletions and reactions cannot
//! be read back by id: they are given up, with a warning naming them.

use serde_json::{Value, json};
use slack_morphism::prelude::*;
use tokio::sync::mpsc::UnboundedSender;

use super::SlackBot;
use super::events::{self, split_id};
use super::messages::Incoming;

/// Queues every unfinished message again.
pub async fn requeue(bot: &SlackBot, queue: &UnboundedSender<Incoming>) {
    for (channel, id) in bot.lifecycle.unfinished() {
        match read_again(bot, &id).await {
            Ok(Some(event)) => {
                tracing::info!(channel, id, "handling again an event begun before the stop");
                let _ = queue.send(Incoming::Again(Box::new(event)));
            }
            Ok(None) => {
                tracing::warn!(
                    channel,
                    id,
                    "an event begun before the stop cannot be read again (an edit, a deletion or a reaction, or a message since deleted); given up"
                );
                bot.lifecycle.give_up(&id);
            }
            Err(error) => {
                tracing::warn!(
                    channel,
                    id,
                    "reading an event begun before the stop failed; kept for the next start: {error:#}"
                );
            }
        }
    }
}

/// The message `id` (`channel/ts`) as it is now, as an event; `None` when there is no
/// such message (any more).
async fn read_again(bot: &SlackBot, id: &str) -> anyhow::Result<Option<events::Event>> {
    let Some((channel, ts)) = split_id(id) else {
        return Ok(None);
    };
    let answer = match bot
        .out
        .api
        .get("conversations.replies", &[("channel", channel), ("ts", ts)])
        .await
    {
        Ok(answer) => answer,
        Err(error) if super::pace::api_code(&error) == Some("thread_not_found") => {
            return Ok(None);
        }
        Err(error) => return Err(error),
    };
    let Some(found) = answer["messages"]
        .as_array()
        .and_then(|messages| messages.iter().find(|m| m["ts"] == ts))
    else {
        return Ok(None);
    };
    let body: SlackEventCallbackBody = serde_json::from_value(as_event(found, channel))?;
    Ok(events::translate(&body, &bot.own))
}

/// A message from the Web API as the `message` event Slack would have pushed.
fn as_event(message: &Value, channel: &str) -> Value {
    let mut event = message.clone();
    event["type"] = json!("message");
    event["channel"] = json!(channel);
    event["channel_type"] = json!(match channel.chars().next() {
        Some('D') => "im",
        Some('G') => "group",
        _ => "channel",
    });
    event
}
