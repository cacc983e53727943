//! The audit log: every warning the bot posts or withdraws, every vote on a warning and
//! every admin action, appended as one JSON object per line to `data_dir/audit.jsonl`.
//!
//! The log answers "why did the bot say that, and who changed what" months later, so it
//! is append-only and plain: `jq` and `grep` read it, and `copydesk audit` summarises it
//! per day, per rule and per room. When the file passes `max_size` it is rotated
//! (`audit.jsonl` → `audit.jsonl.1` → … → `audit.jsonl.<keep>`, the oldest dropped).
//!
//! Message text is written only when `audit.include_text = true`: by default the log
//! holds ids, verdicts and rule names, like the rest of the bot's files.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context as _;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The log's file name inside `data_dir`.
pub const FILE_NAME: &str = "audit.jsonl";
pub const DEFAULT_MAX_SIZE: u64 = 10 * 1024 * 1024;
pub const DEFAULT_KEEP: usize = 5;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// A warning about a message was posted.
    Warn,
    /// A warning was taken back (the message was edited to attribute, or redacted).
    Withdraw,
    /// Someone reacted to a warning with 👍 or 👎 (`detail` says which).
    Feedback,
    /// Feedback demoted a rule from flag to weak (`rules` says which).
    Demote,
    /// `!mode` (`detail`: the new mode).
    Mode,
    /// `!mute` (`detail`: the duration, or `off`).
    Mute,
    /// `!reload`, or a reload after a file changed (`detail`: the outcome).
    Reload,
    /// Another admin command (`detail`: which).
    Admin,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Warn => "warn",
            Action::Withdraw => "withdraw",
            Action::Feedback => "feedback",
            Action::Demote => "demote",
            Action::Mode => "mode",
            Action::Mute => "mute",
            Action::Reload => "reload",
            Action::Admin => "admin",
        }
    }
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub time: Timestamp,
    pub action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// The event acted on: the message warned about, the command, the reaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Who wrote that event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// The verdict of a warned message: `flag` or `weak`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// The rules that fired (or were voted on, or demoted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// Known allegations involved, as `topic/id`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allegations: Vec<String>,
    /// Action-specific: the new mode, the mute's length, the vote, the reload outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The message text; only with `audit.include_text = true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Record {
    /// A record of `action` now, with every other field empty.
    pub fn now(action: Action) -> Record {
        Record {
            time: Timestamp::now(),
            action,
            room: None,
            event: None,
            sender: None,
            verdict: None,
            rules: Vec::new(),
            allegations: Vec::new(),
            detail: None,
            text: None,
        }
    }

    pub fn room(mut self, room: impl ToString) -> Record {
        self.room = Some(room.to_string());
        self
    }

    pub fn event(mut self, event: impl ToString) -> Record {
        self.event = Some(event.to_string());
        self
    }

    pub fn sender(mut self, sender: impl ToString) -> Record {
        self.sender = Some(sender.to_string());
        self
    }

    pub fn verdict(mut self, verdict: impl ToString) -> Record {
        self.verdict = Some(verdict.to_string());
        self
    }

    pub fn rules(mut self, rules: impl IntoIterator<Item = impl ToString>) -> Record {
        self.rules = rules.into_iter().map(|r| r.to_string()).collect();
        self
    }

    pub fn allegations(mut self, allegations: impl IntoIterator<Item = impl ToString>) -> Record {
        self.allegations = allegations.into_iter().map(|a| a.to_string()).collect();
        self
    }

    pub fn detail(mut self, detail: impl ToString) -> Record {
        self.detail = Some(detail.to_string());
        self
    }

    /// The message text, kept only if the log is configured to keep text.
    pub fn text(mut self, text: &str) -> Record {
        self.text = Some(text.to_owned());
        self
    }
}

/// How the log is kept (`[audit]` in the configuration).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditSettings {
    pub enabled: bool,
    /// Rotate when the file would grow past this many bytes.
    pub max_size: u64,
    /// Rotated files kept (`audit.jsonl.1` … `.keep`).
    pub keep: usize,
    /// Write message text into records.
    pub include_text: bool,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings {
            enabled: true,
            max_size: DEFAULT_MAX_SIZE,
            keep: DEFAULT_KEEP,
            include_text: false,
        }
    }
}

/// The open log. Appends are serialised by a mutex; each record is one `write` on a file
/// opened for appending, so a crash never leaves half a line behind a whole one.
pub struct AuditLog {
    path: PathBuf,
    settings: AuditSettings,
    file: Mutex<Option<(File, u64)>>,
}

impl AuditLog {
    /// Opens (creating) `data_dir/audit.jsonl`.
    pub fn open(data_dir: &Path, settings: AuditSettings) -> anyhow::Result<AuditLog> {
        let log = AuditLog {
            path: data_dir.join(FILE_NAME),
            settings,
            file: Mutex::new(None),
        };
        if log.settings.enabled {
            let opened = log.open_file()?;
            *super::lock(&log.file) = Some(opened);
        }
        Ok(log)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open_file(&self) -> anyhow::Result<(File, u64)> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("cannot open the audit log {}", self.path.display()))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok((file, size))
    }

    /// Appends `record` (without its text unless `include_text`), rotating first when the
    /// file would pass `max_size`. Failures are logged, never fatal: the bot keeps
    /// working when the disk is full.
    pub fn append(&self, mut record: Record) {
        if !self.settings.enabled {
            return;
        }
        if !self.settings.include_text {
            record.text = None;
        }
        if let Err(error) = self.try_append(&record) {
            tracing::warn!("audit log: {error:#}");
        }
    }

    fn try_append(&self, record: &Record) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        let mut guard = super::lock(&self.file);
        let needs_rotation = match &*guard {
            Some((_, size)) => *size > 0 && size + line.len() as u64 > self.settings.max_size,
            None => false,
        };
        if needs_rotation {
            *guard = None;
            self.rotate()?;
        }
        if guard.is_none() {
            *guard = Some(self.open_file()?);
        }
        let (file, size) = guard.as_mut().expect("opened above");
        file.write_all(&line)
            .with_context(|| format!("writing {}", self.path.display()))?;
        *size += line.len() as u64;
        Ok(())
    }

    /// `audit.jsonl.N` → `.N+1` (the one at `keep` dropped), then `audit.jsonl` → `.1`.
    fn rotate(&self) -> anyhow::Result<()> {
        let keep = self.settings.keep;
        if keep == 0 {
            std::fs::remove_file(&self.path)
                .with_context(|| format!("rotating {}", self.path.display()))?;
            return Ok(());
        }
        let _ = std::fs::remove_file(rotated(&self.path, keep));
        for n in (1..keep).rev() {
            let from = rotated(&self.path, n);
            if from.exists() {
                std::fs::rename(&from, rotated(&self.path, n + 1))
                    .with_context(|| format!("rotating {}", from.display()))?;
            }
        }
        std::fs::rename(&self.path, rotated(&self.path, 1))
            .with_context(|| format!("rotating {}", self.path.display()))?;
        tracing::info!(path = %self.path.display(), "audit log rotated");
        Ok(())
    }
}

fn rotated(path: &Path, n: usize) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// The log files in `data_dir`, oldest first: `audit.jsonl.<keep>` … `.1`, `audit.jsonl`.
pub fn files_in(data_dir: &Path) -> Vec<PathBuf> {
    let current = data_dir.join(FILE_NAME);
    let mut numbered: Vec<(usize, PathBuf)> = std::fs::read_dir(data_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let n = name
                .strip_prefix(FILE_NAME)?
                .strip_prefix('.')?
                .parse()
                .ok()?;
            Some((n, entry.path()))
        })
        .collect();
    numbered.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    let mut files: Vec<PathBuf> = numbered.into_iter().map(|(_, p)| p).collect();
    if current.exists() {
        files.push(current);
    }
    files
}

/// Counts for one day, rule or room.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub warnings: u64,
    pub flag: u64,
    pub weak: u64,
    pub withdrawn: u64,
    pub useful: u64,
    pub false_alarms: u64,
    pub admin: u64,
}

impl Counts {
    fn count(&mut self, record: &Record) {
        match record.action {
            Action::Warn => {
                self.warnings += 1;
                match record.verdict.as_deref() {
                    Some("flag") => self.flag += 1,
                    Some("weak") => self.weak += 1,
                    _ => {}
                }
            }
            Action::Withdraw => self.withdrawn += 1,
            Action::Feedback => match record.detail.as_deref() {
                Some("useful") => self.useful += 1,
                Some("false-alarm") => self.false_alarms += 1,
                _ => {}
            },
            Action::Demote | Action::Mode | Action::Mute | Action::Reload | Action::Admin => {
                self.admin += 1
            }
        }
    }
}

/// The audit log added up.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub records: u64,
    /// Lines that were not a record, as `file:line: problem` (the first few).
    pub unreadable: Vec<String>,
    pub unreadable_count: u64,
    /// Per UTC day (`YYYY-MM-DD`).
    pub days: BTreeMap<String, Counts>,
    pub rules: BTreeMap<String, Counts>,
    pub rooms: BTreeMap<String, Counts>,
    pub actions: BTreeMap<String, u64>,
}

const UNREADABLE_SHOWN: usize = 5;

impl Summary {
    pub fn add(&mut self, record: &Record) {
        self.records += 1;
        *self
            .actions
            .entry(record.action.as_str().to_owned())
            .or_default() += 1;
        let day = record.time.to_zoned(jiff::tz::TimeZone::UTC).date();
        self.days.entry(day.to_string()).or_default().count(record);
        for rule in &record.rules {
            self.rules.entry(rule.clone()).or_default().count(record);
        }
        if let Some(room) = &record.room {
            self.rooms.entry(room.clone()).or_default().count(record);
        }
    }

    /// Adds every record of one log file.
    pub fn read(&mut self, path: &Path) -> anyhow::Result<()> {
        let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        for (index, line) in BufReader::new(file).lines().enumerate() {
            let line = line.with_context(|| format!("reading {}", path.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Record>(&line) {
                Ok(record) => self.add(&record),
                Err(error) => {
                    self.unreadable_count += 1;
                    if self.unreadable.len() < UNREADABLE_SHOWN {
                        self.unreadable
                            .push(format!("{}:{}: {error}", path.display(), index + 1));
                    }
                }
            }
        }
        Ok(())
    }

    /// A plain-text report: totals, then a table per day, per rule and per room.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let actions: Vec<String> = self
            .actions
            .iter()
            .map(|(a, n)| format!("{n} {a}"))
            .collect();
        out.push_str(&format!(
            "{} records: {}\n",
            self.records,
            if actions.is_empty() {
                "none".to_owned()
            } else {
                actions.join(", ")
            }
        ));
        table(&mut out, "day (UTC)", &self.days);
        table(&mut out, "rule", &self.rules);
        table(&mut out, "room", &self.rooms);
        if self.unreadable_count > 0 {
            out.push_str(&format!(
                "\n{} unreadable lines skipped:\n",
                self.unreadable_count
            ));
            for line in &self.unreadable {
                out.push_str(&format!("  {line}\n"));
            }
        }
        out
    }
}

fn table(out: &mut String, title: &str, rows: &BTreeMap<String, Counts>) {
    if rows.is_empty() {
        return;
    }
    let width = rows
        .keys()
        .map(|k| k.chars().count())
        .chain([title.len()])
        .max()
        .unwrap_or(0);
    out.push_str(&format!(
        "\n{title:<width$}  {:>8} {:>6} {:>6} {:>9} {:>7} {:>12} {:>6}\n",
        "warnings", "flag", "weak", "withdrawn", "useful", "false-alarm", "admin"
    ));
    for (key, c) in rows {
        out.push_str(&format!(
            "{key:<width$}  {:>8} {:>6} {:>6} {:>9} {:>7} {:>12} {:>6}\n",
            c.warnings, c.flag, c.weak, c.withdrawn, c.useful, c.false_alarms, c.admin
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warning(room: &str, rule: &str, verdict: &str) -> Record {
        Record::now(Action::Warn)
            .room(room)
            .event("$m")
            .sender("@j:localhost")
            .verdict(verdict)
            .rules([rule])
            .allegations(["bulgaria-schengen/russia"])
            .text("secret draft text")
    }

    #[test]
    fn records_are_json_lines_without_text_by_default() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path(), AuditSettings::default()).unwrap();
        log.append(warning("!a:localhost", "known-allegation", "flag"));
        log.append(
            Record::now(Action::Mode)
                .room("!a:localhost")
                .detail("warn"),
        );
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["action"], "warn");
        assert_eq!(lines[0]["room"], "!a:localhost");
        assert_eq!(lines[0]["event"], "$m");
        assert_eq!(lines[0]["sender"], "@j:localhost");
        assert_eq!(lines[0]["verdict"], "flag");
        assert_eq!(lines[0]["rules"][0], "known-allegation");
        assert_eq!(lines[0]["allegations"][0], "bulgaria-schengen/russia");
        assert!(lines[0]["time"].as_str().unwrap().ends_with('Z'));
        assert!(lines[0].get("text").is_none(), "{text}");
        assert!(!text.contains("secret draft"));
        assert_eq!(lines[1]["detail"], "warn");
    }

    #[test]
    fn text_is_kept_only_when_configured() {
        let dir = tempfile::tempdir().unwrap();
        let settings = AuditSettings {
            include_text: true,
            ..AuditSettings::default()
        };
        let log = AuditLog::open(dir.path(), settings).unwrap();
        log.append(warning("!a:localhost", "hedge", "weak"));
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(text.contains("\"text\":\"secret draft text\""), "{text}");
    }

    #[test]
    fn the_log_rotates_by_size_and_keeps_the_newest_files() {
        let dir = tempfile::tempdir().unwrap();
        let settings = AuditSettings {
            max_size: 600,
            keep: 2,
            ..AuditSettings::default()
        };
        let log = AuditLog::open(dir.path(), settings).unwrap();
        for _ in 0..40 {
            log.append(warning("!a:localhost", "hedge", "weak"));
        }
        let files = files_in(dir.path());
        let names: Vec<String> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["audit.jsonl.2", "audit.jsonl.1", "audit.jsonl"]);
        for file in &files {
            let size = std::fs::metadata(file).unwrap().len();
            assert!(size <= 600, "{} is {size} bytes", file.display());
            // Every file holds whole records.
            let mut summary = Summary::default();
            summary.read(file).unwrap();
            assert_eq!(summary.unreadable_count, 0);
        }
    }

    #[test]
    fn summary_counts_per_day_rule_and_room() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let day1: Timestamp = "2026-11-01T10:00:00Z".parse().unwrap();
        let day2: Timestamp = "2026-11-02T23:59:00Z".parse().unwrap();
        let records = [
            Record {
                time: day1,
                ..warning("!a:localhost", "known-allegation", "flag")
            },
            Record {
                time: day1,
                ..warning("!b:localhost", "hedge", "weak")
            },
            Record {
                time: day2,
                ..warning("!a:localhost", "known-allegation", "flag")
            },
            Record {
                time: day2,
                ..Record::now(Action::Feedback)
                    .room("!a:localhost")
                    .rules(["known-allegation"])
                    .detail("false-alarm")
            },
            Record {
                time: day2,
                ..Record::now(Action::Mode).room("!b:localhost").detail("off")
            },
        ];
        let mut text = String::new();
        for r in &records {
            text.push_str(&serde_json::to_string(r).unwrap());
            text.push('\n');
        }
        text.push_str("not json\n");
        std::fs::write(&path, text).unwrap();

        let mut summary = Summary::default();
        summary.read(&path).unwrap();
        assert_eq!(summary.records, 5);
        assert_eq!(summary.unreadable_count, 1);
        assert!(summary.unreadable[0].contains("audit.jsonl:6:"));
        assert_eq!(summary.days["2026-11-01"].warnings, 2);
        assert_eq!(summary.days["2026-11-02"].warnings, 1);
        assert_eq!(summary.days["2026-11-02"].admin, 1);
        let rule = &summary.rules["known-allegation"];
        assert_eq!((rule.warnings, rule.flag, rule.false_alarms), (2, 2, 1));
        assert_eq!(summary.rooms["!b:localhost"].weak, 1);
        let report = summary.render();
        assert!(
            report.starts_with("5 records: 1 feedback, 1 mode, 3 warn\n"),
            "{report}"
        );
        assert!(report.contains("known-allegation"), "{report}");
        assert!(report.contains("1 unreadable lines skipped"), "{report}");
    }
}
