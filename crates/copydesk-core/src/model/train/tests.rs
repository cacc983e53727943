//! Training on small synthetic corpora: folds, AUC, learning, determinism and errors.

use super::*;

#[test]
fn auc_counts_ties_half() {
    assert_eq!(auc(&[0.1, 0.9], &[false, true]), 1.0);
    assert_eq!(auc(&[0.9, 0.1], &[false, true]), 0.0);
    assert_eq!(auc(&[0.5, 0.5], &[false, true]), 0.5);
    assert_eq!(auc(&[0.2, 0.4, 0.6], &[true, false, true]), 0.5);
    assert_eq!(auc(&[0.2], &[true]), 0.5);
}

#[test]
fn grouped_folds_never_split_a_group() {
    let groups: Vec<u32> = (0..500u32).map(|i| (i * 7919) % 83).collect();
    let folds = grouped_folds(&groups, 5, 42);
    for g in 0..83u32 {
        let mut seen: Vec<usize> = groups
            .iter()
            .zip(&folds)
            .filter(|(x, _)| **x == g)
            .map(|(_, f)| *f)
            .collect();
        seen.dedup();
        assert_eq!(seen.len(), 1, "group {g} is in folds {seen:?}");
    }
    // Balanced: every fold holds roughly a fifth.
    for f in 0..5 {
        let n = folds.iter().filter(|&&x| x == f).count();
        assert!((80..=120).contains(&n), "fold {f} has {n}");
    }
    assert_eq!(folds, grouped_folds(&groups, 5, 42), "deterministic");
}

fn synthetic() -> Vec<Example> {
    // Two vocabularies: accusations of named officials vs timetable facts.
    let people = [
        "the mayor",
        "the governor",
        "the minister",
        "the treasurer",
        "the senator",
        "the chief",
    ];
    let bad = [
        "stole",
        "embezzled",
        "laundered",
        "hid",
        "falsified",
        "rigged",
    ];
    let goods = [
        "the pension fund",
        "the election",
        "the audit",
        "the accounts",
        "the contracts",
    ];
    let places = [
        "library", "bridge", "museum", "school", "stadium", "harbour",
    ];
    let days = ["monday", "tuesday", "friday", "june", "spring", "march"];
    let mut out = Vec::new();
    let mut group = 0;
    for (i, p) in people.iter().enumerate() {
        for (j, b) in bad.iter().enumerate() {
            let g = goods[(i + j) % goods.len()];
            out.push(Example {
                text: format!("{p} {b} {g} for years"),
                positive: true,
                group,
                weight: 1.0,
                cues: Vec::new(),
            });
            let place = places[(i + j) % places.len()];
            let day = days[(i * 2 + j) % days.len()];
            out.push(Example {
                text: format!("The new {place} opens on {day} with a ceremony"),
                positive: false,
                group,
                weight: 1.0,
                cues: Vec::new(),
            });
            group += 1;
        }
    }
    out
}

#[test]
fn separable_synthetic_data_is_learned() {
    let examples = synthetic();
    let options = TrainOptions {
        settings: FeatureSettings {
            buckets_log2: 14,
            ..FeatureSettings::default()
        },
        lambdas: vec![1e-4, 1e-3],
        threads: 2,
        ..TrainOptions::default()
    };
    let trained = train(&examples, &options, Provenance::default()).unwrap();
    assert!(trained.cv_auc > 0.95, "cv auc {}", trained.cv_auc);
    let correct = examples
        .iter()
        .filter(|e| (trained.model.probability(&e.text, &[]) >= 0.5) == e.positive)
        .count();
    assert!(correct as f64 >= 0.95 * examples.len() as f64, "{correct}");
    assert!(
        trained
            .model
            .probability("the auditor embezzled the grant", &[])
            > 0.5
    );
    assert!(
        trained
            .model
            .probability("the new pool opens on sunday with a ceremony", &[])
            < 0.5
    );
    let p = trained.model.provenance();
    assert_eq!((p.positives, p.negatives, p.groups), (36, 36, 36));
    assert_eq!(p.cv_folds, 5);
}

#[test]
fn training_is_deterministic_whatever_the_threads() {
    let examples = synthetic();
    let mut options = TrainOptions {
        settings: FeatureSettings {
            buckets_log2: 12,
            ..FeatureSettings::default()
        },
        lambdas: vec![1e-3],
        max_iterations: 20,
        threads: 1,
        ..TrainOptions::default()
    };
    let a = train(&examples, &options, Provenance::default()).unwrap();
    options.threads = 3;
    let b = train(&examples, &options, Provenance::default()).unwrap();
    assert_eq!(a.model, b.model);
    assert_eq!(a.out_of_fold, b.out_of_fold);
}

#[test]
fn one_class_or_too_few_groups_is_an_error() {
    let mut examples = synthetic();
    examples.retain(|e| e.positive);
    assert_eq!(
        train(&examples, &TrainOptions::default(), Provenance::default()).unwrap_err(),
        TrainError::NoNegatives
    );
    let mut examples = synthetic();
    for e in &mut examples {
        e.group %= 3;
    }
    assert!(matches!(
        train(&examples, &TrainOptions::default(), Provenance::default()),
        Err(TrainError::TooFewGroups {
            groups: 3,
            folds: 5
        })
    ));
}
