//! Minimal clients for talking to the fake without slack-morphism: raw HTTP/1
//! requests (so a test can send exactly the wrong thing) and a tiny Socket Mode
//! client. Used by the fake's self-tests; connector tests may use them to poke
//! the fake directly.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{APP_TOKEN, FakeSlack};

pub struct HttpReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `error` of an `{"ok":false}` answer, `None` for `ok:true`.
    pub fn error(&self) -> Option<String> {
        let v = self.json();
        if v["ok"] == json!(true) {
            None
        } else {
            Some(v["error"].as_str().unwrap_or("?").to_string())
        }
    }
}

/// `http://127.0.0.1:P` of the fake's Web API listener.
pub fn host(slack: &FakeSlack) -> String {
    slack
        .api_url()
        .trim_start_matches("http://")
        .trim_end_matches("/api")
        .to_string()
}

/// One HTTP/1.1 request (`Connection: close`) to `host`; `target` is the path
/// and query.
pub async fn http(
    host: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpReply {
    let mut stream = TcpStream::connect(host).await.expect("connect to the fake");
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.expect("write");
    stream.write_all(body).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8(raw).expect("a UTF-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    HttpReply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// POST `body` as JSON (with charset, as slack-morphism sends it) to `method`,
/// with `Authorization: Bearer token` if a token is given.
pub async fn post_json(
    slack: &FakeSlack,
    method: &str,
    token: Option<&str>,
    body: &Value,
) -> HttpReply {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", "application/json; charset=utf-8")];
    if let Some(a) = &auth {
        headers.push(("authorization", a));
    }
    http(
        &host(slack),
        "POST",
        &format!("/api/{method}"),
        &headers,
        body.to_string().as_bytes(),
    )
    .await
}

/// GET `method` with query arguments.
pub async fn get(
    slack: &FakeSlack,
    method: &str,
    token: Option<&str>,
    query: &[(&str, &str)],
) -> HttpReply {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
    let q: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    http(
        &host(slack),
        "GET",
        &format!("/api/{method}?{q}"),
        &headers,
        b"",
    )
    .await
}

/// A bare Socket Mode client: apps.connections.open, then the WebSocket.
pub struct SocketClient {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl SocketClient {
    /// The URL of a new connection (a fresh single-use ticket).
    pub async fn open_url(slack: &FakeSlack) -> String {
        let reply = post_json(slack, "apps.connections.open", Some(APP_TOKEN), &json!({})).await;
        assert_eq!(reply.error(), None, "apps.connections.open: {}", reply.body);
        reply.json()["url"].as_str().expect("a url").to_string()
    }

    pub async fn connect(slack: &FakeSlack) -> SocketClient {
        let url = Self::open_url(slack).await;
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("a Socket Mode connection");
        SocketClient { ws }
    }

    /// The next text frame as JSON, or `None` on close or after `timeout`.
    pub async fn next(&mut self, timeout: Duration) -> Option<Value> {
        let read = async {
            while let Some(msg) = self.ws.next().await {
                match msg {
                    Ok(Message::Text(t)) => {
                        return Some(serde_json::from_str(t.as_str()).expect("a JSON frame"));
                    }
                    Ok(Message::Close(_)) | Err(_) => return None,
                    Ok(_) => {}
                }
            }
            None
        };
        tokio::time::timeout(timeout, read).await.ok().flatten()
    }

    /// The next frame, which must be an envelope of `kind`.
    pub async fn expect(&mut self, kind: &str) -> Value {
        let frame = self
            .next(Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("no {kind} frame"));
        assert_eq!(frame["type"], kind, "frame: {frame}");
        frame
    }

    pub async fn send(&mut self, frame: &Value) {
        self.ws
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("send a frame");
    }

    /// Acks `envelope` (a frame or its id), with `payload` if given.
    pub async fn ack(&mut self, envelope: &Value, payload: Option<Value>) {
        let id = envelope.get("envelope_id").unwrap_or(envelope).clone();
        let mut ack = json!({"envelope_id": id});
        if let Some(p) = payload {
            ack["payload"] = p;
        }
        self.send(&ack).await;
    }
}
