//! Deterministic synthetic data for benchmarks: knowledge files of any size and corpora of
//! chat messages. Every run with the same arguments produces the same bytes, so numbers
//! from different runs (and machines) measure the same work.
//!
//! Nothing here is copied from the labeled evaluation cases: the chat messages are built
//! from templates and made-up names written for benchmarking only. They are not labeled
//! and say nothing about the checker's accuracy; they only give it realistic work — a mix
//! of newsroom chatter, attributed allegations, vaguely sourced ones and bare ones, some
//! restating allegations of the generated knowledge file.
//!
//! Used by the criterion benches (`benches/`), the root package's `bench` example and the
//! `latency` and `load` examples. Pure, like the rest of the core: callers write the text
//! to files if they need to.

mod chat;
mod knowledge_file;
mod worst_case;

pub use chat::{MESSAGE_BYTES, MessageKind, chat_messages};
pub use knowledge_file::{PLACES, knowledge_text, topic_alias, topic_name, topic_slug};
pub use worst_case::WorstCase;

/// A small deterministic random number generator (xorshift64), so generated data never
/// depends on a platform's RNG.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // xorshift is stuck at zero; any other seed works.
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T: ?Sized>(&mut self, from: &[&'a T]) -> &'a T {
        from[self.below(from.len())]
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}
