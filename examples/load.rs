//! The bot under load: a steady stream of chat across many rooms, a third
//! of it needing a warning, and how long each warning takes next to the homeserver's own
//! round trip.
//!
//! ```text
//! cargo build --release
//! cargo run --release --example load -- [--rate 50] [--seconds 60] [--rooms 20] [--senders 4]
//!     [--quiet-senders] [--all-warned] [--synapse-on-disk]
//! ```
//!
//! Starts a throwaway Synapse (scripts/synapse, as the tests do; its database in /dev/shm
//! unless `--synapse-on-disk`, see `measure::SynapseStorage`) unless
//! `COPYDESK_TEST_HOMESERVER` points at one. Registers the bot, a watcher and the senders,
//! puts them all in the rooms, starts the release build of the bot in `warn` mode with the
//! embedded knowledge file and model, and then sends `rate` messages a second for
//! `seconds`, round-robin over senders and rooms, without waiting for one send before the
//! next. Messages are generated chat (`copydesk_core::synthetic`); which of them need a
//! warning is decided by the same desk the bot builds, and a third are picked from those
//! (all with `--all-warned`: `--rooms 1 --rate 200 --seconds 1 --all-warned` is a burst
//! of 200 allegations in one room).
//!
//! The watcher, a separate client in every room, timestamps every message it receives.
//! Reported: send→seen-by-watcher (the homeserver's round trip) and send→warning-seen
//! latencies, whether each expected warning came exactly once (and no other), whether
//! latency grew over the run or warnings trailed after it (backlog), and the bot's RSS
//! after joining and at the end. From the bot's log: message→warning accepted by the
//! homeserver (`since_sent_ms`, the bot's share: its sync, its work, its send), and its
//! WARN and ERROR lines by message.
//!
//! Every user syncs, as people's clients would, so the homeserver does the work of six
//! clients in each room. `--quiet-senders` stops the senders' syncs once they have joined
//! (they only send), which leaves the homeserver the watcher's and the bot's syncs: on a
//! small machine, where the homeserver saturates first, it shows how far the bot itself
//! keeps up.

#[path = "../tests/support/bot.rs"]
mod bot;
#[path = "measure/mod.rs"]
mod measure;
#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bot::{BotAccount, BotSettings, wait_for_join};
use clap::Parser;
use copydesk::cli::DataArgs;
use copydesk_core::commands::warning_reply;
use copydesk_core::{Outcome, synthetic};
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::room::Room;
use matrix_sdk::ruma::events::room::message::{OriginalSyncRoomMessageEvent, Relation};
use matrix_sdk::ruma::events::{
    AnySyncMessageLikeEvent, AnySyncTimelineEvent, SyncMessageLikeEvent,
};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId};
use measure::{
    OwnSynapse, SynapseArgs, at_least_one, cpu_time, logged_ms, percentile, proc_status,
    release_binary, warnings_by_message,
};
use support::{Homeserver, TestClient};

/// How long after the last send to wait for trailing warnings.
const DRAIN: Duration = Duration::from_secs(60);

/// The bot under a steady stream of chat: warning latency next to the homeserver's.
#[derive(Parser, Debug)]
struct Args {
    /// Messages sent per second
    #[arg(long, default_value_t = 50, value_parser = at_least_one::<u32>())]
    rate: u32,
    /// How long to send for
    #[arg(long, default_value_t = 60, value_parser = at_least_one::<u32>())]
    seconds: u32,
    /// Rooms the messages are spread over
    #[arg(long, default_value_t = 20, value_parser = at_least_one::<usize>())]
    rooms: usize,
    /// Users sending them
    #[arg(long, default_value_t = 4, value_parser = at_least_one::<usize>())]
    senders: usize,
    /// Senders stop syncing once they have joined (they only send)
    #[arg(long)]
    quiet_senders: bool,
    /// Every message needs a warning (a burst of allegations), not a third of them
    #[arg(long)]
    all_warned: bool,
    #[command(flatten)]
    synapse: SynapseArgs,
}

fn main() {
    let args = Args::parse();
    let binary = release_binary();
    let _synapse = OwnSynapse::unless_given("copydesk-load.", args.synapse.storage());
    measure::runtime().block_on(run(args, &binary));
}

/// One planned message: its text and whether the bot should warn about it.
struct Planned {
    text: String,
    warn: bool,
}

/// `count` generated messages, a third of them (or all) ones the bot's desk warns about.
fn plan(count: usize, all_warned: bool) -> Vec<Planned> {
    let desk = copydesk::loading::desk(&DataArgs::default(), "!").expect("the bot's desk");
    let today = jiff::Zoned::now().date();
    let (mut warned, mut quiet) = (Vec::new(), Vec::new());
    // One line each: a Matrix reply fallback would be sent as a plain multi-line body.
    // Generated chat is mostly ordinary talk: to find `count` messages that all need a
    // warning takes many more candidates than to find a third as many.
    let generated = if all_warned { count * 12 } else { count * 3 };
    for (_, text) in synthetic::chat_messages(generated, 0, 4)
        .into_iter()
        .filter(|(_, t)| !t.contains('\n'))
    {
        match desk.handle(&text, today) {
            Outcome::Checked { report } if warning_reply(&report, &text).is_some() => {
                warned.push(text)
            }
            Outcome::Checked { .. } => quiet.push(text),
            _ => {}
        }
    }
    let (mut warned, mut quiet) = (warned.into_iter(), quiet.into_iter());
    (0..count)
        .map(|i| {
            let warn = all_warned || i % 3 == 0;
            let text = if warn { warned.next() } else { quiet.next() };
            Planned {
                text: text.expect("enough generated messages of each kind"),
                warn,
            }
        })
        .collect()
}

/// What the watcher saw: when each message arrived, and the bot's messages by the event
/// they answer (the thread root or replied-to event).
#[derive(Default)]
struct Seen {
    arrived: HashMap<OwnedEventId, Instant>,
    answers: HashMap<OwnedEventId, Vec<Instant>>,
}

fn record(seen: &Arc<Mutex<Seen>>, bot: &OwnedUserId, ev: &OriginalSyncRoomMessageEvent) {
    let now = Instant::now();
    let mut seen = seen.lock().expect("seen lock");
    seen.arrived.entry(ev.event_id.clone()).or_insert(now);
    if &ev.sender == bot {
        let answered = match &ev.content.relates_to {
            Some(Relation::Thread(thread)) => Some(thread.event_id.clone()),
            Some(Relation::Reply(reply)) => Some(reply.in_reply_to.event_id.clone()),
            _ => None,
        };
        if let Some(answered) = answered {
            seen.answers.entry(answered).or_default().push(now);
        }
    }
}

/// A message as sent: which plan entry, when the send started, its event id.
struct Sent {
    index: usize,
    started: Instant,
    /// How long the homeserver took to accept the send (request to response).
    took: Duration,
    event_id: OwnedEventId,
}

async fn run(args: Args, binary: &Path) {
    let hs = Homeserver::from_env().expect("a homeserver");
    let watcher = hs.new_client("watcher").await;
    let mut senders = Vec::new();
    for _ in 0..args.senders {
        senders.push(Arc::new(hs.new_client("sender").await));
    }
    let account = BotAccount::register(&hs).await;
    account.configure(&BotSettings {
        default_mode: "warn",
        autojoin_users: vec![watcher.user_id.clone()],
        ..Default::default()
    });
    let mut invite = vec![account.user_id.clone()];
    invite.extend(senders.iter().map(|s| s.user_id.clone()));
    let mut rooms: Vec<OwnedRoomId> = Vec::new();
    for i in 0..args.rooms {
        let room = watcher
            .create_room(&format!("load {i}"), false, &invite)
            .await;
        for sender in &senders {
            sender.join(&room).await;
        }
        rooms.push(room);
    }
    if args.quiet_senders {
        for sender in &senders {
            sender.stop_syncing();
        }
    }

    let seen = Arc::new(Mutex::new(Seen::default()));
    {
        let (seen, bot) = (seen.clone(), account.user_id.clone());
        watcher
            .client
            .add_event_handler(move |ev: OriginalSyncRoomMessageEvent, _room: Room| {
                let (seen, bot) = (seen.clone(), bot.clone());
                async move { record(&seen, &bot, &ev) }
            });
    }

    let total = (args.rate * args.seconds) as usize;
    let planned = Arc::new(plan(total + 30, args.all_warned));
    let started = Instant::now();
    let process = account.start_binary(binary);
    for room in &rooms {
        wait_for_join(&watcher, room, &account.user_id).await;
    }
    let pid = process.pid();
    println!(
        "bot joined {} rooms in {:.1} s (pid {pid}); RSS now {}",
        rooms.len(),
        started.elapsed().as_secs_f64(),
        proc_status(pid, "VmRSS:")
    );

    // Warm up connections and the bot's first sync with a few messages, not measured.
    let warm: Vec<Sent> = send_all(&senders, &rooms, &planned, total..total + 30, 10.0).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss_start = proc_status(pid, "VmRSS:");
    println!(
        "warm-up: {} messages; RSS at start of the run {rss_start}",
        warm.len()
    );

    println!(
        "sending {total} messages: {} a second for {} s, {} senders{}, {} rooms, {} needing a warning",
        args.rate,
        args.seconds,
        senders.len(),
        if args.quiet_senders {
            " (not syncing)"
        } else {
            ""
        },
        rooms.len(),
        if args.all_warned { "all" } else { "a third" }
    );
    let log_at_start = account.log().len();
    let synapse_pid = std::env::var_os("COPYDESK_TEST_SYNAPSE_DIR").and_then(|dir| {
        std::fs::read_to_string(Path::new(&dir).join("homeserver.pid"))
            .ok()?
            .trim()
            .parse::<u32>()
            .ok()
    });
    let cpu_seconds = |pid: Option<u32>| pid.map(|pid| cpu_time(pid).as_secs_f64());
    let cpu_before = (cpu_seconds(Some(pid)), cpu_seconds(synapse_pid));
    let load_start = Instant::now();
    let sent = send_all(&senders, &rooms, &planned, 0..total, f64::from(args.rate)).await;
    let load_end = Instant::now();
    println!(
        "sent in {:.1} s; waiting up to {} s for trailing warnings",
        (load_end - load_start).as_secs_f64(),
        DRAIN.as_secs()
    );
    let expected = sent.iter().filter(|s| planned[s.index].warn).count();
    let deadline = Instant::now() + DRAIN;
    loop {
        let (delivered, everything_arrived) = {
            let seen = seen.lock().expect("seen lock");
            let delivered = sent
                .iter()
                .filter(|s| planned[s.index].warn && seen.answers.contains_key(&s.event_id))
                .count();
            let arrived = sent.iter().all(|s| seen.arrived.contains_key(&s.event_id));
            (delivered, arrived)
        };
        if (delivered == expected && everything_arrived) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Late duplicates would come within a few seconds; give them the chance.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let cpu_after = (cpu_seconds(Some(pid)), cpu_seconds(synapse_pid));
    let rss_end = proc_status(pid, "VmRSS:");
    let hwm = proc_status(pid, "VmHWM:");
    report(&sent, &planned, &seen, load_start, load_end, &args);
    let history = History::read(&watcher, &rooms, &account.user_id).await;
    history.report(&sent, &planned);
    println!("bot RSS: {rss_start} at the start of the run, {rss_end} at the end (peak {hwm})");
    let wall = load_start.elapsed().as_secs_f64();
    if let ((Some(b0), s0), (Some(b1), s1)) = (cpu_before, cpu_after) {
        println!(
            "CPU from the first send to the end ({wall:.0} s): bot {:.1} s, Synapse {}",
            b1 - b0,
            match (s0, s1) {
                (Some(s0), Some(s1)) => format!("{:.1} s", s1 - s0),
                _ => "?".to_owned(),
            }
        );
    }
    let log = account.log();
    let mut in_bot = logged_ms(&log[log_at_start..], " warned ", "since_sent_ms");
    summary("  of which sent→warning accepted", &mut in_bot);
    println!(
        "  (from the bot's log: the homeserver receiving the message to it accepting the warning)"
    );
    let noise = warnings_by_message(&log);
    println!(
        "bot log: {} WARN/ERROR lines{}",
        noise.iter().map(|(n, _)| n).sum::<usize>(),
        if noise.is_empty() { "" } else { ":" }
    );
    for (n, message) in noise.iter().take(8) {
        println!("  {n:>5}  {message}");
    }
    let kept = std::env::temp_dir().join("copydesk-load-bot.log");
    if std::fs::write(&kept, &log).is_ok() {
        println!("bot log: {}", kept.display());
    }
}

/// Sends `planned[range]` at `rate` a second, round-robin over senders and rooms; each send
/// runs in its own task so a slow one does not hold up the schedule.
async fn send_all(
    senders: &[Arc<TestClient>],
    rooms: &[OwnedRoomId],
    planned: &Arc<Vec<Planned>>,
    range: std::ops::Range<usize>,
    rate: f64,
) -> Vec<Sent> {
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for (n, index) in range.enumerate() {
        tokio::time::sleep_until(start + Duration::from_secs_f64(n as f64 / rate)).await;
        let sender = senders[n % senders.len()].clone();
        let room = rooms[n % rooms.len()].clone();
        let planned = planned.clone();
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let event_id = sender.send_text(&room, &planned[index].text).await;
            Sent {
                index,
                started,
                took: started.elapsed(),
                event_id,
            }
        }));
    }
    let mut sent = Vec::with_capacity(tasks.len());
    for task in tasks {
        sent.push(task.await.expect("send task"));
    }
    sent
}

fn report(
    sent: &[Sent],
    planned: &[Planned],
    seen: &Arc<Mutex<Seen>>,
    load_start: Instant,
    load_end: Instant,
    args: &Args,
) {
    let seen = seen.lock().expect("seen lock");
    let mut round_trips = Vec::new();
    let mut warnings = Vec::new();
    // Warning latency and round trip by when the message was sent, for the backlog check.
    let mut by_time: Vec<(Duration, Duration)> = Vec::new();
    let mut round_trips_by_time: Vec<(Duration, Duration)> = Vec::new();
    let (mut missing, mut duplicated, mut unexpected, mut unseen) = (0, 0, 0, 0);
    let mut last_warning: Option<Instant> = None;
    for s in sent {
        match seen.arrived.get(&s.event_id) {
            Some(&at) => {
                round_trips.push(at - s.started);
                round_trips_by_time.push((s.started - load_start, at - s.started));
            }
            None => unseen += 1,
        }
        let answers = seen.answers.get(&s.event_id);
        match (planned[s.index].warn, answers) {
            (true, None) => missing += 1,
            (true, Some(times)) => {
                if times.len() > 1 {
                    duplicated += 1;
                }
                let latency = times[0] - s.started;
                warnings.push(latency);
                by_time.push((s.started - load_start, latency));
                last_warning = Some(last_warning.map_or(times[0], |l: Instant| l.max(times[0])));
            }
            (false, Some(_)) => unexpected += 1,
            (false, None) => {}
        }
    }
    let expected = sent.iter().filter(|s| planned[s.index].warn).count();
    println!();
    let mut sends: Vec<Duration> = sent.iter().map(|s| s.took).collect();
    summary("synapse send (accepted)", &mut sends);
    let rt = summary("synapse send→seen (round trip)", &mut round_trips);
    let warn = summary("message sent→warning seen", &mut warnings);
    println!(
        "warning p99 / round-trip p99   {:.2}×   (target ≤ 3×); p50 ratio {:.2}×",
        warn.2.as_secs_f64() / rt.2.as_secs_f64(),
        warn.0.as_secs_f64() / rt.0.as_secs_f64()
    );
    println!(
        "warnings: {} expected, {} delivered, {missing} missing, {duplicated} more than once, \
         {unexpected} for messages that needed none; {unseen} messages never seen by the watcher",
        expected,
        warnings.len()
    );
    // Backlog: does latency grow across the run, and do warnings trail after it? The
    // round trip beside it tells whose queue grows: the homeserver's, or the bot's.
    let window = Duration::from_secs(u64::from(args.seconds.min(10)));
    let run = load_end - load_start;
    let (warn_first, warn_last) = first_and_last(&by_time, window, run);
    let (rt_first, rt_last) = first_and_last(&round_trips_by_time, window, run);
    println!(
        "backlog: p50 in the first {w} s → the last {w} s: warning {:.0} → {:.0} ms, \
         round trip {:.0} → {:.0} ms; last warning {:.1} s after the last send",
        ms(warn_first),
        ms(warn_last),
        ms(rt_first),
        ms(rt_last),
        last_warning.map_or(f64::NAN, |l| l
            .saturating_duration_since(load_end)
            .as_secs_f64()),
        w = window.as_secs(),
    );
}

/// The p50 latency of the messages sent in the first `window` of a `run`, and of those
/// sent in its last `window`.
fn first_and_last(
    by_time: &[(Duration, Duration)],
    window: Duration,
    run: Duration,
) -> (Duration, Duration) {
    let mut first: Vec<Duration> = by_time
        .iter()
        .filter(|(at, _)| *at < window)
        .map(|(_, l)| *l)
        .collect();
    let mut last: Vec<Duration> = by_time
        .iter()
        .filter(|(at, _)| *at + window >= run)
        .map(|(_, l)| *l)
        .collect();
    (summary_quiet(&mut first), summary_quiet(&mut last))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Prints p50/p90/p99 of `samples` and returns them.
fn summary(name: &str, samples: &mut [Duration]) -> (Duration, Duration, Duration) {
    samples.sort();
    let (p50, p90, p99) = (
        percentile(samples, 0.50),
        percentile(samples, 0.90),
        percentile(samples, 0.99),
    );
    println!(
        "{name:<31} n={:<5} p50 {:>7.1} ms   p90 {:>7.1} ms   p99 {:>7.1} ms   max {:>7.1} ms",
        samples.len(),
        ms(p50),
        ms(p90),
        ms(p99),
        ms(samples.last().copied().unwrap_or_default())
    );
    (p50, p90, p99)
}

fn summary_quiet(samples: &mut [Duration]) -> Duration {
    samples.sort();
    percentile(samples, 0.50)
}

/// What the rooms' history holds once the run is over, read with `/messages`: a sync
/// that brings more than its timeline limit skips events, the history does not.
struct History {
    /// When each message reached the homeserver (ms since the epoch).
    at: HashMap<OwnedEventId, u64>,
    /// The bot's warnings by the message they are about, with when each was posted.
    warnings: HashMap<OwnedEventId, Vec<u64>>,
}

impl History {
    async fn read(watcher: &TestClient, rooms: &[OwnedRoomId], bot: &OwnedUserId) -> History {
        let mut history = History {
            at: HashMap::new(),
            warnings: HashMap::new(),
        };
        for room_id in rooms {
            let room = watcher
                .client
                .get_room(room_id)
                .expect("the watcher's room");
            let mut from: Option<String> = None;
            loop {
                let mut options = MessagesOptions::backward().from(from.as_deref());
                options.limit = 500u32.into();
                let page = room.messages(options).await.expect("/messages");
                for event in &page.chunk {
                    let Ok(AnySyncTimelineEvent::MessageLike(
                        AnySyncMessageLikeEvent::RoomMessage(SyncMessageLikeEvent::Original(
                            message,
                        )),
                    )) = event.raw().deserialize()
                    else {
                        continue;
                    };
                    let at = u64::from(message.origin_server_ts.0);
                    history.at.insert(message.event_id.clone(), at);
                    let about = match &message.content.relates_to {
                        Some(Relation::Thread(thread)) => Some(thread.event_id.clone()),
                        Some(Relation::Reply(reply)) => Some(reply.in_reply_to.event_id.clone()),
                        _ => None,
                    };
                    if let Some(about) = about.filter(|_| &message.sender == bot) {
                        history.warnings.entry(about).or_default().push(at);
                    }
                }
                match page.end {
                    Some(end) if !page.chunk.is_empty() => from = Some(end),
                    _ => break,
                }
            }
        }
        history
    }

    fn report(&self, sent: &[Sent], planned: &[Planned]) {
        let (mut once, mut missing, mut more, mut unexpected) = (0, 0, 0, 0);
        let first = sent.iter().filter_map(|s| self.at.get(&s.event_id)).min();
        let mut last_warning = None;
        for s in sent {
            let warnings = self
                .warnings
                .get(&s.event_id)
                .map_or(&[][..], Vec::as_slice);
            match (planned[s.index].warn, warnings.len()) {
                (true, 0) => missing += 1,
                (true, 1) => once += 1,
                (true, _) => more += 1,
                (false, 0) => {}
                (false, _) => unexpected += 1,
            }
            last_warning = last_warning.max(warnings.iter().max().copied());
        }
        let span = match (first, last_warning) {
            (Some(first), Some(last)) => {
                format!("{:.1} s", last.saturating_sub(*first) as f64 / 1000.0)
            }
            _ => "?".to_owned(),
        };
        println!(
            "from the rooms' history: {once} warned exactly once, {missing} missing, {more} more than once, \
             {unexpected} for messages that needed none; first message → last warning {span} \
             (homeserver timestamps)"
        );
    }
}
