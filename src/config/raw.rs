//! The configuration file as written: serde's view, with places (`Spanned`) kept for
//! the validator's errors.

use std::collections::BTreeMap;

use copydesk_core::admin::RoomMode;
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) bot: RawBot,
    pub(super) matrix: Option<Spanned<RawMatrix>>,
    pub(super) slack: Option<Spanned<RawSlack>>,
    #[serde(default)]
    pub(super) rooms: RawRooms,
    #[serde(default)]
    pub(super) log: RawLog,
    #[serde(default)]
    pub(super) reload: RawReload,
    #[serde(default)]
    pub(super) audit: RawAudit,
    #[serde(default)]
    pub(super) feedback: RawFeedback,
    #[serde(default)]
    pub(super) freshness: RawFreshness,
    #[serde(default)]
    pub(super) metrics: RawMetrics,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReload {
    pub(super) watch: Option<bool>,
    pub(super) debounce: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAudit {
    pub(super) enabled: Option<bool>,
    pub(super) max_size_mb: Option<Spanned<u64>>,
    pub(super) keep: Option<Spanned<u64>>,
    pub(super) include_text: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeedback {
    pub(super) enabled: Option<bool>,
    pub(super) demote_threshold: Option<Spanned<f64>>,
    pub(super) demote_min_votes: Option<Spanned<u64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFreshness {
    pub(super) enabled: Option<bool>,
    pub(super) at: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetrics {
    pub(super) enabled: Option<bool>,
    pub(super) listen: Option<Spanned<String>>,
    pub(super) max_sync_age: Option<Spanned<String>>,
}

/// `[log]` is read by `logging::configured_format` before the configuration proper (so
/// the first log lines have the right shape); here it is only validated.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLog {
    pub(super) format: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBot {
    pub(super) prefix: Option<Spanned<String>>,
    pub(super) knowledge: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) lexicons: Vec<Spanned<String>>,
    pub(super) model: Option<Spanned<String>>,
    pub(super) model_threshold: Option<Spanned<f64>>,
    pub(super) model_veto: Option<Spanned<f64>>,
    pub(super) use_model: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMatrix {
    pub(super) homeserver_url: Spanned<String>,
    pub(super) user_id: Spanned<String>,
    pub(super) password_env: Option<Spanned<String>>,
    pub(super) access_token_env: Option<Spanned<String>>,
    pub(super) device_name: Option<Spanned<String>>,
    pub(super) data_dir: Spanned<String>,
    pub(super) store_passphrase_env: Option<Spanned<String>>,
    pub(super) max_backlog_age: Option<Spanned<String>>,
    pub(super) sync_timeout: Option<Spanned<String>>,
    pub(super) room_key_wait: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) autojoin: RawAutojoin,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAutojoin {
    #[serde(default)]
    pub(super) users: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) servers: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRooms {
    pub(super) default_mode: Option<Spanned<RoomMode>>,
    pub(super) editors_room: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) editors: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) mode: BTreeMap<Spanned<String>, Spanned<RoomMode>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSlack {
    pub(super) app_token_env: Option<Spanned<String>>,
    pub(super) app_token_file: Option<Spanned<String>>,
    pub(super) bot_token_env: Option<Spanned<String>>,
    pub(super) bot_token_file: Option<Spanned<String>>,
    pub(super) api_url: Option<Spanned<String>>,
    pub(super) data_dir: Spanned<String>,
    #[serde(default)]
    pub(super) editors: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) editor_groups: Vec<Spanned<String>>,
    pub(super) editor_groups_refresh: Option<Spanned<String>>,
    pub(super) editors_channel: Option<Spanned<String>>,
    pub(super) reconnect_secs: Option<Spanned<u64>>,
    pub(super) default_mode: Option<Spanned<RoomMode>>,
    #[serde(default)]
    pub(super) mode: BTreeMap<Spanned<String>, Spanned<RoomMode>>,
}
