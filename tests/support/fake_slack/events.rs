//! JSON builders for everything the fake sends over Socket Mode: the `hello` and
//! `disconnect` frames, the `events_api` and `slash_commands` envelopes, and the
//! events inside them. Field names and shapes follow Slack's documented payloads
//! and what slack-morphism 2.31 parses; tests/fake_slack.rs round-trips every
//! builder through the crate's serde types, so the fake cannot drift from it.

use serde_json::{Value, json};

use super::{APP_ID, BOT_ID, BOT_USER, TEAM};

/// The `hello` frame sent first on every new Socket Mode connection.
pub fn hello(num_connections: usize) -> Value {
    json!({
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {"host": "fake-1", "build_number": 1, "approximate_connection_time": 18060},
        "connection_info": {"app_id": APP_ID},
    })
}

/// A `disconnect` frame (`reason`: `warning`, `refresh_requested`, `link_disabled`).
pub fn disconnect(reason: &str) -> Value {
    json!({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-1"}})
}

/// The `event_callback` payload wrapping one event.
pub fn event_callback(event: Value, event_id: &str, event_time: u64) -> Value {
    json!({
        "token": "fake-verification-token",
        "team_id": TEAM,
        "api_app_id": APP_ID,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [{
            "enterprise_id": null,
            "team_id": TEAM,
            "user_id": BOT_USER,
            "is_bot": true,
            "is_enterprise_install": false,
        }],
        "is_ext_shared_channel": false,
        "event_context": format!("4-fake-{event_id}"),
        "event": event,
    })
}

/// An `events_api` envelope. A first delivery has `retry_attempt` 0 and an empty
/// `retry_reason`; a redelivery has a new envelope id and the same payload.
pub fn events_api(
    envelope_id: &str,
    payload: &Value,
    retry_attempt: u32,
    retry_reason: &str,
) -> Value {
    json!({
        "type": "events_api",
        "envelope_id": envelope_id,
        "accepts_response_payload": false,
        "retry_attempt": retry_attempt,
        "retry_reason": retry_reason,
        "payload": payload,
    })
}

/// A `slash_commands` envelope; the app answers in the ack's `payload`.
pub fn slash_commands(envelope_id: &str, payload: &Value) -> Value {
    json!({
        "type": "slash_commands",
        "envelope_id": envelope_id,
        "accepts_response_payload": true,
        "payload": payload,
    })
}

/// The payload of a slash command, with every field Slack sends (all strings).
pub struct Slash<'a> {
    pub user: &'a str,
    pub user_name: &'a str,
    pub channel: &'a str,
    pub channel_name: &'a str,
    pub command: &'a str,
    pub text: &'a str,
    pub response_url: &'a str,
    pub trigger_id: &'a str,
}

pub fn slash_payload(s: &Slash) -> Value {
    json!({
        "token": "fake-verification-token",
        "team_id": TEAM,
        "team_domain": "fake-newsroom",
        "channel_id": s.channel,
        "channel_name": s.channel_name,
        "user_id": s.user,
        "user_name": s.user_name,
        "command": s.command,
        "text": s.text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": s.response_url,
        "trigger_id": s.trigger_id,
    })
}

/// `im` for `D…` channels, `group` for `G…`, else `channel`.
pub fn channel_type(channel: &str) -> &'static str {
    match channel.as_bytes().first() {
        Some(b'D') => "im",
        Some(b'G') => "group",
        _ => "channel",
    }
}

/// One stored message as it appears inside events (`message`, `previous_message`)
/// and in `conversations.replies`: the fields common to all of them.
pub struct Msg<'a> {
    pub user: &'a str,
    pub bot: bool,
    pub text: &'a str,
    pub blocks: &'a Value,
    pub ts: &'a str,
    /// The thread's root, for a reply (never equal to `ts` here).
    pub thread_ts: Option<&'a str>,
    pub parent_user: Option<&'a str>,
}

/// The message object itself (no channel, no event_ts).
pub fn message_object(m: &Msg) -> Value {
    let mut o =
        json!({"type": "message", "user": m.user, "text": m.text, "ts": m.ts, "team": TEAM});
    if m.bot {
        o["bot_id"] = json!(BOT_ID);
        o["app_id"] = json!(APP_ID);
        o["bot_profile"] = json!({"id": BOT_ID, "app_id": APP_ID, "name": "copydesk", "deleted": false, "team_id": TEAM});
        if !m.blocks.is_null() {
            o["blocks"] = m.blocks.clone();
        }
    } else {
        o["client_msg_id"] = json!(format!(
            "c0ffee00-0000-4000-8000-{:0>12}",
            m.ts.replace('.', "")
        ));
        o["blocks"] = rich_text(m.text, m.ts);
    }
    if let Some(root) = m.thread_ts {
        o["thread_ts"] = json!(root);
        if let Some(parent) = m.parent_user {
            o["parent_user_id"] = json!(parent);
        }
    }
    o
}

/// A new message in `channel`: a person's, or the bot's own echo (with `bot_id`,
/// which the connector must ignore).
pub fn message(channel: &str, m: &Msg) -> Value {
    let mut e = message_object(m);
    e["channel"] = json!(channel);
    e["channel_type"] = json!(channel_type(channel));
    e["event_ts"] = json!(m.ts);
    e
}

/// `app_mention`, sent beside `message` when the text mentions the bot.
pub fn app_mention(channel: &str, m: &Msg) -> Value {
    let mut e = json!({
        "type": "app_mention",
        "user": m.user,
        "text": m.text,
        "ts": m.ts,
        "channel": channel,
        "event_ts": m.ts,
        "team": TEAM,
        "client_msg_id": format!("c0ffee00-0000-4000-8000-{:0>12}", m.ts.replace('.', "")),
        "blocks": rich_text(m.text, m.ts),
    });
    if let Some(root) = m.thread_ts {
        e["thread_ts"] = json!(root);
        if let Some(parent) = m.parent_user {
            e["parent_user_id"] = json!(parent);
        }
    }
    e
}

/// `message_changed`: `ts`/`event_ts` are the change's own ts; `message.ts` is the
/// original's, with `edited`; `previous_message` is the message before the edit.
pub fn message_changed(
    channel: &str,
    event_ts: &str,
    now: &Msg,
    before: &Msg,
    editor: &str,
) -> Value {
    let mut message = message_object(now);
    message["edited"] = json!({"user": editor, "ts": event_ts});
    json!({
        "type": "message",
        "subtype": "message_changed",
        "hidden": true,
        "channel": channel,
        "channel_type": channel_type(channel),
        "ts": event_ts,
        "event_ts": event_ts,
        "message": message,
        "previous_message": message_object(before),
    })
}

/// `message_deleted`: `deleted_ts` names the message, `ts`/`event_ts` the deletion.
pub fn message_deleted(channel: &str, event_ts: &str, before: &Msg) -> Value {
    json!({
        "type": "message",
        "subtype": "message_deleted",
        "hidden": true,
        "channel": channel,
        "channel_type": channel_type(channel),
        "ts": event_ts,
        "event_ts": event_ts,
        "deleted_ts": before.ts,
        "previous_message": message_object(before),
    })
}

/// The `message_changed` Slack sends when a message with thread replies is deleted: the
/// message becomes a placeholder by Slackbot, with no `edited`.
pub fn tombstone(channel: &str, event_ts: &str, before: &Msg) -> Value {
    json!({
        "type": "message",
        "subtype": "message_changed",
        "hidden": true,
        "channel": channel,
        "channel_type": channel_type(channel),
        "ts": event_ts,
        "event_ts": event_ts,
        "message": {
            "type": "message",
            "subtype": "tombstone",
            "user": "USLACKBOT",
            "text": "This message was deleted.",
            "hidden": true,
            "ts": before.ts,
            "thread_ts": before.ts,
        },
        "previous_message": message_object(before),
    })
}

/// `reaction_added` (`added`) or `reaction_removed` on a message.
pub fn reaction(
    added: bool,
    user: &str,
    reaction: &str,
    channel: &str,
    ts: &str,
    item_user: &str,
    event_ts: &str,
) -> Value {
    json!({
        "type": if added { "reaction_added" } else { "reaction_removed" },
        "user": user,
        "reaction": reaction,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": event_ts,
    })
}

/// The `rich_text` block a Slack client attaches to a typed message: the wire
/// `text` with its entities decoded and `<@U…>` mentions as `user` elements.
pub fn rich_text(text: &str, ts: &str) -> Value {
    let mut elements = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<@") {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let inner = &rest[start + 2..start + len];
        let user = inner.split('|').next().unwrap_or(inner);
        if !rest[..start].is_empty() {
            elements.push(json!({"type": "text", "text": unescape(&rest[..start])}));
        }
        elements.push(json!({"type": "user", "user_id": user}));
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() || elements.is_empty() {
        elements.push(json!({"type": "text", "text": unescape(rest)}));
    }
    json!([{
        "type": "rich_text",
        "block_id": format!("rt{}", ts.replace('.', "")),
        "elements": [{"type": "rich_text_section", "elements": elements}],
    }])
}

/// What a Slack client does to typed text before sending it: `&`, `<`, `>`
/// become `&amp;`, `&lt;`, `&gt;` (and nothing else is touched).
pub fn typed(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
