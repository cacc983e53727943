//! Exactly once through a crash: the bot is made to abort at a named step
//! (`COPYDESK_FAILPOINT`, see `src/failpoint.rs`) while it handles a command or an
//! allegation, as SIGKILL, an OOM kill or a power cut would stop it there, and is then
//! started again on the same data dir. Each test proves one answer (or one warning), no
//! loss and no duplicate. Run with `scripts/test --test matrix_crash`.

#[path = "support/bot.rs"]
mod bot;
mod support;

use bot::{BotSettings, Newsroom, wait_for_join};
use copydesk::failpoint;
use copydesk::loading::EXAMPLE_KNOWLEDGE;
use matrix_sdk::ruma::OwnedEventId;
use support::{Homeserver, QUIET_PERIOD, REPLY_TIMEOUT, TestClient};

/// Repeats Daniel Mitov's allegation (example knowledge file) as fact: a warning.
const UNATTRIBUTED: &str =
    "Russian intelligence is working with people smugglers to move migrants into Europe.";

/// The bot's messages in the room that answer or warn about `event`, after the room has
/// been quiet for a while (so a late duplicate would be among them).
async fn replies_to(asker: &TestClient, newsroom: &Newsroom, event: &OwnedEventId) -> usize {
    let bot = newsroom.bot_id().to_owned();
    asker
        .wait_for(&newsroom.room, REPLY_TIMEOUT, |m| {
            m.sender == bot && m.in_reply_to.as_ref() == Some(event)
        })
        .await
        .expect("an answer after the restart");
    tokio::time::sleep(QUIET_PERIOD).await;
    asker
        .messages(&newsroom.room)
        .iter()
        .filter(|m| m.sender == bot && m.in_reply_to.as_ref() == Some(event))
        .count()
}

/// Starts the bot armed with `step`, sends `text`, waits for the abort, starts the bot
/// again unarmed and returns how many replies `text` got.
async fn crash_at(step: &str, mode: &'static str, text: &str) -> usize {
    let Some(hs) = Homeserver::from_env() else {
        return 1;
    };
    let settings = BotSettings {
        default_mode: mode,
        ..Default::default()
    };
    let newsroom = Newsroom::open(&hs, &format!("crash-{step}"), false, settings).await;
    // A first, clean run: the first start's writes (the skipped backlog) are behind.
    let mut process = newsroom.start_bot().await;
    assert!(process.stop().await.success());

    let mut armed = newsroom.account.start_with(&[(failpoint::ENV, step)]);
    let sent = newsroom.journalist.send_text(&newsroom.room, text).await;
    armed.wait_for_abort(REPLY_TIMEOUT).await;
    drop(armed);

    let mut process = newsroom.account.start();
    let count = replies_to(&newsroom.journalist, &newsroom, &sent).await;
    assert!(process.stop().await.success(), "{}", process.log());
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_with_a_command_received_and_queued_loses_nothing() {
    assert_eq!(crash_at("queued", "commands", "!context bulgaria").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_recording_a_command_before_answering_it_loses_nothing() {
    assert_eq!(crash_at("begun", "commands", "!context bulgaria").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_answering_before_recording_it_answers_once() {
    assert_eq!(crash_at("acted", "commands", "!context bulgaria").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_deciding_a_warning_before_posting_it_warns_once() {
    assert_eq!(crash_at("begun", "warn", UNATTRIBUTED).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_posting_a_warning_before_recording_it_warns_once() {
    assert_eq!(crash_at("acted", "warn", UNATTRIBUTED).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_in_the_middle_of_a_state_file_write_loses_nothing() {
    assert_eq!(
        crash_at("store-write", "commands", "!context bulgaria").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_during_a_knowledge_reload_answers_the_reload_once_and_serves_the_file() {
    let Some(hs) = Homeserver::from_env() else {
        return;
    };
    let (newsroom, editors) =
        Newsroom::open_with_editor(&hs, "crash-reload", BotSettings::default()).await;
    let knowledge = newsroom.account.dir().join("knowledge.toml");
    std::fs::write(&knowledge, EXAMPLE_KNOWLEDGE).unwrap();
    let config = newsroom.account.config_path();
    let text = std::fs::read_to_string(&config).unwrap().replacen(
        "[bot]\n",
        &format!("[bot]\nknowledge = {:?}\n", knowledge.display().to_string()),
        1,
    );
    std::fs::write(&config, text).unwrap();
    let mut process = newsroom.start_bot().await;
    wait_for_join(&editors.editor, &newsroom.room, newsroom.bot_id()).await;
    assert!(process.stop().await.success());

    let renamed = EXAMPLE_KNOWLEDGE.replacen(
        "Bulgaria, Schengen and Mitov's claims",
        "Bulgaria and Schengen: Mitov's claims",
        1,
    );
    std::fs::write(&knowledge, renamed).unwrap();
    let mut armed = newsroom.account.start_with(&[(failpoint::ENV, "reload")]);
    let reload = editors.editor.send_text(&newsroom.room, "!reload").await;
    armed.wait_for_abort(REPLY_TIMEOUT).await;
    drop(armed);

    let mut process = newsroom.account.start();
    assert_eq!(replies_to(&editors.editor, &newsroom, &reload).await, 1);
    let ask = newsroom
        .journalist
        .send_text(&newsroom.room, "!context bulgaria")
        .await;
    let bot = newsroom.bot_id().to_owned();
    let answer = newsroom
        .journalist
        .wait_for(&newsroom.room, REPLY_TIMEOUT, |m| {
            m.sender == bot && m.in_reply_to.as_ref() == Some(&ask)
        })
        .await
        .expect("an answer");
    assert!(
        answer
            .body
            .contains("Bulgaria and Schengen: Mitov's claims"),
        "the file on disk is served after the restart: {}",
        answer.body
    );
    assert!(process.stop().await.success());
}
