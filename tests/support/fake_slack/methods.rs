//! The Web API methods: argument checks with Slack's error codes, side effects
//! and the events they emit (the bot's own posts come back as `message` events
//! with `bot_id`; chat.update and chat.delete emit message_changed and
//! message_deleted).

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use super::state::{Msg, State};
use super::validate::{self, Args, Fail, string};
use super::{APP_ID, BOT_ID, BOT_USER, FakeSlack, Inner, TEAM, events, socket};

impl FakeSlack {
    /// The next `times` calls of `method` fail with Slack's error `code` (e.g.
    /// `chat.postEphemeral` with `user_not_in_channel`), with no side effect.
    pub fn fail_next(&self, method: &str, code: &'static str, times: usize) {
        self.st().failures.insert(method.to_string(), (times, code));
    }
}

pub fn call(inner: &Arc<Inner>, st: &mut State, method: &str, args: &Args) -> Result<Value, Fail> {
    if let Some((left, code)) = st.failures.get_mut(method)
        && *left > 0
    {
        *left -= 1;
        return Err(Fail::Error(code));
    }
    match method {
        "chat.postMessage" => post_message(inner, st, args),
        "chat.update" => update(inner, st, args),
        "chat.delete" => delete(inner, st, args),
        "chat.postEphemeral" => post_ephemeral(st, args),
        "chat.getPermalink" => permalink(inner, st, args),
        "conversations.open" => open(st, args),
        "conversations.replies" => replies(st, args),
        "conversations.history" => history(st, args),
        "conversations.info" => info(st, args),
        "users.info" => user_info(st, args),
        "usergroups.users.list" => usergroup(st, args),
        "auth.test" => Ok(json!({
            "url": format!("http://{}/", inner.api_addr),
            "team": "Fake Newsroom",
            "user": "copydesk",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": false,
        })),
        "apps.connections.open" => connections_open(inner, st),
        _ => Err(Fail::Error("unknown_method")),
    }
}

/// The channel named by `key`, which must exist.
fn channel_arg<'a>(st: &State, args: &'a Args, key: &str) -> Result<&'a str, Fail> {
    match string(args, key)? {
        Some(c) if st.channels.contains_key(c) => Ok(c),
        _ => Err(Fail::Error("channel_not_found")),
    }
}

/// A channel the bot can post to.
fn writable<'a>(st: &State, args: &'a Args) -> Result<&'a str, Fail> {
    let channel = channel_arg(st, args, "channel")?;
    let ch = &st.channels[channel];
    if ch.archived {
        return Err(Fail::Error("is_archived"));
    }
    if !ch.bot_is_member() {
        return Err(Fail::Error("not_in_channel"));
    }
    Ok(channel)
}

fn metadata(method: &str, args: &Args) -> Result<Value, Fail> {
    let m = match args.get("metadata") {
        None | Some(Value::Null) => return Ok(Value::Null),
        Some(Value::String(s)) => {
            serde_json::from_str(s).map_err(|_| Fail::Error("invalid_metadata_format"))?
        }
        Some(v) => v.clone(),
    };
    let ok = m
        .get("event_type")
        .and_then(Value::as_str)
        .is_some_and(|t| !t.is_empty())
        && m.get("event_payload").is_some_and(Value::is_object);
    if !ok {
        return Err(Fail::Violation(
            "invalid_metadata_format",
            format!("{method}: metadata {m}"),
        ));
    }
    Ok(m)
}

fn msg_view<'a>(m: &'a Msg, parent_user: Option<&'a str>) -> events::Msg<'a> {
    events::Msg {
        user: &m.user,
        bot: m.bot,
        text: &m.text,
        blocks: &m.blocks,
        ts: &m.ts,
        thread_ts: m.thread_ts.as_deref().filter(|t| *t != m.ts),
        parent_user,
    }
}

/// The JSON of a stored message, as in API responses and history; its metadata only
/// with `with_metadata` (Slack's `include_all_metadata`).
pub fn message_json(st: &State, channel: &str, m: &Msg, with_metadata: bool) -> Value {
    let ch = &st.channels[channel];
    let parent = ch.parent_user(m.thread_ts.as_deref());
    let mut o = events::message_object(&msg_view(m, parent.as_deref()));
    if with_metadata && !m.metadata.is_null() {
        o["metadata"] = m.metadata.clone();
    }
    if m.is_top_level() {
        let replies: Vec<&Msg> = ch
            .messages
            .values()
            .filter(|r| r.thread_ts.as_deref() == Some(&m.ts) && r.ts != m.ts)
            .collect();
        if let Some(last) = replies.last() {
            o["thread_ts"] = json!(m.ts);
            o["reply_count"] = json!(replies.len());
            o["latest_reply"] = json!(last.ts);
        }
    }
    o
}

/// Emits a message-shaped event about `channel` if the bot would receive it.
pub fn emit_in(inner: &Arc<Inner>, st: &mut State, channel: &str, event: Value) {
    if st.channels.get(channel).is_some_and(|c| c.bot_is_member()) {
        socket::emit(inner, st, event);
    }
}

fn post_message(inner: &Arc<Inner>, st: &mut State, args: &Args) -> Result<Value, Fail> {
    let channel = writable(st, args)?.to_string();
    st.post_limit(&channel)?;
    let content = validate::content("chat.postMessage", args)?;
    let metadata = metadata("chat.postMessage", args)?;
    let thread_ts = string(args, "thread_ts")?
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    if let Some(root) = &thread_ts {
        let ok = st.channels[&channel]
            .messages
            .get(root)
            .is_some_and(Msg::is_top_level);
        if !ok {
            return Err(Fail::Violation(
                "invalid_arguments",
                format!(
                    "chat.postMessage: thread_ts {root} is not a top-level message of {channel}"
                ),
            ));
        }
    }
    st.take_post(&channel);
    let ts = st.next_ts();
    let msg = Msg {
        ts: ts.clone(),
        user: BOT_USER.into(),
        bot: true,
        text: content.text,
        blocks: content.blocks,
        thread_ts,
        deleted: false,
        edits: 0,
        metadata,
    };
    st.channels
        .get_mut(&channel)
        .expect("checked")
        .messages
        .insert(ts.clone(), msg);
    let ch = &st.channels[&channel];
    let m = &ch.messages[&ts];
    let parent = ch.parent_user(m.thread_ts.as_deref());
    let event = events::message(&channel, &msg_view(m, parent.as_deref()));
    let message = message_json(st, &channel, &st.channels[&channel].messages[&ts], true);
    emit_in(inner, st, &channel, event);
    Ok(json!({"channel": channel, "ts": ts, "message": message}))
}

/// The bot's own, undeleted message `ts` in `channel`.
fn own_message<'a>(
    st: &State,
    args: &'a Args,
    cant: &'static str,
) -> Result<(&'a str, &'a str), Fail> {
    let channel = channel_arg(st, args, "channel")?;
    let ts = string(args, "ts")?.ok_or(Fail::Error("message_not_found"))?;
    match st.channels[channel].messages.get(ts) {
        Some(m) if !m.deleted && !m.bot => Err(Fail::Error(cant)),
        Some(m) if !m.deleted => Ok((channel, ts)),
        _ => Err(Fail::Error("message_not_found")),
    }
}

fn update(inner: &Arc<Inner>, st: &mut State, args: &Args) -> Result<Value, Fail> {
    st.window_limit("chat.update", 50)?;
    let (channel, ts) = own_message(st, args, "cant_update_message")?;
    if st.channels[channel].archived {
        return Err(Fail::Error("is_archived"));
    }
    let content = validate::content("chat.update", args)?;
    let event_ts = st.next_ts();
    let ch = st.channels.get_mut(channel).expect("checked");
    let m = ch.messages.get_mut(ts).expect("checked");
    let before = Msg {
        ts: m.ts.clone(),
        user: m.user.clone(),
        bot: true,
        text: m.text.clone(),
        blocks: m.blocks.clone(),
        thread_ts: m.thread_ts.clone(),
        deleted: false,
        edits: m.edits,
        metadata: Value::Null,
    };
    m.text = content.text;
    m.blocks = content.blocks;
    m.edits += 1;
    let ch = &st.channels[channel];
    let m = &ch.messages[ts];
    let parent = ch.parent_user(m.thread_ts.as_deref());
    let event = events::message_changed(
        channel,
        &event_ts,
        &msg_view(m, parent.as_deref()),
        &msg_view(&before, parent.as_deref()),
        BOT_USER,
    );
    let mut message = json!({"text": m.text, "user": BOT_USER, "bot_id": BOT_ID, "app_id": APP_ID, "team": TEAM, "type": "message", "edited": {"user": BOT_USER, "ts": event_ts}});
    if !m.blocks.is_null() {
        message["blocks"] = m.blocks.clone();
    }
    let mut resp = json!({"channel": channel, "ts": ts, "text": m.text, "message": message});
    if let Some(root) = m.thread_ts.as_deref().filter(|r| *r != ts) {
        resp["thread_ts"] = json!(root);
    }
    emit_in(inner, st, channel, event);
    Ok(resp)
}

fn delete(inner: &Arc<Inner>, st: &mut State, args: &Args) -> Result<Value, Fail> {
    st.window_limit("chat.delete", 50)?;
    let (channel, ts) = own_message(st, args, "cant_delete_message")?;
    let event_ts = st.next_ts();
    let ch = st.channels.get_mut(channel).expect("checked");
    ch.messages.get_mut(ts).expect("checked").deleted = true;
    let ch = &st.channels[channel];
    let m = &ch.messages[ts];
    let parent = ch.parent_user(m.thread_ts.as_deref());
    let event = events::message_deleted(channel, &event_ts, &msg_view(m, parent.as_deref()));
    emit_in(inner, st, channel, event);
    Ok(json!({"channel": channel, "ts": ts}))
}

fn post_ephemeral(st: &mut State, args: &Args) -> Result<Value, Fail> {
    st.window_limit("chat.postEphemeral", 100)?;
    let channel = writable(st, args)?.to_string();
    let user = string(args, "user")?.unwrap_or("");
    if !st.channels[&channel].members.contains(user) {
        return Err(Fail::Error("user_not_in_channel"));
    }
    let user = user.to_string();
    let content = validate::content("chat.postEphemeral", args)?;
    let thread_ts = string(args, "thread_ts")?
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    if let Some(root) = &thread_ts {
        let ch = &st.channels[&channel];
        let ok = ch.messages.get(root).is_some_and(Msg::is_top_level) && ch.has_replies(root);
        if !ok {
            return Err(Fail::Violation(
                "invalid_arguments",
                format!(
                    "chat.postEphemeral: thread_ts {root} is not an existing thread in {channel}"
                ),
            ));
        }
    }
    let ts = st.next_ts();
    let msg = Msg {
        ts: ts.clone(),
        user: BOT_USER.into(),
        bot: true,
        text: content.text,
        blocks: content.blocks,
        thread_ts,
        deleted: false,
        edits: 0,
        metadata: Value::Null,
    };
    st.ephemerals.entry(user).or_default().push((channel, msg));
    Ok(json!({"message_ts": ts}))
}

fn permalink(inner: &Inner, st: &mut State, args: &Args) -> Result<Value, Fail> {
    let channel = channel_arg(st, args, "channel")?;
    let ts = string(args, "message_ts")?.ok_or(Fail::Error("message_not_found"))?;
    let Some(m) = st.channels[channel].messages.get(ts).filter(|m| !m.deleted) else {
        return Err(Fail::Error("message_not_found"));
    };
    let mut link = format!(
        "http://{}/archives/{channel}/p{}",
        inner.api_addr,
        ts.replace('.', "")
    );
    if let Some(root) = m.thread_ts.as_deref().filter(|r| *r != ts) {
        link.push_str(&format!("?thread_ts={root}&cid={channel}"));
    }
    Ok(json!({"channel": channel, "permalink": link}))
}

fn open(st: &mut State, args: &Args) -> Result<Value, Fail> {
    let users: Vec<String> = match args.get("users") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s
            .split(',')
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|u| {
                u.as_str()
                    .map(str::to_string)
                    .ok_or(Fail::Error("invalid_arguments"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(Fail::Error("invalid_arguments")),
    };
    if users.is_empty() {
        if let Some(c) = string(args, "channel")? {
            channel_arg(st, args, "channel")?;
            return Ok(json!({"channel": {"id": c}, "no_op": true, "already_open": true}));
        }
        return Err(Fail::Error("users_list_not_supplied"));
    }
    if users.len() > 1 {
        return Err(Fail::Violation(
            "invalid_arguments",
            format!("conversations.open: group DMs are not modelled ({users:?})"),
        ));
    }
    let user = &users[0];
    if !st.users.contains_key(user) || user == BOT_USER {
        return Err(Fail::Error("user_not_found"));
    }
    let existed = st
        .channels
        .contains_key(&format!("D{}", user.trim_start_matches(['U', 'W'])));
    let id = st.dm(user);
    Ok(json!({"channel": {"id": id}, "already_open": existed, "no_op": existed}))
}

fn replies(st: &mut State, args: &Args) -> Result<Value, Fail> {
    let channel = channel_arg(st, args, "channel")?;
    let ts = string(args, "ts")?.ok_or(Fail::Error("thread_not_found"))?;
    let ch = &st.channels[channel];
    let Some(m) = ch.messages.get(ts) else {
        return Err(Fail::Error("thread_not_found"));
    };
    let root = m.thread_ts.clone().unwrap_or_else(|| ts.to_string());
    let mut thread: Vec<&Msg> = ch
        .messages
        .values()
        .filter(|r| r.ts == root || r.thread_ts.as_deref() == Some(&root))
        .filter(|r| !r.deleted)
        .collect();
    thread.sort_by(|a, b| a.ts.cmp(&b.ts));
    if thread.is_empty() {
        return Err(Fail::Error("thread_not_found"));
    }
    let limit = limit(args)?;
    let with_metadata = include_all_metadata(args)?;
    let has_more = thread.len() > limit;
    let messages: Vec<Value> = thread
        .iter()
        .take(limit)
        .map(|m| message_json(st, channel, m, with_metadata))
        .collect();
    Ok(json!({"messages": messages, "has_more": has_more}))
}

/// `limit`, 1 to 1000 (Slack clamps; default 1000 for replies, 100 for history).
fn limit(args: &Args) -> Result<usize, Fail> {
    Ok(match string(args, "limit")? {
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| Fail::Error("invalid_limit"))?
            .clamp(1, 1000),
        None => match args.get("limit").and_then(Value::as_u64) {
            Some(l) => l.clamp(1, 1000) as usize,
            None => 1000,
        },
    })
}

fn include_all_metadata(args: &Args) -> Result<bool, Fail> {
    Ok(matches!(
        string(args, "include_all_metadata")?,
        Some("true" | "1")
    ))
}

/// conversations.history: the channel's top-level messages, newest first, those at or
/// after `oldest` if given.
fn history(st: &mut State, args: &Args) -> Result<Value, Fail> {
    let channel = channel_arg(st, args, "channel")?;
    if !st.channels[channel].bot_is_member() {
        return Err(Fail::Error("not_in_channel"));
    }
    let oldest = string(args, "oldest")?.unwrap_or("0");
    let oldest = oldest.parse::<f64>().map_err(|_| {
        Fail::Violation(
            "invalid_arguments",
            format!("conversations.history: oldest {oldest}"),
        )
    })?;
    let limit = limit(args)?.min(999);
    let with_metadata = include_all_metadata(args)?;
    let ch = &st.channels[channel];
    let mut top: Vec<&Msg> = ch
        .messages
        .values()
        .filter(|m| m.is_top_level() && !m.deleted)
        .filter(|m| m.ts.parse::<f64>().is_ok_and(|ts| ts >= oldest))
        .collect();
    top.sort_by(|a, b| b.ts.cmp(&a.ts));
    let has_more = top.len() > limit;
    let messages: Vec<Value> = top
        .iter()
        .take(limit)
        .map(|m| message_json(st, channel, m, with_metadata))
        .collect();
    Ok(json!({"messages": messages, "has_more": has_more}))
}

fn info(st: &mut State, args: &Args) -> Result<Value, Fail> {
    let channel = channel_arg(st, args, "channel")?;
    let ch = &st.channels[channel];
    if channel.starts_with('D') {
        let user = ch
            .members
            .iter()
            .find(|u| *u != BOT_USER)
            .cloned()
            .unwrap_or_default();
        return Ok(
            json!({"channel": {"id": channel, "created": ch.created, "is_im": true, "is_org_shared": false, "user": user}}),
        );
    }
    Ok(json!({"channel": {
        "id": channel,
        "name": ch.name,
        "name_normalized": ch.name,
        "created": ch.created,
        "creator": "UANN",
        "is_channel": true,
        "is_group": false,
        "is_im": false,
        "is_private": false,
        "is_archived": ch.archived,
        "is_general": false,
        "is_member": ch.bot_is_member(),
    }}))
}

fn user_info(st: &mut State, args: &Args) -> Result<Value, Fail> {
    let id = string(args, "user")?.unwrap_or("");
    let Some(u) = st.users.get(id) else {
        return Err(Fail::Error("user_not_found"));
    };
    Ok(json!({"user": {
        "id": u.id,
        "team_id": TEAM,
        "name": u.name,
        "real_name": u.real_name,
        "deleted": false,
        "is_bot": u.is_bot,
        "is_admin": false,
        "is_app_user": false,
        "profile": {"display_name": u.name, "real_name": u.real_name, "team": TEAM},
    }}))
}

fn usergroup(st: &mut State, args: &Args) -> Result<Value, Fail> {
    let id = string(args, "usergroup")?.unwrap_or("");
    match st.usergroups.get(id) {
        Some(users) => Ok(json!({"users": users})),
        None => Err(Fail::Error("no_such_subteam")),
    }
}

fn connections_open(inner: &Inner, st: &mut State) -> Result<Value, Fail> {
    if st.fail_connections_open > 0 {
        st.fail_connections_open -= 1;
        return Err(Fail::Error("internal_error"));
    }
    let ticket = format!(
        "{:016x}{:08x}",
        st.next_id().wrapping_mul(0x9e37_79b9_7f4a_7c15),
        super::state::unix_secs() as u32
    );
    st.tickets.insert(ticket.clone(), (Instant::now(), false));
    Ok(json!({"url": format!("ws://{}/link/?ticket={ticket}&app_id={APP_ID}", inner.ws_addr)}))
}
