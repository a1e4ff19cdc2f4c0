//! `willis synth` and `willis screen` on the command line: the report in
//! NDJSON and CSV, the summary, errors, and a synthetic export screened end
//! to end.

mod common;

use std::path::Path;

use common::{fails, ok, root, willis};
use willis_screen::Row;

fn fixture() -> String {
    root()
        .join("crates/screen/tests/data/bulk")
        .to_string_lossy()
        .into_owned()
}

const DAY: &str = "2026-11-15";

fn ndjson_rows(text: &str) -> Vec<Row> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a report line is a row"))
        .collect()
}

fn csv_rows(path: &Path) -> Vec<Row> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, willis_screen::row::CSV_HEADER);
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let fields: Vec<&str> = r.iter().collect();
            Row::from_csv_fields(&fields).unwrap()
        })
        .collect()
}

#[test]
fn the_csv_and_ndjson_reports_hold_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("report.csv");
    let nd = dir.path().join("report.ndjson");
    let summary = dir.path().join("summary.json");
    let said = ok(&mut willis(&[
        "screen",
        &fixture(),
        "--as-of",
        DAY,
        "--out",
        csv.to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
    ]));
    assert!(said.contains("with RLS: 5"), "{said}");
    assert!(said.contains("Quality measures"), "{said}");
    ok(&mut willis(&[
        "screen",
        &fixture(),
        "--as-of",
        DAY,
        "--out",
        nd.to_str().unwrap(),
    ]));
    let from_csv = csv_rows(&csv);
    let from_nd = ndjson_rows(&std::fs::read_to_string(&nd).unwrap());
    assert_eq!(from_csv.len(), 5);
    assert_eq!(from_csv, from_nd);
    // Without --out the rows go to standard output, the same again.
    let stdout = ok(&mut willis(&["screen", &fixture(), "--as-of", DAY]));
    assert_eq!(ndjson_rows(&stdout), from_nd);

    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(s["format"], "willis-screen-summary/1");
    assert_eq!(s["patients"], 7);
    assert_eq!(s["patients_with_rls"], 5);
    assert_eq!(s["malformed_lines"], 2);
    assert_eq!(s["malformed"][0]["line"], 5);
    assert_eq!(s["ids"]["lifestyle.sleep"], 5);
    let measure = s["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "iron-despite-overload")
        .unwrap();
    assert_eq!(measure["numerator"], 1);
    assert_eq!(measure["denominator"], 1);
    assert_eq!(measure["percent"], 100.0);
}

#[test]
fn malformed_lines_are_named_on_standard_error() {
    let out = willis(&["screen", &fixture(), "--as-of", DAY])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Condition.ndjson:5: malformed line"), "{err}");
    assert!(
        err.contains("Observation.1.ndjson:3: malformed line"),
        "{err}"
    );
    assert!(
        err.contains("Patients: 7; with RLS: 5; malformed lines: 2."),
        "{err}"
    );
}

#[test]
fn a_failed_screen_leaves_no_report_behind() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.csv");
    let err = fails(&mut willis(&[
        "screen",
        "/no/such/export",
        "--as-of",
        DAY,
        "--out",
        report.to_str().unwrap(),
    ]));
    assert!(err.contains("/no/such/export"), "{err}");
    assert!(!report.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let err = fails(&mut willis(&[
        "screen",
        &fixture(),
        "--as-of",
        "15/11/2026",
    ]));
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}

#[test]
fn synth_is_deterministic_and_screens_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let args = |out: &Path| {
        vec![
            "synth".to_string(),
            "--patients".to_string(),
            "400".to_string(),
            "--seed".to_string(),
            "9".to_string(),
            "--max-file-mib".to_string(),
            "1".to_string(),
            "--out".to_string(),
            out.to_string_lossy().into_owned(),
        ]
    };
    let said = ok(&mut willis(
        &args(&a).iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    ok(&mut willis(
        &args(&b).iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let mut names: Vec<_> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(
        names.iter().any(|n| n == "Observation.2.ndjson"),
        "{names:?}"
    );
    for name in &names {
        assert_eq!(
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
            "{name:?}"
        );
    }
    // A second run into a folder that is not empty is refused.
    let again = fails(&mut willis(
        &args(&a).iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert!(again.contains("empty"), "{again}");

    // "Wrote 400 patients (N with RLS)": the screen finds the same N.
    let with_rls: u64 = said
        .split("patients (")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    let summary = dir.path().join("summary.json");
    ok(&mut willis(&[
        "screen",
        a.to_str().unwrap(),
        "--as-of",
        "2026-06-30",
        "--out",
        dir.path().join("r.csv").to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
    ]));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(s["patients"], 400);
    assert_eq!(s["patients_with_rls"], with_rls);
    assert!(with_rls > 10, "{said}");
}
