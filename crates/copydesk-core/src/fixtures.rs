//! Test fixtures shared by the core's unit tests.

use std::sync::LazyLock;

use crate::{Checker, Desk, KnowledgeBase};

/// The example knowledge file shipped in `examples/`.
pub(crate) const EXAMPLE_KNOWLEDGE: &str = include_str!("../../../examples/knowledge.toml");

/// The example knowledge file: parsed once for the whole test run, and each caller gets
/// its own copy.
pub(crate) fn example_knowledge() -> KnowledgeBase {
    static PARSED: LazyLock<KnowledgeBase> = LazyLock::new(|| {
        KnowledgeBase::parse("examples/knowledge.toml", EXAMPLE_KNOWLEDGE)
            .unwrap_or_else(|e| panic!("{e}"))
    });
    PARSED.clone()
}

/// A desk over the example knowledge file with the default checker and `prefix`.
pub(crate) fn example_desk(prefix: &str) -> Desk {
    Desk::new(example_knowledge(), Checker::default(), prefix)
}
