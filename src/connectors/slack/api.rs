//! The Web API as the connector uses it: a slack-morphism client pointed at `api_url`,
//! and one small method per Slack method, each paced and retried (`super::pace`).
//!
//! Requests and answers are plain JSON values: the bot needs few fields of each, and
//! Block Kit blocks come ready-made from the core's renderer.
//!
//! Protocol trap: slack-morphism's default connector accepts `https` only. The connector
//! is built here so that a test fake or a proxy on plain `http` works too; with an
//! `http` base no system certificates are needed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use copydesk_core::reply::SlackMessage;
use hyper_rustls::ConfigBuilderExt as _;
use serde_json::{Value, json};
use slack_morphism::prelude::*;

use super::pace::{CallResult, Pace, Retry, retry_after};
use crate::lifecycle::Once;

/// The metadata `event_type` on everything the bot posts with `chat.postMessage`, with
/// the action's id as its key: when Slack's answer to a post is lost (a timeout, a 5xx
/// after Slack may have acted), or the bot stopped before it recorded the post, the post
/// is looked for by its key before it is sent again, so that it never appears twice.
const POST_MARK: &str = "copydesk_post";

pub type Client = SlackClient<SlackClientHyperHttpsConnector>;

/// A client for the Web API at `api_url` (no trailing `/`).
pub fn client(api_url: &str) -> anyhow::Result<Arc<Client>> {
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    // The builder's connector leaves Nagle on, which adds up to 40 ms to small requests.
    http.set_nodelay(true);
    let builder = rustls::ClientConfig::builder();
    let tls = if api_url.starts_with("http://") {
        builder
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
    } else {
        builder
            .with_native_roots()
            .context("reading the system's CA certificates for https")?
            .with_no_client_auth()
    };
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    let connector = SlackClientHyperConnector::from(https).with_slack_api_url(api_url);
    Ok(Arc::new(SlackClient::new(connector)))
}

/// The bot's side of the Web API: its client, its token and the pacing of its calls.
pub struct Api {
    pub client: Arc<Client>,
    pub token: SlackApiToken,
    pub pace: Pace,
}

impl Api {
    pub fn new(client: Arc<Client>, token: &str) -> Api {
        Api {
            client,
            token: SlackApiToken::new(SlackApiTokenValue::from(token.to_owned())),
            pace: Pace::default(),
        }
    }

    /// A write method (JSON body), paced for `channel`.
    pub async fn post_in(
        &self,
        channel: &str,
        method: &'static str,
        body: &Value,
    ) -> anyhow::Result<Value> {
        self.pace
            .in_channel(channel, method, || async {
                let session = self.client.open_session(&self.token);
                session.http_session_api.http_post(method, body, None).await
            })
            .await
    }

    /// A write method not tied to one channel's pace (`conversations.open`).
    pub async fn post(&self, method: &'static str, body: &Value) -> anyhow::Result<Value> {
        self.pace
            .retrying(method, || async {
                let session = self.client.open_session(&self.token);
                session.http_session_api.http_post(method, body, None).await
            })
            .await
    }

    /// A read method (query parameters).
    pub async fn get(
        &self,
        method: &'static str,
        params: &[(&str, &str)],
    ) -> anyhow::Result<Value> {
        let params: Vec<(&str, Option<&str>)> =
            params.iter().map(|(k, v)| (*k, Some(*v))).collect();
        self.pace
            .retrying(method, || async {
                let session = self.client.open_session(&self.token);
                session
                    .http_session_api
                    .http_get(method, &params, None)
                    .await
            })
            .await
    }

    /// `auth.test`: who the bot is.
    pub async fn auth_test(&self) -> anyhow::Result<Identity> {
        let answer = self.get("auth.test", &[]).await?;
        let text = |key: &str| answer[key].as_str().map(str::to_owned);
        Ok(Identity {
            user_id: text("user_id").context("auth.test gave no user_id")?,
            team_url: text("url").unwrap_or_default(),
        })
    }

    /// `chat.postMessage`, in a thread when `thread_ts` is given, marked with the
    /// action's id; looked for first when an earlier attempt may have posted it. Returns
    /// the new message's ts.
    pub async fn post_message(
        &self,
        channel: &str,
        thread_ts: Option<&str>,
        rendered: &SlackMessage,
        once: &Once,
    ) -> anyhow::Result<String> {
        let key = once.id.as_str();
        let mut body = json!({
            "channel": channel,
            "text": rendered.text,
            "blocks": rendered.blocks,
            "unfurl_links": false,
            "unfurl_media": false,
            "metadata": { "event_type": POST_MARK, "event_payload": { "key": key } },
        });
        if let Some(ts) = thread_ts {
            body["thread_ts"] = json!(ts);
        }
        // Set while an attempt (this one's, or one before a restart) may have posted.
        let maybe_posted = AtomicBool::new(once.again);
        let answer = self
            .pace
            .in_channel(channel, "chat.postMessage", || async {
                if maybe_posted.load(Ordering::Relaxed)
                    && let Some(ts) = self.find_post(channel, thread_ts, key).await?
                {
                    tracing::info!(channel, ts, "an earlier attempt had posted; not again");
                    return Ok(json!({ "ts": ts }));
                }
                let session = self.client.open_session(&self.token);
                let result = session
                    .http_session_api
                    .http_post("chat.postMessage", &body, None)
                    .await;
                if let Err(error) = &result
                    && retry_after(error) == Retry::Transient
                {
                    maybe_posted.store(true, Ordering::Relaxed);
                }
                result
            })
            .await?;
        answer["ts"]
            .as_str()
            .map(str::to_owned)
            .context("chat.postMessage gave no ts")
    }

    /// The ts of the bot's post marked `key` in the thread of `thread_ts`, or among the
    /// channel's latest messages for a top-level post.
    async fn find_post(
        &self,
        channel: &str,
        thread_ts: Option<&str>,
        key: &str,
    ) -> CallResult<Option<String>> {
        let session = self.client.open_session(&self.token);
        let answer: Value = match thread_ts {
            Some(ts) => {
                let params = [
                    ("channel", Some(channel)),
                    ("ts", Some(ts)),
                    ("include_all_metadata", Some("true")),
                ];
                session
                    .http_session_api
                    .http_get("conversations.replies", &params, None)
                    .await?
            }
            None => {
                let params = [
                    ("channel", Some(channel)),
                    ("limit", Some("50")),
                    ("include_all_metadata", Some("true")),
                ];
                session
                    .http_session_api
                    .http_get("conversations.history", &params, None)
                    .await?
            }
        };
        let marked = |m: &&Value| {
            m["metadata"]["event_type"] == POST_MARK && m["metadata"]["event_payload"]["key"] == key
        };
        Ok(answer["messages"]
            .as_array()
            .and_then(|messages| messages.iter().find(marked))
            .and_then(|m| m["ts"].as_str())
            .map(str::to_owned))
    }

    /// `chat.postEphemeral` to `user`, in a thread when `thread_ts` is given.
    pub async fn post_ephemeral(
        &self,
        channel: &str,
        user: &str,
        thread_ts: Option<&str>,
        rendered: &SlackMessage,
    ) -> anyhow::Result<String> {
        let mut body = json!({
            "channel": channel,
            "user": user,
            "text": rendered.text,
            "blocks": rendered.blocks,
        });
        if let Some(ts) = thread_ts {
            body["thread_ts"] = json!(ts);
        }
        let answer = self.post_in(channel, "chat.postEphemeral", &body).await?;
        Ok(answer["message_ts"].as_str().unwrap_or_default().to_owned())
    }

    /// `chat.update` of the bot's message `ts`.
    pub async fn update(
        &self,
        channel: &str,
        ts: &str,
        rendered: &SlackMessage,
    ) -> anyhow::Result<()> {
        let body = json!({
            "channel": channel,
            "ts": ts,
            "text": rendered.text,
            "blocks": rendered.blocks,
        });
        self.post_in(channel, "chat.update", &body).await.map(drop)
    }

    /// `chat.delete` of the bot's message `ts`; one that is gone already counts as done.
    pub async fn delete(&self, channel: &str, ts: &str) -> anyhow::Result<()> {
        let body = json!({ "channel": channel, "ts": ts });
        match self.post_in(channel, "chat.delete", &body).await {
            Err(error) if super::pace::api_code(&error) == Some("message_not_found") => Ok(()),
            other => other.map(drop),
        }
    }

    /// `conversations.open` with `user`: the id of the bot's direct-message channel.
    pub async fn open_dm(&self, user: &str) -> anyhow::Result<String> {
        let answer = self
            .post("conversations.open", &json!({ "users": user }))
            .await?;
        answer["channel"]["id"]
            .as_str()
            .map(str::to_owned)
            .context("conversations.open gave no channel id")
    }

    /// `chat.getPermalink`.
    pub async fn permalink(&self, channel: &str, ts: &str) -> anyhow::Result<String> {
        let answer = self
            .get(
                "chat.getPermalink",
                &[("channel", channel), ("message_ts", ts)],
            )
            .await?;
        answer["permalink"]
            .as_str()
            .map(str::to_owned)
            .context("chat.getPermalink gave no permalink")
    }

    /// `conversations.info`: the channel's name, when it has one.
    pub async fn channel_name(&self, channel: &str) -> anyhow::Result<Option<String>> {
        let answer = self
            .get("conversations.info", &[("channel", channel)])
            .await?;
        Ok(answer["channel"]["name"].as_str().map(str::to_owned))
    }

    /// `conversations.replies` with limit 1: the root of the thread `ts` is in.
    pub async fn thread_of(&self, channel: &str, ts: &str) -> anyhow::Result<Option<String>> {
        let answer = self
            .get(
                "conversations.replies",
                &[("channel", channel), ("ts", ts), ("limit", "1")],
            )
            .await?;
        let root = &answer["messages"][0];
        Ok(root["thread_ts"]
            .as_str()
            .or_else(|| root["ts"].as_str())
            .map(str::to_owned))
    }

    /// `usergroups.users.list`: the members of a user group.
    pub async fn group_members(&self, group: &str) -> anyhow::Result<Vec<String>> {
        let answer = self
            .get("usergroups.users.list", &[("usergroup", group)])
            .await?;
        Ok(answer["users"]
            .as_array()
            .map(|users| {
                users
                    .iter()
                    .filter_map(|u| u.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// Who the bot is in the workspace (`auth.test`).
#[derive(Debug, Clone)]
pub struct Identity {
    pub user_id: String,
    /// `https://team.slack.com/`, for permalinks built by hand.
    pub team_url: String,
}
