//! FHIR R4 Bundles on the command line: read wherever a record file is,
//! written by `willis export --format fhir`, added to the journal by
//! `willis import` (with `--dry-run`).

mod common;

use std::path::{Path, PathBuf};

use common::{fails, ok, root, samples, willis, Journal, AS_OF};

/// `willis plan --format json` of a file at `AS_OF`.
fn plan_of(file: &Path) -> serde_json::Value {
    let out = ok(&mut willis(&[
        "plan",
        "--format",
        "json",
        "--as-of",
        AS_OF,
        file.to_str().unwrap(),
    ]));
    serde_json::from_str(&out).unwrap()
}

/// `willis export --format fhir FILE` written to `dir`.
fn exported(file: &Path, dir: &Path) -> PathBuf {
    let bundle = ok(&mut willis(&[
        "export",
        "--format",
        "fhir",
        file.to_str().unwrap(),
    ]));
    let v: serde_json::Value = serde_json::from_str(&bundle).expect("the export is JSON");
    assert_eq!(v["resourceType"], "Bundle");
    let name = file.file_stem().unwrap().to_str().unwrap();
    let out = dir.join(format!("{name}.bundle.json"));
    std::fs::write(&out, bundle).unwrap();
    out
}

#[test]
fn every_sample_record_plans_the_same_after_export_as_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    for record in samples() {
        let bundle = exported(&record, dir.path());
        assert_eq!(
            plan_of(&bundle),
            plan_of(&record),
            "{} as a Bundle plans differently",
            record.display()
        );
    }
}

#[test]
fn the_example_bundle_plans_as_its_record_twin() {
    let bundle = root().join("examples/fhir/typical-low-ferritin.bundle.json");
    let record = root().join("examples/records/typical-low-ferritin.json");
    assert_eq!(plan_of(&bundle), plan_of(&record));
}

#[test]
fn letter_and_remind_read_a_bundle_too() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = exported(
        &root().join("examples/records/typical-low-ferritin.json"),
        dir.path(),
    );
    let b = bundle.to_str().unwrap();
    let html = ok(&mut willis(&[
        "letter", "--format", "html", "--as-of", AS_OF, b, "--out", "-",
    ]));
    assert!(html.contains("erritin"), "the letter shows the ferritin");
    let ics = ok(&mut willis(&["remind", "--as-of", AS_OF, b, "--out", "-"]));
    assert!(ics.contains("BEGIN:VCALENDAR"));
}

/// A Bundle as an EHR sends it: one usable ferritin, one entered in error.
const EHR_BUNDLE: &str = r#"{"resourceType": "Bundle", "type": "searchset", "entry": [
  {"resource": {"resourceType": "Condition", "id": "rls",
    "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
    "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "G25.81"}]}}},
  {"resource": {"resourceType": "Observation", "id": "ferritin-1", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "2276-4"}]},
    "effectiveDateTime": "2026-03-01T23:30:00-05:00",
    "valueQuantity": {"value": 30, "unit": "ng/mL", "system": "http://unitsofmeasure.org", "code": "ng/mL"}}},
  {"resource": {"resourceType": "Observation", "id": "ferritin-wrong", "status": "entered-in-error",
    "code": {"coding": [{"system": "http://loinc.org", "code": "2276-4"}]},
    "effectiveDateTime": "2026-03-02", "valueQuantity": {"value": 900, "unit": "ng/mL"}}}
]}"#;

#[test]
fn what_a_bundle_holds_but_cannot_be_used_is_said() {
    let j = Journal::new();
    let file = j.dir.path().join("ehr.json");
    std::fs::write(&file, EHR_BUNDLE).unwrap();
    let out = j.run(&["plan", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Observation/ferritin-wrong"), "{err}");
    assert!(err.contains("entered-in-error"), "{err}");
}

#[test]
fn import_adds_a_bundle_to_the_journal_once_and_dry_run_changes_nothing() {
    let j = Journal::new();
    let file = j.dir.path().join("ehr.json");
    std::fs::write(&file, EHR_BUNDLE).unwrap();
    let f = file.to_str().unwrap();

    let dry = j.ok(&["import", f, "--dry-run"]);
    assert!(dry.contains("would add"), "{dry}");
    assert!(dry.contains("ferritin"), "{dry}");
    assert!(dry.contains("Observation/ferritin-wrong"), "{dry}");
    assert!(dry.contains("nothing was changed"), "{dry}");
    let history = j.ok(&["history"]);
    assert!(!history.contains("ferritin"), "a dry run wrote: {history}");

    let first = j.ok(&["import", f]);
    assert!(first.contains("added 2 entries"), "{first}");
    let history = j.ok(&["history"]);
    assert!(history.contains("ferritin"), "{history}");
    // The plan from the journal is the plan from the Bundle.
    assert_eq!(j.plan_json(&[]), j.plan_json(&[f]));

    let again = j.ok(&["import", f]);
    assert!(again.contains("added 0 entries"), "{again}");
    assert!(again.contains("already in the journal"), "{again}");
}

#[test]
fn the_journal_exports_as_a_bundle_that_plans_the_same() {
    let j = Journal::new();
    let record = root().join("examples/records/typical-low-ferritin.json");
    j.ok(&["import", record.to_str().unwrap()]);
    let bundle = j.ok(&["export", "--format", "fhir"]);
    let file = j.dir.path().join("journal.bundle.json");
    std::fs::write(&file, bundle).unwrap();
    assert_eq!(j.plan_json(&[]), j.plan_json(&[file.to_str().unwrap()]));
}

#[test]
fn wrong_input_is_refused_with_a_clear_error() {
    let j = Journal::new();
    let other = j.dir.path().join("patient.json");
    std::fs::write(&other, r#"{"resourceType": "Patient", "id": "p"}"#).unwrap();
    let err = j.fails(&["import", other.to_str().unwrap()]);
    assert!(err.contains("not a FHIR Bundle"), "{err}");
    let err = j.fails(&["plan", other.to_str().unwrap()]);
    assert!(err.contains("resourceType"), "{err}");
    let record = root().join("examples/records/typical-low-ferritin.json");
    let err = j.fails(&["export", record.to_str().unwrap()]);
    assert!(err.contains("--format fhir"), "{err}");
    let broken = j.dir.path().join("broken.json");
    std::fs::write(&broken, r#"{"resourceType": "Bundle", "entry": [}"#).unwrap();
    let err = fails(&mut willis(&["plan", broken.to_str().unwrap()]));
    assert!(err.contains("line 1"), "{err}");
}
