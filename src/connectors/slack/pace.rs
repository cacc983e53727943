//! Pacing and retrying Web API calls: about one message per second per channel, in the
//! order they were asked for, and every 429's `Retry-After` honoured before the same
//! method is called again. Nothing is dropped for being slow: a rate-limited call waits
//! and is sent again (a 429 means Slack did nothing), however long the storm lasts.
//!
//! Protocol trap: slack-morphism's own rate control would space `chat.postMessage` out
//! across the whole workspace (one a second in all), and without it a 429 surfaces as
//! `RateLimitError` with no retry; so the connector paces by channel itself, here.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use slack_morphism::errors::{SlackClientError, SlackClientHttpProtocolError};
use tokio::time::Instant;

use crate::operations::lock;

/// The gap between two messages to one channel (Slack allows about one a second).
pub const PER_CHANNEL: Duration = Duration::from_secs(1);
/// How long to keep retrying a call that fails for reasons other than a rate limit
/// (the network, a 5xx) before giving up on it.
const PATIENCE: Duration = Duration::from_secs(120);
/// How long one call may take before it counts as failed (and is retried like a 5xx).
const CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// The wait after a 429 that names no `Retry-After`, or `Retry-After: 0` (which would
/// make a busy loop).
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Slack errors that say Slack itself failed: worth another try. Every other error
/// (`not_in_channel`, `msg_too_long`, `invalid_blocks`, …) no retry can fix.
const TRANSIENT: &[&str] = &[
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
];

/// The pacing state shared by every call of one bot.
pub struct Pace {
    /// The gap between two messages to one channel.
    gap: Duration,
    /// Per channel: a queue (a fair lock, taken in the order calls arrive) and the
    /// earliest time its next message may go.
    channels: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Instant>>>>,
    /// Per method: no call before this time (after a 429).
    not_before: Mutex<HashMap<&'static str, Instant>>,
}

/// The outcome of a call: slack-morphism's error, kept for its code.
pub type CallResult<T> = Result<T, SlackClientError>;

impl Default for Pace {
    fn default() -> Pace {
        Pace::new(PER_CHANNEL)
    }
}

impl Pace {
    /// Pacing with `gap` between two messages to one channel.
    pub fn new(gap: Duration) -> Pace {
        Pace {
            gap,
            channels: Mutex::default(),
            not_before: Mutex::default(),
        }
    }

    /// Calls `call` (a request to `method`) for `channel` in its turn: after the
    /// channel's previous message by at least the gap, retried after 429s and
    /// transient failures.
    pub async fn in_channel<T, F, Fut>(
        &self,
        channel: &str,
        method: &'static str,
        call: F,
    ) -> anyhow::Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = CallResult<T>>,
    {
        let slot = {
            let mut channels = lock(&self.channels);
            channels
                .entry(channel.to_owned())
                .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(Instant::now())))
                .clone()
        };
        // Held until the call is done: the channel's next message waits its turn.
        let mut next_free = slot.lock().await;
        tokio::time::sleep_until(*next_free).await;
        let result = self.retrying(method, call).await;
        *next_free = Instant::now() + self.gap;
        result
    }

    /// Calls `call` (a request to `method`), retried after 429s (every time, as long as
    /// it takes) and transient failures (for a while).
    pub async fn retrying<T, F, Fut>(&self, method: &'static str, call: F) -> anyhow::Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = CallResult<T>>,
    {
        let deadline = Instant::now() + PATIENCE;
        let mut failures: u32 = 0;
        loop {
            let wait = lock(&self.not_before).get(method).copied();
            if let Some(wait) = wait {
                tokio::time::sleep_until(wait).await;
            }
            let error = match tokio::time::timeout(CALL_TIMEOUT, call()).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(error)) => error,
                Err(elapsed) => SlackClientError::HttpProtocolError(
                    SlackClientHttpProtocolError::new().with_cause(Box::new(elapsed)),
                ),
            };
            match retry_after(&error) {
                Retry::RateLimited(after) => {
                    tracing::info!(
                        method,
                        after_ms = after.as_millis() as u64,
                        "rate limited; waiting"
                    );
                    let until = Instant::now() + after;
                    let mut not_before = lock(&self.not_before);
                    let entry = not_before.entry(method).or_insert(until);
                    *entry = (*entry).max(until);
                }
                Retry::Transient if Instant::now() < deadline => {
                    let delay = backoff(failures);
                    tracing::warn!(method, %error, ?delay, "the call failed; retrying");
                    failures += 1;
                    tokio::time::sleep(delay).await;
                }
                Retry::Transient | Retry::Never => {
                    return Err(anyhow::Error::new(error).context(format!("{method} failed")));
                }
            }
        }
    }
}

/// What to do after an error.
#[derive(Debug, PartialEq, Eq)]
pub enum Retry {
    /// A 429: the same call after this long.
    RateLimited(Duration),
    /// The network or Slack itself: again after a back-off, for a while.
    Transient,
    /// A Slack error no retry fixes.
    Never,
}

pub fn retry_after(error: &SlackClientError) -> Retry {
    match error {
        SlackClientError::RateLimitError(limit) => Retry::RateLimited(
            limit
                .retry_after
                .filter(|after| !after.is_zero())
                .unwrap_or(DEFAULT_RETRY_AFTER),
        ),
        SlackClientError::ApiError(api) if api.code == "ratelimited" => {
            Retry::RateLimited(DEFAULT_RETRY_AFTER)
        }
        SlackClientError::ApiError(api) if TRANSIENT.contains(&api.code.as_str()) => {
            Retry::Transient
        }
        SlackClientError::ApiError(_) => Retry::Never,
        SlackClientError::HttpError(http) if http.status_code.is_server_error() => Retry::Transient,
        SlackClientError::HttpError(_) => Retry::Never,
        SlackClientError::HttpProtocolError(_)
        | SlackClientError::EndOfStream(_)
        | SlackClientError::SocketModeProtocolError(_) => Retry::Transient,
        SlackClientError::SystemError(_) | SlackClientError::ProtocolError(_) => Retry::Never,
    }
}

/// The Slack error code in `error`, if it is an API error.
pub fn api_code(error: &anyhow::Error) -> Option<&str> {
    error
        .chain()
        .find_map(|cause| match cause.downcast_ref::<SlackClientError>() {
            Some(SlackClientError::ApiError(api)) => Some(api.code.as_str()),
            _ => None,
        })
}

/// 1 s, 2 s, 4 s, … up to 30 s.
fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.min(5)).min(Duration::from_secs(30))
}

#[cfg(test)]
mod tests {
    use super::*;
    use slack_morphism::errors::{SlackClientApiError, SlackRateLimitError};
    use std::sync::atomic::{AtomicU32, Ordering};

    fn rate_limited(ms: u64) -> SlackClientError {
        SlackClientError::RateLimitError(
            SlackRateLimitError::new().with_retry_after(Duration::from_millis(ms)),
        )
    }

    fn api(code: &str) -> SlackClientError {
        SlackClientError::ApiError(SlackClientApiError::new(code.to_owned()))
    }

    #[test]
    fn errors_are_sorted_into_wait_retry_and_give_up() {
        assert_eq!(
            retry_after(&rate_limited(3)),
            Retry::RateLimited(Duration::from_millis(3))
        );
        assert_eq!(
            retry_after(&rate_limited(0)),
            Retry::RateLimited(DEFAULT_RETRY_AFTER)
        );
        assert_eq!(retry_after(&api("not_in_channel")), Retry::Never);
        assert_eq!(retry_after(&api("msg_too_long")), Retry::Never);
        assert_eq!(retry_after(&api("internal_error")), Retry::Transient);
        let anyhow = anyhow::Error::new(api("user_not_in_channel")).context("x failed");
        assert_eq!(api_code(&anyhow), Some("user_not_in_channel"));
    }

    /// Tests pace at a tenth of a second rather than Slack's second.
    const GAP: Duration = Duration::from_millis(100);

    #[tokio::test]
    async fn a_rate_limited_call_waits_retry_after_and_is_sent_again() {
        let pace = Pace::new(GAP);
        let calls = AtomicU32::new(0);
        let started = Instant::now();
        let value = pace
            .in_channel("C1", "chat.postMessage", || async {
                match calls.fetch_add(1, Ordering::SeqCst) {
                    0..3 => Err(rate_limited(200)),
                    n => Ok(n),
                }
            })
            .await
            .unwrap();
        assert_eq!(value, 3, "sent again until it went through, never dropped");
        assert!(
            started.elapsed() >= Duration::from_millis(600),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn one_channel_gets_one_message_per_gap_others_do_not_wait() {
        let pace = Arc::new(Pace::new(GAP));
        let started = Instant::now();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (n, channel) in ["C1", "C1", "C1", "C2"].into_iter().enumerate() {
            let (pace, sent) = (pace.clone(), sent.clone());
            tasks.push(tokio::spawn(async move {
                pace.in_channel(channel, "chat.postMessage", || async {
                    sent.lock()
                        .unwrap()
                        .push((n, started.elapsed().as_millis() as u64));
                    Ok::<_, SlackClientError>(())
                })
                .await
                .unwrap();
            }));
            tokio::task::yield_now().await;
        }
        for task in tasks {
            task.await.unwrap();
        }
        let sent = sent.lock().unwrap().clone();
        let at = |n: usize| sent.iter().find(|(m, _)| *m == n).unwrap().1;
        assert!(
            at(0) < 50,
            "the first message to a channel goes at once: {sent:?}"
        );
        assert!(at(1) >= 100 && at(2) >= 200, "{sent:?}");
        assert!(at(3) < 50, "another channel does not wait: {sent:?}");
        let order: Vec<usize> = sent
            .iter()
            .filter(|(n, _)| *n < 3)
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(order, [0, 1, 2], "in the order asked");
    }

    #[tokio::test]
    async fn a_permanent_error_is_returned_at_once() {
        let pace = Pace::new(GAP);
        let error = pace
            .retrying("chat.postMessage", || async {
                Err::<(), _>(api("not_in_channel"))
            })
            .await
            .unwrap_err();
        assert_eq!(api_code(&error), Some("not_in_channel"));
    }
}
