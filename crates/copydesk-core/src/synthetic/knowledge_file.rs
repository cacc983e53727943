//! Knowledge files of any size: made-up topics, each with sources, facts and allegations.

use std::fmt::Write as _;

use super::Rng;

/// Two-letter syllables; three of them spell a made-up name unique to each topic index.
const SYLLABLES: [&str; 32] = [
    "ka", "lo", "mi", "ve", "su", "ra", "to", "ne", "bi", "da", "fe", "go", "hu", "ji", "ko", "le",
    "ma", "no", "pi", "qu", "ri", "sa", "ti", "vo", "wa", "xe", "ya", "zu", "be", "ce", "di", "fo",
];

/// Places a generated topic is about; the second word of its slug.
pub const PLACES: [&str; 16] = [
    "harbour",
    "border",
    "pipeline",
    "election",
    "summit",
    "airport",
    "refinery",
    "bridge",
    "ministry",
    "embassy",
    "railway",
    "dam",
    "port",
    "mine",
    "court",
    "parliament",
];

/// Real words that chat messages use; each allegation's groups draw mostly from a long
/// tail of made-up words (see `vocabulary`), as a large real file would, with these mixed
/// in.
const ACTORS: [&str; 12] = [
    "russia*",
    "moscow",
    "kremlin",
    "china",
    "beijing",
    "iran*",
    "tehran",
    "minister*",
    "army",
    "militia*",
    "cartel*",
    "agency",
];
const VERBS: [&str; 24] = [
    "brib*",
    "smuggl*",
    "sabotag*",
    "hack*",
    "rigg*",
    "fund*",
    "spy",
    "spies",
    "launder*",
    "threat*",
    "blackmail*",
    "poison*",
    "bomb*",
    "leak*",
    "forg*",
    "kidnap*",
    "arm*",
    "recruit*",
    "cover up",
    "covered up",
    "paid off",
    "pays off",
    "stole",
    "steal*",
];
const OBJECTS: [&str; 24] = [
    "officials",
    "weapons",
    "votes",
    "ballots",
    "data",
    "emails",
    "money",
    "cash",
    "fuel",
    "gold",
    "journalists",
    "judges",
    "police",
    "migrants",
    "documents",
    "servers",
    "contracts",
    "permits",
    "shipments",
    "drones",
    "missiles",
    "passports",
    "evidence",
    "witnesses",
];

/// `real` followed by made-up words (two syllables and `suffix`) up to `size` words.
fn vocabulary(real: &[&str], size: usize, suffix: &str) -> Vec<String> {
    let mut words: Vec<String> = real.iter().map(|w| w.to_string()).collect();
    let mut i = 0;
    while words.len() < size {
        words.push(format!(
            "{}{}{suffix}",
            SYLLABLES[i % 32],
            SYLLABLES[(i / 32) % 32]
        ));
        i += 1;
    }
    words
}

/// The made-up name of generated topic `i`: six letters, unique below 32,768.
pub fn topic_name(i: usize) -> String {
    [i % 32, (i / 32) % 32, (i / 1024) % 32]
        .iter()
        .map(|&s| SYLLABLES[s])
        .collect()
}

/// The slug of generated topic `i`, e.g. `kalomi-harbour`.
pub fn topic_slug(i: usize) -> String {
    format!("{}-{}", topic_name(i), PLACES[i % PLACES.len()])
}

/// A second spelling of topic `i`'s name that its file lists as an alias.
pub fn topic_alias(i: usize) -> String {
    format!(
        "{} {}",
        topic_name(i),
        PLACES[(i / PLACES.len()) % PLACES.len()]
    )
}

fn pick_word<'a>(rng: &mut Rng, from: &'a [String]) -> &'a str {
    &from[rng.below(from.len())]
}

/// A knowledge file of `topics` topics with two sources, two facts and three allegations
/// each, about 2.2 KB per topic (10,000 topics are some 22 MB of TOML). Topic names are
/// made-up words; allegation terms mix common real words ("moscow", "smuggl*") into a long
/// tail of made-up ones, as a large real file would.
pub fn knowledge_text(topics: usize) -> String {
    let mut rng = Rng::new(0x2545_f491_4f6c_dd1d);
    let actors = vocabulary(&ACTORS, 200, "an");
    let verbs = vocabulary(&VERBS, 300, "ing");
    let objects = vocabulary(&OBJECTS, 400, "s");
    let mut out = String::with_capacity(topics * 2200);
    for i in 0..topics {
        let n = topic_name(i);
        let place = PLACES[i % PLACES.len()];
        let other = PLACES[(i / PLACES.len()) % PLACES.len()];
        let _ = write!(
            out,
            r#"[[topic]]
slug = "{n}-{place}"
title = "The {n} {place} affair"
aliases = ["{n} {other}", "{n}ia"]
summary = "Background on the {n} {place} affair and what has been alleged about it."
updated = 2026-{month:02}-{day:02}
review_every = "6 months"
tags = ["{place}", "generated"]

  [[topic.source]]
  id = "wire-{n}"
  outlet = "Example Wire"
  title = "Report on the {n} {place} affair"
  url = "https://wire.example/{n}"
  date = 2026-01-{day:02}

  [[topic.source]]
  id = "gazette-{n}"
  outlet = "Example Gazette"
  title = "Officials respond over {n}"
  url = "https://gazette.example/{n}/response"
  date = 2026-02-{day:02}

  [[topic.fact]]
  text = "The {n} {place} opened in 2019."
  sources = ["wire-{n}"]

  [[topic.fact]]
  text = "Officials in {n} have denied any wrongdoing."
  sources = ["wire-{n}", "gazette-{n}"]
"#,
            month = 1 + i % 12,
            day = 1 + i % 28,
        );
        for a in 0..3 {
            let _ = write!(
                out,
                r#"
  [[topic.allegation]]
  id = "claim-{a}"
  claim = "Someone in {n} did something at the {place}."
  made_by = {{ name = "Person {i}", role = "an opposition politician" }}
  source = "{source}"
  status = "unproven"
  match_all = [["{n}*", "{actor1}", "{actor2}"], ["{verb1}", "{verb2}", "{verb3}"], ["{object1}", "{object2}", "{place}"]]
  attributed = "Person {i}, an opposition politician, alleged that someone in {n} did something."
"#,
                source = if a == 0 {
                    format!("wire-{n}")
                } else {
                    format!("gazette-{n}")
                },
                actor1 = pick_word(&mut rng, &actors),
                actor2 = pick_word(&mut rng, &actors),
                verb1 = pick_word(&mut rng, &verbs),
                verb2 = pick_word(&mut rng, &verbs),
                verb3 = pick_word(&mut rng, &verbs),
                object1 = pick_word(&mut rng, &objects),
                object2 = pick_word(&mut rng, &objects),
            );
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_knowledge_file_is_valid() {
        let kb = crate::KnowledgeBase::parse("synthetic.toml", &knowledge_text(50))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(kb.topics().len(), 50);
        assert_eq!(kb.allegations().count(), 150);
        assert_eq!(kb.topics()[3].slug, topic_slug(3));
    }
}
