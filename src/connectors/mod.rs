//! Connectors carry messages between a platform and the core's `Desk`, and carry the
//! desk's replies back, rendered for that platform. They hold no bot logic of their own.

pub mod console;
pub mod matrix;
pub mod running;
pub mod slack;
