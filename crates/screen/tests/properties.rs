//! No line, however broken, panics the reader or stops the screen; broken
//! lines beside good ones do not change the good ones' rows.

use chrono::NaiveDate;
use proptest::prelude::*;
use willis_core::Profile;
use willis_screen::scan::{classify, Line};
use willis_screen::{screen, Options, Quiet, Row};

mod common;
use common::fixture_lines;

fn screen_text(text: &[u8]) -> (Vec<Row>, u64) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("all.ndjson"), text).unwrap();
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        as_of: NaiveDate::from_ymd_opt(2026, 11, 15).unwrap(),
        profile: Profile::Irlssg2018,
        jobs: 2,
        temp_dir: None,
        buckets: Some(4),
    };
    let mut rows = Vec::new();
    let summary = screen(&opts, &Quiet, &mut |r| {
        rows.push(r.clone());
        Ok(())
    })
    .unwrap();
    rows.sort_by(|a, b| a.patient.cmp(&b.patient));
    (rows, summary.malformed_lines)
}

/// A real line cut short, or with a byte changed.
fn mutated_line() -> impl Strategy<Value = Vec<u8>> {
    let lines = fixture_lines();
    (
        0..lines.len(),
        any::<prop::sample::Index>(),
        any::<u8>(),
        any::<bool>(),
    )
        .prop_map(move |(i, at, byte, cut)| {
            let mut line = lines[i].clone().into_bytes();
            let at = at.index(line.len().max(1));
            if cut {
                line.truncate(at);
            } else if at < line.len() {
                line[at] = byte;
            }
            line
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_bytes_are_classified_without_a_panic(line in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = classify(&line);
    }

    #[test]
    fn any_text_that_looks_like_json_is_classified_without_a_panic(
        line in r#"\{("resourceType"|"subject"|"id"|"reference"|"Patient/"|[ -~]){0,40}\}?"#
    ) {
        let _ = classify(line.as_bytes());
    }

    #[test]
    fn real_lines_broken_are_classified_without_a_panic(line in mutated_line()) {
        if let Line::Keep { patient, .. } = classify(&line) {
            prop_assert!(!patient.is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn garbage_between_good_lines_leaves_their_rows_alone(
        garbage in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..120), 0..30),
        seed in any::<u64>(),
    ) {
        let good = fixture_lines();
        let (expected, expected_malformed) = screen_text((good.join("\n") + "\n").as_bytes());
        let mut text: Vec<u8> = Vec::new();
        let mut g = garbage.iter();
        for (i, line) in good.iter().enumerate() {
            if (seed >> (i % 64)) & 1 == 1 {
                if let Some(bad) = g.next() {
                    // A garbage "line" never holds a newline of its own here.
                    text.extend(bad.iter().map(|b| if *b == b'\n' { b' ' } else { *b }));
                    text.push(b'\n');
                }
            }
            text.extend_from_slice(line.as_bytes());
            text.push(b'\n');
        }
        let (rows, malformed) = screen_text(&text);
        prop_assert_eq!(rows, expected);
        prop_assert!(malformed >= expected_malformed);
    }
}

/// The fast parse of a resource is the general one, for every fixture line
/// and broken copies of them.
#[test]
fn the_fast_resource_parse_is_the_general_one() {
    for line in fixture_lines() {
        let general = serde_json::from_str::<willis_fhir::Resource>(&line);
        let fast = willis_fhir::Resource::from_slice(line.as_bytes());
        match (general, fast) {
            (Ok(g), Ok(f)) => assert_eq!(g, f, "{line}"),
            (Err(_), Err(_)) => {}
            (g, f) => panic!("{line}: {g:?} / {f:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_fast_resource_parse_agrees_on_broken_lines(line in mutated_line()) {
        let general = serde_json::from_slice::<willis_fhir::Resource>(&line);
        let fast = willis_fhir::Resource::from_slice(&line);
        match (general, fast) {
            (Ok(g), Ok(f)) => prop_assert_eq!(g, f),
            (Err(_), Err(_)) => {}
            (g, f) => prop_assert!(false, "{:?} / {:?}", g, f),
        }
    }
}
