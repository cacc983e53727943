//! Metrics and health over HTTP: an optional listener (`[metrics]`, on 127.0.0.1 by
//! default) serving `/healthz` and Prometheus' `/metrics`.
//!
//! * `/healthz` answers 200 while every connector in the process is healthy, and 503
//!   otherwise, with one line per connector saying why. Matrix is healthy while its last
//!   successful sync is recent (younger than `max_sync_age`): not before the first sync,
//!   nor while the homeserver cannot be reached. Slack is healthy while at least one
//!   Socket Mode connection is open (its `hello` received): not before the first, nor
//!   while all are down. A socket, unlike a sync, says when it ends, so Slack's health
//!   needs no clock.
//! * `/metrics`: messages checked, warnings by verdict, commands by name and feedback
//!   votes, each by `platform` (`matrix`, `slack`); reloads by outcome, the check latency
//!   histogram, Matrix's sync lag, Slack's open Socket Mode connections, and the
//!   knowledge file version serving (`copydesk_knowledge_info{version="…"} 1`).
//!
//! One [`Metrics`] serves the whole process: with Matrix and Slack in one process both
//! count into it, and one listener shows both. The counters go to a
//! `metrics-exporter-prometheus` recorder it owns rather than the process-wide one, so
//! tests each have their own. The listener is a few lines of hyper: two read-only routes
//! do not need a web framework.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use metrics::{
    Counter, Gauge, Histogram, Key, KeyName, Label, Level, Metadata, Recorder as _, SharedString,
    Unit,
};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use tokio::net::TcpListener;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:9464";
/// `/healthz` fails when the last successful sync is older than this by default.
pub const DEFAULT_MAX_SYNC_AGE: Duration = Duration::from_secs(120);
/// Check latency buckets, in seconds: a check takes well under a millisecond; anything
/// near a second is a problem worth seeing.
const CHECK_BUCKETS: [f64; 10] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0,
];

const METADATA: Metadata<'static> = Metadata::new("copydesk", Level::INFO, Some("copydesk"));

/// `[metrics]` in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsSettings {
    /// Serve `/healthz` and `/metrics`.
    pub enabled: bool,
    pub listen: SocketAddr,
    /// `/healthz` fails when the last successful sync is older than this.
    pub max_sync_age: Duration,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            enabled: false,
            listen: DEFAULT_LISTEN.parse().expect("a valid address"),
            max_sync_age: DEFAULT_MAX_SYNC_AGE,
        }
    }
}

/// The chat platform a counted event happened on: the `platform` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Matrix,
    Slack,
}

impl Platform {
    fn label(self) -> &'static str {
        match self {
            Platform::Matrix => "matrix",
            Platform::Slack => "slack",
        }
    }
}

/// The bot's metrics and health.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    check_seconds: Histogram,
    started: Instant,
    /// The connectors running in the process, each of which `/healthz` wants healthy.
    platforms: Vec<Platform>,
    /// Milliseconds after `started` of Matrix's last successful sync; 0 before the first.
    last_sync_ms: AtomicU64,
    max_sync_age: Duration,
    /// Slack's open Socket Mode connections, and whether one ever opened.
    sockets_open: AtomicUsize,
    socket_opened: AtomicBool,
    knowledge_version: Mutex<Option<String>>,
}

impl Metrics {
    /// Fresh metrics for a process running the connectors of `platforms`; `/healthz`
    /// wants Matrix's last successful sync within `max_sync_age`.
    pub fn new(max_sync_age: Duration, platforms: &[Platform]) -> Metrics {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("copydesk_check_seconds".to_owned()),
                &CHECK_BUCKETS,
            )
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        let describe = |name: &'static str, unit, text: &'static str| {
            recorder.describe_counter(
                KeyName::from_const_str(name),
                unit,
                SharedString::const_str(text),
            );
        };
        describe(
            "copydesk_messages_checked_total",
            None,
            "Messages checked for unattributed allegations",
        );
        describe(
            "copydesk_warnings_total",
            None,
            "Warnings posted, by the verdict of the warned message",
        );
        describe(
            "copydesk_commands_total",
            None,
            "Commands answered, by command",
        );
        describe(
            "copydesk_feedback_total",
            None,
            "Votes on warnings (useful, false-alarm)",
        );
        describe(
            "copydesk_reloads_total",
            None,
            "Knowledge reloads, by outcome",
        );
        recorder.describe_histogram(
            KeyName::from_const_str("copydesk_check_seconds"),
            Some(Unit::Seconds),
            SharedString::const_str("Time to check one message"),
        );
        recorder.describe_gauge(
            KeyName::from_const_str("copydesk_sync_lag_seconds"),
            Some(Unit::Seconds),
            SharedString::const_str("Seconds since the last successful sync"),
        );
        recorder.describe_gauge(
            KeyName::from_const_str("copydesk_slack_connections"),
            None,
            SharedString::const_str("Slack Socket Mode connections open"),
        );
        recorder.describe_gauge(
            KeyName::from_const_str("copydesk_knowledge_info"),
            None,
            SharedString::const_str("1 for the knowledge file version serving"),
        );
        Metrics {
            check_seconds: recorder
                .register_histogram(&Key::from_static_name("copydesk_check_seconds"), &METADATA),
            recorder,
            handle,
            started: Instant::now(),
            platforms: platforms.to_vec(),
            last_sync_ms: AtomicU64::new(0),
            max_sync_age,
            sockets_open: AtomicUsize::new(0),
            socket_opened: AtomicBool::new(false),
            knowledge_version: Mutex::new(None),
        }
    }

    fn counter(&self, name: &'static str, labels: &[(&'static str, &str)]) -> Counter {
        let labels = labels
            .iter()
            .map(|(label, value)| Label::new(*label, (*value).to_owned()))
            .collect::<Vec<_>>();
        self.recorder
            .register_counter(&Key::from_parts(name, labels), &METADATA)
    }

    fn gauge(&self, name: &'static str) -> Gauge {
        self.recorder
            .register_gauge(&Key::from_static_name(name), &METADATA)
    }

    /// A message was checked in `took`.
    pub fn checked(&self, platform: Platform, took: Duration) {
        self.counter(
            "copydesk_messages_checked_total",
            &[("platform", platform.label())],
        )
        .increment(1);
        self.check_seconds.record(took.as_secs_f64());
    }

    /// A warning was posted about a message with `verdict` (`flag`, `weak`).
    pub fn warned(&self, platform: Platform, verdict: &str) {
        self.counter(
            "copydesk_warnings_total",
            &[("platform", platform.label()), ("verdict", verdict)],
        )
        .increment(1);
    }

    /// A command was answered.
    pub fn command(&self, platform: Platform, name: &str) {
        self.counter(
            "copydesk_commands_total",
            &[("platform", platform.label()), ("command", name)],
        )
        .increment(1);
    }

    /// A vote on a warning (`useful`, `false-alarm`).
    pub fn feedback(&self, platform: Platform, vote: &str) {
        self.counter(
            "copydesk_feedback_total",
            &[("platform", platform.label()), ("vote", vote)],
        )
        .increment(1);
    }

    /// A reload finished (`ok`, `failed`).
    pub fn reloaded(&self, outcome: &str) {
        self.counter("copydesk_reloads_total", &[("outcome", outcome)])
            .increment(1);
    }

    /// The knowledge file version now serving.
    pub fn knowledge(&self, version: &str) {
        let mut current = super::lock(&self.knowledge_version);
        let gauge = |v: &str| {
            let key = Key::from_parts(
                "copydesk_knowledge_info",
                vec![Label::new("version", v.to_owned())],
            );
            self.recorder.register_gauge(&key, &METADATA)
        };
        if let Some(old) = current.as_deref().filter(|old| *old != version) {
            gauge(old).set(0.0);
        }
        gauge(version).set(1.0);
        *current = Some(version.to_owned());
    }

    /// A sync round trip succeeded.
    pub fn synced(&self) {
        let ms = self.started.elapsed().as_millis().max(1);
        self.last_sync_ms
            .store(u64::try_from(ms).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Time since the last successful sync; `None` before the first.
    pub fn sync_lag(&self) -> Option<Duration> {
        match self.last_sync_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(
                self.started
                    .elapsed()
                    .saturating_sub(Duration::from_millis(ms)),
            ),
        }
    }

    /// Slack has `open` Socket Mode connections now.
    pub fn socket_connections(&self, open: usize) {
        self.sockets_open.store(open, Ordering::Relaxed);
        if open > 0 {
            self.socket_opened.store(true, Ordering::Relaxed);
        }
        self.gauge("copydesk_slack_connections").set(open as f64);
    }

    /// Healthy, and why (the body of `/healthz`): every connector must be.
    pub fn health(&self) -> (bool, String) {
        let mut healthy = true;
        let mut why = String::new();
        for platform in &self.platforms {
            let (ok, line) = match platform {
                Platform::Matrix => self.sync_health(),
                Platform::Slack => self.socket_health(),
            };
            healthy &= ok;
            why.push_str(&line);
        }
        (healthy, why)
    }

    fn socket_health(&self) -> (bool, String) {
        match self.sockets_open.load(Ordering::Relaxed) {
            0 if !self.socket_opened.load(Ordering::Relaxed) => (
                false,
                "starting: no Slack Socket Mode connection yet\n".to_owned(),
            ),
            0 => (
                false,
                "unhealthy: no Slack Socket Mode connection open\n".to_owned(),
            ),
            open => (
                true,
                format!("ok: {open} Slack Socket Mode connection(s) open\n"),
            ),
        }
    }

    fn sync_health(&self) -> (bool, String) {
        match self.sync_lag() {
            None => (false, "starting: no successful sync yet\n".to_owned()),
            Some(lag) if lag > self.max_sync_age => (
                false,
                format!(
                    "unhealthy: last successful sync {}s ago (limit {}s)\n",
                    lag.as_secs(),
                    self.max_sync_age.as_secs()
                ),
            ),
            Some(lag) => (
                true,
                format!("ok: last successful sync {}s ago\n", lag.as_secs()),
            ),
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        // Registered only once Matrix has synced, so a Slack-only bot shows no Matrix lag.
        if let Some(lag) = self.sync_lag() {
            self.gauge("copydesk_sync_lag_seconds")
                .set(lag.as_secs_f64());
        }
        self.handle.run_upkeep();
        self.handle.render()
    }
}

/// Binds the listener (so a taken port stops the bot at start, not later).
pub async fn bind(address: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen for metrics on {address}"))
}

/// Serves `/healthz` and `/metrics` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>) {
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, "metrics and health listener running");
    }
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "metrics listener: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let metrics = metrics.clone();
                async move { Ok::<_, Infallible>(route(&metrics, &request)) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            if let Err(error) = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await
            {
                tracing::debug!(%error, "metrics listener: connection ended with an error");
            }
        });
    }
}

fn route(metrics: &Metrics, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let reply = |status: StatusCode, content_type: &str, body: String| {
        Response::builder()
            .status(status)
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body)))
            .expect("a valid response")
    };
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "GET only\n".into(),
        );
    }
    match request.uri().path() {
        "/healthz" => {
            let (healthy, text) = metrics.health();
            let status = if healthy {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            reply(status, "text/plain; charset=utf-8", text)
        }
        "/metrics" => reply(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            metrics.render(),
        ),
        _ => reply(
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found; try /healthz or /metrics\n".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_as_prometheus_text() {
        let m = Metrics::new(DEFAULT_MAX_SYNC_AGE, &[Platform::Matrix]);
        m.checked(Platform::Matrix, Duration::from_micros(300));
        m.checked(Platform::Slack, Duration::from_micros(700));
        m.checked(Platform::Slack, Duration::from_micros(900));
        m.warned(Platform::Slack, "flag");
        m.command(Platform::Matrix, "context");
        m.knowledge("aaa");
        m.knowledge("bbb");
        let text = m.render();
        assert!(
            text.contains("copydesk_messages_checked_total{platform=\"matrix\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("copydesk_messages_checked_total{platform=\"slack\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("copydesk_warnings_total{platform=\"slack\",verdict=\"flag\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("copydesk_commands_total{platform=\"matrix\",command=\"context\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("copydesk_check_seconds_bucket{le=\"0.0005\"} 1"),
            "{text}"
        );
        assert!(text.contains("copydesk_check_seconds_count 3"), "{text}");
        assert!(
            text.contains("copydesk_knowledge_info{version=\"bbb\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("copydesk_knowledge_info{version=\"aaa\"} 0"),
            "{text}"
        );
    }

    #[test]
    fn health_follows_the_sync() {
        let m = Metrics::new(Duration::from_millis(50), &[Platform::Matrix]);
        assert!(!m.health().0);
        m.synced();
        assert!(m.health().0, "{}", m.health().1);
        std::thread::sleep(Duration::from_millis(80));
        let (healthy, why) = m.health();
        assert!(!healthy);
        assert!(why.starts_with("unhealthy: last successful sync"), "{why}");
    }

    #[test]
    fn slacks_health_follows_its_socket_mode_connections() {
        let m = Metrics::new(DEFAULT_MAX_SYNC_AGE, &[Platform::Slack]);
        assert!(m.health().1.starts_with("starting: no Slack Socket Mode"));
        m.socket_connections(2);
        assert_eq!(
            m.health(),
            (
                true,
                "ok: 2 Slack Socket Mode connection(s) open\n".to_owned()
            )
        );
        let text = m.render();
        assert!(text.contains("copydesk_slack_connections 2"), "{text}");
        assert!(!text.contains("sync_lag"), "no Matrix here: {text}");
        m.socket_connections(1);
        assert!(m.health().0, "one is enough");
        m.socket_connections(0);
        assert_eq!(
            m.health(),
            (
                false,
                "unhealthy: no Slack Socket Mode connection open\n".to_owned()
            )
        );
    }

    #[test]
    fn with_both_connectors_each_must_be_healthy() {
        let m = Metrics::new(DEFAULT_MAX_SYNC_AGE, &[Platform::Matrix, Platform::Slack]);
        m.socket_connections(1);
        let (healthy, why) = m.health();
        assert!(!healthy, "Matrix has not synced: {why}");
        assert!(
            why.starts_with("starting: no successful sync yet\nok: 1 Slack"),
            "{why}"
        );
        m.synced();
        assert!(m.health().0, "{}", m.health().1);
        m.socket_connections(0);
        assert!(!m.health().0);
    }

    #[tokio::test]
    async fn the_listener_answers_healthz_and_metrics_over_http() {
        let metrics = Arc::new(Metrics::new(DEFAULT_MAX_SYNC_AGE, &[Platform::Matrix]));
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(serve(listener, metrics.clone()));
        let http = matrix_sdk::reqwest::Client::new();

        let health = http.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 503);
        assert!(health.text().await.unwrap().starts_with("starting"));

        metrics.synced();
        metrics.checked(Platform::Matrix, Duration::from_micros(100));
        let health = http.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200);

        let scrape = http.get(format!("{base}/metrics")).send().await.unwrap();
        assert_eq!(scrape.status(), 200);
        assert!(
            scrape.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        let text = scrape.text().await.unwrap();
        assert!(
            text.contains("copydesk_messages_checked_total{platform=\"matrix\"} 1"),
            "{text}"
        );
        assert!(text.contains("copydesk_sync_lag_seconds"), "{text}");

        let missing = http.get(format!("{base}/nope")).send().await.unwrap();
        assert_eq!(missing.status(), 404);
        server.abort();
    }
}
