//! The learned "needs attribution" model: does an unsourced sentence assert something an
//! editor would want attributed?
//!
//! The rules in [`checker`](crate::checker) find sources and vague sources; what they
//! cannot decide is whether a sentence with neither is an allegation at all. Journalists
//! answer that in every article: what they attribute is what needs attribution, what they
//! write in their own voice mostly does not. This module learns that from an attribution
//! corpus (see [`weak`] for how the labels are built):
//!
//! - [`normalize`]: one text normalisation for training and inference;
//! - [`features`]: word 1–2-grams and character 2–5-grams, signed-hashed into 2^18
//!   buckets with a platform-independent hash;
//! - [`Model`]: logistic regression over those features, loaded from the model file
//!   ([`format`]) and usable as the checker's [`AllegationScorer`];
//! - [`train`]: L2-regularised logistic regression by L-BFGS, the regularisation chosen by
//!   cross-validation grouped by article, classes balanced;
//! - [`sweep`]: precision and recall of the checker with and without a model, over
//!   thresholds.
//!
//! Architecture invariant: like the rest of the core, nothing here does I/O. Callers read
//! the corpus and the model file and hand over bytes and strings; the default model is
//! compiled in with `include_bytes!`.

pub mod features;
pub mod format;
pub mod normalize;
pub mod sweep;
pub mod train;
pub mod weak;

use crate::checker::AllegationScorer;

pub use features::FeatureSettings;
pub use format::{Encoding, ModelError, Provenance};
pub use normalize::normalize;

/// The default model's file, compiled into the binary. Trained on PolNeAR's train split
/// (weights only: no corpus text) plus copydesk's own hard negatives; see the README.
pub static EMBEDDED_MODEL: &[u8] = include_bytes!("../../../../models/accusation.bin");

/// A logistic-regression "needs attribution" model over hashed n-grams.
#[derive(Clone, PartialEq)]
pub struct Model {
    provenance: Provenance,
    settings: FeatureSettings,
    bias: f32,
    weights: Vec<f32>,
    threshold: f32,
    veto: f32,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("provenance", &self.provenance)
            .field("settings", &self.settings)
            .field("threshold", &self.threshold)
            .field("veto", &self.veto)
            .field("weights", &self.weights.len())
            .finish()
    }
}

impl Model {
    /// A model from its weights. `weights.len()` must be `settings.buckets()`.
    pub fn new(
        settings: FeatureSettings,
        bias: f32,
        weights: Vec<f32>,
        provenance: Provenance,
    ) -> Result<Model, String> {
        settings.validate()?;
        if weights.len() != settings.buckets() {
            return Err(format!(
                "{} weights for {} buckets",
                weights.len(),
                settings.buckets()
            ));
        }
        if !bias.is_finite() || weights.iter().any(|w| !w.is_finite()) {
            return Err("weights must be finite".into());
        }
        Ok(Model {
            provenance,
            settings,
            bias,
            weights,
            threshold: 0.5,
            veto: 0.0,
        })
    }

    /// Parses a model file (the output of [`Model::to_bytes`] or `copydesk train`).
    /// Every problem is reported as a [`ModelError`]; a bad file never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        let parsed = format::parse(bytes)?;
        Ok(Model {
            provenance: parsed.provenance,
            settings: parsed.settings,
            bias: parsed.bias,
            weights: parsed.weights,
            threshold: parsed.threshold,
            veto: parsed.veto,
        })
    }

    /// The default model compiled into copydesk.
    pub fn embedded() -> Model {
        Model::from_bytes(EMBEDDED_MODEL)
            .expect("the embedded model parses (tested by model::tests::embedded_model_loads)")
    }

    /// The model file: header and weights in `encoding`. Half precision keeps a 2^18
    /// bucket model at 0.5 MB and moves scores by well under 0.01.
    pub fn to_bytes(&self, encoding: Encoding) -> Vec<u8> {
        format::write(
            &self.provenance,
            &self.settings,
            self.threshold,
            self.veto,
            self.bias,
            &self.weights,
            encoding,
        )
    }

    /// This model with scores at or above `threshold` counting as allegations.
    pub fn with_threshold(mut self, threshold: f32) -> Model {
        self.threshold = threshold.clamp(0.0, 1.0);
        self
    }

    /// This model overruling the rules' accusations in sentences it scores below `veto`
    /// (0 never overrules).
    pub fn with_veto(mut self, veto: f32) -> Model {
        self.veto = veto.clamp(0.0, 1.0);
        self
    }

    /// This model with new provenance (e.g. once cross-validation has measured it).
    pub fn with_provenance(mut self, provenance: Provenance) -> Model {
        self.provenance = provenance;
        self
    }

    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    pub fn settings(&self) -> &FeatureSettings {
        &self.settings
    }

    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// The raw linear score (log-odds) of an already normalised text with the rules'
    /// cues (ignored by a model trained without them).
    pub fn margin_normalized(&self, normalized: &str, cues: &[String]) -> f32 {
        let mut sum = self.bias;
        let weights = &self.weights;
        self.settings.for_each(normalized, cues, |bucket, value| {
            sum += weights[bucket as usize] * value
        });
        sum
    }

    /// Probability in `0.0..=1.0` that `text`, with the rules' `cues`, states an
    /// accusation.
    pub fn probability(&self, text: &str, cues: &[String]) -> f32 {
        sigmoid(self.margin_normalized(&normalize(text), cues))
    }
}

impl AllegationScorer for Model {
    fn score(&self, sentence: &str, cues: &[String]) -> f32 {
        self.probability(sentence, cues)
    }

    fn threshold(&self) -> f32 {
        self.threshold
    }

    fn veto(&self) -> f32 {
        self.veto
    }

    fn rule_id(&self) -> &str {
        "allegation-model"
    }
}

/// The logistic function, safe for large magnitudes.
pub(crate) fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests;
