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
//! `access_token_env`, `store_passphrase_env`), and [`Secret::read`] reads them at start,
//! pointing at the key that named a variable that is not set.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use copydesk_core::admin::RoomMode;
use copydesk_core::{Located, LocatedErrors};
use matrix_sdk::reqwest::Url;
use matrix_sdk::ruma::{OwnedRoomId, OwnedServerName, OwnedUserId};
use serde::Deserialize;
use toml::Spanned;

/// Defaults for optional keys; `config.toml.example` repeats them.
pub const DEFAULT_PREFIX: &str = "!";
pub const DEFAULT_DEVICE_NAME: &str = "copydesk";
pub const DEFAULT_MAX_BACKLOG_AGE: Duration = Duration::from_secs(10 * 60);
pub const DEFAULT_SYNC_TIMEOUT: Duration = Duration::from_secs(30);
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
    pub matrix: MatrixConfig,
    pub rooms: RoomsConfig,
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
    pub autojoin: Autojoin,
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

/// A secret read from the environment variable the configuration names.
#[derive(Clone)]
pub struct Secret {
    /// The variable's name, e.g. `COPYDESK_PASSWORD`.
    pub variable: String,
    /// Where the name was written, for errors: `config.toml:7:16`.
    place: String,
    key: &'static str,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(${})", self.variable)
    }
}

impl Secret {
    /// The variable's value; an error naming the variable and the config key when it is
    /// unset or empty.
    pub fn read(&self) -> anyhow::Result<String> {
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
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            LocatedErrors(vec![Located::at(
                &origin,
                text,
                e.span(),
                e.message().trim_end(),
            )])
        })?;
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

// ----- The file as written --------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    bot: RawBot,
    matrix: Spanned<RawMatrix>,
    #[serde(default)]
    rooms: RawRooms,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    reload: RawReload,
    #[serde(default)]
    audit: RawAudit,
    #[serde(default)]
    feedback: RawFeedback,
    #[serde(default)]
    freshness: RawFreshness,
    #[serde(default)]
    metrics: RawMetrics,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawReload {
    watch: Option<bool>,
    debounce: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAudit {
    enabled: Option<bool>,
    max_size_mb: Option<Spanned<u64>>,
    keep: Option<Spanned<u64>>,
    include_text: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFeedback {
    enabled: Option<bool>,
    demote_threshold: Option<Spanned<f64>>,
    demote_min_votes: Option<Spanned<u64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFreshness {
    enabled: Option<bool>,
    at: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    enabled: Option<bool>,
    listen: Option<Spanned<String>>,
    max_sync_age: Option<Spanned<String>>,
}

/// `[log]` is read by `logging::configured_format` before the configuration proper (so
/// the first log lines have the right shape); here it is only validated.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLog {
    format: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawBot {
    prefix: Option<Spanned<String>>,
    knowledge: Option<Spanned<String>>,
    #[serde(default)]
    lexicons: Vec<Spanned<String>>,
    model: Option<Spanned<String>>,
    model_threshold: Option<Spanned<f64>>,
    model_veto: Option<Spanned<f64>>,
    use_model: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatrix {
    homeserver_url: Spanned<String>,
    user_id: Spanned<String>,
    password_env: Option<Spanned<String>>,
    access_token_env: Option<Spanned<String>>,
    device_name: Option<Spanned<String>>,
    data_dir: Spanned<String>,
    store_passphrase_env: Option<Spanned<String>>,
    max_backlog_age: Option<Spanned<String>>,
    sync_timeout: Option<Spanned<String>>,
    #[serde(default)]
    autojoin: RawAutojoin,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAutojoin {
    #[serde(default)]
    users: Vec<Spanned<String>>,
    #[serde(default)]
    servers: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRooms {
    default_mode: Option<Spanned<RoomMode>>,
    editors_room: Option<Spanned<String>>,
    #[serde(default)]
    editors: Vec<Spanned<String>>,
    #[serde(default)]
    mode: BTreeMap<Spanned<String>, Spanned<RoomMode>>,
}

// ----- Validation -----------------------------------------------------------------------

struct Validator<'a> {
    origin: &'a str,
    text: &'a str,
    base: &'a Path,
    problems: Vec<Located>,
}

impl Validator<'_> {
    fn problem(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.problems
            .push(Located::at(self.origin, self.text, Some(span), message));
    }

    fn place(&self, span: Range<usize>) -> String {
        let l = Located::at(self.origin, self.text, Some(span), "");
        format!("{}:{}:{}", l.origin, l.line, l.column)
    }

    fn config(&mut self, path: &Path, raw: RawConfig) -> Option<Config> {
        let bot = self.bot(raw.bot);
        let matrix = self.matrix(raw.matrix);
        let rooms = self.rooms(raw.rooms);
        let mut ops = crate::operations::OpsSettings::default();
        if let Some(format) = raw.log.format {
            match format.get_ref().as_str() {
                "text" => ops.log = crate::logging::LogFormat::Text,
                "json" => ops.log = crate::logging::LogFormat::Json,
                other => self.problem(
                    format.span(),
                    format!("unknown log format {other:?} (expected \"text\" or \"json\")"),
                ),
            }
        }
        self.reload(raw.reload, &mut ops.reload);
        self.audit(raw.audit, &mut ops.audit);
        self.feedback(raw.feedback, &mut ops.feedback);
        self.freshness(raw.freshness, &mut ops.freshness);
        let sync_timeout = matrix.as_ref().map(|m| m.sync_timeout);
        self.metrics(raw.metrics, &mut ops.metrics, sync_timeout);
        Some(Config {
            path: path.to_owned(),
            bot: bot?,
            matrix: matrix?,
            rooms: rooms?,
            ops,
        })
    }

    fn reload(&mut self, raw: RawReload, out: &mut crate::operations::reload::ReloadSettings) {
        out.watch = raw.watch.unwrap_or(out.watch);
        if let Some(d) = raw.debounce {
            let span = d.span();
            match self.duration(d, false) {
                Some(d) if d > Duration::from_secs(60) => {
                    self.problem(span, "debounce must be at most 1m")
                }
                Some(d) => out.debounce = d,
                None => {}
            }
        }
    }

    fn audit(&mut self, raw: RawAudit, out: &mut crate::operations::audit::AuditSettings) {
        out.enabled = raw.enabled.unwrap_or(out.enabled);
        out.include_text = raw.include_text.unwrap_or(out.include_text);
        if let Some(mb) = raw.max_size_mb {
            match *mb.get_ref() {
                0 => self.problem(mb.span(), "max_size_mb must be at least 1"),
                n => out.max_size = n.saturating_mul(1024 * 1024),
            }
        }
        if let Some(keep) = raw.keep {
            match usize::try_from(*keep.get_ref()) {
                Ok(n) if n <= 1000 => out.keep = n,
                _ => self.problem(keep.span(), "keep must be at most 1000"),
            }
        }
    }

    fn feedback(
        &mut self,
        raw: RawFeedback,
        out: &mut crate::operations::feedback::FeedbackSettings,
    ) {
        out.enabled = raw.enabled.unwrap_or(out.enabled);
        let min_votes = match raw.demote_min_votes {
            Some(v) if *v.get_ref() == 0 => {
                self.problem(v.span(), "demote_min_votes must be at least 1");
                DEFAULT_DEMOTE_MIN_VOTES
            }
            Some(v) => v.into_inner(),
            None => DEFAULT_DEMOTE_MIN_VOTES,
        };
        if let Some(threshold) = raw.demote_threshold {
            let rate = *threshold.get_ref();
            if rate > 0.0 && rate <= 1.0 {
                out.demotion = Some(copydesk_core::feedback::DemotionPolicy {
                    threshold: rate,
                    min_votes,
                });
            } else {
                self.problem(
                    threshold.span(),
                    "demote_threshold is a false-alarm rate above 0 and at most 1, e.g. 0.8",
                );
            }
        }
    }

    fn freshness(
        &mut self,
        raw: RawFreshness,
        out: &mut crate::operations::freshness::FreshnessSettings,
    ) {
        out.enabled = raw.enabled.unwrap_or(out.enabled);
        if let Some(at) = raw.at {
            match at.get_ref().trim().parse::<jiff::civil::Time>() {
                Ok(time) => out.at = time,
                Err(_) => self.problem(
                    at.span(),
                    format!("{:?} is not a time of day like \"09:00\"", at.get_ref()),
                ),
            }
        }
    }

    fn metrics(
        &mut self,
        raw: RawMetrics,
        out: &mut crate::operations::metrics::MetricsSettings,
        sync_timeout: Option<Duration>,
    ) {
        out.enabled = raw.enabled.unwrap_or(out.enabled);
        // A quiet long-poll succeeds only after sync_timeout: allow two of them.
        if let Some(timeout) = sync_timeout {
            out.max_sync_age = out.max_sync_age.max(timeout * 2);
        }
        if let Some(listen) = raw.listen {
            match listen.get_ref().trim().parse::<std::net::SocketAddr>() {
                Ok(address) => out.listen = address,
                Err(_) => self.problem(
                    listen.span(),
                    format!(
                        "{:?} is not an address and port like \"127.0.0.1:9464\"",
                        listen.get_ref()
                    ),
                ),
            }
        }
        if let Some(age) = raw.max_sync_age {
            let span = age.span();
            match (self.duration(age, false), sync_timeout) {
                (Some(age), Some(timeout)) if age <= timeout => self.problem(
                    span,
                    "max_sync_age must be longer than matrix.sync_timeout, or /healthz fails \
                     during every quiet long-poll",
                ),
                (Some(age), _) => out.max_sync_age = age,
                (None, _) => {}
            }
        }
    }

    fn bot(&mut self, raw: RawBot) -> Option<BotConfig> {
        let prefix = match raw.prefix {
            None => DEFAULT_PREFIX.to_owned(),
            Some(p) => {
                let span = p.span();
                let prefix = p.into_inner();
                if prefix.is_empty() || prefix.chars().any(char::is_whitespace) {
                    self.problem(span, "prefix must be non-empty and contain no spaces");
                }
                prefix
            }
        };
        let knowledge = raw.knowledge.map(|k| self.path(k));
        let lexicons = raw.lexicons.into_iter().map(|l| self.path(l)).collect();
        let mut unit = |key: &str, value: Option<Spanned<f64>>| {
            value.map(|t| {
                let span = t.span();
                let t = t.into_inner();
                if !(0.0..=1.0).contains(&t) {
                    self.problem(span, format!("{key} {t} must be between 0 and 1"));
                }
                t as f32
            })
        };
        let threshold = unit("model_threshold", raw.model_threshold);
        let veto = unit("model_veto", raw.model_veto);
        let model = crate::cli::ModelArgs {
            path: raw.model.map(|m| self.path(m)),
            threshold,
            veto,
            no_model: raw.use_model == Some(false),
        };
        Some(BotConfig {
            prefix,
            knowledge,
            lexicons,
            model,
        })
    }

    fn path(&mut self, value: Spanned<String>) -> PathBuf {
        let span = value.span();
        let value = value.into_inner();
        if value.trim().is_empty() {
            self.problem(span, "a path must not be empty");
        }
        let path = Path::new(&value);
        if path.is_absolute() {
            path.to_owned()
        } else {
            self.base.join(path)
        }
    }

    fn matrix(&mut self, raw: Spanned<RawMatrix>) -> Option<MatrixConfig> {
        let table_span = raw.span();
        let raw = raw.into_inner();
        let homeserver_url = self.url(raw.homeserver_url);
        let user_id = self.user_id(raw.user_id);
        let login = match (raw.password_env, raw.access_token_env) {
            (Some(p), None) => Some(Login::Password(self.secret(p, "password_env"))),
            (None, Some(t)) => Some(Login::AccessToken(self.secret(t, "access_token_env"))),
            (Some(_), Some(t)) => {
                self.problem(
                    t.span(),
                    "set either password_env or access_token_env, not both",
                );
                None
            }
            (None, None) => {
                self.problem(
                    table_span,
                    "[matrix] needs password_env or access_token_env: the name of the \
                     environment variable holding the bot's password or access token",
                );
                None
            }
        };
        let device_name = match raw.device_name {
            None => DEFAULT_DEVICE_NAME.to_owned(),
            Some(name) => {
                if name.get_ref().trim().is_empty() {
                    self.problem(name.span(), "device_name must not be empty");
                }
                name.into_inner()
            }
        };
        let data_dir = self.path(raw.data_dir);
        let store_passphrase = raw
            .store_passphrase_env
            .map(|s| self.secret(s, "store_passphrase_env"));
        let max_backlog_age = raw
            .max_backlog_age
            .and_then(|d| self.duration(d, true))
            .unwrap_or(DEFAULT_MAX_BACKLOG_AGE);
        let sync_timeout = match raw.sync_timeout {
            None => DEFAULT_SYNC_TIMEOUT,
            Some(d) => {
                let span = d.span();
                match self.duration(d, false) {
                    Some(t) if t > MAX_SYNC_TIMEOUT => {
                        self.problem(span, "sync_timeout must be at most 5m");
                        DEFAULT_SYNC_TIMEOUT
                    }
                    Some(t) => t,
                    None => DEFAULT_SYNC_TIMEOUT,
                }
            }
        };
        let autojoin = Autojoin {
            users: raw
                .autojoin
                .users
                .into_iter()
                .filter_map(|u| self.user_id(u))
                .collect(),
            servers: raw
                .autojoin
                .servers
                .into_iter()
                .filter_map(|s| self.server_name(s))
                .collect(),
        };
        Some(MatrixConfig {
            homeserver_url: homeserver_url?,
            user_id: user_id?,
            login: login?,
            device_name,
            data_dir,
            store_passphrase,
            max_backlog_age,
            sync_timeout,
            autojoin,
        })
    }

    fn rooms(&mut self, raw: RawRooms) -> Option<RoomsConfig> {
        let editors_room = raw.editors_room.and_then(|r| self.room_id(r));
        let editors = raw
            .editors
            .into_iter()
            .filter_map(|u| self.user_id(u))
            .collect();
        let mut modes = BTreeMap::new();
        let mut editors_mode_spans = Vec::new();
        let default_mode = match raw.default_mode {
            None => RoomMode::Commands,
            Some(m) => {
                if *m.get_ref() == RoomMode::Editors {
                    editors_mode_spans.push(m.span());
                }
                m.into_inner()
            }
        };
        for (room, mode) in raw.mode {
            if *mode.get_ref() == RoomMode::Editors {
                editors_mode_spans.push(mode.span());
            }
            if let Some(room) = self.room_id(room) {
                modes.insert(room, mode.into_inner());
            }
        }
        if editors_room.is_none() {
            for span in editors_mode_spans {
                self.problem(
                    span,
                    "mode \"editors\" sends warnings to rooms.editors_room, which is not set",
                );
            }
        }
        Some(RoomsConfig {
            default_mode,
            editors_room,
            editors,
            modes,
        })
    }

    fn url(&mut self, value: Spanned<String>) -> Option<Url> {
        let span = value.span();
        match Url::parse(value.get_ref().trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Some(url),
            Ok(_) => {
                self.problem(span, "homeserver_url must be an http:// or https:// URL");
                None
            }
            Err(e) => {
                self.problem(span, format!("bad homeserver_url: {e}"));
                None
            }
        }
    }

    fn user_id(&mut self, value: Spanned<String>) -> Option<OwnedUserId> {
        let span = value.span();
        match OwnedUserId::try_from(value.get_ref().trim()) {
            Ok(id) => Some(id),
            Err(e) => {
                self.problem(
                    span,
                    format!(
                        "{:?} is not a Matrix user id like \"@name:example.org\" ({e})",
                        value.get_ref()
                    ),
                );
                None
            }
        }
    }

    fn room_id(&mut self, value: Spanned<String>) -> Option<OwnedRoomId> {
        let span = value.span();
        match OwnedRoomId::try_from(value.get_ref().trim()) {
            Ok(id) => Some(id),
            Err(e) => {
                let hint = if value.get_ref().starts_with('#') {
                    "; use the room id (Room settings → Advanced), not an alias"
                } else {
                    ""
                };
                self.problem(
                    span,
                    format!(
                        "{:?} is not a Matrix room id like \"!abc123:example.org\" ({e}){hint}",
                        value.get_ref()
                    ),
                );
                None
            }
        }
    }

    fn server_name(&mut self, value: Spanned<String>) -> Option<OwnedServerName> {
        let span = value.span();
        match OwnedServerName::try_from(value.get_ref().trim()) {
            Ok(name) => Some(name),
            Err(e) => {
                self.problem(
                    span,
                    format!(
                        "{:?} is not a server name like \"example.org\" ({e})",
                        value.get_ref()
                    ),
                );
                None
            }
        }
    }

    fn secret(&mut self, value: Spanned<String>, key: &'static str) -> Secret {
        let span = value.span();
        let name = value.into_inner();
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            self.problem(
                span.clone(),
                format!(
                    "{key} is the *name* of an environment variable (like COPYDESK_PASSWORD), \
                     not the secret itself"
                ),
            );
        }
        Secret {
            variable: name,
            place: self.place(span),
            key,
        }
    }

    fn duration(&mut self, value: Spanned<String>, zero_ok: bool) -> Option<Duration> {
        let span = value.span();
        match parse_duration(value.get_ref()) {
            Ok(d) if d.is_zero() && !zero_ok => {
                self.problem(span, "the duration must be longer than zero");
                None
            }
            Ok(d) => Some(d),
            Err(message) => {
                self.problem(span, message);
                None
            }
        }
    }
}

/// Parses durations like `10m`, `90s`, `1h30m`, `500ms`, `2d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "{text:?} is not a duration; write a number and a unit (ms, s, m, h, d), \
             e.g. \"10m\" or \"1h30m\""
        )
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit_ms: u64 = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        let ms = number.checked_mul(unit_ms).ok_or_else(bad)?;
        total = total
            .checked_add(Duration::from_millis(ms))
            .ok_or_else(bad)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[matrix]
homeserver_url = "http://127.0.0.1:8008"
user_id = "@copydesk:localhost"
password_env = "COPYDESK_PASSWORD"
data_dir = "state"
"#;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("conf/config.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let config = parse(MINIMAL).unwrap();
        assert_eq!(config.bot.prefix, "!");
        assert_eq!(config.bot.knowledge, None);
        assert_eq!(config.matrix.device_name, "copydesk");
        assert_eq!(config.matrix.data_dir, Path::new("conf/state"));
        assert_eq!(config.matrix.max_backlog_age, DEFAULT_MAX_BACKLOG_AGE);
        assert_eq!(config.rooms.default_mode, RoomMode::Commands);
        assert!(
            matches!(config.matrix.login, Login::Password(ref s) if s.variable == "COPYDESK_PASSWORD")
        );
    }

    #[test]
    fn the_example_config_is_valid() {
        let text = include_str!("../config.toml.example");
        let config = parse(text).unwrap();
        assert_eq!(config.rooms.default_mode, RoomMode::Commands);
        assert!(config.rooms.editors_room.is_some());
        assert!(!config.matrix.autojoin.users.is_empty());
    }

    #[test]
    fn operations_sections_have_defaults() {
        let config = parse(MINIMAL).unwrap();
        assert_eq!(config.ops, crate::operations::OpsSettings::default());
        assert!(!config.ops.metrics.enabled);
        assert!(config.ops.reload.watch);
        assert!(!config.ops.audit.include_text);
        assert_eq!(config.ops.feedback.demotion, None);
        let example = parse(include_str!("../config.toml.example")).unwrap();
        assert_eq!(
            example.ops.freshness.at,
            jiff::civil::Time::constant(9, 0, 0, 0)
        );
    }

    #[test]
    fn operations_sections_are_read() {
        let text = format!(
            "{MINIMAL}[log]\nformat = \"json\"\n\
             [reload]\nwatch = false\ndebounce = \"2s\"\n\
             [audit]\nmax_size_mb = 2\nkeep = 3\ninclude_text = true\n\
             [feedback]\ndemote_threshold = 0.75\ndemote_min_votes = 8\n\
             [freshness]\nat = \"07:30\"\n\
             [metrics]\nenabled = true\nlisten = \"127.0.0.1:9100\"\nmax_sync_age = \"5m\"\n"
        );
        let ops = parse(&text).unwrap().ops;
        assert_eq!(ops.log, crate::logging::LogFormat::Json);
        assert!(!ops.reload.watch);
        assert_eq!(ops.reload.debounce, Duration::from_secs(2));
        assert_eq!(ops.audit.max_size, 2 * 1024 * 1024);
        assert_eq!(ops.audit.keep, 3);
        assert!(ops.audit.include_text);
        assert_eq!(
            ops.feedback.demotion,
            Some(copydesk_core::feedback::DemotionPolicy {
                threshold: 0.75,
                min_votes: 8
            })
        );
        assert_eq!(ops.freshness.at, jiff::civil::Time::constant(7, 30, 0, 0));
        assert!(ops.metrics.enabled);
        assert_eq!(ops.metrics.listen.port(), 9100);
        assert_eq!(ops.metrics.max_sync_age, Duration::from_secs(300));
    }

    #[test]
    fn bad_operations_values_are_reported_with_their_places() {
        let text = format!(
            "{MINIMAL}[feedback]\ndemote_threshold = 1.5\n\
             [freshness]\nat = \"nine\"\n\
             [metrics]\nlisten = \"localhost\"\nmax_sync_age = \"10s\"\n\
             [audit]\nmax_size_mb = 0\n"
        );
        let error = parse(&text).unwrap_err();
        let lines: Vec<&str> = error.lines().collect();
        assert_eq!(lines.len(), 5, "{error}");
        assert!(
            lines[0].starts_with("conf/config.toml:8:20: demote_threshold"),
            "{error}"
        );
        assert!(
            lines[1].starts_with("conf/config.toml:10:6: \"nine\" is not a time"),
            "{error}"
        );
        assert!(
            lines[2].starts_with("conf/config.toml:12:10: \"localhost\" is not an address"),
            "{error}"
        );
        assert!(
            lines[3].starts_with("conf/config.toml:13:16: max_sync_age must be longer"),
            "{error}"
        );
        assert!(
            lines[4].starts_with("conf/config.toml:15:15: max_size_mb"),
            "{error}"
        );
        let typo = format!("{MINIMAL}[metrics]\nenable = true\n");
        assert!(
            parse(&typo)
                .unwrap_err()
                .starts_with("conf/config.toml:8:1: unknown field `enable`"),
            "{}",
            parse(&typo).unwrap_err()
        );
    }

    #[test]
    fn unknown_key_is_reported_with_its_place() {
        let text = MINIMAL.replace("data_dir", "data_dri");
        let error = parse(&text).unwrap_err();
        assert!(
            error.starts_with("conf/config.toml:6:1: unknown field `data_dri`"),
            "{error}"
        );
    }

    #[test]
    fn bad_values_are_all_reported_with_their_places() {
        let text = format!(
            "{MINIMAL}max_backlog_age = \"ten minutes\"\n\
             [matrix.autojoin]\nusers = [\"editor\"]\nservers = [\"bad server\"]\n\
             [rooms]\neditors_room = \"#newsroom:localhost\"\n\
             [rooms.mode]\n\"!ok:localhost\" = \"warn\"\n\"general\" = \"commands\"\n"
        );
        let error = parse(&text).unwrap_err();
        let lines: Vec<&str> = error.lines().collect();
        assert_eq!(lines.len(), 5, "{error}");
        assert!(lines[0].starts_with("conf/config.toml:7:19: \"ten minutes\" is not a duration"));
        assert!(lines[1].starts_with("conf/config.toml:9:10: \"editor\" is not a Matrix user id"));
        assert!(
            lines[2].starts_with("conf/config.toml:10:12: \"bad server\" is not a server name")
        );
        assert!(lines[3].contains("not an alias"), "{error}");
        assert!(lines[4].starts_with("conf/config.toml:15:1: \"general\" is not a Matrix room id"));
    }

    #[test]
    fn log_format_is_checked() {
        assert!(parse(&format!("{MINIMAL}[log]\nformat = \"json\"\n")).is_ok());
        let error = parse(&format!("{MINIMAL}[log]\nformat = \"xml\"\n")).unwrap_err();
        assert!(
            error.starts_with("conf/config.toml:8:10: unknown log format"),
            "{error}"
        );
    }

    #[test]
    fn unknown_mode_is_reported() {
        let text = format!("{MINIMAL}[rooms]\ndefault_mode = \"warm\"\n");
        let error = parse(&text).unwrap_err();
        assert!(
            error.starts_with("conf/config.toml:8:16: unknown variant `warm`"),
            "{error}"
        );
    }

    #[test]
    fn editors_mode_needs_an_editors_room() {
        let text = format!("{MINIMAL}[rooms.mode]\n\"!a:localhost\" = \"editors\"\n");
        let error = parse(&text).unwrap_err();
        assert!(
            error.contains("rooms.editors_room, which is not set"),
            "{error}"
        );
    }

    #[test]
    fn exactly_one_login_method() {
        let none = MINIMAL.replace("password_env = \"COPYDESK_PASSWORD\"\n", "");
        assert!(
            parse(&none)
                .unwrap_err()
                .contains("needs password_env or access_token_env")
        );
        let both = format!("{MINIMAL}access_token_env = \"TOKEN\"\n");
        assert!(parse(&both).unwrap_err().contains("not both"));
    }

    #[test]
    fn a_secret_in_place_of_a_variable_name_is_refused() {
        let text = MINIMAL.replace("COPYDESK_PASSWORD", "hunter2 is my password");
        let error = parse(&text).unwrap_err();
        assert!(error.contains("not the secret itself"), "{error}");
        assert!(
            !error.contains("hunter2"),
            "the error must not echo the secret: {error}"
        );
    }

    #[test]
    fn unset_secret_names_variable_and_key() {
        let text = MINIMAL.replace("COPYDESK_PASSWORD", "COPYDESK_TEST_SURELY_UNSET_VARIABLE");
        let config = parse(&text).unwrap();
        let Login::Password(secret) = config.matrix.login else {
            panic!("password login expected")
        };
        let error = secret.read().unwrap_err().to_string();
        assert_eq!(
            error,
            "conf/config.toml:5:16: password_env names the environment variable \
             COPYDESK_TEST_SURELY_UNSET_VARIABLE, which is not set"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        for bad in ["", "10", "m", "10 m", "1.5h", "10y", "-1s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn relative_paths_resolve_against_the_config_folder() {
        let text = MINIMAL.replace(
            "[matrix]",
            "[bot]\nknowledge = \"kb.toml\"\nlexicons = [\"/abs/lex.toml\"]\n[matrix]",
        );
        let config = parse(&text).unwrap();
        assert_eq!(
            config.bot.knowledge.as_deref(),
            Some(Path::new("conf/kb.toml"))
        );
        assert_eq!(config.bot.lexicons, vec![PathBuf::from("/abs/lex.toml")]);
    }

    #[test]
    fn model_keys_choose_the_file_threshold_or_rules_only() {
        let text = MINIMAL.replace(
            "[matrix]",
            "[bot]\nmodel = \"m.bin\"\nmodel_threshold = 0.6\n[matrix]",
        );
        let model = parse(&text).unwrap().bot.model;
        assert_eq!(model.path.as_deref(), Some(Path::new("conf/m.bin")));
        assert_eq!(model.threshold, Some(0.6));
        assert!(!model.no_model);

        let off = MINIMAL.replace("[matrix]", "[bot]\nuse_model = false\n[matrix]");
        assert!(parse(&off).unwrap().bot.model.no_model);
        assert!(!parse(MINIMAL).unwrap().bot.model.no_model);
    }

    #[test]
    fn model_threshold_outside_zero_to_one_is_reported_with_its_place() {
        let text = MINIMAL.replace("[matrix]", "[bot]\nmodel_threshold = 1.5\n[matrix]");
        let errors = parse(&text).unwrap_err().to_string();
        assert!(
            errors.contains(":3:19: model_threshold 1.5 must be between 0 and 1"),
            "{errors}"
        );
    }
}
