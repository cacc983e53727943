//! The bot's configuration file (see `config.toml.example`).
