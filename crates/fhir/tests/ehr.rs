//! examples/fhir/ehr-searchset.json: what an EHR-style searchset gives.

use std::path::Path;

use serde_json::json;
use willis_core::{Knowledge, RecordFile};
use willis_fhir::{bundle_to_record, is_bundle, read_bundle, Skipped};

#[test]
fn the_ehr_searchset_imports_exactly_this() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/fhir/ehr-searchset.json");
    let text = std::fs::read_to_string(path).unwrap();
    assert!(is_bundle(&text));
    let out = bundle_to_record(&read_bundle(&text).unwrap());
    out.record.validate(Knowledge::get()).unwrap();
    let expected: RecordFile = serde_json::from_value(json!({
        "format": "willis-record/1",
        // 158.4 lb ([lb_av]) to the nearest 10 g.
        "patient": {"birth_date": "1971-05-20", "sex": "female", "weight_kg": 71.85},
        // ICD-10-CM G25.81.
        "conditions": ["restless-legs-syndrome"],
        "labs": [
            // The day as written in the result's own offset; the unit as printed.
            {"test": "ferritin", "value": 28.0, "unit": "ng/mL", "date": "2026-10-02"},
            {"test": "ferritin", "value": 31.0, "unit": "µg/L", "date": "2026-11-03"},
            {"test": "tsat", "value": 14.0, "unit": "%", "date": "2026-11-03"}
        ],
        // The contained Medication, by its RxNorm ingredient code.
        "medications": [
            {"name": "pramipexole", "dose": "0.25 mg by mouth at 20:00", "started": "2025-06-01"}
        ]
    }))
    .unwrap();
    assert_eq!(out.record, expected);
    let skipped = |resource: &str, reason: &str| Skipped {
        resource: resource.to_string(),
        reason: reason.to_string(),
    };
    assert_eq!(
        out.skipped,
        vec![
            skipped(
                "Observation/hgb-1103",
                "status is entered-in-error; only a final result is used"
            ),
            skipped(
                "Observation/crp-1104",
                "status is preliminary; only a final result is used"
            ),
            skipped(
                "Observation/vitd-1103",
                "vitamin_d: no value: dataAbsentReason \"specimen haemolysed\""
            ),
            skipped("Encounter/e-901", "Willis does not read Encounter resources"),
            skipped(
                "OperationOutcome (entry 11)",
                "an OperationOutcome is a message, not a fact about the person (information informational: 2 results hidden by the patient's consent settings)"
            ),
        ]
    );
}
