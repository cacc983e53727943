//! What the connector checks at start, before it listens: that Slack accepts both tokens.
//!
//! An outage at boot (Slack or the network down) only delays the bot, and must not stop a
//! Matrix connector running beside it: the call is tried again until Slack answers. A
//! token Slack refuses stops the bot with one line naming the configuration key to fix.
//!
//! Protocol trap: slack-morphism's Socket Mode listener never reports a refused app-level
//! token; it logs and tries again, forever. So the token is tried here first, with one
//! `apps.connections.open` whose URL is left to expire unused.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use slack_morphism::errors::SlackClientError;

use super::api::{Api, Client, Identity};
use super::pace::{Retry, retry_after};
use crate::config::Secret;

/// How long to wait between attempts while Slack cannot be reached.
const UNREACHABLE_RETRY: Duration = Duration::from_secs(10);

/// `auth.test` with the bot token: who the bot is.
pub async fn who_am_i(api: &Api, secret: &Secret) -> anyhow::Result<Identity> {
    let refused = "Slack refused this bot token; it must be the installed app's Bot User \
                   OAuth Token (xoxb-…)";
    until_answered("auth.test", secret, refused, || api.auth_test()).await
}

/// `apps.connections.open` with the app-level token.
pub async fn check_app_token(
    client: Arc<Client>,
    token: &str,
    secret: &Secret,
) -> anyhow::Result<()> {
    let api = Api::new(client, token);
    let body = json!({});
    let refused = "Slack refused this app-level token; it must be the app's token (xapp-…) \
                   with the connections:write scope";
    until_answered("apps.connections.open", secret, refused, || {
        api.post("apps.connections.open", &body)
    })
    .await
    .map(drop)
}

/// `call` until Slack answers it; an error naming `secret` when the answer refuses it.
async fn until_answered<T, F, Fut>(
    method: &'static str,
    secret: &Secret,
    refused: &str,
    call: F,
) -> anyhow::Result<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut warned = false;
    loop {
        let error = match call().await {
            Ok(value) => {
                if warned {
                    tracing::info!(method, "Slack answers again");
                }
                return Ok(value);
            }
            Err(error) => error,
        };
        if let Some(code) = refusal(&error) {
            anyhow::bail!("{}: {refused} ({code})", secret.origin());
        }
        if !warned {
            tracing::warn!(
                method,
                "Slack cannot be reached at start; retrying: {error:#}"
            );
            warned = true;
        }
        tokio::time::sleep(UNREACHABLE_RETRY).await;
    }
}

/// The code of a Slack answer that refuses the call for good (`invalid_auth`,
/// `not_allowed_token_type`, …); `None` for what another try may fix (the network, a
/// rate limit, Slack's own `internal_error`).
fn refusal(error: &anyhow::Error) -> Option<&str> {
    error
        .chain()
        .find_map(|cause| match cause.downcast_ref::<SlackClientError>() {
            Some(slack @ SlackClientError::ApiError(api)) if retry_after(slack) == Retry::Never => {
                Some(api.code.as_str())
            }
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use slack_morphism::errors::SlackClientApiError;

    fn api(code: &str) -> anyhow::Error {
        anyhow::Error::new(SlackClientError::ApiError(SlackClientApiError::new(
            code.to_owned(),
        )))
        .context("apps.connections.open failed")
    }

    #[test]
    fn only_a_refusal_stops_the_start() {
        assert_eq!(refusal(&api("invalid_auth")), Some("invalid_auth"));
        assert_eq!(
            refusal(&api("not_allowed_token_type")),
            Some("not_allowed_token_type")
        );
        assert_eq!(refusal(&api("internal_error")), None);
        assert_eq!(refusal(&api("ratelimited")), None);
        assert_eq!(refusal(&anyhow::anyhow!("connection refused")), None);
    }
}
