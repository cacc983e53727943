//! `[slack]` validated: tokens from the environment or files, Slack ids, channel modes.

use toml::Spanned;

use super::raw::RawSlack;
use super::validate::Validator;
use super::{
    DEFAULT_EDITOR_GROUPS_REFRESH, DEFAULT_RECONNECT_SECS, DEFAULT_SLACK_API_URL, Secret,
    SlackConfig,
};

/// What a Slack id looks like: its first letters, and what it names (for errors).
struct IdKind {
    prefixes: &'static [char],
    what: &'static str,
    example: &'static str,
}

const USER: IdKind = IdKind {
    prefixes: &['U', 'W'],
    what: "Slack user id",
    example: "U012ABCDEF",
};
const GROUP: IdKind = IdKind {
    prefixes: &['S'],
    what: "Slack user-group id",
    example: "S012ABCDEF",
};
const CHANNEL: IdKind = IdKind {
    prefixes: &['C', 'G', 'D'],
    what: "Slack channel id",
    example: "C012ABCDEF",
};

/// Whether `id` is a Slack id of `kind`: its letter, then upper-case letters and digits.
pub fn is_slack_id(id: &str, prefixes: &[char]) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| prefixes.contains(&c))
        && id.len() >= 3
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

impl Validator<'_> {
    pub(super) fn slack(&mut self, raw: Spanned<RawSlack>) -> Option<SlackConfig> {
        let table = raw.span();
        let raw = raw.into_inner();
        let app_token = self.token(
            table.clone(),
            (raw.app_token_env, "app_token_env"),
            (raw.app_token_file, "app_token_file"),
            "the app-level token (xapp-…) that opens Socket Mode",
        );
        let bot_token = self.token(
            table,
            (raw.bot_token_env, "bot_token_env"),
            (raw.bot_token_file, "bot_token_file"),
            "the bot token (xoxb-…)",
        );
        let api_url = match raw.api_url {
            None => DEFAULT_SLACK_API_URL.to_owned(),
            Some(url) => {
                let text = url.get_ref().trim().trim_end_matches('/').to_owned();
                match matrix_sdk::reqwest::Url::parse(&text) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => {}
                    _ => self.problem(
                        url.span(),
                        "api_url must be an http:// or https:// URL like \"https://slack.com/api\"",
                    ),
                }
                text
            }
        };
        let data_dir = self.path(raw.data_dir);
        let editors = raw
            .editors
            .into_iter()
            .filter_map(|u| self.slack_id(u, &USER))
            .collect();
        let editor_groups = raw
            .editor_groups
            .into_iter()
            .filter_map(|g| self.slack_id(g, &GROUP))
            .collect();
        let editor_groups_refresh = raw
            .editor_groups_refresh
            .and_then(|d| self.duration(d, false))
            .unwrap_or(DEFAULT_EDITOR_GROUPS_REFRESH);
        let editors_channel = raw.editors_channel.and_then(|c| self.slack_id(c, &CHANNEL));
        let reconnect_secs = match raw.reconnect_secs {
            Some(secs) if *secs.get_ref() == 0 => {
                self.problem(
                    secs.span(),
                    "reconnect_secs must be at least 1 (seconds between attempts to open a \
                     Socket Mode connection)",
                );
                DEFAULT_RECONNECT_SECS
            }
            Some(secs) => secs.into_inner(),
            None => DEFAULT_RECONNECT_SECS,
        };
        let (default_mode, modes) = self.modes(
            raw.default_mode,
            raw.mode,
            |v, channel| v.slack_id(channel, &CHANNEL),
            "slack.editors_channel",
            editors_channel.is_some(),
        );
        Some(SlackConfig {
            app_token: app_token?,
            bot_token: bot_token?,
            api_url,
            data_dir,
            editors,
            editor_groups,
            editor_groups_refresh,
            editors_channel,
            reconnect_secs,
            default_mode,
            modes,
        })
    }

    /// A token named by exactly one of `…_env` and `…_file`.
    fn token(
        &mut self,
        table: std::ops::Range<usize>,
        env: (Option<Spanned<String>>, &'static str),
        file: (Option<Spanned<String>>, &'static str),
        what: &str,
    ) -> Option<Secret> {
        match (env.0, file.0) {
            (Some(variable), None) => Some(self.secret(variable, env.1)),
            (None, Some(path)) => {
                let place = self.place(path.span());
                let path = self.path(path);
                Some(Secret {
                    variable: path.display().to_string(),
                    file: Some(path),
                    place,
                    key: file.1,
                })
            }
            (Some(_), Some(path)) => {
                self.problem(
                    path.span(),
                    format!("set either {} or {}, not both", env.1, file.1),
                );
                None
            }
            (None, None) => {
                self.problem(
                    table,
                    format!(
                        "[slack] needs {} (the name of an environment variable) or {} (a \
                         file) holding {what}",
                        env.1, file.1
                    ),
                );
                None
            }
        }
    }

    fn slack_id(&mut self, value: Spanned<String>, kind: &IdKind) -> Option<String> {
        let id = value.get_ref().trim();
        if is_slack_id(id, kind.prefixes) {
            return Some(id.to_owned());
        }
        let hint = if id.starts_with('#') || id.starts_with('@') {
            " (use the id, not the name: Slack shows it under the channel's or profile's \
             \"Copy … ID\")"
        } else {
            ""
        };
        let message = format!(
            "{:?} is not a {} like \"{}\"{hint}",
            value.get_ref(),
            kind.what,
            kind.example
        );
        self.problem(value.span(), message);
        None
    }
}
