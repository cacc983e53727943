//! A strict fake Slack on loopback, for testing copydesk's Slack connector end
//! to end: the Web API methods the connector calls (hyper 1, http1) and Socket
//! Mode (tokio-tungstenite), pointed at by the connector's `api_url`.
//!
//! ```ignore
//! #[path = "support/fake_slack/mod.rs"]
//! mod fake_slack;
//! use fake_slack::*;
//!
//! let slack = FakeSlack::start().await;
//! // start the bot with api_url = slack.api_url(), tokens BOT_TOKEN / APP_TOKEN
//! slack.wait_until(Duration::from_secs(10), "bot connected", |s| s.connections() >= 1).await;
//! let ts = slack.post(ANN, NEWS, "<@UBOT> !context x", None).await;
//! slack.wait_until(T, "an answer in the thread", |s| s.bot_messages(NEWS).iter().any(|m| m.thread_ts.as_deref() == Some(&ts))).await;
//! slack.assert_no_violations();
//! ```
//!
//! It is strict: it checks tokens, bodies, arguments and Block Kit as Slack
//! does and answers with Slack's error codes; what real Slack would reject, or
//! where its behaviour is not known, is recorded in [`FakeSlack::violations`]
//! (and answered with an error). Every test should end with
//! [`FakeSlack::assert_no_violations`].
//!
//! The workspace: team `TFAKE`, app `AFAKE`, the bot `UBOT`/`BBOT`, people
//! [`ANN`] (a journalist), [`ED`] (an editor, also in user group
//! [`EDITORS_GROUP`]) and [`STRANGER`] (in no channel); channels [`NEWS`]
//! (bot, Ann, Ed), [`EDITORS`] (bot, Ed) and [`OUTSIDE`] (Ann, Ed; no bot).
//! Texts passed to [`FakeSlack::post`] are wire text: mentions as `<@U…>` and
//! typed `&`, `<`, `>` already escaped (see [`events::typed`]).
#![allow(dead_code)]

mod api;
pub mod client;
pub mod events;
mod methods;
mod people;
mod socket;
mod state;
pub mod validate;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use state::{Kind, Msg, State};

pub const BOT_TOKEN: &str = "xoxb-fake-bot";
pub const APP_TOKEN: &str = "xapp-fake-app";
pub const BOT_USER: &str = "UBOT";
pub const BOT_ID: &str = "BBOT";
pub const TEAM: &str = "TFAKE";
pub const APP_ID: &str = "AFAKE";
/// A journalist, in #newsroom and #outside.
pub const ANN: &str = "UANN";
/// An editor, in every channel and in [`EDITORS_GROUP`].
pub const ED: &str = "UED";
/// A person in no channel.
pub const STRANGER: &str = "USTRANGER";
/// #newsroom; the bot is a member.
pub const NEWS: &str = "CNEWS";
/// #editors; the bot is a member.
pub const EDITORS: &str = "CEDITORS";
/// #outside; the bot is not a member.
pub const OUTSIDE: &str = "COUTSIDE";
/// A user group containing [`ED`].
pub const EDITORS_GROUP: &str = "SEDITORS";
/// Slack's own ack deadline.
pub const DEFAULT_ACK_TIMEOUT: Duration = Duration::from_secs(3);

/// A message the bot posted (or an ephemeral it sent), as the fake stores it.
#[derive(Clone, Debug, PartialEq)]
pub struct BotMessage {
    pub ts: String,
    /// The thread's root for a reply, `None` for a top-level message.
    pub thread_ts: Option<String>,
    pub text: String,
    /// `Value::Null` when none were sent.
    pub blocks: Value,
    pub deleted: bool,
    /// How many chat.update calls changed it.
    pub edits: usize,
    /// The `metadata` posted with it (`Value::Null` if none).
    pub metadata: Value,
}

/// One Socket Mode envelope the fake sent.
#[derive(Clone, Debug)]
pub struct EnvelopeInfo {
    pub envelope_id: String,
    pub slash: bool,
    pub event_id: Option<String>,
    pub retry_attempt: u32,
    pub connection: Option<u64>,
    pub acked: bool,
}

pub struct Inner {
    state: Mutex<State>,
    pub api_addr: SocketAddr,
    pub ws_addr: SocketAddr,
    /// Counts answered Web API calls, so a waiter wakes when one may have changed
    /// the workspace instead of polling.
    calls_answered: tokio::sync::watch::Sender<u64>,
}

impl Inner {
    /// The state; a panic elsewhere while it was held does not poison it for
    /// the rest of the test.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn call_answered(&self) {
        self.calls_answered.send_modify(|n| *n += 1);
    }
}

pub struct FakeSlack {
    inner: Arc<Inner>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        socket::drop_all(&mut self.inner.lock());
    }
}

impl FakeSlack {
    /// Starts both listeners on 127.0.0.1:0, with Slack's 3 s ack timeout.
    pub async fn start() -> FakeSlack {
        Self::start_with_ack_timeout(DEFAULT_ACK_TIMEOUT).await
    }

    pub async fn start_with_ack_timeout(ack_timeout: Duration) -> FakeSlack {
        let api = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Web API");
        let ws = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Socket Mode");
        let inner = Arc::new(Inner {
            state: Mutex::new(State::new(ack_timeout)),
            api_addr: api.local_addr().expect("an address"),
            ws_addr: ws.local_addr().expect("an address"),
            calls_answered: tokio::sync::watch::Sender::new(0),
        });
        let tasks = vec![
            tokio::spawn(api::serve(api, inner.clone())),
            tokio::spawn(socket::serve(ws, inner.clone())),
        ];
        FakeSlack { inner, tasks }
    }

    fn st(&self) -> MutexGuard<'_, State> {
        self.inner.lock()
    }

    /// The Web API base, `http://127.0.0.1:P/api` (no trailing slash).
    pub fn api_url(&self) -> String {
        format!("http://{}/api", self.inner.api_addr)
    }

    /// The workspace URL auth.test reports, `http://127.0.0.1:P/`.
    pub fn workspace_url(&self) -> String {
        format!("http://{}/", self.inner.api_addr)
    }

    pub fn set_ack_timeout(&self, timeout: Duration) {
        self.st().ack_timeout = timeout;
    }

    /// The bot's messages in `channel` (deleted ones too), oldest first.
    pub fn bot_messages(&self, channel: &str) -> Vec<BotMessage> {
        let st = self.st();
        let Some(ch) = st.channels.get(channel) else {
            return Vec::new();
        };
        ch.messages
            .values()
            .filter(|m| m.bot)
            .map(Msg::to_bot_message)
            .collect()
    }

    /// Every message in `channel`, people's and the bot's: (user, message).
    pub fn messages(&self, channel: &str) -> Vec<(String, BotMessage)> {
        let st = self.st();
        let Some(ch) = st.channels.get(channel) else {
            return Vec::new();
        };
        ch.messages
            .values()
            .map(|m| (m.user.clone(), m.to_bot_message()))
            .collect()
    }

    /// The ephemeral messages `user` was shown, oldest first.
    pub fn ephemerals(&self, user: &str) -> Vec<BotMessage> {
        self.st()
            .ephemerals
            .get(user)
            .map(|v| v.iter().map(|(_, m)| m.to_bot_message()).collect())
            .unwrap_or_default()
    }

    /// The same, with the channel each was shown in.
    pub fn ephemerals_with_channel(&self, user: &str) -> Vec<(String, BotMessage)> {
        self.st()
            .ephemerals
            .get(user)
            .map(|v| {
                v.iter()
                    .map(|(c, m)| (c.clone(), m.to_bot_message()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The stable DM channel (`D…`) of `user` with the bot, as conversations.open gives it.
    pub fn dm(&self, user: &str) -> String {
        self.st().dm(user)
    }

    /// What was POSTed to slash commands' response_urls, in order.
    pub fn responses(&self) -> Vec<Value> {
        self.st().responses.clone()
    }

    /// Waits until `check` holds, looking again after every Web API call and at least
    /// every 10 ms; panics with `what` (and the violations so far) after `timeout`.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        what: &str,
        check: impl Fn(&FakeSlack) -> bool,
    ) {
        if !self.poll_until(timeout, check).await {
            panic!(
                "fake slack: timed out after {timeout:?} waiting for {what}; violations: {:?}",
                self.violations()
            );
        }
    }

    /// Like `wait_until`, but returns whether `check` came to hold.
    pub async fn poll_until(&self, timeout: Duration, check: impl Fn(&FakeSlack) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut calls = self.inner.calls_answered.subscribe();
        loop {
            calls.mark_unchanged();
            if check(self) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            let _ = tokio::time::timeout(Duration::from_millis(10), calls.changed()).await;
        }
    }

    /// The arguments of every call of `method` that got past auth and body
    /// parsing, in order (including those answered with an error or a 429).
    pub fn calls(&self, method: &str) -> Vec<Value> {
        self.st()
            .calls
            .iter()
            .filter(|c| c.method == method)
            .map(|c| c.args.clone())
            .collect()
    }

    /// Only the calls of `method` that were answered `ok`.
    pub fn calls_ok(&self, method: &str) -> Vec<Value> {
        self.st()
            .calls
            .iter()
            .filter(|c| c.method == method && c.outcome == "ok")
            .map(|c| c.args.clone())
            .collect()
    }

    /// The outcome of each call of `method`: `ok`, an error code, or `ratelimited`.
    pub fn outcomes(&self, method: &str) -> Vec<String> {
        self.st()
            .calls
            .iter()
            .filter(|c| c.method == method)
            .map(|c| c.outcome.clone())
            .collect()
    }

    pub fn violations(&self) -> Vec<String> {
        self.st().violations.clone()
    }

    /// The violations so far, clearing them (for tests that provoke some).
    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut self.st().violations)
    }

    pub fn assert_no_violations(&self) {
        let v = self.violations();
        assert!(
            v.is_empty(),
            "fake slack: {} protocol violation(s):\n  {}",
            v.len(),
            v.join("\n  ")
        );
    }

    /// Open Socket Mode connections that still receive envelopes (not the ones
    /// closing after a `disconnect`).
    pub fn connections(&self) -> usize {
        self.st().conns.values().filter(|c| !c.closing).count()
    }

    /// Every envelope sent so far, in no particular order.
    pub fn envelopes(&self) -> Vec<EnvelopeInfo> {
        let st = self.st();
        st.envelopes
            .iter()
            .map(|(id, e)| EnvelopeInfo {
                envelope_id: id.clone(),
                slash: e.kind == Kind::Slash,
                event_id: e.event_id.clone(),
                retry_attempt: e.retry_attempt,
                connection: e.conn,
                acked: e.acked_at.is_some(),
            })
            .collect()
    }

    /// The event_id of the last event emitted.
    pub fn last_event_id(&self) -> Option<String> {
        self.st().last_event.clone()
    }

    /// Redelivers the last event `n` times: new envelope ids, the same event_id,
    /// `retry_attempt` counting up, even if it was acked.
    pub async fn redeliver_last(&self, n: usize) {
        let event_id = self
            .last_event_id()
            .expect("fake slack: no event to redeliver");
        self.redeliver(&event_id, n).await;
    }

    pub async fn redeliver(&self, event_id: &str, n: usize) {
        let mut st = self.st();
        assert!(
            st.events.contains_key(event_id),
            "fake slack: unknown event {event_id}"
        );
        for _ in 0..n {
            let env = socket::new_event_envelope(&mut st, event_id, "timeout", 0);
            socket::deliver(&self.inner, &mut st, &env, None);
        }
    }

    /// Sends `disconnect` (`warning`, `refresh_requested`, `link_disabled`) on
    /// every connection, then closes them (after 2 s for `warning`, else 100 ms).
    pub async fn disconnect_all(&self, reason: &str) {
        socket::disconnect_all(&mut self.st(), reason);
    }

    /// Drops every Socket Mode TCP connection without a frame.
    pub fn drop_connections(&self) {
        socket::drop_all(&mut self.st());
    }

    /// The next `times` calls of `method` get HTTP 429, `Retry-After:
    /// retry_after_secs`, and no side effect; a call before that ran out is a
    /// violation.
    pub fn rate_limit(&self, method: &str, times: usize, retry_after_secs: u64) {
        self.st()
            .scripts
            .insert(method.to_string(), (times, retry_after_secs));
    }

    /// The next `n` successful calls of `method` take effect, but their answer is lost:
    /// the caller gets a 503, as from a gateway whose wait for Slack ran out.
    pub fn lose_answers(&self, method: &str, n: usize) {
        self.st().lost_answers.insert(method.to_string(), n);
    }

    /// The next `n` apps.connections.open calls fail with `internal_error`.
    pub fn fail_connections_open(&self, n: usize) {
        self.st().fail_connections_open = n;
    }

    /// Time from sending each acked envelope to its ack, in ack order.
    pub fn ack_latencies(&self) -> Vec<Duration> {
        self.st().ack_latencies.clone()
    }

    /// The bot leaves `channel`: its next post there gets `not_in_channel`.
    pub fn kick_bot(&self, channel: &str) {
        self.st()
            .channels
            .get_mut(channel)
            .expect("a known channel")
            .members
            .remove(BOT_USER);
    }

    pub fn invite_bot(&self, channel: &str) {
        self.st()
            .channels
            .get_mut(channel)
            .expect("a known channel")
            .members
            .insert(BOT_USER.into());
    }

    pub fn archive(&self, channel: &str) {
        self.st()
            .channels
            .get_mut(channel)
            .expect("a known channel")
            .archived = true;
    }

    pub fn add_user(&self, id: &str, name: &str) {
        self.st().add_user(id, name, name, false);
    }

    /// A new public channel with these members (add [`BOT_USER`] to let the bot in).
    pub fn add_channel(&self, id: &str, name: &str, members: &[&str]) {
        self.st().add_channel(id, name, members);
    }
}
