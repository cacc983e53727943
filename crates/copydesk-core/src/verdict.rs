//! How much a sentence needs an editor's attention: the checker's answer, and the
//! severity a lexicon rule gives when it decides a sentence.

use serde::Serialize;

/// Ordered: `Ok < Weak < Flag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Weak,
    Flag,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Weak => "weak",
            Verdict::Flag => "flag",
        }
    }
}

impl std::str::FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ok" => Ok(Verdict::Ok),
            "weak" => Ok(Verdict::Weak),
            "flag" => Ok(Verdict::Flag),
            other => Err(format!(
                "unknown verdict {other:?} (expected ok, weak or flag)"
            )),
        }
    }
}
