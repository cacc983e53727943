//! The lifecycle's decisions, as pure functions of what happened, the room's settings and
//! the memory: whether a checked message gets a warning and where, what an edit or a
//! deletion does to an earlier warning, and what a reaction means. No I/O: the engine
//! (`super::engine`) carries the decisions out.

use std::collections::HashSet;

use copydesk_core::admin::RoomMode;
use copydesk_core::commands::warning_reply;
use copydesk_core::feedback::{Vote, demote};
use copydesk_core::{MessageReport, Reply};

use super::MessageRef;
use super::memory::{Memory, WarningRecord};

/// A room's settings as the decisions need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub mode: RoomMode,
    /// `!mute` silences warnings for a while.
    pub muted: bool,
}

/// Where a warning goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In the message's thread (a new thread rooted at it when it was in none).
    Thread,
    /// To the message's author alone (mode `warn-private`), where the platform can show
    /// a message to one person; a connector that cannot posts it as in `Thread`.
    Private,
    /// To the editors' room, with a link to the message.
    EditorsRoom,
}

/// A warning decided on, to be posted.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedWarning {
    pub about: MessageRef,
    pub reply: Reply,
    /// The report the warning was rendered from: allegations already warned about in the
    /// thread left out, rules demoted by feedback lowered to weak.
    pub report: MessageReport,
    /// Known allegations (`topic/id`) it covers.
    pub allegations: Vec<String>,
    /// The rules that fired.
    pub rules: Vec<String>,
    pub place: Place,
}

impl PlannedWarning {
    /// Whether `record` already says what this warning would say.
    fn says_the_same_as(&self, record: &WarningRecord) -> bool {
        record.rules == self.rules
            && record.allegations == self.allegations
            && record.verdict.as_deref() == Some(self.report.verdict().as_str())
    }
}

/// Why a message gets no warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quiet {
    /// The room's mode checks no messages.
    NotChecked,
    /// Nothing in it needs attention.
    NothingToSay,
    /// Every known allegation in it was already warned about in this thread.
    AlreadyWarned,
    /// Warnings are muted in the room.
    Muted,
}

// A decision is made once per message and matched at once: boxing its big variant
// would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum WarningDecision {
    Quiet(Quiet),
    Warn(PlannedWarning),
}

/// Whether the checked message `about` (its text, the desk's report) gets a warning:
/// not when the room checks nothing, nothing needs attention once the allegations already
/// warned about in its thread are left out, or warnings are muted; rules `demoted` by
/// feedback count as weak.
pub fn decide_warning(
    report: MessageReport,
    text: &str,
    about: MessageRef,
    policy: Policy,
    memory: &Memory,
    demoted: &HashSet<String>,
) -> WarningDecision {
    let Some(place) = place_for(policy.mode) else {
        return WarningDecision::Quiet(Quiet::NotChecked);
    };
    let already = memory.warned_in_thread(&about.room, about.thread_root(), Some(&about.event));
    let report = demote(without_allegations(report, &already), demoted);
    let Some(reply) = warning_reply(&report, text) else {
        let why = if already.is_empty() {
            Quiet::NothingToSay
        } else {
            Quiet::AlreadyWarned
        };
        return WarningDecision::Quiet(why);
    };
    if policy.muted {
        return WarningDecision::Quiet(Quiet::Muted);
    }
    let mut rules: Vec<String> = Vec::new();
    let mut allegations: Vec<String> = Vec::new();
    for finding in report.alarms() {
        if !rules.contains(&finding.rule) {
            rules.push(finding.rule.clone());
        }
        if let Some(key) = finding.allegation.as_ref().map(|a| a.key())
            && !allegations.contains(&key)
        {
            allegations.push(key);
        }
    }
    WarningDecision::Warn(PlannedWarning {
        about,
        reply,
        report,
        allegations,
        rules,
        place,
    })
}

fn place_for(mode: RoomMode) -> Option<Place> {
    match mode {
        RoomMode::Warn => Some(Place::Thread),
        RoomMode::WarnPrivate => Some(Place::Private),
        RoomMode::Editors => Some(Place::EditorsRoom),
        RoomMode::Commands | RoomMode::Off => None,
    }
}

/// What an edit does.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum EditDecision {
    /// The room checks nothing, or the edit is not by the message's author (a forged
    /// relation).
    Ignore,
    /// There was a warning and it still says the right thing.
    Stand,
    /// There was a warning; the edited message needs a different one.
    Update {
        existing: WarningRecord,
        planned: PlannedWarning,
    },
    /// There was a warning; the edit attributed the claim (or removed it).
    Withdraw(WarningRecord),
    /// There was none; the edit needs one now.
    Warn(PlannedWarning),
    /// There was none, and none is needed.
    Quiet(Quiet),
}

/// What the edit by `editor` of `original` (re-checked: `report`, `text`) does to the
/// warning about it, if any.
pub fn decide_edit(
    report: MessageReport,
    text: &str,
    original: MessageRef,
    editor: &str,
    policy: Policy,
    memory: &Memory,
    demoted: &HashSet<String>,
) -> EditDecision {
    if place_for(policy.mode).is_none() || original.sender != editor {
        return EditDecision::Ignore;
    }
    let Some(existing) = memory.warning_about(&original.event).cloned() else {
        return match decide_warning(report, text, original, policy, memory, demoted) {
            WarningDecision::Warn(planned) => EditDecision::Warn(planned),
            WarningDecision::Quiet(why) => EditDecision::Quiet(why),
        };
    };
    match decide_warning(
        report,
        text,
        original,
        Policy {
            muted: false,
            ..policy
        },
        memory,
        demoted,
    ) {
        WarningDecision::Quiet(_) => EditDecision::Withdraw(existing),
        WarningDecision::Warn(planned) if planned.says_the_same_as(&existing) || policy.muted => {
            EditDecision::Stand
        }
        WarningDecision::Warn(planned) => EditDecision::Update { existing, planned },
    }
}

/// What a deletion does.
#[derive(Debug, Clone, PartialEq)]
pub enum DeleteDecision {
    Nothing,
    /// A message the bot warned about was deleted: the warning goes too.
    Withdraw(WarningRecord),
    /// Someone deleted the bot's warning itself: it is forgotten.
    Forget(WarningRecord),
}

/// What deleting `deleted` (by someone other than the bot) does.
pub fn decide_delete(deleted: &str, memory: &Memory) -> DeleteDecision {
    if let Some(own) = memory
        .warning_event(deleted)
        .filter(|w| !w.withdrawn)
        .cloned()
    {
        return DeleteDecision::Forget(own);
    }
    match memory.warning_about(deleted).cloned() {
        Some(warning) => DeleteDecision::Withdraw(warning),
        None => DeleteDecision::Nothing,
    }
}

/// What a reaction means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReactionDecision {
    /// Not feedback: feedback is off, the key is no 👍/👎, the event is no warning of
    /// ours, or the reactor is neither the warned author nor an editor.
    Ignore,
    /// A vote on one of the bot's warnings.
    Vote { vote: Vote, warning: String },
}

/// What `key` from `reactor` on `target` means.
pub fn decide_reaction(
    key: &str,
    target: &str,
    reactor: &str,
    is_editor: bool,
    feedback_enabled: bool,
    memory: &Memory,
) -> ReactionDecision {
    let vote = Vote::from_reaction(key);
    let warning = memory.warning_event(target);
    match (feedback_enabled, vote, warning) {
        (true, Some(vote), Some(warning)) if is_editor || warning.sender == reactor => {
            ReactionDecision::Vote {
                vote,
                warning: warning.warning.clone(),
            }
        }
        _ => ReactionDecision::Ignore,
    }
}

/// `report` without findings about allegations in `already` (warned about once in this
/// thread already); a sentence's verdict is recomputed from the findings it keeps.
pub fn without_allegations(mut report: MessageReport, already: &HashSet<String>) -> MessageReport {
    if already.is_empty() {
        return report;
    }
    for sentence in &mut report.sentences {
        let before = sentence.findings.len();
        sentence.findings.retain(|f| {
            f.allegation
                .as_ref()
                .is_none_or(|a| !already.contains(&a.key()))
        });
        if sentence.findings.len() != before {
            sentence.settle_verdict();
        }
    }
    report
}
