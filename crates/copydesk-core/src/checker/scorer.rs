//! The seam for the learned accusation classifier.
//!
//! The rules settle what they can: questions and requests, named and vague sources, an
//! accusation made of a party and a wrongdoing predicate. The classifier is asked about a
//! sentence that names a party but no predicate the lexicons know (an alarm if it scores
//! at or above its threshold), and may overrule an accusation the rules found in a
//! sentence it scores below its veto (reference prose, banter). It sees the sentence and
//! the rules' cues: which kinds of rule the sentence hits, and whether it names a party.

/// A model that says whether a sentence states an accusation.
pub trait AllegationScorer: Send + Sync {
    /// Likelihood in `0.0..=1.0` that `sentence` (the author's words, markup blanked)
    /// states an accusation an editor would want attributed; `cues` are what the rules
    /// found in it (see `Checker::cues`).
    fn score(&self, sentence: &str, cues: &[String]) -> f32;

    /// Scores at or above this count as an accusation.
    fn threshold(&self) -> f32 {
        0.5
    }

    /// An accusation the rules found in a sentence scored below this is overruled: the
    /// sentence reads as reference prose or banter ("Okafor stole third in the ninth"), not
    /// as a charge against someone. 0 never overrules.
    fn veto(&self) -> f32 {
        0.0
    }

    /// The rule id reported in findings the scorer decides.
    fn rule_id(&self) -> &str {
        "allegation-model"
    }
}
