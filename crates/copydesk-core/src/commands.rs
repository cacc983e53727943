//! Commands and the message handler every connector calls.
pub struct Desk;
pub enum Outcome {}
