//! The floor for copydesk's own cost: a bare matrix-sdk bot that answers `!ping` with
//! `pong`, and nothing else.
//!
//! ```text
//! cargo build --release --example bare_bot
//! target/release/examples/bare_bot --homeserver URL --user @bot:server --data-dir DIR
//! ```
//!
//! The password comes from `BARE_BOT_PASSWORD`. Like copydesk it keeps one device for its
//! life: the first start logs in and writes `DIR/session.json`, later starts restore it
//! with the SQLite store in `DIR/store` (the SDK's defaults: no low-memory settings, no
//! sync filter). It joins every room it is invited to and replies to `!ping` in the
//! room, as an `m.in_reply_to` reply, so `examples/latency.rs --bot bare` can time it
//! exactly as it times copydesk.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Parser;
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::cross_process_lock::CrossProcessLockConfig;
use matrix_sdk::ruma::api::client::filter::FilterDefinition;
use matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter;
use matrix_sdk::ruma::events::relation::Reply;
use matrix_sdk::ruma::events::room::member::StrippedRoomMemberEvent;
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::store::RoomLoadSettings;
use matrix_sdk::store::StoreConfig;
use matrix_sdk::{Client, Room, RoomState, SqliteCryptoStore, SqliteStoreConfig};

#[derive(Parser, Debug)]
struct Args {
    #[arg(long)]
    homeserver: String,
    #[arg(long)]
    user: String,
    #[arg(long)]
    data_dir: PathBuf,
    /// Ask only for what a bot uses: no presence, typing, receipts or account data, and
    /// not the bot's own events
    #[arg(long)]
    lean_filter: bool,
    /// Keep room state in memory (only the crypto store in SQLite)
    #[arg(long)]
    state_in_memory: bool,
    /// No cross-process store locks (one process per store)
    #[arg(long)]
    single_process: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let args = Args::parse();
    std::fs::create_dir_all(&args.data_dir).context("creating the data dir")?;
    let mut builder = Client::builder().homeserver_url(&args.homeserver);
    if args.single_process {
        builder = builder.cross_process_store_config(CrossProcessLockConfig::SingleProcess);
    }
    builder = if args.state_in_memory {
        let config = SqliteStoreConfig::new(args.data_dir.join("store"));
        let crypto = SqliteCryptoStore::open_with_config(&config).await?;
        let lock = match args.single_process {
            true => CrossProcessLockConfig::SingleProcess,
            false => CrossProcessLockConfig::multi_process("main"),
        };
        builder.store_config(StoreConfig::new(lock).crypto_store(crypto))
    } else {
        builder.sqlite_store(args.data_dir.join("store"), None)
    };
    let client = builder.build().await?;
    restore_or_log_in(&client, &args).await?;

    client.add_event_handler(
        |event: StrippedRoomMemberEvent, client: Client, room: Room| async move {
            if Some(event.state_key.as_ref()) == client.user_id()
                && let Err(error) = room.join().await
            {
                tracing::warn!(%error, "could not join");
            }
        },
    );
    client.add_event_handler(
        |event: OriginalSyncRoomMessageEvent, room: Room| async move {
            let MessageType::Text(text) = &event.content.msgtype else {
                return;
            };
            if room.state() != RoomState::Joined || text.body.trim() != "!ping" {
                return;
            }
            let mut pong = RoomMessageEventContent::text_plain("pong");
            pong.relates_to = Some(Relation::Reply(Reply::with_event_id(
                event.event_id.clone(),
            )));
            if let Err(error) = room.send(pong).await {
                tracing::warn!(%error, "could not answer");
            }
        },
    );
    // Skip what happened before this start, as copydesk does with its backlog. The loop
    // is ours, as copydesk's is: `Client::sync` sleeps a second between syncs that come
    // back within a second, which would make this bot batch (and answer late) under a
    // stream of messages.
    let mut settings = SyncSettings::default();
    if args.lean_filter {
        let own = client.user_id().context("logged in")?.to_owned();
        let mut filter = FilterDefinition::with_lazy_loading();
        filter.presence.types = Some(Vec::new());
        filter.account_data.types = Some(Vec::new());
        filter.room.ephemeral.types = Some(Vec::new());
        filter.room.account_data.types = Some(Vec::new());
        filter.room.timeline.not_senders = vec![own];
        filter.room.timeline.lazy_load_options = filter.room.state.lazy_load_options;
        settings = settings.filter(Filter::FilterDefinition(filter));
    }
    loop {
        let response = client.sync_once(settings.clone()).await?;
        settings = settings.token(response.next_batch);
    }
}

async fn restore_or_log_in(client: &Client, args: &Args) -> anyhow::Result<()> {
    let saved = session_file(&args.data_dir);
    if saved.exists() {
        let session: MatrixSession = serde_json::from_slice(&std::fs::read(&saved)?)?;
        client
            .matrix_auth()
            .restore_session(session, RoomLoadSettings::default())
            .await?;
        return Ok(());
    }
    let password = std::env::var("BARE_BOT_PASSWORD").context("BARE_BOT_PASSWORD is not set")?;
    client
        .matrix_auth()
        .login_username(&args.user, &password)
        .initial_device_display_name("bare bot")
        .await?;
    let session = client.matrix_auth().session().context("a session")?;
    std::fs::write(&saved, serde_json::to_vec(&session)?)?;
    Ok(())
}

fn session_file(data_dir: &Path) -> PathBuf {
    data_dir.join("session.json")
}
