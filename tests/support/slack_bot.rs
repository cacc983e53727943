//! The copydesk bot as a separate process against the fake Slack
//! (`support/fake_slack`): a config file in a temp dir pointing `api_url` at the fake,
//! the tokens in the environment, and the built binary started (and stopped with
//! SIGTERM) on it. The data dir survives a restart.
//!
//! Included by path, next to the fake:
//!
//! ```ignore
//! #[path = "support/fake_slack/mod.rs"]
//! mod fake_slack;
//! #[path = "support/slack_bot.rs"]
//! mod slack_bot;
//! ```
#![allow(dead_code)]

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

const APP_TOKEN_ENV: &str = "COPYDESK_TEST_SLACK_APP_TOKEN";
const BOT_TOKEN_ENV: &str = "COPYDESK_TEST_SLACK_BOT_TOKEN";
const MATRIX_PASSWORD_ENV: &str = "COPYDESK_TEST_MATRIX_PASSWORD";

/// What differs between tests' configs.
#[derive(Clone, Debug)]
pub struct SlackSettings {
    pub default_mode: &'static str,
    pub modes: Vec<(&'static str, &'static str)>,
    pub editors: Vec<&'static str>,
    pub editor_groups: Vec<&'static str>,
    pub editors_channel: Option<&'static str>,
    /// Also a `[matrix]` table, for a homeserver that is not there: one process runs
    /// both connectors, and Slack must not wait for Matrix.
    pub with_unreachable_matrix: bool,
}

impl Default for SlackSettings {
    fn default() -> Self {
        SlackSettings {
            default_mode: "warn",
            modes: Vec::new(),
            editors: Vec::new(),
            editor_groups: Vec::new(),
            editors_channel: None,
            with_unreachable_matrix: false,
        }
    }
}

fn toml_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// A bot's folder: its config, its data dir and its log.
pub struct SlackBotDir {
    dir: tempfile::TempDir,
    api_url: String,
    app_token: String,
    bot_token: String,
}

impl SlackBotDir {
    pub fn new(api_url: &str, app_token: &str, bot_token: &str) -> SlackBotDir {
        SlackBotDir {
            dir: tempfile::tempdir().expect("a temp dir for the bot"),
            api_url: api_url.to_owned(),
            app_token: app_token.to_owned(),
            bot_token: bot_token.to_owned(),
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("bot.log")
    }

    /// Writes `config.toml` for `settings`.
    pub fn configure(&self, settings: &SlackSettings) {
        let mut text = format!(
            "[bot]\nprefix = \"!\"\n\n[slack]\n\
             api_url = {api:?}\n\
             app_token_env = {APP_TOKEN_ENV:?}\n\
             bot_token_env = {BOT_TOKEN_ENV:?}\n\
             data_dir = \"data\"\n\
             default_mode = {mode:?}\n\
             editors = {editors}\n\
             editor_groups = {groups}\n",
            api = self.api_url,
            mode = settings.default_mode,
            editors = toml_list(&settings.editors),
            groups = toml_list(&settings.editor_groups),
        );
        if let Some(channel) = settings.editors_channel {
            text.push_str(&format!("editors_channel = {channel:?}\n"));
        }
        text.push_str("\n[slack.mode]\n");
        for (channel, mode) in &settings.modes {
            text.push_str(&format!("{channel} = {mode:?}\n"));
        }
        if settings.with_unreachable_matrix {
            text.push_str(&format!(
                "\n[matrix]\nhomeserver_url = \"http://127.0.0.1:9\"\n\
                 user_id = \"@copydesk:localhost\"\npassword_env = {MATRIX_PASSWORD_ENV:?}\n\
                 data_dir = \"matrix-data\"\n"
            ));
        }
        text.push_str("\n[reload]\nwatch = false\n[freshness]\nenabled = false\n");
        std::fs::write(self.config_path(), text).expect("writing the config");
    }

    /// Starts the built binary on the config.
    pub fn start(&self) -> SlackBotProcess {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("opening the bot's log");
        let child = Command::new(env!("CARGO_BIN_EXE_copydesk"))
            .arg("run")
            .arg("--config")
            .arg(self.config_path())
            .env(APP_TOKEN_ENV, &self.app_token)
            .env(BOT_TOKEN_ENV, &self.bot_token)
            .env(MATRIX_PASSWORD_ENV, "unused")
            .env(
                "RUST_LOG",
                std::env::var("COPYDESK_TEST_BOT_LOG")
                    .unwrap_or_else(|_| "warn,copydesk=debug".to_owned()),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("cloning the log handle"))
            .stderr(log)
            .spawn()
            .expect("starting copydesk");
        SlackBotProcess {
            child,
            log_path: self.log_path(),
        }
    }

    pub fn log(&self) -> String {
        read_log(&self.log_path())
    }
}

fn read_log(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    text
}

/// A running bot. Dropping it kills the process (and prints its log if the test failed).
pub struct SlackBotProcess {
    child: Child,
    log_path: PathBuf,
}

impl SlackBotProcess {
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then waits (up to 30 s) for the exit.
    pub async fn stop(&mut self) -> ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if tokio::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the bot did not stop within 30 s of SIGTERM");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log(&self) -> String {
        read_log(&self.log_path)
    }
}

impl Drop for SlackBotProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- bot log ({}):\n{}", self.log_path.display(), self.log());
        }
    }
}
