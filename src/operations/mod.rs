//! Operations: what a long-running connector does besides chatting, in one place and
//! with no chat platform in it. The desk behind hot reload, editors' admin commands
//! carried out (modes and mutes that survive restarts, stats, reloads), counters,
//! feedback on warnings, the audit log, metrics and the daily freshness list.
//!
//! The lifecycle (`crate::lifecycle`) calls one method at each point where something
//! happens (a message checked, a warning posted or withdrawn, a vote, an admin request)
//! and sends the replies it gets back; everything here speaks in room, event and user ids
//! as strings.

pub mod audit;
pub mod feedback;
pub mod freshness;
pub mod metrics;
pub mod reload;
pub mod settings;
pub mod state_file;
pub mod stats;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use copydesk_core::admin::{self, AdminRequest, Mute, Period, RoomMode};
use copydesk_core::feedback::{RuleFeedback, Vote};
use copydesk_core::{Desk, MessageReport, Reply};
use jiff::civil::{Date, DateTime};
use jiff::{Timestamp, Zoned};

use self::audit::{Action, AuditLog, AuditSettings, Record};
use self::feedback::FeedbackSettings;
use self::freshness::FreshnessSettings;
use self::metrics::{Metrics, MetricsSettings, Platform};
use self::reload::{Reload, ReloadSettings, Reloader};
use self::settings::Settings;
use self::stats::StatsStore;
use crate::logging::LogFormat;

/// The configuration sections this module serves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpsSettings {
    pub audit: AuditSettings,
    pub feedback: FeedbackSettings,
    pub metrics: MetricsSettings,
    pub freshness: FreshnessSettings,
    pub reload: ReloadSettings,
    pub log: LogFormat,
}

/// Who did something, and where: the ids an audit record carries.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub room: &'a str,
    /// The event acted on (the command, the warned message, the reaction).
    pub event: &'a str,
    pub sender: &'a str,
}

/// A warning the connector has just posted.
#[derive(Debug, Clone, Copy)]
pub struct PostedWarning<'a> {
    /// The warned message: its room, id and author.
    pub message: Origin<'a>,
    /// The warning event.
    pub warning: &'a str,
    /// The report the warning was rendered from.
    pub report: &'a MessageReport,
    /// The warned message's text (kept in the audit log only with `include_text`).
    pub text: &'a str,
}

/// An admin request carried out.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminDone {
    /// The answer for the room the command came from.
    pub reply: Reply,
    /// The room's new mode, when `!mode` changed it.
    pub mode: Option<RoomMode>,
}

/// Everything operations keeps, shared by the connector's handlers.
pub struct Operations {
    reloader: Arc<Reloader>,
    audit: AuditLog,
    stats: Mutex<StatsStore>,
    settings: Mutex<Settings>,
    /// The process's metrics, shared with the other connector if there is one.
    metrics: Arc<Metrics>,
    /// Which connector this is, for the metrics' `platform` label.
    platform: Platform,
    config: OpsSettings,
    has_editors_room: bool,
}

/// Locks `mutex`. A panic while holding a lock leaves plain data behind (counters, ids):
/// keep going with it rather than stop the bot.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// The local calendar date: what staleness and the daily counters go by.
pub fn today() -> Date {
    Zoned::now().date()
}

impl Operations {
    /// Opens the state files in `data_dir` (`audit.jsonl`, `stats.json`,
    /// `settings.json`) around `reloader`'s desk, counting into `metrics` as `platform`.
    pub fn open(
        data_dir: &Path,
        config: OpsSettings,
        reloader: Arc<Reloader>,
        (metrics, platform): (Arc<Metrics>, Platform),
        has_editors_room: bool,
    ) -> anyhow::Result<Operations> {
        metrics.knowledge(reloader.desk().knowledge().version());
        Ok(Operations {
            audit: AuditLog::open(data_dir, config.audit.clone())?,
            stats: Mutex::new(StatsStore::load(data_dir)?),
            settings: Mutex::new(Settings::load(data_dir)?),
            metrics,
            platform,
            reloader,
            config,
            has_editors_room,
        })
    }

    /// The desk serving now; hold it for the whole of one message.
    pub fn desk(&self) -> Arc<Desk> {
        self.reloader.desk()
    }

    pub fn reloader(&self) -> &Arc<Reloader> {
        &self.reloader
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    pub fn settings(&self) -> &OpsSettings {
        &self.config
    }

    /// The mode an editor set for `room` with `!mode`, which wins over the configuration.
    pub fn room_mode(&self, room: &str) -> Option<RoomMode> {
        lock(&self.settings).mode(room)
    }

    /// Whether `!mute` silences attribution warnings in `room` now.
    pub fn warnings_muted(&self, room: &str) -> bool {
        lock(&self.settings).is_muted(room, Timestamp::now())
    }

    /// A message was checked in `took` (whether or not it gets a warning).
    pub fn checked(&self, took: Duration) {
        self.metrics.checked(self.platform, took);
        let mut stats = lock(&self.stats);
        stats.checked(today());
        if let Err(error) = stats.save_soon() {
            tracing::warn!("{error:#}");
        }
    }

    /// A command was answered (admin commands included).
    pub fn answered(&self, command: &str) {
        self.metrics.command(self.platform, command);
        lock(&self.stats).answered(today());
    }

    /// A warning was posted: counted and audited.
    pub fn warned(&self, posted: PostedWarning<'_>) {
        let verdict = posted.report.verdict();
        let mut rules: Vec<String> = Vec::new();
        let mut allegations: Vec<String> = Vec::new();
        for finding in posted.report.alarms() {
            if !rules.contains(&finding.rule) {
                rules.push(finding.rule.clone());
            }
            if let Some(a) = &finding.allegation {
                let key = format!("{}/{}", a.topic, a.id);
                if !allegations.contains(&key) {
                    allegations.push(key);
                }
            }
        }
        self.metrics.warned(self.platform, verdict.as_str());
        {
            let mut stats = lock(&self.stats);
            stats.warned(today(), verdict, &rules, &allegations);
            if let Err(error) = stats.save_soon() {
                tracing::warn!("{error:#}");
            }
        }
        self.audit.append(
            Record::now(Action::Warn)
                .room(posted.message.room)
                .event(posted.message.event)
                .sender(posted.message.sender)
                .verdict(verdict.as_str())
                .rules(rules)
                .allegations(allegations)
                .detail(format!("warning {}", posted.warning))
                .text(posted.text),
        );
    }

    /// A warning was taken back (`why`: edited to attribute, original redacted).
    pub fn withdrew(&self, message: Origin<'_>, warning: &str, why: &str) {
        self.audit.append(
            Record::now(Action::Withdraw)
                .room(message.room)
                .event(message.event)
                .sender(message.sender)
                .detail(format!("warning {warning}: {why}")),
        );
    }

    /// A vote on a warning was cast (`counted`) or taken back: counted and audited.
    /// `origin` is the reaction, or the deletion that took it back.
    pub fn voted(
        &self,
        origin: Origin<'_>,
        rules: &[String],
        allegations: &[String],
        vote: Vote,
        counted: bool,
    ) {
        if counted {
            self.metrics.feedback(self.platform, vote.as_str());
        }
        let detail = match counted {
            true => vote.as_str().to_owned(),
            false => format!("{} taken back", vote.as_str()),
        };
        self.audit.append(
            Record::now(Action::Feedback)
                .room(origin.room)
                .event(origin.event)
                .sender(origin.sender)
                .rules(rules)
                .allegations(allegations)
                .detail(detail),
        );
    }

    /// Feedback demoted rules from flag to weak (`newly`) or restored them (`restored`),
    /// after the vote `origin`: logged and audited.
    pub fn demotions_changed(
        &self,
        origin: Origin<'_>,
        newly: &BTreeSet<&String>,
        restored: &BTreeSet<&String>,
    ) {
        for (rules, detail) in [(newly, "flag to weak"), (restored, "restored to flag")] {
            if rules.is_empty() {
                continue;
            }
            tracing::info!(?rules, detail, "feedback changed the demoted rules");
            self.audit.append(
                Record::now(Action::Demote)
                    .room(origin.room)
                    .event(origin.event)
                    .rules(rules.iter())
                    .detail(detail),
            );
        }
    }

    /// Carries out an editor's admin request from `origin` and renders the answer.
    /// `votes` gives, for `!stats`, the votes per rule in a period and the rules feedback
    /// demotes (the lifecycle remembers the votes).
    pub async fn admin(
        &self,
        origin: Origin<'_>,
        request: AdminRequest,
        votes: impl FnOnce(Period) -> (BTreeMap<String, RuleFeedback>, BTreeSet<String>),
    ) -> AdminDone {
        let record = |action: Action| {
            Record::now(action)
                .room(origin.room)
                .event(origin.event)
                .sender(origin.sender)
        };
        let done = |reply: Reply| AdminDone { reply, mode: None };
        match request {
            AdminRequest::SetMode(RoomMode::Editors) if !self.has_editors_room => {
                done(admin::no_editors_room())
            }
            AdminRequest::SetMode(mode) => {
                if let Err(error) = lock(&self.settings).set_mode(origin.room, mode) {
                    tracing::warn!("{error:#}");
                }
                self.audit
                    .append(record(Action::Mode).detail(mode.as_str()));
                tracing::info!(room = origin.room, %mode, by = origin.sender, "mode set");
                AdminDone {
                    reply: admin::mode_set(mode),
                    mode: Some(mode),
                }
            }
            AdminRequest::Mute(mute) => {
                let now = Timestamp::now();
                let until = match mute {
                    Mute::For(duration) => now
                        .checked_add(jiff::SignedDuration::try_from(duration).unwrap_or_default())
                        .ok(),
                    Mute::Off => None,
                };
                if let Err(error) = lock(&self.settings).set_mute(origin.room, until, now) {
                    tracing::warn!("{error:#}");
                }
                let detail = match (mute, until) {
                    (Mute::For(_), Some(until)) => format!("until {until}"),
                    _ => "off".to_owned(),
                };
                self.audit.append(record(Action::Mute).detail(detail));
                let local = until.map(|u| u.to_zoned(jiff::tz::TimeZone::system()).datetime());
                done(admin::muted(mute, local))
            }
            AdminRequest::Stats(period) => {
                let (per_rule, demoted) = votes(period);
                let stats = stats::compose(&lock(&self.stats), per_rule, demoted, period, today());
                self.audit
                    .append(record(Action::Admin).detail(format!("stats {}", period.label())));
                done(admin::stats(&stats, period))
            }
            AdminRequest::Reload => {
                let reloader = self.reloader.clone();
                let outcome = match tokio::task::spawn_blocking(move || reloader.reload()).await {
                    Ok(outcome) => outcome,
                    Err(error) => Reload::Failed {
                        serving: self.desk().knowledge().version().to_owned(),
                        problems: vec![format!("the reload stopped unexpectedly: {error}")],
                    },
                };
                done(self.reload_report(&outcome, Some(origin)))
            }
        }
    }

    /// Audits and counts a reload (by `!reload` from `origin`, or by the file watcher),
    /// and renders the notice for editors.
    pub fn reload_report(&self, outcome: &Reload, origin: Option<Origin<'_>>) -> Reply {
        let mut record = Record::now(Action::Reload);
        if let Some(origin) = origin {
            record = record
                .room(origin.room)
                .event(origin.event)
                .sender(origin.sender);
        }
        match outcome {
            Reload::Swapped { before, after } => {
                self.metrics.reloaded("ok");
                self.metrics.knowledge(after);
                self.audit
                    .append(record.detail(format!("ok: version {before} -> {after}")));
                admin::reloaded(before, after)
            }
            Reload::Failed { serving, problems } => {
                self.metrics.reloaded("failed");
                self.audit.append(record.detail(format!(
                    "failed ({} problems); still serving {serving}",
                    problems.len()
                )));
                admin::reload_failed(serving, problems)
            }
        }
    }

    /// The daily list of stale topics, when it is due at `now` (local) and not empty.
    /// An empty list counts as sent. Call [`Operations::freshness_sent`] once it is
    /// posted.
    pub fn freshness_due(&self, now: DateTime) -> Option<Reply> {
        let settings = self.config.freshness;
        if !settings.enabled {
            return None;
        }
        let last = lock(&self.settings).freshness_posted();
        if !freshness::due(now, settings.at, last) {
            return None;
        }
        let desk = self.desk();
        if admin::stale_topics(desk.knowledge(), now.date()).is_empty() {
            self.freshness_sent(now.date());
            return None;
        }
        Some(admin::stale(desk.knowledge(), now.date()))
    }

    /// Records that the freshness list for `day` went out.
    pub fn freshness_sent(&self, day: Date) {
        if let Err(error) = lock(&self.settings).set_freshness_posted(day) {
            tracing::warn!("{error:#}");
        }
    }

    /// Saves what is saved lazily (the counters); call at shutdown.
    pub fn shutdown(&self) {
        if let Err(error) = lock(&self.stats).save() {
            tracing::warn!("{error:#}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use copydesk_core::{Checker, KnowledgeBase};

    use crate::loading::EXAMPLE_KNOWLEDGE as KB;

    fn desk() -> Desk {
        Desk::new(
            KnowledgeBase::parse("knowledge.toml", KB).unwrap(),
            Checker::default(),
            "!",
        )
    }

    /// Metrics of their own, for one test.
    fn test_metrics() -> (Arc<Metrics>, Platform) {
        let metrics = Metrics::new(metrics::DEFAULT_MAX_SYNC_AGE, &[Platform::Matrix]);
        (Arc::new(metrics), Platform::Matrix)
    }

    fn open(dir: &Path, config: OpsSettings) -> Operations {
        let reloader = Arc::new(Reloader::new(desk(), Vec::new(), || Ok(desk())));
        Operations::open(dir, config, reloader, test_metrics(), true).unwrap()
    }

    fn origin<'a>(event: &'a str, sender: &'a str) -> Origin<'a> {
        Origin {
            room: "!room:localhost",
            event,
            sender,
        }
    }

    /// No votes: what `admin` asks the lifecycle for `!stats`.
    fn no_votes(_: Period) -> (BTreeMap<String, RuleFeedback>, BTreeSet<String>) {
        Default::default()
    }

    #[tokio::test]
    async fn modes_and_mutes_persist_across_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let ops = open(dir.path(), OpsSettings::default());
        let by = origin("$cmd", "@editor:localhost");
        let done = ops
            .admin(by, AdminRequest::SetMode(RoomMode::Warn), no_votes)
            .await;
        assert_eq!(done.mode, Some(RoomMode::Warn));
        assert!(done.reply.to_plain().starts_with("Mode set to `warn`"));
        let done = ops
            .admin(
                by,
                AdminRequest::Mute(Mute::For(Duration::from_secs(3600))),
                no_votes,
            )
            .await;
        assert!(
            done.reply.to_plain().contains("muted for 1h"),
            "{:?}",
            done.reply
        );
        drop(ops);

        let ops = open(dir.path(), OpsSettings::default());
        assert_eq!(ops.room_mode("!room:localhost"), Some(RoomMode::Warn));
        assert!(ops.warnings_muted("!room:localhost"));
        assert!(!ops.warnings_muted("!other:localhost"));
        ops.admin(by, AdminRequest::Mute(Mute::Off), no_votes).await;
        assert!(!ops.warnings_muted("!room:localhost"));

        let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
        let actions: Vec<String> = audit
            .lines()
            .map(|l| {
                serde_json::from_str::<Record>(l)
                    .unwrap()
                    .action
                    .as_str()
                    .to_owned()
            })
            .collect();
        assert_eq!(actions, ["mode", "mute", "mute"]);
    }

    #[tokio::test]
    async fn editors_mode_needs_an_editors_room() {
        let dir = tempfile::tempdir().unwrap();
        let reloader = Arc::new(Reloader::new(desk(), Vec::new(), || Ok(desk())));
        let ops = Operations::open(
            dir.path(),
            OpsSettings::default(),
            reloader,
            test_metrics(),
            false,
        )
        .unwrap();
        let done = ops
            .admin(
                origin("$c", "@e:x"),
                AdminRequest::SetMode(RoomMode::Editors),
                no_votes,
            )
            .await;
        assert_eq!(done.mode, None);
        assert!(done.reply.to_plain().contains("no editors' room"));
        assert_eq!(ops.room_mode("!room:localhost"), None);
    }

    #[tokio::test]
    async fn reload_reports_failure_and_keeps_serving() {
        let dir = tempfile::tempdir().unwrap();
        let kb = dir.path().join("kb.toml");
        std::fs::write(&kb, KB).unwrap();
        let path = kb.clone();
        let build = move || -> anyhow::Result<Desk> {
            Ok(Desk::new(
                crate::loading::knowledge(Some(&path))?,
                Checker::default(),
                "!",
            ))
        };
        let reloader = Arc::new(Reloader::new(build().unwrap(), vec![kb.clone()], build));
        let ops = Operations::open(
            dir.path(),
            OpsSettings::default(),
            reloader,
            test_metrics(),
            true,
        )
        .unwrap();
        let version = ops.desk().knowledge().version().to_owned();
        std::fs::write(&kb, "[[topic]]\nslug = 3\n").unwrap();
        let done = ops
            .admin(
                origin("$c", "@editor:localhost"),
                AdminRequest::Reload,
                no_votes,
            )
            .await;
        let text = done.reply.to_plain();
        assert!(
            text.starts_with(&format!(
                "Reload failed: still serving knowledge file version {version}"
            )),
            "{text}"
        );
        assert!(text.contains(&format!("{}:2:", kb.display())), "{text}");
        assert_eq!(ops.desk().knowledge().version(), version);
        let metrics = ops.metrics().render();
        assert!(
            metrics.contains("copydesk_reloads_total{outcome=\"failed\"} 1"),
            "{metrics}"
        );
    }

    #[test]
    fn freshness_goes_out_once_a_day_when_something_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let ops = open(dir.path(), OpsSettings::default());
        let latest = ops
            .desk()
            .knowledge()
            .topics()
            .iter()
            .filter_map(|t| t.review_due())
            .max()
            .unwrap();
        let late = latest
            .checked_add(jiff::Span::new().days(1))
            .unwrap()
            .at(10, 0, 0, 0);
        let reply = ops.freshness_due(late).expect("stale topics are listed");
        assert!(reply.to_plain().contains("past their review date"));
        ops.freshness_sent(late.date());
        assert!(ops.freshness_due(late).is_none());
        // Before any review is due: nothing to post.
        let dir = tempfile::tempdir().unwrap();
        let ops = open(dir.path(), OpsSettings::default());
        let earliest = ops
            .desk()
            .knowledge()
            .topics()
            .iter()
            .map(|t| t.updated)
            .min()
            .unwrap();
        assert!(ops.freshness_due(earliest.at(10, 0, 0, 0)).is_none());
    }
}
