//! Self-tests of the fake Slack in tests/support/fake_slack: its events parse
//! as slack-morphism parses them, slack-morphism's own client and Socket Mode
//! listener work against it, and it rejects what real Slack rejects. No Synapse.

#[path = "support/fake_slack/mod.rs"]
mod fake_slack;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fake_slack::client::{SocketClient, get, host, http, post_json};
use fake_slack::*;
// Explicit, so it wins over slack-morphism's `events` module from the prelude.
use fake_slack::events;
use serde_json::{Value, json};
use slack_morphism::prelude::*;

const T: Duration = Duration::from_secs(10);

fn section(text: &str) -> Value {
    json!([{"type": "section", "text": {"type": "mrkdwn", "text": text}}])
}

/// The envelope fields slack-morphism's `SlackSocketModeEvent` requires (that
/// type is not public, so the test checks them by hand).
fn check_envelope(frame: &Value, kind: &str) {
    assert_eq!(frame["type"], kind, "{frame}");
    assert!(frame["envelope_id"].is_string(), "{frame}");
    assert!(frame["accepts_response_payload"].is_boolean(), "{frame}");
}

/// The event inside an events_api frame, parsed as slack-morphism's listener
/// parses the payload.
fn frame_event(frame: &Value) -> SlackEventCallbackBody {
    check_envelope(frame, "events_api");
    assert!(
        frame["retry_attempt"].is_u64() && frame["retry_reason"].is_string(),
        "{frame}"
    );
    let payload: SlackPushEventCallback =
        serde_json::from_str(&frame["payload"].to_string()).expect("an event_callback");
    assert_eq!(
        payload.event_id.value(),
        frame["payload"]["event_id"].as_str().unwrap()
    );
    payload.event
}

fn parse_event(event: Value) -> SlackEventCallbackBody {
    let payload = events::event_callback(event, "Ev0000000001", 1_760_000_000);
    frame_event(&events::events_api("e-1", &payload, 0, ""))
}

fn message_of(body: SlackEventCallbackBody) -> SlackMessageEvent {
    match body {
        SlackEventCallbackBody::Message(m) => m,
        other => panic!("not a message event: {other:?}"),
    }
}

#[test]
fn every_event_builder_round_trips_through_slack_morphism() {
    let blocks = section("*hi*");
    let root = events::Msg {
        user: ANN,
        bot: false,
        text: "<@UBOT> !context Acme &amp; co",
        blocks: &Value::Null,
        ts: "1760000000.000100",
        thread_ts: None,
        parent_user: None,
    };
    let reply = events::Msg {
        ts: "1760000000.000200",
        thread_ts: Some(root.ts),
        parent_user: Some(ANN),
        text: "a reply",
        ..root
    };
    let bot = events::Msg {
        user: BOT_USER,
        bot: true,
        text: "hi",
        blocks: &blocks,
        ts: "1760000000.000300",
        thread_ts: Some(root.ts),
        parent_user: Some(ANN),
    };

    let m = message_of(parse_event(events::message(NEWS, &root)));
    assert_eq!(
        m.origin.channel.as_ref().map(|c| c.value().as_str()),
        Some(NEWS)
    );
    assert_eq!(m.origin.ts.value(), root.ts);
    assert_eq!(m.origin.thread_ts, None);
    assert_eq!(
        m.origin.channel_type,
        Some(SlackChannelType("channel".into()))
    );
    assert_eq!(
        m.sender.user.as_ref().map(|u| u.value().as_str()),
        Some(ANN)
    );
    assert_eq!(m.sender.bot_id, None);
    assert_eq!(m.subtype, None);
    let content = m.content.expect("content");
    assert_eq!(content.text.as_deref(), Some(root.text));
    let blocks_in = content.blocks.expect("a rich_text block");
    assert!(
        matches!(blocks_in[0], SlackBlock::RichText(_)),
        "{blocks_in:?}"
    );

    let m = message_of(parse_event(events::message(NEWS, &reply)));
    assert_eq!(
        m.origin.thread_ts.as_ref().map(|t| t.value().as_str()),
        Some(root.ts)
    );

    let m = message_of(parse_event(events::message("DANN", &reply)));
    assert_eq!(m.origin.channel_type, Some(SlackChannelType("im".into())));

    let m = message_of(parse_event(events::message(NEWS, &bot)));
    assert_eq!(
        m.sender.bot_id.as_ref().map(|b| b.value().as_str()),
        Some(BOT_ID)
    );
    assert_eq!(
        m.sender.user.as_ref().map(|u| u.value().as_str()),
        Some(BOT_USER)
    );
    assert!(matches!(
        m.content.and_then(|c| c.blocks).expect("blocks")[0],
        SlackBlock::Section(_)
    ));

    match parse_event(events::app_mention(NEWS, &reply)) {
        SlackEventCallbackBody::AppMention(a) => {
            assert_eq!(a.user.value(), ANN);
            assert_eq!(a.channel.value(), NEWS);
            assert_eq!(a.content.text.as_deref(), Some("a reply"));
            assert_eq!(a.origin.ts.value(), reply.ts);
            assert_eq!(
                a.origin.thread_ts.as_ref().map(|t| t.value().as_str()),
                Some(root.ts)
            );
        }
        other => panic!("not app_mention: {other:?}"),
    }

    let edited = events::Msg {
        text: "now unattributed",
        ..reply
    };
    let m = message_of(parse_event(events::message_changed(
        NEWS,
        "1760000001.000000",
        &edited,
        &reply,
        ANN,
    )));
    assert_eq!(m.subtype, Some(SlackMessageEventType::MessageChanged));
    assert_eq!(m.hidden, Some(true));
    assert_eq!(m.origin.ts.value(), "1760000001.000000");
    let new = m.message.expect("message");
    assert_eq!(new.ts.value(), reply.ts);
    assert_eq!(
        new.content.and_then(|c| c.text).as_deref(),
        Some("now unattributed")
    );
    assert_eq!(new.edited.expect("edited").ts.value(), "1760000001.000000");
    assert_eq!(
        new.sender.user.as_ref().map(|u| u.value().as_str()),
        Some(ANN)
    );
    assert_eq!(
        m.previous_message
            .and_then(|p| p.content)
            .and_then(|c| c.text)
            .as_deref(),
        Some("a reply")
    );

    let m = message_of(parse_event(events::message_deleted(
        NEWS,
        "1760000002.000000",
        &reply,
    )));
    assert_eq!(m.subtype, Some(SlackMessageEventType::MessageDeleted));
    assert_eq!(
        m.deleted_ts.as_ref().map(|t| t.value().as_str()),
        Some(reply.ts)
    );
    assert_eq!(m.previous_message.expect("previous").ts.value(), reply.ts);

    for added in [true, false] {
        let event = events::reaction(
            added,
            ED,
            "+1::skin-tone-2",
            NEWS,
            bot.ts,
            BOT_USER,
            "1760000003.000000",
        );
        let (user, reaction, item, item_user) = match parse_event(event) {
            SlackEventCallbackBody::ReactionAdded(r) if added => {
                (r.user, r.reaction, r.item, r.item_user)
            }
            SlackEventCallbackBody::ReactionRemoved(r) if !added => {
                (r.user, r.reaction, r.item, r.item_user)
            }
            other => panic!("not the reaction event: {other:?}"),
        };
        assert_eq!(
            (user.value().as_str(), reaction.value().as_str()),
            (ED, "+1::skin-tone-2")
        );
        assert_eq!(
            item_user.map(|u| u.value().clone()).as_deref(),
            Some(BOT_USER)
        );
        match item {
            SlackReactionsItem::Message(h) => {
                assert_eq!(h.origin.ts.value(), bot.ts);
                assert_eq!(
                    h.origin.channel.as_ref().map(|c| c.value().as_str()),
                    Some(NEWS)
                );
            }
            other => panic!("not a message item: {other:?}"),
        }
    }

    let slash = events::slash_payload(&events::Slash {
        user: ANN,
        user_name: "ann",
        channel: NEWS,
        channel_name: "newsroom",
        command: "/context",
        text: "Acme <b>",
        response_url: "http://127.0.0.1:1/commands/7",
        trigger_id: "7.1760000000.abc",
    });
    let frame = events::slash_commands("e-2", &slash);
    check_envelope(&frame, "slash_commands");
    assert_eq!(frame["accepts_response_payload"], true);
    let c: SlackCommandEvent =
        serde_json::from_value(frame["payload"].clone()).expect("a slash command");
    assert_eq!(c.command.value(), "/context");
    assert_eq!(c.text.as_deref(), Some("Acme <b>"));
    assert_eq!(c.user_id.value(), ANN);
    assert_eq!(c.channel_id.value(), NEWS);
    assert_eq!(c.trigger_id.value(), "7.1760000000.abc");
    assert_eq!(
        c.response_url.value().as_str(),
        "http://127.0.0.1:1/commands/7"
    );
    // hello and disconnect: the fields the crate's (private) models require; the
    // listener test below sees them parse for real.
    let hello = events::hello(2);
    assert_eq!(
        (hello["type"].as_str(), hello["num_connections"].as_u64()),
        (Some("hello"), Some(2))
    );
    assert_eq!(hello["connection_info"]["app_id"], APP_ID);
    assert!(hello["debug_info"]["host"].is_string());
    let bye = events::disconnect("refresh_requested");
    assert_eq!(
        (bye["type"].as_str(), bye["reason"].as_str()),
        (Some("disconnect"), Some("refresh_requested"))
    );
    assert!(bye["debug_info"]["host"].is_string());
}

async fn error_of(reply: fake_slack::client::HttpReply) -> String {
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    reply.error().unwrap_or_else(|| "ok".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_and_bodies_are_checked_with_slacks_error_codes() {
    let slack = FakeSlack::start().await;
    let body = json!({"channel": NEWS, "text": "hi"});
    assert_eq!(
        error_of(post_json(&slack, "chat.postMessage", None, &body).await).await,
        "not_authed"
    );
    assert_eq!(
        error_of(post_json(&slack, "chat.postMessage", Some("xoxb-wrong"), &body).await).await,
        "invalid_auth"
    );
    assert_eq!(
        error_of(post_json(&slack, "chat.postMessage", Some(APP_TOKEN), &body).await).await,
        "not_allowed_token_type"
    );
    assert_eq!(
        error_of(post_json(&slack, "apps.connections.open", Some(BOT_TOKEN), &json!({})).await)
            .await,
        "not_allowed_token_type"
    );
    assert_eq!(
        error_of(get(&slack, "auth.test", Some(APP_TOKEN), &[]).await).await,
        "not_allowed_token_type"
    );
    assert_eq!(
        error_of(post_json(&slack, "chat.postMessag", Some(BOT_TOKEN), &body).await).await,
        "unknown_method"
    );
    assert_eq!(
        error_of(get(&slack, "apps.connections.open", Some(APP_TOKEN), &[]).await).await,
        "insecure_request"
    );

    let h = host(&slack);
    let auth = format!("Bearer {BOT_TOKEN}");
    let raw = |ct: Option<&'static str>, body: &'static str| {
        let (h, auth) = (h.clone(), auth.clone());
        async move {
            let mut headers = vec![("authorization", auth.as_str())];
            if let Some(ct) = ct {
                headers.push(("content-type", ct));
            }
            http(
                &h,
                "POST",
                "/api/chat.postMessage",
                &headers,
                body.as_bytes(),
            )
            .await
        }
    };
    let json_body = r#"{"channel":"CNEWS","text":"hi"}"#;
    assert_eq!(
        error_of(raw(None, json_body).await).await,
        "missing_post_type"
    );
    assert_eq!(
        error_of(raw(Some("text/plain"), json_body).await).await,
        "invalid_post_type"
    );
    assert_eq!(
        error_of(raw(Some("application/json; charset=iso-8859-1"), json_body).await).await,
        "invalid_charset"
    );
    assert_eq!(
        error_of(raw(Some("application/json; charset=utf-8"), "{\"channel\":").await).await,
        "invalid_form_data"
    );
    assert_eq!(
        error_of(
            raw(
                Some("application/x-www-form-urlencoded"),
                "channel=CNEWS&text=a+form+post"
            )
            .await
        )
        .await,
        "ok"
    );
    assert!(slack.violations().is_empty(), "{:?}", slack.violations());
    assert_eq!(
        error_of(raw(Some("application/json"), json_body).await).await,
        "ok"
    );
    assert_eq!(
        slack.take_violations().len(),
        1,
        "JSON without charset is flagged"
    );

    // A token anywhere but the header is a violation.
    assert_eq!(
        error_of(
            get(
                &slack,
                "auth.test",
                Some(BOT_TOKEN),
                &[("token", BOT_TOKEN)]
            )
            .await
        )
        .await,
        "invalid_arguments"
    );
    let with_token = json!({"channel": NEWS, "text": "hi", "token": BOT_TOKEN});
    assert_eq!(
        error_of(post_json(&slack, "chat.postMessage", Some(BOT_TOKEN), &with_token).await).await,
        "invalid_arguments"
    );
    assert_eq!(slack.take_violations().len(), 2);
    // Read methods ignore a JSON body, as Slack does.
    let reply = http(
        &h,
        "POST",
        "/api/users.info",
        &[
            ("authorization", &auth),
            ("content-type", "application/json; charset=utf-8"),
        ],
        br#"{"user":"UANN"}"#,
    )
    .await;
    assert_eq!(error_of(reply).await, "user_not_found");
    let reply = http(
        &h,
        "POST",
        "/api/users.info",
        &[
            ("authorization", &auth),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        b"user=UANN",
    )
    .await;
    assert_eq!(error_of(reply).await, "ok");
    assert_eq!(
        slack.outcomes("chat.postMessage"),
        ["ok", "ok"],
        "only calls whose arguments were read are logged"
    );
    slack.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arguments_content_and_blocks_are_checked() {
    let slack = FakeSlack::start().await;
    let post = |body: Value| {
        let slack = &slack;
        async move { post_json(slack, "chat.postMessage", Some(BOT_TOKEN), &body).await }
    };
    let err = error_of;
    assert_eq!(
        err(post(json!({"channel": "CNOPE", "text": "x"})).await).await,
        "channel_not_found"
    );
    assert_eq!(
        err(post(json!({"text": "x"})).await).await,
        "channel_not_found"
    );
    assert_eq!(
        err(post(json!({"channel": OUTSIDE, "text": "x"})).await).await,
        "not_in_channel"
    );
    assert_eq!(err(post(json!({"channel": NEWS})).await).await, "no_text");
    assert_eq!(
        err(post(json!({"channel": NEWS, "text": "x".repeat(40_001)})).await).await,
        "msg_too_long"
    );
    assert_eq!(
        err(post(json!({"channel": NEWS, "text": "x", "blocks": {"type": "section"}})).await).await,
        "invalid_blocks_format"
    );
    let bad_blocks = [
        json!([{"type": "sektion", "text": {"type": "mrkdwn", "text": "x"}}]),
        json!([{"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(3001)}}]),
        json!([{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]),
        json!([{"type": "section", "text": {"type": "markdown", "text": "x"}}]),
        json!([{"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "colour": "red"}]),
        json!([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]),
        json!([{"type": "header", "text": {"type": "plain_text", "text": "x".repeat(151)}}]),
        json!([{"type": "context", "elements": []}]),
        json!([{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}]),
        Value::Array(vec![json!({"type": "divider"}); 51]),
    ];
    for blocks in bad_blocks {
        assert_eq!(
            err(post(json!({"channel": NEWS, "text": "x", "blocks": blocks})).await).await,
            "invalid_blocks",
            "{blocks}"
        );
    }
    let long = Value::Array((0..5).map(|_| json!({"type": "section", "text": {"type": "mrkdwn", "text": "y".repeat(2999)}})).collect());
    assert_eq!(
        err(post(json!({"channel": NEWS, "text": "x", "blocks": long})).await).await,
        "msg_blocks_too_long"
    );
    assert!(slack.violations().is_empty(), "{:?}", slack.violations());
    assert!(slack.bot_messages(NEWS).is_empty());

    // Violations: answered with an error and recorded.
    assert_eq!(
        err(post(json!({"channel": NEWS, "text": "x".repeat(4001)})).await).await,
        "msg_too_long"
    );
    assert_eq!(
        err(post(json!({"channel": NEWS, "blocks": section("no fallback")})).await).await,
        "no_text"
    );
    assert_eq!(
        err(post(json!({"channel": NEWS, "text": "<!channel>", "link_names": true})).await).await,
        "invalid_arguments"
    );
    assert_eq!(
        err(post(json!({"channel": NEWS, "text": "x", "parse": "full"})).await).await,
        "invalid_arguments"
    );
    assert_eq!(
        err(post(json!({"channel": NEWS, "text": "x", "thread_ts": "1.000001"})).await).await,
        "invalid_arguments"
    );
    assert_eq!(slack.take_violations().len(), 5);

    // Threads, updates, deletes and ephemerals.
    let root = slack.post(ANN, NEWS, "Acme bribed the mayor", None).await;
    let reply = slack.post(ED, NEWS, "source?", Some(&root)).await;
    let ok = post(json!({"channel": NEWS, "text": "warning", "blocks": section("*warning*"), "thread_ts": root})).await.json();
    assert_eq!(ok["ok"], true, "{ok}");
    let warning = ok["ts"].as_str().unwrap().to_string();
    assert_eq!(
        err(post(json!({"channel": NEWS, "text": "x", "thread_ts": reply})).await).await,
        "invalid_arguments"
    );
    assert_eq!(
        slack.take_violations().len(),
        1,
        "a reply's ts is not a thread"
    );
    let update = |body: Value| {
        let slack = &slack;
        async move { post_json(slack, "chat.update", Some(BOT_TOKEN), &body).await }
    };
    assert_eq!(
        err(update(json!({"channel": NEWS, "ts": root, "text": "x"})).await).await,
        "cant_update_message"
    );
    assert_eq!(
        err(update(json!({"channel": NEWS, "ts": "1.000002", "text": "x"})).await).await,
        "message_not_found"
    );
    assert_eq!(
        err(update(json!({"channel": NEWS, "ts": warning, "text": "updated"})).await).await,
        "ok"
    );
    let delete = |body: Value| {
        let slack = &slack;
        async move { post_json(slack, "chat.delete", Some(BOT_TOKEN), &body).await }
    };
    assert_eq!(
        err(delete(json!({"channel": NEWS, "ts": root})).await).await,
        "cant_delete_message"
    );
    let eph = |body: Value| {
        let slack = &slack;
        async move { post_json(slack, "chat.postEphemeral", Some(BOT_TOKEN), &body).await }
    };
    assert_eq!(
        err(eph(json!({"channel": NEWS, "user": STRANGER, "text": "x"})).await).await,
        "user_not_in_channel"
    );
    assert_eq!(
        err(eph(json!({"channel": OUTSIDE, "user": ANN, "text": "x"})).await).await,
        "not_in_channel"
    );
    let e = eph(json!({"channel": NEWS, "user": ANN, "text": "only you", "thread_ts": root}))
        .await
        .json();
    let eph_ts = e["message_ts"].as_str().expect("message_ts").to_string();
    assert_eq!(
        err(update(json!({"channel": NEWS, "ts": eph_ts, "text": "x"})).await).await,
        "message_not_found"
    );
    let lonely = slack.post(ANN, NEWS, "no replies here", None).await;
    assert_eq!(
        err(eph(json!({"channel": NEWS, "user": ANN, "text": "x", "thread_ts": lonely})).await)
            .await,
        "invalid_arguments"
    );
    assert_eq!(
        slack.take_violations().len(),
        1,
        "an ephemeral in a thread that does not exist"
    );
    assert_eq!(
        err(delete(json!({"channel": NEWS, "ts": warning})).await).await,
        "ok"
    );
    assert_eq!(
        err(delete(json!({"channel": NEWS, "ts": warning})).await).await,
        "message_not_found"
    );
    slack.kick_bot(NEWS);
    assert_eq!(
        err(post(json!({"channel": NEWS, "text": "x"})).await).await,
        "not_in_channel"
    );
    slack.invite_bot(NEWS);
    slack.archive(EDITORS);
    assert_eq!(
        err(post(json!({"channel": EDITORS, "text": "x"})).await).await,
        "is_archived"
    );

    let bot = slack.bot_messages(NEWS);
    assert_eq!(bot.len(), 1);
    assert_eq!(
        (bot[0].text.as_str(), bot[0].deleted, bot[0].edits),
        ("updated", true, 1)
    );
    assert_eq!(bot[0].thread_ts.as_deref(), Some(root.as_str()));
    assert_eq!(
        slack
            .ephemerals(ANN)
            .iter()
            .map(|m| m.text.as_str())
            .collect::<Vec<_>>(),
        ["only you"]
    );
    slack.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bots_broadcast_is_a_violation_and_failures_come_on_demand() {
    let slack = FakeSlack::start().await;
    let call = |method: &'static str, body: Value| {
        let slack = &slack;
        async move { error_of(post_json(slack, method, Some(BOT_TOKEN), &body).await).await }
    };
    for broadcast in ["<!channel>", "<!here|here>", "<!everyone>"] {
        let text = format!("heads up {broadcast}");
        assert_eq!(
            call("chat.postMessage", json!({"channel": NEWS, "text": text})).await,
            "invalid_arguments"
        );
        let blocks = section(&text);
        assert_eq!(
            call(
                "chat.postEphemeral",
                json!({"channel": NEWS, "user": ANN, "text": "x", "blocks": blocks})
            )
            .await,
            "invalid_arguments"
        );
    }
    assert_eq!(slack.take_violations().len(), 6);
    // Escaped, as user text must be, it is plain text; `<!date…>` is no broadcast.
    let escaped = "&lt;!channel&gt; <!date^1392734382^{date}|Feb 18>";
    assert_eq!(
        call(
            "chat.postMessage",
            json!({"channel": NEWS, "text": escaped})
        )
        .await,
        "ok"
    );

    slack.fail_next("chat.postEphemeral", "user_not_in_channel", 1);
    let ephemeral = json!({"channel": NEWS, "user": ANN, "text": "only you"});
    assert_eq!(
        call("chat.postEphemeral", ephemeral.clone()).await,
        "user_not_in_channel"
    );
    assert!(
        slack.ephemerals(ANN).is_empty(),
        "a failed call does nothing"
    );
    assert_eq!(call("chat.postEphemeral", ephemeral).await, "ok");
    assert_eq!(
        slack.outcomes("chat.postEphemeral")[3..],
        ["user_not_in_channel", "ok"]
    );
    slack.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_mode_hello_delivery_and_acks() {
    let slack = FakeSlack::start().await;
    // An event with no connection open waits for one.
    slack.post(ANN, NEWS, "before anyone listened", None).await;
    let mut c = SocketClient::connect(&slack).await;
    assert_eq!(c.expect("hello").await["num_connections"], 1);
    let early = c.expect("events_api").await;
    assert_eq!(
        (
            early["retry_attempt"].as_u64(),
            early["payload"]["event"]["text"].as_str()
        ),
        (Some(0), Some("before anyone listened"))
    );
    c.ack(&early, None).await;

    let ts = slack.post(ANN, NEWS, "<@UBOT> !help", None).await;
    let message = c.expect("events_api").await;
    let mention = c.expect("events_api").await;
    assert!(matches!(
        frame_event(&message),
        SlackEventCallbackBody::Message(_)
    ));
    assert!(matches!(
        frame_event(&mention),
        SlackEventCallbackBody::AppMention(_)
    ));
    assert_ne!(
        message["payload"]["event_id"],
        mention["payload"]["event_id"]
    );
    c.ack(&message, None).await;
    c.ack(&mention, None).await;

    slack
        .post(ANN, OUTSIDE, "the bot is not in this channel", None)
        .await;
    let reply = post_json(
        &slack,
        "chat.postMessage",
        Some(BOT_TOKEN),
        &json!({"channel": NEWS, "text": "see the guide", "thread_ts": ts}),
    )
    .await;
    let bot_ts = reply.json()["ts"].as_str().expect("ts").to_string();
    let echo = c.expect("events_api").await;
    match frame_event(&echo) {
        SlackEventCallbackBody::Message(m) => {
            assert_eq!(
                m.sender.bot_id.map(|b| b.value().clone()).as_deref(),
                Some(BOT_ID)
            );
            assert_eq!(m.origin.ts.value(), &bot_ts);
        }
        other => panic!("{other:?}"),
    }
    c.ack(&echo, None).await;

    slack.edit(ANN, NEWS, &ts, "<@UBOT> !help me").await;
    slack.react(ED, NEWS, &bot_ts, "-1").await;
    slack.unreact(ED, NEWS, &bot_ts, "-1").await;
    slack.delete(NEWS, &ts).await;
    for expected in [
        "message_changed",
        "reaction_added",
        "reaction_removed",
        // The deleted message has the bot's reply in its thread: Slack leaves a placeholder.
        "tombstone",
    ] {
        let frame = c.expect("events_api").await;
        let ok = match frame_event(&frame) {
            SlackEventCallbackBody::Message(m) => match m.subtype {
                Some(SlackMessageEventType::MessageChanged) => {
                    let by_slackbot = m
                        .message
                        .as_ref()
                        .and_then(|changed| changed.sender.user.as_ref())
                        .is_some_and(|user| user.value() == "USLACKBOT");
                    expected
                        == if by_slackbot {
                            "tombstone"
                        } else {
                            "message_changed"
                        }
                }
                Some(SlackMessageEventType::MessageDeleted) => expected == "message_deleted",
                _ => false,
            },
            SlackEventCallbackBody::ReactionAdded(_) => expected == "reaction_added",
            SlackEventCallbackBody::ReactionRemoved(_) => expected == "reaction_removed",
            _ => false,
        };
        assert!(ok, "expected {expected}, got {frame}");
        c.ack(&frame, None).await;
    }
    slack
        .wait_until(T, "eight acks", |s| s.ack_latencies().len() == 8)
        .await;
    assert!(
        c.next(Duration::from_millis(200)).await.is_none(),
        "nothing else was sent"
    );
    assert!(
        slack
            .ack_latencies()
            .iter()
            .all(|l| *l < DEFAULT_ACK_TIMEOUT)
    );

    // A ticket is good for one connection.
    let url = SocketClient::open_url(&slack).await;
    let _second = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("a first use");
    assert!(
        tokio_tungstenite::connect_async(url.as_str())
            .await
            .is_err(),
        "a reused ticket is refused"
    );
    assert_eq!(slack.take_violations().len(), 1);
    slack
        .wait_until(T, "two connections", |s| s.connections() == 2)
        .await;
    slack.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacked_envelopes_are_redelivered_and_acks_are_checked() {
    let slack = FakeSlack::start_with_ack_timeout(Duration::from_millis(200)).await;
    let mut c = SocketClient::connect(&slack).await;
    c.expect("hello").await;
    slack.post(ANN, NEWS, "ignored once", None).await;
    let first = c.expect("events_api").await;
    let second = c.expect("events_api").await;
    assert_ne!(first["envelope_id"], second["envelope_id"]);
    assert_eq!(first["payload"]["event_id"], second["payload"]["event_id"]);
    assert_eq!(
        (
            second["retry_attempt"].as_u64(),
            second["retry_reason"].as_str()
        ),
        (Some(1), Some("timeout"))
    );
    c.ack(&second, None).await;
    c.ack(&first, None).await; // late, but not a violation
    c.ack(&second, None).await; // a second ack
    c.ack(&json!("no-such-envelope"), None).await;
    slack.redeliver_last(1).await;
    let forced = c.expect("events_api").await;
    assert_eq!(
        (
            forced["payload"]["event_id"].clone(),
            forced["retry_attempt"].as_u64()
        ),
        (first["payload"]["event_id"].clone(), Some(2))
    );
    c.ack(
        &forced,
        Some(json!({"text": "events_api acks carry no payload"})),
    )
    .await;
    slack
        .wait_until(T, "three ack violations", |s| s.violations().len() == 3)
        .await;
    let v = slack.take_violations();
    assert!(
        v[0].contains("second ack")
            && v[1].contains("unknown envelope")
            && v[2].contains("payload"),
        "{v:?}"
    );

    // Three redeliveries, then the fake gives up and says so.
    slack.post(ANN, NEWS, "never acked", None).await;
    for attempt in 0..4 {
        assert_eq!(
            c.expect("events_api").await["retry_attempt"].as_u64(),
            Some(attempt)
        );
    }
    slack
        .wait_until(T, "the ack-timeout violation", |s| {
            !s.violations().is_empty()
        })
        .await;
    assert!(slack.take_violations()[0].contains("not acked after 3 redeliveries"));
    assert!(c.next(Duration::from_millis(400)).await.is_none());

    // Round-robin over two connections; forced redeliveries too.
    slack.set_ack_timeout(Duration::from_secs(10));
    let mut d = SocketClient::connect(&slack).await;
    assert_eq!(d.expect("hello").await["num_connections"], 2);
    for i in 0..4 {
        slack.post(ANN, NEWS, &format!("message {i}"), None).await;
    }
    slack.redeliver_last(2).await;
    let (mut on_c, mut on_d) = (Vec::new(), Vec::new());
    while let Some(f) = c.next(Duration::from_millis(300)).await {
        c.ack(&f, None).await;
        on_c.push(f);
    }
    while let Some(f) = d.next(Duration::from_millis(300)).await {
        d.ack(&f, None).await;
        on_d.push(f);
    }
    assert_eq!((on_c.len(), on_d.len()), (3, 3), "c: {on_c:?}\nd: {on_d:?}");
    let last_id = slack.last_event_id().expect("an event");
    let copies = on_c
        .iter()
        .chain(&on_d)
        .filter(|f| f["payload"]["event_id"] == json!(last_id))
        .count();
    assert_eq!(copies, 3);
    slack
        .wait_until(T, "every envelope acked", |s| {
            s.envelopes().iter().filter(|e| !e.acked).count() == 4
        })
        .await;
    slack.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_429s_and_the_per_channel_limit() {
    let slack = FakeSlack::start().await;
    slack.rate_limit("chat.postMessage", 2, 1);
    let body = json!({"channel": NEWS, "text": "warning"});
    let r = post_json(&slack, "chat.postMessage", Some(BOT_TOKEN), &body).await;
    assert_eq!(
        (r.status, r.header("retry-after"), r.header("content-type")),
        (429, Some("1"), Some("application/json; charset=utf-8"))
    );
    assert_eq!(r.error().as_deref(), Some("ratelimited"));
    let early = post_json(&slack, "chat.postMessage", Some(BOT_TOKEN), &body).await;
    assert_eq!(early.status, 429);
    let v = slack.take_violations();
    assert!(
        v.len() == 1 && v[0].contains("before its Retry-After"),
        "{v:?}"
    );
    tokio::time::sleep(Duration::from_millis(1020)).await;
    assert_eq!(
        post_json(&slack, "chat.postMessage", Some(BOT_TOKEN), &body)
            .await
            .status,
        429
    );
    tokio::time::sleep(Duration::from_millis(1020)).await;
    assert_eq!(
        post_json(&slack, "chat.postMessage", Some(BOT_TOKEN), &body)
            .await
            .error(),
        None
    );
    assert_eq!(
        slack.outcomes("chat.postMessage"),
        ["ratelimited", "ratelimited", "ratelimited", "ok"]
    );
    assert_eq!(slack.bot_messages(NEWS).len(), 1, "a 429 posts nothing");
    assert_eq!(slack.calls_ok("chat.postMessage").len(), 1);

    // A burst of 3 per channel, then 1/s; other channels are not affected.
    for i in 0..3 {
        let r = post_json(
            &slack,
            "chat.postMessage",
            Some(BOT_TOKEN),
            &json!({"channel": EDITORS, "text": format!("{i}")}),
        )
        .await;
        assert_eq!(r.error(), None, "{}", r.body);
    }
    let r = post_json(
        &slack,
        "chat.postMessage",
        Some(BOT_TOKEN),
        &json!({"channel": EDITORS, "text": "3"}),
    )
    .await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")));
    assert_eq!(
        post_json(&slack, "chat.postMessage", Some(BOT_TOKEN), &body)
            .await
            .error(),
        None
    );
    tokio::time::sleep(Duration::from_millis(1020)).await;
    let r = post_json(
        &slack,
        "chat.postMessage",
        Some(BOT_TOKEN),
        &json!({"channel": EDITORS, "text": "3"}),
    )
    .await;
    assert_eq!(r.error(), None);
    slack.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_commands_are_answered_in_the_ack() {
    let slack = FakeSlack::start_with_ack_timeout(Duration::from_secs(1)).await;
    let mut c = SocketClient::connect(&slack).await;
    c.expect("hello").await;
    let answer = json!({"response_type": "ephemeral", "text": "Acme: background", "blocks": section("*Acme*")});
    let (payload, frame) = tokio::join!(slack.slash(ANN, NEWS, "/context", "Acme"), async {
        let f = c.expect("slash_commands").await;
        c.ack(&f, Some(answer.clone())).await;
        f
    });
    assert_eq!(payload, answer);
    assert_eq!(frame["payload"]["text"], "Acme");

    let url = frame["payload"]["response_url"]
        .as_str()
        .unwrap()
        .to_string();
    let path = url
        .split_once("/commands/")
        .map(|(_, n)| format!("/commands/{n}"))
        .unwrap();
    let r = http(
        &host(&slack),
        "POST",
        &path,
        &[("content-type", "application/json")],
        br#"{"text":"later","response_type":"ephemeral"}"#,
    )
    .await;
    assert_eq!(
        (r.status, r.header("content-type"), r.body.as_str()),
        (200, Some("text/html"), "ok")
    );
    assert_eq!(slack.responses().len(), 1);

    let (late, _) = tokio::join!(
        slack.slash(ANN, NEWS, "/context", "Acme"),
        c.expect("slash_commands")
    );
    assert_eq!(late, Value::Null);
    let (_, f) = tokio::join!(slack.slash(ANN, NEWS, "/context", "x"), async {
        let f = c.expect("slash_commands").await;
        c.ack(&f, Some(json!({"text": "x", "blocks": [{"type": "nope"}]})))
            .await;
        f
    });
    assert!(f["envelope_id"].is_string());
    let v = slack.take_violations();
    assert!(
        v.len() == 2 && v[0].contains("not acked") && v[1].contains("invalid_blocks"),
        "{v:?}"
    );

    slack.disconnect_all("refresh_requested").await;
    assert_eq!(c.expect("disconnect").await["reason"], "refresh_requested");
    assert!(
        c.next(Duration::from_secs(3)).await.is_none(),
        "closed after the disconnect"
    );
    assert_eq!(slack.connections(), 0);
    slack.assert_no_violations();
}

/// slack-morphism's hyper client pointed at the fake, built as the connector
/// builds it (plain http, no system CA store needed).
fn crate_client(slack: &FakeSlack) -> Arc<SlackHyperClient> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    let tls = rustls::ClientConfig::builder()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Arc::new(SlackClient::new(
        SlackClientHyperConnector::from(https).with_slack_api_url(&slack.api_url()),
    ))
}

fn markdown(text: &str) -> SlackBlockText {
    SlackBlockText::MarkDown(SlackBlockMarkDownText::new(text.into()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_morphisms_web_api_client_works_against_the_fake() {
    let slack = FakeSlack::start().await;
    let client = crate_client(&slack);
    let token = SlackApiToken::new(SlackApiTokenValue::from(BOT_TOKEN));
    let session = client.open_session(&token);

    let me = session.auth_test().await.expect("auth.test");
    assert_eq!(
        (
            me.user_id.value().as_str(),
            me.bot_id.expect("bot_id").value().as_str()
        ),
        (BOT_USER, BOT_ID)
    );
    assert_eq!(me.url.value().as_str(), slack.workspace_url());

    let root = slack.post(ANN, NEWS, "Acme bribed the mayor", None).await;
    let blocks = vec![
        SlackBlock::Section(
            SlackSectionBlock::new().with_text(markdown("*Unattributed allegation*")),
        ),
        SlackBlock::Context(SlackContextBlock::new(vec![
            SlackContextBlockElement::MarkDown(SlackBlockMarkDownText::new("copydesk".into())),
        ])),
    ];
    let about = HashMap::from([("about".to_string(), format!("{NEWS}/{root}"))]);
    let content = SlackMessageContent::new()
        .with_text("Unattributed allegation".into())
        .with_blocks(blocks)
        .with_metadata(SlackMessageMetadata::new("copydesk".into()).with_event_payload(about));
    let request = SlackApiChatPostMessageRequest::new(NEWS.into(), content)
        .with_thread_ts(root.as_str().into())
        .with_unfurl_links(false)
        .with_unfurl_media(false);
    let posted = session
        .chat_post_message(&request)
        .await
        .expect("chat.postMessage");
    assert_eq!(posted.channel.value(), NEWS);
    assert_eq!(
        posted
            .message
            .sender
            .bot_id
            .as_ref()
            .map(|b| b.value().as_str()),
        Some(BOT_ID)
    );

    let thread = session
        .conversations_replies(&SlackApiConversationsRepliesRequest::new(
            NEWS.into(),
            posted.ts.clone(),
        ))
        .await
        .expect("replies");
    assert_eq!(
        thread
            .messages
            .iter()
            .map(|m| m.origin.ts.value().as_str())
            .collect::<Vec<_>>(),
        [root.as_str(), posted.ts.value()]
    );
    assert!(
        thread.messages[1].content.metadata.is_none(),
        "metadata only with include_all_metadata, which slack-morphism's request lacks"
    );
    let with_metadata = get(
        &slack,
        "conversations.replies",
        Some(BOT_TOKEN),
        &[
            ("channel", NEWS),
            ("ts", posted.ts.value()),
            ("include_all_metadata", "true"),
        ],
    )
    .await
    .json();
    assert_eq!(
        with_metadata["messages"][1]["metadata"]["event_payload"]["about"],
        format!("{NEWS}/{root}")
    );
    let first = session
        .conversations_replies(
            &SlackApiConversationsRepliesRequest::new(NEWS.into(), posted.ts.clone()).with_limit(1),
        )
        .await
        .expect("replies");
    assert_eq!((first.messages.len(), first.has_more), (1, Some(true)));

    let updated = session
        .chat_update(&SlackApiChatUpdateRequest::new(
            NEWS.into(),
            SlackMessageContent::new().with_text("Withdrawn".into()),
            posted.ts.clone(),
        ))
        .await
        .expect("chat.update");
    assert_eq!(
        (
            updated.ts.value(),
            updated.thread_ts.map(|t| t.value().clone())
        ),
        (posted.ts.value(), Some(root.clone()))
    );
    let link = session
        .chat_get_permalink(&SlackApiChatGetPermalinkRequest::new(
            NEWS.into(),
            posted.ts.clone(),
        ))
        .await
        .expect("permalink");
    assert!(
        link.permalink.as_str().contains(&format!(
            "/archives/{NEWS}/p{}?thread_ts={root}",
            posted.ts.value().replace('.', "")
        )),
        "{}",
        link.permalink
    );

    let dm = session
        .conversations_open(&SlackApiConversationsOpenRequest::new().with_users(vec![ANN.into()]))
        .await
        .expect("conversations.open");
    assert_eq!(dm.channel.id.value(), &slack.dm(ANN));
    let ann = session
        .users_info(&SlackApiUsersInfoRequest::new(ANN.into()))
        .await
        .expect("users.info");
    assert_eq!(
        (ann.user.name.as_deref(), ann.user.flags.is_bot),
        (Some("ann"), Some(false))
    );
    let info = session
        .conversations_info(&SlackApiConversationsInfoRequest::new(NEWS.into()))
        .await
        .expect("conversations.info");
    assert_eq!(info.channel.name.as_deref(), Some("newsroom"));
    let editors = session
        .usergroups_users_list(&SlackApiUserGroupsUsersListRequest::new(
            EDITORS_GROUP.into(),
        ))
        .await
        .expect("usergroups");
    assert_eq!(editors.users, vec![SlackUserId::from(ED)]);
    session
        .chat_post_ephemeral(&SlackApiChatPostEphemeralRequest::new(
            NEWS.into(),
            ANN.into(),
            SlackMessageContent::new().with_text("only you".into()),
        ))
        .await
        .expect("chat.postEphemeral");
    session
        .chat_delete(&SlackApiChatDeleteRequest::new(
            NEWS.into(),
            posted.ts.clone(),
        ))
        .await
        .expect("chat.delete");

    let outside = SlackApiChatPostMessageRequest::new(
        OUTSIDE.into(),
        SlackMessageContent::new().with_text("x".into()),
    );
    match session.chat_post_message(&outside).await {
        Err(slack_morphism::errors::SlackClientError::ApiError(e)) => {
            assert_eq!(e.code, "not_in_channel")
        }
        other => panic!("{other:?}"),
    }
    slack.rate_limit("chat.postMessage", 1, 1);
    let again = SlackApiChatPostMessageRequest::new(
        NEWS.into(),
        SlackMessageContent::new().with_text("x".into()),
    );
    match session.chat_post_message(&again).await {
        Err(slack_morphism::errors::SlackClientError::RateLimitError(e)) => {
            assert_eq!(e.retry_after, Some(Duration::from_secs(1)))
        }
        other => panic!("{other:?}"),
    }
    let app = SlackApiToken::new(SlackApiTokenValue::from(APP_TOKEN));
    let open = client
        .open_session(&app)
        .apps_connections_open(&SlackApiAppsConnectionOpenRequest::new())
        .await
        .expect("apps.connections.open");
    assert!(open.url.value().as_str().starts_with("ws://127.0.0.1:"));

    let bot = slack.bot_messages(NEWS);
    assert_eq!(
        (
            bot.len(),
            bot[0].text.as_str(),
            bot[0].edits,
            bot[0].deleted
        ),
        (1, "Withdrawn", 1, true)
    );
    assert_eq!(slack.ephemerals(ANN).len(), 1);
    slack.assert_no_violations();
}

type Seen = Arc<Mutex<Vec<String>>>;
static LISTENER_ERRORS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static HELLOS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn on_error(
    err: Box<dyn std::error::Error + Send + Sync>,
    _: Arc<SlackHyperClient>,
    _: SlackClientEventsUserState,
) -> hyper::StatusCode {
    LISTENER_ERRORS.lock().unwrap().push(err.to_string());
    hyper::StatusCode::OK
}

async fn on_push(
    ev: SlackPushEventCallback,
    _: Arc<SlackHyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let seen = states
        .read()
        .await
        .get_user_state::<Seen>()
        .cloned()
        .expect("the test's state");
    let what = match ev.event {
        SlackEventCallbackBody::Message(m) => {
            let who = if m.sender.bot_id.is_some() {
                "bot"
            } else {
                "person"
            };
            format!(
                "{who}: {}",
                m.content.and_then(|c| c.text).unwrap_or_default()
            )
        }
        SlackEventCallbackBody::AppMention(a) => {
            format!("mention: {}", a.content.text.unwrap_or_default())
        }
        other => format!("other: {other:?}"),
    };
    seen.lock().unwrap().push(what);
    Ok(())
}

async fn on_command(
    ev: SlackCommandEvent,
    _: Arc<SlackHyperClient>,
    _: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let content = SlackMessageContent::new()
        .with_text(format!("context for {}", ev.text.unwrap_or_default()));
    Ok(SlackCommandEventResponse::new(content)
        .with_response_type(SlackMessageResponseType::Ephemeral))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_morphisms_socket_mode_listener_works_against_the_fake() {
    let slack = FakeSlack::start().await;
    let client = crate_client(&slack);
    let seen: Seen = Arc::default();
    let env = Arc::new(
        SlackClientEventsListenerEnvironment::new(client.clone())
            .with_error_handler(on_error)
            .with_user_state(seen.clone()),
    );
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_hello_events(|_, _, _| async {
            HELLOS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        })
        .with_push_events(on_push)
        .with_command_events(on_command);
    let config = SlackClientSocketModeConfig::new()
        .with_reconnect_timeout_in_seconds(1)
        .with_initial_backoff_in_seconds(1);
    let listener = SlackClientSocketModeListener::new(&config, env, callbacks);
    listener
        .listen_for(&SlackApiToken::new(SlackApiTokenValue::from(APP_TOKEN)))
        .await
        .expect("listen");
    listener.start().await;
    slack
        .wait_until(T, "the crate's two connections", |s| s.connections() == 2)
        .await;
    let count = |n: usize| {
        let seen = seen.clone();
        move |_: &FakeSlack| seen.lock().unwrap().len() >= n
    };

    let ts = slack.post(ANN, NEWS, "<@UBOT> !context Acme", None).await;
    slack
        .wait_until(T, "the message and the mention", count(2))
        .await;
    post_json(
        &slack,
        "chat.postMessage",
        Some(BOT_TOKEN),
        &json!({"channel": NEWS, "text": "background", "thread_ts": ts}),
    )
    .await;
    slack.wait_until(T, "the bot's own echo", count(3)).await;
    let answer = slack.slash(ANN, NEWS, "/context", "Acme").await;
    assert_eq!(
        answer,
        json!({"text": "context for Acme", "response_type": "ephemeral"})
    );

    slack.redeliver_last(2).await;
    slack
        .wait_until(T, "two redeliveries (the crate does not dedupe)", count(5))
        .await;
    slack.disconnect_all("refresh_requested").await;
    slack
        .wait_until(T, "a reconnect", |s| s.connections() == 2)
        .await;
    slack.post(ED, NEWS, "after the reconnect", None).await;
    slack
        .wait_until(T, "an event after the reconnect", count(6))
        .await;
    slack
        .wait_until(T, "every envelope acked", |s| {
            s.envelopes().iter().all(|e| e.acked)
        })
        .await;
    listener.shutdown().await;

    let seen = seen.lock().unwrap().clone();
    // The two connections work in parallel: message and mention may come either way round.
    let mut first_two = seen[..2].to_vec();
    first_two.sort();
    assert_eq!(
        first_two,
        [
            "mention: <@UBOT> !context Acme",
            "person: <@UBOT> !context Acme"
        ]
    );
    assert_eq!(seen[2..5], ["bot: background"; 3]);
    assert_eq!(seen[5], "person: after the reconnect");
    assert!(
        LISTENER_ERRORS.lock().unwrap().is_empty(),
        "{:?}",
        LISTENER_ERRORS.lock().unwrap()
    );
    assert_eq!(
        HELLOS.load(std::sync::atomic::Ordering::SeqCst),
        4,
        "hello parsed on every connection, before and after the reconnect"
    );
    assert!(
        slack
            .ack_latencies()
            .iter()
            .all(|l| *l < DEFAULT_ACK_TIMEOUT),
        "{:?}",
        slack.ack_latencies()
    );
    slack.assert_no_violations();
}
