//! The bot under faults, tried from outside as a newsroom's ops team would: a steady
//! stream of commands while its homeserver, then the bot itself, are killed again and
//! again.
//!
//! ```text
//! cargo build --release --examples
//! cargo run --release --example faults -- [--kills 10] [--rate 3] [--rooms 3] [--up 8]
//!     [--seed 16] [--bot PATH] [--synapse-on-disk]
//! ```
//!
//! Starts a throwaway Synapse (scripts/synapse, as the tests do; its database in /dev/shm
//! unless `--synapse-on-disk`) unless `COPYDESK_TEST_HOMESERVER` and
//! `COPYDESK_TEST_SYNAPSE_DIR` point at one, registers the bot and a journalist, puts
//! both in the rooms and starts the release build of the bot at its default log level
//! (no `RUST_LOG`), logging JSON lines so each line names its target. The journalist
//! sends `!context bulgaria` `rate` times a second, round-robin over the rooms, all along.
//!
//! 1. The homeserver is killed with SIGKILL `kills` times: down 2–5 s each (then
//!    restarted on the same directory and port, which takes Synapse a few seconds more),
//!    up for `--up` seconds (default 8) between kills.
//! 2. The bot is killed with SIGKILL `kills` times: down 1–3 s each, restarted on the
//!    same data directory, up for `--up` seconds between kills.
//!
//! Then it waits for stragglers and reports: commands the homeserver accepted (a send
//! while it is down fails and is counted apart), answered exactly once, missing,
//! answered more than once; panics, ERROR lines (by target and message) and WARN lines
//! in the bot's log; and the time from sending a command to the journalist seeing its
//! answer, for commands sent within 10 s of the homeserver's return (target: p99 ≤ 1.5
//! s), within 10 s of a bot restart, while the bot was down, and the rest. Exits 1 when a
//! target is missed: anything missing or doubled, a panic, an ERROR line, or that p99.

#[path = "../tests/support/bot.rs"]
mod bot;
#[path = "measure/mod.rs"]
mod measure;
#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bot::{BotAccount, BotLog, BotSettings, wait_for_join};
use clap::Parser;
use matrix_sdk::room::Room;
use matrix_sdk::ruma::events::room::message::{
    OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId};
use measure::{OwnSynapse, SynapseArgs, at_least_one, percentile, release_binary};
use support::{Homeserver, TestClient};

/// Commands sent this long after the homeserver returned (or the bot restarted) count as
/// sent "after the return".
const AFTER_RETURN: Duration = Duration::from_secs(10);
/// The target for answers to commands sent after the homeserver returned.
const RECOVERED_P99: Duration = Duration::from_millis(1500);
/// How long to wait for the last answers after the stream stops.
const STRAGGLERS: Duration = Duration::from_secs(90);
/// After the last answer came, how long to wait for late duplicates.
const LATE_DUPLICATES: Duration = Duration::from_secs(5);
/// A send that takes longer than this counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);
const COMMAND: &str = "!context bulgaria";

/// Kills the homeserver, then the bot, again and again under a stream of commands.
#[derive(Parser, Debug)]
struct Args {
    /// Times to kill the homeserver, then times to kill the bot
    #[arg(long, default_value_t = 10)]
    kills: u32,
    /// Commands sent per second
    #[arg(long, default_value_t = 3, value_parser = at_least_one::<u32>())]
    rate: u32,
    /// Rooms the commands are spread over
    #[arg(long, default_value_t = 3, value_parser = at_least_one::<usize>())]
    rooms: usize,
    /// Seconds of normal running between two kills
    #[arg(long, default_value_t = 8, value_parser = at_least_one::<u64>())]
    up: u64,
    /// Seed for the down times
    #[arg(long, default_value_t = 16)]
    seed: u64,
    /// The copydesk binary to run, e.g. an older build to compare (default: the release
    /// build beside this example)
    #[arg(long)]
    bot: Option<PathBuf>,
    #[command(flatten)]
    synapse: SynapseArgs,
}

fn main() {
    let args = Args::parse();
    let binary = args.bot.clone().unwrap_or_else(release_binary);
    let synapse = OwnSynapse::unless_given("copydesk-faults.", args.synapse.storage());
    let met = measure::runtime().block_on(run(args, &binary));
    // `exit` runs no destructors: stop the throwaway Synapse first.
    drop(synapse);
    std::process::exit(if met { 0 } else { 1 });
}

/// A command the homeserver accepted.
struct Command {
    event: OwnedEventId,
    /// When its send started.
    sent: Instant,
}

/// What happened when, for sorting commands into the report's groups.
#[derive(Default)]
struct Timeline {
    /// Each homeserver kill, and when it answered again.
    homeserver_down: Vec<(Instant, Instant)>,
    /// Each bot kill, and its restart.
    bot_down: Vec<(Instant, Instant)>,
}

/// Everything the journalist's stream and sync record.
#[derive(Default)]
struct Seen {
    commands: Mutex<Vec<Command>>,
    refused: AtomicUsize,
    /// The times the journalist saw the bot's answers, by the event they reply to.
    answers: Mutex<HashMap<OwnedEventId, Vec<Instant>>>,
}

async fn run(args: Args, binary: &Path) -> bool {
    let hs = Homeserver::from_env().expect("a homeserver");
    assert!(
        hs.synapse_dir.is_some(),
        "the fault tool kills the homeserver: COPYDESK_TEST_SYNAPSE_DIR must name its dir"
    );
    let journalist = Arc::new(hs.new_client("journalist").await);
    let account = BotAccount::register(&hs).await;
    account.configure(&BotSettings {
        autojoin_users: vec![journalist.user_id.clone()],
        ..Default::default()
    });
    // JSON lines carry each line's target, which the report groups ERROR lines by.
    let mut config = std::fs::read_to_string(account.config_path()).expect("the config");
    config.push_str("\n[log]\nformat = \"json\"\n");
    std::fs::write(account.config_path(), config).expect("writing the config");
    let mut rooms = Vec::new();
    for i in 0..args.rooms {
        let invite = [account.user_id.clone()];
        rooms.push(
            journalist
                .create_room(&format!("faults {i}"), false, &invite)
                .await,
        );
    }
    let seen = Arc::new(Seen::default());
    watch_answers(&journalist, &account.user_id, &seen);
    let mut bot = account.start_binary_logging(binary, BotLog::Default);
    for room in &rooms {
        wait_for_join(&journalist, room, &account.user_id).await;
    }
    println!(
        "bot joined {} rooms; {} commands a second; {} homeserver kills, then {} bot kills",
        rooms.len(),
        args.rate,
        args.kills,
        args.kills
    );

    let streaming = Arc::new(AtomicBool::new(true));
    let stream = tokio::spawn(stream(
        journalist.clone(),
        rooms.clone(),
        f64::from(args.rate),
        seen.clone(),
        streaming.clone(),
    ));
    let up = Duration::from_secs(args.up);
    let mut random = Random(args.seed.max(1));
    let mut timeline = Timeline::default();
    tokio::time::sleep(up).await;
    for n in 1..=args.kills {
        let down = random.between(2.0, 5.0);
        let killed = Instant::now();
        hs.kill_homeserver().await;
        tokio::time::sleep(down).await;
        hs.start_homeserver().await;
        let back = Instant::now();
        timeline.homeserver_down.push((killed, back));
        println!(
            "homeserver kill {n:>2}: restarted after {:.1} s, answering after {:.1} s",
            down.as_secs_f64(),
            (back - killed).as_secs_f64()
        );
        tokio::time::sleep(up).await;
    }
    for n in 1..=args.kills {
        let down = random.between(1.0, 3.0);
        let killed = Instant::now();
        bot.kill();
        tokio::time::sleep(down).await;
        bot = account.start_binary_logging(binary, BotLog::Default);
        timeline.bot_down.push((killed, Instant::now()));
        println!(
            "bot kill {n:>2}: restarted after {:.1} s",
            down.as_secs_f64()
        );
        tokio::time::sleep(up).await;
    }
    streaming.store(false, Ordering::Relaxed);
    stream.await.expect("the stream of commands");
    wait_for_stragglers(&seen).await;
    let met = report(&seen, &timeline, &account.log());
    let status = bot.stop().await;
    println!("bot stopped with {status}");
    let kept = std::env::temp_dir().join("copydesk-faults-bot.log");
    if std::fs::write(&kept, account.log()).is_ok() {
        println!("bot log: {}", kept.display());
    }
    met
}

/// Records when the journalist sees each of the bot's answers.
fn watch_answers(journalist: &TestClient, bot: &OwnedUserId, seen: &Arc<Seen>) {
    let (seen, bot) = (seen.clone(), bot.clone());
    journalist
        .client
        .add_event_handler(move |ev: OriginalSyncRoomMessageEvent, _room: Room| {
            let now = Instant::now();
            if ev.sender == bot
                && let Some(Relation::Reply(reply)) = &ev.content.relates_to
            {
                let mut answers = seen.answers.lock().expect("answers lock");
                answers
                    .entry(reply.in_reply_to.event_id.clone())
                    .or_default()
                    .push(now);
            }
            async {}
        });
}

/// Sends the command `rate` times a second, round-robin over `rooms`, until `streaming`
/// is cleared; each send in its own task, so one the homeserver holds up does not delay
/// the next. A send that fails (the homeserver is down) is counted, not retried.
async fn stream(
    journalist: Arc<TestClient>,
    rooms: Vec<OwnedRoomId>,
    rate: f64,
    seen: Arc<Seen>,
    streaming: Arc<AtomicBool>,
) {
    let start = tokio::time::Instant::now();
    let mut sends = Vec::new();
    let mut n: u32 = 0;
    while streaming.load(Ordering::Relaxed) {
        tokio::time::sleep_until(start + Duration::from_secs_f64(f64::from(n) / rate)).await;
        let room = journalist
            .client
            .get_room(&rooms[n as usize % rooms.len()])
            .expect("the journalist's room");
        let seen = seen.clone();
        sends.push(tokio::spawn(async move {
            let sent = Instant::now();
            let content = RoomMessageEventContent::text_plain(COMMAND);
            match tokio::time::timeout(SEND_TIMEOUT, room.send(content)).await {
                Ok(Ok(response)) => seen.commands.lock().expect("commands lock").push(Command {
                    event: response.response.event_id,
                    sent,
                }),
                _ => {
                    seen.refused.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
        n += 1;
    }
    for send in sends {
        let _ = send.await;
    }
}

/// Waits until every accepted command has an answer (or [`STRAGGLERS`] passed), then a
/// little longer for late duplicates.
async fn wait_for_stragglers(seen: &Seen) {
    let deadline = Instant::now() + STRAGGLERS;
    while Instant::now() < deadline {
        let unanswered = {
            let answers = seen.answers.lock().expect("answers lock");
            let commands = seen.commands.lock().expect("commands lock");
            commands
                .iter()
                .filter(|c| !answers.contains_key(&c.event))
                .count()
        };
        if unanswered == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(LATE_DUPLICATES).await;
}

/// When in the run a command was sent, and whether a kill came before its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    AfterHomeserverReturn,
    AcrossHomeserverKill,
    AfterBotRestart,
    WhileBotDown,
    AcrossBotKill,
    Otherwise,
}

impl Group {
    fn of(sent: Instant, answered: Instant, timeline: &Timeline) -> Group {
        let across = |downs: &[(Instant, Instant)]| {
            downs
                .iter()
                .any(|&(killed, _)| sent < killed && answered > killed)
        };
        // Within AFTER_RETURN of a return, and before the next kill.
        let after = |downs: &[(Instant, Instant)]| {
            downs.iter().enumerate().any(|(i, &(_, back))| {
                let next_kill = downs.get(i + 1).map_or(back + AFTER_RETURN, |d| d.0);
                sent >= back && sent < (back + AFTER_RETURN).min(next_kill)
            })
        };
        let (homeserver, bot) = (&timeline.homeserver_down, &timeline.bot_down);
        if across(homeserver) {
            Group::AcrossHomeserverKill
        } else if bot
            .iter()
            .any(|&(killed, back)| sent >= killed && sent < back)
        {
            Group::WhileBotDown
        } else if across(bot) {
            Group::AcrossBotKill
        } else if after(homeserver) {
            Group::AfterHomeserverReturn
        } else if after(bot) {
            Group::AfterBotRestart
        } else {
            Group::Otherwise
        }
    }

    fn name(self) -> &'static str {
        match self {
            Group::AfterHomeserverReturn => "sent ≤10 s after the homeserver returned",
            Group::AcrossHomeserverKill => "sent before a homeserver kill, answered after",
            Group::AfterBotRestart => "sent ≤10 s after a bot restart",
            Group::WhileBotDown => "sent while the bot was down",
            Group::AcrossBotKill => "sent before a bot kill, answered after",
            Group::Otherwise => "sent at other times",
        }
    }
}

/// Prints the report; returns whether every target was met.
fn report(seen: &Seen, timeline: &Timeline, log: &str) -> bool {
    let commands = seen.commands.lock().expect("commands lock");
    let answers = seen.answers.lock().expect("answers lock");
    let (mut once, mut missing, mut doubled) = (0, 0, 0);
    let log = LogSummary::read(log);
    let mut latency: BTreeMap<Group, Vec<Duration>> = BTreeMap::new();
    let mut in_bot: BTreeMap<Group, Vec<Duration>> = BTreeMap::new();
    for command in commands.iter() {
        match answers.get(&command.event).map(Vec::as_slice) {
            None | Some([]) => missing += 1,
            Some([first, rest @ ..]) => {
                if rest.is_empty() {
                    once += 1;
                } else {
                    doubled += 1;
                }
                let group = Group::of(command.sent, *first, timeline);
                latency
                    .entry(group)
                    .or_default()
                    .push(first.saturating_duration_since(command.sent));
                if let Some(&share) = log.in_bot.get(command.event.as_str()) {
                    in_bot.entry(group).or_default().push(share);
                }
            }
        }
    }
    let known: std::collections::HashSet<&OwnedEventId> =
        commands.iter().map(|c| &c.event).collect();
    let unasked = answers.keys().filter(|e| !known.contains(e)).count();

    println!();
    let mut outages: Vec<Duration> = timeline
        .homeserver_down
        .iter()
        .map(|&(killed, back)| back - killed)
        .collect();
    outages.sort();
    println!(
        "homeserver down (kill → answering again): p50 {:.1} s, max {:.1} s; the bot said \
         it was back after p50 {:.1} s",
        percentile(&outages, 0.5).as_secs_f64(),
        outages.last().copied().unwrap_or_default().as_secs_f64(),
        percentile(&log.away, 0.5).as_secs_f64(),
    );
    println!(
        "commands: {} accepted by the homeserver, {} refused while it was down",
        commands.len(),
        seen.refused.load(Ordering::Relaxed)
    );
    println!(
        "answers:  {once} exactly once, {missing} missing, {doubled} more than once; \
         {unasked} to sends that had failed (the homeserver kept the command, its answer \
         to the journalist was lost)"
    );
    println!("command sent → answer seen by the journalist:");
    for (group, samples) in &mut latency {
        summary(group.name(), samples);
    }
    println!("of which the bot's share (its log: command received → answer accepted):");
    for (group, samples) in &mut in_bot {
        summary(group.name(), samples);
    }
    let recovered_p99 = latency
        .get(&Group::AfterHomeserverReturn)
        .map_or(Duration::ZERO, |s| percentile(s, 0.99));
    println!(
        "bot log: {} lines, {} panics, {} ERROR, {} WARN{}",
        log.lines,
        log.panics,
        log.errors.values().sum::<usize>(),
        log.warnings.values().sum::<usize>(),
        match log.unreadable {
            0 => String::new(),
            n => format!(" ({n} lines not JSON, e.g. cut short by a kill)"),
        }
    );
    for (title, lines) in [("ERROR", &log.errors), ("WARN", &log.warnings)] {
        for ((target, message), n) in lines {
            println!("  {title} {n:>4}  {target}: {message}");
        }
    }
    let checks = [
        (missing == 0, "nothing missing".to_owned()),
        (doubled == 0, "nothing answered twice".to_owned()),
        (log.panics == 0, "no panic".to_owned()),
        (log.errors.is_empty(), "no ERROR line".to_owned()),
        (
            recovered_p99 <= RECOVERED_P99,
            format!(
                "p99 after the homeserver returned {:.0} ms ≤ {:.0} ms",
                ms(recovered_p99),
                ms(RECOVERED_P99)
            ),
        ),
    ];
    let met = checks.iter().all(|(ok, _)| *ok);
    println!();
    for (ok, what) in &checks {
        println!("  [{}] {what}", if *ok { "met" } else { "MISSED" });
    }
    met
}

/// What the bot's JSON log says.
#[derive(Default)]
struct LogSummary {
    lines: usize,
    unreadable: usize,
    panics: usize,
    /// ERROR and WARN lines by (target, message cut to 100 characters).
    errors: BTreeMap<(String, String), usize>,
    warnings: BTreeMap<(String, String), usize>,
    /// How long the bot said the homeserver was away, each time.
    away: Vec<Duration>,
    /// The bot's share of each answer, by the command's event id: from the homeserver
    /// receiving the command to it accepting the answer (`since_sent_ms`).
    in_bot: HashMap<String, Duration>,
}

impl LogSummary {
    fn read(log: &str) -> LogSummary {
        let mut summary = LogSummary::default();
        for line in log.lines().filter(|l| !l.trim().is_empty()) {
            summary.lines += 1;
            // A panic's message goes to stderr as plain text, not through the log.
            if line.contains("panicked at") {
                summary.panics += 1;
            }
            let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
                summary.unreadable += 1;
                continue;
            };
            let field = |name: &str| entry["fields"][name].as_str().unwrap_or("").to_owned();
            let message: String = field("message").chars().take(100).collect();
            let target = entry["target"].as_str().unwrap_or("?").to_owned();
            if message.contains("the homeserver is reachable again")
                && let Some(ms) = entry["fields"]["away_ms"].as_u64()
            {
                summary.away.push(Duration::from_millis(ms));
            }
            if message == "answered"
                && let (Some(event), Some(ms)) = (
                    entry["span"]["event"].as_str(),
                    entry["fields"]["since_sent_ms"].as_u64(),
                )
            {
                summary
                    .in_bot
                    .insert(event.to_owned(), Duration::from_millis(ms));
            }
            let bucket = match entry["level"].as_str() {
                Some("ERROR") => &mut summary.errors,
                Some("WARN") => &mut summary.warnings,
                _ => continue,
            };
            *bucket.entry((target, message)).or_default() += 1;
        }
        summary.away.sort();
        summary
    }
}

fn summary(name: &str, samples: &mut [Duration]) {
    samples.sort();
    println!(
        "  {name:<47} n={:<4} p50 {:>6.0} ms   p99 {:>6.0} ms   max {:>6.0} ms",
        samples.len(),
        ms(percentile(samples, 0.5)),
        ms(percentile(samples, 0.99)),
        ms(samples.last().copied().unwrap_or_default()),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// xorshift64: down times that differ from kill to kill but repeat from run to run.
struct Random(u64);

impl Random {
    fn between(&mut self, low: f64, high: f64) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let unit = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
        Duration::from_secs_f64(low + (high - low) * unit)
    }
}
