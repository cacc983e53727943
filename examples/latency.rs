//! How fast does copydesk answer, compared with the homeserver's own round trip?
//!
//! ```text
//! cargo build --release
//! cargo run --release --example latency -- [--commands N] [--rooms R]
//! ```
//!
//! Starts a throwaway Synapse (scripts/synapse, as the tests do) unless
//! `COPYDESK_TEST_HOMESERVER` points at one, registers a bot and two users, puts all three
//! in R rooms (default 20) and starts the release build of the bot (`target/release/
//! copydesk`). Then, N times (default 100), alternating between the rooms:
//!
//! * **round trip**: alice sends a message; time until bob's sync delivers it;
//! * **bot**: alice sends `!context bulgaria`; time until alice's sync delivers the bot's
//!   answer. That path has two hops through the homeserver plus the bot's own work.
//!
//! Prints p50/p90/p99 for both, the ratio of the medians, and the bot's peak RSS
//! (`VmHWM` from /proc) while it is joined to the R rooms.

#[path = "../tests/support/bot.rs"]
mod bot;
#[path = "measure/mod.rs"]
mod measure;
#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use bot::{BotAccount, BotSettings, wait_for_join};
use measure::{OwnSynapse, percentile, release_binary};
use support::{Homeserver, TestClient};

const TIMEOUT: Duration = Duration::from_secs(30);

struct Args {
    commands: usize,
    rooms: usize,
}

fn args() -> Args {
    let mut args = Args {
        commands: 100,
        rooms: 20,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let value = it.next().and_then(|v| v.parse().ok());
        match (arg.as_str(), value) {
            ("--commands", Some(n)) => args.commands = n,
            ("--rooms", Some(n)) if n > 0 => args.rooms = n,
            _ => {
                eprintln!("usage: latency [--commands N] [--rooms R]");
                std::process::exit(2);
            }
        }
    }
    args
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

/// A log line without its terminal colour codes.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ … final byte (a letter)
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn proc_status(pid: u32, key: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .map(|l| l[key.len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "?".to_owned())
}

fn main() {
    let args = args();
    let binary = release_binary();
    let _synapse = std::env::var_os("COPYDESK_TEST_HOMESERVER")
        .is_none()
        .then(|| OwnSynapse::start("copydesk-latency."));
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(measure(args, &binary));
}

async fn measure(args: Args, binary: &Path) {
    let hs = Homeserver::from_env().expect("a homeserver");
    let alice = hs.new_client("alice").await;
    let bob = hs.new_client("bob").await;
    let account = BotAccount::register(&hs).await;
    account.configure(&BotSettings {
        default_mode: "warn",
        autojoin_users: vec![alice.user_id.clone()],
        ..Default::default()
    });
    let mut rooms = Vec::new();
    for i in 0..args.rooms {
        let invite = [account.user_id.clone(), bob.user_id.clone()];
        let room = alice
            .create_room(&format!("room {i}"), false, &invite)
            .await;
        bob.join(&room).await;
        rooms.push(room);
    }
    let started = Instant::now();
    let process = account.start_binary(binary);
    for room in &rooms {
        wait_for_join(&alice, room, &account.user_id).await;
    }
    println!(
        "bot joined {} rooms in {:.1} s (pid {})",
        rooms.len(),
        started.elapsed().as_secs_f64(),
        process.pid()
    );

    let bot = account.user_id.clone();
    // Warm up both paths (connections, caches) before measuring.
    for room in rooms.iter().take(3) {
        round_trip(&alice, &bob, room).await;
        bot_answer(&alice, &bot, room).await;
    }
    let (mut plain, mut answers) = (Vec::new(), Vec::new());
    for i in 0..args.commands {
        let room = &rooms[i % rooms.len()];
        plain.push(round_trip(&alice, &bob, room).await);
        answers.push(bot_answer(&alice, &bot, room).await);
    }
    println!();
    let rt = summary("synapse send→sync (2 users)", &mut plain);
    let answer = summary("bot !context → answer seen", &mut answers);
    println!(
        "bot p50 / round-trip p50     {:.2}× (target ≤ 2.2×)",
        answer.as_secs_f64() / rt.as_secs_f64()
    );
    let mut in_bot: Vec<Duration> = process
        .log()
        .lines()
        .map(strip_ansi)
        .filter(|line| line.contains(" answered "))
        .filter_map(|line| {
            let value = line.split("since_sent_ms=").nth(1)?;
            let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok().map(Duration::from_millis)
        })
        .collect();
    if !in_bot.is_empty() {
        summary("  of which command→answer", &mut in_bot);
        println!("  (at the homeserver: the bot's sync, its work and its send)");
    }
    let pid = process.pid();
    println!(
        "bot memory in {} rooms        VmHWM {} (peak RSS); now VmRSS {} = anon {} + file {}",
        rooms.len(),
        proc_status(pid, "VmHWM:"),
        proc_status(pid, "VmRSS:"),
        proc_status(pid, "RssAnon:"),
        proc_status(pid, "RssFile:"),
    );
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
) -> Duration {
    let start = Instant::now();
    let command = alice.send_text(room, "!context bulgaria").await;
    alice
        .wait_for(room, TIMEOUT, |m| {
            m.sender == bot && m.in_reply_to.as_ref() == Some(&command)
        })
        .await
        .expect("the bot answers");
    start.elapsed()
}
