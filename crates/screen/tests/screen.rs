//! The screen over the committed fixture (crates/screen/tests/data/bulk):
//! exact rows, measures and malformed lines; the same rows whatever the
//! files, their order, compression, threads and buckets.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use willis_core::Profile;
use willis_screen::{screen, Options, Quiet, Row, Summary};

mod common;
use common::{fixture, fixture_lines};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 15).unwrap()
}

fn options(paths: Vec<PathBuf>) -> Options {
    Options {
        paths,
        as_of: as_of(),
        profile: Profile::Irlssg2018,
        jobs: 2,
        temp_dir: None,
        buckets: None,
    }
}

fn run(opts: &Options) -> (Vec<Row>, Summary) {
    let mut rows = Vec::new();
    let summary = screen(opts, &Quiet, &mut |row| {
        rows.push(row.clone());
        Ok(())
    })
    .unwrap();
    (rows, summary)
}

fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by(|a, b| a.patient.cmp(&b.patient));
    rows
}

#[test]
fn the_fixture_gives_exactly_these_rows() {
    let (rows, summary) = run(&options(vec![fixture()]));
    let got: Vec<serde_json::Value> = sorted(rows)
        .iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    let expected: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("data/expected-rows.json")).unwrap();
    assert_eq!(
        got,
        expected,
        "{}",
        serde_json::to_string_pretty(&got).unwrap()
    );
    assert_eq!(summary.patients, 7);
    assert_eq!(summary.patients_with_rls, 5);
    assert_eq!(summary.files, 9);
}

#[test]
fn malformed_lines_are_reported_with_file_and_line_and_never_stop_the_screen() {
    let (_, summary) = run(&options(vec![fixture()]));
    let listed: Vec<(String, u64)> = summary
        .malformed
        .iter()
        .map(|m| {
            (
                m.file.file_name().unwrap().to_string_lossy().into_owned(),
                m.line,
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("Condition.ndjson".to_string(), 5),
            ("Observation.1.ndjson".to_string(), 3),
        ]
    );
    assert_eq!(summary.malformed_lines, 2);
    assert!(summary.malformed[0].reason.contains("not a JSON object"));
    assert!(summary.malformed[1]
        .reason
        .contains("does not end on this line"));
    assert_eq!(summary.skipped.blank, 1);
    assert_eq!(summary.skipped.other_types, 1);
    assert_eq!(summary.skipped.operation_outcomes, 1);
    assert_eq!(summary.skipped.unread_observations, 1);
    assert_eq!(summary.lines, 37);
}

#[test]
fn the_quality_measures_count_the_fixture_patients() {
    let (_, summary) = run(&options(vec![fixture()]));
    let m = |id: &str| {
        let m = summary.measures.iter().find(|m| m.id == id).unwrap();
        (m.numerator, m.denominator)
    };
    // p-nolabs has no ferritin.
    assert_eq!(m("iron-status-not-assessed"), (1, 5));
    // Oral iron indicated: p-low never had iron, p-infusions' last infusion
    // was in June 2025, more than a year before.
    assert_eq!(m("low-iron-untreated"), (2, 2));
    // p-overload takes ferrous sulfate despite TSAT 52 %.
    assert_eq!(m("iron-despite-overload"), (1, 1));
    // p-dopamine: pramipexole since January 2022.
    assert_eq!(m("dopaminergic-augmentation-or-long-use"), (1, 1));
    // p-dopamine: sertraline.
    assert_eq!(m("aggravating-medicine"), (1, 5));
    // p-infusions: two infusions of ferric carboxymaltose, no phosphate since.
    assert_eq!(m("iv-iron-repeated-without-phosphate"), (1, 1));
    assert_eq!(summary.ids.get("warn.iron-overload"), Some(&1));
}

#[test]
fn a_result_dated_after_the_screen_day_is_left_out() {
    let (rows, _) = run(&options(vec![fixture()]));
    let low = rows.iter().find(|r| r.patient == "p-low").unwrap();
    assert_eq!(low.ferritin_ug_per_l, Some(38.0));
    // On a later day the ferritin of 500 drawn on 20 November is the one.
    let mut later = options(vec![fixture()]);
    later.as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let (rows, _) = run(&later);
    let low = rows.iter().find(|r| r.patient == "p-low").unwrap();
    assert_eq!(low.ferritin_ug_per_l, Some(500.0));
    assert!(!low.ids.iter().any(|i| i == "iron.oral" || i == "iron.iv"));
}

/// Writes `lines` into `n` files in a new folder, in a shuffled order.
fn shuffled_into(dir: &Path, lines: &[String], n: usize, seed: u64, gzip: bool) {
    let mut order: Vec<usize> = (0..lines.len()).collect();
    // A small deterministic shuffle (xorshift).
    let mut x = seed | 1;
    for i in (1..order.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let mut outs: Vec<Box<dyn Write>> = (0..n)
        .map(|i| {
            let name = if gzip {
                format!("part-{i}.ndjson.gz")
            } else {
                format!("part-{i}.ndjson")
            };
            let f = std::fs::File::create(dir.join(name)).unwrap();
            if gzip {
                Box::new(flate2::write::GzEncoder::new(
                    f,
                    flate2::Compression::fast(),
                )) as Box<dyn Write>
            } else {
                Box::new(f)
            }
        })
        .collect();
    for (k, i) in order.into_iter().enumerate() {
        writeln!(outs[k % n], "{}", lines[i]).unwrap();
    }
    for o in &mut outs {
        o.flush().unwrap();
    }
}

#[test]
fn resources_spread_over_files_in_any_order_and_gzipped_give_the_same_rows() {
    let (expected, _) = run(&options(vec![fixture()]));
    let expected = sorted(expected);
    let lines = fixture_lines();
    for (n, seed, gzip) in [(1, 7, false), (3, 11, false), (5, 23, true), (2, 99, true)] {
        let dir = tempfile::tempdir().unwrap();
        shuffled_into(dir.path(), &lines, n, seed, gzip);
        let (rows, summary) = run(&options(vec![dir.path().to_path_buf()]));
        assert_eq!(
            sorted(rows),
            expected,
            "{n} files, seed {seed}, gzip {gzip}"
        );
        assert_eq!(summary.malformed_lines, 2);
        assert_eq!(summary.patients, 7);
    }
}

#[test]
fn threads_and_buckets_do_not_change_the_rows() {
    let (expected, _) = run(&options(vec![fixture()]));
    for (jobs, buckets) in [(1, 1), (1, 16), (2, 3), (3, 64)] {
        let mut opts = options(vec![fixture()]);
        opts.jobs = jobs;
        opts.buckets = Some(buckets);
        let (rows, summary) = run(&opts);
        assert_eq!(
            sorted(rows),
            sorted(expected.clone()),
            "{jobs} jobs, {buckets} buckets"
        );
        assert_eq!(summary.patients_with_rls, 5);
    }
    // The same options give the same order.
    let (again, _) = run(&options(vec![fixture()]));
    assert_eq!(again, expected);
}

#[test]
fn files_and_a_manifest_can_be_named_one_by_one() {
    let (expected, _) = run(&options(vec![fixture()]));
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.reverse();
    let (rows, _) = run(&options(files));
    assert_eq!(sorted(rows), sorted(expected.clone()));

    let dir = tempfile::tempdir().unwrap();
    let lines = fixture_lines();
    shuffled_into(dir.path(), &lines, 2, 5, false);
    std::fs::write(
        dir.path().join("manifest.json"),
        r#"{"transactionTime":"2026-11-15T00:00:00Z","requiresAccessToken":false,
            "output":[{"type":"Mixed","url":"part-0.ndjson"},{"type":"Mixed","url":"part-1.ndjson"}],"error":[]}"#,
    )
    .unwrap();
    let (rows, _) = run(&options(vec![dir.path().join("manifest.json")]));
    assert_eq!(sorted(rows), sorted(expected));
}

#[test]
fn bad_paths_say_what_is_wrong() {
    let err = screen(
        &options(vec![PathBuf::from("/no/such/export")]),
        &Quiet,
        &mut |_| Ok(()),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("/no/such/export"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let err = screen(
        &options(vec![empty.path().to_path_buf()]),
        &Quiet,
        &mut |_| Ok(()),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no .ndjson"), "{err}");
    let err = screen(&options(vec![]), &Quiet, &mut |_| Ok(()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no input"), "{err}");
}

#[test]
fn a_line_longer_than_the_limit_is_reported_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    text.push_str(&"x".repeat(willis_screen::scan::MAX_LINE_BYTES + 10));
    text.push('\n');
    for line in fixture_lines() {
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(dir.path().join("all.ndjson"), text).unwrap();
    let (rows, summary) = run(&options(vec![dir.path().to_path_buf()]));
    assert_eq!(rows.len(), 5);
    assert_eq!(summary.malformed_lines, 3);
    assert_eq!(summary.malformed[0].line, 1);
    assert!(
        summary.malformed[0].reason.contains("at most"),
        "{}",
        summary.malformed[0].reason
    );
}

/// One patient's lines in a folder of their own, screened on `day`.
fn screen_one(lines: &[&str], day: &str) -> (Vec<Row>, Summary) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.ndjson"), lines.join("\n") + "\n").unwrap();
    let mut opts = options(vec![dir.path().to_path_buf()]);
    opts.as_of = day.parse().unwrap();
    run(&opts)
}

const RLS: &str = r#"{"resourceType":"Condition","verificationStatus":{"coding":[{"code":"confirmed"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":"32914008"}]},"subject":{"reference":"Patient/p1"}}"#;
const FERRITIN_40: &str = r#"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2276-4"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-05-01","valueQuantity":{"value":40,"unit":"ng/mL","system":"http://unitsofmeasure.org","code":"ng/mL"}}"#;
const TSAT_25: &str = r#"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2502-3"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-05-01","valueQuantity":{"value":25,"unit":"%","system":"http://unitsofmeasure.org","code":"%"}}"#;

#[test]
fn an_infusion_with_keys_in_alphabetical_order_is_read_and_no_new_one_is_planned() {
    // "contained" sorts before "resourceType": the line is still this
    // patient's infusion 20 days ago, so IV iron must wait.
    let infusion = r##"{"contained":[{"code":{"text":"Ferinject"},"id":"m","resourceType":"Medication"}],"dosage":{"dose":{"unit":"mg","value":1000},"route":{"coding":[{"code":"47625008","system":"http://snomed.info/sct"}]}},"effectiveDateTime":"2026-06-10","medicationCodeableConcept":{"text":"ferric carboxymaltose"},"resourceType":"MedicationAdministration","status":"completed","subject":{"reference":"Patient/p1"}}"##;
    let (rows, _) = screen_one(&[RLS, FERRITIN_40, TSAT_25, infusion], "2026-06-30");
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0].ids.iter().any(|i| i == "iron.iv-wait"),
        "{:?}",
        rows[0].ids
    );
    assert!(
        !rows[0].ids.iter().any(|i| i == "iron.iv"),
        "{:?}",
        rows[0].ids
    );
}

#[test]
fn a_byte_order_mark_and_urn_references_keep_the_child_a_child() {
    let patient =
        "\u{feff}{\"resourceType\":\"Patient\",\"id\":\"p1\",\"birthDate\":\"2012-01-01\"}";
    let urn = RLS.replace("Patient/p1", "urn:uuid:p1");
    let (rows, summary) = screen_one(&[patient, &urn, FERRITIN_40, TSAT_25], "2026-06-30");
    assert_eq!(summary.malformed_lines, 0, "{:?}", summary.malformed);
    assert_eq!(summary.patients, 1);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].patient, "p1");
    assert!(
        rows[0].ids.iter().any(|i| i == "refer.specialist"),
        "{:?}",
        rows[0].ids
    );
}

#[test]
fn two_versions_of_a_patient_give_one_plan_whatever_the_threads() {
    let child = r#"{"resourceType":"Patient","id":"p1","birthDate":"2012-01-01"}"#;
    let adult = r#"{"resourceType":"Patient","id":"p1","birthDate":"1980-01-01"}"#;
    let mut seen = std::collections::HashSet::new();
    for jobs in [1, 2, 3] {
        for order in [[child, adult], [adult, child]] {
            let dir = tempfile::tempdir().unwrap();
            let mut lines = vec![RLS, FERRITIN_40, TSAT_25];
            lines.extend(order);
            std::fs::write(dir.path().join("p.ndjson"), lines.join("\n")).unwrap();
            let mut opts = options(vec![dir.path().to_path_buf()]);
            opts.jobs = jobs;
            seen.insert(run(&opts).0[0].ids.clone());
        }
    }
    assert_eq!(seen.len(), 1, "{seen:?}");
}

#[test]
fn facts_recorded_after_the_day_and_the_dead_are_left_out() {
    // RLS diagnosed after the screen's day: not (yet) a patient with RLS.
    let later = RLS.replace("\"subject\"", "\"recordedDate\":\"2026-10-01\",\"subject\"");
    let (rows, _) = screen_one(&[&later, FERRITIN_40, TSAT_25], "2026-06-30");
    assert!(rows.is_empty());
    let (rows, _) = screen_one(&[&later, FERRITIN_40, TSAT_25], "2026-10-01");
    assert_eq!(rows.len(), 1);
    // A patient who died is not screened.
    let dead = r#"{"resourceType":"Patient","id":"p1","birthDate":"1950-01-01","deceasedDateTime":"2026-03-01"}"#;
    let (rows, _) = screen_one(&[dead, RLS, FERRITIN_40, TSAT_25], "2026-06-30");
    assert!(rows.is_empty());
    let (rows, _) = screen_one(&[dead, RLS, FERRITIN_40, TSAT_25], "2026-02-01");
    assert_eq!(rows.len(), 1);
}

#[test]
fn dopaminergic_drugs_for_parkinsons_disease_are_not_counted_as_rls_treatment() {
    let pd = r#"{"resourceType":"Condition","verificationStatus":{"coding":[{"code":"confirmed"}]},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"G20"}]},"subject":{"reference":"Patient/p1"}}"#;
    let da = r#"{"resourceType":"MedicationStatement","status":"active","medicationCodeableConcept":{"text":"pramipexole"},"subject":{"reference":"Patient/p1"},"effectivePeriod":{"start":"2019-01-01"}}"#;
    let measure = |s: &Summary| {
        let m = s
            .measures
            .iter()
            .find(|m| m.id == "dopaminergic-augmentation-or-long-use")
            .unwrap();
        (m.numerator, m.denominator)
    };
    let (_, with_pd) = screen_one(&[RLS, pd, da, FERRITIN_40, TSAT_25], "2026-06-30");
    assert_eq!(measure(&with_pd), (0, 0));
    let (_, rls_only) = screen_one(&[RLS, da, FERRITIN_40, TSAT_25], "2026-06-30");
    assert_eq!(measure(&rls_only), (1, 1));
}

/// `screen_lines` (the Python package's path) reads lines as the command
/// does: a byte-order mark or white space around a line changes nothing,
/// nor does their order.
#[test]
fn screen_lines_reads_lines_as_the_screen_does() {
    let child =
        "\u{feff}{\"resourceType\":\"Patient\",\"id\":\"p1\",\"birthDate\":\"2012-01-01\"}\r";
    let day: NaiveDate = "2026-06-30".parse().unwrap();
    let a = willis_screen::screen_lines(
        &[child, RLS, FERRITIN_40, TSAT_25],
        day,
        Profile::Irlssg2018,
    )
    .unwrap()
    .unwrap();
    let b = willis_screen::screen_lines(
        &[TSAT_25, FERRITIN_40, RLS, child],
        day,
        Profile::Irlssg2018,
    )
    .unwrap()
    .unwrap();
    assert_eq!(a.row, b.row);
    assert!(
        a.row.ids.iter().any(|i| i == "refer.specialist"),
        "{:?}",
        a.row.ids
    );
    let (rows, _) = screen_one(&[child, RLS, FERRITIN_40, TSAT_25], "2026-06-30");
    assert_eq!(rows, vec![a.row]);
}
