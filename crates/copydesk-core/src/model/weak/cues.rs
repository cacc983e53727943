//! Attribution cues: which cue words assert their content, and which words of speech
//! mark an attribution the annotators left unmarked.

use crate::model::normalize::{normalize, words};

/// Cue words that assert something is so.
const ASSERTING: &[&str] = &[
    "according",
    "accuse",
    "accused",
    "accuses",
    "accusing",
    "acknowledge",
    "acknowledged",
    "acknowledges",
    "add",
    "added",
    "adding",
    "adds",
    "admit",
    "admits",
    "admitted",
    "affirmed",
    "allege",
    "alleged",
    "alleges",
    "alleging",
    "announce",
    "announced",
    "announces",
    "argue",
    "argued",
    "argues",
    "arguing",
    "assert",
    "asserted",
    "asserts",
    "blame",
    "blamed",
    "blames",
    "boasted",
    "bragged",
    "charge",
    "charged",
    "charges",
    "claim",
    "claimed",
    "claiming",
    "claims",
    "complained",
    "complains",
    "conceded",
    "concluded",
    "concludes",
    "confirm",
    "confirmed",
    "confirms",
    "contend",
    "contended",
    "contends",
    "countered",
    "declare",
    "declared",
    "declares",
    "denied",
    "denies",
    "deny",
    "determined",
    "disclosed",
    "disputed",
    "disputes",
    "emphasized",
    "estimated",
    "estimates",
    "explain",
    "explained",
    "explains",
    "find",
    "finding",
    "finds",
    "found",
    "indicated",
    "indicates",
    "insist",
    "insisted",
    "insisting",
    "insists",
    "maintained",
    "maintains",
    "note",
    "noted",
    "notes",
    "noting",
    "observed",
    "pointed",
    "posted",
    "predicted",
    "predicts",
    "recalled",
    "recalls",
    "reiterated",
    "remarked",
    "repeated",
    "replied",
    "report",
    "reported",
    "reporting",
    "reports",
    "responded",
    "reveal",
    "revealed",
    "reveals",
    "said",
    "say",
    "saying",
    "says",
    "show",
    "showed",
    "showing",
    "shown",
    "shows",
    "stated",
    "states",
    "stressed",
    "suggest",
    "suggested",
    "suggesting",
    "suggests",
    "tell",
    "telling",
    "tells",
    "testified",
    "told",
    "tweeted",
    "warn",
    "warned",
    "warning",
    "warns",
    "write",
    "writes",
    "writing",
    "written",
    "wrote",
];

/// Cue words that do not assert: questions, wishes, plans, requests, support.
const NON_ASSERTING: &[&str] = &[
    "ask",
    "asked",
    "asking",
    "asks",
    "demand",
    "demanded",
    "endorse",
    "endorsed",
    "expect",
    "expected",
    "expects",
    "hope",
    "hoped",
    "hopes",
    "hoping",
    "intend",
    "intends",
    "plan",
    "planned",
    "plans",
    "pledged",
    "promise",
    "promised",
    "promises",
    "propose",
    "proposed",
    "question",
    "questioned",
    "questions",
    "seek",
    "seeking",
    "sought",
    "support",
    "supported",
    "supports",
    "urge",
    "urged",
    "urges",
    "vowed",
    "want",
    "wanted",
    "wanting",
    "wants",
    "wish",
    "wished",
    "wonder",
    "wondered",
    "would",
    "if",
    "whether",
    "for",
];

/// Whether a cue asserts its content: it has an asserting word and no wish, question or
/// plan word ("said" yes, "asked" no, "called for" no).
pub fn is_asserting_cue(cue: &str) -> bool {
    let normalized = normalize(cue);
    let words: Vec<&str> = words(&normalized).collect();
    words.iter().any(|w| ASSERTING.binary_search(w).is_ok())
        && !words.iter().any(|w| NON_ASSERTING.contains(w))
}

/// Verbs and phrases that attribute what follows to someone, used to spot attributions
/// the annotators did not mark.
const SPEECH_CUES: &[&str] = &[
    "according",
    "accused",
    "accusing",
    "added",
    "alleged",
    "alleging",
    "announced",
    "argued",
    "claimed",
    "claiming",
    "insisted",
    "noted",
    "reported",
    "said",
    "say",
    "saying",
    "says",
    "stated",
    "tell",
    "telling",
    "tells",
    "testified",
    "told",
    "tweeted",
    "wrote",
];

/// Whether `text` contains a speech verb ("said", "told", "according to").
pub fn has_speech_cue(text: &str) -> bool {
    let normalized = normalize(text);
    words(&normalized).any(|w| SPEECH_CUES.binary_search(&w).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lists_are_sorted_for_binary_search() {
        for list in [ASSERTING, SPEECH_CUES] {
            assert!(
                list.windows(2).all(|w| w[0] < w[1]),
                "{:?}",
                list.windows(2).find(|w| w[0] >= w[1])
            );
        }
    }

    #[test]
    fn asserting_cues_are_told_from_wishes_and_questions() {
        for cue in [
            "said",
            "has said",
            "according to",
            "accused",
            "Found",
            "told reporters",
        ] {
            assert!(is_asserting_cue(cue), "{cue}");
        }
        for cue in [
            "asked",
            "wants",
            "hopes",
            "called for",
            "urged",
            "mocked",
            "think",
        ] {
            assert!(!is_asserting_cue(cue), "{cue}");
        }
    }
}
