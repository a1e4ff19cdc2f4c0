//! Every entry of the code tables (codes.rs), both ways, and every unit each
//! lab test accepts.

use serde_json::{json, Value};
use willis_core::units::{normalise_unit, LabTest};
use willis_core::Knowledge;
use willis_fhir::{bundle_to_record, codes, record_to_bundle, Bundle, Imported};

const LOINC: &str = "http://loinc.org";
const SCT: &str = "http://snomed.info/sct";
const ICD: &str = "http://hl7.org/fhir/sid/icd-10-cm";
const RX: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";

fn import(resources: Vec<Value>) -> Imported {
    let entry: Vec<Value> = resources
        .into_iter()
        .map(|r| json!({ "resource": r }))
        .collect();
    let b: Bundle =
        serde_json::from_value(json!({"resourceType": "Bundle", "entry": entry})).unwrap();
    let out = bundle_to_record(&b);
    out.record.validate(Knowledge::get()).expect("validates");
    out
}

/// Every LOINC code the import reads, and the test it is.
const LOINC_TABLE: &[(&str, LabTest)] = &[
    ("2276-4", LabTest::Ferritin),
    ("2502-3", LabTest::Tsat),
    ("2498-4", LabTest::Iron),
    ("2500-7", LabTest::Tibc),
    ("3034-6", LabTest::Transferrin),
    ("718-7", LabTest::Hemoglobin),
    ("1988-5", LabTest::Crp),
    ("30522-7", LabTest::Crp),
    ("62292-8", LabTest::VitaminD),
    ("1989-3", LabTest::VitaminD),
    ("14635-7", LabTest::VitaminD),
    ("2132-9", LabTest::VitaminB12),
    ("2284-8", LabTest::Folate),
    ("2777-1", LabTest::Phosphate),
    ("2160-0", LabTest::Creatinine),
    ("33914-3", LabTest::Egfr),
    ("48642-3", LabTest::Egfr),
    ("48643-1", LabTest::Egfr),
    ("62238-1", LabTest::Egfr),
    ("98979-8", LabTest::Egfr),
];

/// The unit spellings `accepted_units` lists for a test.
fn accepted(test: LabTest) -> Vec<String> {
    test.accepted_units()
        .replace(" or ", ", ")
        .split(", ")
        .map(str::to_string)
        .collect()
}

fn lab_obs(loinc: &str, value: f64, unit: &str, ucum: Option<&str>) -> Value {
    let mut q = json!({"value": value, "unit": unit});
    if let Some(c) = ucum {
        q["system"] = json!("http://unitsofmeasure.org");
        q["code"] = json!(c);
    }
    json!({
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "effectiveDateTime": "2026-03-01",
        "valueQuantity": q
    })
}

#[test]
fn every_loinc_code_reads_as_its_test_and_every_test_is_written_with_a_code_read_back() {
    for (code, test) in LOINC_TABLE {
        assert_eq!(codes::loinc_test(code), Some(*test), "{code}");
    }
    for test in LabTest::ALL {
        let (code, display) = codes::loinc_for_test(test);
        assert_eq!(codes::loinc_test(code), Some(test), "{test}");
        assert!(LOINC_TABLE.iter().any(|(c, _)| *c == code), "{code}");
        assert!(!display.is_empty());
    }
    assert_eq!(codes::loinc_test("1234-5"), None);
    assert_eq!(codes::loinc_test(" 2276-4 "), Some(LabTest::Ferritin));
}

#[test]
fn every_unit_every_test_accepts_is_read_by_ucum_code_and_by_printed_unit() {
    for test in LabTest::ALL {
        let (loinc, _) = codes::loinc_for_test(test);
        let (lo, hi) = test.plausible_range();
        let canonical = (lo + hi) / 4.0;
        for unit in accepted(test) {
            let value = test.from_canonical(canonical, &unit).unwrap();
            let core = normalise_unit(&unit);
            let ucum = codes::ucum_for_unit(&core)
                .unwrap_or_else(|| panic!("{test}: no UCUM code for {unit}"));
            for (printed, code) in [(unit.as_str(), Some(ucum)), (unit.as_str(), None)] {
                let out = import(vec![lab_obs(loinc, value, printed, code)]);
                assert!(out.skipped.is_empty(), "{test} {unit}: {:?}", out.skipped);
                let lab = &out.record.labs[0];
                assert_eq!(lab.test, test.name());
                assert_eq!(lab.value, value);
                assert_eq!(normalise_unit(&lab.unit), core, "{test} {unit}");
                // The spelling the lab printed is kept.
                assert_eq!(lab.unit, printed, "{test} {unit}");
            }
            // The UCUM code wins over a printed unit that says something else.
            let out = import(vec![lab_obs(loinc, value, "per litre?", Some(ucum))]);
            assert_eq!(normalise_unit(&out.record.labs[0].unit), core);
        }
    }
}

#[test]
fn a_unit_a_test_does_not_accept_is_reported() {
    for test in LabTest::ALL {
        let (loinc, _) = codes::loinc_for_test(test);
        let out = import(vec![lab_obs(loinc, 1.0, "kg", Some("kg"))]);
        assert!(out.record.labs.is_empty());
        assert_eq!(
            out.skipped[0].reason,
            format!(
                "{}: unit \"kg\" is not accepted; use {}",
                test.name(),
                test.accepted_units()
            )
        );
    }
}

/// Every SNOMED CT code the import reads.
const SNOMED_TABLE: &[(&str, &str)] = &[
    ("32914008", "restless-legs-syndrome"),
    ("77386006", "pregnancy"),
    ("46177005", "end-stage-kidney-disease"),
    ("433146000", "end-stage-kidney-disease"),
    ("399187006", "hemochromatosis"),
    ("78275009", "obstructive-sleep-apnea"),
    ("87522002", "iron-deficiency-anemia"),
    ("302226006", "peripheral-neuropathy"),
    ("49049000", "parkinsons-disease"),
    ("44054006", "type-2-diabetes"),
    ("73211009", "diabetes"),
    ("38341003", "hypertension"),
    ("24700007", "multiple-sclerosis"),
    ("69896004", "rheumatoid-arthritis"),
    ("40930008", "hypothyroidism"),
];

/// An ICD-10 code for every rule of the ICD-10 table.
const ICD_TABLE: &[(&str, &str)] = &[
    ("G25.81", "restless-legs-syndrome"),
    ("N18.6", "end-stage-kidney-disease"),
    ("N18.5", "end-stage-kidney-disease"),
    ("Z99.2", "end-stage-kidney-disease"),
    ("N18.3", "chronic-kidney-disease"),
    ("Z33.1", "pregnancy"),
    ("Z34.90", "pregnancy"),
    ("O99.89", "pregnancy"),
    ("E83.110", "hemochromatosis"),
    ("E83.119", "hemochromatosis"),
    ("G47.33", "obstructive-sleep-apnea"),
    ("D50.9", "iron-deficiency-anemia"),
    ("E61.1", "iron-deficiency"),
    ("G62.9", "peripheral-neuropathy"),
    ("G20", "parkinsons-disease"),
    ("E11.9", "type-2-diabetes"),
    ("E10.9", "diabetes"),
    ("G35", "multiple-sclerosis"),
    ("M05.79", "rheumatoid-arthritis"),
    ("M06.9", "rheumatoid-arthritis"),
    ("E03.9", "hypothyroidism"),
    ("K50.90", "inflammatory-bowel-disease"),
    ("K51.90", "inflammatory-bowel-disease"),
    ("K90.0", "coeliac-disease"),
    ("I10", "hypertension"),
];

fn condition(system: &str, code: &str) -> Value {
    json!({"resourceType": "Condition", "code": {"coding": [{"system": system, "code": code}]}})
}

#[test]
fn every_snomed_and_icd10_entry_reads_as_a_catalogue_condition() {
    let k = Knowledge::get();
    for (system, table) in [(SCT, SNOMED_TABLE), (ICD, ICD_TABLE)] {
        for (code, id) in table {
            let out = import(vec![condition(system, code)]);
            assert_eq!(out.record.conditions, vec![id.to_string()], "{code}");
            assert!(out.skipped.is_empty(), "{code}: {:?}", out.skipped);
            assert_eq!(k.condition(id).map(|e| e.id.as_str()), Some(*id), "{id}");
        }
    }
    // Without the dot, lower case, WHO ICD-10 system.
    assert_eq!(
        codes::icd10_condition("g2581"),
        Some("restless-legs-syndrome")
    );
    assert_eq!(codes::icd10_condition("Z99.9"), None);
    assert_eq!(codes::icd10_condition("O"), None);
    assert_eq!(codes::snomed_condition("1234"), None);
}

#[test]
fn every_condition_code_written_reads_back_as_the_same_condition() {
    let k = Knowledge::get();
    let mut written = 0;
    for entry in &k.conditions {
        if let Some(code) = codes::snomed_for_condition(&entry.id) {
            assert_eq!(codes::snomed_condition(code), Some(entry.id.as_str()));
            written += 1;
        }
        if let Some(code) = codes::icd10cm_for_condition(&entry.id) {
            assert_eq!(codes::icd10_condition(code), Some(entry.id.as_str()));
            written += 1;
        }
    }
    assert!(written >= 20, "{written}");
    // Every SNOMED code in the table is written for its condition, except
    // the second code for end-stage kidney disease (CKD stage 5).
    for (code, id) in SNOMED_TABLE {
        if *code != "433146000" {
            assert_eq!(codes::snomed_for_condition(id), Some(*code), "{id}");
        }
    }
}

#[test]
fn every_rxnorm_ingredient_both_ways_and_in_the_catalogue() {
    let k = Knowledge::get();
    for (code, name) in [
        ("8123", "pramipexole"),
        ("72302", "ropinirole"),
        ("54552", "rotigotine"),
        ("25480", "gabapentin"),
        ("187832", "pregabalin"),
        ("36437", "sertraline"),
    ] {
        assert_eq!(codes::rxnorm_ingredient(code), Some(name));
        assert_eq!(codes::rxnorm_for_ingredient(name), Some(code));
        assert!(!k.ingredients(name).is_empty(), "{name}");
        // Read by code alone.
        let out = import(vec![json!({
            "resourceType": "MedicationStatement", "status": "active",
            "medicationCodeableConcept": {"coding": [{"system": RX, "code": code}]}
        })]);
        assert_eq!(out.record.medications[0].name, name);
        // Written with the code.
        let file: willis_core::RecordFile = serde_json::from_value(json!({
            "format": "willis-record/1", "medications": [{"name": name}]
        }))
        .unwrap();
        let text = serde_json::to_string(&record_to_bundle(&file)).unwrap();
        assert!(text.contains(&format!("\"code\":\"{code}\"")), "{text}");
    }
}

#[test]
fn person_codes() {
    use codes::PersonCode::*;
    for (code, what) in [
        ("82810-3", PregnancyStatus),
        ("49051-6", GestationalAge),
        ("11884-4", GestationalAge),
        ("18185-9", GestationalAge),
        ("29463-7", BodyWeight),
        ("3141-9", BodyWeight),
    ] {
        assert_eq!(codes::loinc_person(code), Some(what), "{code}");
        assert_eq!(codes::loinc_test(code), None, "{code}");
    }
    assert!(codes::icd10_is_dialysis("Z99.2"));
    assert!(codes::icd10_is_dialysis("z992"));
    assert!(!codes::icd10_is_dialysis("Z99.1"));
}
