//! Slack's push events read as the lifecycle sees them: messages, edits, deletions and
//! reactions, by ids. Pure functions, no I/O: `messages` acts on what this returns.
//!
//! Ids (see `crate::lifecycle`): a Slack `ts` is unique only within its channel, so every
//! message id is `"{channel}/{ts}"`, and a thread is named by its root's id. A reaction's
//! id is `"{channel}/{ts}/{user}/{name}"`: the same for its removal, so taking a 👍 back
//! finds the vote it cast.
//!
//! What is dropped here: the bot's own messages and every other bot's (`bot_id`, the
//! `bot_message` subtype), hidden and system subtypes other than edits and deletions
//! (joins, topic changes, …), `app_mention`s that do not start with the mention (their
//! `message` event is checked as usual), and event types the bot does not follow.

use slack_morphism::prelude::*;

use crate::lifecycle::MessageRef;

/// What the bot needs to know about itself to read events.
#[derive(Debug, Clone)]
pub struct Own {
    pub user_id: String,
    /// The command prefix (`[bot] prefix`), tolerated after a mention.
    pub prefix: String,
}

/// A push event, as the lifecycle needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A new message (or an `app_mention` of one): a command or a message to check.
    /// `text` is what people read, Slack's markup turned back into plain text.
    Message {
        message: MessageRef,
        text: String,
        /// It starts by mentioning the bot: the rest is a command line.
        command: Option<String>,
    },
    /// A message was edited. `edit` is the change (its id and the editor); `original`
    /// is the edited message, whose thread the event does not tell.
    Edited {
        edit: MessageRef,
        original: MessageRef,
        text: String,
    },
    /// A message was deleted (`deleted` is its id).
    Deleted {
        deletion: MessageRef,
        deleted: String,
    },
    /// A reaction added or removed on the message `target`.
    Reaction {
        reaction: MessageRef,
        target: String,
        /// The reaction's name without a skin tone (`+1`, `-1`, …).
        key: String,
        added: bool,
    },
}

impl Event {
    /// Its channel, and its own id (what the lifecycle records as handled).
    pub fn id(&self) -> (&str, &str) {
        let own = match self {
            Event::Message { message, .. } => message,
            Event::Edited { edit, .. } => edit,
            Event::Deleted { deletion, .. } => deletion,
            Event::Reaction { reaction, .. } => reaction,
        };
        (&own.room, &own.event)
    }
}

/// The message id of `ts` in `channel`.
/// Slack's own user, the author of the placeholder left for a deleted thread root.
const SLACKBOT: &str = "USLACKBOT";

pub fn message_id(channel: &str, ts: &str) -> String {
    format!("{channel}/{ts}")
}

/// A message id split into its channel and ts.
pub fn split_id(id: &str) -> Option<(&str, &str)> {
    let (channel, rest) = id.split_once('/')?;
    let ts = rest.split('/').next()?;
    Some((channel, ts))
}

/// Milliseconds since the epoch of a Slack ts (`"1760000000.000100"`).
pub fn ts_millis(ts: &str) -> Option<u64> {
    let (secs, micros) = ts.split_once('.').unwrap_or((ts, "0"));
    let secs: u64 = secs.parse().ok()?;
    let micros: u64 = format!("{micros:0<6}").get(..6)?.parse().ok()?;
    Some(secs * 1000 + micros / 1000)
}

/// Reads one push event; `None` for what the bot does not follow.
pub fn translate(body: &SlackEventCallbackBody, own: &Own) -> Option<Event> {
    match body {
        SlackEventCallbackBody::Message(event) => message(event, own),
        SlackEventCallbackBody::AppMention(event) => {
            let channel = event.channel.value();
            let ts = event.origin.ts.value();
            let raw = event.content.text.as_deref().unwrap_or_default();
            let command = command_after_mention(raw, own)?;
            Some(Event::Message {
                message: reference(
                    channel,
                    ts,
                    event.user.value(),
                    event.origin.thread_ts.as_ref().map(|t| t.value().as_str()),
                ),
                text: plain_text(raw),
                command: Some(command),
            })
        }
        SlackEventCallbackBody::ReactionAdded(event) => {
            reaction(&event.user, &event.reaction, &event.item, own, true)
        }
        SlackEventCallbackBody::ReactionRemoved(event) => {
            reaction(&event.user, &event.reaction, &event.item, own, false)
        }
        _ => None,
    }
}

fn message(event: &SlackMessageEvent, own: &Own) -> Option<Event> {
    let channel = event.origin.channel.as_ref()?.value();
    let ts = event.origin.ts.value();
    match &event.subtype {
        None
        | Some(SlackMessageEventType::ThreadBroadcast)
        | Some(SlackMessageEventType::FileShare) => {
            let user = event.sender.user.as_ref()?.value();
            if is_bot(&event.sender, own) {
                return None;
            }
            let raw = event.content.as_ref()?.text.as_deref()?;
            Some(Event::Message {
                message: reference(
                    channel,
                    ts,
                    user,
                    event.origin.thread_ts.as_ref().map(|t| t.value().as_str()),
                ),
                text: plain_text(raw),
                command: command_after_mention(raw, own),
            })
        }
        Some(SlackMessageEventType::MessageChanged) => {
            let changed = event.message.as_ref()?;
            if is_tombstone(changed) {
                return deletion(event, channel, changed.ts.value());
            }
            let editor = changed.sender.user.as_ref()?.value();
            if is_bot(&changed.sender, own) {
                return None;
            }
            let raw = changed.content.as_ref()?.text.as_deref()?;
            let original_ts = changed.ts.value();
            // Slack sends `message_changed` for unfurls and thread replies too: only a
            // change of the text is an edit.
            let before = event
                .previous_message
                .as_ref()
                .and_then(|p| p.content.as_ref())
                .and_then(|c| c.text.as_deref());
            if before == Some(raw) {
                return None;
            }
            Some(Event::Edited {
                edit: reference(channel, ts, editor, None),
                original: reference(channel, original_ts, editor, None),
                text: plain_text(raw),
            })
        }
        Some(SlackMessageEventType::MessageDeleted) => {
            deletion(event, channel, event.deleted_ts.as_ref()?.value())
        }
        Some(_) => None,
    }
}

/// A message that was deleted while it had thread replies: Slack keeps it as a
/// placeholder by Slackbot and reports a `message_changed`, not a `message_deleted`.
/// Every warned message has a reply (the warning), so this is how most of them go.
fn is_tombstone(changed: &SlackMessageEventEdited) -> bool {
    changed.edited.is_none()
        && changed
            .sender
            .user
            .as_ref()
            .is_some_and(|user| user.value() == SLACKBOT)
}

/// The deletion of message `deleted_ts` in `channel`, by its author as far as the event
/// says.
fn deletion(event: &SlackMessageEvent, channel: &str, deleted_ts: &str) -> Option<Event> {
    let sender = event
        .previous_message
        .as_ref()
        .and_then(|p| p.sender.user.as_ref())
        .map(|u| u.value().as_str())
        .unwrap_or_default();
    Some(Event::Deleted {
        deletion: reference(channel, event.origin.ts.value(), sender, None),
        deleted: message_id(channel, deleted_ts),
    })
}

fn reaction(
    user: &SlackUserId,
    name: &SlackReactionName,
    item: &SlackReactionsItem,
    own: &Own,
    added: bool,
) -> Option<Event> {
    let SlackReactionsItem::Message(item) = item else {
        return None;
    };
    let user = user.value();
    if *user == own.user_id {
        return None;
    }
    let channel = item.origin.channel.as_ref()?.value();
    let ts = item.origin.ts.value();
    let key = without_skin_tone(name.value()).to_owned();
    Some(Event::Reaction {
        reaction: MessageRef {
            room: channel.clone(),
            event: format!("{}/{user}/{key}", message_id(channel, ts)),
            sender: user.clone(),
            thread: None,
            received_ms: None,
        },
        target: message_id(channel, ts),
        key,
        added,
    })
}

/// `+1::skin-tone-2` → `+1`.
pub fn without_skin_tone(name: &str) -> &str {
    name.split("::").next().unwrap_or(name)
}

/// Whether a message comes from a bot: this one, or any other (answering other bots is
/// how two bots end up talking to each other forever).
fn is_bot(sender: &SlackMessageSender, own: &Own) -> bool {
    sender.bot_id.is_some()
        || sender
            .user
            .as_ref()
            .is_some_and(|u| *u.value() == own.user_id)
}

fn reference(channel: &str, ts: &str, sender: &str, thread_ts: Option<&str>) -> MessageRef {
    MessageRef {
        room: channel.to_owned(),
        event: message_id(channel, ts),
        sender: sender.to_owned(),
        // A thread root carries its own ts as thread_ts: it is in no thread.
        thread: thread_ts
            .filter(|thread| *thread != ts)
            .map(|thread| message_id(channel, thread)),
        received_ms: ts_millis(ts),
    }
}

/// The command line of a message that starts with a mention of the bot (`<@U0BOT>` or
/// `<@U0BOT|copydesk>`): what follows it, a command prefix tolerated; a bare mention
/// asks for `help`.
pub fn command_after_mention(raw: &str, own: &Own) -> Option<String> {
    let rest = raw.trim_start().strip_prefix("<@")?;
    let (inside, rest) = rest.split_once('>')?;
    let id = inside.split('|').next()?;
    if id != own.user_id {
        return None;
    }
    let line = plain_text(rest);
    let line = line.trim_start_matches([':', ',']).trim();
    let line = line
        .strip_prefix(own.prefix.as_str())
        .unwrap_or(line)
        .trim();
    Some(if line.is_empty() {
        "help".to_owned()
    } else {
        line.to_owned()
    })
}

/// Slack's markup turned back into what people read: `<@U1>` → `@U1`, `<#C1|news>` →
/// `#news`, `<https://x|label>` → `label`, `<https://x>` → `https://x`, `<!here>` →
/// `@here`, and the three entities (`&amp;`, `&lt;`, `&gt;`) decoded.
pub fn plain_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let inside = &after[..end];
        let (target, label) = match inside.split_once('|') {
            Some((target, label)) => (target, Some(label)),
            None => (inside, None),
        };
        match (target.chars().next(), label) {
            (Some('@'), Some(label)) => {
                out.push('@');
                out.push_str(label);
            }
            (Some('@'), None) => out.push_str(target),
            (Some('#'), Some(label)) => {
                out.push('#');
                out.push_str(label);
            }
            (Some('!'), _) => {
                out.push('@');
                out.push_str(target[1..].split('^').next().unwrap_or_default());
            }
            (_, Some(label)) => out.push_str(label),
            (_, None) => out.push_str(target),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests;
