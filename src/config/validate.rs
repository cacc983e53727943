//! What serde cannot check: ids, URLs, durations, paths and the rules between keys,
//! every problem reported with its place.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use copydesk_core::Located;
use copydesk_core::admin::RoomMode;
use matrix_sdk::reqwest::Url;
use matrix_sdk::ruma::{OwnedRoomId, OwnedServerName, OwnedUserId};
use toml::Spanned;

use super::raw::{
    RawAudit, RawBot, RawConfig, RawFeedback, RawFreshness, RawMatrix, RawMetrics, RawReload,
    RawRooms,
};
use super::{
    Autojoin, BotConfig, Config, DEFAULT_DEMOTE_MIN_VOTES, DEFAULT_DEVICE_NAME,
    DEFAULT_MAX_BACKLOG_AGE, DEFAULT_PREFIX, DEFAULT_ROOM_KEY_WAIT, DEFAULT_SYNC_TIMEOUT, Login,
    MAX_ROOM_KEY_WAIT, MAX_SYNC_TIMEOUT, MatrixConfig, RoomsConfig, Secret,
};

pub(super) struct Validator<'a> {
    pub(super) origin: &'a str,
    pub(super) text: &'a str,
    pub(super) base: &'a Path,
    pub(super) problems: Vec<Located>,
}

impl Validator<'_> {
    pub(super) fn problem(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.problems
            .push(Located::at(self.origin, self.text, Some(span), message));
    }

    pub(super) fn place(&self, span: Range<usize>) -> String {
        let l = Located::at(self.origin, self.text, Some(span), "");
        format!("{}:{}:{}", l.origin, l.line, l.column)
    }

    pub(super) fn config(&mut self, path: &Path, raw: RawConfig) -> Option<Config> {
        let bot = self.bot(raw.bot);
        if raw.matrix.is_none() && raw.slack.is_none() {
            self.problem(
                0..0,
                "the configuration needs a [matrix] table, a [slack] table, or both: \
                 they say where the bot chats",
            );
        }
        let slack_dir = raw.slack.as_ref().map(|s| s.get_ref().data_dir.span());
        let matrix = raw.matrix.map(|m| self.matrix(m));
        let slack = raw.slack.map(|s| self.slack(s));
        if let (Some(Some(m)), Some(Some(s)), Some(span)) = (&matrix, &slack, slack_dir)
            && m.data_dir == s.data_dir
        {
            self.problem(
                span,
                "slack.data_dir must differ from matrix.data_dir: each connector keeps its \
                 own memory and settings",
            );
        }
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
        let sync_timeout = matrix
            .as_ref()
            .and_then(|m| m.as_ref().map(|m| m.sync_timeout));
        self.metrics(raw.metrics, &mut ops.metrics, sync_timeout);
        Some(Config {
            path: path.to_owned(),
            bot: bot?,
            matrix: match matrix {
                Some(m) => Some(m?),
                None => None,
            },
            rooms: rooms?,
            slack: match slack {
                Some(s) => Some(s?),
                None => None,
            },
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

    pub(super) fn path(&mut self, value: Spanned<String>) -> PathBuf {
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
        let room_key_wait = match raw.room_key_wait {
            None => DEFAULT_ROOM_KEY_WAIT,
            Some(d) => {
                let span = d.span();
                match self.duration(d, false) {
                    Some(t) if t > MAX_ROOM_KEY_WAIT => {
                        self.problem(span, "room_key_wait must be at most 1d");
                        DEFAULT_ROOM_KEY_WAIT
                    }
                    Some(t) => t,
                    None => DEFAULT_ROOM_KEY_WAIT,
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
            room_key_wait,
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
        let (default_mode, modes) = self.modes(
            raw.default_mode,
            raw.mode,
            Self::room_id,
            "rooms.editors_room",
            editors_room.is_some(),
        );
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

    /// A platform's default mode (`commands` when unset) and its per-room modes, each
    /// room read by `room`. `editors` mode needs a place for the warnings, set by
    /// `editors_key`: without it (`has_editors_place` false) every `editors` mode is a
    /// problem.
    pub(super) fn modes<Room: Ord>(
        &mut self,
        default_mode: Option<Spanned<RoomMode>>,
        per_room: BTreeMap<Spanned<String>, Spanned<RoomMode>>,
        mut room: impl FnMut(&mut Self, Spanned<String>) -> Option<Room>,
        editors_key: &str,
        has_editors_place: bool,
    ) -> (RoomMode, BTreeMap<Room, RoomMode>) {
        let mut editors_mode_spans = Vec::new();
        let mut note = |mode: &Spanned<RoomMode>| {
            if *mode.get_ref() == RoomMode::Editors {
                editors_mode_spans.push(mode.span());
            }
        };
        let default_mode = default_mode.map_or(RoomMode::Commands, |mode| {
            note(&mode);
            mode.into_inner()
        });
        let mut modes = BTreeMap::new();
        for (key, mode) in per_room {
            note(&mode);
            if let Some(key) = room(self, key) {
                modes.insert(key, mode.into_inner());
            }
        }
        if !has_editors_place {
            for span in editors_mode_spans {
                self.problem(
                    span,
                    format!("mode \"editors\" sends warnings to {editors_key}, which is not set"),
                );
            }
        }
        (default_mode, modes)
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

    pub(super) fn secret(&mut self, value: Spanned<String>, key: &'static str) -> Secret {
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
            file: None,
            place: self.place(span),
            key,
        }
    }

    pub(super) fn duration(&mut self, value: Spanned<String>, zero_ok: bool) -> Option<Duration> {
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
