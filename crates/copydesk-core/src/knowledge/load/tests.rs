//! Loading the knowledge file: what is kept, and how each problem is reported.

use super::pieces::{PIECES_PER_THREAD, topic_header_offsets};
use super::topics::url_problem;
use super::*;
use crate::fixtures::{EXAMPLE_KNOWLEDGE as EXAMPLE, example_knowledge};
use crate::knowledge::AllegationStatus;

/// A small valid file; tests break one thing in it at a time.
const GOOD: &str = r#"[[topic]]
slug = "harbour-strike"
title = "Harbour strike"
aliases = ["docks", "Port Strike"]
summary = "Dock workers walked out."
updated = 2025-02-01
review_every = "6 months"

  [[topic.source]]
  id = "gazette"
  outlet = "Harbour Gazette"
  title = "Dock workers walk out"
  url = "https://gazette.example/strike"
  date = 2025-02-01

  [[topic.fact]]
  text = "Dock workers walked out on 1 February."
  sources = ["gazette"]

  [[topic.allegation]]
  id = "owner-lockout"
  claim = "The port owner locked the workers out."
  made_by = { name = "Ada Quay", role = "the dockers' union leader" }
  source = "gazette"
  status = "disputed"
  match_all = [["owner*", "management"], ["lock out", "locked out", "lockout"]]
  attributed = "The union leader, Ada Quay, said the owner locked workers out; the owner disputes it."

[[topic]]
slug = "ferry-fares"
title = "Ferry fares"
summary = "Fares rose in spring."
updated = 2025-03-01
"#;

fn load(text: &str) -> KnowledgeBase {
    KnowledgeBase::parse("k.toml", text).unwrap_or_else(|e| panic!("{e}"))
}

/// Every problem in `text`, one `k.toml:line:column: message` per entry.
fn problems(text: &str) -> Vec<String> {
    match KnowledgeBase::parse("k.toml", text) {
        Ok(_) => panic!("expected problems in:\n{text}"),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

/// `GOOD` with `from` (which must occur exactly once) replaced by `to`.
fn good_with(from: &str, to: &str) -> String {
    assert_eq!(GOOD.matches(from).count(), 1, "{from:?} should occur once");
    GOOD.replace(from, to)
}

#[test]
fn example_file_loads_with_the_bulgaria_topic_first() {
    let kb = example_knowledge();
    assert!(kb.topics().len() >= 6);
    let first = &kb.topics()[0];
    assert_eq!(first.slug, "bulgaria-schengen");
    let ids: Vec<&str> = first.allegations.iter().map(|a| a.id.as_str()).collect();
    for id in [
        "russia-intelligence-smugglers",
        "russia-coaching-deportation",
        "ngos-useful-idiots",
    ] {
        assert!(ids.contains(&id), "missing allegation {id}");
    }
    for a in &first.allegations {
        assert_eq!(a.made_by.name, "Daniel Mitov");
        assert_eq!(first.source(&a.source).unwrap().outlet, "The Times");
    }
}

#[test]
fn example_file_has_stale_and_fresh_topics_on_2026_11_26() {
    let kb = example_knowledge();
    let today = jiff::civil::date(2026, 11, 26);
    let stale: Vec<&str> = kb
        .topics()
        .iter()
        .filter(|t| t.is_stale(today))
        .map(|t| t.slug.as_str())
        .collect();
    assert!(!stale.is_empty());
    assert!(stale.len() < kb.topics().len());
    assert!(!stale.contains(&"bulgaria-schengen"));
}

#[test]
fn good_file_keeps_every_field() {
    let kb = load(GOOD);
    let topic = &kb.topics()[0];
    assert_eq!(topic.aliases, ["docks", "Port Strike"]);
    assert_eq!(topic.updated, jiff::civil::date(2025, 2, 1));
    assert_eq!(topic.review_due(), Some(jiff::civil::date(2025, 8, 1)));
    assert_eq!(topic.sources[0].url, "https://gazette.example/strike");
    assert_eq!(topic.facts[0].sources, ["gazette"]);
    let allegation = &topic.allegations[0];
    assert_eq!(allegation.status, AllegationStatus::Disputed);
    assert_eq!(allegation.made_by.role, "the dockers' union leader");
    assert_eq!(
        allegation.match_all[1],
        ["lock out", "locked out", "lockout"]
    );
    assert!(kb.topics()[1].review_every.is_none());
}

#[test]
fn version_is_twelve_hex_digits_that_follow_the_text() {
    let a = load(GOOD);
    let b = load(&format!("{GOOD}# edited\n"));
    assert_eq!(a.version().len(), 12);
    assert!(a.version().bytes().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(a.version(), load(GOOD).version());
    assert_ne!(a.version(), b.version());
}

#[test]
fn empty_file_is_an_empty_knowledge_base() {
    assert!(load("").topics().is_empty());
    assert!(load("# nothing yet\n").topics().is_empty());
}

#[test]
fn syntax_error_becomes_one_line_with_its_position() {
    let text = good_with("title = \"Ferry fares\"", "title = \"Ferry fares");
    assert_eq!(
        problems(&text),
        ["k.toml:31:21: invalid basic string, expected `\"`"]
    );
}

#[test]
fn missing_required_field_points_at_its_table() {
    let text = good_with("title = \"Harbour strike\"\n", "");
    assert_eq!(
        problems(&text),
        ["k.toml:1:1: topic is missing required field \"title\"; add title = \"...\""]
    );
}

#[test]
fn unknown_field_suggests_the_closest_known_one() {
    let text = good_with("  sources = [\"gazette\"]", "  sorces = [\"gazette\"]");
    assert_eq!(
        problems(&text),
        [
            "k.toml:16:3: fact is missing required field \"sources\"; add sources = [\"...\"]",
            "k.toml:18:3: unknown field \"sorces\" in fact; did you mean \"sources\"?",
        ]
    );
}

#[test]
fn empty_string_is_reported() {
    let text = good_with("title = \"Harbour strike\"", "title = \"  \"");
    assert_eq!(
        problems(&text),
        ["k.toml:3:9: \"title\" in topic is empty; write a value or remove the line"]
    );
}

#[test]
fn slug_must_be_lowercase_kebab() {
    let text = good_with("slug = \"ferry-fares\"", "slug = \"Ferry Fares\"");
    assert_eq!(
        problems(&text),
        [
            "k.toml:30:8: slug \"Ferry Fares\" must be lowercase-kebab (a-z, 0-9 and single hyphens), e.g. \"ferry-fares\""
        ]
    );
}

#[test]
fn duplicate_slug_reports_the_second_one() {
    let text = good_with("slug = \"ferry-fares\"", "slug = \"harbour-strike\"");
    assert_eq!(
        problems(&text),
        [
            "k.toml:30:8: slug \"harbour-strike\" is already a name of topic \"harbour-strike\" (line 2); slugs and aliases must be unique across topics, ignoring case"
        ]
    );
}

#[test]
fn alias_colliding_with_another_topics_alias_ignores_case_and_spacing() {
    let text = good_with(
        "title = \"Ferry fares\"",
        "title = \"Ferry fares\"\naliases = [\"PORT-strike\"]",
    );
    assert_eq!(
        problems(&text),
        [
            "k.toml:32:12: alias \"PORT-strike\" is already a name of topic \"harbour-strike\" (line 4); slugs and aliases must be unique across topics, ignoring case"
        ]
    );
}

#[test]
fn duplicate_source_id_reports_where_the_first_is() {
    let text = good_with(
        "  [[topic.fact]]",
        "  [[topic.source]]\n  id = \"gazette\"\n  outlet = \"O\"\n  title = \"T\"\n  url = \"https://o.example/\"\n  date = 2025-02-02\n  [[topic.fact]]",
    );
    assert_eq!(
        problems(&text),
        [
            "k.toml:17:8: duplicate source id \"gazette\" in this topic (first on line 10); give each its own id"
        ]
    );
}

#[test]
fn duplicate_allegation_id_is_reported() {
    let allegation = &GOOD[GOOD.find("  [[topic.allegation]]").unwrap()
        ..GOOD.find("\n[[topic]]\nslug = \"ferry").unwrap()];
    let text = good_with(allegation, &format!("{allegation}\n{allegation}"));
    assert_eq!(
        problems(&text),
        [
            "k.toml:30:8: duplicate allegation id \"owner-lockout\" in this topic (first on line 21); give each its own id"
        ]
    );
}

#[test]
fn fact_citing_unknown_source_reports_its_line() {
    let text = good_with(
        "sources = [\"gazette\"]",
        "sources = [\"gazette\", \"gazete\"]",
    );
    assert_eq!(
        problems(&text),
        ["k.toml:18:25: fact cites unknown source \"gazete\" (known: gazette)"]
    );
}

#[test]
fn allegation_citing_unknown_source_is_reported() {
    let text = good_with("  source = \"gazette\"", "  source = \"herald\"");
    assert_eq!(
        problems(&text),
        ["k.toml:24:12: allegation cites unknown source \"herald\" (known: gazette)"]
    );
}

#[test]
fn invalid_dates_are_reported() {
    let text = good_with("date = 2025-02-01", "date = \"2025-02-30\"");
    assert_eq!(
        problems(&text),
        [
            "k.toml:14:10: \"date\" in source is not a valid date; write it as YYYY-MM-DD, like 2025-03-31"
        ]
    );
    let text = good_with("updated = 2025-03-01", "updated = 2025-03-01T09:30:00Z");
    assert_eq!(
        problems(&text),
        ["k.toml:33:11: \"updated\" in topic must be a plain date like 2025-03-31, without a time"]
    );
    let text = good_with("updated = 2025-03-01", "updated = 2025-02-29");
    assert_eq!(problems(&text).len(), 1);
}

#[test]
fn invalid_review_period_is_reported() {
    for (period, problem) in [
        ("6 monts", "is not a period"),
        ("0 days", "must be longer than zero"),
        ("36 hours", "must be whole days or longer"),
    ] {
        let text = good_with("\"6 months\"", &format!("\"{period}\""));
        assert_eq!(
            problems(&text),
            [format!(
                "k.toml:7:16: review_every \"{period}\" {problem}; write a period like \"6 months\", \"1 year\" or \"90 days\""
            )]
        );
    }
}

#[test]
fn url_must_be_http_or_https_with_a_host() {
    let text = good_with(
        "https://gazette.example/strike",
        "ftp://gazette.example/strike",
    );
    assert_eq!(
        problems(&text),
        ["k.toml:13:9: url \"ftp://gazette.example/strike\" must start with https:// or http://"]
    );
    for bad in ["https://", "https://gazette", "https://gaz ette.example/"] {
        let text = good_with("https://gazette.example/strike", bad);
        assert_eq!(problems(&text).len(), 1, "{bad}");
    }
    assert_eq!(url_problem("HTTP://localhost:8080/x"), None);
}

#[test]
fn unknown_status_lists_the_valid_ones() {
    let text = good_with("status = \"disputed\"", "status = \"alleged\"");
    assert_eq!(
        problems(&text),
        [
            "k.toml:25:12: unknown status \"alleged\"; use one of unproven, denied, disputed, confirmed, retracted"
        ]
    );
}

#[test]
fn bad_match_terms_are_each_reported() {
    let text = good_with(
        "match_all = [[\"owner*\", \"management\"], [\"lock out\", \"locked out\", \"lockout\"]]",
        "match_all = [[\"owner*\", \"\"], [], [\"lock* out\", \"lock-out!\", \"lo*\"]]",
    );
    assert_eq!(
        problems(&text),
        [
            "k.toml:26:27: empty match term; write a word or phrase, or remove it",
            "k.toml:26:32: empty match group; add at least one term or remove the group",
            "k.toml:26:37: match term \"lock* out\" has \"*\" before its end; \"*\" may only end a term (smuggl* matches smuggler and smuggling)",
            "k.toml:26:50: match term \"lock-out!\" contains '!'; use letters, digits, single spaces, hyphens and apostrophes",
            "k.toml:26:63: wildcard term \"lo*\" would match too many words; give at least three letters before \"*\"",
        ]
    );
}

#[test]
fn made_by_needs_a_name_and_a_role() {
    let text = good_with(
        "{ name = \"Ada Quay\", role = \"the dockers' union leader\" }",
        "{ name = \"Ada Quay\", rank = 2 }",
    );
    assert_eq!(
        problems(&text),
        [
            "k.toml:23:13: made_by is missing required field \"role\"; add role = \"...\"",
            "k.toml:23:34: unknown field \"rank\" in made_by; known fields: name, role",
        ]
    );
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let text = GOOD
        .replace("title = \"Harbour strike\"\n", "")
        .replace("sources = [\"gazette\"]", "sources = [\"gazete\"]")
        .replace("status = \"disputed\"", "status = \"maybe\"")
        .replace("updated = 2025-03-01", "updated = \"yesterday\"");
    assert_eq!(problems(&text).len(), 4);
}

#[test]
fn wrong_types_name_what_was_expected() {
    assert_eq!(
        problems("topic = 3"),
        [
            "k.toml:1:9: \"topic\" in the knowledge file must be an array of tables ([[topic]]), not integer"
        ]
    );
    let text = good_with(
        "aliases = [\"docks\", \"Port Strike\"]",
        "aliases = \"docks\"",
    );
    assert_eq!(
        problems(&text),
        ["k.toml:4:11: \"aliases\" in topic must be an array of strings, not string"]
    );
}

#[test]
fn topic_headers_are_found_only_as_whole_lines() {
    let text = "[[topic]]\nslug = \"a\"\n\
                [[topic]]   # second\r\n\
                x = \"[[topic]]\"\n\
                \x20 [[topic]]\n\
                [[topic]]x\n\
                [[topic.source]]\n\
                [[topic]]\t\r\n\
                [[topic]]";
    let starts: Vec<&str> = topic_header_offsets(text)
        .into_iter()
        .map(|at| text[at..].lines().next().unwrap_or(""))
        .collect();
    assert_eq!(
        starts,
        [
            "[[topic]]",
            "[[topic]]   # second",
            "[[topic]]\t",
            "[[topic]]"
        ]
    );
}

#[test]
fn header_line_inside_a_multiline_string_is_text_not_a_new_topic() {
    let text = good_with(
        "summary = \"Fares rose in spring.\"",
        "summary = \"\"\"\nFares rose in spring.\n[[topic]]\nslug = \"not-a-topic\"\n\"\"\"",
    );
    let kb = load(&text);
    assert_eq!(kb.topics().len(), 2);
    assert!(kb.topics()[1].summary.contains("[[topic]]"));
}

#[test]
fn table_after_the_topics_is_reported_where_it_is() {
    let text = format!("{GOOD}\n[extra]\nnote = 1\n");
    assert_eq!(
        problems(&text),
        ["k.toml:35:2: unknown field \"extra\" in the knowledge file; known fields: topic"]
    );
}

#[test]
fn problems_in_later_topics_point_at_their_own_lines() {
    let text = format!(
        "{GOOD}\n[[topic]]\nslug = \"docks\"\ntitle = \"\"\nsummary = \"S\"\nupdated = 2025-01-01\n"
    );
    assert_eq!(
        problems(&text),
        [
            "k.toml:36:8: slug \"docks\" is already a name of topic \"harbour-strike\" (line 4); slugs and aliases must be unique across topics, ignoring case",
            "k.toml:37:9: \"title\" in topic is empty; write a value or remove the line",
        ]
    );
}

/// Problems as the whole-document parse reports them, the reference for the pieces.
fn problems_of_whole(text: &str) -> Vec<String> {
    let errors = match read_whole("k.toml", text) {
        Ok(reader) => reader.p.into_errors(),
        Err(errors) => errors,
    };
    errors.0.iter().map(ToString::to_string).collect()
}

#[test]
fn a_file_read_in_pieces_on_several_threads_reports_what_the_whole_file_does() {
    // Enough topics for two or more parsing threads where there are CPUs for them.
    let topics = PIECES_PER_THREAD * 2 + 50;
    let text = crate::synthetic::knowledge_text(topics);
    let last = crate::synthetic::topic_slug(topics - 1);
    let first = crate::synthetic::topic_slug(0);
    let broken = text
        .replacen(
            &format!("slug = \"{last}\""),
            &format!("slug = \"{first}\""),
            1,
        )
        .replacen("title = \"The ", "title = \"\"\nx = \"The ", 1);
    let found = problems(&broken);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert_eq!(found, problems_of_whole(&broken));
    assert!(KnowledgeBase::parse("k.toml", &text).is_ok());

    // A syntax error late in the file falls back to the whole-file parse.
    let garbled = format!("{text}[[topic]]\nslug = \"unterminated\n");
    let found = problems(&garbled);
    assert_eq!(found, problems_of_whole(&garbled));
    assert!(
        found[0].starts_with(&format!("k.toml:{}:", garbled.lines().count())),
        "{found:?}"
    );
}

/// A small deterministic pseudo-random sequence (xorshift), so failures reproduce.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn truncated_or_garbled_files_never_panic() {
    let mut exercised = 0;
    let mut check = |text: &str| {
        if let Ok(kb) = KnowledgeBase::parse("k.toml", text) {
            let _ = kb.lookup("bulgaria schengn");
            let _ = kb.restated_allegations("russia's spies help smugglers");
        }
        exercised += 1;
    };
    for (i, _) in EXAMPLE.char_indices().step_by(97) {
        check(&EXAMPLE[..i]);
    }
    let noise = [
        "[",
        "]",
        "=",
        "\"",
        "{",
        "}",
        ",",
        "*",
        "\n",
        "#",
        "'",
        "é",
        "💥",
        "\u{201c}",
        "[[topic]]",
        "",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..1500 {
        let mut text = EXAMPLE.to_owned();
        for _ in 0..3 {
            let mut at = (xorshift(&mut state) % text.len() as u64) as usize;
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let end = (at + (xorshift(&mut state) % 4) as usize).min(text.len());
            let end = (end..=text.len())
                .find(|&e| text.is_char_boundary(e))
                .unwrap_or(text.len());
            let with = noise[(xorshift(&mut state) % noise.len() as u64) as usize];
            text.replace_range(at..end, with);
        }
        check(&text);
    }
    assert!(exercised > 1500);
}
