//! Logs go to stderr through `tracing`, as text for a terminal or as one JSON object per
//! line for a log collector (`[log] format` in the configuration of `copydesk run`).
//!
//! Privacy rule, kept by every call site: at info level and above, log event and room ids,
//! never message text. Message text may appear only at debug and trace.

use std::path::Path;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per event (time, level, message, fields, spans).
    Json,
}

/// Installs the stderr subscriber. `RUST_LOG` wins over `-v` flags and the default level.
pub fn init(verbosity: u8, default_level: tracing::Level, format: LogFormat) {
    let level = match verbosity {
        0 => default_level,
        1 => tracing::Level::INFO,
        2 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,copydesk={level},copydesk_core={level}")));
    // Colours only on a terminal: the journal and log files get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
    };
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
