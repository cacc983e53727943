use std::sync::Arc;

use super::*;
use crate::checker::Checker;
use crate::knowledge::KnowledgeBase;

fn small_model() -> Model {
    let settings = FeatureSettings {
        buckets_log2: 12,
        ..FeatureSettings::default()
    };
    let weights: Vec<f32> = (0..settings.buckets())
        .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
        .collect();
    let provenance = Provenance {
        corpus: "synthetic test weights".into(),
        positives: 3,
        negatives: 4,
        groups: 2,
        trained: "2025-01-31".into(),
        lambda: 1e-5,
        cv_folds: 5,
        cv_auc: 0.875,
        notes: vec![("weak-labels".into(), "none".into())],
    };
    Model::new(settings, -0.25, weights, provenance)
        .unwrap()
        .with_threshold(0.7)
}

#[test]
fn model_file_round_trips() {
    let model = small_model();
    let exact = Model::from_bytes(&model.to_bytes(Encoding::F32)).unwrap();
    assert_eq!(exact, model);

    let bytes = model.to_bytes(Encoding::F16);
    let half = Model::from_bytes(&bytes).unwrap();
    assert_eq!(half.provenance(), model.provenance());
    assert_eq!(half.settings(), model.settings());
    assert_eq!(half.threshold(), 0.7);
    for text in ["The mayor hid the audit.", "see you at 3pm", ""] {
        let (a, b) = (model.probability(text, &[]), half.probability(text, &[]));
        assert!((a - b).abs() < 0.01, "{text}: {a} vs {b}");
    }
    // The header is readable text.
    let header =
        String::from_utf8_lossy(&bytes[..bytes.windows(2).position(|w| w == b"\n\n").unwrap()]);
    assert!(header.starts_with("copydesk-model\nformat: 1\ncorpus: synthetic test weights\n"));
    assert!(header.contains("cv-auc: 0.8750\n"));
}

#[test]
fn bad_model_files_give_clear_errors() {
    let good = small_model().to_bytes(Encoding::F16);
    let header_end = good.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    let with_header = |edit: &dyn Fn(&str) -> String| {
        let header = std::str::from_utf8(&good[..header_end]).unwrap();
        let mut bytes = edit(header).into_bytes();
        bytes.extend_from_slice(&good[header_end..]);
        bytes
    };
    let error = |bytes: &[u8]| Model::from_bytes(bytes).unwrap_err().to_string();

    assert_eq!(
        error(b""),
        "not a copydesk model file (it does not start with \"copydesk-model\")"
    );
    assert_eq!(error(b"PK\x03\x04 a zip file"), error(b""));
    assert!(error(&good[..100]).contains("not terminated by a blank line"));
    assert!(error(&good[..good.len() - 1]).contains("expected 8192 bytes"));
    let mut flipped = good.clone();
    *flipped.last_mut().unwrap() ^= 1;
    assert!(error(&flipped).contains("checksum"));
    assert!(
        error(&with_header(&|h| h.replace("format: 1", "format: 7"))).contains("format 7 is newer")
    );
    assert!(
        error(&with_header(
            &|h| h.replace("normalization: 1", "normalization: 0")
        ))
        .contains("text normalization 0")
    );
    assert!(
        error(&with_header(&|h| h.replace("bias: ", "bias: x")))
            .contains("bias: expected a finite number")
    );
    assert!(error(&with_header(&|h| h.replace("\nbias: -0.25", ""))).contains("lacks \"bias:\""));
    assert!(
        error(&with_header(
            &|h| h.replace("buckets-log2: 12", "buckets-log2: 40")
        ))
        .contains("line 11")
    );
    assert!(
        error(&with_header(
            &|h| h.replace("threshold: 0.7", "threshold: 7")
        ))
        .contains("from 0 to 1")
    );
    assert!(
        error(&with_header(
            &|h| h.replace("char-ngrams: 3-4", "char-ngrams: 5")
        ))
        .contains("a range like 1-2")
    );
    assert!(
        error(&with_header(&|h| h.replace("corpus:", "corpus")))
            .contains("line 3: expected \"key: value\"")
    );
    let doubled = with_header(&|h| h.replacen("groups: 2\n", "groups: 2\ngroups: 3\n", 1));
    assert!(error(&doubled).contains("\"groups\" appears twice"));

    // Garbage of every length never panics.
    for len in 0..good.len().min(600) {
        let _ = Model::from_bytes(&good[..len]);
    }
    let mut garbage = good.clone();
    for (i, b) in garbage.iter_mut().enumerate().skip(15).step_by(37) {
        *b = (i % 251) as u8;
    }
    let _ = Model::from_bytes(&garbage);
}

#[test]
fn unknown_header_keys_are_kept_as_notes() {
    let model = small_model();
    let reread = Model::from_bytes(&model.to_bytes(Encoding::F16)).unwrap();
    assert_eq!(
        reread.provenance().notes,
        [("weak-labels".to_owned(), "none".to_owned())]
    );
}

#[test]
fn embedded_model_loads_and_is_small() {
    assert!(EMBEDDED_MODEL.len() <= 5 * 1024 * 1024);
    let model = Model::embedded();
    let p = model.provenance();
    assert!(p.positives > 1000 && p.negatives > 1000, "{p:?}");
    assert!(p.cv_auc > 0.8, "{p:?}");
    assert!((0.0..=1.0).contains(&model.threshold()));
}

#[test]
fn embedded_model_ranks_allegations_above_chatter() {
    // Sentences written for this test; not from any corpus. The model is a ranking aid
    // for the rules, not a classifier on its own: every allegation must outscore every
    // piece of chatter, and chatter must stay well under the threshold.
    let model = Model::embedded();
    let allegations = [
        "The governor's tax plan will hurt working families and reward his donors.",
        "The company has been paying its workers below the legal minimum wage.",
        "The opposition is being funded by a hostile foreign government.",
    ];
    let chatter = [
        "the livestream starts at 6:30",
        "The library is open from nine to five on weekdays.",
        "The bridge was completed in 1932.",
    ];
    let lowest_allegation = allegations
        .iter()
        .map(|t| model.probability(t, &[]))
        .fold(f32::INFINITY, f32::min);
    for text in chatter {
        let p = model.probability(text, &[]);
        assert!(
            p < 0.3 && p < lowest_allegation,
            "{text}: {p} (lowest allegation {lowest_allegation})"
        );
    }
}

#[test]
fn checker_consults_the_model_only_for_open_sentences() {
    let kb = KnowledgeBase::parse("empty.toml", "").unwrap();
    // Every sentence scores 1.0: only sentences the rules leave open may be flagged by it.
    let mut always = small_model();
    always.bias = 100.0;
    let checker = Checker::default().with_scorer(Arc::new(always.with_threshold(0.5)));
    let attributed = checker.check(
        &kb,
        "The auditor said the treasurer moved the money abroad.",
    );
    assert_eq!(attributed.verdict(), crate::Verdict::Ok);
    let open = checker.check(&kb, "The treasurer moved the money abroad.");
    assert_eq!(open.verdict(), crate::Verdict::Flag);
    assert_eq!(open.alarms().next().unwrap().rule, "allegation-model");
}

#[test]
fn sweep_reports_rules_only_then_each_threshold() {
    let kb = KnowledgeBase::parse("empty.toml", "").unwrap();
    let cases = crate::eval::parse_cases(
        "cases.jsonl",
        concat!(
            r#"{"id": "1", "text": "The treasurer moved the money abroad.", "label": "flag", "kind": "stripped"}"#,
            "\n",
            r#"{"id": "2", "text": "The bridge opens on Monday.", "label": "ok", "kind": "neutral"}"#,
        ),
    )
    .unwrap();
    let points = sweep::threshold_sweep(
        &Checker::default(),
        Arc::new(small_model()),
        &kb,
        &cases,
        &[0.0, 1.0],
    );
    assert_eq!(points.len(), 3);
    assert_eq!(points[0].threshold, None);
    // At threshold 0 the model calls everything open an allegation.
    assert_eq!(points[1].alarm.recall, 1.0);
    assert_eq!(points[1].model_false_alarms, 1);
    let table = sweep::render_sweep(&points);
    assert!(table.contains("rules only"));
    assert!(table.contains("t = 0.00"));
}
