//! Socket Mode's connections, watched: how many are open, for `/healthz`.
//!
//! Protocol trap: slack-morphism tells a callback that a connection opened (`hello`), but
//! not which one, and never that one closed: its listener reconnects by itself, inside.
//! So the listener's client is built on [`Watched`], a connector that does what the
//! crate's does and, in between, sees each connection's first frame and each restart of a
//! connection, by the crate's connection id.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use slack_morphism::clients_manager::{
    SlackSocketModeClientsManager, SlackSocketModeClientsManagerFactory,
};
use slack_morphism::listener::SlackClientEventsListenerEnvironment;
use slack_morphism::multipart_form::FileMultipartData;
use slack_morphism::prelude::*;
use slack_morphism::{ClientResult, SlackClientApiCallContext};
use url::Url;

use crate::operations::lock;
use crate::operations::metrics::Metrics;

/// What the crate's connector methods return (futures-util's `BoxFuture`).
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
type Listener = Arc<dyn SlackSocketModeClientListener + Sync + Send>;
type Manager = Arc<dyn SlackSocketModeClientsManager + Send + Sync>;

/// The ids of the open connections, reported to the metrics as they change.
pub struct Open {
    metrics: Arc<Metrics>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    open: HashSet<SlackSocketModeWssClientId>,
    /// Connections restarted: a frame of theirs still on its way must not count them
    /// open again. The crate numbers a restarted connection's successor itself, and
    /// reuses numbers only after 64 restarts, when this forgets them.
    closed: HashSet<SlackSocketModeWssClientId>,
}

impl Open {
    pub fn new(metrics: Arc<Metrics>) -> Arc<Open> {
        Arc::new(Open {
            metrics,
            state: Mutex::default(),
        })
    }

    fn opened(&self, id: &SlackSocketModeWssClientId) {
        let mut state = lock(&self.state);
        if state.closed.contains(id) || !state.open.insert(id.clone()) {
            return;
        }
        let open = state.open.len();
        tracing::debug!(
            connection = id.to_string(),
            open,
            "Socket Mode connection open"
        );
        if open == 1 {
            tracing::info!("Socket Mode is connected");
        }
        self.metrics.socket_connections(open);
    }

    fn restarted(&self, id: &SlackSocketModeWssClientId) {
        let mut state = lock(&self.state);
        state.closed.insert(id.clone());
        state.closed.remove(&id.new_reconnected_id());
        if !state.open.remove(id) {
            return;
        }
        let open = state.open.len();
        tracing::debug!(
            connection = id.to_string(),
            open,
            "Socket Mode connection closed"
        );
        if open == 0 {
            tracing::warn!("no Socket Mode connection is open; no event arrives until one is");
        }
        self.metrics.socket_connections(open);
    }
}

/// The crate's connector `C`, with its Socket Mode connections watched by `open`.
pub struct Watched<C> {
    inner: C,
    open: Arc<Open>,
}

impl<C> Watched<C> {
    pub fn new(inner: C, open: Arc<Open>) -> Watched<C> {
        Watched { inner, open }
    }
}

impl<C> SlackSocketModeClientsManagerFactory<Watched<C>> for Watched<C>
where
    C: SlackClientHttpConnector
        + SlackSocketModeClientsManagerFactory<C>
        + Clone
        + Send
        + Sync
        + 'static,
{
    fn new_clients_manager(
        &self,
        _outer: Arc<SlackClientEventsListenerEnvironment<Watched<C>>>,
    ) -> Manager {
        // The crate's manager uses its environment only for the client that asks for a
        // Socket Mode URL; the callbacks reach it through the listener it is given.
        let client = Arc::new(SlackClient::new(self.inner.clone()));
        let environment = Arc::new(SlackClientEventsListenerEnvironment::new(client));
        Arc::new(WatchedManager {
            inner: self.inner.new_clients_manager(environment),
            open: self.open.clone(),
        })
    }
}

/// The crate's connections manager, told of every restart.
struct WatchedManager {
    inner: Manager,
    open: Arc<Open>,
}

#[async_trait::async_trait]
impl SlackSocketModeClientsManager for WatchedManager {
    async fn register_new_token(
        &self,
        config: &SlackClientSocketModeConfig,
        token: SlackApiToken,
        listener: Listener,
    ) -> ClientResult<()> {
        let watched = Arc::new(WatchedListener {
            inner: listener,
            open: self.open.clone(),
        });
        self.inner.register_new_token(config, token, watched).await
    }

    /// Every way a connection ends comes here: a `disconnect` frame, a close, an error, a
    /// ping Slack stopped answering.
    async fn restart_client(&self, id: &SlackSocketModeWssClientId) {
        self.open.restarted(id);
        self.inner.restart_client(id).await;
    }

    async fn start(&self) {
        self.inner.start().await;
    }

    async fn shutdown(&self) {
        self.inner.shutdown().await;
    }

    async fn await_term_signals(&self) {
        self.inner.await_term_signals().await;
    }
}

/// The crate's frame handler, seeing which connection each frame came on.
struct WatchedListener {
    inner: Listener,
    open: Arc<Open>,
}

#[async_trait::async_trait]
impl SlackSocketModeClientListener for WatchedListener {
    /// A connection's first frame is `hello`: from then on it is open.
    async fn on_message(&self, id: &SlackSocketModeWssClientId, body: String) -> Option<String> {
        self.open.opened(id);
        self.inner.on_message(id, body).await
    }

    async fn on_error(&self, error: Box<dyn std::error::Error + Send + Sync + 'static>) {
        self.inner.on_error(error).await;
    }

    async fn on_disconnect(&self, id: &SlackSocketModeWssClientId) {
        self.inner.on_disconnect(id).await;
    }
}

/// The Web API, as the crate's connector does it.
impl<C: SlackClientHttpConnector + Send + Sync> SlackClientHttpConnector for Watched<C> {
    fn http_get_uri<'a, RS>(
        &'a self,
        full_uri: Url,
        context: SlackClientApiCallContext<'a>,
    ) -> BoxFuture<'a, ClientResult<RS>>
    where
        RS: for<'de> serde::de::Deserialize<'de> + Send + 'a + 'a + Send,
    {
        self.inner.http_get_uri(full_uri, context)
    }

    fn http_get_with_client_secret<'a, RS>(
        &'a self,
        full_uri: Url,
        client_id: &'a SlackClientId,
        client_secret: &'a SlackClientSecret,
    ) -> BoxFuture<'a, ClientResult<RS>>
    where
        RS: for<'de> serde::de::Deserialize<'de> + Send + 'a + 'a + Send,
    {
        self.inner
            .http_get_with_client_secret(full_uri, client_id, client_secret)
    }

    fn http_post_uri<'a, RQ, RS>(
        &'a self,
        full_uri: Url,
        request_body: &'a RQ,
        context: SlackClientApiCallContext<'a>,
    ) -> BoxFuture<'a, ClientResult<RS>>
    where
        RQ: serde::ser::Serialize + Send + Sync,
        RS: for<'de> serde::de::Deserialize<'de> + Send + 'a + Send + 'a,
    {
        self.inner.http_post_uri(full_uri, request_body, context)
    }

    fn http_post_uri_multipart_form<'a, 'p, RS, PT, TS>(
        &'a self,
        full_uri: Url,
        file: Option<FileMultipartData<'p>>,
        params: &'p PT,
        context: SlackClientApiCallContext<'a>,
    ) -> BoxFuture<'a, ClientResult<RS>>
    where
        RS: for<'de> serde::de::Deserialize<'de> + Send + 'a + Send + 'a,
        PT: std::iter::IntoIterator<Item = (&'p str, Option<TS>)> + Clone,
        TS: AsRef<str> + 'p + Send,
    {
        self.inner
            .http_post_uri_multipart_form(full_uri, file, params, context)
    }

    fn http_post_uri_binary<'a, 'p, RS>(
        &'a self,
        full_uri: Url,
        content_type: String,
        data: &'a [u8],
        context: SlackClientApiCallContext<'a>,
    ) -> BoxFuture<'a, ClientResult<RS>>
    where
        RS: for<'de> serde::de::Deserialize<'de> + Send + 'a + Send + 'a,
    {
        self.inner
            .http_post_uri_binary(full_uri, content_type, data, context)
    }

    fn create_method_uri_path(&self, method_relative_uri: &str) -> ClientResult<Url> {
        self.inner.create_method_uri_path(method_relative_uri)
    }
}
