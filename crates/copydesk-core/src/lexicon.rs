//! Lexicons as data: reporting verbs, hedges, vague-source phrases and allegation
//! vocabulary, each rule with a message and a severity, loaded from TOML and validated.
//!
//! A lexicon file is a list of `[[rule]]` tables (Vale-style: rules are data, editors add
//! them without a compile step):
//!
//! ```toml
//! [[rule]]
//! id = "hedge-adverb"             # unique; an editor's rule with the same id replaces ours
//! kind = "hedge"                  # how the checker uses the rule, see `RuleKind`
//! severity = "weak"               # verdict the rule gives when it decides a sentence
//! message = "'{match}' hides who makes the claim: name the source."
//! terms = ["allegedly", "reported*"]   # words or phrases; a trailing `*` matches any ending
//! exceptions = ["reportedly said"]     # phrases in which a term does not count
//! ```
//!
//! Terms match whole words, case-insensitively (ASCII), with `'` also matching `’`. Every
//! term of every rule is compiled into one Aho-Corasick automaton per lexicon, so finding all
//! rule hits in a message is a single pass over it.

mod parse;
mod scan;

use std::sync::Arc;

use serde::Serialize;

use crate::checker::Verdict;
use crate::location::LocatedErrors;

pub use scan::Hit;

/// How the checker uses a rule's hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    /// A verb of saying or accusing whose subject is the source: "said", "told", "accused".
    ReportingVerb,
    /// A verb that labels or assesses rather than reports ("called", "described",
    /// "found"): its subject is a source like a reporting verb's, but a vague subject
    /// ("critics called it bold") only matters when the words are an allegation.
    CharacterizingVerb,
    /// A phrase that introduces its source: "according to", "in a statement", "per".
    AttributionPattern,
    /// A hedge adverb that hides the source: "allegedly", "reportedly".
    Hedge,
    /// An unnamed source on its own: "critics", "sources", "experts", "reports suggest".
    VagueSource,
    /// A quantifier that makes a reporting verb's subject vague only when it is that
    /// subject: "some", "several", "many" ("several staff members said").
    VagueSubject,
    /// A passive with no agent: "is accused of", "is said to", "faced accusations".
    AgentlessPassive,
    /// Wrongdoing, blame, crime or deception vocabulary: what makes a sentence an
    /// allegation.
    AllegationTerm,
    /// A negation that defuses an allegation term right after it: "not", "never".
    Negation,
    /// Newsroom logistics, requests and plans: the sentence is not a claim.
    Neutral,
    /// The writer marks the words as their own opinion: "I think", "imo".
    Opinion,
    /// An official act that settles or reports a fact on record: "was convicted",
    /// "pleaded guilty", "was fined".
    OfficialRecord,
    /// Words that introduce a name in quotation marks: "known as", "the song".
    Naming,
}

impl RuleKind {
    pub const ALL: [RuleKind; 13] = [
        RuleKind::ReportingVerb,
        RuleKind::CharacterizingVerb,
        RuleKind::AttributionPattern,
        RuleKind::Hedge,
        RuleKind::VagueSource,
        RuleKind::VagueSubject,
        RuleKind::AgentlessPassive,
        RuleKind::AllegationTerm,
        RuleKind::Negation,
        RuleKind::Neutral,
        RuleKind::Opinion,
        RuleKind::OfficialRecord,
        RuleKind::Naming,
    ];

    /// Kinds whose hits can raise an alarm; such a rule with severity `ok` is switched off.
    pub fn is_alarm(self) -> bool {
        matches!(
            self,
            RuleKind::Hedge
                | RuleKind::VagueSource
                | RuleKind::VagueSubject
                | RuleKind::AgentlessPassive
                | RuleKind::AllegationTerm
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::ReportingVerb => "reporting-verb",
            RuleKind::CharacterizingVerb => "characterizing-verb",
            RuleKind::AttributionPattern => "attribution-pattern",
            RuleKind::Hedge => "hedge",
            RuleKind::VagueSource => "vague-source",
            RuleKind::VagueSubject => "vague-subject",
            RuleKind::AgentlessPassive => "agentless-passive",
            RuleKind::AllegationTerm => "allegation-term",
            RuleKind::Negation => "negation",
            RuleKind::Neutral => "neutral",
            RuleKind::Opinion => "opinion",
            RuleKind::OfficialRecord => "official-record",
            RuleKind::Naming => "naming",
        }
    }
}

impl std::str::FromStr for RuleKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RuleKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = RuleKind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown kind {s:?} (expected one of {})", names.join(", "))
            })
    }
}

/// One validated rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub id: String,
    pub kind: RuleKind,
    pub severity: Verdict,
    /// What an editor reads; `{match}` is replaced by the words that triggered the rule.
    pub message: String,
    /// Lowercase words or phrases; a trailing `*` matches any word ending.
    pub terms: Vec<String>,
    /// Phrases in which a term of this rule does not count.
    pub exceptions: Vec<String>,
    /// Where the rule was defined, `file:line`.
    pub origin: String,
}

impl Rule {
    /// The rule's message with `{match}` filled in.
    pub fn message_for(&self, matched: &str) -> String {
        // The same as `replace("{match}", ...)`, which sets up a substring searcher on every
        // call; this runs for every finding of every checked sentence.
        let matched = matched.trim();
        let mut out = String::with_capacity(self.message.len() + matched.len());
        let mut rest = self.message.as_str();
        while let Some(at) = rest.find('{') {
            let (before, from_brace) = rest.split_at(at);
            out.push_str(before);
            if let Some(after) = from_brace.strip_prefix("{match}") {
                out.push_str(matched);
                rest = after;
            } else {
                out.push('{');
                rest = &from_brace[1..];
            }
        }
        out.push_str(rest);
        out
    }
}

/// Compiled lexicon rules: the rules and one automaton over all their terms.
#[derive(Debug, Clone)]
pub struct Lexicon {
    rules: Vec<Rule>,
    scanner: Arc<scan::Scanner>,
}

/// The lexicon files compiled into the binary, in load order.
pub const EMBEDDED: [(&str, &str); 4] = [
    (
        "lexicons/attribution.toml",
        include_str!("../lexicons/attribution.toml"),
    ),
    (
        "lexicons/vague.toml",
        include_str!("../lexicons/vague.toml"),
    ),
    (
        "lexicons/allegation.toml",
        include_str!("../lexicons/allegation.toml"),
    ),
    (
        "lexicons/neutral.toml",
        include_str!("../lexicons/neutral.toml"),
    ),
];

impl Lexicon {
    /// The lexicons embedded in the binary.
    pub fn embedded() -> Lexicon {
        Lexicon::from_rules(embedded_rules())
    }

    /// Parses and validates one lexicon file. `origin` names the file in error messages.
    pub fn parse(origin: &str, text: &str) -> Result<Lexicon, LocatedErrors> {
        parse::parse(origin, text).map(Lexicon::from_rules)
    }

    /// The embedded lexicons with editor-supplied files laid over them, in order: a rule
    /// whose id is already defined replaces it, a new id adds a rule.
    pub fn embedded_with(files: &[(&str, &str)]) -> Result<Lexicon, LocatedErrors> {
        let mut rules = embedded_rules();
        let mut errors = Vec::new();
        for (origin, text) in files {
            match parse::parse(origin, text) {
                Ok(file) => merge_rules(&mut rules, file),
                Err(e) => errors.extend(e.0),
            }
        }
        if errors.is_empty() {
            Ok(Lexicon::from_rules(rules))
        } else {
            Err(LocatedErrors(errors))
        }
    }

    /// This lexicon with `overrides` laid over it: same id replaces, new ids are added.
    pub fn merged(&self, overrides: &Lexicon) -> Lexicon {
        let mut rules = self.rules.clone();
        merge_rules(&mut rules, overrides.rules.iter().cloned());
        Lexicon::from_rules(rules)
    }

    fn from_rules(rules: Vec<Rule>) -> Lexicon {
        let scanner = Arc::new(scan::Scanner::new(&rules));
        Lexicon { rules, scanner }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Every rule hit in `text`, exceptions applied, sorted by start (then longest first).
    /// One pass of the automaton over `text`.
    pub fn scan(&self, text: &str) -> Vec<Hit> {
        self.scanner.scan(text)
    }

    /// The rule a hit belongs to.
    pub fn rule_of(&self, hit: &Hit) -> &Rule {
        &self.rules[hit.rule]
    }
}

/// The rules of the embedded lexicon files, merged in order. Building the automaton is the
/// costly part of a lexicon, so it is built once over the merged rules, not once per file.
fn embedded_rules() -> Vec<Rule> {
    let mut rules = Vec::new();
    for (origin, text) in EMBEDDED {
        let file = parse::parse(origin, text)
            .unwrap_or_else(|e| panic!("embedded lexicon is invalid:\n{e}"));
        merge_rules(&mut rules, file);
    }
    rules
}

/// Lays `overrides` over `rules`: a rule whose id is already defined replaces it, a new id
/// is added.
fn merge_rules(rules: &mut Vec<Rule>, overrides: impl IntoIterator<Item = Rule>) {
    for rule in overrides {
        match rules.iter_mut().find(|r| r.id == rule.id) {
            Some(existing) => *existing = rule,
            None => rules.push(rule),
        }
    }
}

#[cfg(test)]
mod tests;
