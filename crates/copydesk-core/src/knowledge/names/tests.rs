//! Normalising names, the edit distance, and the suggestions built on them.

use super::*;

fn suggester(names: &[(&str, usize)]) -> Suggester {
    Suggester::new(&names.iter().map(|&(n, t)| (n.to_owned(), t)).collect())
}

#[test]
fn normalize_folds_case_spaces_and_underscores_into_kebab() {
    assert_eq!(normalize("  Bulgaria  Schengen "), "bulgaria-schengen");
    assert_eq!(normalize("bulgaria_schengen"), "bulgaria-schengen");
    assert_eq!(normalize("Nord -- Stream"), "nord-stream");
    assert_eq!(normalize(" \t "), "");
}

#[test]
fn kebab_accepts_lowercase_words_joined_by_single_hyphens() {
    assert!(is_kebab("bulgaria-schengen"));
    assert!(is_kebab("mh17"));
    for bad in [
        "",
        "Bulgaria",
        "bulgaria--schengen",
        "-x",
        "x-",
        "a_b",
        "a b",
        "é",
    ] {
        assert!(!is_kebab(bad), "{bad:?} should not be kebab");
    }
}

#[test]
fn bit_parallel_distance_agrees_with_strsim() {
    let words = [
        "schengen",
        "schnegen",
        "shengen",
        "schengen-area",
        "nord-stream",
        "nord-steam",
        "rwanda",
        "rwnada",
        "mh17",
        "mh71",
        "belarus",
        "bëlarus",
        "",
        "a",
        "ab",
        "ba",
    ];
    for a in words {
        let pattern = Pattern::new(a).unwrap();
        for b in words {
            assert_eq!(
                pattern.distance(b),
                strsim::osa_distance(a, b),
                "{a} vs {b}"
            );
        }
    }
}

/// xorshift, so failures reproduce.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn bit_parallel_distance_agrees_with_strsim_on_random_pairs() {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let alphabet: Vec<char> = "abcé-".chars().collect();
    let word = |state: &mut u64| -> String {
        let len = (next(state) % 20) as usize;
        (0..len)
            .map(|_| alphabet[(next(state) % alphabet.len() as u64) as usize])
            .collect()
    };
    for _ in 0..20_000 {
        let (a, b) = (word(&mut state), word(&mut state));
        let pattern = Pattern::new(&a).unwrap();
        assert_eq!(
            pattern.distance(&b),
            strsim::osa_distance(&a, &b),
            "{a} vs {b}"
        );
    }
}

#[test]
fn every_name_within_two_edits_is_a_candidate() {
    // Random names, each probed with random one- and two-edit typos: the delete index
    // must never miss a name that the brute-force distance says is close enough.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let alphabet: Vec<char> = "abcdeiou-".chars().collect();
    let random_word = |state: &mut u64, len: usize| -> String {
        (0..len)
            .map(|_| alphabet[(next(state) % alphabet.len() as u64) as usize])
            .collect()
    };
    let names: FxHashMap<String, usize> = (0..300)
        .map(|i| (random_word(&mut state, 3 + i % 9), i))
        .collect();
    let s = Suggester::new(&names);
    let all: Vec<&String> = names.keys().collect();
    for round in 0..3000 {
        let target = all[round % all.len()];
        let mut query: Vec<char> = target.chars().collect();
        for _ in 0..1 + round % 2 {
            let at = (next(&mut state) % (query.len() as u64 + 1)) as usize;
            let c = alphabet[(next(&mut state) % alphabet.len() as u64) as usize];
            match next(&mut state) % 4 {
                0 => query.insert(at, c),
                1 if at < query.len() => {
                    query.remove(at);
                }
                2 if at < query.len() => query[at] = c,
                _ if at + 1 < query.len() => query.swap(at, at + 1),
                _ => {}
            }
        }
        let query: String = query.into_iter().collect();
        let budget = edit_budget(query.chars().count());
        let expected: Vec<usize> = names
            .iter()
            .filter(|(n, _)| {
                strsim::osa_distance(&query, n) <= budget
                    || (query.len() >= MIN_FUZZY_LEN && n.starts_with(&query))
            })
            .map(|(_, &t)| t)
            .collect();
        let got = s.suggest(&query, usize::MAX);
        for t in expected {
            assert!(got.contains(&t), "{query:?} should suggest {t}");
        }
    }
}

#[test]
fn misspelling_suggests_the_closest_name_first() {
    let s = suggester(&[
        ("schengen", 0),
        ("schengen-area", 0),
        ("belarus", 1),
        ("shenzhen", 2),
    ]);
    assert_eq!(s.suggest("shengen", 3), vec![0, 2]);
}

#[test]
fn prefix_of_a_name_is_a_suggestion() {
    let s = suggester(&[("nord-stream", 0), ("nordic-council", 1), ("mh17", 2)]);
    assert_eq!(s.suggest("nord", 3), vec![0, 1]);
}

#[test]
fn nonsense_and_tiny_queries_suggest_nothing() {
    let s = suggester(&[("schengen", 0), ("belarus", 1)]);
    assert!(s.suggest("xqzvw", 3).is_empty());
    assert!(s.suggest("sc", 3).is_empty());
    assert!(s.suggest("", 3).is_empty());
}

#[test]
fn suggestions_are_capped_and_name_each_topic_once() {
    let s = suggester(&[
        ("rwanda", 0),
        ("rwanda-plan", 0),
        ("rwandan", 1),
        ("ruanda", 2),
        ("rwanka", 3),
    ]);
    let got = s.suggest("rwanda", 3);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0], 0);
}
