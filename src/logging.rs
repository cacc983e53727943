//! Logs go to stderr through `tracing`, as text for a terminal or as one JSON object per
//! line for a log collector (`[log] format` in the configuration of `copydesk run`).
//!
//! Privacy rule, kept by every call site: at info level and above, log event and room ids,
//! never message text. Message text may appear only at debug and trace.
//!
//! Alerting rule: at the default level, ERROR means an operator must act (a revoked
//! token, a store that cannot be opened, a configuration mistake) and WARN means
//! something is wrong that the bot is riding out (the homeserver unreachable). Conditions
//! the bot expects and handles are kept out of both, here, target by target ([`QUIET`],
//! [`EXPECTED`]), never by silencing a whole crate.

use std::path::Path;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per event (time, level, target, message, fields, spans).
    Json,
}

/// Log lines silenced by default, whatever the level.
///
/// matrix-sdk starts a key-backup task in every client and wakes it after every sync; in
/// a client that never set up key backup, as this bot never does (it has no recovery key
/// to keep, and no other device to restore from), the task warns "Trying to backup room
/// keys but no backup key was found" each time: 661 lines in a 71 s load test, burying
/// the warnings that matter. Nothing can be done about it, so that module's warnings are
/// dropped; its errors still show. Other matrix-sdk warnings are not silenced here
/// ([`EXPECTED`] leaves some out below debug level).
///
/// These directives come *before* `RUST_LOG`'s, so naming the same target there (e.g.
/// `RUST_LOG=warn,matrix_sdk_crypto::backups=warn`) brings the lines back.
const QUIET: &str = "matrix_sdk_crypto::backups=error";

/// matrix-sdk's lines about conditions copydesk expects and handles itself: shown only at
/// debug level (`-vv`), or when `RUST_LOG` names their target.
///
/// * `matrix_sdk::http_client` logs every failed request at ERROR, before its caller has
///   decided what the failure means: the 404 for the secret-storage default key on every
///   start (the bot never sets up secret storage), the 404 for `m.room.encryption` in a
///   room that is not encrypted, and every sync and send that fails while the homeserver
///   is down.
/// * `matrix_sdk::encryption` warns when one of its key requests (uploads, queries,
///   to-device messages) fails, as they do while the homeserver is down; it sends them
///   again with the next sync. Its other warnings are about key backup, recovery, secret
///   storage and cross-signing, which the bot does not use. Its errors still show.
///
/// * `matrix_sdk_crypto::identities::manager` warns "Our own device might have been
///   deleted" when a key query right after a homeserver restart lists the bot's devices
///   without its own. Were the device really deleted, its access token would be gone with
///   it, and the bot stops with an ERROR for that; the warning itself asks nothing of an
///   operator.
/// * `matrix_sdk_crypto::machine` warns "Failed to decrypt a room event" whenever a
///   message's room key has not come yet, and about malformed keys and to-device events
///   from other devices. The bot keeps such a message until its key arrives and warns
///   itself, once, naming the event, if it never does (`connectors::matrix::keys`).
///
/// Where a failure matters, copydesk logs it itself: the homeserver unreachable and back
/// (`connectors::matrix::reachability`), a message it gave up sending, a revoked access
/// token.
const EXPECTED: &str = "matrix_sdk::http_client=off,matrix_sdk::encryption=error,\
                        matrix_sdk_crypto::identities::manager=error,\
                        matrix_sdk_crypto::machine=error";

/// Installs the stderr subscriber. `RUST_LOG` wins over `-v` flags and the default level.
pub fn init(verbosity: u8, default_level: tracing::Level, format: LogFormat) {
    let level = match verbosity {
        0 => default_level,
        1 => tracing::Level::INFO,
        2 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref(), level);
    // Colours only on a terminal: the journal and log files get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        // A collector can route and alert by target (copydesk's own, or a library's).
        LogFormat::Json => builder
            .json()
            .with_target(true)
            .with_current_span(true)
            .try_init(),
    };
}

/// The filter for `RUST_LOG` (when set and valid), else for `level` in copydesk's own
/// crates and warnings elsewhere; [`QUIET`] first either way, and [`EXPECTED`] too below
/// debug level.
fn filter(rust_log: Option<&str>, level: tracing::Level) -> EnvFilter {
    let silenced = match level >= tracing::Level::DEBUG {
        true => QUIET.to_owned(),
        false => format!("{QUIET},{EXPECTED}"),
    };
    rust_log
        .and_then(|env| EnvFilter::try_new(format!("{silenced},{env}")).ok())
        .unwrap_or_else(|| {
            EnvFilter::new(format!(
                "{silenced},warn,copydesk={level},copydesk_core={level}"
            ))
        })
}

/// The `[log] format` of a configuration file, read before the configuration proper so
/// the first log lines already have the right shape. A file that cannot be read or a bad
/// value gives text; loading the configuration reports the problem with its place.
pub fn configured_format(config: &Path) -> LogFormat {
    #[derive(serde::Deserialize)]
    struct Partial {
        log: Option<Log>,
    }
    #[derive(serde::Deserialize)]
    struct Log {
        format: Option<LogFormat>,
    }
    std::fs::read_to_string(config)
        .ok()
        .and_then(|text| toml::from_str::<Partial>(&text).ok())
        .and_then(|p| p.log?.format)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// What `rust_log` lets through of a few matrix-sdk lines and a few of copydesk's, at
    /// the default level of `copydesk run`.
    fn logged(rust_log: Option<&str>) -> String {
        logged_at(rust_log, tracing::Level::INFO)
    }

    fn logged_at(rust_log: Option<&str>, level: tracing::Level) -> String {
        let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter(rust_log, level))
            .with_writer(move || Writer(writer.clone()))
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(
                target: "matrix_sdk_crypto::backups",
                "Trying to backup room keys but no backup key was found"
            );
            tracing::error!(target: "matrix_sdk_crypto::backups", "backup store broken");
            tracing::warn!(target: "matrix_sdk::room", "Cannot find predecessor room");
            tracing::error!(
                target: "matrix_sdk::http_client",
                "Error while sending request: 404 Account data not found"
            );
            tracing::error!(target: "matrix_sdk::encryption", "Couldn't setup and resume backups");
            tracing::warn!(
                target: "matrix_sdk::encryption",
                "Error when sending out an outgoing E2EE request"
            );
            tracing::warn!(
                target: "matrix_sdk_crypto::identities::manager",
                "Our own device might have been deleted"
            );
            tracing::warn!(
                target: "matrix_sdk_crypto::machine",
                "Failed to decrypt a room event: Can't find the room key"
            );
            tracing::info!(target: "copydesk::connectors::matrix", "copydesk is running");
            tracing::warn!(
                target: "copydesk::connectors::matrix::reachability",
                "the homeserver is unreachable"
            );
            tracing::error!(target: "copydesk::run", "the access token was revoked");
        });
        String::from_utf8(buffer.lock().unwrap().clone()).unwrap()
    }

    struct Writer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Writer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_no_backup_key_warning_is_silenced_and_nothing_else() {
        for rust_log in [None, Some("warn,copydesk=debug"), Some("debug")] {
            let log = logged(rust_log);
            assert!(!log.contains("no backup key"), "{rust_log:?}: {log}");
            assert!(log.contains("backup store broken"), "{rust_log:?}: {log}");
            assert!(
                log.contains("Cannot find predecessor room"),
                "{rust_log:?}: {log}"
            );
            assert!(log.contains("copydesk is running"), "{rust_log:?}: {log}");
        }
        // Named in RUST_LOG, it shows again.
        let log = logged(Some("warn,matrix_sdk_crypto::backups=warn"));
        assert!(log.contains("no backup key"), "{log}");
    }

    #[test]
    fn failed_requests_the_sdk_logs_show_only_at_debug_and_copydesk_errors_always() {
        let log = logged(None);
        assert!(!log.contains("Error while sending request"), "{log}");
        assert!(!log.contains("outgoing E2EE request"), "{log}");
        assert!(!log.contains("own device might have been deleted"), "{log}");
        assert!(!log.contains("Failed to decrypt"), "{log}");
        for kept in [
            "Couldn't setup and resume backups",
            "copydesk is running",
            "the homeserver is unreachable",
            "the access token was revoked",
        ] {
            assert!(log.contains(kept), "{kept}: {log}");
        }
        // Not brought back by a RUST_LOG that does not name them.
        let log = logged(Some("info"));
        assert!(!log.contains("Error while sending request"), "{log}");
        assert!(log.contains("Couldn't setup and resume backups"), "{log}");
        // Shown at debug level, and when RUST_LOG names them.
        let log = logged_at(None, tracing::Level::DEBUG);
        assert!(log.contains("Error while sending request"), "{log}");
        assert!(log.contains("own device might have been deleted"), "{log}");
        assert!(log.contains("outgoing E2EE request"), "{log}");
        assert!(log.contains("Failed to decrypt"), "{log}");
        assert!(!log.contains("no backup key"), "{log}");
        let log = logged(Some("warn,matrix_sdk::http_client=error"));
        assert!(log.contains("Error while sending request"), "{log}");
        assert!(!log.contains("outgoing E2EE request"), "{log}");
    }

    #[test]
    fn the_format_is_read_from_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        assert_eq!(configured_format(&path), LogFormat::Text);
        std::fs::write(
            &path,
            "[matrix]\nuser_id = \"@a:b\"\n[log]\nformat = \"json\"\n",
        )
        .unwrap();
        assert_eq!(configured_format(&path), LogFormat::Json);
        std::fs::write(&path, "[log]\nformat = \"xml\"\n").unwrap();
        assert_eq!(configured_format(&path), LogFormat::Text);
    }
}
