//! Reading a Matrix message as the desk should see it: without the quoted reply fallback,
//! and with a mention of the bot at the start turned into a command line.

/// The ways people address the bot at the start of a message.
#[derive(Debug, Clone)]
pub struct Names {
    /// `@copydesk:example.org`
    user_id: String,
    /// `@copydesk`
    at_localpart: String,
    /// The bot's display name, when it has one (what a mention pill shows in `body`).
    display_name: Option<String>,
}

impl Names {
    pub fn new(user_id: &str, display_name: Option<&str>) -> Names {
        let localpart = user_id
            .strip_prefix('@')
            .and_then(|rest| rest.split(':').next())
            .unwrap_or(user_id);
        Names {
            user_id: user_id.to_owned(),
            at_localpart: format!("@{localpart}"),
            display_name: display_name
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(str::to_owned),
        }
    }
}

/// The command line of a message that starts by addressing the bot, or `None`.
///
/// `@copydesk context bulgaria`, `@copydesk:example.org: context bulgaria` and, when the
/// bot's display name is `copydesk`, `copydesk: context bulgaria` (what Element puts in
/// `body` for a mention pill) all give `context bulgaria`. A bare display name needs a
/// colon or comma after it, or an explicit mention (`mentioned`: the event's `m.mentions`
/// or a pill in `formatted_body` names the bot): "Copydesk is down again" is chat, not
/// a command. A mention with nothing after it asks for `help`; a prefix after the mention
/// (`@copydesk !context x`) is tolerated.
pub fn addressed<'a>(
    text: &'a str,
    names: &Names,
    prefix: &str,
    mentioned: bool,
) -> Option<&'a str> {
    let text = text.trim_start();
    let explicit = [names.user_id.as_str(), names.at_localpart.as_str()];
    let rest = explicit
        .iter()
        .find_map(|name| after_name(text, name, false))
        .or_else(|| {
            let name = names.display_name.as_deref()?;
            after_name(text, name, !mentioned)
        })?;
    let rest = rest.trim_start_matches([':', ',']).trim();
    let rest = rest.strip_prefix(prefix).unwrap_or(rest).trim_start();
    Some(if rest.is_empty() { "help" } else { rest })
}

/// The text after `name` at the start of `text` (case-insensitive), if `name` is followed
/// by the end, a space, a colon or a comma (only a colon or comma when `needs_punctuation`).
fn after_name<'a>(text: &'a str, name: &str, needs_punctuation: bool) -> Option<&'a str> {
    let head = text.get(..name.len())?;
    if head.to_lowercase() != name.to_lowercase() {
        return None;
    }
    let rest = &text[name.len()..];
    let next = rest.chars().next();
    let ok = match next {
        None => !needs_punctuation,
        Some(':' | ',') => true,
        Some(c) if c.is_whitespace() => !needs_punctuation,
        Some(_) => false,
    };
    ok.then_some(rest)
}

/// `body` without the reply fallback that older clients put at its start: the quoted
/// `> ` lines and the blank line after them. Only replies carry a fallback, so only call
/// this for a message that is a reply.
pub fn strip_reply_fallback(body: &str) -> &str {
    if !body.starts_with('>') {
        return body;
    }
    let mut rest = body;
    while rest.starts_with('>') {
        match rest.split_once('\n') {
            Some((_, after)) => rest = after,
            None => return "",
        }
    }
    rest.strip_prefix('\n').unwrap_or(rest)
}

/// `formatted_body` without its `<mx-reply>…</mx-reply>` fallback block.
pub fn strip_mx_reply(html: &str) -> &str {
    let Some(end) = html.find("</mx-reply>") else {
        return html;
    };
    if html.trim_start().starts_with("<mx-reply>") {
        &html[end + "</mx-reply>".len()..]
    } else {
        html
    }
}

/// Whether `html` starts with a mention pill (a matrix.to link) for `user_id`.
pub fn starts_with_pill(html: &str, user_id: &str) -> bool {
    let html = html.trim_start();
    let Some(rest) = html.strip_prefix("<a ") else {
        return false;
    };
    let Some(tag_end) = rest.find('>') else {
        return false;
    };
    let tag = &rest[..tag_end];
    tag.contains("https://matrix.to/#/")
        && (tag.contains(user_id) || tag.contains(&percent_encode_user_id(user_id)))
}

fn percent_encode_user_id(user_id: &str) -> String {
    user_id.replace('@', "%40").replace(':', "%3A")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names::new("@copydesk:localhost", Some("Copydesk"))
    }

    #[test]
    fn mxid_and_at_localpart_address_the_bot() {
        let n = names();
        assert_eq!(
            addressed("@copydesk context bulgaria", &n, "!", false),
            Some("context bulgaria")
        );
        assert_eq!(
            addressed("@copydesk:localhost: context bulgaria", &n, "!", false),
            Some("context bulgaria")
        );
        assert_eq!(
            addressed("@COPYDESK, sources mitov", &n, "!", false),
            Some("sources mitov")
        );
        assert_eq!(addressed("@copydesk", &n, "!", false), Some("help"));
        assert_eq!(
            addressed("@copydesk !context x", &n, "!", false),
            Some("context x")
        );
    }

    #[test]
    fn display_name_needs_punctuation_or_a_real_mention() {
        let n = names();
        assert_eq!(
            addressed("copydesk: context bulgaria", &n, "!", false),
            Some("context bulgaria")
        );
        assert_eq!(addressed("Copydesk is down again", &n, "!", false), None);
        assert_eq!(
            addressed("Copydesk context bulgaria", &n, "!", true),
            Some("context bulgaria")
        );
    }

    #[test]
    fn other_text_is_not_addressed() {
        let n = names();
        assert_eq!(addressed("@copydesker hi", &n, "!", false), None);
        assert_eq!(addressed("hello @copydesk", &n, "!", false), None);
        assert_eq!(addressed("!context x", &n, "!", false), None);
        assert_eq!(addressed("@editor:localhost hi", &n, "!", false), None);
    }

    #[test]
    fn reply_fallback_is_stripped() {
        assert_eq!(
            strip_reply_fallback("> <@a:x> Russia did it\n> more\n\n!context bulgaria"),
            "!context bulgaria"
        );
        assert_eq!(strip_reply_fallback("no fallback"), "no fallback");
        assert_eq!(strip_reply_fallback("> only a quote"), "");
    }

    #[test]
    fn mx_reply_is_stripped() {
        assert_eq!(
            strip_mx_reply("<mx-reply><blockquote>q</blockquote></mx-reply>answer"),
            "answer"
        );
        assert_eq!(strip_mx_reply("plain <b>html</b>"), "plain <b>html</b>");
    }

    #[test]
    fn pills_are_recognised() {
        assert!(starts_with_pill(
            r#"<a href="https://matrix.to/#/@copydesk:localhost">Copydesk</a>: context x"#,
            "@copydesk:localhost"
        ));
        assert!(starts_with_pill(
            r#"<a href="https://matrix.to/#/%40copydesk%3Alocalhost">Copydesk</a> hi"#,
            "@copydesk:localhost"
        ));
        assert!(!starts_with_pill(
            r#"see <a href="https://matrix.to/#/@copydesk:localhost">Copydesk</a>"#,
            "@copydesk:localhost"
        ));
    }
}
