//! A loopback HTTP proxy in front of the homeserver that makes a client's room keys
//! late: it answers every `PUT …/sendToDevice/…` at once with `200 {}` and forwards it to
//! the homeserver only later (after a delay, or when the test releases it). Everything
//! else passes straight through. A client pointed at it sends an encrypted message whose
//! Megolm key reaches the other devices after the message, as keys often do over
//! federation. Included by path (`#[path = "support/late_keys.rs"] mod late_keys;`).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// When held to-device requests go on to the homeserver.
#[derive(Clone, Copy, Debug)]
pub enum Hold {
    /// Each one this long after the client sent it.
    For(Duration),
    /// All of them when [`LateKeys::release`] is called (never, if it is not).
    UntilReleased,
}

/// The proxy; stops when dropped.
pub struct LateKeys {
    /// Base URL to give the client instead of the homeserver's.
    pub url: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

struct Shared {
    upstream: String,
    hold: Hold,
    client: Client<HttpConnector, Full<Bytes>>,
    released: watch::Sender<bool>,
    /// When each held request was accepted by the homeserver.
    forwarded: Mutex<Vec<SystemTime>>,
    /// How many to-device requests were held so far.
    held: Mutex<usize>,
}

impl Drop for LateKeys {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LateKeys {
    /// Starts the proxy on a free loopback port in front of `upstream` (a base URL).
    pub async fn start(upstream: &str, hold: Hold) -> LateKeys {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            hold,
            client: Client::builder(TokioExecutor::new()).build_http(),
            released: watch::channel(false).0,
            forwarded: Mutex::new(Vec::new()),
            held: Mutex::new(0),
        });
        let serving = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let shared = serving.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let shared = shared.clone();
                        async move { Ok::<_, hyper::Error>(shared.handle(request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        LateKeys { url, shared, task }
    }

    /// Lets every held request (and every later one) go on to the homeserver.
    pub fn release(&self) {
        self.shared.released.send_replace(true);
    }

    /// How many to-device requests the client has sent so far.
    pub fn held(&self) -> usize {
        *self.shared.held.lock().expect("proxy lock")
    }

    /// When the held requests reached the homeserver, so far.
    pub fn forwarded(&self) -> Vec<SystemTime> {
        self.shared.forwarded.lock().expect("proxy lock").clone()
    }

    /// Waits until `count` held requests have reached the homeserver; panics after
    /// `timeout`.
    pub async fn wait_forwarded(&self, count: usize, timeout: Duration) -> Vec<SystemTime> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let forwarded = self.forwarded();
            if forwarded.len() >= count {
                return forwarded;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} of {count} held to-device requests reached the homeserver in {timeout:?}",
                forwarded.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Shared {
    async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let body = match body.collect().await {
            Ok(body) => body.to_bytes(),
            Err(error) => return plain(StatusCode::BAD_REQUEST, &error.to_string()),
        };
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let mut upstream = Request::builder()
            .method(parts.method.clone())
            .uri(format!("{}{path}", self.upstream));
        for (name, value) in &parts.headers {
            if name != hyper::header::HOST {
                upstream = upstream.header(name, value);
            }
        }
        let upstream = match upstream.body(Full::new(body)) {
            Ok(request) => request,
            Err(error) => return plain(StatusCode::BAD_REQUEST, &error.to_string()),
        };
        if parts.method == hyper::Method::PUT && path.contains("/sendToDevice/") {
            *self.held.lock().expect("proxy lock") += 1;
            let shared = self.clone();
            tokio::spawn(async move { shared.forward_later(upstream).await });
            return json_ok();
        }
        match self.forward(upstream).await {
            Ok(response) => response,
            Err(error) => plain(StatusCode::BAD_GATEWAY, &error),
        }
    }

    async fn forward(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<Full<Bytes>>, String> {
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok(Response::from_parts(parts, Full::new(body)))
    }

    async fn forward_later(&self, request: Request<Full<Bytes>>) {
        let mut released = self.released.subscribe();
        match self.hold {
            Hold::For(delay) => tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = released.wait_for(|r| *r) => {}
            },
            Hold::UntilReleased => {
                let _ = released.wait_for(|r| *r).await;
            }
        }
        match self.forward(request).await {
            Ok(response) if response.status().is_success() => {
                self.forwarded
                    .lock()
                    .expect("proxy lock")
                    .push(SystemTime::now());
            }
            Ok(response) => panic!(
                "the homeserver refused a held to-device request: {}",
                response.status()
            ),
            Err(error) => panic!("forwarding a held to-device request: {error}"),
        }
    }
}

fn json_ok() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"{}")));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text.to_owned())));
    *response.status_mut() = status;
    response
}
