//! Every lifecycle decision, carried out through a fake connector that records what it
//! was asked to do: no homeserver, no network.

use std::path::Path;
use std::sync::{Arc, Mutex};

use copydesk_core::admin::{AdminRequest, Mute, Period, RoomMode};
use copydesk_core::feedback::DemotionPolicy;
use copydesk_core::{Checker, Desk, KnowledgeBase, MessageReport, Outcome, Reply, Verdict};

use super::decide::{self, EditDecision, Place, Policy, Quiet, WarningDecision};
use super::*;
use crate::operations::feedback::FeedbackSettings;
use crate::operations::metrics::{DEFAULT_MAX_SYNC_AGE, Metrics, Platform};
use crate::operations::reload::Reloader;
use crate::operations::{Operations, OpsSettings, today};

use crate::loading::EXAMPLE_KNOWLEDGE as KB;
/// Restates the example knowledge file's allegation with no source: flag.
const ALLEGATION: &str = "so russian intelligence is basically helping the smugglers";
/// The same allegation, vaguely sourced: weak.
const HEDGED: &str = "allegedly russian intelligence is helping the smugglers";
/// The same allegation with its source on record: ok.
const ATTRIBUTED: &str = "Mitov told The Times that russian intelligence is helping the smugglers";
/// Another accusation, of no known allegation: flag.
const OTHER: &str = "the harbour master took bribes from the ferry company";
const ROOM: &str = "!newsroom:example.org";
const EDITORS: &str = "!editors:example.org";
const AUTHOR: &str = "@reporter:example.org";

/// What the fake connector was asked to do, in order.
#[derive(Debug, Clone, PartialEq)]
enum Done {
    Answer { to: String },
    Warning { about: String, text: String },
    Private { about: String, to: String },
    Notice { room: String, text: String },
    Edit { event: String, text: String },
    Delete { event: String, reason: String },
}

#[derive(Default)]
struct Fake {
    done: Mutex<Vec<Done>>,
}

impl Fake {
    fn done(&self) -> Vec<Done> {
        self.done.lock().unwrap().clone()
    }
}

impl Connector for Fake {
    async fn send(&self, target: Target<'_>, reply: &Reply, _: &Once) -> anyhow::Result<Sent> {
        let mut done = self.done.lock().unwrap();
        let (room, entry) = match target {
            Target::Answer(command) => (
                command.room.clone(),
                Done::Answer {
                    to: command.event.clone(),
                },
            ),
            Target::Warning(message) => (
                message.room.clone(),
                Done::Warning {
                    about: message.event.clone(),
                    text: reply.to_plain(),
                },
            ),
            Target::Private(message) => (
                message.room.clone(),
                Done::Private {
                    about: message.event.clone(),
                    to: message.sender.clone(),
                },
            ),
            Target::Room(room) => (
                room.to_owned(),
                Done::Notice {
                    room: room.to_owned(),
                    text: reply.to_plain(),
                },
            ),
        };
        done.push(entry);
        Ok(Sent {
            room,
            event: format!("$sent{}", done.len()),
        })
    }

    async fn edit(&self, sent: &Sent, reply: &Reply, _: &Once) -> anyhow::Result<()> {
        self.done.lock().unwrap().push(Done::Edit {
            event: sent.event.clone(),
            text: reply.to_plain(),
        });
        Ok(())
    }

    async fn delete(&self, sent: &Sent, reason: &str, _: &Once) -> anyhow::Result<()> {
        self.done.lock().unwrap().push(Done::Delete {
            event: sent.event.clone(),
            reason: reason.to_owned(),
        });
        Ok(())
    }

    async fn permalink(&self, message: &MessageRef) -> String {
        format!("https://chat.example/{}/{}", message.room, message.event)
    }

    fn room_name(&self, room: &str) -> String {
        format!("#{}", room.trim_start_matches('!'))
    }
}

fn desk() -> Desk {
    Desk::new(
        KnowledgeBase::parse("knowledge.toml", KB).unwrap(),
        Checker::default(),
        "!",
    )
}

fn open_with(dir: &Path, feedback: FeedbackSettings) -> Lifecycle {
    let reloader = Arc::new(Reloader::new(desk(), Vec::new(), || Ok(desk())));
    let settings = OpsSettings {
        feedback,
        ..OpsSettings::default()
    };
    let metrics = Arc::new(Metrics::new(DEFAULT_MAX_SYNC_AGE, &[Platform::Matrix]));
    let ops = Operations::open(dir, settings, reloader, (metrics, Platform::Matrix), true).unwrap();
    Lifecycle::open(dir, ops, Some(EDITORS.to_owned())).unwrap()
}

fn open(dir: &Path) -> Lifecycle {
    open_with(dir, FeedbackSettings::default())
}

fn report(text: &str) -> MessageReport {
    match desk().handle(text, today()) {
        Outcome::Checked { report, .. } => report,
        other => panic!("{other:?}"),
    }
}

fn message(event: &str, thread: Option<&str>) -> MessageRef {
    MessageRef {
        room: ROOM.to_owned(),
        event: event.to_owned(),
        sender: AUTHOR.to_owned(),
        thread: thread.map(str::to_owned),
        received_ms: None,
    }
}

fn warn_mode() -> Policy {
    Policy {
        mode: RoomMode::Warn,
        muted: false,
    }
}

/// Checks and, when it needs one, warns about `text` sent as `about`; returns whether it
/// was warned about.
async fn send(lifecycle: &Lifecycle, fake: &Fake, about: MessageRef, text: &str) -> bool {
    match lifecycle
        .plan(
            report(text),
            text,
            about,
            lifecycle.policy(ROOM, RoomMode::Warn),
        )
        .unwrap()
    {
        Some(planned) => {
            lifecycle.post(fake, planned, text).await.unwrap();
            true
        }
        None => false,
    }
}

async fn edit(lifecycle: &Lifecycle, fake: &Fake, original: &str, editor: &str, text: &str) {
    let original = lifecycle
        .warned_message(original)
        .unwrap_or_else(|| message(original, None));
    lifecycle
        .edited(
            fake,
            &format!("{}-edit", original.event),
            original,
            editor,
            report(text),
            text,
            warn_mode(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_new_allegation_gets_one_warning_in_its_thread() {
    let dir = tempfile::tempdir().unwrap();
    let (lifecycle, fake) = (open(dir.path()), Fake::default());
    assert!(send(&lifecycle, &fake, message("$m1", None), ALLEGATION).await);
    let done = fake.done();
    assert_eq!(done.len(), 1);
    let Done::Warning { about, text } = &done[0] else {
        panic!("{done:?}")
    };
    assert_eq!(about, "$m1");
    assert!(text.contains("Daniel Mitov"), "{text}");
    assert!(lifecycle.has_handled("$m1"));
    assert!(!send(&lifecycle, &fake, message("$m2", None), ATTRIBUTED).await);
}

#[tokio::test]
async fn an_allegation_repeated_in_the_same_thread_is_warned_about_once() {
    let dir = tempfile::tempdir().unwrap();
    let (lifecycle, fake) = (open(dir.path()), Fake::default());
    assert!(send(&lifecycle, &fake, message("$root", None), ALLEGATION).await);
    // In the thread the warning started at the first message: no second warning.
    assert!(!send(&lifecycle, &fake, message("$m2", Some("$root")), ALLEGATION).await);
    // Another accusation in the same thread still gets one.
    assert!(send(&lifecycle, &fake, message("$m3", Some("$root")), OTHER).await);
    // The known allegation in another thread gets its own warning.
    assert!(send(&lifecycle, &fake, message("$elsewhere", None), ALLEGATION).await);
    assert_eq!(fake.done().len(), 3);
}

#[tokio::test]
async fn a_muted_room_gets_no_warning_and_the_decision_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let (lifecycle, fake) = (open(dir.path()), Fake::default());
    let editor = message("$mute", None);
    lifecycle
        .admin(
            &fake,
            &editor,
            "mute",
            AdminRequest::Mute(Mute::For(std::time::Duration::from_secs(600))),
        )
        .await
        .unwrap();
    assert!(lifecycle.policy(ROOM, RoomMode::Warn).muted);
    assert!(!send(&lifecycle, &fake, message("$m1", None), ALLEGATION).await);
    assert_eq!(fake.done(), [Done::Answer { to: "$mute".into() }]);

    let memory = memory::Memory::load(dir.path()).unwrap();
    let muted = Policy {
        mode: RoomMode::Warn,
        muted: true,
    };
    let decision = decide::decide_warning(
        report(ALLEGATION),
        ALLEGATION,
        message("$m2", None),
        muted,
        &memory,
        &Default::default(),
    );
    assert_eq!(decision, WarningDecision::Quiet(Quiet::Muted));
    let commands = Policy {
        mode: RoomMode::Commands,
        muted: false,
    };
    let decision = decide::decide_warning(
        report(ALLEGATION),
        ALLEGATION,
        message("$m3", None),
        commands,
        &memory,
        &Default::default(),
    );
    assert_eq!(decision, WarningDecision::Quiet(Quiet::NotChecked));
}

#[tokio::test]
async fn editors_mode_sends_the_warning_to_the_editors_room_with_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let (lifecycle, fake) = (open(dir.path()), Fake::default());
    let policy = Policy {
        mode: RoomMode::Editors,
        muted: false,
    };
    let planned = lifecycle
        .plan(report(ALLEGATION), ALLEGATION, message("$m1", None), policy)
        .unwrap()
        .unwrap();
    assert_eq!(planned.planned.place, Place::EditorsRoom);
    lifecycle.post(&fake, planned, ALLEGATION).await.unwrap();
    let done = fake.done();
    let [Done::Notice { room, text }] = done.as_slice() else {
        panic!("{done:?}")
    };
    assert_eq!(room, EDITORS);
    assert!(
        text.contains("https://chat.example/!newsroom:example.org/$m1"),
        "{text}"
    );
    assert!(
        text.contains(AUTHOR) && text.contains("#newsroom:example.org"),
        "{text}"
    );
}

#[tokio::test]
async fn an_edit_that_attributes_the_claim_withdraws_the_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (lifecycle, fake) = (open(dir.path()), Fake::default());
    send(&lifecycle, &fake, message("$m1", None), ALLEGATION).await;
    edit(&lifecycle, &fake, "$m1", AUTHOR, ATTRIBUTED).await;
    assert_eq!(
        fake.done()[1],
        Done::Delete {
            event: "$sent1".into(),
            reason: "the message was edited to attribute it".into()
        }
    );
    assert!(lifecycle.warned_message("$m1").is_none());
    // The thread's allegation is no longer warned about: a repeat gets a warning again.
    assert!(send(&lifecycle, &fake, message("$m2", Some("$m1")), ALLEGATION).await);
}

#[tokio::test]
async fn an_edit_that_keeps_the_allegation_leaves_the_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (lifecycle, fake) = (open(dir.path()), Fake::default());
    send(&lifecycle, &fake, message("$m1", None), ALLEGATION).await;
    edit(
        &lifecycle,
        &fake,
        "$m1",
        AUTHOR,
        "so russian intelligence is helping the smugglers, obviously",
    )
    .await;
    assert_eq!(fake.done().len(), 1, "{:?}", fake.done());
    assert!(lifecycle.warned_message("$m1").is_some());
}

#[tokio::test]
async fn an_edit_that_changes_the_allegation_updates_the_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (lifecycle, fake) = (open(dir.path()), Fake::default());
    send(&lifecycle, &fake, message("$m1", None), ALLEGATION).await;
    edit(&lifecycle, &fake, "$m1", AUTHOR, HEDGED).await;
    let done = fake.done();
    let Done::Edit { event, text } = &done[1] else {
        panic!("{done:?}")
    };
    assert_eq!(event, "$sent1");
    assert!(text.contains("allegedly"), "{text}");
    // Remembered as the weak warning it now is: the same edit again changes nothing.
    edit(&lifecycle, &fake, "$m1", AUTHOR, HEDGED).await;
    assert_eq!(fake.done().len(), 2);
}

#[tokio::test]
async fn an_edit_by_someone_else_or_of_a_quiet_message_is_judged_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let (lifecycle, fake) = (open(dir.path()), Fake::default());
    send(&lifecycle, &fake, message("$m1", None), ALLEGATION).await;
    // Only the author edits a message: anything else is a forged relation.
    edit(&lifecycle, &fake, "$m1", "@someone:example.org", ATTRIBUTED).await;
    assert_eq!(fake.done().len(), 1);
    // A message that needed nothing, edited into an accusation, is warned about now.
    send(&lifecycle, &fake, message("$m2", None), "lunch at one?").await;
    edit(&lifecycle, &fake, "$m2", AUTHOR, OTHER).await;
    assert!(matches!(&fake.done()[1], Done::Warning { about, .. } if about == "$m2"));

    let memory = memory::Memory::load(dir.path()).unwrap();
    let decision = decide::decide_edit(
        report(ATTRIBUTED),
        ATTRIBUTED,
        message("$m3", None),
        AUTHOR,
        warn_mode(),
        &memory,
        &Default::default(),
    );
    assert_eq!(decision, EditDecision::Quiet(Quiet::NothingToSay));
}

#[tokio::test]
async fn deleting_a_warned_message_withdraws_the_warning_and_deleting_a_warning_forgets_it() {
    let dir = tempfile::tempdir().unwrap();
    let (lifecycle, fake) = (open(dir.path()), Fake::default());
    send(&lifecycle, &fake, message("$m1", None), ALLEGATION).await;
    send(&lifecycle, &fake, message("$m2", None), OTHER).await;
    let deletion = message("$del1", None);
    lifecycle.deleted(&fake, &deletion, "$m1").await.unwrap();
    assert_eq!(
        fake.done()[2],
        Done::Delete {
            event: "$sent1".into(),
            reason: "the original message was deleted".into()
        }
    );
    // Someone removes the bot's second warning: forgotten, nothing posted or deleted.
    lifecycle
        .deleted(&fake, &message("$del2", None), "$sent2")
        .await
        .unwrap();
    assert_eq!(fake.done().len(), 3);
    assert!(lifecycle.warned_message("$m2").is_none());
    // An edit of that message no longer touches a warning.
    edit(&lifecycle, &fake, "$m2", AUTHOR, ATTRIBUTED).await;
    assert_eq!(fake.done().len(), 3);
}

#[tokio::test]
async fn votes_on_a_warning_count_once_per_author_or_editor_and_can_demote_its_rule() {
    let dir = tempfile::tempdir().unwrap();
    let feedback = FeedbackSettings {
        enabled: true,
        demotion: Some(DemotionPolicy {
            threshold: 0.5,
            min_votes: 1,
        }),
    };
    let (lifecycle, fake) = (open_with(dir.path(), feedback), Fake::default());
    send(&lifecycle, &fake, message("$m1", None), ALLEGATION).await;
    let reaction = |event: &str, sender: &str| MessageRef {
        room: ROOM.into(),
        event: event.into(),
        sender: sender.into(),
        thread: None,
        received_ms: None,
    };
    // A bystander's 👎 is not counted; a 🎉 is no vote; the author's 👎 is.
    lifecycle.reacted(
        &reaction("$r1", "@bystander:example.org"),
        "$sent1",
        "👎",
        false,
    );
    lifecycle.reacted(&reaction("$r2", AUTHOR), "$sent1", "🎉", false);
    let line = stats_line(&lifecycle).await;
    assert!(!line.contains("feedback"), "{line}");
    lifecycle.reacted(&reaction("$r3", AUTHOR), "$sent1", "👎", false);
    // The same vote again, delivered after a restart say, changes nothing.
    lifecycle.reacted(&reaction("$r3", AUTHOR), "$sent1", "👎", false);
    let line = stats_line(&lifecycle).await;
    assert!(
        line.ends_with(
            "1 warnings; feedback 0 useful, 1 false alarm (false-alarm rate 100%) — demoted to weak"
        ),
        "{line}"
    );

    // The next warning with that rule is only weak, also after a restart.
    drop(lifecycle);
    let lifecycle = open_with(dir.path(), feedback);
    let planned = lifecycle
        .plan(
            report(ALLEGATION),
            ALLEGATION,
            message("$m2", None),
            warn_mode(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(planned.planned.report.verdict(), Verdict::Weak);
    // Taking the vote back restores the rule.
    lifecycle
        .deleted(&fake, &reaction("$unreact", AUTHOR), "$r3")
        .await
        .unwrap();
    let planned = lifecycle
        .plan(
            report(ALLEGATION),
            ALLEGATION,
            message("$m3", None),
            warn_mode(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(planned.planned.report.verdict(), Verdict::Flag);

    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert!(
        !audit.contains("basically"),
        "no message text without include_text: {audit}"
    );
    for action in ["\"warn\"", "\"feedback\"", "\"demote\"", "\"admin\""] {
        assert!(audit.contains(action), "{action} missing from {audit}");
    }
}

/// The line `!stats` shows for the known allegation's rule.
async fn stats_line(lifecycle: &Lifecycle) -> String {
    let origin = crate::operations::Origin {
        room: ROOM,
        event: "$stats",
        sender: "@editor:example.org",
    };
    let reply = lifecycle
        .ops()
        .admin(origin, AdminRequest::Stats(Period::Days(1)), |period| {
            lifecycle.votes(period)
        })
        .await
        .reply
        .to_plain();
    reply
        .lines()
        .find(|l| l.contains("`known-allegation`"))
        .unwrap_or_else(|| panic!("{reply}"))
        .to_owned()
}

#[tokio::test]
async fn a_restart_remembers_handled_events_and_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::default();
    {
        let lifecycle = open(dir.path());
        assert!(!lifecycle.caught_up());
        lifecycle.set_caught_up().unwrap();
        send(&lifecycle, &fake, message("$m1", None), ALLEGATION).await;
    }
    let lifecycle = open(dir.path());
    assert!(lifecycle.caught_up());
    assert!(lifecycle.has_handled("$m1"));
    assert!(!lifecycle.has_handled("$m2"));
    // The warning remembered before the restart is withdrawn by an edit after it.
    edit(&lifecycle, &fake, "$m1", AUTHOR, ATTRIBUTED).await;
    assert!(matches!(fake.done()[1], Done::Delete { .. }));
    // And a repeat in its thread was still known to be warned about.
    let lifecycle = open(dir.path());
    assert!(!lifecycle.has_handled("$m9"));
}

#[test]
fn an_earlier_versions_feedback_file_is_folded_into_the_memory_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("feedback.json"),
        r#"{"warnings":[{"warning":"$w","room":"!r:x","author":"@a:x","rules":["hedge"],
            "allegations":[],"day":"2026-11-01",
            "votes":{"@a:x":{"vote":"false-alarm","reaction":"$r","day":"2026-11-02"}}}]}"#,
    )
    .unwrap();
    let memory = memory::Memory::load(dir.path()).unwrap();
    assert_eq!(memory.votes_per_rule(None)["hedge"].false_alarms, 1);
    assert!(dir.path().join("feedback.json.imported").exists());
    assert!(!dir.path().join("feedback.json").exists());
    let again = memory::Memory::load(dir.path()).unwrap();
    assert_eq!(again.votes_per_rule(None)["hedge"].false_alarms, 1);
}

#[tokio::test]
async fn warn_private_mode_tells_only_the_author_and_follows_edits() {
    let dir = tempfile::tempdir().unwrap();
    let (lifecycle, fake) = (open(dir.path()), Fake::default());
    let policy = Policy {
        mode: RoomMode::WarnPrivate,
        muted: false,
    };
    let planned = lifecycle
        .plan(report(ALLEGATION), ALLEGATION, message("$m1", None), policy)
        .unwrap()
        .unwrap();
    assert_eq!(planned.planned.place, Place::Private);
    lifecycle.post(&fake, planned, ALLEGATION).await.unwrap();
    assert_eq!(
        fake.done(),
        [Done::Private {
            about: "$m1".into(),
            to: AUTHOR.into()
        }]
    );
    // Remembered like any warning: the same allegation in the thread is not repeated,
    // and an edit that attributes the claim withdraws it.
    let again = lifecycle
        .plan(
            report(ALLEGATION),
            ALLEGATION,
            message("$m2", Some("$m1")),
            policy,
        )
        .unwrap();
    assert!(again.is_none());
    let original = lifecycle.warned_message("$m1").unwrap();
    lifecycle
        .edited(
            &fake,
            "$m1-edit",
            original,
            AUTHOR,
            report(ATTRIBUTED),
            ATTRIBUTED,
            policy,
        )
        .await
        .unwrap();
    assert!(
        matches!(fake.done()[1], Done::Delete { .. }),
        "{:?}",
        fake.done()
    );
    assert_eq!(
        "warn-private".parse::<RoomMode>().unwrap(),
        RoomMode::WarnPrivate
    );
}

#[tokio::test]
async fn a_warning_begun_before_a_stop_is_posted_once_with_the_same_action_id() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path())
        .plan(
            report(ALLEGATION),
            ALLEGATION,
            message("$m1", None),
            warn_mode(),
        )
        .unwrap()
        .expect("a warning");
    assert!(!first.once.again);
    // The bot stops here, before posting: the memory says so at the next start.
    let lifecycle = open(dir.path());
    assert_eq!(
        lifecycle.unfinished(),
        [(ROOM.to_owned(), "$m1".to_owned())]
    );
    assert!(
        !lifecycle.has_handled("$m1"),
        "delivered again, not skipped"
    );
    let again = lifecycle
        .plan(
            report(ALLEGATION),
            ALLEGATION,
            message("$m1", None),
            warn_mode(),
        )
        .unwrap()
        .expect("the same warning");
    assert_eq!(
        again.once.id, first.once.id,
        "the platform can tell a repeat"
    );
    assert!(again.once.again);
    let fake = Fake::default();
    lifecycle.post(&fake, again, ALLEGATION).await.unwrap();
    assert_eq!(fake.done().len(), 1);
    assert!(lifecycle.unfinished().is_empty());
    assert!(open(dir.path()).has_handled("$m1"));
}

#[tokio::test]
async fn an_answer_that_fails_for_good_is_not_tried_again_at_every_start() {
    struct Refusing;
    impl Connector for Refusing {
        async fn send(&self, _: Target<'_>, _: &Reply, _: &Once) -> anyhow::Result<Sent> {
            anyhow::bail!("not in the room")
        }
        async fn edit(&self, _: &Sent, _: &Reply, _: &Once) -> anyhow::Result<()> {
            Ok(())
        }
        async fn delete(&self, _: &Sent, _: &str, _: &Once) -> anyhow::Result<()> {
            Ok(())
        }
        async fn permalink(&self, message: &MessageRef) -> String {
            message.event.clone()
        }
        fn room_name(&self, room: &str) -> String {
            room.to_owned()
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let lifecycle = open(dir.path());
    let answered = lifecycle
        .answer(&Refusing, &message("$cmd", None), "context", &Reply::new())
        .await;
    assert!(answered.is_err());
    assert!(lifecycle.unfinished().is_empty());
    assert!(open(dir.path()).has_handled("$cmd"));
}

#[tokio::test]
async fn an_event_waiting_for_its_key_survives_a_restart_and_is_handled_once_when_it_comes() {
    let dir = tempfile::tempdir().unwrap();
    let lifecycle = open(dir.path());
    lifecycle.wait_for_key(ROOM, "$locked", "session-a");
    lifecycle.synced("position-1").unwrap();

    let lifecycle = open(dir.path());
    assert_eq!(
        lifecycle.waiting_for_keys(),
        [(ROOM.to_owned(), "$locked".to_owned())]
    );
    assert!(
        lifecycle.unfinished().is_empty(),
        "not fetched as if readable"
    );
    assert!(lifecycle.waiting_for(ROOM, "session-b").is_empty());
    assert!(lifecycle.waiting_for(EDITORS, "session-a").is_empty());
    assert_eq!(lifecycle.waiting_for(ROOM, "session-a"), ["$locked"]);
    assert!(!lifecycle.has_handled("$locked"));
    // Given up with a bound it has not reached: still waiting.
    lifecycle.give_up_key_waits(std::time::Duration::from_secs(3600));
    assert_eq!(lifecycle.waiting_for_keys().len(), 1);

    assert!(lifecycle.key_arrived("$locked"));
    assert!(!lifecycle.key_arrived("$locked"), "handed on once");
    assert!(lifecycle.key_came_late("$locked"));
    assert!(lifecycle.waiting_for_keys().is_empty());
    let fake = Fake::default();
    lifecycle
        .answer(&fake, &message("$locked", None), "context", &Reply::new())
        .await
        .unwrap();
    assert_eq!(fake.done().len(), 1);
    assert!(open(dir.path()).has_handled("$locked"));
    assert!(open(dir.path()).unfinished().is_empty());
}

#[test]
fn an_event_whose_key_never_comes_is_given_up_after_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let lifecycle = open(dir.path());
    lifecycle.wait_for_key(ROOM, "$locked", "session-a");
    lifecycle.give_up_key_waits(std::time::Duration::ZERO);
    assert!(lifecycle.waiting_for_keys().is_empty());
    assert!(
        !lifecycle.key_arrived("$locked"),
        "a key after that changes nothing"
    );
    let lifecycle = open(dir.path());
    assert!(lifecycle.waiting_for_keys().is_empty());
    assert!(lifecycle.unfinished().is_empty());
    assert!(lifecycle.has_handled("$locked"));
    // Handled (or given up) events are not kept waiting again.
    lifecycle.wait_for_key(ROOM, "$locked", "session-a");
    assert!(lifecycle.waiting_for_keys().is_empty());
}

#[test]
fn events_waiting_for_keys_are_bounded_and_the_oldest_go_first() {
    let dir = tempfile::tempdir().unwrap();
    let lifecycle = open(dir.path());
    let kept = super::memory::KEY_WAITS_KEPT;
    for n in 0..kept + 3 {
        lifecycle.wait_for_key(ROOM, &format!("$e{n:05}"), "session-a");
    }
    let waiting = lifecycle.waiting_for_keys();
    assert_eq!(waiting.len(), kept);
    for n in 0..3 {
        let event = format!("$e{n:05}");
        assert!(!waiting.iter().any(|(_, e)| *e == event), "{event}");
        assert!(lifecycle.has_handled(&event));
    }
    assert!(waiting.iter().any(|(_, e)| e == "$e00003"));
}

#[test]
fn an_event_already_being_acted_on_does_not_wait_for_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let lifecycle = open(dir.path());
    lifecycle.begin(ROOM, "$m1").unwrap();
    lifecycle.wait_for_key(ROOM, "$m1", "session-a");
    assert!(lifecycle.waiting_for_keys().is_empty());
    assert_eq!(
        open(dir.path()).unfinished(),
        [(ROOM.to_owned(), "$m1".to_owned())]
    );
}
