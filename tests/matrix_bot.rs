//! The Matrix bot end to end: the built `copydesk run` binary against a real Synapse,
//! with scripted users as journalists and editors. Each test registers its own bot
//! account, so the tests run in parallel. Run with `scripts/test --test matrix_bot`.

#[path = "support/bot.rs"]
mod bot;
mod support;

use std::time::Duration;

use bot::{BotAccount, BotProcess, BotSettings, Newsroom, wait_for_join, wait_for_membership};
use matrix_sdk::ruma::events::relation::InReplyTo;
use matrix_sdk::ruma::events::relation::Reply as ReplyRelation;
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::events::room::message::{Relation, RoomMessageEventContent};
use matrix_sdk::ruma::{EventId, RoomId, UserId};
use support::{Homeserver, QUIET_PERIOD, REPLY_TIMEOUT, ReceivedMessage, TestClient};

/// Repeats Daniel Mitov's allegation (knowledge file: bulgaria-schengen) as fact.
const UNATTRIBUTED: &str =
    "Russian intelligence is working with people smugglers to move migrants into Europe.";
/// The same, attributed.
const ATTRIBUTED: &str = "Mitov said Russian intelligence is working with people smugglers to move migrants into Europe.";
const HARMLESS: &str = "The minister gave a long interview this week.";

/// A journalist in a room with a running bot: a [`Newsroom`], which it derefs to, with
/// the bot started.
struct Desk {
    /// Before `newsroom`: dropping the process prints its log, which lives in the
    /// account's temp dir.
    _bot: BotProcess,
    newsroom: Newsroom,
}

impl Desk {
    /// Registers a journalist and a bot allowed to be invited by them, creates a room,
    /// starts the bot and waits until it has joined.
    async fn open(hs: &Homeserver, mode: &'static str, encrypted: bool) -> Desk {
        let settings = BotSettings {
            default_mode: mode,
            ..Default::default()
        };
        let newsroom = Newsroom::open(hs, "newsdesk", encrypted, settings).await;
        let bot = newsroom.start_bot().await;
        Desk {
            _bot: bot,
            newsroom,
        }
    }
}

impl std::ops::Deref for Desk {
    type Target = Newsroom;

    fn deref(&self) -> &Newsroom {
        &self.newsroom
    }
}

fn assert_is_notice(message: &ReceivedMessage) {
    assert_eq!(message.msgtype, "m.notice", "the bot only posts notices");
    let html = message.formatted_body.as_deref().expect("a formatted_body");
    assert!(html.starts_with("<p>"), "HTML body: {html}");
    assert_eq!(message.content["format"], "org.matrix.custom.html");
}

fn count_from(
    client: &TestClient,
    room: &RoomId,
    sender: &UserId,
    pred: impl Fn(&ReceivedMessage) -> bool,
) -> usize {
    client
        .messages(room)
        .iter()
        .filter(|m| m.sender == sender && pred(m))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_get_a_notice_reply_in_the_commands_thread() {
    let Some(hs) = Homeserver::from_env() else {
        return;
    };
    let desk = Desk::open(&hs, "commands", false).await;
    let j = &desk.journalist;

    // A prefixed command in the main timeline: a rich reply, mentioning the asker.
    let command = j.send_text(&desk.room, "!context bulgaria").await;
    let answer = desk.reply_to(&command).await;
    assert_is_notice(&answer);
    assert_eq!(answer.thread_root, None);
    assert!(answer.body.contains("Mitov"), "{}", answer.body);
    assert!(
        answer
            .formatted_body
            .as_deref()
            .unwrap()
            .contains("<strong>")
    );
    assert_eq!(
        answer.content["m.mentions"]["user_ids"][0],
        j.user_id.as_str()
    );

    // A command inside a thread: answered inside that thread, as a reply to it.
    let root = j
        .send_text(&desk.room, "Background for the Bulgaria piece?")
        .await;
    let in_thread = j
        .send_text_in_thread(&desk.room, &root, "!sources bulgaria")
        .await;
    let answer = desk.reply_to(&in_thread).await;
    assert_is_notice(&answer);
    assert_eq!(answer.thread_root.as_ref(), Some(&root));
    assert!(answer.body.contains("The Times"), "{}", answer.body);

    // Mentioning the bot works like the prefix: by user id, and as `@localpart`.
    let by_id = j
        .send_text(&desk.room, &format!("{} context schengen", desk.bot_id()))
        .await;
    let answer = desk.reply_to(&by_id).await;
    assert!(answer.body.contains("Schengen"), "{}", answer.body);
    let by_localpart = j
        .send_text(&desk.room, &format!("@{} help", desk.bot_id().localpart()))
        .await;
    let answer = desk.reply_to(&by_localpart).await;
    assert!(answer.body.contains("copydesk commands"), "{}", answer.body);

    // A reply whose body starts with the quoted fallback is still a command.
    let mut content = RoomMessageEventContent::text_plain(format!(
        "> <{}> Background for the Bulgaria piece?\n\n!help",
        j.user_id
    ));
    content.relates_to = Some(Relation::Reply(ReplyRelation::new(InReplyTo::new(
        root.clone(),
    ))));
    let with_fallback = j.send(&desk.room, content).await;
    desk.reply_to(&with_fallback).await;

    // In a commands room nothing is checked, and notices (other bots) are never answered.
    j.send_text(&desk.room, UNATTRIBUTED).await;
    j.send(&desk.room, RoomMessageEventContent::notice_plain("!help"))
        .await;
    j.assert_no_message_from(&desk.room, desk.bot_id(), QUIET_PERIOD)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warn_room_warns_in_a_thread_once_per_allegation() {
    let Some(hs) = Homeserver::from_env() else {
        return;
    };
    let desk = Desk::open(&hs, "warn", false).await;
    let j = &desk.journalist;
    let bot = desk.bot_id().to_owned();

    let offending = j.send_text(&desk.room, UNATTRIBUTED).await;
    let warning = desk
        .warning_about(&offending)
        .await
        .expect("a warning in the message's thread");
    assert_is_notice(&warning);
    assert_eq!(warning.in_reply_to.as_ref(), Some(&offending));
    assert!(
        warning.body.contains("Attribution needed"),
        "{}",
        warning.body
    );
    assert!(warning.body.contains("Daniel Mitov"), "{}", warning.body);
    assert!(
        warning.body.contains("Bulgaria's interior minister"),
        "{}",
        warning.body
    );
    assert_eq!(
        warning.content["m.mentions"],
        serde_json::json!({}),
        "a warning pings nobody"
    );

    // The same allegation again in that thread: no second warning. Nor for clean text.
    j.send_text_in_thread(&desk.room, &offending, UNATTRIBUTED)
        .await;
    j.send_text(&desk.room, ATTRIBUTED).await;
    j.send_text(&desk.room, HARMLESS).await;
    j.assert_no_message_from(&desk.room, &bot, QUIET_PERIOD)
        .await;

    // Commands are still answered in a warn room.
    let command = j.send_text(&desk.room, "!help").await;
    desk.reply_to(&command).await;

    // Privacy: the log (here at debug level for copydesk) carries ids, never text.
    let log = desk.account.log();
    assert!(
        log.contains(offending.as_str()),
        "the log names events:\n{log}"
    );
    for text in [UNATTRIBUTED, ATTRIBUTED, HARMLESS, "people smugglers"] {
        assert!(!log.contains(text), "message text in the bot's log:\n{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_mode_sends_warnings_to_the_editors_room_with_a_link() {
    let Some(hs) = Homeserver::from_env() else {
        return;
    };
    let journalist = hs.new_client("journalist").await;
    let editor = hs.new_client("editor").await;
    let account = BotAccount::register(&hs).await;
    let bot = account.user_id.clone();
    let editors_room = editor
        .create_room("editors", false, std::slice::from_ref(&bot))
        .await;
    let news = journalist
        .create_room("politics", false, std::slice::from_ref(&bot))
        .await;
    let quiet = journalist
        .create_room("off the record", false, std::slice::from_ref(&bot))
        .await;
    account.configure(&BotSettings {
        default_mode: "commands",
        modes: vec![(news.clone(), "editors"), (quiet.clone(), "off")],
        editors_room: Some(editors_room.clone()),
        // The editor may invite the bot because they are an editor.
        editors: vec![editor.user_id.clone()],
        autojoin_users: vec![journalist.user_id.clone()],
        ..Default::default()
    });
    let _process = account.start();
    wait_for_join(&editor, &editors_room, &bot).await;
    wait_for_join(&journalist, &news, &bot).await;

    let command = journalist.send_text(&news, "!help").await;
    journalist
        .wait_for(&news, REPLY_TIMEOUT, |m| {
            m.sender == bot && m.in_reply_to.as_ref() == Some(&command)
        })
        .await
        .expect("commands are answered in an editors-mode room");

    let offending = journalist.send_text(&news, UNATTRIBUTED).await;
    let warning = editor
        .wait_for(&editors_room, REPLY_TIMEOUT, |m| m.sender == bot)
        .await
        .expect("a warning in the editors' room");
    assert_is_notice(&warning);
    let html = warning.formatted_body.as_deref().unwrap();
    let decoded = html
        .replace("%24", "$")
        .replace("%21", "!")
        .replace("%3A", ":");
    assert!(
        decoded.contains(&format!("https://matrix.to/#/{news}/{offending}")),
        "a matrix.to link to the message: {html}"
    );
    assert!(warning.body.contains(journalist.user_id.as_str()));
    assert!(warning.body.contains("Daniel Mitov"));
    journalist
        .assert_no_message_from(&news, &bot, QUIET_PERIOD)
        .await;

    // A room in "off" mode gets nothing: no answers, no warnings.
    wait_for_join(&journalist, &quiet, &bot).await;
    journalist.send_text(&quiet, "!help").await;
    journalist.send_text(&quiet, UNATTRIBUTED).await;
    journalist
        .assert_no_message_from(&quiet, &bot, QUIET_PERIOD)
        .await;
    let warnings = editor
        .messages(&editors_room)
        .iter()
        .filter(|m| m.sender == bot && m.body.contains("needs attention"))
        .count();
    assert_eq!(
        warnings, 1,
        "one warning in the editors' room, none from the off room"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_room_works_like_a_plain_one() {
    let Some(hs) = Homeserver::from_env() else {
        return;
    };
    let desk = Desk::open(&hs, "warn", true).await;
    let j = &desk.journalist;

    let command = j.send_text(&desk.room, "!context bulgaria").await;
    let answer = desk.reply_to(&command).await;
    assert!(answer.encrypted, "the answer is encrypted");
    assert_is_notice(&answer);
    assert!(answer.body.contains("Mitov"));

    let offending = j.send_text(&desk.room, UNATTRIBUTED).await;
    let warning = desk
        .warning_about(&offending)
        .await
        .expect("a warning in an encrypted room");
    assert!(warning.encrypted);
    assert!(warning.body.contains("Daniel Mitov"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_and_redactions_update_the_warning() {
    let Some(hs) = Homeserver::from_env() else {
        return;
    };
    let desk = Desk::open(&hs, "warn", false).await;
    let j = &desk.journalist;

    // Attribution added by an edit: the warning is redacted.
    let offending = j.send_text(&desk.room, UNATTRIBUTED).await;
    let warning = desk.warning_about(&offending).await.expect("a warning");
    j.edit(&desk.room, &offending, ATTRIBUTED).await;
    assert!(
        j.wait_for_redaction(&desk.room, &warning.event_id, REPLY_TIMEOUT)
            .await,
        "the warning is redacted once the message is attributed"
    );

    // An edit that introduces an allegation gets a warning.
    let harmless = j.send_text(&desk.room, HARMLESS).await;
    j.edit(&desk.room, &harmless, UNATTRIBUTED).await;
    let warning = desk
        .warning_about(&harmless)
        .await
        .expect("a warning after the edit");
    assert_eq!(warning.in_reply_to.as_ref(), Some(&harmless));

    // Redacting the original redacts the warning.
    j.redact(&desk.room, &harmless).await;
    assert!(
        j.wait_for_redaction(&desk.room, &warning.event_id, REPLY_TIMEOUT)
            .await,
        "the warning goes with the message"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_sent_at_once_still_takes_the_warning_back() {
    let Some(hs) = Homeserver::from_env() else {
        return;
    };
    let desk = Desk::open(&hs, "warn", false).await;
    let j = &desk.journalist;
    // The edit follows the message at once: it reaches the bot while the warning about
    // the message may still be on its way, and must wait for it, not miss it.
    let offending = j.send_text(&desk.room, UNATTRIBUTED).await;
    j.edit(&desk.room, &offending, ATTRIBUTED).await;
    let warning = desk
        .warning_about(&offending)
        .await
        .expect("a warning about the message as first sent");
    assert!(
        j.wait_for_redaction(&desk.room, &warning.event_id, REPLY_TIMEOUT)
            .await,
        "the edit takes the warning back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_from_users_not_allowed_are_refused() {
    let Some(hs) = Homeserver::from_env() else {
        return;
    };
    let friend = hs.new_client("journalist").await;
    let stranger = hs.new_client("stranger").await;
    let account = BotAccount::register(&hs).await;
    let bot = account.user_id.clone();
    account.configure(&BotSettings {
        autojoin_users: vec![friend.user_id.clone()],
        ..Default::default()
    });
    // One invite waits for the bot's start, one arrives while it runs.
    let early = stranger
        .create_room("early", false, std::slice::from_ref(&bot))
        .await;
    let process = account.start();
    let welcome = friend
        .create_room("welcome", false, std::slice::from_ref(&bot))
        .await;
    let late = stranger
        .create_room("late", false, std::slice::from_ref(&bot))
        .await;

    wait_for_join(&friend, &welcome, &bot).await;
    for room in [&early, &late] {
        assert!(
            wait_for_membership(&stranger, room, &bot, MembershipState::Leave, REPLY_TIMEOUT).await,
            "the bot rejects the stranger's invite to {room}"
        );
    }
    let log = process.log();
    assert!(
        log.matches("refusing an invite").count() >= 2 && log.contains(stranger.user_id.as_str()),
        "refusals are logged with the inviter:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_answers_nothing_twice_and_skips_old_backlog() {
    let Some(hs) = Homeserver::from_env() else {
        return;
    };
    let settings = BotSettings {
        max_backlog_age: "4s",
        ..Default::default()
    };
    let newsroom = Newsroom::open(&hs, "restarts", false, settings).await;
    let (journalist, account, room) = (&newsroom.journalist, &newsroom.account, &newsroom.room);
    let bot = account.user_id.clone();
    // History from before the bot's first start is never answered.
    let before_first_start = journalist.send_text(room, "!help").await;

    let mut process = newsroom.start_bot().await;
    let answered = journalist.send_text(room, "!context bulgaria").await;
    let replies_to = |event: &EventId| {
        let event = event.to_owned();
        let bot = bot.clone();
        move |m: &ReceivedMessage| m.sender == bot && m.in_reply_to.as_ref() == Some(&event)
    };
    journalist
        .wait_for(room, REPLY_TIMEOUT, replies_to(&answered))
        .await
        .expect("an answer before the restart");
    let session = std::fs::read_to_string(account.dir().join("data/session.json")).unwrap();

    let status = process.stop().await;
    assert!(status.success(), "a clean shutdown on SIGTERM: {status}");
    assert!(process.log().contains("stopped cleanly"));

    // While the bot is down: one command that will be too old, one that will not.
    let too_old = journalist.send_text(room, "!sources bulgaria").await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let recent = journalist.send_text(room, "!context schengen").await;

    let _process = account.start();
    journalist
        .wait_for(room, REPLY_TIMEOUT, replies_to(&recent))
        .await
        .expect("a command sent while the bot was down is answered");
    tokio::time::sleep(QUIET_PERIOD).await;
    assert_eq!(
        count_from(journalist, room, &bot, replies_to(&answered)),
        1,
        "answered once"
    );
    assert_eq!(
        count_from(journalist, room, &bot, replies_to(&too_old)),
        0,
        "older than max_backlog_age"
    );
    assert_eq!(
        count_from(journalist, room, &bot, replies_to(&before_first_start)),
        0,
        "from before the first start"
    );

    // Same device: the session was restored, not logged in again.
    let after = std::fs::read_to_string(account.dir().join("data/session.json")).unwrap();
    assert_eq!(session, after);
    let log = account.log();
    assert_eq!(log.matches("logged in; session saved").count(), 1, "{log}");
    assert_eq!(
        log.matches("restored the saved session").count(),
        1,
        "{log}"
    );
}
