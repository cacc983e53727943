//! Push events as Slack sends them (JSON), read by `translate`.

use serde_json::{Value, json};
use slack_morphism::prelude::*;

use super::*;

const BOT: &str = "UBOT";

fn own() -> Own {
    Own {
        user_id: BOT.to_owned(),
        prefix: "!".to_owned(),
    }
}

fn read(event: Value) -> Option<Event> {
    let envelope = json!({
        "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
        "event_id": "Ev1", "event_time": 1760000000,
        "event": event,
    });
    let callback: SlackPushEventCallback = serde_json::from_value(envelope).unwrap();
    translate(&callback.event, &own())
}

fn message(text: &str) -> Value {
    json!({"type": "message", "channel": "C1", "channel_type": "channel", "user": "U1",
           "text": text, "ts": "1760000000.000100", "event_ts": "1760000000.000100"})
}

#[test]
fn a_message_is_named_by_channel_and_ts() {
    let Some(Event::Message {
        message,
        text,
        command,
    }) = read(message("so &lt;b&gt; &amp; c"))
    else {
        panic!()
    };
    assert_eq!(message.room, "C1");
    assert_eq!(message.event, "C1/1760000000.000100");
    assert_eq!(message.sender, "U1");
    assert_eq!(message.thread, None);
    assert_eq!(message.received_ms, Some(1_760_000_000_000));
    assert_eq!(text, "so <b> & c");
    assert_eq!(command, None);
}

#[test]
fn a_thread_reply_names_its_root_and_a_root_names_none() {
    let mut reply = message("x");
    reply["thread_ts"] = json!("1759999999.000001");
    let Some(Event::Message { message, .. }) = read(reply) else {
        panic!()
    };
    assert_eq!(message.thread.as_deref(), Some("C1/1759999999.000001"));
    let mut root = message_value_with_own_thread();
    root["text"] = json!("y");
    let Some(Event::Message { message, .. }) = read(root) else {
        panic!()
    };
    assert_eq!(message.thread, None);
}

fn message_value_with_own_thread() -> Value {
    let mut root = message("x");
    root["thread_ts"] = json!("1760000000.000100");
    root
}

#[test]
fn own_and_other_bots_messages_and_system_subtypes_are_dropped() {
    let mut own_message = message("hello");
    own_message["user"] = json!(BOT);
    assert_eq!(read(own_message), None);
    let mut other_bot = message("hello");
    other_bot["bot_id"] = json!("B2");
    assert_eq!(read(other_bot), None);
    let mut join = message("<@U1> has joined the channel");
    join["subtype"] = json!("channel_join");
    assert_eq!(read(join), None);
    let mut bot_message = message("hi");
    bot_message["subtype"] = json!("bot_message");
    bot_message["bot_id"] = json!("B2");
    assert_eq!(read(bot_message), None);
}

#[test]
fn unknown_event_types_are_ignored() {
    assert_eq!(
        read(json!({"type": "something_new", "whatever": 1})),
        None,
        "not fatal"
    );
}

#[test]
fn a_mention_at_the_start_is_a_command() {
    let Some(Event::Message { command, .. }) = read(message("<@UBOT> !context bulgaria")) else {
        panic!()
    };
    assert_eq!(command.as_deref(), Some("context bulgaria"));
    assert_eq!(
        command_after_mention("<@UBOT|copydesk>: sources x", &own()).as_deref(),
        Some("sources x")
    );
    assert_eq!(
        command_after_mention("<@UBOT>", &own()).as_deref(),
        Some("help")
    );
    assert_eq!(command_after_mention("<@U2> context x", &own()), None);
    let dot = Own {
        prefix: ".".to_owned(),
        ..own()
    };
    assert_eq!(
        command_after_mention("<@UBOT> .context x", &dot).as_deref(),
        Some("context x"),
        "the configured prefix, not a fixed one"
    );
    let mention = json!({"type": "app_mention", "user": "U1", "channel": "C1",
        "text": "<@UBOT> context bulgaria", "ts": "1760000000.000200",
        "event_ts": "1760000000.000200"});
    let Some(Event::Message {
        message, command, ..
    }) = read(mention)
    else {
        panic!()
    };
    assert_eq!(message.event, "C1/1760000000.000200");
    assert_eq!(command.as_deref(), Some("context bulgaria"));
    let later = json!({"type": "app_mention", "user": "U1", "channel": "C1",
        "text": "ask <@UBOT> later", "ts": "1760000000.000300",
        "event_ts": "1760000000.000300"});
    assert_eq!(read(later), None, "its message event is checked instead");
}

#[test]
fn an_edit_names_the_change_and_the_original() {
    let edit = json!({"type": "message", "subtype": "message_changed", "hidden": true,
        "channel": "C1", "ts": "1760000001.000000", "event_ts": "1760000001.000000",
        "message": {"type": "message", "user": "U1", "text": "new &amp; text",
                    "ts": "1760000000.000100", "edited": {"user": "U1", "ts": "1760000001.000000"}},
        "previous_message": {"type": "message", "user": "U1", "text": "old",
                             "ts": "1760000000.000100"}});
    let Some(Event::Edited {
        edit,
        original,
        text,
    }) = read(edit)
    else {
        panic!()
    };
    assert_eq!(edit.event, "C1/1760000001.000000");
    assert_eq!(edit.sender, "U1");
    assert_eq!(original.event, "C1/1760000000.000100");
    assert_eq!(text, "new & text");
}

#[test]
fn the_bots_own_edits_are_dropped() {
    let edit = json!({"type": "message", "subtype": "message_changed", "hidden": true,
        "channel": "C1", "ts": "1760000001.000000", "event_ts": "1760000001.000000",
        "message": {"type": "message", "user": BOT, "bot_id": "BBOT", "text": "updated",
                    "ts": "1760000000.000100"}});
    assert_eq!(read(edit), None);
}

#[test]
fn a_deletion_names_the_deleted_message() {
    let deleted = json!({"type": "message", "subtype": "message_deleted", "hidden": true,
        "channel": "C1", "ts": "1760000002.000000", "event_ts": "1760000002.000000",
        "deleted_ts": "1760000000.000100",
        "previous_message": {"type": "message", "user": "U1", "text": "x",
                             "ts": "1760000000.000100"}});
    let Some(Event::Deleted { deletion, deleted }) = read(deleted) else {
        panic!()
    };
    assert_eq!(deleted, "C1/1760000000.000100");
    assert_eq!(deletion.event, "C1/1760000002.000000");
}

#[test]
fn a_thread_root_deleted_with_its_replies_is_a_deletion() {
    let tombstone = json!({"type": "message", "subtype": "message_changed", "hidden": true,
        "channel": "C1", "ts": "1760000003.000000", "event_ts": "1760000003.000000",
        "message": {"type": "message", "subtype": "tombstone", "user": "USLACKBOT",
                    "text": "This message was deleted.", "hidden": true,
                    "ts": "1760000000.000100", "thread_ts": "1760000000.000100",
                    "reply_count": 1},
        "previous_message": {"type": "message", "user": "U1", "text": "x",
                             "ts": "1760000000.000100", "thread_ts": "1760000000.000100"}});
    let Some(Event::Deleted { deletion, deleted }) = read(tombstone) else {
        panic!("a tombstone is a deletion")
    };
    assert_eq!(deleted, "C1/1760000000.000100");
    assert_eq!(deletion.event, "C1/1760000003.000000");
    assert_eq!(deletion.sender, "U1");
}

#[test]
fn a_reaction_loses_its_skin_tone_and_its_removal_has_the_same_id() {
    let added = json!({"type": "reaction_added", "user": "U1", "reaction": "+1::skin-tone-3",
        "item_user": "UBOT", "item": {"type": "message", "channel": "C1", "ts": "1760000000.000900"},
        "event_ts": "1760000003.000000"});
    let Some(Event::Reaction {
        reaction,
        target,
        key,
        added: true,
    }) = read(added)
    else {
        panic!()
    };
    assert_eq!(key, "+1");
    assert_eq!(target, "C1/1760000000.000900");
    let removed = json!({"type": "reaction_removed", "user": "U1", "reaction": "+1",
        "item": {"type": "message", "channel": "C1", "ts": "1760000000.000900"},
        "event_ts": "1760000004.000000"});
    let Some(Event::Reaction {
        reaction: removal,
        added: false,
        ..
    }) = read(removed)
    else {
        panic!()
    };
    assert_eq!(removal.event, reaction.event);
}

#[test]
fn slack_markup_becomes_plain_text() {
    assert_eq!(
        plain_text("hi <@U1> in <#C1|news>: <https://x.org/a?b=1&amp;c=2|the report> <!here>"),
        "hi @U1 in #news: the report @here"
    );
    assert_eq!(plain_text("<https://x.org>"), "https://x.org");
    assert_eq!(plain_text("a < b"), "a < b");
    assert_eq!(plain_text("\u{200b}\u{202e}x"), "\u{200b}\u{202e}x");
}

#[test]
fn ids_split_and_ts_converts() {
    assert_eq!(
        split_id("C1/1760000000.000100"),
        Some(("C1", "1760000000.000100"))
    );
    assert_eq!(
        split_id("C1/1760000000.000100/U1/+1"),
        Some(("C1", "1760000000.000100"))
    );
    assert_eq!(ts_millis("1760000000.123456"), Some(1_760_000_000_123));
    assert_eq!(ts_millis("garbage"), None);
}
