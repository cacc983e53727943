//! Structured replies and their rendering.
pub struct Reply;
