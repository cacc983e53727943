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

use std::path::{Path, PathBuf};

#[path = "bot_process.rs"]
mod bot_process;
pub use bot_process::BotProcess as SlackBotProcess;
use bot_process::read_log;

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
    /// `[metrics]` enabled, listening on 127.0.0.1 at this port.
    pub metrics_port: Option<u16>,
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
            metrics_port: None,
        }
    }
}

/// A port nobody listens on now, for the bot's metrics listener.
pub fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    probe.local_addr().expect("an address").port()
}

/// `GET path` from the bot's metrics listener on `port`: the status and the body; status 0
/// when nothing answered within 5 s.
pub async fn get_metrics(port: u16, path: &str) -> (u16, String) {
    let get = get_once(port, path);
    tokio::time::timeout(std::time::Duration::from_secs(5), get)
        .await
        .unwrap_or_default()
}

async fn get_once(port: u16, path: &str) -> (u16, String) {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await;
    let Ok(mut stream) = stream else {
        return (0, String::new());
    };
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let request = format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return (0, String::new());
    }
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
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
             reconnect_secs = 1\n\
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
        if let Some(port) = settings.metrics_port {
            text.push_str(&format!(
                "\n[metrics]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\n"
            ));
        }
        text.push_str("\n[reload]\nwatch = false\n[freshness]\nenabled = false\n");
        std::fs::write(self.config_path(), text).expect("writing the config");
    }

    /// Starts the test build of the bot on the config.
    pub fn start(&self) -> SlackBotProcess {
        self.start_with(&[])
    }

    /// Starts `binary` (a copydesk build) on the config.
    pub fn start_binary(&self, binary: &Path) -> SlackBotProcess {
        self.start_binary_with(binary, &[])
    }

    /// Starts the test build with `env` added to its environment (a failpoint, say).
    pub fn start_with(&self, env: &[(&str, &str)]) -> SlackBotProcess {
        self.start_binary_with(bot_process::test_build(), env)
    }

    fn start_binary_with(&self, binary: &Path, env: &[(&str, &str)]) -> SlackBotProcess {
        let mut vars = vec![
            (APP_TOKEN_ENV, self.app_token.as_str()),
            (BOT_TOKEN_ENV, self.bot_token.as_str()),
            (MATRIX_PASSWORD_ENV, "unused"),
        ];
        vars.extend_from_slice(env);
        SlackBotProcess::spawn(binary, &self.config_path(), self.log_path(), &vars)
    }

    pub fn log(&self) -> String {
        read_log(&self.log_path())
    }
}
