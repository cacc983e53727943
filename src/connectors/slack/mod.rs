//! The Slack connector: copydesk as a bot in a Slack workspace, over Socket Mode, on
//! slack-morphism.
//!
//! The connector turns Slack's events into `Desk` calls and lifecycle steps, and the
//! desk's replies into Block Kit messages; what to answer and what to warn about is
//! decided in the core and `crate::lifecycle`, the same code as for Matrix.
//!
//! How a run goes:
//! 1. `start`: `auth.test` with the bot token (who the bot is: its own messages are
//!    never answered), and the app-level token tried; the editors' user groups are
//!    looked up (`ops`), and again on a timer.
//! 2. `socket`: Socket Mode opens (two connections, each reconnecting on its own after
//!    a disconnect or a refresh request, watched by `connections` for `/healthz`); every
//!    envelope is acknowledged at once and its event queued. There is no backlog to
//!    skip: Socket Mode delivers only what happens while connected, and redeliveries are
//!    caught by event id.
//! 3. `messages`: a dispatcher hands each event (read by `events`) to its channel's lane
//!    (`crate::lifecycle::lanes`); `outgoing` posts through the Web API (`api`), paced
//!    per channel and patient with 429s (`pace`).
//! 4. SIGINT/SIGTERM close the sockets, every lane finishes its queue (within
//!    `SHUTDOWN_GRACE`; each event still unfinished then is logged by channel and id),
//!    and the bot exits.
//!
//! Privacy: logs at info and above carry channel ids, message ids (`channel/ts`) and
//! user ids, never message text. Files in `data_dir`: `memory.json`, `settings.json`,
//! `stats.json`, `audit.jsonl` (see `crate::lifecycle::memory`, `crate::operations`) and
//! `lock`.

mod api;
mod connections;
mod events;
mod messages;
mod ops;
mod outgoing;
mod pace;
mod socket;
mod start;
mod unfinished;

use std::collections::HashSet;
use std::os::unix::fs::DirBuilderExt as _;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use copydesk_core::Desk;
use tokio::sync::mpsc;

use crate::config::{Config, SlackConfig};
use crate::connectors::running::{Shutdown, lock_data_dir};
use crate::lifecycle::Lifecycle;
use crate::lifecycle::decide::Policy;
use crate::operations::Operations;
use crate::operations::metrics::{Metrics, Platform};
use crate::operations::reload::Reloader;
use events::Own;
use outgoing::Slack;

/// How long the lanes may take to finish queued events at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// Whether Slack runs alone in the process, or beside Matrix (which then serves the file
/// watcher and the reload notices for both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alone {
    Yes,
    No,
}

/// Everything the handlers share.
pub struct SlackBot {
    own: Own,
    /// The warning lifecycle, and through it the desk and everything operations keeps.
    lifecycle: Lifecycle,
    /// How the lifecycle posts, updates and deletes.
    out: Slack,
    config: SlackConfig,
    /// The members of `editor_groups`, as last looked up.
    group_editors: RwLock<HashSet<String>>,
}

impl SlackBot {
    fn ops(&self) -> &Operations {
        self.lifecycle.ops()
    }

    /// The desk serving now (a reload swaps it): take it once per message.
    fn desk(&self) -> Arc<Desk> {
        self.ops().desk()
    }

    fn is_editor(&self, user: &str) -> bool {
        self.config.editors.iter().any(|e| e == user)
            || self
                .group_editors
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .contains(user)
    }

    /// The settings of `channel`: its mode (set by an editor with `!mode`, else from the
    /// configuration) and whether warnings are muted.
    fn policy(&self, channel: &str) -> Policy {
        self.lifecycle.policy(channel, self.config.mode(channel))
    }
}

/// Runs the Slack bot until SIGINT or SIGTERM. Returns an error only for what retrying
/// cannot fix (a token Slack refuses, a data_dir that cannot be used).
pub async fn serve(
    config: &Config,
    reloader: Arc<Reloader>,
    metrics: Arc<Metrics>,
    alone: Alone,
) -> anyhow::Result<()> {
    let mut shutdown = Shutdown::listen()?;
    let slack = config.slack.clone().context("no [slack] table")?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&slack.data_dir)
        .with_context(|| format!("cannot create data_dir {}", slack.data_dir.display()))?;
    let _lock = lock_data_dir(&slack.data_dir)?;
    let app_token = slack.app_token.read()?;
    let bot_token = slack.bot_token.read()?;
    let ops = Operations::open(
        &slack.data_dir,
        config.ops.clone(),
        reloader,
        (metrics.clone(), Platform::Slack),
        slack.editors_channel.is_some(),
    )?;
    let lifecycle = Lifecycle::open(&slack.data_dir, ops, slack.editors_channel.clone())?;

    let client = api::client(&slack.api_url)?;
    let api = api::Api::new(client.clone(), &bot_token);
    let identity = tokio::select! {
        identity = start::who_am_i(&api, &slack.bot_token) => identity?,
        () = shutdown.requested() => return Ok(()),
    };
    let checking = start::check_app_token(client.clone(), &app_token, &slack.app_token);
    tokio::select! {
        checked = checking => checked?,
        () = shutdown.requested() => return Ok(()),
    }
    let bot = Arc::new(SlackBot {
        own: Own {
            user_id: identity.user_id.clone(),
            prefix: config.bot.prefix.clone(),
        },
        out: Slack::new(api, identity),
        lifecycle,
        config: slack.clone(),
        group_editors: RwLock::new(HashSet::new()),
    });
    ops::refresh_editor_groups(&bot).await;

    let (queue, inbox) = mpsc::unbounded_channel();
    let in_hand = Arc::new(messages::InHand::default());
    let dispatcher = tokio::spawn(messages::work(bot.clone(), inbox, in_hand.clone()));
    let (commands_bot, note_bot) = (bot.clone(), bot.clone());
    let intake = Arc::new(socket::Intake {
        queue: queue.clone(),
        recent: socket::Recent::default(),
        commands: Box::new(move |event| messages::slash_command(&commands_bot, event)),
        note: Box::new(move |push| messages::note_received(&note_bot, push)),
    });
    unfinished::requeue(&bot, &queue).await;
    let listening = socket::listen(&client, &app_token, intake, slack.reconnect_secs, metrics);
    let listener = tokio::select! {
        listener = listening => listener?,
        () = shutdown.requested() => return Ok(()),
    };

    let mut background = vec![tokio::spawn(ops::editor_groups(bot.clone()))];
    let mut _watch = None;
    if alone == Alone::Yes {
        background.push(tokio::spawn(ops::freshness(bot.clone())));
        if bot.ops().settings().reload.watch {
            let (watch, reloads) = bot
                .ops()
                .reloader()
                .watch(bot.ops().settings().reload.debounce)?;
            background.push(tokio::spawn(ops::forward_reloads(bot.clone(), reloads)));
            _watch = Some(watch);
        }
    }
    tracing::info!(
        user = %bot.own.user_id,
        api_url = %slack.api_url,
        default_mode = %slack.default_mode,
        "copydesk is running in Slack"
    );

    shutdown.requested().await;
    // Close the sockets (nothing new arrives), then finish what is queued.
    listener.shutdown().await;
    drop(listener);
    let _ = queue.send(messages::Incoming::Stop);
    match tokio::time::timeout(SHUTDOWN_GRACE, dispatcher).await {
        Ok(_) => tracing::info!("Slack stopped cleanly"),
        Err(_) => {
            let unfinished = in_hand.log_unfinished();
            tracing::warn!(unfinished, "Slack stopped with events not finished");
        }
    }
    for task in background {
        task.abort();
    }
    bot.ops().shutdown();
    Ok(())
}
