//! Scoring the checker against labeled cases (the `../shared/eval` format).
