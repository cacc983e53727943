//! The bot's configuration file (see `config.toml.example`, which documents every key).
//!
//! Reading happens in two steps. Serde (with `deny_unknown_fields` and `toml::Spanned`)
//! turns the text into raw values that remember where they were written, so a typo in a
//! key or a value of the wrong type is reported as `config.toml:12:3: unknown field …`.
//! Validation then checks what serde cannot (user ids, room ids, durations, URLs, that
//! exactly one way to log in is configured, …) and reports *every* problem it finds, each
//! with its place, before the bot touches the network.
//!
//! Secrets never live in the file: it names environment variables (`password_env`,
//! `access_token_env`, `store_passphrase_env`, `app_token_env`, `bot_token_env`) or, for
//! Slack's tokens, files (`app_token_file`, `bot_token_file`), and [`Secret::read`] reads
//! them at start, pointing at the key that named a variable that is not set.
//!
//! `[matrix]` and `[slack]` are each optional, but at least one must be there; with both,
//! one process runs both connectors.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use copydesk_core::LocatedErrors;
use copydesk_core::admin::RoomMode;
use matrix_sdk::reqwest::Url;
use matrix_sdk::ruma::{OwnedRoomId, OwnedServerName, OwnedUserId};

mod raw;
mod slack;
mod validate;

use raw::RawConfig;
use validate::Validator;
pub use validate::parse_duration;

/// Defaults for optional keys; `config.toml.example` repeats them.
pub const DEFAULT_PREFIX: &str = "!";
pub const DEFAULT_DEVICE_NAME: &str = "copydesk";
pub const DEFAULT_MAX_BACKLOG_AGE: Duration = Duration::from_secs(10 * 60);
pub const DEFAULT_SYNC_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_ROOM_KEY_WAIT: Duration = Duration::from_secs(3600);
/// The bot keeps an unfinished event for a day (`crate::lifecycle::memory`).
const MAX_ROOM_KEY_WAIT: Duration = Duration::from_secs(24 * 3600);
/// Longer long-polls than this only hide a dead connection for longer.
const MAX_SYNC_TIMEOUT: Duration = Duration::from_secs(300);
/// Votes a rule needs before feedback may demote it.
pub const DEFAULT_DEMOTE_MIN_VOTES: u64 = 5;

/// A validated configuration. Paths are absolute or relative to the working directory
/// (relative paths in the file were resolved against the file's folder).
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was read from.
    pub path: PathBuf,
    pub bot: BotConfig,
    /// `[matrix]`, with `[rooms]` for its rooms.
    pub matrix: Option<MatrixConfig>,
    pub rooms: RoomsConfig,
    /// `[slack]`, with its own editors and channel modes.
    pub slack: Option<SlackConfig>,
    /// `[log]`, `[reload]`, `[audit]`, `[feedback]`, `[freshness]` and `[metrics]`.
    pub ops: crate::operations::OpsSettings,
}

#[derive(Debug, Clone)]
pub struct BotConfig {
    pub prefix: String,
    /// The knowledge file; `None` uses the example file embedded in the binary.
    pub knowledge: Option<PathBuf>,
    /// Lexicon files layered, in order, over the embedded lexicons.
    pub lexicons: Vec<PathBuf>,
    /// The "needs attribution" model: file, threshold, or switched off.
    pub model: crate::cli::ModelArgs,
}

#[derive(Debug, Clone)]
pub struct MatrixConfig {
    pub homeserver_url: Url,
    pub user_id: OwnedUserId,
    pub login: Login,
    /// Display name of the bot's device, shown in other users' device lists.
    pub device_name: String,
    /// The SQLite state and crypto store, the saved session and the bot's memory.
    pub data_dir: PathBuf,
    pub store_passphrase: Option<Secret>,
    /// Messages older than this are not answered or checked after a restart.
    pub max_backlog_age: Duration,
    /// How long one `/sync` long-poll waits for news.
    pub sync_timeout: Duration,
    /// How long a message that cannot be decrypted yet waits for its room key.
    pub room_key_wait: Duration,
    pub autojoin: Autojoin,
}

/// The Web API base of Slack itself.
pub const DEFAULT_SLACK_API_URL: &str = "https://slack.com/api";
/// How often the members of `editor_groups` are looked up again.
pub const DEFAULT_EDITOR_GROUPS_REFRESH: Duration = Duration::from_secs(10 * 60);
/// How long Socket Mode waits before trying again to open a connection that failed to
/// open, in seconds: patient, since a retry within seconds rarely finds Slack recovered.
pub const DEFAULT_RECONNECT_SECS: u64 = 30;

/// `[slack]`: the bot in a Slack workspace over Socket Mode.
#[derive(Debug, Clone)]
pub struct SlackConfig {
    /// The app-level token (`xapp-…`, scope `connections:write`) that opens Socket Mode.
    pub app_token: Secret,
    /// The bot token (`xoxb-…`) for the Web API.
    pub bot_token: Secret,
    /// The Web API base, without a trailing `/`; the Socket Mode URL comes from its
    /// `apps.connections.open`.
    pub api_url: String,
    /// The bot's memory, settings, stats and audit log.
    pub data_dir: PathBuf,
    /// User ids (`U…`, `W…`) allowed to run admin commands.
    pub editors: Vec<String>,
    /// User-group ids (`S…`) whose members are editors too.
    pub editor_groups: Vec<String>,
    pub editor_groups_refresh: Duration,
    /// The channel id that receives warnings from channels in `editors` mode.
    pub editors_channel: Option<String>,
    /// Seconds between attempts to open a Socket Mode connection that failed to open.
    pub reconnect_secs: u64,
    pub default_mode: RoomMode,
    /// Modes by channel id.
    pub modes: BTreeMap<String, RoomMode>,
}

impl SlackConfig {
    /// The mode of `channel`: its own entry under `[slack.mode]`, else the default.
    pub fn mode(&self, channel: &str) -> RoomMode {
        self.modes
            .get(channel)
            .copied()
            .unwrap_or(self.default_mode)
    }
}

/// How the bot logs in the first time (later starts restore the saved session).
#[derive(Debug, Clone)]
pub enum Login {
    Password(Secret),
    AccessToken(Secret),
}

/// Who may invite the bot into a room.
#[derive(Debug, Clone, Default)]
pub struct Autojoin {
    pub users: Vec<OwnedUserId>,
    pub servers: Vec<OwnedServerName>,
}

#[derive(Debug, Clone)]
pub struct RoomsConfig {
    pub default_mode: RoomMode,
    pub editors_room: Option<OwnedRoomId>,
    /// Users allowed to run admin commands; they may also always invite the bot.
    pub editors: Vec<OwnedUserId>,
    pub modes: BTreeMap<OwnedRoomId, RoomMode>,
}

impl RoomsConfig {
    /// The mode of `room`: its own entry under `[rooms.mode]`, else the default.
    pub fn mode(&self, room: &matrix_sdk::ruma::RoomId) -> RoomMode {
        self.modes.get(room).copied().unwrap_or(self.default_mode)
    }
}

/// A secret read from the environment variable (or, for Slack's tokens, the file) the
/// configuration names.
#[derive(Clone)]
pub struct Secret {
    /// The variable's name, e.g. `COPYDESK_PASSWORD`; or the file's path, with `file`.
    pub variable: String,
    /// Read from the file `variable` rather than the environment.
    pub file: Option<PathBuf>,
    /// Where the name was written, for errors: `config.toml:7:16`.
    pub(super) place: String,
    pub(super) key: &'static str,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(${})", self.variable)
    }
}

impl Secret {
    /// Where the secret is named, for an error about its value: `config.toml:7:16:
    /// app_token_env (the environment variable COPYDESK_SLACK_APP_TOKEN)`.
    pub fn origin(&self) -> String {
        match &self.file {
            Some(path) => format!("{}: {} (the file {})", self.place, self.key, path.display()),
            None => format!(
                "{}: {} (the environment variable {})",
                self.place, self.key, self.variable
            ),
        }
    }

    /// The variable's value; an error naming the variable and the config key when it is
    /// unset or empty.
    pub fn read(&self) -> anyhow::Result<String> {
        if let Some(path) = &self.file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                anyhow::anyhow!(
                    "{}: {} names the file {}, which cannot be read: {e}",
                    self.place,
                    self.key,
                    path.display()
                )
            })?;
            let value = text.trim();
            anyhow::ensure!(
                !value.is_empty(),
                "{}: {} names the file {}, which is empty",
                self.place,
                self.key,
                path.display()
            );
            return Ok(value.to_owned());
        }
        match std::env::var(&self.variable) {
            Ok(value) if !value.is_empty() => Ok(value),
            Ok(_) => anyhow::bail!(
                "{}: {} names the environment variable {}, which is empty",
                self.place,
                self.key,
                self.variable
            ),
            Err(_) => anyhow::bail!(
                "{}: {} names the environment variable {}, which is not set",
                self.place,
                self.key,
                self.variable
            ),
        }
    }
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = crate::loading::read_text(path)?;
        Ok(Config::parse(path, &text)?)
    }

    /// Validates configuration `text` read from `path` (used for error places and to
    /// resolve relative paths).
    pub fn parse(path: &Path, text: &str) -> Result<Config, LocatedErrors> {
        let origin = path.display().to_string();
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| LocatedErrors::from_toml(&origin, text, &e))?;
        let base = path.parent().unwrap_or(Path::new(""));
        let mut v = Validator {
            origin: &origin,
            text,
            base,
            problems: Vec::new(),
        };
        let config = v.config(path, raw);
        if v.problems.is_empty() {
            Ok(config.expect("a config is built whenever there are no problems"))
        } else {
            Err(LocatedErrors(v.problems).sorted())
        }
    }
}

#[cfg(test)]
mod tests;
