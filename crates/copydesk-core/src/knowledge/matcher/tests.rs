//! Recognising the example file's allegations in chat, and how terms match words.

use super::terms::parse_term;
use super::*;
use crate::fixtures::example_knowledge as example;

/// A one-topic file whose single allegation has the given `match_all` groups.
fn with_groups(match_all: &str) -> KnowledgeBase {
    let text = format!(
        r#"[[topic]]
slug = "t"
title = "T"
summary = "S"
updated = 2025-01-01
  [[topic.source]]
  id = "s"
  outlet = "O"
  title = "T"
  url = "https://o.example/"
  date = 2025-01-01
  [[topic.allegation]]
  id = "a"
  claim = "C"
  made_by = {{ name = "N", role = "R" }}
  source = "s"
  status = "unproven"
  match_all = {match_all}
  attributed = "A"
"#
    );
    KnowledgeBase::parse("k.toml", &text).unwrap_or_else(|e| panic!("{e}"))
}

fn ids(kb: &KnowledgeBase, text: &str) -> Vec<String> {
    kb.restated_allegations(text)
        .iter()
        .map(|h| format!("{}/{}", h.topic.slug, h.allegation.id))
        .collect()
}

fn fires(kb: &KnowledgeBase, text: &str) -> bool {
    !kb.restated_allegations(text).is_empty()
}

#[test]
fn chat_restatements_of_mitovs_allegations_are_recognised() {
    let kb = example();
    for (text, expected) in [
        (
            "russian intelligence is helping smugglers",
            "russia-intelligence-smugglers",
        ),
        (
            "so russia's spies are basically running the smuggling routes now",
            "russia-intelligence-smugglers",
        ),
        (
            "The SVR is in bed with the people-traffickers, apparently",
            "russia-intelligence-smugglers",
        ),
        (
            "Kremlin agents paying off smuggling gangs? wild",
            "russia-intelligence-smugglers",
        ),
        (
            "moscow trains migrants to dodge deportation",
            "russia-coaching-deportation",
        ),
        (
            "Russia is coaching asylum seekers on beating deportation orders",
            "russia-coaching-deportation",
        ),
        (
            "those ngos are useful idiots for putin",
            "ngos-useful-idiots",
        ),
        (
            "open borders activists are basically Moscow's pawns",
            "ngos-useful-idiots",
        ),
    ] {
        assert_eq!(
            ids(&kb, text),
            [format!("bulgaria-schengen/{expected}")],
            "{text}"
        );
    }
}

#[test]
fn neutral_sentences_restate_nothing() {
    let kb = example();
    for text in [
        "Bulgaria joined Schengen in January 2025",
        "Mitov is the interior minister",
        "Bulgaria's border with Turkey is 161 miles long",
        "Police arrested three smugglers near the Turkish border",
        "Russian gas prices rose again this winter",
        "Starmer hosted a summit on migration in London",
        "",
    ] {
        assert_eq!(ids(&kb, text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn every_group_must_match() {
    let kb = example();
    assert!(!fires(&kb, "russian intelligence is everywhere"));
    assert!(!fires(&kb, "smugglers and spies, a thriller"));
    assert!(fires(&kb, "smugglers and russian spies, a thriller"));
}

#[test]
fn plain_terms_match_whole_words_only() {
    let kb = with_groups(r#"[["svr"], ["spy"]]"#);
    assert!(fires(&kb, "the SVR has a spy"));
    assert!(!fires(&kb, "the SVRX has a spy"));
    assert!(!fires(&kb, "the SVR has a spyglass"));
    assert!(!fires(&kb, "the xSVR has a spy"));
    assert!(fires(&kb, "(SVR) spy!"));
    assert!(fires(&kb, "svr-backed spy"));
}

#[test]
fn wildcard_matches_any_word_ending_but_not_inside_words() {
    let kb = with_groups(r#"[["russia*"], ["smuggl*"]]"#);
    assert!(fires(&kb, "Russian smugglers"));
    assert!(fires(&kb, "russia smuggles"));
    assert!(!fires(&kb, "Prussian smugglers"));
    assert!(!fires(&kb, "Russian desmugglers"));
}

#[test]
fn possessive_apostrophes_end_a_word_but_contractions_do_not() {
    let kb = with_groups(r#"[["russia"], ["don"]]"#);
    assert!(fires(&kb, "russia's don"));
    assert!(fires(&kb, "Russia’s Don"));
    assert!(fires(&kb, "the don of 'russia'"));
    assert!(!fires(&kb, "russia don't"));
    assert!(!fires(&kb, "russia o'don"));
}

#[test]
fn phrases_match_with_spaces_hyphens_and_either_apostrophe() {
    let kb = with_groups(r#"[["people smuggling"], ["russia's"]]"#);
    assert!(fires(&kb, "people-smuggling by russia's agents"));
    assert!(fires(&kb, "People smuggling by Russia’s agents"));
    assert!(!fires(&kb, "people smuggle by russia's agents"));
}

#[test]
fn span_covers_the_matched_terms() {
    let kb = example();
    let text = "lol so russia's spies are basically running the smuggling routes now";
    let hits = kb.restated_allegations(text);
    assert_eq!(hits.len(), 1);
    assert_eq!(
        &text[hits[0].span.clone()],
        "russia's spies are basically running the smuggling"
    );
}

#[test]
fn hits_come_in_text_order() {
    let kb = example();
    let text = "Those NGOs are Putin's useful idiots. Also Moscow coaches migrants on avoiding deportation.";
    assert_eq!(
        ids(&kb, text),
        [
            "bulgaria-schengen/ngos-useful-idiots",
            "bulgaria-schengen/russia-coaching-deportation"
        ]
    );
}

#[test]
fn unicode_and_megabyte_inputs_do_not_panic() {
    let kb = example();
    let chunk = "“Russia’s spies” 🕵️‍♂️ run the smuggling — naïve café ßtraße ";
    let mut text = String::new();
    while text.len() < 1_000_000 {
        text.push_str(chunk);
    }
    let hits = kb.restated_allegations(&text);
    assert_eq!(hits.len(), 1);
    assert!(text.get(hits[0].span.clone()).is_some());
    for cut in 0..chunk.len() {
        if let Some(part) = chunk.get(..cut) {
            let _ = kb.restated_allegations(part);
        }
    }
}

#[test]
fn terms_are_checked_when_the_file_is_loaded() {
    assert!(parse_term("smuggl*").is_ok_and(|t| t.prefix && t.literal == "smuggl"));
    assert!(parse_term("Russia’s").is_ok_and(|t| !t.prefix && t.literal == "russia's"));
    assert!(parse_term("erdoğan*").is_ok());
    for bad in [
        "",
        "  ",
        "*",
        "a*",
        "smu*ggl",
        "lock-out!",
        "-dash",
        "two  spaces",
        "u.s.",
    ] {
        assert!(parse_term(bad).is_err(), "{bad:?} should be rejected");
    }
}
