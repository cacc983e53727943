//! The seam for a learned "needs attribution" model.
//!
//! Deciding whether an unsourced sentence is an allegation at all is where word lists run
//! out. The rules settle what they can (a named source, a vague source, an allegation
//! term); a scorer is consulted only for the sentences they leave open: no source on record
//! and no allegation vocabulary found (verdict `flag` if the scorer says yes), or only a
//! vague source with no allegation vocabulary (verdict `weak` if it says yes).

/// What the rules found in a sentence the scorer is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenQuestion {
    /// No source at all and no allegation vocabulary: is this an allegation? Yes -> `flag`.
    Unattributed,
    /// Only a vague source ("critics say") and no allegation vocabulary. Yes -> `weak`.
    VaguelySourced,
}

/// A model that says whether a sentence asserts something needing attribution.
pub trait AllegationScorer: Send + Sync {
    /// Likelihood in `0.0..=1.0` that `sentence` (the author's words, markup blanked)
    /// asserts an allegation that an editor would want attributed.
    fn score(&self, sentence: &str, question: OpenQuestion) -> f32;

    /// Scores at or above this count as an allegation.
    fn threshold(&self) -> f32 {
        0.5
    }

    /// The rule id reported in findings the scorer decides.
    fn rule_id(&self) -> &str {
        "allegation-model"
    }
}
