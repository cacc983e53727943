//! Exactly once through a crash, on Slack: the bot is made to abort at a named step
//! (`COPYDESK_FAILPOINT`, see `src/failpoint.rs`) while it answers a command or warns
//! about a message, then is started again on the same data dir, against the strict fake
//! Slack. Slack does not deliver an acknowledged event again, so what the bot had
//! received must be read back; a post that went through must be found, not repeated.

#[path = "support/fake_slack/mod.rs"]
mod fake_slack;
#[path = "support/slack_bot.rs"]
mod slack_bot;

use std::time::Duration;

use copydesk::failpoint;
use fake_slack::*;
use slack_bot::{SlackBotDir, SlackSettings};

/// Restates the example knowledge file's allegation with no source: a warning.
const ALLEGATION: &str = "so russian intelligence is basically helping the smugglers";
const WAIT: Duration = Duration::from_secs(20);

/// Starts the bot armed with `step`, posts `text`, waits for the abort, starts the bot
/// again unarmed and returns the bot's replies in the thread of `text`.
async fn crash_at(step: &str, text: &str) -> Vec<BotMessage> {
    let slack = FakeSlack::start().await;
    let dir = SlackBotDir::new(&slack.api_url(), APP_TOKEN, BOT_TOKEN);
    dir.configure(&SlackSettings::default());
    let mut armed = dir.start_with(&[(failpoint::ENV, step)]);
    slack
        .wait_until(WAIT, "the armed bot connected", |s| s.connections() >= 1)
        .await;
    let ts = slack.post(ANN, NEWS, text, None).await;
    let posted = slack.last_event_id().expect("the message event");
    armed.wait_for_abort(WAIT).await;
    drop(armed);
    // The fake may read the ack after it sees the process gone: both came at once.
    slack
        .wait_until(
            Duration::from_secs(5),
            "Ann's message acknowledged before the crash (Slack will not deliver it again)",
            |s| {
                s.envelopes()
                    .iter()
                    .any(|e| e.event_id.as_ref() == Some(&posted) && e.acked)
            },
        )
        .await;
    slack.drop_connections();

    let mut bot = dir.start();
    let replies = |s: &FakeSlack| -> Vec<BotMessage> {
        s.bot_messages(NEWS)
            .into_iter()
            .filter(|m| m.thread_ts.as_deref() == Some(ts.as_str()) && !m.deleted)
            .collect()
    };
    slack
        .wait_until(WAIT, "a reply after the restart", |s| {
            !replies(s).is_empty()
        })
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(bot.stop().await.success(), "{}", bot.log());
    slack.assert_no_violations();
    replies(&slack)
}

#[tokio::test]
async fn a_crash_with_a_command_acknowledged_but_not_handled_loses_nothing() {
    assert_eq!(crash_at("queued", "!context bulgaria").await.len(), 1);
}

#[tokio::test]
async fn a_crash_after_recording_a_command_before_answering_it_loses_nothing() {
    assert_eq!(crash_at("begun", "!context bulgaria").await.len(), 1);
}

#[tokio::test]
async fn a_crash_after_answering_before_recording_it_answers_once() {
    assert_eq!(crash_at("acted", "!context bulgaria").await.len(), 1);
}

#[tokio::test]
async fn a_crash_after_posting_a_warning_before_recording_it_warns_once() {
    assert_eq!(crash_at("acted", ALLEGATION).await.len(), 1);
}
