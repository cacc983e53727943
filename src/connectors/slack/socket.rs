//! Socket Mode: slack-morphism's listener, and callbacks that only hand events on.
//!
//! Protocol traps, each avoided here:
//! - The listener acknowledges an envelope only when the callback returns, and reads the
//!   next frame of its connection only then. A callback that waited for a reply (or a
//!   429) would hold every ack behind it past Slack's 3 s, and Slack would deliver it
//!   again. So the push callback only queues the event and returns: the ack goes at once.
//! - An `Err` from a callback means no ack (and a redelivery); a frame that does not
//!   parse reaches the error handler. Both are answered with 200 so nothing is
//!   redelivered forever, and logged.
//! - Slack redelivers, and the listener keeps two connections, either of which may carry
//!   the copy: recent `event_id`s are remembered here, in memory, so a copy is dropped
//!   before it costs anything; the lifecycle's persisted record (`has_handled`) catches
//!   what a restart forgot.
//! - A slash command is answered in its ack (`/context …`, ephemeral): the desk is pure
//!   and fast, and the answer needs no Web API call, rate limit or channel membership.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use copydesk_core::{Action, Caller, Outcome};
use slack_morphism::prelude::*;
use tokio::sync::mpsc::UnboundedSender;

use super::connections::{Open, Watched};
use super::messages::Incoming;
use crate::operations::lock;
use crate::operations::metrics::Metrics;

/// The listener's client: the Web API client's connector, its connections watched.
type Client = SlackClient<Watched<SlackClientHyperHttpsConnector>>;

/// How many recent event ids are remembered (a few minutes of a busy workspace).
const RECENT_LIMIT: usize = 4_096;

/// What the callbacks share: where events go, and which arrived lately.
pub struct Intake {
    pub queue: UnboundedSender<Incoming>,
    pub recent: Recent,
    /// Answers slash commands (in the callback itself, see above).
    pub commands: Box<dyn Fn(&SlackCommandEvent) -> SlackCommandEventResponse + Send + Sync>,
    /// Notes an event as received, durably, before it is acknowledged: Slack does not
    /// deliver an acknowledged event again, so a crash with it still queued would lose it.
    pub note: Box<dyn Fn(&SlackPushEventCallback) + Send + Sync>,
}

/// A bounded set of recently seen ids.
#[derive(Default)]
pub struct Recent(Mutex<(HashSet<String>, VecDeque<String>)>);

impl Recent {
    /// Whether `id` is new; it is remembered either way.
    pub fn first_time(&self, id: &str) -> bool {
        let mut guard = lock(&self.0);
        let (set, order) = &mut *guard;
        if !set.insert(id.to_owned()) {
            return false;
        }
        order.push_back(id.to_owned());
        if order.len() > RECENT_LIMIT
            && let Some(old) = order.pop_front()
        {
            set.remove(&old);
        }
        true
    }
}

/// Starts listening on `app_token` (two connections, reconnecting on their own, each
/// reported to `metrics` as it opens and closes) through the Web API client `api`;
/// returns the listener, to shut it down.
pub async fn listen(
    api: &SlackClient<SlackClientHyperHttpsConnector>,
    app_token: &str,
    intake: Arc<Intake>,
    reconnect_secs: u64,
    metrics: Arc<Metrics>,
) -> anyhow::Result<SlackClientSocketModeListener<Watched<SlackClientHyperHttpsConnector>>> {
    let connector = Watched::new((*api.http_api.connector).clone(), Open::new(metrics));
    let environment = Arc::new(
        SlackClientEventsListenerEnvironment::new(Arc::new(SlackClient::new(connector)))
            .with_error_handler(on_error)
            .with_user_state(intake),
    );
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_push_events(on_push)
        .with_command_events(on_command);
    let config =
        SlackClientSocketModeConfig::new().with_reconnect_timeout_in_seconds(reconnect_secs);
    let listener = SlackClientSocketModeListener::new(&config, environment, callbacks);
    let token = SlackApiToken::new(SlackApiTokenValue::from(app_token.to_owned()));
    listener
        .listen_for(&token)
        .await
        .map_err(|e| anyhow::anyhow!("opening Socket Mode: {e}"))?;
    // `start`, not `serve`: serve waits for signals of its own; copydesk has its own
    // shutdown.
    listener.start().await;
    Ok(listener)
}

async fn intake(states: &SlackClientEventsUserState) -> Option<Arc<Intake>> {
    states.read().await.get_user_state::<Arc<Intake>>().cloned()
}

/// A push event: queued for the dispatcher unless it is a copy of a recent one.
async fn on_push(
    event: SlackPushEventCallback,
    _client: Arc<Client>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let Some(intake) = intake(&states).await else {
        return Ok(());
    };
    if !intake.recent.first_time(event.event_id.value()) {
        tracing::info!(event_id = %event.event_id, "delivered again; dropped");
        return Ok(());
    }
    // Queued first, so the handler starts while the note is written; the ack waits for
    // both (it goes when this returns).
    let noted = event.clone();
    let _ = intake.queue.send(Incoming::Event(Box::new(event)));
    (intake.note)(&noted);
    Ok(())
}

/// A slash command, answered in the ack.
async fn on_command(
    event: SlackCommandEvent,
    _client: Arc<Client>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let Some(intake) = intake(&states).await else {
        return Ok(ephemeral(&copydesk_core::Reply::new()));
    };
    // Slack never retries a slash command, but a fake or a proxy may: once per trigger.
    if !intake
        .recent
        .first_time(&format!("slash:{}", event.trigger_id.value()))
    {
        return Ok(ephemeral(&copydesk_core::Reply::new()));
    }
    Ok((intake.commands)(&event))
}

/// A frame that could not be read or handled: logged and acknowledged (200), so Slack
/// does not deliver it again forever. A connection that failed comes here too (the crate
/// then opens another). The log names the problem, never the frame's body, which holds
/// message text.
fn on_error(
    error: Box<dyn std::error::Error + Send + Sync>,
    _client: Arc<Client>,
    _states: SlackClientEventsUserState,
) -> hyper::StatusCode {
    tracing::warn!(
        "Socket Mode: a frame could not be handled, or a connection failed: {}",
        without_body(error.as_ref())
    );
    tracing::debug!("the frame's error in full: {error}");
    hyper::StatusCode::OK
}

/// An error's description without the JSON body slack-morphism puts in protocol errors.
fn without_body(error: &(dyn std::error::Error + 'static)) -> String {
    use slack_morphism::errors::SlackClientError;
    match error.downcast_ref::<SlackClientError>() {
        // serde's message may quote a value from the frame, so only its kind is kept.
        Some(SlackClientError::ProtocolError(protocol)) => {
            format!(
                "Slack JSON protocol error ({:?}) at line {} column {}",
                protocol.json_error.classify(),
                protocol.json_error.line(),
                protocol.json_error.column()
            )
        }
        _ => error.to_string(),
    }
}

/// `reply` as an ephemeral slash-command answer.
pub fn ephemeral(reply: &copydesk_core::Reply) -> SlackCommandEventResponse {
    let rendered = reply.to_slack();
    let content = SlackMessageContent::new()
        .with_text(rendered.text)
        .with_blocks(
            rendered
                .blocks
                .into_iter()
                .map(SlackBlock::Unknown)
                .collect(),
        );
    SlackCommandEventResponse::new(content).with_response_type(SlackMessageResponseType::Ephemeral)
}

/// The answer to a slash command: `/context bulgaria` is `context bulgaria`. Admin
/// commands are for channels (`!mode` sets the mode of the channel it is typed in).
pub fn answer_command(
    desk: &copydesk_core::Desk,
    event: &SlackCommandEvent,
    is_editor: bool,
) -> (Option<&'static str>, copydesk_core::Reply) {
    let name = event.command.value().trim_start_matches('/');
    let args = event
        .text
        .as_deref()
        .map(super::events::plain_text)
        .unwrap_or_default();
    let line = format!("{name} {args}");
    let today = crate::operations::today();
    match desk.command_as(line.trim(), today, Caller { is_editor }) {
        Action::Outcome(Outcome::Answer { command, reply }) => (Some(command), reply),
        Action::Admin { command, .. } => (
            Some(command),
            copydesk_core::Reply::new().paragraph(vec![copydesk_core::reply::Inline::text(
                format!("Type `!{command}` in the channel it is for."),
            )]),
        ),
        Action::Outcome(_) => (None, copydesk_core::Reply::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_frames_body_is_not_logged() {
        use slack_morphism::errors::{SlackClientError, SlackClientProtocolError};
        let json_error = serde_json::from_str::<u8>("\"x\"").unwrap_err();
        let error: Box<dyn std::error::Error + Send + Sync> =
            Box::new(SlackClientError::ProtocolError(
                SlackClientProtocolError::new(json_error)
                    .with_json_body("{\"text\":\"a secret scoop\"}".to_owned()),
            ));
        let logged = without_body(error.as_ref());
        assert!(!logged.contains("secret scoop"), "{logged}");
        assert!(logged.contains("protocol error"), "{logged}");
    }

    #[test]
    fn recent_ids_are_remembered_and_the_oldest_forgotten() {
        let recent = Recent::default();
        assert!(recent.first_time("Ev1"));
        assert!(!recent.first_time("Ev1"));
        for n in 0..RECENT_LIMIT {
            recent.first_time(&format!("x{n}"));
        }
        assert!(
            recent.first_time("Ev1"),
            "forgotten after RECENT_LIMIT others"
        );
    }
}
