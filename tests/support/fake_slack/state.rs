//! The fake workspace's state: users, channels and their messages, ephemerals,
//! the call log and violations, Socket Mode tickets, connections and envelopes,
//! and the rate limits. One `Mutex<State>` guards it all; it is never held
//! across an `.await`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::validate::Fail;
use super::{ANN, BOT_USER, BotMessage, ED, EDITORS, EDITORS_GROUP, NEWS, OUTSIDE, STRANGER};

pub struct User {
    pub id: String,
    pub name: String,
    pub real_name: String,
    pub is_bot: bool,
}

pub struct Msg {
    pub ts: String,
    pub user: String,
    pub bot: bool,
    pub text: String,
    pub blocks: Value,
    pub thread_ts: Option<String>,
    pub deleted: bool,
    pub edits: usize,
    pub metadata: Value,
}

impl Msg {
    pub fn is_top_level(&self) -> bool {
        self.thread_ts.as_deref().is_none_or(|t| t == self.ts)
    }

    pub fn to_bot_message(&self) -> BotMessage {
        BotMessage {
            ts: self.ts.clone(),
            thread_ts: self.thread_ts.clone(),
            text: self.text.clone(),
            blocks: self.blocks.clone(),
            deleted: self.deleted,
            edits: self.edits,
            metadata: self.metadata.clone(),
        }
    }
}

pub struct Channel {
    pub id: String,
    pub name: String,
    pub created: u64,
    pub members: BTreeSet<String>,
    pub archived: bool,
    /// By ts: `"{secs:10}.{micros:06}"` sorts as text.
    pub messages: BTreeMap<String, Msg>,
}

impl Channel {
    pub fn bot_is_member(&self) -> bool {
        self.members.contains(BOT_USER)
    }

    /// The thread's author of `root`, when `root` is a top-level message here.
    pub fn parent_user(&self, root: Option<&str>) -> Option<String> {
        root.and_then(|r| self.messages.get(r))
            .map(|m| m.user.clone())
    }

    pub fn has_replies(&self, root: &str) -> bool {
        self.messages
            .values()
            .any(|m| m.thread_ts.as_deref() == Some(root) && m.ts != root)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Event,
    Slash,
}

pub struct Envelope {
    pub kind: Kind,
    pub event_id: Option<String>,
    pub frame: Value,
    pub retry_attempt: u32,
    /// Automatic (ack-timeout) redeliveries so far in this envelope's chain.
    pub auto_retries: u32,
    pub conn: Option<u64>,
    pub sent_at: Option<Instant>,
    pub acked_at: Option<Instant>,
}

/// What a connection task is told to do.
pub enum Cmd {
    Frame(String),
    /// A Close frame, then the end of the connection.
    Close,
    /// Drop the TCP connection without a Close frame.
    Drop,
}

pub struct Conn {
    pub tx: mpsc::UnboundedSender<Cmd>,
    /// A `disconnect` was sent: no new envelopes go to it.
    pub closing: bool,
}

pub struct CallRecord {
    pub method: String,
    pub args: Value,
    /// `ok`, an error code, or `ratelimited`.
    pub outcome: String,
}

pub struct State {
    pub ack_timeout: Duration,
    pub users: BTreeMap<String, User>,
    pub channels: BTreeMap<String, Channel>,
    pub usergroups: BTreeMap<String, Vec<String>>,
    /// Per user: (channel, message).
    pub ephemerals: BTreeMap<String, Vec<(String, Msg)>>,
    pub last_ts_micros: u64,
    pub next_id: u64,
    pub calls: Vec<CallRecord>,
    pub violations: Vec<String>,
    /// ticket → (issued, used)
    pub tickets: HashMap<String, (Instant, bool)>,
    pub conns: BTreeMap<u64, Conn>,
    pub next_conn: u64,
    pub rr: usize,
    pub envelopes: HashMap<String, Envelope>,
    /// Envelopes waiting for a connection, in order.
    pub pending: VecDeque<String>,
    /// event_id → (payload, deliveries so far)
    pub events: HashMap<String, (Value, u32)>,
    pub last_event: Option<String>,
    pub ack_latencies: Vec<Duration>,
    pub slash_waiters: HashMap<String, oneshot::Sender<Value>>,
    /// response_url path → uses
    pub response_urls: HashMap<String, usize>,
    pub responses: Vec<Value>,
    /// method → (429s left to answer, Retry-After seconds)
    pub scripts: HashMap<String, (usize, u64)>,
    /// method → successful calls left whose answer is lost (a 503 instead)
    pub lost_answers: HashMap<String, usize>,
    /// rate-limit key (`method` or `method#channel`) → no call before this
    pub not_before: HashMap<String, Instant>,
    /// chat.postMessage per channel: (tokens, last refill)
    pub buckets: HashMap<String, (f64, Instant)>,
    /// per-minute windows for chat.update / chat.delete / chat.postEphemeral
    pub windows: HashMap<String, VecDeque<Instant>>,
    pub fail_connections_open: usize,
    /// method → (calls left to fail, the error they get)
    pub failures: HashMap<String, (usize, &'static str)>,
}

/// Burst and steady rate of chat.postMessage per channel.
pub const POST_BURST: f64 = 3.0;
pub const POST_PER_SEC: f64 = 1.0;
/// A retry this much before Retry-After ran out is still early (clock and timer slack).
pub const EARLY_SLACK: Duration = Duration::from_millis(5);

pub fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl State {
    pub fn new(ack_timeout: Duration) -> State {
        let mut st = State {
            ack_timeout,
            users: BTreeMap::new(),
            channels: BTreeMap::new(),
            usergroups: BTreeMap::new(),
            ephemerals: BTreeMap::new(),
            last_ts_micros: 0,
            next_id: 1,
            calls: Vec::new(),
            violations: Vec::new(),
            tickets: HashMap::new(),
            conns: BTreeMap::new(),
            next_conn: 1,
            rr: 0,
            envelopes: HashMap::new(),
            pending: VecDeque::new(),
            events: HashMap::new(),
            last_event: None,
            ack_latencies: Vec::new(),
            slash_waiters: HashMap::new(),
            response_urls: HashMap::new(),
            responses: Vec::new(),
            scripts: HashMap::new(),
            lost_answers: HashMap::new(),
            not_before: HashMap::new(),
            buckets: HashMap::new(),
            windows: HashMap::new(),
            fail_connections_open: 0,
            failures: HashMap::new(),
        };
        for (id, name, real, bot) in [
            (BOT_USER, "copydesk", "copydesk", true),
            (ANN, "ann", "Ann Reporter", false),
            (ED, "ed", "Ed Itor", false),
            (STRANGER, "stranger", "Sam Stranger", false),
        ] {
            st.add_user(id, name, real, bot);
        }
        st.add_channel(NEWS, "newsroom", &[BOT_USER, ANN, ED]);
        st.add_channel(EDITORS, "editors", &[BOT_USER, ED]);
        st.add_channel(OUTSIDE, "outside", &[ANN, ED]);
        st.usergroups
            .insert(EDITORS_GROUP.to_string(), vec![ED.to_string()]);
        st
    }

    pub fn add_user(&mut self, id: &str, name: &str, real_name: &str, is_bot: bool) {
        let user = User {
            id: id.into(),
            name: name.into(),
            real_name: real_name.into(),
            is_bot,
        };
        self.users.insert(id.to_string(), user);
    }

    pub fn add_channel(&mut self, id: &str, name: &str, members: &[&str]) {
        let channel = Channel {
            id: id.into(),
            name: name.into(),
            created: 1_700_000_000,
            members: members.iter().map(|m| m.to_string()).collect(),
            archived: false,
            messages: BTreeMap::new(),
        };
        self.channels.insert(id.to_string(), channel);
    }

    /// The stable DM channel of `user` with the bot, created on first use.
    pub fn dm(&mut self, user: &str) -> String {
        let id = format!("D{}", user.trim_start_matches(['U', 'W']));
        if !self.channels.contains_key(&id) {
            self.add_channel(&id, "", &[BOT_USER, user]);
        }
        id
    }

    /// A fresh ts, strictly greater than every earlier one, near the wall clock.
    pub fn next_ts(&mut self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0);
        self.last_ts_micros = now.max(self.last_ts_micros + 1);
        format!(
            "{}.{:06}",
            self.last_ts_micros / 1_000_000,
            self.last_ts_micros % 1_000_000
        )
    }

    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A UUID-shaped envelope id.
    pub fn envelope_id(&mut self) -> String {
        let n = self.next_id();
        format!("{:08x}-fa4e-4000-8000-{:012x}", unix_secs() as u32, n)
    }

    pub fn violation(&mut self, what: impl Into<String>) {
        let what = what.into();
        eprintln!("fake slack: VIOLATION: {what}");
        self.violations.push(what);
    }

    /// A call to `key` before its Retry-After ran out: a violation, answered by
    /// another 429.
    pub fn check_not_before(&mut self, key: &str) -> Result<(), Fail> {
        if let Some(&until) = self.not_before.get(key) {
            let now = Instant::now();
            if now + EARLY_SLACK < until {
                let left = until - now;
                return Err(Fail::Early {
                    secs: left.as_secs_f64().ceil().max(1.0) as u64,
                    what: format!(
                        "{key} called {:.3}s before its Retry-After ran out",
                        left.as_secs_f64()
                    ),
                });
            }
        }
        Ok(())
    }

    /// The scripted 429s of `method` (see `FakeSlack::rate_limit`).
    pub fn scripted_429(&mut self, method: &str) -> Result<(), Fail> {
        if let Some((left, secs)) = self.scripts.get_mut(method)
            && *left > 0
        {
            *left -= 1;
            return Err(Fail::RateLimited {
                key: method.to_string(),
                secs: *secs,
            });
        }
        Ok(())
    }

    /// chat.postMessage's per-channel limit: a burst of 3, then 1 per second.
    /// Only posts that went through count (`take_post`); a full bucket answers 429.
    pub fn post_limit(&mut self, channel: &str) -> Result<(), Fail> {
        let key = format!("chat.postMessage#{channel}");
        self.check_not_before(&key)?;
        let now = Instant::now();
        let (tokens, last) = self
            .buckets
            .entry(channel.to_string())
            .or_insert((POST_BURST, now));
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * POST_PER_SEC).min(POST_BURST);
        *last = now;
        if *tokens >= 1.0 {
            Ok(())
        } else {
            let wait = (1.0 - *tokens) / POST_PER_SEC;
            Err(Fail::RateLimited {
                key,
                secs: wait.ceil().max(1.0) as u64,
            })
        }
    }

    /// Counts a post that went through against its channel's limit.
    pub fn take_post(&mut self, channel: &str) {
        if let Some((tokens, _)) = self.buckets.get_mut(channel) {
            *tokens -= 1.0;
        }
    }

    /// At most `per_minute` calls of `method` in any 60 s.
    pub fn window_limit(&mut self, method: &str, per_minute: usize) -> Result<(), Fail> {
        self.check_not_before(method)?;
        let now = Instant::now();
        let window = self.windows.entry(method.to_string()).or_default();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            window.pop_front();
        }
        if window.len() >= per_minute {
            let oldest = *window.front().expect("a full window has a first call");
            let wait = Duration::from_secs(60).saturating_sub(now.duration_since(oldest));
            return Err(Fail::RateLimited {
                key: method.into(),
                secs: wait.as_secs_f64().ceil().max(1.0) as u64,
            });
        }
        window.push_back(now);
        Ok(())
    }
}
