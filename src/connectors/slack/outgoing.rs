//! What the bot posts, as the lifecycle's `Connector`: a `Reply` rendered by the core
//! (`Reply::to_slack`: escaped mrkdwn fallback text and Block Kit sections), posted with
//! `chat.postMessage` in the message's thread, changed with `chat.update`, withdrawn
//! with `chat.delete`; a private warning as an ephemeral message, or a direct message
//! where that cannot be delivered.
//!
//! Ephemeral messages cannot be changed or deleted through the Web API. A private
//! warning's id is therefore `ephemeral/{channel}/{user}/{thread ts or -}/{ts}`: an edit
//! posts a fresh ephemeral, a withdrawal a short ephemeral saying so.

use std::collections::HashMap;
use std::sync::Mutex;

use copydesk_core::Reply;
use copydesk_core::reply::Inline;

use super::api::{Api, Identity};
use super::events::{message_id, split_id};
use super::pace::api_code;
use crate::lifecycle::{Connector, MessageRef, Once, Sent, Target};
use crate::operations::lock;

/// Why an ephemeral message cannot reach its user, so a direct message is sent instead.
const EPHEMERAL_UNDELIVERABLE: &[&str] = &[
    "user_not_in_channel",
    "not_in_channel",
    "channel_not_found",
    "is_archived",
];

/// The bot's side of Slack: posting, updating and deleting in its channels.
pub struct Slack {
    pub api: Api,
    pub identity: Identity,
    /// `#name` by channel id, filled by `learn_channel`.
    names: Mutex<HashMap<String, String>>,
}

/// The ts of the message id `id` (which may name a thread root).
fn ts_of(id: &str) -> anyhow::Result<(&str, &str)> {
    split_id(id).ok_or_else(|| anyhow::anyhow!("not a Slack message id: {id}"))
}

impl Slack {
    pub fn new(api: Api, identity: Identity) -> Slack {
        Slack {
            api,
            identity,
            names: Mutex::new(HashMap::new()),
        }
    }

    /// Looks up the name of `channel` the first time it is seen (for the editors'
    /// notices); the id stands in when that fails.
    pub async fn learn_channel(&self, channel: &str) {
        if lock(&self.names).contains_key(channel) {
            return;
        }
        let name = match self.api.channel_name(channel).await {
            Ok(Some(name)) => format!("#{name}"),
            Ok(None) => channel.to_owned(),
            Err(error) => {
                tracing::debug!(channel, "conversations.info failed: {error:#}");
                channel.to_owned()
            }
        };
        lock(&self.names).insert(channel.to_owned(), name);
    }

    /// A warning for the author of `message` alone: an ephemeral message in the channel
    /// (in its thread when it is in one); a direct message, with a link to the message,
    /// when the ephemeral cannot be delivered.
    async fn private(
        &self,
        message: &MessageRef,
        reply: &Reply,
        once: &Once,
    ) -> anyhow::Result<Sent> {
        let channel = message.room.as_str();
        let thread_ts = match &message.thread {
            Some(root) => Some(ts_of(root)?.1),
            None => None,
        };
        match self
            .api
            .post_ephemeral(channel, &message.sender, thread_ts, &reply.to_slack())
            .await
        {
            Ok(ts) => Ok(Sent {
                room: channel.to_owned(),
                event: format!(
                    "ephemeral/{channel}/{}/{}/{ts}",
                    message.sender,
                    thread_ts.unwrap_or("-")
                ),
            }),
            Err(error)
                if api_code(&error).is_some_and(|code| EPHEMERAL_UNDELIVERABLE.contains(&code)) =>
            {
                tracing::info!(
                    channel,
                    user = %message.sender,
                    "the ephemeral warning could not be delivered ({}); sending a direct message",
                    api_code(&error).unwrap_or_default()
                );
                let dm = self.api.open_dm(&message.sender).await?;
                let link = self.permalink(message).await;
                let mut full = Reply::new().paragraph(vec![
                    Inline::link("About your message", link),
                    Inline::text(":"),
                ]);
                full.blocks.extend(reply.blocks.iter().cloned());
                let ts = self
                    .api
                    .post_message(&dm, None, &full.to_slack(), once)
                    .await?;
                Ok(Sent {
                    event: message_id(&dm, &ts),
                    room: dm,
                })
            }
            Err(error) => Err(error),
        }
    }
}

/// Where answers and warnings go: the message's thread (started at it when it is in
/// none), so that Slack notifies the thread's author and the channel stays quiet.
fn in_thread(message: &MessageRef) -> anyhow::Result<(&str, Option<&str>)> {
    Ok((message.room.as_str(), Some(ts_of(message.thread_root())?.1)))
}

/// The parts of an ephemeral message's id: channel, user, thread ts.
fn ephemeral(id: &str) -> Option<(&str, &str, Option<&str>)> {
    let mut parts = id.strip_prefix("ephemeral/")?.split('/');
    let (channel, user, thread) = (parts.next()?, parts.next()?, parts.next()?);
    Some((channel, user, (thread != "-").then_some(thread)))
}

impl Connector for Slack {
    async fn send(&self, target: Target<'_>, reply: &Reply, once: &Once) -> anyhow::Result<Sent> {
        let (channel, thread_ts) = match target {
            Target::Answer(message) | Target::Warning(message) => in_thread(message)?,
            Target::Private(message) => return self.private(message, reply, once).await,
            Target::Room(channel) => (channel, None),
        };
        let ts = self
            .api
            .post_message(channel, thread_ts, &reply.to_slack(), once)
            .await?;
        Ok(Sent {
            room: channel.to_owned(),
            event: message_id(channel, &ts),
        })
    }

    async fn edit(&self, sent: &Sent, reply: &Reply, _once: &Once) -> anyhow::Result<()> {
        if let Some((channel, user, thread)) = ephemeral(&sent.event) {
            return self
                .api
                .post_ephemeral(channel, user, thread, &reply.to_slack())
                .await
                .map(drop);
        }
        let (channel, ts) = ts_of(&sent.event)?;
        self.api.update(channel, ts, &reply.to_slack()).await
    }

    async fn delete(&self, sent: &Sent, reason: &str, _once: &Once) -> anyhow::Result<()> {
        if let Some((channel, user, thread)) = ephemeral(&sent.event) {
            let note = Reply::new().paragraph(vec![Inline::text(format!(
                "I take back my earlier note: {reason}."
            ))]);
            return self
                .api
                .post_ephemeral(channel, user, thread, &note.to_slack())
                .await
                .map(drop);
        }
        // Slack shows no reason for a deletion; the log and the audit log keep it.
        let (channel, ts) = ts_of(&sent.event)?;
        self.api.delete(channel, ts).await
    }

    async fn permalink(&self, message: &MessageRef) -> String {
        let Ok((channel, ts)) = ts_of(&message.event) else {
            return message.event.clone();
        };
        match self.api.permalink(channel, ts).await {
            Ok(link) => link,
            Err(error) => {
                tracing::debug!("chat.getPermalink failed: {error:#}");
                let mut link = format!(
                    "{}archives/{channel}/p{}",
                    self.identity.team_url,
                    ts.replace('.', "")
                );
                if let Some(Ok((_, root))) = message.thread.as_deref().map(ts_of) {
                    link.push_str(&format!("?thread_ts={root}&cid={channel}"));
                }
                link
            }
        }
    }

    fn room_name(&self, room: &str) -> String {
        lock(&self.names)
            .get(room)
            .cloned()
            .unwrap_or_else(|| room.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ephemeral_id_keeps_channel_user_and_thread() {
        assert_eq!(
            ephemeral("ephemeral/C1/U1/-/1760000000.000100"),
            Some(("C1", "U1", None))
        );
        assert_eq!(
            ephemeral("ephemeral/C1/U1/1759999999.000001/1760000000.000100"),
            Some(("C1", "U1", Some("1759999999.000001")))
        );
        assert_eq!(ephemeral("C1/1760000000.000100"), None);
    }
}
