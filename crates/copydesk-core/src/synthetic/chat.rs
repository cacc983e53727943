//! Chat corpora: newsroom chatter, attributed, vaguely sourced and bare allegations.

use super::{PLACES, Rng, topic_name};

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
/// [`knowledge_text`](super::knowledge_text)), so the matcher has candidates to check at
/// every file size.
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
}
