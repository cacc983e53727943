//! Shared helpers for copydesk's integration tests against a real Synapse.
//!
//! Every test that needs a homeserver starts with
//!
//! ```ignore
//! mod support;
//! use support::Homeserver;
//!
//! #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
//! async fn something() {
//!     let Some(hs) = Homeserver::from_env() else { return };
//!     let alice = hs.new_client("alice").await;
//!     // ...
//! }
//! ```
//!
//! `scripts/test` starts Synapse and sets the environment this module reads:
//!
//! * `COPYDESK_TEST_HOMESERVER` — base URL, e.g. `http://127.0.0.1:38211`;
//! * `COPYDESK_TEST_SHARED_SECRET` — Synapse's `registration_shared_secret`
//!   (falls back to `$COPYDESK_TEST_SYNAPSE_DIR/shared_secret`);
//! * `COPYDESK_TEST_SYNAPSE_DIR` — the server's directory, for
//!   [`Homeserver::stop_homeserver`] / [`Homeserver::start_homeserver`];
//! * `CI` — when set (and not `false`/`0`), a missing homeserver fails the
//!   test instead of skipping it.
//!
//! Two more files here are not submodules: a test binary includes them by path
//! (`#[path = "support/bot.rs"] mod bot;`), so that it builds only what it uses.
//!
//! * `bot.rs` — the bot as a process on a bot account, and the usual `Newsroom`
//!   (a journalist, optionally an editor, a room with the bot) with the waits for the
//!   bot's replies and warnings; it needs this module beside it.
//! * `process.rs` — `copydesk` run once with arguments and stdin, for the tests of the
//!   command line (no homeserver, no matrix-sdk).
//! * `fake_slack/mod.rs` — a strict fake Slack (Web API and Socket Mode on loopback)
//!   for the Slack connector's tests; standalone (no homeserver). See its module docs.
#![allow(dead_code)]

pub mod client;
pub mod homeserver;

// Not every test binary uses every re-export.
#[allow(unused_imports)]
pub use client::{ReceivedMessage, TestClient};
#[allow(unused_imports)]
pub use homeserver::{Homeserver, unique_localpart};

use std::time::Duration;

/// A generous default for "the reply should arrive" waits: a local Synapse
/// answers in milliseconds, but CI machines have two busy cores.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// The default window for "nothing should arrive" assertions.
pub const QUIET_PERIOD: Duration = Duration::from_secs(3);

/// Installs a tracing subscriber writing to the test output when `RUST_LOG`
/// is set (e.g. `RUST_LOG=matrix_sdk=debug scripts/test -- --nocapture`).
pub fn init_tracing() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
}
