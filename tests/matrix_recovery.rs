//! The bot survives its homeserver going away: Synapse is stopped and started again, and
//! the bot, still running, answers the next command. This stops the shared test Synapse,
//! so it lives alone in its own test binary (cargo runs test binaries one at a time).
//! Run with `scripts/test --test matrix_recovery`.

#[path = "support/bot.rs"]
mod bot;
mod support;

use std::time::Duration;

use bot::{BotSettings, Newsroom};
use support::{Homeserver, REPLY_TIMEOUT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_recovers_when_the_homeserver_restarts() {
    let Some(hs) = Homeserver::from_env() else {
        return;
    };
    let settings = BotSettings {
        sync_timeout: "5s",
        ..Default::default()
    };
    let newsroom = Newsroom::open(&hs, "recovery", false, settings).await;
    let mut process = newsroom.start_bot().await;
    let (journalist, room) = (&newsroom.journalist, &newsroom.room);
    let bot = newsroom.account.user_id.clone();
    let first = journalist.send_text(room, "!help").await;
    journalist
        .wait_for(room, REPLY_TIMEOUT, |m| {
            m.sender == bot && m.in_reply_to.as_ref() == Some(&first)
        })
        .await
        .expect("an answer before the homeserver goes away");

    hs.stop_homeserver().await;
    // Long enough for several failed syncs and back-off steps.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        process.is_running(),
        "the bot keeps running while the homeserver is down"
    );
    hs.start_homeserver().await;

    let after = journalist.send_text(room, "!context bulgaria").await;
    let answer = journalist
        .wait_for(room, Duration::from_secs(60), |m| {
            m.sender == bot && m.in_reply_to.as_ref() == Some(&after)
        })
        .await
        .expect("an answer after the homeserver is back");
    assert!(answer.body.contains("Mitov"));
    assert!(process.is_running());
    let log = process.log();
    assert!(log.contains("sync failed; retrying with back-off"), "{log}");
    assert!(log.contains("sync is back"), "{log}");
    let status = process.stop().await;
    assert!(status.success(), "{status}");
}
