//! `willis plan` end to end: the binary on the sample records (snapshots of the
//! text and JSON output) and on broken records (one clear error, non-zero exit).

use std::path::Path;

mod common;

use common::{ok, run, sample, samples, willis, AS_OF};

fn plan(file: &Path, format: &str) -> String {
    ok(&mut willis(&[
        "plan",
        file.to_str().unwrap(),
        "--as-of",
        AS_OF,
        "--format",
        format,
    ]))
}

#[test]
fn text_plans_of_the_samples() {
    for file in samples() {
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        let text = plan(&file, "text");
        for line in text.lines() {
            assert!(
                line.chars().count() <= 80 || !line.contains(' '),
                "{name}: line over 80 columns: {line:?}"
            );
        }
        assert!(!text.contains('\x1b'), "{name}: colour without a terminal");
        insta::assert_snapshot!(format!("text-{name}"), text);
    }
}

#[test]
fn json_plans_of_the_samples() {
    for file in samples() {
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        let json: serde_json::Value =
            serde_json::from_str(&plan(&file, "json")).expect("stdout is JSON");
        assert_eq!(json["format"], "willis-assessment/1");
        assert_eq!(json["as_of"], AS_OF);
        insta::assert_json_snapshot!(format!("json-{name}"), json);
    }
}

#[test]
fn guideline_changes_the_iron_decision() {
    let file = sample("ferritin-above-300.json");
    // Ferritin 340: outside every profile's IV allowance.
    for g in ["irlssg-2018", "aasm-2024", "rlsf-2021"] {
        let out = run(&mut willis(&[
            "plan",
            &file,
            "--as-of",
            AS_OF,
            "--format",
            "json",
            "--guideline",
            g,
        ]));
        let a: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(a["guideline"], g);
    }
    let typical = sample("after-infusion-repeat.toml");
    let ids = |g: &str| {
        let out = run(&mut willis(&[
            "plan",
            &typical,
            "--as-of",
            AS_OF,
            "--format",
            "json",
            "--guideline",
            g,
        ]));
        let a: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        a["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // Ferritin 96 µg/L: a repeat under IRLSSG (< 300) and AASM (≤ 100), and
    // under the RLS Foundation (< 100) as well.
    assert!(ids("irlssg-2018").contains(&"iron.iv-repeat".to_string()));
    assert!(ids("rlsf-2021").contains(&"iron.iv-repeat".to_string()));
}

fn broken(name: &str, text: &str) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("willis-plan-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let out = run(&mut willis(&[
        "plan",
        path.to_str().unwrap(),
        "--as-of",
        AS_OF,
    ]));
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout for a broken record"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().unwrap_or(-1), stderr)
}

#[test]
fn broken_records_name_the_field() {
    let cases = [
        (
            "unit.json",
            r#"{"format":"willis-record/1","labs":[{"test":"ferritin","value":40,"unit":"ng/mL","date":"2026-01-01"},{"test":"tsat","value":20,"unit":"%","date":"2026-01-01"},{"test":"ferritin","value":40,"unit":"mg/furlong","date":"2026-01-01"}]}"#,
            "labs[2].unit: \"mg/furlong\" is not a unit for ferritin; use µg/L, ug/L or ng/mL",
        ),
        (
            "date.json",
            r#"{"format":"willis-record/1","labs":[{"test":"ferritin","value":40,"unit":"ng/mL","date":"2026-02-30"}]}"#,
            "labs[0].date",
        ),
        (
            "unknown.json",
            r#"{"format":"willis-record/1","patient":{"birth_date":"1970-01-01","shoe_size":44}}"#,
            "patient.shoe_size: unknown field `shoe_size`",
        ),
        (
            "negative.json",
            r#"{"format":"willis-record/1","labs":[{"test":"ferritin","value":-5,"unit":"ng/mL","date":"2026-01-01"}]}"#,
            "labs[0].value",
        ),
        (
            "type.json",
            r#"{"format":"willis-record/1","symptoms":{"irls_total":"high"}}"#,
            "symptoms.irls_total",
        ),
        (
            "syntax.json",
            "{\"format\": \"willis-record/1\",\n  \"labs\": [\n",
            "line",
        ),
        (
            "format.json",
            r#"{"format":"willis-record/9"}"#,
            "format: \"willis-record/9\" is not supported",
        ),
        (
            "toml.toml",
            "format = \"willis-record/1\"\n[patient]\nsex = \"robot\"\n",
            "patient.sex",
        ),
    ];
    for (name, text, expected) in cases {
        let (code, stderr) = broken(name, text);
        assert_ne!(code, 0, "{name} must fail");
        assert!(
            stderr.contains(expected),
            "{name}: {stderr:?} lacks {expected:?}"
        );
        assert_eq!(
            stderr.lines().count(),
            1,
            "{name}: one clear error: {stderr:?}"
        );
    }
}

#[test]
fn missing_file_and_bad_arguments_fail_clearly() {
    let out = run(&mut willis(&["plan", "/no/such/record.json"]));
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /no/such/record.json"));

    let child = sample("child.json");
    let out = run(&mut willis(&["plan", &child, "--as-of", "2026-13-01"]));
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--as-of"));

    let out = run(&mut willis(&["plan", &child, "--guideline", "nice-2099"]));
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("irlssg-2018"));
}
