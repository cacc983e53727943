//! How fast does copydesk answer in Slack, compared with the fake Slack's own round trip?
//!
//! ```text
//! cargo build --release
//! cargo run --release --example slack_latency -- [--commands N] [--channels C] [--gap-ms G]
//! ```
//!
//! Starts the fake Slack of the tests (`tests/support/fake_slack`) in this process, with
//! C channels (default 20) that Ann and the bot are in. Then, N times (default 100),
//! going round the channels, Ann posts a message and the time until the fake has a reply
//! in its thread is taken, for two answerers:
//!
//! * **floor**: a bare Socket Mode client in this process that acknowledges each
//!   envelope and replies `pong` with `chat.postMessage` over a kept-alive HTTP
//!   connection: the fake's own round trip (envelope out, ack in, one Web API call), with
//!   no work between. Measured before and after the bot, to see drift.
//! * **bot**: the release build of copydesk (`target/release/copydesk`) on a `[slack]`
//!   config pointed at the fake, answering `!context bulgaria` in the thread.
//!
//! Commands are G ms apart (default 60), so that with C channels no channel gets more
//! than one a second: Slack allows about one message a second per channel, the bot keeps
//! to that and the fake enforces it, and this tool measures the answer, not the pacing.
//!
//! Prints p50/p90/p99 for each, the difference of the medians, the bot's CPU time per
//! command (utime + stime from /proc, 10 ms ticks, over the whole run) and its peak RSS.

#[path = "../tests/support/fake_slack/mod.rs"]
mod fake_slack;
#[path = "measure/mod.rs"]
mod measure;
#[path = "../tests/support/slack_bot.rs"]
mod slack_bot;

use std::time::{Duration, Instant};

use clap::Parser;
use fake_slack::client::SocketClient;
use fake_slack::{ANN, APP_TOKEN, BOT_TOKEN, BOT_USER, FakeSlack};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use measure::{at_least_one, percentile, proc_status, release_binary};
use serde_json::{Value, json};
use slack_bot::{SlackBotDir, SlackSettings};

const TIMEOUT: Duration = Duration::from_secs(30);
/// Round trips before measuring, per answerer (connections, caches).
const WARM_UP: usize = 5;

/// Times copydesk's answers in Slack against the fake Slack's own round trip.
#[derive(Parser, Debug)]
struct Args {
    /// Commands to time (and round trips of the floor, before and after)
    #[arg(long, default_value_t = 100, value_parser = at_least_one::<usize>())]
    commands: usize,
    /// Channels the bot and Ann share
    #[arg(long, default_value_t = 20, value_parser = at_least_one::<usize>())]
    channels: usize,
    /// Milliseconds between two commands
    #[arg(long, default_value_t = 60)]
    gap_ms: u64,
}

fn main() {
    let args = Args::parse();
    let binary = release_binary();
    let min_gap = 1000 / args.channels as u64 + 1;
    if args.gap_ms < min_gap {
        eprintln!(
            "--gap-ms {} with {} channels puts more than one message a second in a channel; \
             use at least {min_gap}",
            args.gap_ms, args.channels
        );
        std::process::exit(2);
    }
    measure::runtime().block_on(run(args, &binary));
}

async fn run(args: Args, binary: &std::path::Path) {
    let slack = FakeSlack::start().await;
    let channels: Vec<String> = (0..args.channels).map(|i| format!("CLAT{i:03}")).collect();
    for (i, channel) in channels.iter().enumerate() {
        slack.add_channel(channel, &format!("latency-{i}"), &[ANN, BOT_USER]);
    }
    let gap = Duration::from_millis(args.gap_ms);

    let floor_before = floor(&slack, &channels, args.commands, gap).await;

    let dir = SlackBotDir::new(&slack.api_url(), APP_TOKEN, BOT_TOKEN);
    dir.configure(&SlackSettings::default());
    let mut bot = dir.start_binary(binary);
    slack
        .wait_until(TIMEOUT, "the bot's Socket Mode connection", |s| {
            s.connections() >= 1
        })
        .await;
    for channel in channels.iter().take(WARM_UP) {
        answer_time(&slack, channel, "!context bulgaria").await;
        tokio::time::sleep(gap).await;
    }
    let cpu_before = cpu_ticks(bot.pid());
    let mut answers = Vec::new();
    for i in 0..args.commands {
        let channel = &channels[i % channels.len()];
        answers.push(answer_time(&slack, channel, "!context bulgaria").await);
        tokio::time::sleep(gap).await;
    }
    let cpu_ticks_used = cpu_ticks(bot.pid()) - cpu_before;
    let pid = bot.pid();
    let (peak, rss) = (proc_status(pid, "VmHWM:"), proc_status(pid, "VmRSS:"));
    assert!(bot.stop().await.success(), "the bot stops cleanly");

    let floor_after = floor(&slack, &channels, args.commands, gap).await;
    slack.assert_no_violations();

    println!();
    let before = summary("floor (bare client), before", floor_before);
    let answer = summary("bot !context → answer", answers);
    let after = summary("floor (bare client), after", floor_after);
    let floor_p50 = (before + after) / 2;
    println!(
        "bot p50 − floor p50          {:+.2} ms (target ≤ 2 ms; floor p50 = mean of before and after)",
        ms(answer) - ms(floor_p50)
    );
    println!(
        "bot CPU per command          {:.2} ms ({} ticks of 10 ms over {} commands)",
        cpu_ticks_used as f64 * 10.0 / args.commands as f64,
        cpu_ticks_used,
        args.commands
    );
    println!(
        "bot memory in {} channels    VmHWM {peak} (peak RSS); VmRSS {rss} at the end",
        channels.len()
    );
}

/// Times `count` round trips of a bare client (after a warm-up), going round `channels`.
async fn floor(
    slack: &FakeSlack,
    channels: &[String],
    count: usize,
    gap: Duration,
) -> Vec<Duration> {
    let socket = SocketClient::connect(slack).await;
    let answerer = tokio::spawn(bare_client(socket, slack.api_url()));
    let mut samples = Vec::new();
    for i in 0..WARM_UP + count {
        let channel = &channels[i % channels.len()];
        let took = answer_time(slack, channel, "ping").await;
        if i >= WARM_UP {
            samples.push(took);
        }
        tokio::time::sleep(gap).await;
    }
    answerer.abort();
    // The fake notices the closed socket and stops routing envelopes to it.
    let _ = answerer.await;
    slack
        .wait_until(TIMEOUT, "the bare client gone", |s| s.connections() == 0)
        .await;
    samples
}

/// Acks every envelope and answers each person's message with `pong` in its thread.
async fn bare_client(mut socket: SocketClient, api_url: String) {
    let http: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build({
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector
    });
    let _hello = socket.expect("hello").await;
    while let Some(frame) = socket.next(Duration::from_secs(3600)).await {
        if frame.get("envelope_id").is_none() {
            continue;
        }
        socket.ack(&frame, None).await;
        let event = &frame["payload"]["event"];
        let from_a_person = event["type"] == "message"
            && event.get("bot_id").is_none()
            && event.get("subtype").is_none();
        if !from_a_person {
            continue;
        }
        let body = json!({
            "channel": event["channel"],
            "thread_ts": event["ts"],
            "text": "pong",
        });
        let request = hyper::Request::post(format!("{api_url}/chat.postMessage"))
            .header("content-type", "application/json; charset=utf-8")
            .header("authorization", format!("Bearer {BOT_TOKEN}"))
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("a request");
        let response = http.request(request).await.expect("chat.postMessage");
        let answer: Value = serde_json::from_slice(
            &response
                .into_body()
                .collect()
                .await
                .expect("a body")
                .to_bytes(),
        )
        .expect("JSON");
        assert_eq!(answer["ok"], true, "chat.postMessage: {answer}");
    }
}

/// Ann posts `text` in `channel`; the time until the fake holds a reply in its thread.
async fn answer_time(slack: &FakeSlack, channel: &str, text: &str) -> Duration {
    let start = Instant::now();
    let ts = slack.post(ANN, channel, text, None).await;
    slack
        .wait_until(TIMEOUT, "a reply in the thread", |s| {
            s.bot_messages(channel)
                .iter()
                .any(|m| m.thread_ts.as_deref() == Some(ts.as_str()))
        })
        .await;
    start.elapsed()
}

fn summary(name: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let (p50, p90, p99) = (
        percentile(&samples, 0.50),
        percentile(&samples, 0.90),
        percentile(&samples, 0.99),
    );
    println!(
        "{name:<28} n={:<4} p50 {:>6.2} ms   p90 {:>6.2} ms   p99 {:>6.2} ms",
        samples.len(),
        ms(p50),
        ms(p90),
        ms(p99)
    );
    p50
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// utime + stime of `pid`, in clock ticks (10 ms on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |n: usize| {
        fields
            .get(n)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line: 11 and 12 counted from 0 after the name.
    field(11) + field(12)
}
