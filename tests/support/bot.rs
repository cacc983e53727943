//! The copydesk bot as a separate process, for tests that drive it over a real
//! homeserver: a registered bot account, a config file in a temp dir, and the built
//! binary started (and stopped with SIGTERM) on it.
//!
//! Included next to `support` by the tests that need it:
//!
//! ```ignore
//! mod support;
//! #[path = "support/bot.rs"]
//! mod bot;
//! ```
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::{EventId, OwnedRoomId, OwnedUserId, RoomId, UserId};

use crate::support::{Homeserver, REPLY_TIMEOUT, ReceivedMessage, TestClient};

#[path = "bot_process.rs"]
mod bot_process;
use bot_process::read_log;
pub use bot_process::{BotLog, BotProcess};

/// The environment variable the test configs name for the bot's password.
const PASSWORD_ENV: &str = "COPYDESK_TEST_BOT_PASSWORD";
const PASSPHRASE_ENV: &str = "COPYDESK_TEST_STORE_PASSPHRASE";

/// A bot account with its own data dir and config file.
pub struct BotAccount {
    pub user_id: OwnedUserId,
    password: String,
    dir: tempfile::TempDir,
    homeserver_url: String,
}

/// What differs between tests' configs.
#[derive(Clone, Debug)]
pub struct BotSettings {
    pub default_mode: &'static str,
    pub modes: Vec<(OwnedRoomId, &'static str)>,
    pub editors_room: Option<OwnedRoomId>,
    pub editors: Vec<OwnedUserId>,
    pub autojoin_users: Vec<OwnedUserId>,
    pub autojoin_servers: Vec<String>,
    pub max_backlog_age: &'static str,
    pub sync_timeout: &'static str,
    /// `[matrix] room_key_wait`; `None` leaves the default.
    pub room_key_wait: Option<&'static str>,
    /// `[bot] knowledge`; `None` uses the example file embedded in the binary.
    pub knowledge: Option<PathBuf>,
}

impl Default for BotSettings {
    fn default() -> Self {
        BotSettings {
            default_mode: "commands",
            modes: Vec::new(),
            editors_room: None,
            editors: Vec::new(),
            autojoin_users: Vec::new(),
            autojoin_servers: Vec::new(),
            max_backlog_age: "10m",
            sync_timeout: "10s",
            room_key_wait: None,
            knowledge: None,
        }
    }
}

fn toml_list<T: std::fmt::Display>(items: &[T]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|i| format!("{:?}", i.to_string()))
        .collect();
    format!("[{}]", quoted.join(", "))
}

impl BotAccount {
    /// Registers a fresh bot user (localpart `copydesk-…`).
    pub async fn register(hs: &Homeserver) -> BotAccount {
        let (user_id, password) = hs.register_user("copydesk").await;
        BotAccount {
            user_id,
            password,
            dir: tempfile::tempdir().expect("creating the bot's temp dir"),
            homeserver_url: hs.url.clone(),
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("bot.log")
    }

    /// Writes `config.toml` for these settings (the data dir is `data/` beside it).
    pub fn configure(&self, settings: &BotSettings) {
        let knowledge = match &settings.knowledge {
            Some(path) => format!("knowledge = {:?}\n", path.display().to_string()),
            None => String::new(),
        };
        let mut text = format!(
            "[bot]\nprefix = \"!\"\n{knowledge}\n\
             [matrix]\n\
             homeserver_url = {url:?}\n\
             user_id = {user:?}\n\
             password_env = {PASSWORD_ENV:?}\n\
             store_passphrase_env = {PASSPHRASE_ENV:?}\n\
             device_name = \"copydesk under test\"\n\
             data_dir = \"data\"\n\
             max_backlog_age = {backlog:?}\n\
             sync_timeout = {sync:?}\n\
             {key_wait}\n\
             [matrix.autojoin]\nusers = {users}\nservers = {servers}\n\n\
             [rooms]\ndefault_mode = {mode:?}\neditors = {editors}\n",
            url = self.homeserver_url,
            user = self.user_id.as_str(),
            backlog = settings.max_backlog_age,
            sync = settings.sync_timeout,
            key_wait = settings
                .room_key_wait
                .map(|wait| format!("room_key_wait = {wait:?}\n"))
                .unwrap_or_default(),
            users = toml_list(&settings.autojoin_users),
            servers = toml_list(&settings.autojoin_servers),
            mode = settings.default_mode,
            editors = toml_list(&settings.editors),
        );
        if let Some(room) = &settings.editors_room {
            text.push_str(&format!("editors_room = {:?}\n", room.as_str()));
        }
        if !settings.modes.is_empty() {
            text.push_str("\n[rooms.mode]\n");
            for (room, mode) in &settings.modes {
                text.push_str(&format!("{:?} = {mode:?}\n", room.as_str()));
            }
        }
        // The daily stale-topics post goes out at 09:00 or, after a start later in the
        // day, at once: a test's editors' room would get it depending on the time of
        // day the test runs. Tests that want it replace this table.
        text.push_str("\n[freshness]\nenabled = false\n");
        std::fs::write(self.config_path(), text).expect("writing the bot's config");
    }

    /// Starts the test build of the bot on the config written by [`configure`].
    pub fn start(&self) -> BotProcess {
        self.start_with(&[])
    }

    /// Starts `binary` (a copydesk build) on the config written by [`configure`].
    pub fn start_binary(&self, binary: &Path) -> BotProcess {
        self.start_binary_with(binary, &[], BotLog::Test)
    }

    /// Starts the test build with `env` added to its environment (a failpoint, say).
    pub fn start_with(&self, env: &[(&str, &str)]) -> BotProcess {
        self.start_binary_with(bot_process::test_build(), env, BotLog::Test)
    }

    /// Starts the test build of the bot, writing the log lines `log` says.
    pub fn start_logging(&self, log: BotLog) -> BotProcess {
        self.start_binary_with(bot_process::test_build(), &[], log)
    }

    /// Starts `binary` on the config written by [`configure`], writing the log lines
    /// `log` says.
    pub fn start_binary_logging(&self, binary: &Path, log: BotLog) -> BotProcess {
        self.start_binary_with(binary, &[], log)
    }

    fn start_binary_with(&self, binary: &Path, env: &[(&str, &str)], log: BotLog) -> BotProcess {
        let mut vars = vec![
            (PASSWORD_ENV, self.password.as_str()),
            (PASSPHRASE_ENV, "test store passphrase"),
        ];
        vars.extend_from_slice(env);
        BotProcess::spawn_logging(binary, &self.config_path(), self.log_path(), &vars, log)
    }

    /// The bot's log so far.
    pub fn log(&self) -> String {
        read_log(&self.log_path())
    }
}

/// The usual start of a bot test: a journalist, a bot account the journalist may invite
/// (configured with `settings`, the journalist added to its autojoin users) and a room
/// of the journalist's with the bot invited. The bot is not started yet, so a test can
/// send something before it is.
pub struct Newsroom {
    pub journalist: TestClient,
    pub account: BotAccount,
    pub room: OwnedRoomId,
}

/// An editor of the bot's (listed under `rooms.editors`) and the editors' room
/// (`rooms.editors_room`), which the editor created with the bot invited.
pub struct Editors {
    pub editor: TestClient,
    pub room: OwnedRoomId,
}

impl Newsroom {
    pub async fn open(
        hs: &Homeserver,
        room_name: &str,
        encrypted: bool,
        settings: BotSettings,
    ) -> Newsroom {
        Newsroom::set_up(hs, room_name, encrypted, settings, false)
            .await
            .0
    }

    /// As [`open`](Self::open) (an unencrypted room), with an editor: the editor is
    /// listed in the bot's config, has an editors' room with the bot invited, and is
    /// invited into the newsroom and has joined it.
    pub async fn open_with_editor(
        hs: &Homeserver,
        room_name: &str,
        settings: BotSettings,
    ) -> (Newsroom, Editors) {
        let (newsroom, editors) = Newsroom::set_up(hs, room_name, false, settings, true).await;
        (newsroom, editors.expect("an editor was asked for"))
    }

    async fn set_up(
        hs: &Homeserver,
        room_name: &str,
        encrypted: bool,
        mut settings: BotSettings,
        with_editor: bool,
    ) -> (Newsroom, Option<Editors>) {
        let journalist = hs.new_client("journalist").await;
        let account = BotAccount::register(hs).await;
        let editors = if with_editor {
            let editor = hs.new_client("editor").await;
            let room = editor
                .create_room("editors", false, std::slice::from_ref(&account.user_id))
                .await;
            settings.editors.push(editor.user_id.clone());
            settings.editors_room = Some(room.clone());
            Some(Editors { editor, room })
        } else {
            None
        };
        settings.autojoin_users.push(journalist.user_id.clone());
        account.configure(&settings);
        let mut invited = vec![account.user_id.clone()];
        invited.extend(editors.iter().map(|e| e.editor.user_id.clone()));
        let room = journalist.create_room(room_name, encrypted, &invited).await;
        if let Some(editors) = &editors {
            editors.editor.join(&room).await;
        }
        let newsroom = Newsroom {
            journalist,
            account,
            room,
        };
        (newsroom, editors)
    }

    /// Starts the bot and waits until it has joined the room.
    pub async fn start_bot(&self) -> BotProcess {
        let process = self.account.start();
        wait_for_join(&self.journalist, &self.room, &self.account.user_id).await;
        process
    }

    pub fn bot_id(&self) -> &UserId {
        &self.account.user_id
    }

    /// The bot's message replying to `event` in the room, as the journalist sees it.
    pub async fn reply_to(&self, event: &EventId) -> ReceivedMessage {
        reply_to(&self.journalist, &self.room, self.bot_id(), event).await
    }

    /// The bot's warning in the thread of `event` in the room, as the journalist sees it,
    /// if one comes within the reply timeout.
    pub async fn warning_about(&self, event: &EventId) -> Option<ReceivedMessage> {
        warning_about(&self.journalist, &self.room, self.bot_id(), event).await
    }

    /// Sends `text` as `client` in the room and returns the bot's answer.
    pub async fn ask(&self, client: &TestClient, text: &str) -> ReceivedMessage {
        let event = client.send_text(&self.room, text).await;
        reply_to(client, &self.room, self.bot_id(), &event).await
    }
}

/// The message of `bot`'s in `room` that replies to `event` (not in a thread, or in any
/// thread), as `observer` sees it; panics if none comes within the reply timeout.
pub async fn reply_to(
    observer: &TestClient,
    room: &RoomId,
    bot: &UserId,
    event: &EventId,
) -> ReceivedMessage {
    observer
        .wait_for(room, REPLY_TIMEOUT, |m| {
            m.sender == bot && m.in_reply_to.as_deref() == Some(event)
        })
        .await
        .unwrap_or_else(|| panic!("no reply from the bot to {event}"))
}

/// The message of `bot`'s in the thread of `event` in `room`, as `observer` sees it, if
/// one comes within the reply timeout.
pub async fn warning_about(
    observer: &TestClient,
    room: &RoomId,
    bot: &UserId,
    event: &EventId,
) -> Option<ReceivedMessage> {
    observer
        .wait_for(room, REPLY_TIMEOUT, |m| {
            m.sender == bot && m.thread_root.as_deref() == Some(event)
        })
        .await
}

/// Waits until `observer` has seen `user` reach `membership` in `room`.
pub async fn wait_for_membership(
    observer: &TestClient,
    room: &RoomId,
    user: &UserId,
    membership: MembershipState,
    timeout: Duration,
) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(r) = observer.client.get_room(room)
            && let Ok(Some(member)) = r.get_member_no_sync(user).await
            && *member.membership() == membership
        {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `observer` has seen `user` join `room`; panics after 60 s.
pub async fn wait_for_join(observer: &TestClient, room: &RoomId, user: &UserId) {
    assert!(
        wait_for_membership(
            observer,
            room,
            user,
            MembershipState::Join,
            Duration::from_secs(60)
        )
        .await,
        "{user} did not join {room} within 60 s (as seen by {})",
        observer.user_id
    );
}
