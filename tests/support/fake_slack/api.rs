//! The Web API server: hyper 1 http1 on loopback. Routes `/api/<method>`, the
//! slash commands' `response_url`s (`/commands/<n>`) and permalinks
//! (`/archives/…`). Every call passes, in order: the method table, the token,
//! the body, the scripted 429s and Retry-After, then the method itself.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::state::CallRecord;
use super::validate::{self, Fail};
use super::{Inner, methods};

pub async fn serve(listener: TcpListener, inner: Arc<Inner>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let inner = inner.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let inner = inner.clone();
                async move { Ok::<_, Infallible>(handle(inner, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type Resp = Response<Full<Bytes>>;

fn respond(status: StatusCode, content_type: &str, body: String, retry_after: Option<u64>) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        content_type.parse().expect("a valid content type"),
    );
    if let Some(secs) = retry_after {
        headers.insert(hyper::header::RETRY_AFTER, secs.into());
    }
    resp
}

pub const JSON: &str = "application/json; charset=utf-8";

fn json_resp(status: StatusCode, body: &Value, retry_after: Option<u64>) -> Resp {
    respond(status, JSON, body.to_string(), retry_after)
}

async fn handle(inner: Arc<Inner>, req: Request<Incoming>) -> Resp {
    let resp = route(&inner, req).await;
    inner.call_answered();
    resp
}

async fn route(inner: &Arc<Inner>, req: Request<Incoming>) -> Resp {
    let (parts, body) = req.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return respond(
            StatusCode::BAD_REQUEST,
            "text/plain",
            "bad body".into(),
            None,
        );
    };
    let path = parts.uri.path().to_string();
    if let Some(method) = path.strip_prefix("/api/") {
        return api_call(inner, method, &parts, &body);
    }
    if path.starts_with("/commands/") {
        return response_url(inner, &path, &parts, &body);
    }
    if path.starts_with("/archives/") || path == "/" {
        return respond(
            StatusCode::OK,
            "text/html",
            "<html>fake slack</html>".into(),
            None,
        );
    }
    inner
        .lock()
        .violation(format!("request to unknown path {path}"));
    respond(
        StatusCode::NOT_FOUND,
        "text/plain",
        "not found".into(),
        None,
    )
}

fn api_call(
    inner: &Arc<Inner>,
    method: &str,
    parts: &hyper::http::request::Parts,
    body: &[u8],
) -> Resp {
    let Some(spec) = validate::spec(method) else {
        return json_resp(
            StatusCode::OK,
            &json!({"ok": false, "error": "unknown_method"}),
            None,
        );
    };
    if let Err(fail) = validate::auth(&parts.headers, &spec) {
        return answer(inner, method, None, fail);
    }
    let mut soft = Vec::new();
    let args = match validate::args(
        method,
        &spec,
        &parts.method,
        &parts.headers,
        parts.uri.query(),
        body,
        &mut soft,
    ) {
        Ok(args) => args,
        Err(fail) => return answer(inner, method, None, fail),
    };
    let result = {
        let mut st = inner.lock();
        for what in soft.drain(..) {
            st.violation(what);
        }
        st.check_not_before(method)
            .and_then(|()| st.scripted_429(method))
            .and_then(|()| methods::call(inner, &mut st, method, &args))
    };
    match result {
        Ok(mut value) => {
            let lost = inner
                .lock()
                .lost_answers
                .get_mut(method)
                .filter(|left| **left > 0)
                .map(|left| *left -= 1)
                .is_some();
            if lost {
                record(inner, method, &args, "ok, answer lost");
                return respond(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "text/plain",
                    "upstream timed out".into(),
                    None,
                );
            }
            value["ok"] = json!(true);
            record(inner, method, &args, "ok");
            json_resp(StatusCode::OK, &value, None)
        }
        Err(fail) => answer(inner, method, Some(&args), fail),
    }
}

fn record(inner: &Inner, method: &str, args: &validate::Args, outcome: &str) {
    let record = CallRecord {
        method: method.into(),
        args: Value::Object(args.clone()),
        outcome: outcome.into(),
    };
    inner.lock().calls.push(record);
}

/// Answers a failure (and records the call when its arguments were read).
fn answer(inner: &Inner, method: &str, args: Option<&validate::Args>, fail: Fail) -> Resp {
    let (status, code, retry_after) = {
        let mut st = inner.lock();
        match fail {
            Fail::Error(code) => (StatusCode::OK, code, None),
            Fail::Violation(code, what) => {
                st.violation(what);
                (StatusCode::OK, code, None)
            }
            Fail::RateLimited { key, secs } => {
                st.not_before
                    .insert(key, Instant::now() + Duration::from_secs(secs));
                (StatusCode::TOO_MANY_REQUESTS, "ratelimited", Some(secs))
            }
            Fail::Early { secs, what } => {
                st.violation(what);
                (StatusCode::TOO_MANY_REQUESTS, "ratelimited", Some(secs))
            }
        }
    };
    if let Some(args) = args {
        record(inner, method, args, code);
    }
    json_resp(status, &json!({"ok": false, "error": code}), retry_after)
}

/// A slash command's `response_url`: POST JSON `{text, blocks, response_type,
/// replace_original?}`, at most 5 times; answers `200 text/html "ok"`.
fn response_url(
    inner: &Inner,
    path: &str,
    parts: &hyper::http::request::Parts,
    body: &[u8],
) -> Resp {
    let mut st = inner.lock();
    let bad = |st: &mut super::state::State, what: String| {
        st.violation(what);
        respond(
            StatusCode::BAD_REQUEST,
            "text/plain",
            "invalid_payload".into(),
            None,
        )
    };
    let Some(uses) = st.response_urls.get_mut(path) else {
        return bad(&mut st, format!("POST to unknown response_url {path}"));
    };
    *uses += 1;
    if *uses > 5 {
        return bad(
            &mut st,
            format!("response_url {path} used more than 5 times"),
        );
    }
    if parts.method != hyper::Method::POST {
        return bad(
            &mut st,
            format!("response_url {path} called with {}", parts.method),
        );
    }
    let is_json = parts
        .headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    let Ok(Value::Object(args)) = serde_json::from_slice::<Value>(body) else {
        return bad(
            &mut st,
            format!("response_url {path}: body is not a JSON object"),
        );
    };
    if !is_json {
        return bad(
            &mut st,
            format!("response_url {path}: content type is not application/json"),
        );
    }
    match validate::content("response_url", &args) {
        Ok(_) => {}
        Err(Fail::Violation(_, what)) => return bad(&mut st, what),
        Err(e) => return bad(&mut st, format!("response_url {path}: {e:?}")),
    }
    st.responses.push(Value::Object(args));
    respond(StatusCode::OK, "text/html", "ok".into(), None)
}
