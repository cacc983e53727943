//! Admin commands: what editors may ask of the bot, parsed and validated here, carried out
//! by the connector, and answered with replies rendered here.
//!
//! The core knows neither who is an editor nor what state a room is in, so an admin
//! command takes three steps:
//!
//! 1. The connector says who is asking ([`Caller`]) when it calls
//!    [`Desk::command_as`](crate::Desk::command_as). A non-editor gets a polite refusal; an
//!    editor with bad arguments gets the usage line; an editor with good arguments gets an
//!    [`Action::Admin`](crate::commands::Action::Admin) carrying a typed [`AdminRequest`].
//! 2. The connector carries the request out: it changes the room's mode, mutes warnings,
//!    adds up its counters into a [`Stats`], or reloads the knowledge file.
//! 3. It answers with the reply rendered by this module ([`mode_set`], [`muted`],
//!    [`stats`], [`reloaded`], [`reload_failed`]), so every connector words it the same.
//!
//! `!stale` needs nothing but the knowledge base and today's date, so the desk answers it
//! itself ([`stale`]); only the refusal for non-editors makes it an admin command.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use jiff::civil::{Date, DateTime};
use jiff::{Span, SpanRelativeTo};
use serde::Serialize;

use crate::checker::Verdict;
use crate::feedback::RuleFeedback;
use crate::knowledge::{KnowledgeBase, Topic};
use crate::reply::{Inline, Reply};

/// The longest mute `!mute` accepts: a mute is for a breaking story or a live blog, not a
/// way to switch checking off (that is `!mode commands`).
pub const MAX_MUTE: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// The period `!stats` covers without an argument.
pub const DEFAULT_STATS_DAYS: u32 = 7;
/// How many allegations `!stats` lists under "most repeated".
const TOP_ALLEGATIONS: usize = 5;

/// Who sent a command, as far as the desk needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Caller {
    /// Listed among the editors in the configuration: may run admin commands.
    pub is_editor: bool,
}

impl Caller {
    pub const EDITOR: Caller = Caller { is_editor: true };
    /// Anyone else, and the caller assumed by [`Desk::command`](crate::Desk::command).
    pub const MEMBER: Caller = Caller { is_editor: false };
}

/// What the bot does in a room; `!mode` sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoomMode {
    /// Answer commands; check nothing.
    Commands,
    /// Answer commands; warn about unattributed allegations in the room, in a thread.
    Warn,
    /// Answer commands; warn only the author where the platform can (Slack); else as `Warn`.
    WarnPrivate,
    /// Answer commands; send those warnings to the editors' room.
    Editors,
    /// Say nothing at all (admin commands from editors still work, so the room can be
    /// switched back on).
    Off,
}

/// The modes' names, for errors.
const MODE_NAMES: &str = "commands, warn, warn-private, editors or off";

impl RoomMode {
    pub const ALL: [RoomMode; 5] = [
        RoomMode::Commands,
        RoomMode::Warn,
        RoomMode::WarnPrivate,
        RoomMode::Editors,
        RoomMode::Off,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RoomMode::Commands => "commands",
            RoomMode::Warn => "warn",
            RoomMode::WarnPrivate => "warn-private",
            RoomMode::Editors => "editors",
            RoomMode::Off => "off",
        }
    }

    /// What the mode means, for the answer to `!mode`.
    pub fn describe(self) -> &'static str {
        match self {
            RoomMode::Commands => "I answer commands here and check nothing",
            RoomMode::Warn => {
                "I answer commands here and reply in a thread to messages that repeat an \
                 allegation without saying who made it"
            }
            RoomMode::WarnPrivate => {
                "I answer commands here and tell only its author when a message repeats an allegation without saying who made it"
            }
            RoomMode::Editors => {
                "I answer commands here and send warnings about unattributed allegations \
                 to the editors' room"
            }
            RoomMode::Off => "I stay silent here; editors can still change the mode",
        }
    }
}

impl fmt::Display for RoomMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RoomMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_lowercase();
        RoomMode::ALL
            .into_iter()
            .find(|m| m.as_str() == lower)
            .ok_or_else(|| format!("unknown mode {s:?} (expected {MODE_NAMES})"))
    }
}

/// How long `!mute` silences attribution warnings in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mute {
    For(Duration),
    /// `!mute off`: warnings again, now.
    Off,
}

/// The stretch of time `!stats` adds up, in whole days ending today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Period {
    /// Today and the `n - 1` days before it.
    Days(u32),
    /// Everything the bot has counted.
    All,
}

impl Period {
    /// The first day inside the period, or `None` for all time.
    pub fn first_day(self, today: Date) -> Option<Date> {
        match self {
            Period::All => None,
            Period::Days(n) => today
                .checked_sub(Span::new().days(i64::from(n.saturating_sub(1))))
                .ok(),
        }
    }

    pub fn label(self) -> String {
        match self {
            Period::All => "since counting began".to_owned(),
            Period::Days(1) => "today".to_owned(),
            Period::Days(n) => format!("the last {n} days"),
        }
    }
}

impl std::str::FromStr for Period {
    type Err = String;
    /// `today`, `7d`, `2w`, `30` (days) or `all`; nothing means the last seven days.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_lowercase();
        let bad = || format!("{s:?} is not a period; try today, 7d, 4w or all");
        match s.as_str() {
            "" => return Ok(Period::Days(DEFAULT_STATS_DAYS)),
            "today" | "day" => return Ok(Period::Days(1)),
            "week" => return Ok(Period::Days(7)),
            "month" => return Ok(Period::Days(30)),
            "all" => return Ok(Period::All),
            _ => {}
        }
        let (number, per) = if let Some(n) = s.strip_suffix('w') {
            (n, 7)
        } else if let Some(n) = s.strip_suffix('d') {
            (n, 1)
        } else {
            (s.as_str(), 1)
        };
        let n: u32 = number.parse().map_err(|_| bad())?;
        match n.checked_mul(per) {
            Some(days @ 1..=3660) => Ok(Period::Days(days)),
            _ => Err(bad()),
        }
    }
}

/// An editor's admin command, validated, for the connector to carry out.
#[derive(Debug, Clone, PartialEq)]
pub enum AdminRequest {
    /// `!mode <mode>`: set the current room's mode (and remember it across restarts).
    SetMode(RoomMode),
    /// `!mute <duration>` / `!mute off`: attribution warnings in the current room.
    Mute(Mute),
    /// `!stats [period]`: answer with [`stats`] over the counters for `period`.
    Stats(Period),
    /// `!reload`: reload the knowledge file and lexicons now.
    Reload,
}

/// Parses `!mode`'s argument.
pub fn parse_mode(args: &str) -> Result<AdminRequest, String> {
    if args.trim().is_empty() {
        return Err(format!("say which mode: {MODE_NAMES}"));
    }
    args.parse().map(AdminRequest::SetMode)
}

/// Parses `!mute`'s argument: `off`, or a duration such as `30m`, `2h`, `1h30m`, `1d`,
/// `90 minutes`, at most [`MAX_MUTE`].
pub fn parse_mute(args: &str) -> Result<AdminRequest, String> {
    let args = args.trim();
    if args.is_empty() {
        return Err("say for how long, e.g. 30m, 2h or 1d; or off".to_owned());
    }
    if matches!(args.to_lowercase().as_str(), "off" | "none" | "0") {
        return Ok(AdminRequest::Mute(Mute::Off));
    }
    let bad = || format!("{args:?} is not a duration; try 30m, 2h, 1h30m or 1d");
    let span: Span = args.parse().map_err(|_| bad())?;
    let duration = span
        .to_duration(SpanRelativeTo::days_are_24_hours())
        .map_err(|_| bad())?;
    if duration.is_negative() || duration.is_zero() {
        return Err(bad());
    }
    let duration = Duration::try_from(duration).map_err(|_| bad())?;
    if duration > MAX_MUTE {
        return Err(format!(
            "{args:?} is longer than a week; use the mode commands to stop checking a room"
        ));
    }
    Ok(AdminRequest::Mute(Mute::For(duration)))
}

/// Parses `!stats`'s argument.
pub fn parse_stats(args: &str) -> Result<AdminRequest, String> {
    args.parse().map(AdminRequest::Stats)
}

/// `!reload` takes no argument.
pub fn parse_reload(args: &str) -> Result<AdminRequest, String> {
    if args.trim().is_empty() {
        Ok(AdminRequest::Reload)
    } else {
        Err("reload takes no argument".to_owned())
    }
}

/// The polite refusal for someone who is not an editor.
pub fn refusal(prefix: &str, command: &str) -> Reply {
    Reply::new().paragraph(vec![
        Inline::text("Sorry, "),
        Inline::code(format!("{prefix}{command}")),
        Inline::text(
            " is for the editors listed in my configuration. Ask one of them if this room \
             needs it.",
        ),
    ])
}

/// The answer once the room's mode is set.
pub fn mode_set(mode: RoomMode) -> Reply {
    Reply::new().paragraph(vec![
        Inline::text("Mode set to "),
        Inline::code(mode.as_str()),
        Inline::text(format!(
            ": {}. It stays set after a restart.",
            mode.describe()
        )),
    ])
}

/// The answer to `!mode editors` when no editors' room is configured.
pub fn no_editors_room() -> Reply {
    Reply::new().paragraph(vec![
        Inline::text("There is no editors' room in my configuration ("),
        Inline::code("rooms.editors_room"),
        Inline::text("), so warnings cannot go there. The mode is unchanged."),
    ])
}

/// The answer once warnings are muted until `until` (local time), or unmuted.
pub fn muted(mute: Mute, until: Option<DateTime>) -> Reply {
    match (mute, until) {
        (Mute::For(duration), Some(until)) => Reply::new().paragraph(vec![
            Inline::text(format!(
                "Attribution warnings in this room are muted for {} (until {}). ",
                human_duration(duration),
                until.strftime("%Y-%m-%d %H:%M")
            )),
            Inline::text("Commands still work; "),
            Inline::code("mute off"),
            Inline::text(" ends it early."),
        ]),
        _ => Reply::new().paragraph(vec![Inline::text(
            "Attribution warnings in this room are back on.",
        )]),
    }
}

/// `1h30m`-style rendering of a mute's length.
fn human_duration(duration: Duration) -> String {
    let minutes = duration.as_secs().div_ceil(60);
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let mut out = String::new();
    for (n, unit) in [(days, "d"), (hours, "h"), (minutes, "m")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() { "0m".to_owned() } else { out }
}

/// What the bot counted over a period, added up by the connector for `!stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub messages_checked: u64,
    pub commands_answered: u64,
    /// Warnings posted, by the verdict of the warned message.
    pub warnings: BTreeMap<Verdict, u64>,
    /// Per rule: warnings it took part in and the feedback on them.
    pub rules: BTreeMap<String, RuleFeedback>,
    /// Known allegations (`topic/id`) warned about, with how often.
    pub allegations: BTreeMap<String, u64>,
    /// Rules demoted from flag to weak by feedback.
    pub demoted: Vec<String>,
}

/// The answer to `!stats`.
pub fn stats(stats: &Stats, period: Period) -> Reply {
    let total: u64 = stats.warnings.values().sum();
    let by_verdict: Vec<String> = [Verdict::Flag, Verdict::Weak]
        .into_iter()
        .map(|v| {
            format!(
                "{} {}",
                stats.warnings.get(&v).copied().unwrap_or(0),
                v.as_str()
            )
        })
        .collect();
    let mut reply = Reply::new()
        .heading(vec![Inline::text(format!(
            "copydesk stats for {}",
            period.label()
        ))])
        .paragraph(vec![Inline::text(format!(
            "{} messages checked, {} commands answered, {total} warnings ({}).",
            stats.messages_checked,
            stats.commands_answered,
            by_verdict.join(", ")
        ))]);

    let mut rules: Vec<(&String, &RuleFeedback)> = stats.rules.iter().collect();
    rules.sort_by(|a, b| b.1.warnings.cmp(&a.1.warnings).then(a.0.cmp(b.0)));
    let items = rules
        .into_iter()
        .map(|(rule, f)| {
            let mut line = vec![
                Inline::code(rule),
                Inline::text(format!(" — {} warnings", f.warnings)),
            ];
            if f.votes() > 0 {
                line.push(Inline::text(format!(
                    "; feedback {} useful, {} false alarm",
                    f.useful, f.false_alarms
                )));
                if let Some(rate) = f.false_alarm_rate() {
                    line.push(Inline::text(format!(
                        " (false-alarm rate {:.0}%)",
                        rate * 100.0
                    )));
                }
            }
            if stats.demoted.contains(rule) {
                line.push(Inline::strong(" — demoted to weak"));
            }
            line
        })
        .collect::<Vec<_>>();
    if !items.is_empty() {
        reply = reply.paragraph(vec![Inline::strong("By rule")]).list(items);
    }

    let mut allegations: Vec<(&String, &u64)> = stats.allegations.iter().collect();
    allegations.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let items = allegations
        .into_iter()
        .take(TOP_ALLEGATIONS)
        .map(|(id, n)| vec![Inline::code(id), Inline::text(format!(" — {n} warnings"))])
        .collect::<Vec<_>>();
    if !items.is_empty() {
        reply = reply
            .paragraph(vec![Inline::strong("Most repeated allegations")])
            .list(items);
    }
    reply
}

/// Topics past their review date on `today`, the longest overdue first.
pub fn stale_topics(kb: &KnowledgeBase, today: Date) -> Vec<&Topic> {
    let mut stale: Vec<&Topic> = kb.topics().iter().filter(|t| t.is_stale(today)).collect();
    stale.sort_by_key(|t| (t.review_due(), t.slug.clone()));
    stale
}

/// The answer to `!stale`, and the daily freshness post in the editors' room.
pub fn stale(kb: &KnowledgeBase, today: Date) -> Reply {
    let topics = stale_topics(kb, today);
    if topics.is_empty() {
        return Reply::new().paragraph(vec![Inline::text(format!(
            "No topic is past its review date (knowledge file version {}).",
            kb.version()
        ))]);
    }
    let items = topics
        .iter()
        .map(|t| {
            let due = t.review_due().map(|d| d.to_string()).unwrap_or_default();
            vec![
                Inline::code(&t.slug),
                Inline::text(format!(
                    " — {}: review was due {due} (last reviewed {})",
                    t.title, t.updated
                )),
            ]
        })
        .collect();
    Reply::new()
        .heading(vec![Inline::text(format!(
            "{} topics past their review date",
            topics.len()
        ))])
        .list(items)
        .paragraph(vec![Inline::text(format!(
            "Knowledge file version {}. Update each entry's sources and its `updated` date.",
            kb.version()
        ))])
}

/// The answer to `!reload` (and the editors' room notice after an automatic reload).
pub fn reloaded(before: &str, after: &str) -> Reply {
    let text = if before == after {
        format!("Reloaded; the knowledge file is unchanged (version {after}).")
    } else {
        format!("Reloaded: now serving knowledge file version {after} (was {before}).")
    };
    Reply::new().paragraph(vec![Inline::text(text)])
}

/// A reload that failed validation: the last good version keeps serving, and every
/// problem is listed with its `file:line:column`.
pub fn reload_failed(serving: &str, problems: &[String]) -> Reply {
    Reply::new()
        .heading(vec![Inline::text(format!(
            "Reload failed: still serving knowledge file version {serving}"
        ))])
        .list(
            problems
                .iter()
                .map(|p| vec![Inline::code(p.as_str())])
                .collect(),
        )
        .paragraph(vec![Inline::text(
            "Fix the file and save it again; I reload as soon as it is valid.",
        )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_in_any_case() {
        assert_eq!(
            parse_mode(" Warn "),
            Ok(AdminRequest::SetMode(RoomMode::Warn))
        );
        assert!(
            parse_mode("warm")
                .unwrap_err()
                .contains("expected commands")
        );
        assert!(parse_mode("").is_err());
    }

    #[test]
    fn mute_takes_friendly_durations() {
        let mins = |m: u64| Ok(AdminRequest::Mute(Mute::For(Duration::from_secs(m * 60))));
        assert_eq!(parse_mute("30m"), mins(30));
        assert_eq!(parse_mute("2h"), mins(120));
        assert_eq!(parse_mute("1h30m"), mins(90));
        assert_eq!(parse_mute("1d"), mins(1440));
        assert_eq!(parse_mute("90 minutes"), mins(90));
        assert_eq!(parse_mute("off"), Ok(AdminRequest::Mute(Mute::Off)));
        for bad in ["", "soon", "-1h", "0m", "8d", "1 month"] {
            assert!(parse_mute(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn periods() {
        assert_eq!("".parse(), Ok(Period::Days(7)));
        assert_eq!("today".parse(), Ok(Period::Days(1)));
        assert_eq!("30d".parse(), Ok(Period::Days(30)));
        assert_eq!("2w".parse(), Ok(Period::Days(14)));
        assert_eq!("ALL".parse(), Ok(Period::All));
        for bad in ["0d", "-3d", "forever", "99999999w"] {
            assert!(bad.parse::<Period>().is_err(), "{bad:?}");
        }
        let today = jiff::civil::date(2026, 3, 2);
        assert_eq!(
            Period::Days(3).first_day(today),
            Some(jiff::civil::date(2026, 2, 28))
        );
        assert_eq!(Period::All.first_day(today), None);
    }

    #[test]
    fn mute_answer_names_the_end() {
        let until = jiff::civil::date(2026, 11, 26).at(15, 30, 0, 0);
        let text = muted(Mute::For(Duration::from_secs(5400)), Some(until)).to_plain();
        assert!(
            text.contains("muted for 1h30m (until 2026-11-26 15:30)"),
            "{text}"
        );
        assert!(muted(Mute::Off, None).to_plain().contains("back on"));
    }

    #[test]
    fn stats_show_verdicts_rules_feedback_and_top_allegations() {
        let mut s = Stats {
            messages_checked: 120,
            commands_answered: 7,
            ..Stats::default()
        };
        s.warnings.insert(Verdict::Flag, 4);
        s.warnings.insert(Verdict::Weak, 2);
        s.rules.insert(
            "known-allegation".into(),
            RuleFeedback {
                warnings: 4,
                useful: 1,
                false_alarms: 3,
            },
        );
        s.rules.insert(
            "hedge".into(),
            RuleFeedback {
                warnings: 2,
                ..RuleFeedback::default()
            },
        );
        s.allegations.insert("bulgaria-schengen/russia".into(), 3);
        s.demoted.push("known-allegation".into());
        let text = stats(&s, Period::Days(7)).to_plain();
        assert!(
            text.starts_with("copydesk stats for the last 7 days"),
            "{text}"
        );
        assert!(
            text.contains("120 messages checked, 7 commands answered, 6 warnings (4 flag, 2 weak)"),
            "{text}"
        );
        assert!(
            text.contains(
                "`known-allegation` — 4 warnings; feedback 1 useful, 3 false alarm \
                 (false-alarm rate 75%) — demoted to weak"
            ),
            "{text}"
        );
        assert!(text.contains("`hedge` — 2 warnings\n"), "{text}");
        assert!(
            text.contains("`bulgaria-schengen/russia` — 3 warnings"),
            "{text}"
        );
    }

    #[test]
    fn reload_failure_lists_every_problem() {
        let text = reload_failed(
            "abc123",
            &["kb.toml:3:1: unknown field `sorces`".to_owned()],
        )
        .to_plain();
        assert!(text.contains("still serving knowledge file version abc123"));
        assert!(
            text.contains("• `kb.toml:3:1: unknown field `sorces``"),
            "{text}"
        );
    }
}
