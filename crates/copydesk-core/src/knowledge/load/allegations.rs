//! Reading a topic's `[[topic.allegation]]` entries: who made each claim, its status and
//! the terms that recognise it restated.

use crate::knowledge::fields::{Fields, Problems, Span};
use crate::knowledge::matcher::{self, MAX_GROUPS};
use crate::knowledge::{Allegation, AllegationStatus, Person};

use super::topics::{check_citation, id_field};

const ALLEGATION_FIELDS: &[&str] = &[
    "id",
    "claim",
    "made_by",
    "source",
    "status",
    "match_all",
    "attributed",
];
const PERSON_FIELDS: &[&str] = &["name", "role"];

pub(super) fn read_allegations(
    t: &Fields,
    p: &mut Problems,
    known: &[&str],
) -> Vec<Option<Allegation>> {
    let mut seen: Vec<(String, Span)> = Vec::new();
    t.tables(p, "allegation", "[[topic.allegation]]", "allegation", ALLEGATION_FIELDS)
        .iter()
        .map(|a| {
            a.finish(p);
            let id = id_field(a, p, "allegation id", &mut seen);
            let claim = a.text(p, "claim");
            let made_by = read_person(a, p);
            let source = a
                .text(p, "source")
                .filter(|s| check_citation(p, "allegation", s, known));
            let status = a.text(p, "status").and_then(|s| {
                let status = parse_status(s.get_ref());
                if status.is_none() {
                    p.report(
                        s.span(),
                        format!(
                            "unknown status \"{}\"; use one of unproven, denied, disputed, confirmed, retracted",
                            s.get_ref()
                        ),
                    );
                }
                status
            });
            let match_all = read_match_all(a, p);
            let attributed = a.text(p, "attributed");
            Some(Allegation {
                id: id?,
                claim: claim?.into_inner(),
                made_by: made_by?,
                source: source?.into_inner(),
                status: status?,
                match_all: match_all?,
                attributed: attributed?.into_inner(),
            })
        })
        .collect()
}

fn read_person(a: &Fields, p: &mut Problems) -> Option<Person> {
    let person = a.table(p, "made_by", "made_by", PERSON_FIELDS)?;
    person.finish(p);
    let name = person.text(p, "name");
    let role = person.text(p, "role");
    Some(Person {
        name: name?.into_inner(),
        role: role?.into_inner(),
    })
}

fn parse_status(s: &str) -> Option<AllegationStatus> {
    Some(match s {
        "unproven" => AllegationStatus::Unproven,
        "denied" => AllegationStatus::Denied,
        "disputed" => AllegationStatus::Disputed,
        "confirmed" => AllegationStatus::Confirmed,
        "retracted" => AllegationStatus::Retracted,
        _ => return None,
    })
}

/// `match_all = [["russia*", "moscow"], ["smuggl*"]]`: a non-empty array of non-empty
/// groups of valid terms.
fn read_match_all(a: &Fields, p: &mut Problems) -> Option<Vec<Vec<String>>> {
    const EXAMPLE: &str = "[[\"russia*\", \"moscow\"], [\"smuggl*\", \"traffick*\"]]";
    let value = a.required(p, "match_all", EXAMPLE)?;
    let Some(groups) = value.get_ref().as_array() else {
        p.report(
            value.span(),
            format!("match_all must be an array of term groups, like {EXAMPLE}"),
        );
        return None;
    };
    if groups.is_empty() || groups.len() > MAX_GROUPS {
        p.report(
            value.span(),
            format!("match_all needs between 1 and {MAX_GROUPS} groups of terms, like {EXAMPLE}"),
        );
        return None;
    }
    let mut ok = true;
    let mut out = Vec::with_capacity(groups.len());
    for group in groups.iter() {
        let Some(terms) = group.get_ref().as_array() else {
            p.report(
                group.span(),
                "each match_all group must be an array of terms, like [\"smuggl*\", \"traffick*\"]",
            );
            ok = false;
            continue;
        };
        if terms.is_empty() {
            p.report(
                group.span(),
                "empty match group; add at least one term or remove the group",
            );
            ok = false;
            continue;
        }
        let mut kept = Vec::with_capacity(terms.len());
        for term in terms.iter() {
            let Some(raw) = term.get_ref().as_str() else {
                p.report(
                    term.span(),
                    format!(
                        "match terms must be strings, not {}",
                        term.get_ref().type_str()
                    ),
                );
                ok = false;
                continue;
            };
            match matcher::check_term(raw) {
                Ok(_) => kept.push(raw.trim().to_owned()),
                Err(message) => {
                    p.report(term.span(), message);
                    ok = false;
                }
            }
        }
        out.push(kept);
    }
    ok.then_some(out)
}
