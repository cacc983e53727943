//! copydesk's edges: the command line, files, configuration, logging and the connectors
//! that carry the core (`copydesk_core`) to a terminal or a Matrix room.

pub mod audit;
pub mod cli;
pub mod config;
pub mod connectors;
pub mod feedback;
pub mod freshness;
pub mod loading;
pub mod logging;
pub mod metrics;
pub mod operations;
pub mod reload;
pub mod run;
pub mod settings;
pub mod state_file;
pub mod stats;
pub mod status;
pub mod train;
