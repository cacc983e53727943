//! Deterministic synthetic data for benchmarks: knowledge files of any size and corpora of
//! chat messages. Every run with the same arguments produces the same bytes, so numbers
//! from different runs (and machines) measure the same work.
//!
//! Nothing here is copied from the labeled evaluation cases: the chat messages are built
//! from templates and made-up names written for benchmarking only. They are not labeled
//! and say nothing about the checker's accuracy; they only give it realistic work — a mix
//! of newsroom chatter, attributed allegations, vaguely sourced ones and bare ones, some
//! restating allegations of the generated knowledge file.
//!
//! Used by the criterion benches (`benches/`), the root package's `bench` example and the
//! `latency` example. Pure, like the rest of the core: callers write the text to files if
//! they need to.

use std::fmt::Write as _;

/// A small deterministic random number generator (xorshift64), so generated data never
/// depends on a platform's RNG.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // xorshift is stuck at zero; any other seed works.
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T: ?Sized>(&mut self, from: &[&'a T]) -> &'a T {
        from[self.below(from.len())]
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

// ---------------------------------------------------------------------------------------
// Knowledge files
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// Chat corpora
// ---------------------------------------------------------------------------------------

/// The shortest and longest message `chat_messages` produces, in bytes.
pub const MESSAGE_BYTES: std::ops::RangeInclusive<usize> = 30..=400;

/// What kind of message a corpus line is, by construction (not by the checker's verdict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// Logistics, banter, questions, opinions: no claim about anyone.
    Chatter,
    /// An allegation with a named source.
    Attributed,
    /// An allegation with only a vague source ("sources say", "allegedly").
    Vague,
    /// An allegation asserted with no source at all.
    Bare,
}

const NAMED: &[&str] = &[
    "Mayor Ilse Varga",
    "the port authority's chief, Tomas Brenner",
    "Councillor Amara Osei",
    "Finance Minister Lars Okonkwo",
    "the opposition leader, Mira Castell",
    "Judge Hana Petrov",
    "police spokesman Dev Ruiz",
    "the auditor general",
    "Senator Paulo Lind",
    "the union's president, Greta Moss",
    "the Harbour Workers' Union",
    "prosecutor Yusuf Albrecht",
];
const VAGUE: &[&str] = &[
    "sources",
    "critics",
    "insiders",
    "some officials",
    "people close to the mayor",
    "several staff members",
    "many residents",
    "observers",
];
const TARGETS: &[&str] = &[
    "the deputy mayor",
    "the port operator",
    "the contractor",
    "the transport minister",
    "the council's finance chief",
    "the ferry company",
    "the police commissioner",
    "the governor's office",
    "the tender committee",
    "the energy regulator",
    "the customs chief",
    "the stadium developer",
];
/// Wrongdoing in the past tense, as a bare claim ("X bribed inspectors").
const DEEDS: &[&str] = &[
    "bribed the inspectors",
    "smuggled fuel through the harbour",
    "rigged the tender for the new bridge",
    "laundered money through shell companies",
    "hid the audit from the council",
    "falsified the safety reports",
    "threatened a witness",
    "took kickbacks on the paving contracts",
    "covered up the spill at the refinery",
    "paid off the zoning board",
    "leaked the exam papers",
    "stole money from the pension fund",
    "lied to parliament about the contract",
    "forged the permits",
];
/// The same wrongdoing as a gerund, for "accused X of ...".
const DEEDS_ING: &[&str] = &[
    "bribing the inspectors",
    "smuggling fuel through the harbour",
    "rigging the tender",
    "laundering money through shell companies",
    "hiding the audit from the council",
    "falsifying safety reports",
    "taking kickbacks",
    "covering up the spill",
    "paying off the zoning board",
    "forging the permits",
];
const STAFF: &[&str] = &[
    "Priya", "Marco", "Jonas", "Aiko", "Fatima", "Ben", "Lucía", "Sven", "Noor", "Kofi",
];
const STORIES: &[&str] = &[
    "bridge", "budget", "ferry", "stadium", "harbour", "transit", "schools", "flood", "election",
    "housing",
];
const EMOJI: &[&str] = &["👍", "🙏", "😅", "☕", "🔥", "👀", "✅", "🤷"];
const DAYS: &[&str] = &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];

/// Fills `{slot}`s of a template from the word lists above.
fn fill(rng: &mut Rng, template: &str) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = open + rest[open..].find('}').expect("template slots are closed");
        let slot = &rest[open + 1..close];
        let word = match slot {
            "named" => rng.pick(NAMED),
            "vague" => rng.pick(VAGUE),
            "target" => rng.pick(TARGETS),
            "deed" => rng.pick(DEEDS),
            "deed_ing" => rng.pick(DEEDS_ING),
            "staff" => rng.pick(STAFF),
            "story" => rng.pick(STORIES),
            "emoji" => rng.pick(EMOJI),
            "day" => rng.pick(DAYS),
            "n" => {
                let n = 2 + rng.below(9);
                out.push_str(&n.to_string());
                rest = &rest[close + 1..];
                continue;
            }
            other => panic!("unknown template slot {other:?}"),
        };
        out.push_str(word);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

const CHATTER: &[&str] = &[
    "can someone grab photos for the {story} piece before 5?",
    "{staff} is on the desk tonight, ping them for late edits",
    "the {story} story is filed, subbing it now",
    "lunch order goes out in ten minutes, shout if you want anything {emoji}",
    "wifi on the third floor is down again",
    "who has the password for the wire archive?",
    "I think the {story} headline is too long for mobile",
    "great work on the {story} liveblog today {emoji}",
    "need {n}00 more words on the {story} explainer by six",
    "moving the {story} piece to tomorrow's front, it needs another read",
    "{staff}, can you check the spelling of the councillor's name in para {n}?",
    "thanks {staff}!",
    "the printer by the lifts is jammed, IT is on it",
    "standup is at 10:30 on {day}, same room as last week",
    "does anyone know when the {story} embargo lifts?",
    "imo the {story} graphic reads better without the legend",
    "please file expenses by Friday, finance is chasing",
    "we're a photo short on the {story} gallery, any ideas?",
    "the {story} video is live on the homepage {emoji}",
    "ok pushing the newsletter now",
    "reminder: the style guide says per cent, two words",
    "heading out to the {story} presser, back by {n}",
    "nice catch on that correction, {staff}",
    "can we get a second pair of eyes on the {story} copy?",
];

const ATTRIBUTED: &[&str] = &[
    "{named} said {target} {deed}.",
    "According to {named}, {target} {deed}.",
    "{target} {deed}, {named} told reporters on {day}.",
    "{named} accused {target} of {deed_ing} in a statement on {day}.",
    "In an interview, {named} alleged that {target} {deed}.",
    "{named} claims {target} {deed} — we have it on tape.",
    "per {named}, {target} {deed}",
];

const VAGUELY_SOURCED: &[&str] = &[
    "{vague} say {target} {deed}.",
    "{target} allegedly {deed}.",
    "{target} is accused of {deed_ing}.",
    "reportedly {target} {deed}",
    "{vague} told us {target} {deed}, still checking",
    "{target} is said to have {deed}.",
];

const BARE: &[&str] = &[
    "{target} {deed}.",
    "so {target} {deed} lol",
    "everyone knows {target} {deed}",
    "{target} {deed} and nobody is talking about it {emoji}",
    "fwiw {target} {deed} last year too",
];

/// A sentence restating a generated topic's allegation in chat words, e.g. "kalomi's
/// people have been bribing officials at the harbour".
fn restating(rng: &mut Rng, topics: usize) -> String {
    let i = rng.below(topics.max(1));
    let verb = rng.pick(&[
        "bribing",
        "smuggling",
        "hacking",
        "laundering",
        "sabotaging",
        "funding",
    ]);
    let object = rng.pick(&[
        "officials",
        "weapons",
        "ballots",
        "cash",
        "fuel",
        "documents",
        "migrants",
    ]);
    let actor = rng.pick(&["moscow", "the kremlin", "beijing", "the army", "the cartel"]);
    let template = rng.pick(&[
        "{name}'s people have been {verb} {object} at the {place} with {actor}'s help",
        "{actor} is behind the {name} {place} mess, {verb} {object} for months",
        "apparently {name} was {verb} {object} through the {place} again",
    ]);
    template
        .replace("{name}", &topic_name(i))
        .replace("{place}", PLACES[i % PLACES.len()])
        .replace("{verb}", verb)
        .replace("{object}", object)
        .replace("{actor}", actor)
}

/// Decorations chat adds around prose: a markdown emphasis, a link, a reply fallback.
fn decorate(rng: &mut Rng, mut message: String) -> String {
    match rng.below(20) {
        0 => format!("**{message}**"),
        1 => {
            message.push_str(" https://news.example/");
            message.push_str(rng.pick(STORIES));
            message.push_str("?ref=chat");
            message
        }
        2 => {
            // A Matrix reply: the quoted fallback of the message replied to, then the reply.
            let quoted = rng.pick(CHATTER);
            let quoted = fill(rng, quoted);
            format!(
                "> <@{}:newsroom.example> {quoted}\n\n{message}",
                rng.pick(STAFF).to_lowercase()
            )
        }
        _ => message,
    }
}

/// `count` chat messages of `MESSAGE_BYTES` bytes each, deterministic for a `seed`.
///
/// About 60% chatter, 15% attributed allegations, 12% vaguely sourced ones and 13% bare
/// ones; a message has one to three sentences, and one in ten allegation sentences restates
/// an allegation of the generated knowledge file with `topics` topics (see
/// [`knowledge_text`]), so the matcher has candidates to check at every file size.
pub fn chat_messages(count: usize, topics: usize, seed: u64) -> Vec<(MessageKind, String)> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let kind = match rng.below(100) {
            0..60 => MessageKind::Chatter,
            60..75 => MessageKind::Attributed,
            75..87 => MessageKind::Vague,
            _ => MessageKind::Bare,
        };
        let sentences = 1 + rng.below(3);
        let mut message = String::new();
        for s in 0..sentences {
            // The first sentence carries the kind; the rest are chatter around it.
            let sentence = if s > 0 || kind == MessageKind::Chatter {
                let template = rng.pick(CHATTER);
                fill(&mut rng, template)
            } else if topics > 0 && kind != MessageKind::Attributed && rng.chance(10) {
                restating(&mut rng, topics)
            } else {
                let from = match kind {
                    MessageKind::Attributed => ATTRIBUTED,
                    MessageKind::Vague => VAGUELY_SOURCED,
                    _ => BARE,
                };
                let template = rng.pick(from);
                fill(&mut rng, template)
            };
            if !message.is_empty() {
                message.push(' ');
            }
            message.push_str(&sentence);
        }
        let message = decorate(&mut rng, message);
        if MESSAGE_BYTES.contains(&message.len()) {
            out.push((kind, message));
        }
    }
    out
}

/// A hostile or unlucky message shape, built at any size: the cases a checker must stay
/// linear on (issue 4's "worst cases").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorstCase {
    /// Chat messages run together into one.
    ChatRunTogether,
    /// One cue word over and over.
    Repeated(&'static str),
    /// A claim inside many “curly quotes”.
    NestedCurlyQuotes,
    /// A claim inside many "straight quotes".
    NestedStraightQuotes,
    /// Four lines of deeply nested `>` reply quotes.
    NestedReplyQuotes,
    /// A claim inside many layers of markdown.
    NestedMarkdown,
}

impl WorstCase {
    /// Every case, with the cue words that exercise the vague-source ("allegedly",
    /// "critics say"), reporting-verb ("said") and allegation ("bribed") rules.
    pub const ALL: [WorstCase; 9] = [
        WorstCase::ChatRunTogether,
        WorstCase::Repeated("allegedly"),
        WorstCase::Repeated("critics say"),
        WorstCase::Repeated("said"),
        WorstCase::Repeated("bribed"),
        WorstCase::NestedCurlyQuotes,
        WorstCase::NestedStraightQuotes,
        WorstCase::NestedReplyQuotes,
        WorstCase::NestedMarkdown,
    ];

    /// A short name for reports.
    pub fn label(&self) -> String {
        match self {
            WorstCase::ChatRunTogether => "chat messages run together".into(),
            WorstCase::Repeated(words) => format!("'{words} ' repeated"),
            WorstCase::NestedCurlyQuotes => "nested \u{201c}quotes\u{201d} around a claim".into(),
            WorstCase::NestedStraightQuotes => "nested \"quotes\" around a claim".into(),
            WorstCase::NestedReplyQuotes => "nested > reply quotes, 4 lines".into(),
            WorstCase::NestedMarkdown => "nested **_~~`[markdown]`~~_**".into(),
        }
    }

    /// A name for benchmark ids and command lines: lowercase, hyphens, no spaces.
    pub fn slug(&self) -> String {
        match self {
            WorstCase::ChatRunTogether => "chat-run-together".into(),
            WorstCase::Repeated(words) => format!("{}-repeated", words.replace(' ', "-")),
            WorstCase::NestedCurlyQuotes => "nested-curly-quotes".into(),
            WorstCase::NestedStraightQuotes => "nested-straight-quotes".into(),
            WorstCase::NestedReplyQuotes => "nested-reply-quotes".into(),
            WorstCase::NestedMarkdown => "nested-markdown".into(),
        }
    }

    /// The message at about `bytes` bytes; `chat` supplies the messages
    /// [`ChatRunTogether`](WorstCase::ChatRunTogether) runs together (e.g. from
    /// [`chat_messages`]).
    pub fn message(&self, bytes: usize, chat: &[(MessageKind, String)]) -> String {
        match *self {
            WorstCase::ChatRunTogether => {
                let mut m = String::with_capacity(bytes + 400);
                for (_, c) in chat.iter().cycle() {
                    if m.len() >= bytes {
                        break;
                    }
                    m.push_str(c);
                    m.push(' ');
                }
                m
            }
            WorstCase::Repeated(words) => format!("{words} ").repeat(bytes / (words.len() + 1)),
            WorstCase::NestedCurlyQuotes => {
                let n = bytes / 6;
                format!("{}he lied{}", "\u{201c}".repeat(n), "\u{201d}".repeat(n))
            }
            WorstCase::NestedStraightQuotes => {
                let n = bytes / 4;
                format!("{}he lied{}", "\" ".repeat(n), " \"".repeat(n))
            }
            WorstCase::NestedReplyQuotes => {
                format!("{}the minister lied\n", "> ".repeat(bytes / 8)).repeat(4)
            }
            WorstCase::NestedMarkdown => {
                let n = bytes / 14;
                format!(
                    "{}the minister lied{}",
                    "**_~~`[".repeat(n),
                    "]`~~_**".repeat(n)
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_deterministic_and_chat_length() {
        let a = chat_messages(2_000, 100, 7);
        assert_eq!(a, chat_messages(2_000, 100, 7));
        assert!(a.iter().all(|(_, m)| MESSAGE_BYTES.contains(&m.len())));
        assert!(a.iter().all(|(_, m)| !m.contains('{')));
        for kind in [
            MessageKind::Chatter,
            MessageKind::Attributed,
            MessageKind::Vague,
            MessageKind::Bare,
        ] {
            assert!(a.iter().any(|(k, _)| *k == kind), "{kind:?} missing");
        }
    }

    #[test]
    fn generated_knowledge_file_is_valid() {
        let kb = crate::KnowledgeBase::parse("synthetic.toml", &knowledge_text(50))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(kb.topics().len(), 50);
        assert_eq!(kb.allegations().count(), 150);
        assert_eq!(kb.topics()[3].slug, topic_slug(3));
    }

    #[test]
    fn worst_cases_come_out_near_the_asked_size() {
        let chat = chat_messages(50, 10, 7);
        for case in WorstCase::ALL {
            let message = case.message(10_000, &chat);
            assert!(
                (9_000..=12_000).contains(&message.len()),
                "{}: {} bytes",
                case.label(),
                message.len()
            );
        }
        assert_eq!(
            WorstCase::Repeated("said").message(20, &chat),
            "said said said said "
        );
    }
}
