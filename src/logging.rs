//! Logs go to stderr through `tracing`.
//!
//! Privacy rule, kept by every call site: at info level and above, log event and room ids,
//! never message text. Message text may appear only at debug and trace.

use tracing_subscriber::EnvFilter;

/// Installs the stderr subscriber. `RUST_LOG` wins over `-v` flags and the default level.
pub fn init(verbosity: u8, default_level: tracing::Level) {
    let level = match verbosity {
        0 => default_level,
        1 => tracing::Level::INFO,
        2 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,copydesk={level},copydesk_core={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
