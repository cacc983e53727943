//! The rules every Web API call passes: the method table, the token, the body,
//! the arguments, and the message content (text and Block Kit blocks).
//!
//! Two classes of failure are kept apart. A documented Slack error is answered
//! as Slack answers it (`Fail::Error`). A protocol violation, where real Slack's
//! behaviour is unknown or the request is simply wrong, is recorded in
//! `FakeSlack::violations()` *and* answered with an error (`Fail::Violation`).

use std::collections::HashSet;

use hyper::HeaderMap;
use serde_json::{Map, Value};

use super::{APP_TOKEN, BOT_TOKEN};

pub type Args = Map<String, Value>;

#[derive(Debug)]
pub enum Fail {
    /// `{"ok":false,"error":code}`
    Error(&'static str),
    /// Recorded as a violation, then answered `{"ok":false,"error":code}`.
    Violation(&'static str, String),
    /// A new 429: `Retry-After: secs`, and no call to `key` before then.
    RateLimited { key: String, secs: u64 },
    /// A call before Retry-After ran out: a violation, answered with another 429.
    Early { secs: u64, what: String },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Token {
    Bot,
    App,
}

pub struct Spec {
    pub token: Token,
    /// Write methods must be POST and read their arguments from the body only.
    pub write: bool,
}

/// The methods the fake knows; anything else is `unknown_method`.
pub fn spec(method: &str) -> Option<Spec> {
    let (token, write) = match method {
        "chat.postMessage" | "chat.update" | "chat.delete" | "chat.postEphemeral"
        | "conversations.open" => (Token::Bot, true),
        "auth.test"
        | "users.info"
        | "chat.getPermalink"
        | "conversations.replies"
        | "conversations.history"
        | "conversations.info"
        | "usergroups.users.list" => (Token::Bot, false),
        "apps.connections.open" => (Token::App, true),
        _ => return None,
    };
    Some(Spec { token, write })
}

/// `Authorization: Bearer <token>`, and the right kind of token for the method.
pub fn auth(headers: &HeaderMap, spec: &Spec) -> Result<(), Fail> {
    let Some(value) = headers.get(hyper::header::AUTHORIZATION) else {
        return Err(Fail::Error("not_authed"));
    };
    let value = value.to_str().map_err(|_| Fail::Error("invalid_auth"))?;
    let Some(token) = value.strip_prefix("Bearer ") else {
        return Err(Fail::Error("invalid_auth"));
    };
    let kind = match token.trim() {
        BOT_TOKEN => Token::Bot,
        APP_TOKEN => Token::App,
        _ => return Err(Fail::Error("invalid_auth")),
    };
    if kind != spec.token {
        return Err(Fail::Error("not_allowed_token_type"));
    }
    Ok(())
}

/// The call's arguments. `soft` collects violations that Slack would only warn
/// about (the request still goes through).
pub fn args(
    method: &str,
    spec: &Spec,
    http_method: &hyper::Method,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
    soft: &mut Vec<String>,
) -> Result<Args, Fail> {
    let query_args = form_args(query.unwrap_or("").as_bytes())?;
    if query_args.contains_key("token") {
        return Err(Fail::Violation(
            "invalid_arguments",
            format!("{method}: token in the query string"),
        ));
    }
    let post = *http_method == hyper::Method::POST;
    if !post && *http_method != hyper::Method::GET {
        return Err(Fail::Violation(
            "invalid_arguments",
            format!("{method}: HTTP {http_method}"),
        ));
    }
    if spec.write && !post {
        if method == "apps.connections.open" {
            return Err(Fail::Error("insecure_request"));
        }
        return Err(Fail::Violation(
            "invalid_arguments",
            format!("{method} is a write method, called with GET"),
        ));
    }
    let mut args = if spec.write {
        if !query_args.is_empty() {
            return Err(Fail::Violation(
                "invalid_arguments",
                format!("{method}: arguments in the query string of a POST"),
            ));
        }
        Args::new()
    } else {
        query_args
    };
    if post && !body.is_empty() {
        let Some(content_type) = headers.get(hyper::header::CONTENT_TYPE) else {
            return Err(Fail::Error("missing_post_type"));
        };
        let content_type = content_type
            .to_str()
            .map_err(|_| Fail::Error("invalid_post_type"))?;
        let mut parts = content_type.split(';').map(str::trim);
        let mime = parts.next().unwrap_or("").to_ascii_lowercase();
        let charset = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
            .map(|(_, v)| v.trim().trim_matches('"').to_ascii_lowercase());
        if let Some(cs) = &charset
            && cs != "utf-8"
            && cs != "utf8"
        {
            return Err(Fail::Error("invalid_charset"));
        }
        match mime.as_str() {
            "application/json" => {
                if charset.is_none() {
                    soft.push(format!(
                        "{method}: JSON body without charset (Slack warns missing_charset)"
                    ));
                }
                let value: Value =
                    serde_json::from_slice(body).map_err(|_| Fail::Error("invalid_form_data"))?;
                let Value::Object(obj) = value else {
                    return Err(Fail::Error("invalid_arguments"));
                };
                if obj.contains_key("token") {
                    return Err(Fail::Violation(
                        "invalid_arguments",
                        format!("{method}: token in the body"),
                    ));
                }
                // Read methods ignore a JSON body, as Slack does.
                if spec.write {
                    args = obj;
                }
            }
            "application/x-www-form-urlencoded" => {
                let form = form_args(body)?;
                if form.contains_key("token") {
                    return Err(Fail::Violation(
                        "invalid_arguments",
                        format!("{method}: token in the body"),
                    ));
                }
                args.extend(form);
            }
            _ => return Err(Fail::Error("invalid_post_type")),
        }
    }
    Ok(args)
}

fn form_args(bytes: &[u8]) -> Result<Args, Fail> {
    std::str::from_utf8(bytes).map_err(|_| Fail::Error("invalid_form_data"))?;
    Ok(form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect())
}

/// A string argument: absent (or null) is `None`; any other type is invalid.
pub fn string<'a>(args: &'a Args, key: &str) -> Result<Option<&'a str>, Fail> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Fail::Error("invalid_arguments")),
    }
}

/// A boolean argument, typed (JSON) or as a form string.
pub fn truthy(args: &Args, key: &str) -> bool {
    match args.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => s == "true" || s == "1",
        _ => false,
    }
}

/// A message's validated content.
pub struct Content {
    pub text: String,
    /// `Value::Null` when none were sent.
    pub blocks: Value,
}

pub const TEXT_MAX: usize = 40_000;
pub const TEXT_SOFT_MAX: usize = 4_000;
pub const BLOCKS_MAX: usize = 50;
pub const BLOCKS_TEXT_MAX: usize = 12_000;

/// Content rules shared by chat.postMessage, chat.update, chat.postEphemeral,
/// response_url posts and slash-command ack payloads. A broadcast (`<!channel>`,
/// `<!here>`, `<!everyone>`) in the text or any block is a violation: a bot has no
/// business notifying a whole channel, and user text let through unescaped could.
pub fn content(method: &str, args: &Args) -> Result<Content, Fail> {
    if truthy(args, "link_names") {
        return Err(Fail::Violation(
            "invalid_arguments",
            format!("{method}: link_names set (it pings whole channels)"),
        ));
    }
    if string(args, "parse").ok().flatten() == Some("full") {
        return Err(Fail::Violation(
            "invalid_arguments",
            format!("{method}: parse=full"),
        ));
    }
    for unmodelled in ["attachments", "markdown_text"] {
        if args.get(unmodelled).is_some_and(|v| !v.is_null()) {
            return Err(Fail::Violation(
                "invalid_arguments",
                format!("{method}: `{unmodelled}` is not modelled by the fake"),
            ));
        }
    }
    let text = string(args, "text")?.unwrap_or("").to_string();
    let blocks = match args.get("blocks") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::String(s)) => {
            serde_json::from_str(s).map_err(|_| Fail::Error("invalid_blocks_format"))?
        }
        Some(v) => v.clone(),
    };
    if !blocks.is_null() {
        let Value::Array(list) = &blocks else {
            return Err(Fail::Error("invalid_blocks_format"));
        };
        check_blocks(list)?;
    }
    if let Some(broadcast) = broadcast_in(&text).or_else(|| broadcast_in_blocks(&blocks)) {
        return Err(Fail::Violation(
            "invalid_arguments",
            format!("{method}: a bot message with {broadcast}, which notifies everyone"),
        ));
    }
    let has_blocks = blocks.as_array().is_some_and(|b| !b.is_empty());
    if text.is_empty() && !has_blocks {
        return Err(Fail::Error("no_text"));
    }
    let chars = text.chars().count();
    if chars > TEXT_MAX {
        return Err(Fail::Error("msg_too_long"));
    }
    if chars > TEXT_SOFT_MAX {
        return Err(Fail::Violation(
            "msg_too_long",
            format!("{method}: text of {chars} chars (Slack truncates past {TEXT_SOFT_MAX})"),
        ));
    }
    if text.is_empty() {
        return Err(Fail::Violation(
            "no_text",
            format!("{method}: blocks without a fallback `text`"),
        ));
    }
    Ok(Content { text, blocks })
}

/// Slack's broadcast mentions, written `<!here>` or `<!here|label>`.
const BROADCASTS: [&str; 3] = ["<!channel>", "<!here>", "<!everyone>"];

/// The broadcast mention in `text`, if any (escaped ones, `&lt;!here&gt;`, are text).
fn broadcast_in(text: &str) -> Option<&'static str> {
    BROADCASTS.into_iter().find(|broadcast| {
        let open = &broadcast[..broadcast.len() - 1];
        text.match_indices(open)
            .any(|(at, _)| matches!(text[at + open.len()..].chars().next(), Some('>' | '|')))
    })
}

/// A broadcast mention in any text of `blocks`.
fn broadcast_in_blocks(blocks: &Value) -> Option<&'static str> {
    match blocks {
        Value::String(text) => broadcast_in(text),
        Value::Array(items) => items.iter().find_map(broadcast_in_blocks),
        Value::Object(fields) => fields.values().find_map(broadcast_in_blocks),
        _ => None,
    }
}

/// Block Kit rules for the block types the fake knows.
pub fn check_blocks(blocks: &[Value]) -> Result<(), Fail> {
    const BAD: Fail = Fail::Error("invalid_blocks");
    if blocks.len() > BLOCKS_MAX {
        return Err(BAD);
    }
    let mut ids = HashSet::new();
    let mut total = 0usize;
    for block in blocks {
        let Value::Object(b) = block else {
            return Err(BAD);
        };
        let Some(Value::String(kind)) = b.get("type") else {
            return Err(BAD);
        };
        if let Some(id) = b.get("block_id") {
            let Some(id) = id.as_str() else {
                return Err(BAD);
            };
            if id.is_empty() || id.chars().count() > 255 || !ids.insert(id.to_string()) {
                return Err(BAD);
            }
        }
        let allowed: &[&str] = match kind.as_str() {
            "section" => {
                let text = b.get("text");
                let fields = b.get("fields");
                if text.is_none() && fields.is_none() {
                    return Err(BAD);
                }
                if let Some(t) = text {
                    total += text_object(t, &["mrkdwn", "plain_text"], 3000)?;
                }
                if let Some(f) = fields {
                    let Some(f) = f.as_array() else {
                        return Err(BAD);
                    };
                    if f.is_empty() || f.len() > 10 {
                        return Err(BAD);
                    }
                    for t in f {
                        total += text_object(t, &["mrkdwn", "plain_text"], 2000)?;
                    }
                }
                if b.get("accessory").is_some_and(|a| !a.is_object()) {
                    return Err(BAD);
                }
                &["type", "block_id", "text", "fields", "accessory", "expand"]
            }
            "header" => {
                total += text_object(b.get("text").ok_or(BAD)?, &["plain_text"], 150)?;
                &["type", "block_id", "text", "level"]
            }
            "context" => {
                let Some(Value::Array(elements)) = b.get("elements") else {
                    return Err(BAD);
                };
                if elements.is_empty() || elements.len() > 10 {
                    return Err(BAD);
                }
                for e in elements {
                    if e.get("type").and_then(Value::as_str) == Some("image") {
                        image(e)?;
                    } else {
                        total += text_object(e, &["mrkdwn", "plain_text"], 3000)?;
                    }
                }
                &["type", "block_id", "elements"]
            }
            "divider" => &["type", "block_id"],
            "image" => {
                image(block)?;
                &[
                    "type",
                    "block_id",
                    "image_url",
                    "slack_file",
                    "alt_text",
                    "title",
                ]
            }
            "markdown" => {
                let Some(Value::String(t)) = b.get("text") else {
                    return Err(BAD);
                };
                total += t.chars().count();
                &["type", "block_id", "text"]
            }
            "rich_text" | "actions" => {
                let Some(Value::Array(elements)) = b.get("elements") else {
                    return Err(BAD);
                };
                if elements.is_empty() || (kind == "actions" && elements.len() > 25) {
                    return Err(BAD);
                }
                &["type", "block_id", "elements"]
            }
            _ => return Err(BAD),
        };
        if b.keys().any(|k| !allowed.contains(&k.as_str())) {
            return Err(BAD);
        }
    }
    if total > BLOCKS_TEXT_MAX {
        return Err(Fail::Error("msg_blocks_too_long"));
    }
    Ok(())
}

/// A composition text object of one of `kinds`, 1..=`max` chars; returns its length.
fn text_object(t: &Value, kinds: &[&str], max: usize) -> Result<usize, Fail> {
    const BAD: Fail = Fail::Error("invalid_blocks");
    let Value::Object(o) = t else { return Err(BAD) };
    let Some(kind) = o.get("type").and_then(Value::as_str) else {
        return Err(BAD);
    };
    if !kinds.contains(&kind) {
        return Err(BAD);
    }
    let Some(Value::String(text)) = o.get("text") else {
        return Err(BAD);
    };
    let n = text.chars().count();
    if n == 0 || n > max {
        return Err(BAD);
    }
    let flag = if kind == "mrkdwn" {
        "verbatim"
    } else {
        "emoji"
    };
    if o.keys().any(|k| k != "type" && k != "text" && k != flag)
        || o.get(flag).is_some_and(|v| !v.is_boolean())
    {
        return Err(BAD);
    }
    Ok(n)
}

fn image(e: &Value) -> Result<(), Fail> {
    let ok = e
        .get("alt_text")
        .and_then(Value::as_str)
        .is_some_and(|a| !a.is_empty() && a.chars().count() <= 2000)
        && (e
            .get("image_url")
            .and_then(Value::as_str)
            .is_some_and(|u| u.starts_with("http"))
            || e.get("slack_file").is_some());
    if ok {
        Ok(())
    } else {
        Err(Fail::Error("invalid_blocks"))
    }
}
