//! The bot survives its homeserver going away: Synapse is killed and started again, and
//! the bot, still running, answers the next command within a second and a half, with one
//! WARN and one INFO about it in its log at the default level, and no ERROR. This kills
//! the shared test Synapse, so it lives alone in its own test binary (cargo runs test
//! binaries one at a time). Run with `scripts/test --test matrix_recovery`.

#[path = "support/bot.rs"]
mod bot;
mod support;

use std::time::{Duration, Instant};

use bot::{BotLog, BotSettings, Newsroom, wait_for_join};
use support::{Homeserver, REPLY_TIMEOUT};

/// How long the homeserver stays down. Long enough for a back-off that doubles from
/// 0.5 s to have grown to an 8 s wait by the time it is back.
const OUTAGE: Duration = Duration::from_secs(4);
/// The answer to a command sent as soon as the homeserver is back must be seen within
/// this: the bot's check every 250 ms, its sync, its answer and the journalist's sync,
/// in a debug build on a busy machine.
const RECOVERED_ANSWER: Duration = Duration::from_millis(1500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_answers_at_once_when_the_homeserver_returns_and_logs_it_once_each_way() {
    let Some(hs) = Homeserver::from_env() else {
        return;
    };
    let settings = BotSettings {
        sync_timeout: "5s",
        ..Default::default()
    };
    let newsroom = Newsroom::open(&hs, "recovery", false, settings).await;
    let mut process = newsroom.account.start_logging(BotLog::Default);
    let (journalist, room) = (&newsroom.journalist, &newsroom.room);
    wait_for_join(journalist, room, newsroom.bot_id()).await;
    let bot = newsroom.account.user_id.clone();
    let first = journalist.send_text(room, "!help").await;
    journalist
        .wait_for(room, REPLY_TIMEOUT, |m| {
            m.sender == bot && m.in_reply_to.as_ref() == Some(&first)
        })
        .await
        .expect("an answer before the homeserver goes away");

    hs.kill_homeserver().await;
    tokio::time::sleep(OUTAGE).await;
    assert!(
        process.is_running(),
        "the bot keeps running while the homeserver is down"
    );
    hs.start_homeserver().await;

    let sent = Instant::now();
    let after = journalist.send_text(room, "!context bulgaria").await;
    let answer = journalist
        .wait_for(room, REPLY_TIMEOUT, |m| {
            m.sender == bot && m.in_reply_to.as_ref() == Some(&after)
        })
        .await
        .expect("an answer after the homeserver is back");
    let took = sent.elapsed();
    assert!(answer.body.contains("Mitov"));
    assert!(
        took <= RECOVERED_ANSWER,
        "answered {} ms after the homeserver was back; want ≤ {} ms\n{}",
        took.as_millis(),
        RECOVERED_ANSWER.as_millis(),
        process.log()
    );
    assert!(process.is_running());

    let log = process.log();
    let lines = |level: &str| -> Vec<&str> {
        log.lines()
            .filter(|line| line.contains(&format!(" {level} ")))
            .collect()
    };
    let warnings = lines("WARN");
    assert_eq!(warnings.len(), 1, "{log}");
    assert!(
        warnings[0].contains("the homeserver is unreachable"),
        "{log}"
    );
    let back: Vec<&str> = lines("INFO")
        .into_iter()
        .filter(|line| line.contains("the homeserver is reachable again"))
        .collect();
    assert_eq!(back.len(), 1, "{log}");
    assert!(back[0].contains("away_ms="), "{log}");
    assert!(lines("ERROR").is_empty(), "{log}");
    let status = process.stop().await;
    assert!(status.success(), "{status}");
}
