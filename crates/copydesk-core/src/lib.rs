//! copydesk's core: everything the bot knows and decides, as pure functions of their inputs.
//!
//! Architecture invariant: nothing in this crate does I/O (no files, network, clock or
//! environment) and nothing here knows which chat platform a message came from. Connectors
//! read files, ask the clock for today's date and talk to Matrix or a terminal; they hand
//! this crate strings and dates, and get back structured values to render.

pub mod admin;
pub mod checker;
pub mod commands;
pub mod eval;
pub mod feedback;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod knowledge;
pub mod lexicon;
pub mod location;
pub mod model;
pub mod reply;
pub mod synthetic;
mod verdict;

pub use admin::{AdminRequest, Caller};
pub use checker::{Checker, Finding, MessageReport, SentenceReport, Test};
pub use commands::{Action, Desk, Outcome};
pub use knowledge::KnowledgeBase;
pub use lexicon::Lexicon;
pub use location::{Located, LocatedErrors};
pub use reply::Reply;
pub use verdict::Verdict;
