//! The screen over the committed fixture (crates/screen/tests/data/bulk):
//! exact rows, measures and malformed lines; the same rows whatever the
//! files, their order, compression, threads and buckets.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use willis_core::Profile;
use willis_screen::{screen, Options, Quiet, Row, Summary};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bulk")
}

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

/// Every line of the fixture, file by file.
fn fixture_lines() -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(fixture())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
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
    // p-nolabs has no iron panel.
    assert_eq!(m("iron-status-not-assessed"), (1, 5));
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
