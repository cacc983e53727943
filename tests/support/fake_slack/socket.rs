//! Socket Mode: the WebSocket listener (`/link/?ticket=…`, single-use tickets
//! from apps.connections.open), the `hello` frame, round-robin delivery of
//! envelopes over the open connections, ack checks and timing, and redelivery
//! of envelopes not acked within the ack timeout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::{Message, http};

use super::state::{Cmd, Conn, Envelope, Kind, State, unix_secs};
use super::{Inner, events, validate};

/// How long a ticket from apps.connections.open stays valid.
pub const TICKET_TTL: Duration = Duration::from_secs(30);
/// Automatic redeliveries of an unacked event before the fake gives up.
pub const MAX_RETRIES: u32 = 3;

pub async fn serve(listener: TcpListener, inner: Arc<Inner>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(inner.clone(), stream));
    }
}

fn check_ticket(inner: &Inner, req: &Request) -> Result<(), String> {
    let uri = req.uri();
    if uri.path() != "/link/" && uri.path() != "/link" {
        return Err(format!(
            "Socket Mode connection to unknown path {}",
            uri.path()
        ));
    }
    let ticket = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "ticket")
        .map(|(_, v)| v.into_owned())
        .ok_or("Socket Mode connection without a ticket")?;
    let mut st = inner.lock();
    match st.tickets.get_mut(&ticket) {
        None => Err(format!(
            "Socket Mode connection with unknown ticket {ticket}"
        )),
        Some((_, true)) => Err(format!("Socket Mode ticket {ticket} reused")),
        Some((issued, _)) if issued.elapsed() > TICKET_TTL => {
            Err(format!("Socket Mode ticket {ticket} expired"))
        }
        Some((_, used)) => {
            *used = true;
            Ok(())
        }
    }
}

// The handshake callback's error type is tungstenite's, not ours.
#[allow(clippy::result_large_err)]
async fn connection(inner: Arc<Inner>, stream: TcpStream) {
    let checker = inner.clone();
    let callback = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        match check_ticket(&checker, req) {
            Ok(()) => Ok(resp),
            Err(what) => {
                checker.lock().violation(what.clone());
                let mut err = http::Response::new(Some(what));
                *err.status_mut() = http::StatusCode::UNAUTHORIZED;
                Err(err)
            }
        }
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = {
        let mut st = inner.lock();
        let id = st.next_conn;
        st.next_conn += 1;
        let n = st.conns.values().filter(|c| !c.closing).count() + 1;
        let _ = tx.send(Cmd::Frame(events::hello(n).to_string()));
        st.conns.insert(id, Conn { tx, closing: false });
        // Whatever waited for a connection goes out now.
        let pending: Vec<String> = st.pending.drain(..).collect();
        for env in pending {
            deliver(&inner, &mut st, &env, None);
        }
        id
    };
    loop {
        tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(Cmd::Frame(text)) => {
                    if ws.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(Cmd::Close) => {
                    let _ = ws.close(None).await;
                    let drain = async { while let Some(Ok(_)) = ws.next().await {} };
                    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
                    break;
                }
                Some(Cmd::Drop) | None => break,
            },
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(text))) => on_frame(&inner, id, text.as_str()),
                Some(Ok(Message::Binary(_))) => inner.lock().violation("binary frame on Socket Mode"),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {} // ping/pong: tungstenite answers pings itself
            },
        }
    }
    inner.lock().conns.remove(&id);
}

/// A frame from the app: an ack.
fn on_frame(inner: &Inner, conn: u64, text: &str) {
    let mut st = inner.lock();
    let Ok(Value::Object(frame)) = serde_json::from_str::<Value>(text) else {
        st.violation(format!(
            "Socket Mode frame that is not a JSON object: {text:.200}"
        ));
        return;
    };
    let Some(envelope_id) = frame.get("envelope_id").and_then(Value::as_str) else {
        st.violation(format!(
            "Socket Mode frame without envelope_id: {text:.200}"
        ));
        return;
    };
    let now = Instant::now();
    let Some(env) = st.envelopes.get_mut(envelope_id) else {
        st.violation(format!("ack of unknown envelope {envelope_id}"));
        return;
    };
    if env.acked_at.is_some() {
        st.violation(format!("second ack of envelope {envelope_id}"));
        return;
    }
    env.acked_at = Some(now);
    let latency = env.sent_at.map(|s| now - s).unwrap_or_default();
    let (kind, sent_on) = (env.kind, env.conn);
    st.ack_latencies.push(latency);
    if sent_on != Some(conn) {
        st.violation(format!(
            "envelope {envelope_id} acked on another connection"
        ));
    }
    let payload = frame.get("payload").cloned().unwrap_or(Value::Null);
    match kind {
        Kind::Event => {
            if !payload.is_null() {
                st.violation(format!("events_api ack of {envelope_id} with a payload"));
            }
        }
        Kind::Slash => {
            if let Value::Object(args) = &payload {
                check_slash_payload(&mut st, args);
            } else if !payload.is_null() {
                st.violation(format!(
                    "slash command ack payload is not an object: {payload}"
                ));
            }
            if let Some(waiter) = st.slash_waiters.remove(envelope_id) {
                let _ = waiter.send(payload);
            }
        }
    }
}

fn check_slash_payload(st: &mut State, args: &validate::Args) {
    match args.get("response_type").and_then(Value::as_str) {
        None | Some("ephemeral") | Some("in_channel") => {}
        Some(other) => st.violation(format!("slash command ack: response_type {other}")),
    }
    match validate::content("slash command ack", args) {
        Ok(_) => {}
        Err(validate::Fail::Violation(_, what)) => st.violation(what),
        Err(e) => st.violation(format!("slash command ack payload rejected: {e:?}")),
    }
}

/// Sends envelope `id` to one open connection (round-robin, avoiding `avoid`
/// when another is open), or queues it until a connection opens.
pub fn deliver(inner: &Arc<Inner>, st: &mut State, id: &str, avoid: Option<u64>) {
    loop {
        let open: Vec<u64> = st
            .conns
            .iter()
            .filter(|(_, c)| !c.closing)
            .map(|(k, _)| *k)
            .collect();
        if open.is_empty() {
            st.pending.push_back(id.to_string());
            return;
        }
        let choices: Vec<u64> = match open
            .iter()
            .filter(|c| Some(**c) != avoid)
            .copied()
            .collect::<Vec<_>>()
        {
            others if !others.is_empty() => others,
            _ => open,
        };
        let conn = choices[st.rr % choices.len()];
        st.rr += 1;
        let Some(env) = st.envelopes.get_mut(id) else {
            return;
        };
        let text = env.frame.to_string();
        if st.conns[&conn].tx.send(Cmd::Frame(text)).is_err() {
            st.conns.remove(&conn);
            continue;
        }
        let env = st.envelopes.get_mut(id).expect("checked above");
        env.conn = Some(conn);
        env.sent_at = Some(Instant::now());
        let (inner, id, timeout) = (inner.clone(), id.to_string(), st.ack_timeout);
        tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            ack_timeout(&inner, &id);
        });
        return;
    }
}

fn ack_timeout(inner: &Arc<Inner>, id: &str) {
    let mut st = inner.lock();
    let timeout = st.ack_timeout;
    let Some(env) = st.envelopes.get(id) else {
        return;
    };
    if env.acked_at.is_some() {
        return;
    }
    let (kind, event_id, auto, conn) = (env.kind, env.event_id.clone(), env.auto_retries, env.conn);
    match (kind, event_id) {
        (Kind::Slash, _) => {
            st.violation(format!("slash command envelope {id} not acked within {timeout:?}"));
            if let Some(waiter) = st.slash_waiters.remove(id) {
                let _ = waiter.send(Value::Null);
            }
        }
        (Kind::Event, Some(event_id)) if auto < MAX_RETRIES => {
            let new = new_event_envelope(&mut st, &event_id, "timeout", auto + 1);
            deliver(inner, &mut st, &new, conn);
        }
        (Kind::Event, event_id) => st.violation(format!(
            "event {} not acked after {MAX_RETRIES} redeliveries (last envelope {id}, ack timeout {timeout:?})",
            event_id.unwrap_or_default()
        )),
    }
}

/// Wraps `event` in a new `event_callback` with a new event_id and delivers it.
pub fn emit(inner: &Arc<Inner>, st: &mut State, event: Value) -> String {
    let event_id = format!("Ev{:010}", st.next_id());
    let payload = events::event_callback(event, &event_id, unix_secs());
    st.events.insert(event_id.clone(), (payload, 0));
    st.last_event = Some(event_id.clone());
    let env = new_event_envelope(st, &event_id, "", 0);
    deliver(inner, st, &env, None);
    event_id
}

/// A new envelope for a known event: a new envelope_id, the same payload, and
/// `retry_attempt` = the deliveries of that event so far.
pub fn new_event_envelope(
    st: &mut State,
    event_id: &str,
    reason: &str,
    auto_retries: u32,
) -> String {
    let id = st.envelope_id();
    let (payload, deliveries) = st.events.get_mut(event_id).expect("a known event");
    let attempt = *deliveries;
    *deliveries += 1;
    let frame = events::events_api(&id, payload, attempt, reason);
    let env = Envelope {
        kind: Kind::Event,
        event_id: Some(event_id.to_string()),
        frame,
        retry_attempt: attempt,
        auto_retries,
        conn: None,
        sent_at: None,
        acked_at: None,
    };
    st.envelopes.insert(id.clone(), env);
    id
}

/// A `slash_commands` envelope for `payload`, delivered; returns its id.
pub fn emit_slash(inner: &Arc<Inner>, st: &mut State, payload: &Value) -> String {
    let id = st.envelope_id();
    let env = Envelope {
        kind: Kind::Slash,
        event_id: None,
        frame: events::slash_commands(&id, payload),
        retry_attempt: 0,
        auto_retries: 0,
        conn: None,
        sent_at: None,
        acked_at: None,
    };
    st.envelopes.insert(id.clone(), env);
    deliver(inner, st, &id, None);
    id
}

/// Sends `disconnect` to every connection, then closes it: after 2 s for
/// `warning`, after 100 ms otherwise.
pub fn disconnect_all(st: &mut State, reason: &str) {
    let frame = events::disconnect(reason).to_string();
    let wait = if reason == "warning" {
        Duration::from_secs(2)
    } else {
        Duration::from_millis(100)
    };
    for conn in st.conns.values_mut().filter(|c| !c.closing) {
        conn.closing = true;
        let _ = conn.tx.send(Cmd::Frame(frame.clone()));
        let tx = conn.tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            let _ = tx.send(Cmd::Close);
        });
    }
}

/// Drops every connection's TCP stream at once, with no frame.
pub fn drop_all(st: &mut State) {
    for conn in st.conns.values_mut() {
        conn.closing = true;
        let _ = conn.tx.send(Cmd::Drop);
    }
}
