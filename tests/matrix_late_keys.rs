//! Room keys that reach the bot after the message they unlock. The journalist's client
//! talks to Synapse through a proxy (`support/late_keys.rs`) that holds its to-device
//! requests, the Megolm keys among them, so the bot receives an encrypted command it
//! cannot read yet, and its key some time later: while it runs, while it is stopped, or
//! never. Run with `scripts/test --test matrix_late_keys`.

#[path = "support/bot.rs"]
mod bot;
#[path = "support/late_keys.rs"]
mod late_keys;
mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bot::{BotAccount, BotLog, BotSettings, Newsroom, wait_for_join};
use late_keys::{Hold, LateKeys};
use matrix_sdk::ruma::OwnedEventId;
use support::{Homeserver, QUIET_PERIOD, REPLY_TIMEOUT};

/// How late the key of the first test is.
const KEY_DELAY: Duration = Duration::from_secs(3);

/// A journalist whose client's room keys go through `proxy`, a bot account that accepts
/// their invite (configured with `settings`), and an encrypted room of theirs with the
/// bot invited. The bot is not started.
async fn newsroom(hs: &Homeserver, proxy: &LateKeys, mut settings: BotSettings) -> Newsroom {
    let (user, password) = hs.register_user("journalist").await;
    let mut through_proxy = hs.clone();
    through_proxy.url = proxy.url.clone();
    let journalist = through_proxy.login(&user, &password).await;
    let account = BotAccount::register(hs).await;
    settings.autojoin_users.push(journalist.user_id.clone());
    account.configure(&settings);
    let room = journalist
        .create_room("late keys", true, std::slice::from_ref(&account.user_id))
        .await;
    Newsroom {
        journalist,
        account,
        room,
    }
}

/// How many of the bot's messages reply to `event`, once the room has been quiet for a
/// while (so that a late second answer would be among them).
async fn answers_to(newsroom: &Newsroom, event: &OwnedEventId) -> usize {
    tokio::time::sleep(QUIET_PERIOD).await;
    newsroom
        .journalist
        .messages(&newsroom.room)
        .iter()
        .filter(|m| m.sender == newsroom.bot_id() && m.in_reply_to.as_ref() == Some(event))
        .count()
}

/// Waits until the bot's log has a line containing both `needle` and `event`.
async fn wait_for_log_line(account: &BotAccount, needle: &str, event: &OwnedEventId) -> String {
    let deadline = tokio::time::Instant::now() + REPLY_TIMEOUT;
    loop {
        let log = account.log();
        if let Some(line) = log
            .lines()
            .find(|line| line.contains(needle) && line.contains(event.as_str()))
        {
            return line.to_owned();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no log line with {needle:?} and {event}:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_whose_key_comes_seconds_later_is_answered_once() {
    let Some(hs) = Homeserver::from_env() else {
        return;
    };
    let proxy = LateKeys::start(&hs.url, Hold::For(KEY_DELAY)).await;
    let newsroom = newsroom(&hs, &proxy, BotSettings::default()).await;
    let _bot = newsroom.start_bot().await;

    let command = newsroom
        .journalist
        .send_text(&newsroom.room, "!context bulgaria")
        .await;
    assert!(proxy.held() >= 1, "the command's key was held back");
    // The bot had the command before its key.
    wait_for_log_line(&newsroom.account, "could not decrypt", &command).await;

    let answer = newsroom.reply_to(&command).await;
    assert!(answer.encrypted);
    assert!(answer.body.contains("Mitov"), "{}", answer.body);
    let key_in = proxy.wait_forwarded(1, REPLY_TIMEOUT).await[0];
    assert!(
        answer.origin_server_ts >= millis(key_in),
        "answered at {} ms, before the key reached the homeserver at {} ms",
        answer.origin_server_ts,
        millis(key_in)
    );
    assert_eq!(answers_to(&newsroom, &command).await, 1, "answered once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_whose_key_comes_while_the_bot_is_stopped_is_answered_after_the_restart() {
    let Some(hs) = Homeserver::from_env() else {
        return;
    };
    let proxy = LateKeys::start(&hs.url, Hold::UntilReleased).await;
    let newsroom = newsroom(&hs, &proxy, BotSettings::default()).await;
    let mut process = newsroom.start_bot().await;

    let command = newsroom
        .journalist
        .send_text(&newsroom.room, "!sources bulgaria")
        .await;
    wait_for_log_line(&newsroom.account, "could not decrypt", &command).await;
    // Stopped while the command waits for its key; the key comes while it is down.
    assert!(process.stop().await.success(), "{}", process.log());
    proxy.release();
    proxy.wait_forwarded(1, REPLY_TIMEOUT).await;

    let _process = newsroom.account.start();
    let answer = newsroom.reply_to(&command).await;
    assert!(answer.body.contains("The Times"), "{}", answer.body);
    assert_eq!(answers_to(&newsroom, &command).await, 1, "answered once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_never_comes_is_given_up_with_one_warning_naming_the_event() {
    let Some(hs) = Homeserver::from_env() else {
        return;
    };
    let proxy = LateKeys::start(&hs.url, Hold::UntilReleased).await;
    let settings = BotSettings {
        room_key_wait: Some("2s"),
        ..Default::default()
    };
    let newsroom = newsroom(&hs, &proxy, settings).await;
    let _process = newsroom.account.start_logging(BotLog::Default);
    wait_for_join(&newsroom.journalist, &newsroom.room, newsroom.bot_id()).await;

    let secret = "!context zanzibar-copper-tender";
    let command = newsroom.journalist.send_text(&newsroom.room, secret).await;
    let warning = wait_for_log_line(&newsroom.account, " WARN ", &command).await;
    assert!(warning.contains(newsroom.room.as_str()), "{warning}");
    // Only once, however long the bot keeps running.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let log = newsroom.account.log();
    // The one WARN of the whole log: not one per failed decryption as well.
    let warnings: Vec<&str> = log.lines().filter(|line| line.contains(" WARN ")).collect();
    assert_eq!(warnings, [warning.as_str()], "{log}");
    assert!(
        !log.contains("zanzibar"),
        "no message text in the log:\n{log}"
    );
    assert_eq!(answers_to(&newsroom, &command).await, 0);
}
