//! Whether the homeserver answers at all, and waiting until it answers again.
//!
//! A request that fails without an answer from the homeserver (the connection failed, or
//! a proxy in front of it answered 5xx) raises one question: is the homeserver away? One
//! cheap request, `GET /_matrix/client/versions`, tells. While it is away, that request
//! is repeated every [`PROBE_EVERY`], and the sync loop and every send waiting to retry
//! wake on its first answer: a restart of the homeserver delays the bot by the restart
//! and a fraction of a second, not by a back-off that grew while it was down.
//!
//! A homeserver that answers `/versions` but fails the request itself is overloaded or
//! broken, not away: that request backs off as before (`retry::delay_after`), so it is
//! not hammered.
//!
//! The log says it once each way: one WARN when the homeserver becomes unreachable and
//! one INFO when it answers again, with how long it was away. Each failed attempt in
//! between is only a debug line.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use matrix_sdk::reqwest::{self, Url};
use tokio::sync::watch;
use tokio::time::Instant;

use super::retry;

/// How often to ask an unreachable homeserver whether it is back.
pub const PROBE_EVERY: Duration = Duration::from_millis(250);
/// How long one probe may take: an answer slower than this is no answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The homeserver's reachability, shared by everything that talks to it.
#[derive(Clone)]
pub struct Reachability(Arc<Inner>);

struct Inner {
    versions: Url,
    http: reqwest::Client,
    /// `Some(since)` while the homeserver is unreachable.
    away: watch::Sender<Option<Instant>>,
}

impl Reachability {
    /// Reachability of the homeserver at `homeserver` (its base URL).
    pub fn new(homeserver: &Url) -> anyhow::Result<Reachability> {
        let versions = homeserver
            .join("_matrix/client/versions")
            .context("building the /versions address")?;
        let http = reqwest::Client::builder()
            .timeout(PROBE_TIMEOUT)
            // A pooled connection to the homeserver that went away fails the first probe
            // after it is back; a fresh connection per probe answers the question asked.
            .pool_max_idle_per_host(0)
            .build()
            .context("building the HTTP client for /versions")?;
        let (away, _) = watch::channel(None);
        Ok(Reachability(Arc::new(Inner {
            versions,
            http,
            away,
        })))
    }

    /// Whether the homeserver is known to be unreachable right now.
    pub fn is_away(&self) -> bool {
        self.0.away.borrow().is_some()
    }

    /// Waits until a request that failed with `error`, after `failures` failures before
    /// it, is worth sending again: the delay the server asked for (HTTP 429); else, when
    /// the homeserver is unreachable, until it answers again; else the back-off.
    pub async fn before_retry(&self, error: &matrix_sdk::Error, failures: u32) {
        if let Some(delay) = retry::retry_after(error) {
            tracing::warn!(?delay, "rate-limited by the homeserver; waiting");
            tokio::time::sleep(delay).await;
            return;
        }
        if !self.is_away() {
            match self.probe().await {
                Ok(()) => {
                    let delay = retry::backoff(failures);
                    tracing::warn!(%error, ?delay, "a request failed though the homeserver answers; retrying");
                    tokio::time::sleep(delay).await;
                    return;
                }
                Err(reason) => self.went_away(&reason),
            }
        }
        self.back().await;
    }

    /// Returns once the homeserver is not known to be unreachable.
    pub async fn back(&self) {
        let mut away = self.0.away.subscribe();
        // Only fails when the sender is gone, and `self` holds it.
        let _ = away.wait_for(Option::is_none).await;
    }

    /// Marks the homeserver unreachable and, if it was not already, says so and starts
    /// asking until it answers again.
    fn went_away(&self, reason: &str) {
        let since = Instant::now();
        let newly = self.0.away.send_if_modified(|away| match away {
            Some(_) => false,
            None => {
                *away = Some(since);
                true
            }
        });
        if newly {
            tracing::warn!(
                homeserver = %self.0.versions.origin().ascii_serialization(),
                reason,
                "the homeserver is unreachable; checking every {} ms until it answers",
                PROBE_EVERY.as_millis()
            );
            tokio::spawn(self.clone().probe_until_back(since));
        }
    }

    async fn probe_until_back(self, since: Instant) {
        loop {
            tokio::time::sleep(PROBE_EVERY).await;
            match self.probe().await {
                Ok(()) => break,
                Err(reason) => tracing::debug!(reason, "the homeserver is still unreachable"),
            }
        }
        self.0.away.send_replace(None);
        tracing::info!(
            away_ms = since.elapsed().as_millis() as u64,
            "the homeserver is reachable again"
        );
    }

    /// One `GET /_matrix/client/versions`: `Ok` when the homeserver answers 2xx, else why not.
    async fn probe(&self) -> Result<(), String> {
        match self.0.http.get(self.0.versions.clone()).send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => Err(format!("HTTP {}", response.status())),
            Err(error) => Err(causes(&error)),
        }
    }
}

/// An error with its causes, `outer: inner: …` (reqwest's own message leaves out why the
/// connection failed).
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    /// A port nothing listens on (bound once, then let go).
    async fn free_port() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    }

    /// A homeserver that answers every request with `status`, on `port`.
    async fn serve(port: u16, status: &'static str) -> tokio::task::JoinHandle<()> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let mut request = [0u8; 1024];
                    let _ = socket.read(&mut request).await;
                    let answer = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n\
                         content-length: 2\r\nconnection: close\r\n\r\n{{}}"
                    );
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        })
    }

    /// The error matrix-sdk gives when the connection to `port` fails.
    async fn connection_error(port: u16) -> matrix_sdk::Error {
        let error = reqwest::get(format!("http://127.0.0.1:{port}/"))
            .await
            .expect_err("nothing listens");
        matrix_sdk::Error::Http(Box::new(matrix_sdk::HttpError::Reqwest(error)))
    }

    fn at(port: u16) -> Reachability {
        Reachability::new(&Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn a_retry_waits_for_the_homeserver_and_goes_as_soon_as_it_answers() {
        let port = free_port().await;
        let reach = at(port);
        let error = connection_error(port).await;
        // Many failures: the back-off would now be 30 s.
        let waiting = tokio::spawn({
            let reach = reach.clone();
            async move { reach.before_retry(&error, 20).await }
        });
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert!(reach.is_away());
        assert!(!waiting.is_finished());

        let back = Instant::now();
        let _server = serve(port, "200 OK").await;
        tokio::time::timeout(Duration::from_secs(2), waiting)
            .await
            .expect("the retry goes once the homeserver answers")
            .unwrap();
        assert!(back.elapsed() < PROBE_EVERY + Duration::from_millis(500));
        assert!(!reach.is_away());
    }

    #[tokio::test]
    async fn a_homeserver_that_answers_versions_gets_the_back_off_instead() {
        let port = free_port().await;
        let error = connection_error(port).await;
        let _server = serve(port, "200 OK").await;
        let reach = at(port);
        let started = Instant::now();
        reach.before_retry(&error, 0).await;
        assert!(!reach.is_away());
        assert!(started.elapsed() >= retry::backoff(0));
    }

    #[tokio::test]
    async fn a_proxy_answering_502_counts_as_unreachable() {
        let port = free_port().await;
        let error = connection_error(port).await;
        let server = serve(port, "502 Bad Gateway").await;
        let reach = at(port);
        let waiting = tokio::spawn({
            let reach = reach.clone();
            async move { reach.before_retry(&error, 0).await }
        });
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(reach.is_away());
        assert!(!waiting.is_finished());
        server.abort();
        waiting.abort();
    }

    #[test]
    fn causes_are_joined() {
        let inner = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let outer = anyhow::Error::new(inner).context("connecting");
        assert_eq!(causes(outer.as_ref()), "connecting: refused");
    }
}
