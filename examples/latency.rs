//! How fast does copydesk answer, compared with the homeserver's own round trip?
//!
//! ```text
//! cargo build --release --examples
//! cargo run --release --example latency -- [--bot copydesk|bare|both] [--commands N] [--rooms R] [--synapse-on-disk] [--binary PATH]
//! ```
//!
//! Starts a throwaway Synapse (scripts/synapse, as the tests do; its database in
//! /dev/shm unless `--synapse-on-disk`, see `measure::SynapseStorage`) unless
//! `COPYDESK_TEST_HOMESERVER` points at one, registers a bot and two users, puts all three
//! in R rooms (default 20) and starts the release build of the bot (`target/release/
//! copydesk`). Then, N times (default 100), alternating between the rooms:
//!
//! * **round trip**: alice sends a message; time until bob's sync delivers it;
//! * **bot**: alice sends `!context bulgaria`; time until alice's sync delivers the bot's
//!   answer. That path has two hops through the homeserver plus the bot's own work.
//!
//! Prints p50/p90/p99 for both, the ratios of the medians and of the p99s, the bot's CPU
//! time per command (user + system from /proc over the timed loop, which also hands it
//! the round-trip messages) and its peak RSS (`VmHWM`) while it is joined to the R rooms.
//! The bot runs at its default log level. With `--bot both` (the default) the same is
//! then measured, in the same run and against the same homeserver, for the bare
//! matrix-sdk bot of `examples/bare_bot.rs` answering `!ping`: the floor for copydesk's
//! own cost (build it with `cargo build --release --examples`).
//!
//! ## Start-up
//!
//! ```text
//! cargo run --release --example latency -- --start-up [--topics 10000] [--starts 5] [--rooms R]
//! ```
//!
//! The bot gets a generated knowledge file of T topics (`copydesk_core::synthetic`,
//! default 10,000) and starts once (logging in, skipping the backlog, joining R rooms,
//! answering one command), then is stopped. Then, S times (default 5): alice sends
//! `!context <a topic of the file>` while the bot is down, the bot is started again on the
//! same `data_dir` (an existing store and session), and the time from spawning the process
//! to alice's sync delivering the answer is taken. The bot's log splits it (session
//! restored, running, answered). Next to it, measured each time with the bot stopped and
//! its access token: Synapse's own time for the bot account's initial sync (no `since`,
//! the bot's filter: 50 events per room, members lazy-loaded) and for an incremental
//! sync right after, and alice → bob round trips.

#[path = "../tests/support/bot.rs"]
mod bot;
#[path = "measure/mod.rs"]
mod measure;
#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bot::{BotAccount, BotLog, BotSettings, wait_for_join};
use clap::Parser;
use copydesk_core::synthetic;
use matrix_sdk::ruma::OwnedRoomId;
use measure::{
    OwnSynapse, SynapseArgs, at_least_one, cpu_time, logged_ms, percentile, proc_status,
    release_binary, strip_ansi,
};
use support::{Homeserver, TestClient};

const TIMEOUT: Duration = Duration::from_secs(30);

/// Times copydesk's answers, or its start-up, against the homeserver's own round trip.
#[derive(Parser, Debug)]
struct Args {
    /// Commands to time
    #[arg(long, default_value_t = 100)]
    commands: usize,
    /// Which bot to time: copydesk, the bare matrix-sdk bot (`examples/bare_bot.rs`,
    /// the floor), or both in one run against the same homeserver
    #[arg(long, value_enum, default_value_t = Which::Both)]
    bot: Which,
    /// Rooms the bot and the users share
    #[arg(long, default_value_t = 20, value_parser = at_least_one::<usize>())]
    rooms: usize,
    /// Measure start-up instead of answers
    #[arg(long)]
    start_up: bool,
    /// Topics in the generated knowledge file (with --start-up)
    #[arg(long, default_value_t = 10_000, value_parser = at_least_one::<usize>())]
    topics: usize,
    /// Restarts to time (with --start-up)
    #[arg(long, default_value_t = 5, value_parser = at_least_one::<usize>())]
    starts: usize,
    /// Options for the bare bot, e.g. "--lean-filter --state-in-memory"
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    bare_options: String,
    /// The copydesk binary to time, e.g. the shipped build (`target/dist/copydesk`) or an
    /// older one (default: the release build beside this example)
    #[arg(long)]
    binary: Option<PathBuf>,
    #[command(flatten)]
    synapse: SynapseArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Which {
    Copydesk,
    Bare,
    Both,
}

fn summary(name: &str, samples: &mut [Duration]) -> Duration {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (p50, p90, p99) = (
        percentile(samples, 0.50),
        percentile(samples, 0.90),
        percentile(samples, 0.99),
    );
    println!(
        "{name:<28} n={:<4} p50 {:>7.1} ms   p90 {:>7.1} ms   p99 {:>7.1} ms",
        samples.len(),
        ms(p50),
        ms(p90),
        ms(p99)
    );
    p50
}

fn main() {
    let args = Args::parse();
    let binary = args.binary.clone().unwrap_or_else(release_binary);
    let _synapse = OwnSynapse::unless_given("copydesk-latency.", args.synapse.storage());
    measure::runtime().block_on(async {
        match args.start_up {
            true => start_up(args, &binary).await,
            false => measure(args, &binary).await,
        }
    });
}

async fn measure(args: Args, binary: &Path) {
    let hs = Homeserver::from_env().expect("a homeserver");
    let alice = hs.new_client("alice").await;
    let bob = hs.new_client("bob").await;
    if args.bot != Which::Bare {
        let account = BotAccount::register(&hs).await;
        account.configure(&BotSettings {
            default_mode: "warn",
            autojoin_users: vec![alice.user_id.clone()],
            ..Default::default()
        });
        let invite = account.user_id.clone();
        let rooms = create_rooms(&alice, &bob, &invite, args.rooms).await;
        let started = Instant::now();
        // At the default log level, as the bot is deployed.
        let process = account.start_binary_logging(binary, BotLog::Default);
        println!("\n== copydesk (`!context bulgaria`)");
        let bot = BotUnderTest {
            user: &invite,
            pid: process.pid(),
            started,
            command: "!context bulgaria",
        };
        time_bot(&bot, &alice, &bob, &rooms, args.commands).await;
        let mut in_bot = logged_ms(&process.log(), " answered ", "since_sent_ms");
        if !in_bot.is_empty() {
            summary("  of which command→answer", &mut in_bot);
            println!("  (at the homeserver: the bot's sync, its work and its send)");
        }
    }
    if args.bot != Which::Copydesk {
        let (user, password) = hs.register_user("barebot").await;
        let rooms = create_rooms(&alice, &bob, &user, args.rooms).await;
        let started = Instant::now();
        let bare = BareBot::start(
            // Built beside this example, whichever copydesk binary is timed.
            &std::env::current_exe()
                .expect("current exe")
                .with_file_name("bare_bot"),
            &hs.url,
            &user,
            &password,
            &args.bare_options,
        );
        println!("\n== bare matrix-sdk bot (`!ping`, examples/bare_bot.rs)");
        let bot = BotUnderTest {
            user: &user,
            pid: bare.child.id(),
            started,
            command: "!ping",
        };
        time_bot(&bot, &alice, &bob, &rooms, args.commands).await;
    }
}

/// A bot process to time: its account, its pid, when it was started and the command
/// it answers.
struct BotUnderTest<'a> {
    user: &'a matrix_sdk::ruma::UserId,
    pid: u32,
    started: Instant,
    command: &'a str,
}

/// Times `commands` answers from `bot` in `rooms`, next to the homeserver's own round
/// trip, and prints them with the bot's CPU time and memory.
async fn time_bot(
    bot: &BotUnderTest<'_>,
    alice: &TestClient,
    bob: &TestClient,
    rooms: &[OwnedRoomId],
    commands: usize,
) {
    let BotUnderTest {
        user: bot,
        pid,
        started,
        command,
    } = *bot;
    for room in rooms {
        wait_for_join(alice, room, bot).await;
    }
    println!(
        "bot joined {} rooms in {:.1} s (pid {pid})",
        rooms.len(),
        started.elapsed().as_secs_f64(),
    );
    // Warm up both paths (connections, caches) before measuring.
    for room in rooms.iter().take(3) {
        round_trip(alice, bob, room).await;
        bot_answer(alice, bot, room, command).await;
    }
    let cpu_before = cpu_time(pid);
    let (mut plain, mut answers) = (Vec::new(), Vec::new());
    for i in 0..commands {
        let room = &rooms[i % rooms.len()];
        plain.push(round_trip(alice, bob, room).await);
        answers.push(bot_answer(alice, bot, room, command).await);
    }
    let cpu = cpu_time(pid).saturating_sub(cpu_before);
    let rt = summary("synapse send→sync (2 users)", &mut plain);
    let answer = summary("bot command → answer seen", &mut answers);
    println!(
        "bot p50 / round-trip p50     {:.2}×; p99 / round-trip p99 {:.2}×",
        answer.as_secs_f64() / rt.as_secs_f64(),
        percentile(&answers, 0.99).as_secs_f64() / percentile(&plain, 0.99).as_secs_f64(),
    );
    // Each round of the loop hands the bot two messages (the round trip and the command)
    // and the echo of its own answer.
    println!(
        "bot CPU per command           {:.2} ms ({:.2} s over {} commands, user + system)",
        ms(cpu) / commands as f64,
        cpu.as_secs_f64(),
        commands
    );
    println!(
        "bot memory in {} rooms        VmHWM {} (peak RSS); now VmRSS {} = anon {} + file {}",
        rooms.len(),
        proc_status(pid, "VmHWM:"),
        proc_status(pid, "VmRSS:"),
        proc_status(pid, "RssAnon:"),
        proc_status(pid, "RssFile:"),
    );
}

/// `examples/bare_bot.rs`, running until dropped.
struct BareBot {
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl BareBot {
    fn start(
        binary: &Path,
        homeserver: &str,
        user: &matrix_sdk::ruma::UserId,
        password: &str,
        options: &str,
    ) -> BareBot {
        if !binary.exists() {
            eprintln!(
                "{} is missing: run `cargo build --release --example bare_bot` first",
                binary.display()
            );
            std::process::exit(2);
        }
        let dir = tempfile::tempdir().expect("a data dir");
        let log = std::fs::File::create(dir.path().join("bare_bot.log")).expect("a log file");
        let child = std::process::Command::new(binary)
            .args([
                "--homeserver",
                homeserver,
                "--user",
                user.as_str(),
                "--data-dir",
            ])
            .arg(dir.path().join("data"))
            .args(options.split_whitespace())
            .env("BARE_BOT_PASSWORD", password)
            .env_remove("RUST_LOG")
            .stdout(log.try_clone().expect("the log"))
            .stderr(log)
            .spawn()
            .expect("starting the bare bot");
        BareBot { child, _dir: dir }
    }
}

impl Drop for BareBot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn round_trip(
    alice: &TestClient,
    bob: &TestClient,
    room: &matrix_sdk::ruma::RoomId,
) -> Duration {
    let start = Instant::now();
    let sent = alice.send_text(room, "round trip").await;
    bob.wait_for(room, TIMEOUT, |m| m.event_id == sent)
        .await
        .expect("bob sees alice's message");
    start.elapsed()
}

async fn bot_answer(
    alice: &TestClient,
    bot: &matrix_sdk::ruma::UserId,
    room: &matrix_sdk::ruma::RoomId,
    command: &str,
) -> Duration {
    let start = Instant::now();
    let command = alice.send_text(room, command).await;
    alice
        .wait_for(room, TIMEOUT, |m| {
            m.sender == bot && m.in_reply_to.as_ref() == Some(&command)
        })
        .await
        .expect("the bot answers");
    start.elapsed()
}

/// `count` rooms of alice's with bob in them and the bot invited.
async fn create_rooms(
    alice: &TestClient,
    bob: &TestClient,
    bot: &matrix_sdk::ruma::UserId,
    count: usize,
) -> Vec<OwnedRoomId> {
    let mut rooms = Vec::new();
    for i in 0..count {
        let invite = [bot.to_owned(), bob.user_id.clone()];
        let room = alice
            .create_room(&format!("room {i}"), false, &invite)
            .await;
        bob.join(&room).await;
        rooms.push(room);
    }
    rooms
}

/// Start-up with an existing store and a large knowledge file: process start to the
/// first answer seen by a client, next to Synapse's own sync times for the bot account.
async fn start_up(args: Args, binary: &Path) {
    let hs = Homeserver::from_env().expect("a homeserver");
    let alice = hs.new_client("alice").await;
    let bob = hs.new_client("bob").await;
    let account = BotAccount::register(&hs).await;
    // In a folder of its own: the bot watches the knowledge file's folder, and its log
    // is written beside config.toml.
    let knowledge = account.dir().join("knowledge").join("knowledge.toml");
    std::fs::create_dir_all(knowledge.parent().expect("a folder")).expect("knowledge folder");
    let text = synthetic::knowledge_text(args.topics);
    std::fs::write(&knowledge, &text).expect("writing the knowledge file");
    println!(
        "knowledge file: {} topics, {:.1} MB",
        args.topics,
        text.len() as f64 / 1e6
    );
    account.configure(&BotSettings {
        autojoin_users: vec![alice.user_id.clone()],
        knowledge: Some(knowledge),
        ..Default::default()
    });
    let rooms = create_rooms(&alice, &bob, &account.user_id, args.rooms).await;
    let bot = account.user_id.clone();
    let topic = |i: usize| synthetic::topic_slug(i * 7919 % args.topics);

    // The first start logs in, skips the backlog, joins every room and answers once;
    // after it the data_dir holds a session, a store and the sync position.
    let started = Instant::now();
    let mut process = account.start_binary(binary);
    for room in &rooms {
        wait_for_join(&alice, room, &bot).await;
    }
    let first = bot_answer(&alice, &bot, &rooms[0], &format!("!context {}", topic(0))).await;
    println!(
        "first start: joined {} rooms in {:.1} s, answered in {:.0} ms; peak RSS (VmHWM) {}",
        rooms.len(),
        started.elapsed().as_secs_f64(),
        ms(first),
        proc_status(process.pid(), "VmHWM:"),
    );
    assert!(process.stop().await.success(), "the bot stops cleanly");

    let (mut answers, mut initial_syncs, mut incremental_syncs, mut round_trips) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    println!();
    println!(
        "start  answer seen │ knowledge  session restored  running  answer sent (since spawn, from the bot's log)"
    );
    for n in 1..=args.starts {
        let room = &rooms[n % rooms.len()];
        // Sent while the bot is down: the restarted bot's first sync brings it.
        let command = alice
            .send_text(room, &format!("!context {}", topic(n)))
            .await;
        let log_before = account.log().len();
        let spawned = jiff::Timestamp::now();
        let start = Instant::now();
        let mut process = account.start_binary(binary);
        alice
            .wait_for(room, TIMEOUT, |m| {
                m.sender == bot && m.in_reply_to.as_ref() == Some(&command)
            })
            .await
            .expect("the restarted bot answers");
        let answer = start.elapsed();
        assert!(process.stop().await.success(), "the bot stops cleanly");
        let log = account.log();
        let log = &log[log_before..];
        let at = |needle: &str| {
            milestone(log, needle, spawned)
                .map_or_else(|| "?".to_owned(), |d| format!("{:.0} ms", ms(d)))
        };
        println!(
            "{n:>5}  {:>8.0} ms │ {:>9}  {:>16}  {:>7}  {:>11}",
            ms(answer),
            at("knowledge and lexicons loaded"),
            at("restored the saved session"),
            at("copydesk is running"),
            at(" answered"),
        );
        answers.push(answer);

        // Synapse's share, measured while the bot is stopped.
        let (initial, incremental) = synapse_sync(&hs, &account).await;
        initial_syncs.push(initial);
        incremental_syncs.push(incremental);
        for _ in 0..3 {
            round_trips.push(round_trip(&alice, &bob, room).await);
        }
    }
    println!();
    let answer = summary("start → answer seen", &mut answers);
    let initial = summary("synapse initial sync (bot)", &mut initial_syncs);
    summary("synapse incremental sync", &mut incremental_syncs);
    summary("synapse send→sync (2 users)", &mut round_trips);
    println!(
        "start → answer p50 minus Synapse's initial sync p50: {:.0} ms (target ≤ 1000 ms)",
        ms(answer.saturating_sub(initial))
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// When the first log line containing `needle` was written, counted from `since`. Log
/// lines start with an RFC 3339 timestamp (the default text format).
fn milestone(log: &str, needle: &str, since: jiff::Timestamp) -> Option<Duration> {
    let line = log.lines().map(strip_ansi).find(|l| l.contains(needle))?;
    let at: jiff::Timestamp = line.split_whitespace().next()?.parse().ok()?;
    Duration::try_from(at.duration_since(since)).ok()
}

/// How long Synapse takes to answer the bot account's initial sync (no `since`, the
/// bot's own filter) and then an incremental sync from it, using the bot's access token.
async fn synapse_sync(hs: &Homeserver, account: &BotAccount) -> (Duration, Duration) {
    let session: serde_json::Value = serde_json::from_slice(
        &std::fs::read(account.dir().join("data/session.json")).expect("the bot's session.json"),
    )
    .expect("session.json is JSON");
    let token = session["session"]["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned();
    let http = matrix_sdk::reqwest::Client::new();
    let url = format!("{}/_matrix/client/v3/sync", hs.url);
    let filter = r#"{"room":{"state":{"lazy_load_members":true},"timeline":{"limit":50,"lazy_load_members":true}}}"#;
    let sync = |since: Option<String>| {
        let mut query = vec![("filter", filter.to_owned()), ("timeout", "0".to_owned())];
        query.extend(since.map(|s| ("since", s)));
        let url = matrix_sdk::reqwest::Url::parse_with_params(&url, &query).expect("sync URL");
        let request = http.get(url).bearer_auth(&token);
        async move {
            let start = Instant::now();
            let response = request.send().await.expect("sync request");
            assert!(
                response.status().is_success(),
                "sync: {}",
                response.status()
            );
            let body: serde_json::Value =
                serde_json::from_slice(&response.bytes().await.expect("sync body"))
                    .expect("sync JSON");
            let next = body["next_batch"].as_str().map(str::to_owned);
            (start.elapsed(), next)
        }
    };
    let (initial, next) = sync(None).await;
    let (incremental, _) = sync(next).await;
    (initial, incremental)
}
