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
//! examples = ["he allegedly lied"]      # optional: sentences the rule must match
//! ```
//!
//! Terms may also inflect (`[take]`), hold a slot for a word class (`{money}`, defined in a
//! `[[class]]` table) or a gap (`~`): see `pattern` for the syntax.
//!
//! Terms match whole words, case-insensitively (ASCII), with `'` also matching `’`. Every
//! term of every rule is compiled into one Aho-Corasick automaton per lexicon, so finding all
//! rule hits in a message is a single pass over it.
//!
//! The closed-class words the checker's sentence tests consult (question openers,
//! determiners, clause words, abbreviations) are data too, in `lexicons/grammar.toml`: see
//! `grammar`.

mod dictionary;
mod forms;
mod grammar;
mod parse;
mod pattern;
mod scan;

use std::sync::Arc;

use serde::Serialize;

use crate::location::LocatedErrors;
use crate::verdict::Verdict;

pub use dictionary::is_common_word;
pub use grammar::{EMBEDDED_GRAMMAR, Grammar, WordSet};
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
    /// Words that name someone who can be accused: a role, an organisation, a pronoun.
    Party,
    /// Words that make what follows hypothetical: "if", "assuming", "whether".
    Conditional,
    /// A noun that makes the wrongdoing word right before it a topic: "fraud trial",
    /// "bribery law", "doping tribunal".
    TopicNoun,
}

impl RuleKind {
    pub const ALL: [RuleKind; 16] = [
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
        RuleKind::Party,
        RuleKind::Conditional,
        RuleKind::TopicNoun,
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
            RuleKind::Party => "party",
            RuleKind::Conditional => "conditional",
            RuleKind::TopicNoun => "topic-noun",
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
    /// Sentences the rule is written to match, checked by the tests (optional; editors
    /// add them to show what a rule is for).
    pub examples: Vec<String>,
    /// Where the rule was defined, `file:line`.
    pub origin: String,
    /// The file the rule comes from, and each term's line and column in it (for problems
    /// found only once every file is loaded, such as an unknown class).
    #[serde(skip)]
    pub(crate) file: String,
    #[serde(skip)]
    pub(crate) term_places: Vec<(usize, usize)>,
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

/// A named set of words that a `{name}` slot in a term matches ("money": cash, bribe,
/// envelope, ...). Each term matches in all its forms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WordClass {
    pub name: String,
    /// Lowercase words or phrases (lemmas).
    pub terms: Vec<String>,
    /// Where the class was defined, `file:line`.
    pub origin: String,
}

/// Compiled lexicon rules: the rules, their word classes and one automaton over all their
/// terms.
#[derive(Debug, Clone)]
pub struct Lexicon {
    rules: Vec<Rule>,
    classes: Vec<WordClass>,
    scanner: Arc<scan::Scanner>,
}

/// The lexicon files compiled into the binary, in load order.
pub const EMBEDDED: [(&str, &str); 7] = [
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
        "lexicons/wrongdoing.toml",
        include_str!("../lexicons/wrongdoing.toml"),
    ),
    (
        "lexicons/phrasal.toml",
        include_str!("../lexicons/phrasal.toml"),
    ),
    (
        "lexicons/parties.toml",
        include_str!("../lexicons/parties.toml"),
    ),
    (
        "lexicons/neutral.toml",
        include_str!("../lexicons/neutral.toml"),
    ),
];

impl Lexicon {
    /// The lexicons embedded in the binary, compiled once per process (the automaton over
    /// every term and form takes a while to build) and shared.
    pub fn embedded() -> Lexicon {
        static EMBEDDED_LEXICON: std::sync::OnceLock<Lexicon> = std::sync::OnceLock::new();
        EMBEDDED_LEXICON
            .get_or_init(|| {
                Lexicon::embedded_with(&[])
                    .unwrap_or_else(|e| panic!("embedded lexicon is invalid:\n{e}"))
            })
            .clone()
    }

    /// Parses and validates one lexicon file. `origin` names the file in error messages.
    pub fn parse(origin: &str, text: &str) -> Result<Lexicon, LocatedErrors> {
        let file = parse::parse(origin, text)?;
        Lexicon::build(file.rules, file.classes)
    }

    /// The embedded lexicons with editor-supplied files laid over them, in order: a rule
    /// (or class) whose id (name) is already defined replaces it, a new one is added.
    pub fn embedded_with(files: &[(&str, &str)]) -> Result<Lexicon, LocatedErrors> {
        let mut rules = Vec::new();
        let mut classes = Vec::new();
        let mut errors = Vec::new();
        for (origin, text) in EMBEDDED.iter().chain(files) {
            match parse::parse(origin, text) {
                Ok(file) => {
                    merge_rules(&mut rules, file.rules);
                    merge_classes(&mut classes, file.classes);
                }
                Err(e) => errors.extend(e.0),
            }
        }
        if errors.is_empty() {
            Lexicon::build(rules, classes)
        } else {
            Err(LocatedErrors(errors))
        }
    }

    /// This lexicon with `overrides` laid over it: same id replaces, new ids are added.
    pub fn merged(&self, overrides: &Lexicon) -> Lexicon {
        let mut rules = self.rules.clone();
        let mut classes = self.classes.clone();
        merge_rules(&mut rules, overrides.rules.iter().cloned());
        merge_classes(&mut classes, overrides.classes.iter().cloned());
        Lexicon::build(rules, classes).expect("two valid lexicons merge into a valid one")
    }

    /// Compiles the automaton; fails when a term names a class that no file defines.
    fn build(rules: Vec<Rule>, classes: Vec<WordClass>) -> Result<Lexicon, LocatedErrors> {
        let scanner = scan::Scanner::new(&rules, &classes).map_err(|problems| {
            let located = problems.into_iter().map(|(rule, term, message)| {
                let rule = &rules[rule];
                let (line, column) = rule.term_places.get(term).copied().unwrap_or((0, 0));
                crate::location::Located {
                    origin: rule.file.clone(),
                    line,
                    column,
                    message,
                }
            });
            LocatedErrors(located.collect()).sorted()
        })?;
        Ok(Lexicon {
            rules,
            classes,
            scanner: Arc::new(scanner),
        })
    }

    pub fn classes(&self) -> &[WordClass] {
        &self.classes
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

/// Lays `overrides` over `classes`: a class whose name is already defined is replaced.
fn merge_classes(classes: &mut Vec<WordClass>, overrides: impl IntoIterator<Item = WordClass>) {
    for class in overrides {
        match classes.iter_mut().find(|c| c.name == class.name) {
            Some(existing) => *existing = class,
            None => classes.push(class),
        }
    }
}

#[cfg(test)]
mod tests;
