//! The Bundles in examples/fhir: the twin of a record file, and an EHR-style
//! searchset.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use willis_core::parse::read_record_file;
use willis_core::{assess, Knowledge, Profile};
use willis_fhir::{bundle_to_record, read_bundle, record_to_bundle};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The committed twin is exactly what `record_to_bundle` writes today; with
/// `WILLIS_BLESS=1` the file is written instead.
#[test]
fn the_twin_bundle_is_what_the_exporter_writes_and_plans_as_its_record() {
    let record_path = repo().join("examples/records/typical-low-ferritin.json");
    let bundle_path = repo().join("examples/fhir/typical-low-ferritin.bundle.json");
    let file = read_record_file(&record_path).unwrap();
    let written = serde_json::to_string_pretty(&record_to_bundle(&file)).unwrap() + "\n";
    if std::env::var_os("WILLIS_BLESS").is_some() {
        std::fs::write(&bundle_path, &written).unwrap();
    }
    let committed = std::fs::read_to_string(&bundle_path).unwrap();
    assert_eq!(
        committed, written,
        "examples/fhir/typical-low-ferritin.bundle.json is stale; run the test with WILLIS_BLESS=1"
    );
    let imported = bundle_to_record(&read_bundle(&committed).unwrap());
    assert!(imported.skipped.is_empty(), "{:?}", imported.skipped);
    let from_bundle = imported.record.validate(Knowledge::get()).unwrap();
    let from_record = file.validate(Knowledge::get()).unwrap();
    for day in [(2026, 11, 22), (2027, 6, 1)] {
        let day = NaiveDate::from_ymd_opt(day.0, day.1, day.2).unwrap();
        for profile in Profile::ALL {
            assert_eq!(
                serde_json::to_string(&assess(&from_bundle, day, profile)).unwrap(),
                serde_json::to_string(&assess(&from_record, day, profile)).unwrap(),
                "{profile:?} {day}"
            );
        }
    }
}
