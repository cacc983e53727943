//! Lexicons as data: reporting verbs, hedges, vague-source phrases and allegation
//! vocabulary, each rule with a message and a severity, loaded from TOML and validated.

/// Compiled lexicon rules.
#[derive(Debug, Clone)]
pub struct Lexicon {}

impl Lexicon {
    /// The lexicons embedded in the binary.
    pub fn embedded() -> Lexicon {
        todo!("embedded lexicons")
    }
}
