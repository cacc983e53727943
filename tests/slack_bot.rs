//! The real bot (`copydesk run`) against the strict fake Slack: commands, warnings in
//! every mode, edits, deletions, feedback, redeliveries, restarts, health and metrics,
//! tokens refused at start, shutdown and a 429 storm. Every test ends with every envelope
//! acked well within Slack's 3 s and no protocol violation recorded by the fake.

#[path = "support/fake_slack/mod.rs"]
mod fake_slack;
#[path = "support/slack_bot.rs"]
mod slack_bot;

use std::time::Duration;

use fake_slack::*;
use slack_bot::{SlackBotDir, SlackBotProcess, SlackSettings, free_port, get_metrics};

/// Restates the example knowledge file's allegation with no source: a warning.
const ALLEGATION: &str = "so russian intelligence is basically helping the smugglers";
/// The same allegation with its source on record: nothing.
const ATTRIBUTED: &str = "Mitov told The Times that russian intelligence is helping the smugglers";
const WAIT: Duration = Duration::from_secs(20);
/// How long to watch for something that must not happen.
const QUIET: Duration = Duration::from_millis(1500);
/// The slowest ack a test accepts: the bot acks before doing any work, so even a busy
/// test machine stays far below Slack's 3 s.
const MAX_ACK: Duration = Duration::from_secs(1);

/// A fake Slack and the bot connected to it.
struct Setup {
    slack: FakeSlack,
    dir: SlackBotDir,
    bot: SlackBotProcess,
}

async fn start(settings: SlackSettings) -> Setup {
    let slack = FakeSlack::start().await;
    let dir = SlackBotDir::new(&slack.api_url(), APP_TOKEN, BOT_TOKEN);
    dir.configure(&settings);
    let bot = dir.start();
    slack
        .wait_until(WAIT, "the bot's Socket Mode connection", |s| {
            s.connections() >= 1
        })
        .await;
    Setup { slack, dir, bot }
}

impl Setup {
    /// The bot's messages in `channel` that are replies in the thread of `ts`.
    fn replies_to(&self, channel: &str, ts: &str) -> Vec<BotMessage> {
        self.slack
            .bot_messages(channel)
            .into_iter()
            .filter(|m| m.thread_ts.as_deref() == Some(ts))
            .collect()
    }

    async fn wait_for_reply(&self, channel: &str, ts: &str) -> BotMessage {
        self.slack
            .wait_until(WAIT, "the bot's reply in the thread", |_| {
                !self.replies_to(channel, ts).is_empty()
            })
            .await;
        self.replies_to(channel, ts).remove(0)
    }

    /// Every envelope the fake sent is acked, each within `MAX_ACK`.
    async fn assert_acked_at_once(&self) {
        self.slack
            .wait_until(WAIT, "every envelope acked", |s| {
                s.envelopes().iter().all(|e| e.acked)
            })
            .await;
        let slowest = self.slack.ack_latencies().into_iter().max();
        assert!(
            slowest.is_some_and(|slowest| slowest < MAX_ACK),
            "slowest ack: {slowest:?}"
        );
    }

    /// Restarts the bot on the same data dir.
    async fn restart(&mut self) {
        // Stopped mid-delivery, a bot would leave an envelope for the fake to send again.
        self.assert_acked_at_once().await;
        let status = self.bot.stop().await;
        assert!(status.success(), "{status}: {}", self.bot.log());
        self.bot = self.dir.start();
        self.slack
            .wait_until(WAIT, "the bot back", |s| s.connections() >= 1)
            .await;
    }

    async fn finish(mut self) {
        self.assert_acked_at_once().await;
        let status = self.bot.stop().await;
        assert!(status.success(), "{status}");
        self.slack.assert_no_violations();
        let log = self.dir.log();
        for line in log.lines().filter(|l| l.contains(" INFO ")) {
            assert!(
                !line.contains("russian intelligence") && !line.contains("bulgaria"),
                "message text in an info log line: {line}"
            );
        }
    }
}

fn text_of_blocks(message: &BotMessage) -> String {
    message
        .blocks
        .as_array()
        .map(|blocks| {
            blocks
                .iter()
                .map(|b| b["text"]["text"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_command_is_answered_in_its_thread_with_block_kit() {
    let setup = start(SlackSettings::default()).await;
    let ts = setup.slack.post(ANN, NEWS, "!context bulgaria", None).await;
    let answer = setup.wait_for_reply(NEWS, &ts).await;
    assert!(answer.text.contains("Mitov"), "{answer:?}");
    let blocks = answer.blocks.as_array().expect("Block Kit blocks");
    assert!(!blocks.is_empty());
    assert!(text_of_blocks(&answer).contains("Mitov"), "{answer:?}");
    setup.finish().await;
}

#[tokio::test]
async fn a_command_after_a_mention_is_answered_once() {
    let setup = start(SlackSettings::default()).await;
    // Slack sends both a `message` and an `app_mention` for it: one answer.
    let ts = setup
        .slack
        .post(ANN, NEWS, &format!("<@{BOT_USER}> context bulgaria"), None)
        .await;
    let answer = setup.wait_for_reply(NEWS, &ts).await;
    assert!(answer.text.contains("Mitov"), "{answer:?}");
    tokio::time::sleep(QUIET).await;
    assert_eq!(setup.replies_to(NEWS, &ts).len(), 1);
    setup.finish().await;
}

#[tokio::test]
async fn the_slash_command_is_answered_in_the_ack_for_the_asker_only() {
    let setup = start(SlackSettings::default()).await;
    let payload = setup.slack.slash(ANN, NEWS, "/context", "bulgaria").await;
    assert_eq!(payload["response_type"], "ephemeral", "{payload}");
    assert!(
        payload["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Mitov"),
        "{payload}"
    );
    assert!(
        payload["blocks"].as_array().is_some_and(|b| !b.is_empty()),
        "{payload}"
    );
    assert!(
        setup.slack.bot_messages(NEWS).is_empty(),
        "nothing in the channel"
    );
    setup.finish().await;
}

#[tokio::test]
async fn an_unattributed_allegation_gets_a_warning_in_its_thread_and_attribution_gets_none() {
    let setup = start(SlackSettings::default()).await;
    let quiet = setup.slack.post(ANN, NEWS, ATTRIBUTED, None).await;
    let ts = setup.slack.post(ANN, NEWS, ALLEGATION, None).await;
    let warning = setup.wait_for_reply(NEWS, &ts).await;
    assert!(warning.text.contains("Mitov"), "{warning:?}");
    tokio::time::sleep(QUIET).await;
    assert!(setup.replies_to(NEWS, &quiet).is_empty());
    assert_eq!(
        setup.slack.bot_messages(NEWS).len(),
        1,
        "the bot's own warning (echoed as a message event) is not answered"
    );
    setup.finish().await;
}

#[tokio::test]
async fn an_edit_that_attributes_withdraws_the_warning_and_a_deletion_too() {
    let setup = start(SlackSettings::default()).await;
    let edited = setup.slack.post(ANN, NEWS, ALLEGATION, None).await;
    setup.wait_for_reply(NEWS, &edited).await;
    setup.slack.edit(ANN, NEWS, &edited, ATTRIBUTED).await;
    setup
        .slack
        .wait_until(WAIT, "the warning deleted after the edit", |_| {
            setup.replies_to(NEWS, &edited).iter().all(|m| m.deleted)
        })
        .await;

    let deleted = setup.slack.post(ANN, NEWS, ALLEGATION, None).await;
    setup.wait_for_reply(NEWS, &deleted).await;
    setup.slack.delete(NEWS, &deleted).await;
    setup
        .slack
        .wait_until(WAIT, "the warning deleted with its message", |_| {
            setup.replies_to(NEWS, &deleted).iter().all(|m| m.deleted)
        })
        .await;
    assert_eq!(setup.slack.calls_ok("chat.delete").len(), 2);
    setup.finish().await;
}

#[tokio::test]
async fn reactions_on_a_warning_are_counted_as_feedback() {
    let setup = start(SlackSettings {
        editors: vec![ED],
        ..SlackSettings::default()
    })
    .await;
    let ts = setup.slack.post(ANN, NEWS, ALLEGATION, None).await;
    let warning = setup.wait_for_reply(NEWS, &ts).await;
    setup
        .slack
        .react(ANN, NEWS, &warning.ts, "+1::skin-tone-2")
        .await;
    setup.slack.react(ED, NEWS, &warning.ts, "-1").await;
    let audit = setup.dir.data_dir().join("audit.jsonl");
    let votes = || {
        std::fs::read_to_string(&audit)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("\"feedback\""))
            .count()
    };
    setup
        .slack
        .wait_until(WAIT, "two votes in the audit log", |_| votes() == 2)
        .await;
    // The editor's !stats shows them.
    let stats = setup.slack.post(ED, NEWS, "!stats", None).await;
    let answer = setup.wait_for_reply(NEWS, &stats).await;
    assert!(
        answer.text.to_lowercase().contains("false alarm"),
        "{answer:?}"
    );
    setup.finish().await;
}

#[tokio::test]
async fn the_slash_command_in_an_off_channel_answers_only_that_the_bot_is_off() {
    let setup = start(SlackSettings {
        default_mode: "off",
        ..SlackSettings::default()
    })
    .await;
    let payload = setup.slack.slash(ANN, NEWS, "/context", "bulgaria").await;
    let text = payload["text"].as_str().unwrap_or_default();
    assert!(text.contains("switched off"), "{payload}");
    assert!(!text.contains("Mitov"), "{payload}");
    setup.finish().await;
}

#[tokio::test]
async fn warn_private_shows_the_warning_to_the_author_only() {
    let setup = start(SlackSettings {
        default_mode: "warn-private",
        ..SlackSettings::default()
    })
    .await;
    let ts = setup.slack.post(ANN, NEWS, ALLEGATION, None).await;
    setup
        .slack
        .wait_until(WAIT, "an ephemeral warning for Ann", |s| {
            !s.ephemerals(ANN).is_empty()
        })
        .await;
    assert!(setup.slack.ephemerals(ANN)[0].text.contains("Mitov"));
    assert!(setup.slack.ephemerals(ED).is_empty());
    tokio::time::sleep(QUIET).await;
    assert!(
        setup.replies_to(NEWS, &ts).is_empty(),
        "nothing in the channel"
    );
    setup.finish().await;
}

#[tokio::test]
async fn warn_private_sends_a_direct_message_when_the_ephemeral_cannot_be_shown() {
    let setup = start(SlackSettings {
        default_mode: "warn-private",
        ..SlackSettings::default()
    })
    .await;
    setup
        .slack
        .fail_next("chat.postEphemeral", "user_not_in_channel", 1);
    let ts = setup.slack.post(ANN, NEWS, ALLEGATION, None).await;
    setup
        .slack
        .wait_until(WAIT, "a direct message to Ann", |s| {
            !s.calls_ok("conversations.open").is_empty() && !s.bot_messages(&s.dm(ANN)).is_empty()
        })
        .await;
    assert_eq!(
        setup.slack.calls_ok("conversations.open")[0]["users"],
        ANN,
        "the direct-message channel is the author's"
    );
    let direct = &setup.slack.bot_messages(&setup.slack.dm(ANN))[0];
    assert!(direct.text.contains("Mitov"), "{direct:?}");
    let blocks = text_of_blocks(direct);
    assert!(blocks.contains("About your message"), "{blocks}");
    let link = format!("archives/{NEWS}/p{}", ts.replace('.', ""));
    assert!(blocks.contains(&link), "a link to the message: {blocks}");
    assert_eq!(
        setup.slack.outcomes("chat.postEphemeral"),
        ["user_not_in_channel"]
    );
    assert!(setup.slack.ephemerals(ANN).is_empty());
    assert!(
        setup.slack.bot_messages(NEWS).is_empty(),
        "nothing in the channel"
    );
    setup.finish().await;
}

#[tokio::test]
async fn editors_mode_sends_the_warning_to_the_editors_channel_with_a_permalink() {
    let setup = start(SlackSettings {
        default_mode: "editors",
        editors_channel: Some(EDITORS),
        ..SlackSettings::default()
    })
    .await;
    let ts = setup.slack.post(ANN, NEWS, ALLEGATION, None).await;
    setup
        .slack
        .wait_until(WAIT, "a warning in the editors' channel", |s| {
            !s.bot_messages(EDITORS).is_empty()
        })
        .await;
    let notice = &setup.slack.bot_messages(EDITORS)[0];
    let blocks = text_of_blocks(notice);
    let link = format!("archives/{NEWS}/p{}", ts.replace('.', ""));
    assert!(blocks.contains(&link), "{blocks}");
    assert!(blocks.contains("#"), "the channel's name: {blocks}");
    assert!(setup.slack.bot_messages(NEWS).is_empty());
    setup.finish().await;
}

#[tokio::test]
async fn a_redelivered_event_is_answered_once() {
    let setup = start(SlackSettings::default()).await;
    let ts = setup.slack.post(ANN, NEWS, ALLEGATION, None).await;
    setup.wait_for_reply(NEWS, &ts).await;
    let event_id = setup
        .slack
        .envelopes()
        .into_iter()
        .filter_map(|e| e.event_id)
        .min()
        .expect("an event");
    setup.slack.redeliver(&event_id, 10).await;
    let command = setup.slack.post(ANN, NEWS, "!context bulgaria", None).await;
    setup.wait_for_reply(NEWS, &command).await;
    setup.slack.redeliver_last(10).await;
    tokio::time::sleep(QUIET).await;
    assert_eq!(setup.replies_to(NEWS, &ts).len(), 1);
    assert_eq!(setup.replies_to(NEWS, &command).len(), 1);
    setup.finish().await;
}

#[tokio::test]
async fn a_post_whose_answer_was_lost_is_found_not_posted_again() {
    let setup = start(SlackSettings {
        default_mode: "editors",
        editors_channel: Some(EDITORS),
        ..SlackSettings::default()
    })
    .await;
    // Slack posts both, but the bot hears a 503 each time and must retry.
    setup.slack.lose_answers("chat.postMessage", 2);
    let command = setup.slack.post(ANN, NEWS, "!context bulgaria", None).await;
    setup.wait_for_reply(NEWS, &command).await;
    setup.slack.post(ANN, NEWS, ALLEGATION, None).await;
    setup
        .slack
        .wait_until(WAIT, "the editors' notice", |s| {
            !s.bot_messages(EDITORS).is_empty()
        })
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(setup.replies_to(NEWS, &command).len(), 1, "one answer");
    assert_eq!(setup.slack.bot_messages(EDITORS).len(), 1, "one notice");
    assert_eq!(
        setup.slack.outcomes("chat.postMessage"),
        ["ok, answer lost", "ok, answer lost"],
        "no post sent again"
    );
    for method in ["conversations.replies", "conversations.history"] {
        let looked = setup.slack.calls(method);
        assert!(
            looked.iter().any(|c| c["include_all_metadata"] == "true"),
            "{method}: {looked:?}"
        );
    }
    setup.finish().await;
}

#[tokio::test]
async fn a_restarted_bot_answers_nothing_twice() {
    let mut setup = start(SlackSettings::default()).await;
    let warned = setup.slack.post(ANN, NEWS, ALLEGATION, None).await;
    setup.wait_for_reply(NEWS, &warned).await;
    let command = setup.slack.post(ANN, NEWS, "!help", None).await;
    setup.wait_for_reply(NEWS, &command).await;
    let ids: Vec<String> = setup
        .slack
        .envelopes()
        .into_iter()
        .filter_map(|e| e.event_id)
        .collect();
    for _ in 0..5 {
        setup.restart().await;
        for id in &ids {
            setup.slack.redeliver(id, 1).await;
        }
    }
    // And the restarted bot still works.
    let after = setup.slack.post(ANN, NEWS, "!context bulgaria", None).await;
    setup.wait_for_reply(NEWS, &after).await;
    tokio::time::sleep(QUIET).await;
    assert_eq!(setup.replies_to(NEWS, &warned).len(), 1);
    assert_eq!(setup.replies_to(NEWS, &command).len(), 1);
    setup.finish().await;
}

#[tokio::test]
async fn a_429_storm_delays_but_loses_nothing() {
    let setup = start(SlackSettings::default()).await;
    setup.slack.rate_limit("chat.postMessage", 20, 1);
    let mut posted = Vec::new();
    for n in 0..50 {
        let text = format!("{ALLEGATION} ({n})");
        posted.push(setup.slack.post(ANN, NEWS, &text, None).await);
    }
    setup
        .slack
        .wait_until(
            Duration::from_secs(240),
            "a warning for every message",
            |_| {
                posted
                    .iter()
                    .all(|ts| !setup.replies_to(NEWS, ts).is_empty())
            },
        )
        .await;
    let warned: Vec<String> = setup
        .slack
        .bot_messages(NEWS)
        .into_iter()
        .filter_map(|m| m.thread_ts)
        .collect();
    assert_eq!(warned, posted, "one warning each, none lost, in order");
    assert!(
        setup
            .slack
            .outcomes("chat.postMessage")
            .iter()
            .filter(|o| o.as_str() == "ratelimited")
            .count()
            == 20
    );
    setup.finish().await;
}

#[tokio::test]
async fn in_a_thread_answers_and_warnings_go_to_its_root() {
    let setup = start(SlackSettings::default()).await;
    let root = setup.slack.post(ANN, NEWS, "what do we know?", None).await;
    let command = setup
        .slack
        .post(ED, NEWS, "!context bulgaria", Some(&root))
        .await;
    let claim = setup.slack.post(ANN, NEWS, ALLEGATION, Some(&root)).await;
    setup
        .slack
        .wait_until(WAIT, "an answer and a warning in the thread", |_| {
            setup.replies_to(NEWS, &root).len() == 2
        })
        .await;
    assert!(setup.replies_to(NEWS, &command).is_empty());
    assert!(setup.replies_to(NEWS, &claim).is_empty());
    setup.finish().await;
}

#[tokio::test]
async fn the_bot_reconnects_after_a_disconnect() {
    let setup = start(SlackSettings::default()).await;
    setup.slack.disconnect_all("refresh_requested").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    setup
        .slack
        .wait_until(WAIT, "a new Socket Mode connection", |s| {
            s.connections() >= 1
        })
        .await;
    let ts = setup.slack.post(ANN, NEWS, "!context bulgaria", None).await;
    setup.wait_for_reply(NEWS, &ts).await;
    setup.finish().await;
}

#[tokio::test]
async fn hostile_text_is_escaped_and_long_text_kept_within_slacks_limits() {
    let setup = start(SlackSettings::default()).await;
    // Wire text: what Slack sends for a user who typed mentions, a fake link and `&`.
    let injection = setup
        .slack
        .post(
            ANN,
            NEWS,
            "!context <!channel> <@UED> <http://evil.example|click> &amp; \u{200b}\u{202e}x",
            None,
        )
        .await;
    let answer = setup.wait_for_reply(NEWS, &injection).await;
    let everything = format!("{} {}", answer.text, answer.blocks);
    for control in ["<!channel>", "<!", "<@UED>", "<http://evil"] {
        assert!(!everything.contains(control), "{control} in {everything}");
    }
    let long = format!(
        "{ALLEGATION}. {}",
        "and then some more words ".repeat(1_700)
    );
    assert!(long.len() > 40_000);
    let ts = setup.slack.post(ANN, NEWS, &long, None).await;
    let warning = setup.wait_for_reply(NEWS, &ts).await;
    assert!(warning.text.chars().count() <= 4_000);
    setup.finish().await;
}

#[tokio::test]
async fn markup_a_user_typed_comes_back_as_text_never_as_a_mention_or_a_link() {
    let setup = start(SlackSettings::default()).await;
    // Typed, so Slack sends it escaped: `&lt;!channel&gt;`, not a broadcast.
    let hostile = "<!channel> <!here> <@U123> <https://evil.example|click> & <#C999|general>";
    let check = events::typed(&format!("!check {hostile} {ALLEGATION}"));
    let check = setup.slack.post(ANN, NEWS, &check, None).await;
    let claim = events::typed(&format!("{ALLEGATION}. {hostile}"));
    let claim = setup.slack.post(ANN, NEWS, &claim, None).await;
    let answer = setup.wait_for_reply(NEWS, &check).await;
    let warning = setup.wait_for_reply(NEWS, &claim).await;
    let echoed = text_of_blocks(&answer);
    assert!(
        echoed.contains("&lt;!channel&gt;") && echoed.contains("&lt;@U123&gt;"),
        "the !check answer quotes the text, escaped: {echoed}"
    );
    for message in [&answer, &warning] {
        let everything = format!("{} {}", message.text, message.blocks);
        for live in ["<!channel", "<!here", "<@U123", "<https://evil", "<#C999"] {
            assert!(!everything.contains(live), "{live} in {everything}");
        }
    }
    setup.finish().await;
}

#[tokio::test]
async fn matrix_and_slack_run_in_one_process_and_slack_does_not_wait_for_matrix() {
    let setup = start(SlackSettings {
        with_unreachable_matrix: true,
        ..SlackSettings::default()
    })
    .await;
    let ts = setup.slack.post(ANN, NEWS, "!context bulgaria", None).await;
    setup.wait_for_reply(NEWS, &ts).await;
    // Meanwhile the Matrix side keeps trying its homeserver.
    setup
        .slack
        .wait_until(WAIT, "Matrix retrying in the same process", |_| {
            setup.dir.log().contains("homeserver")
        })
        .await;
    setup.finish().await;
}

#[tokio::test]
async fn with_matrix_beside_it_slacks_counters_are_on_the_one_metrics_listener() {
    let port = free_port();
    let setup = start(SlackSettings {
        with_unreachable_matrix: true,
        metrics_port: Some(port),
        ..SlackSettings::default()
    })
    .await;
    let ts = setup.slack.post(ANN, NEWS, "!context bulgaria", None).await;
    setup.wait_for_reply(NEWS, &ts).await;
    // The bot counts the answer once Slack has answered its post: a moment after the fake
    // holds it.
    let counted = "copydesk_commands_total{platform=\"slack\",command=\"context\"} 1";
    let deadline = tokio::time::Instant::now() + WAIT;
    let metrics = loop {
        let (status, metrics) = get_metrics(port, "/metrics").await;
        assert_eq!(status, 200, "{metrics}");
        if metrics.contains(counted) || tokio::time::Instant::now() > deadline {
            break metrics;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(metrics.contains(counted), "{metrics}");
    setup.finish().await;
}

/// Polls the bot's `/healthz` until its status is `status`; the body then.
async fn healthz_until(port: u16, status: u16, what: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (now, body) = get_metrics(port, "/healthz").await;
        if now == status {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/healthz not {status} ({what}) within {WAIT:?}: {now} {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn healthz_follows_the_socket_mode_connections() {
    let port = free_port();
    let setup = start(SlackSettings {
        metrics_port: Some(port),
        ..SlackSettings::default()
    })
    .await;
    let body = healthz_until(port, 200, "connected").await;
    assert!(body.starts_with("ok: "), "{body}");
    // Every connection drops, and Slack will not give new ones for a while.
    setup.slack.fail_connections_open(usize::MAX);
    setup.slack.drop_connections();
    let body = healthz_until(port, 503, "every connection down").await;
    assert_eq!(body, "unhealthy: no Slack Socket Mode connection open\n");
    setup.slack.fail_connections_open(0);
    healthz_until(port, 200, "reconnected").await;
    let ts = setup.slack.post(ANN, NEWS, "!context bulgaria", None).await;
    setup.wait_for_reply(NEWS, &ts).await;
    setup.finish().await;
}

#[tokio::test]
async fn an_edit_can_add_a_warning_or_remove_the_allegation() {
    let setup = start(SlackSettings::default()).await;
    // Attributed at first, then edited into the bare allegation: a first warning.
    let ts = setup.slack.post(ANN, NEWS, ATTRIBUTED, None).await;
    tokio::time::sleep(QUIET).await;
    assert!(setup.replies_to(NEWS, &ts).is_empty());
    setup.slack.edit(ANN, NEWS, &ts, ALLEGATION).await;
    setup.wait_for_reply(NEWS, &ts).await;
    // Edited again to say nothing of the kind: the warning goes.
    setup
        .slack
        .edit(ANN, NEWS, &ts, "never mind, wrong thread")
        .await;
    setup
        .slack
        .wait_until(WAIT, "the warning deleted", |_| {
            setup.replies_to(NEWS, &ts).iter().all(|m| m.deleted)
        })
        .await;
    setup.finish().await;
}

#[tokio::test]
async fn a_user_group_member_is_an_editor() {
    let setup = start(SlackSettings {
        editor_groups: vec![EDITORS_GROUP],
        ..SlackSettings::default()
    })
    .await;
    let refused = setup
        .slack
        .post(ANN, NEWS, "!mode warn-private", None)
        .await;
    let answer = setup.wait_for_reply(NEWS, &refused).await;
    assert!(answer.text.contains("editors"), "{answer:?}");
    let command = setup.slack.post(ED, NEWS, "!mode warn-private", None).await;
    let answer = setup.wait_for_reply(NEWS, &command).await;
    assert!(answer.text.contains("warn-private"), "{answer:?}");
    setup.slack.post(ANN, NEWS, ALLEGATION, None).await;
    setup
        .slack
        .wait_until(WAIT, "an ephemeral warning after !mode", |s| {
            !s.ephemerals(ANN).is_empty()
        })
        .await;
    setup.finish().await;
}

#[tokio::test]
async fn warnings_still_unsent_when_the_grace_at_shutdown_runs_out_are_logged_by_id() {
    let mut setup = start(SlackSettings::default()).await;
    // The first warning waits two minutes for its 429; the second waits behind it.
    setup.slack.rate_limit("chat.postMessage", 1, 120);
    let first = setup.slack.post(ANN, NEWS, ALLEGATION, None).await;
    let second = setup.slack.post(ANN, NEWS, ALLEGATION, None).await;
    setup
        .slack
        .wait_until(WAIT, "the first warning rate-limited", |s| {
            s.outcomes("chat.postMessage") == ["ratelimited"]
        })
        .await;
    let status = setup.bot.stop().await;
    assert!(status.success(), "{status}");
    let log = setup.dir.log();
    let unfinished: Vec<&str> = log
        .lines()
        .filter(|line| line.contains(" WARN ") && line.contains("not finished at shutdown"))
        .collect();
    assert_eq!(unfinished.len(), 2, "{log}");
    for (line, ts) in unfinished.iter().zip([&first, &second]) {
        assert!(line.contains(&format!("channel={NEWS}")), "{line}");
        assert!(line.contains(&format!("id={NEWS}/{ts}")), "{line}");
        assert!(!line.contains("russian"), "no message text: {line}");
    }
    assert!(setup.slack.bot_messages(NEWS).is_empty());
    setup.assert_acked_at_once().await;
    setup.slack.assert_no_violations();
}

#[tokio::test]
async fn a_bad_bot_token_stops_the_bot_at_start_with_slacks_error() {
    let slack = FakeSlack::start().await;
    let dir = SlackBotDir::new(&slack.api_url(), APP_TOKEN, "xoxb-not-the-one");
    dir.configure(&SlackSettings::default());
    let status = dir.start().exited(WAIT).await;
    assert_eq!(status.code(), Some(2), "{status}");
    let log = dir.log();
    assert!(log.contains("invalid_auth"), "{log}");
    assert!(
        !log.contains("xoxb-not-the-one"),
        "the token is not logged: {log}"
    );
}

/// The one error line a bot that stopped at start wrote (an ERROR line of its log).
fn the_error_line(log: &str) -> &str {
    let errors: Vec<&str> = log
        .lines()
        .filter(|line| line.contains(" ERROR copydesk stopped: "))
        .collect();
    assert_eq!(errors.len(), 1, "one error line: {log}");
    errors[0]
}

#[tokio::test]
async fn a_bad_app_token_stops_the_bot_at_start_naming_the_key_to_fix() {
    let slack = FakeSlack::start().await;
    let dir = SlackBotDir::new(&slack.api_url(), "xapp-not-the-one", BOT_TOKEN);
    dir.configure(&SlackSettings::default());
    let status = dir.start().exited(WAIT).await;
    assert_eq!(status.code(), Some(2), "{status}");
    let log = dir.log();
    let error = the_error_line(&log);
    for expected in [
        "config.toml:",
        "app_token_env",
        "app-level token",
        "invalid_auth",
    ] {
        assert!(error.contains(expected), "{expected} in: {error}");
    }
    assert!(
        !log.contains("xapp-not-the-one"),
        "the token is not logged: {log}"
    );
    assert_eq!(slack.connections(), 0);
    slack.assert_no_violations();
}

#[tokio::test]
async fn slack_failing_at_start_delays_the_bot_without_stopping_it() {
    let slack = FakeSlack::start().await;
    // The start's check of the app-level token meets Slack's own failures first.
    slack.fail_connections_open(2);
    let dir = SlackBotDir::new(&slack.api_url(), APP_TOKEN, BOT_TOKEN);
    dir.configure(&SlackSettings::default());
    let mut bot = dir.start();
    slack
        .wait_until(WAIT, "the bot's Socket Mode connection", |s| {
            s.connections() >= 1
        })
        .await;
    assert!(bot.is_running());
    let outcomes = slack.outcomes("apps.connections.open");
    assert_eq!(
        outcomes[..2],
        ["internal_error", "internal_error"],
        "{outcomes:?}"
    );
    let status = bot.stop().await;
    assert!(status.success(), "{status}");
    slack.assert_no_violations();
}
