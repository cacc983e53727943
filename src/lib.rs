//! copydesk's edges: the command line, files, configuration, logging and the connectors
//! that carry the core (`copydesk_core`) to a terminal or a Matrix room.

pub mod cli;
pub mod config;
pub mod connectors;
pub mod failpoint;
pub mod lifecycle;
pub mod loading;
pub mod logging;
pub mod operations;
pub mod run;
pub mod status;
pub mod train;
