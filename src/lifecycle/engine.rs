//! The lifecycle carried out: the decisions of `decide` applied through a `Connector`,
//! remembered in the `Memory`, counted and audited through `Operations`.
//!
//! Every step that acts on an event first records that it begins, with the id of its
//! action (one write of the memory), then acts through the connector with that id, then
//! records the event as handled (a second write, with the warning it posted). An event
//! begun and not finished when the bot stopped is handled again at the next start with
//! the same action id, which the platform recognises (Matrix: the transaction id; Slack:
//! the post's mark), so across crashes an event is answered or warned about exactly once.
//! Locks are never held across an `await`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use copydesk_core::admin::{AdminRequest, Period, RoomMode};
use copydesk_core::feedback::RuleFeedback;
use copydesk_core::reply::Inline;
use copydesk_core::{MessageReport, Reply};

use super::MessageRef;
use super::connector::{Connector, Sent, Target};
use super::decide::{
    self, DeleteDecision, EditDecision, Place, PlannedWarning, Policy, ReactionDecision,
    WarningDecision,
};
use super::memory::{Memory, Once, WarningRecord};
use crate::failpoint;
use crate::operations::{Operations, Origin, PostedWarning, lock, today};

mod waiting;

/// Why a warning is taken back, as the platform and the audit log show it.
const EDITED_TO_ATTRIBUTE: &str = "the message was edited to attribute it";
const ORIGINAL_DELETED: &str = "the original message was deleted";

/// The warning lifecycle of one bot, shared by its handlers.
pub struct Lifecycle {
    ops: Operations,
    memory: Mutex<Memory>,
    /// Rules demoted by feedback, recomputed on every vote.
    demoted: Mutex<HashSet<String>>,
    /// Where `editors` mode sends warnings, when configured.
    editors_room: Option<String>,
}

impl Lifecycle {
    /// Loads the memory from `data_dir` around `ops`.
    pub fn open(
        data_dir: &Path,
        ops: Operations,
        editors_room: Option<String>,
    ) -> anyhow::Result<Lifecycle> {
        let memory = Memory::load(data_dir)?;
        let demoted = match ops.settings().feedback.demotion {
            Some(policy) => memory.demoted(policy).into_iter().collect(),
            None => HashSet::new(),
        };
        Ok(Lifecycle {
            ops,
            memory: Mutex::new(memory),
            demoted: Mutex::new(demoted),
            editors_room,
        })
    }

    pub fn ops(&self) -> &Operations {
        &self.ops
    }

    fn memory(&self) -> MutexGuard<'_, Memory> {
        lock(&self.memory)
    }

    /// Whether the first start's backlog has been skipped.
    pub fn caught_up(&self) -> bool {
        self.memory().caught_up()
    }

    pub fn set_caught_up(&self) -> anyhow::Result<()> {
        let mut memory = self.memory();
        memory.set_caught_up();
        memory.save()
    }

    /// Whether `event` was handled before (delivered again after a restart).
    pub fn has_handled(&self, event: &str) -> bool {
        self.memory().has_handled(event)
    }

    /// The message a live warning is about, as remembered (what an edit of it needs).
    pub fn warned_message(&self, event: &str) -> Option<MessageRef> {
        let memory = self.memory();
        let warning = memory.warning_about(event)?;
        Some(MessageRef {
            room: warning.room.clone(),
            event: warning.message.clone(),
            sender: warning.sender.clone(),
            thread: (warning.thread != warning.message).then(|| warning.thread.clone()),
            received_ms: None,
        })
    }

    /// Records, durably, that the bot begins acting on `event` (in `room`), before it
    /// acts: the id of the action, new or the one of an attempt cut short by a stop.
    pub fn begin(&self, room: &str, event: &str) -> anyhow::Result<Once> {
        let once = {
            let mut memory = self.memory();
            let once = memory.begin(room, event);
            memory.save()?;
            once
        };
        if once.again {
            tracing::info!(event, action = %once.id, "acting again on an event begun before a stop");
        }
        failpoint::hit("begun");
        Ok(once)
    }

    /// Records, durably, that the bot is done with `event`, whether its action went
    /// through or failed for good (so it is not tried again at every start).
    fn finish(&self, event: &str) -> anyhow::Result<()> {
        let mut memory = self.memory();
        memory.finish(event);
        memory.save()
    }

    /// Notes that `event` in `room` was received (in memory; saved by [`Self::synced`]).
    pub fn received(&self, room: &str, event: &str) {
        tracing::debug!(room, event, "received");
        self.memory().receive(room, event);
    }

    /// Notes, durably, that `event` in `room` was received: for a platform that will not
    /// deliver it again once it is acknowledged (Slack).
    pub fn received_durably(&self, room: &str, event: &str) -> anyhow::Result<()> {
        let mut memory = self.memory();
        memory.receive(room, event);
        memory.save()
    }

    /// Gives up on an unfinished event that cannot be delivered again.
    pub fn give_up(&self, event: &str) {
        let mut memory = self.memory();
        memory.finish(event);
        if let Err(error) = memory.save() {
            tracing::warn!("{error:#}");
        }
    }

    /// Done with a received event that needed no action (in memory: redoing nothing
    /// after a crash is harmless).
    pub fn settled(&self, event: &str) {
        self.memory().settle(event);
    }

    /// Where to resume the platform's event stream, if known.
    pub fn resume(&self) -> Option<String> {
        self.memory().resume().map(str::to_owned)
    }

    /// Every event up to `position` was received: saved, so a stop after this loses none.
    pub fn synced(&self, position: &str) -> anyhow::Result<()> {
        tracing::debug!(position, "synced");
        let mut memory = self.memory();
        memory.set_resume(position);
        memory.save()
    }

    /// The events received or begun but not done with when the bot last stopped, as
    /// (room, event): the connector delivers them again, and they are handled as if new.
    pub fn unfinished(&self) -> Vec<(String, String)> {
        self.memory().pending()
    }

    /// The settings of `room`: the mode an editor set with `!mode`, else `configured`,
    /// and whether warnings are muted.
    pub fn policy(&self, room: &str, configured: RoomMode) -> Policy {
        Policy {
            mode: self.ops.room_mode(room).unwrap_or(configured),
            muted: self.ops.warnings_muted(room),
        }
    }

    /// Answers the command `command` (named `name`) with `reply`.
    pub async fn answer(
        &self,
        connector: &impl Connector,
        command: &MessageRef,
        name: &'static str,
        reply: &Reply,
    ) -> anyhow::Result<Sent> {
        let once = self.begin(&command.room, &command.event)?;
        let sent = connector.send(Target::Answer(command), reply, &once).await;
        if sent.is_ok() {
            failpoint::hit("acted");
            self.ops.answered(name);
        }
        self.finish(&command.event)?;
        sent
    }

    /// Carries out an editor's admin request and answers it.
    pub async fn admin(
        &self,
        connector: &impl Connector,
        command: &MessageRef,
        name: &'static str,
        request: AdminRequest,
    ) -> anyhow::Result<Option<RoomMode>> {
        let once = self.begin(&command.room, &command.event)?;
        let done = self
            .ops
            .admin(origin(command), request, |period| self.votes(period))
            .await;
        let sent = connector
            .send(Target::Answer(command), &done.reply, &once)
            .await;
        if sent.is_ok() {
            failpoint::hit("acted");
            self.ops.answered(name);
        }
        self.finish(&command.event)?;
        sent?;
        Ok(done.mode)
    }

    /// The votes per rule in `period`, and the rules demoted now, for `!stats`.
    pub(super) fn votes(
        &self,
        period: Period,
    ) -> (BTreeMap<String, RuleFeedback>, BTreeSet<String>) {
        let memory = self.memory();
        let per_rule = memory.votes_per_rule(period.first_day(today()));
        let demoted = self
            .ops
            .settings()
            .feedback
            .demotion
            .map(|policy| memory.demoted(policy))
            .unwrap_or_default();
        (per_rule, demoted)
    }

    /// Decides whether the checked message `about` gets a warning; when it does, records
    /// that the bot begins on it and returns the warning, for [`Lifecycle::post`].
    pub fn plan(
        &self,
        report: MessageReport,
        text: &str,
        about: MessageRef,
        policy: Policy,
    ) -> anyhow::Result<Option<ToPost>> {
        let decision = {
            let memory = self.memory();
            let demoted = lock(&self.demoted);
            decide::decide_warning(report, text, about, policy, &memory, &demoted)
        };
        match decision {
            WarningDecision::Warn(planned) => {
                let once = self.begin(&planned.about.room, &planned.about.event)?;
                Ok(Some(ToPost { planned, once }))
            }
            WarningDecision::Quiet(why) => {
                tracing::debug!(?why, "no warning");
                Ok(None)
            }
        }
    }

    /// Posts a planned warning, then counts, audits and remembers it. `text` is the
    /// warned message, for the audit log (kept there only with `include_text`).
    pub async fn post(
        &self,
        connector: &impl Connector,
        warning: ToPost,
        text: &str,
    ) -> anyhow::Result<()> {
        let handled = warning.planned.about.event.clone();
        self.post_for(connector, warning, &handled, text).await
    }

    /// Posts a warning begun for the event `handled` (the warned message, or an edit
    /// of it), then counts, audits and remembers it with the event done.
    async fn post_for(
        &self,
        connector: &impl Connector,
        warning: ToPost,
        handled: &str,
        text: &str,
    ) -> anyhow::Result<()> {
        let ToPost { planned, once } = warning;
        let sent = match self.send_warning(connector, &planned, &once).await {
            Ok(sent) => sent,
            Err(error) => {
                self.finish(handled)?;
                return Err(error);
            }
        };
        failpoint::hit("acted");
        tracing::info!(
            warning = %sent.event,
            posted_in = %sent.room,
            verdict = planned.report.verdict().as_str(),
            since_sent_ms = planned.about.since_received_ms(),
            "warned"
        );
        self.ops.warned(PostedWarning {
            message: origin(&planned.about),
            warning: &sent.event,
            report: &planned.report,
            text,
        });
        let mut memory = self.memory();
        memory.add_warning(record(&planned, &sent));
        memory.finish(handled);
        memory.save()
    }

    /// Sends a planned warning where its place says.
    async fn send_warning(
        &self,
        connector: &impl Connector,
        planned: &PlannedWarning,
        once: &Once,
    ) -> anyhow::Result<Sent> {
        match planned.place {
            Place::Thread => {
                connector
                    .send(Target::Warning(&planned.about), &planned.reply, once)
                    .await
            }
            Place::Private => {
                connector
                    .send(Target::Private(&planned.about), &planned.reply, once)
                    .await
            }
            Place::EditorsRoom => {
                let Some(editors) = &self.editors_room else {
                    anyhow::bail!("the mode is editors but no editors' room is configured");
                };
                let reply = self.for_editors(connector, planned).await;
                connector.send(Target::Room(editors), &reply, once).await
            }
        }
    }

    /// The warning as the editors read it: who wrote what where, with a link, then the
    /// warning itself.
    async fn for_editors(&self, connector: &impl Connector, planned: &PlannedWarning) -> Reply {
        let link = connector.permalink(&planned.about).await;
        let mut full = Reply::new().paragraph(vec![
            Inline::link("A message", link),
            Inline::text(format!(" from {} in ", planned.about.sender)),
            Inline::strong(connector.room_name(&planned.about.room)),
            Inline::text(" needs attention:"),
        ]);
        full.blocks.extend(planned.reply.blocks.iter().cloned());
        full
    }

    /// An edit (event `edit`, by `editor`) of `original`, re-checked as `report`: the
    /// earlier warning stands, is updated or withdrawn, or a first one is posted.
    #[allow(clippy::too_many_arguments)]
    pub async fn edited(
        &self,
        connector: &impl Connector,
        edit: &str,
        original: MessageRef,
        editor: &str,
        report: MessageReport,
        text: &str,
        policy: Policy,
    ) -> anyhow::Result<()> {
        let decision = {
            let memory = self.memory();
            let demoted = lock(&self.demoted);
            decide::decide_edit(report, text, original, editor, policy, &memory, &demoted)
        };
        match decision {
            EditDecision::Ignore => tracing::info!("edit not followed (mode, or not the author)"),
            EditDecision::Quiet(_) => {}
            EditDecision::Stand => tracing::info!("the edited message still needs the warning"),
            EditDecision::Warn(planned) => {
                // The warning is about the original message; the edit is what is handled.
                let once = self.begin(&planned.about.room, edit)?;
                self.post_for(connector, ToPost { planned, once }, edit, text)
                    .await?;
            }
            EditDecision::Update { existing, planned } => {
                let once = self.begin(&existing.room, edit)?;
                let reply = match planned.place {
                    Place::Thread | Place::Private => planned.reply.clone(),
                    Place::EditorsRoom => self.for_editors(connector, &planned).await,
                };
                let edited = connector.edit(&posted(&existing), &reply, &once).await;
                if let Err(error) = edited {
                    self.finish(edit)?;
                    return Err(error);
                }
                failpoint::hit("acted");
                tracing::info!(warning = %existing.warning, "updated the warning");
                let mut memory = self.memory();
                memory.replace_warning(WarningRecord {
                    posted_in: existing.posted_in.clone(),
                    warning: existing.warning.clone(),
                    ..record(&planned, &posted(&existing))
                });
                memory.finish(edit);
                memory.save()?;
            }
            EditDecision::Withdraw(existing) => {
                self.withdraw(connector, edit, &existing, EDITED_TO_ATTRIBUTE)
                    .await?;
            }
        }
        Ok(())
    }

    /// `deleted` was deleted by someone other than the bot (`deletion`): a vote taken
    /// back, a warned message gone (its warning goes too), or the bot's warning removed
    /// by someone (forgotten).
    pub async fn deleted(
        &self,
        connector: &impl Connector,
        deletion: &MessageRef,
        deleted: &str,
    ) -> anyhow::Result<()> {
        let unvoted = self.memory().unvote(deleted);
        if let Some(change) = unvoted {
            self.memory().save()?;
            self.ops.voted(
                origin(deletion),
                &change.rules,
                &change.allegations,
                change.vote,
                false,
            );
            self.update_demotions(deletion);
            return Ok(());
        }
        let decision = decide::decide_delete(deleted, &self.memory());
        match decision {
            DeleteDecision::Nothing => Ok(()),
            DeleteDecision::Forget(own) => {
                tracing::info!(warning = %own.warning, "someone removed a warning; forgetting it");
                let mut memory = self.memory();
                memory.withdraw_warning_event(&own.warning);
                memory.save()
            }
            DeleteDecision::Withdraw(warning) => {
                self.withdraw(connector, &deletion.event, &warning, ORIGINAL_DELETED)
                    .await
            }
        }
    }

    /// Deletes a warning the bot posted because of `cause` (an edit or a deletion), and
    /// remembers that it is withdrawn.
    async fn withdraw(
        &self,
        connector: &impl Connector,
        cause: &str,
        warning: &WarningRecord,
        why: &str,
    ) -> anyhow::Result<()> {
        let once = self.begin(&warning.room, cause)?;
        let deleted = connector.delete(&posted(warning), why, &once).await;
        if let Err(error) = deleted {
            self.finish(cause)?;
            return Err(error);
        }
        failpoint::hit("acted");
        tracing::info!(warning = %warning.warning, reason = why, "withdrew the warning");
        self.ops.withdrew(
            Origin {
                room: &warning.room,
                event: &warning.message,
                sender: &warning.sender,
            },
            &warning.warning,
            why,
        );
        let mut memory = self.memory();
        memory.withdraw_about(&warning.message);
        memory.finish(cause);
        memory.save()
    }

    /// A reaction `key` by `reaction.sender` on `target`: a 👍/👎 on one of the bot's
    /// warnings from its message's author or an editor is a vote on the rules that
    /// fired. Counting is idempotent (one vote per person per warning), so a reaction
    /// delivered again after a restart changes nothing.
    pub fn reacted(&self, reaction: &MessageRef, target: &str, key: &str, is_editor: bool) {
        let enabled = self.ops.settings().feedback.enabled;
        let decision = {
            let memory = self.memory();
            decide::decide_reaction(key, target, &reaction.sender, is_editor, enabled, &memory)
        };
        let ReactionDecision::Vote { vote, warning } = decision else {
            return;
        };
        let change = {
            let mut memory = self.memory();
            let change = memory.vote(&reaction.event, &warning, &reaction.sender, vote, today());
            if change.is_some()
                && let Err(error) = memory.save()
            {
                tracing::warn!("{error:#}");
            }
            change
        };
        let Some(change) = change else {
            return;
        };
        tracing::info!(vote = vote.as_str(), warning = %warning, "feedback recorded");
        self.ops.voted(
            origin(reaction),
            &change.rules,
            &change.allegations,
            vote,
            true,
        );
        self.update_demotions(reaction);
    }

    /// Recomputes the demoted rules after a vote; a change is audited.
    fn update_demotions(&self, cause: &MessageRef) {
        let Some(policy) = self.ops.settings().feedback.demotion else {
            return;
        };
        let now: HashSet<String> = self.memory().demoted(policy).into_iter().collect();
        let mut demoted = lock(&self.demoted);
        let newly: BTreeSet<&String> = now.difference(&demoted).collect();
        let restored: BTreeSet<&String> = demoted.difference(&now).collect();
        self.ops.demotions_changed(origin(cause), &newly, &restored);
        *demoted = now;
    }
}

/// A warning decided on and begun, for [`Lifecycle::post`].
#[derive(Debug)]
pub struct ToPost {
    pub planned: PlannedWarning,
    pub once: Once,
}

fn origin(message: &MessageRef) -> Origin<'_> {
    Origin {
        room: &message.room,
        event: &message.event,
        sender: &message.sender,
    }
}

/// Where a remembered warning was posted.
fn posted(warning: &WarningRecord) -> Sent {
    Sent {
        room: warning.posted_in.clone(),
        event: warning.warning.clone(),
    }
}

/// What is remembered of a warning once it is posted as `sent`.
fn record(planned: &PlannedWarning, sent: &Sent) -> WarningRecord {
    WarningRecord {
        room: planned.about.room.clone(),
        message: planned.about.event.clone(),
        sender: planned.about.sender.clone(),
        thread: planned.about.thread_root().to_owned(),
        allegations: planned.allegations.clone(),
        posted_in: sent.room.clone(),
        warning: sent.event.clone(),
        rules: planned.rules.clone(),
        verdict: Some(planned.report.verdict().as_str().to_owned()),
        day: Some(today()),
        votes: BTreeMap::new(),
        withdrawn: false,
    }
}
