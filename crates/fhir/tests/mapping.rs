use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::{json, Value};
use willis_core::units::normalise_unit;
use willis_core::{assess, Knowledge, Profile};
use willis_fhir::{bundle_to_record, Bundle, Imported, Resource};

fn bundle(resources: Vec<Value>) -> Bundle {
    let entry: Vec<Value> = resources
        .into_iter()
        .map(|r| json!({ "resource": r }))
        .collect();
    serde_json::from_value(json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": entry
    }))
    .expect("a bundle")
}

fn import(resources: Vec<Value>) -> Imported {
    let out = bundle_to_record(&bundle(resources));
    out.record
        .validate(Knowledge::get())
        .expect("the imported record validates");
    out
}

fn obs(id: &str, loinc: &str, value: f64, ucum: &str, when: &str) -> Value {
    json!({
        "resourceType": "Observation",
        "id": id,
        "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": ucum, "system": "http://unitsofmeasure.org", "code": ucum}
    })
}

/// One lab imported: (test, value, unit, date).
fn one_lab(o: Value) -> (String, f64, String, String) {
    let out = import(vec![o]);
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    assert_eq!(out.record.labs.len(), 1);
    let l = &out.record.labs[0];
    (l.test.clone(), l.value, l.unit.clone(), l.date.clone())
}

fn skipped_reason(o: Value) -> String {
    let out = import(vec![o]);
    assert!(
        out.record.labs.is_empty()
            && out.record.medications.is_empty()
            && out.record.conditions.is_empty(),
        "{:?}",
        out.record
    );
    assert_eq!(out.skipped.len(), 1, "{:?}", out.skipped);
    out.skipped[0].reason.clone()
}

#[test]
fn every_loinc_code_and_unit_family() {
    let cases: &[(&str, f64, &str, &str, &str)] = &[
        ("2276-4", 45.0, "ng/mL", "ferritin", "ng/mL"),
        ("2276-4", 45.0, "ug/L", "ferritin", "µg/L"),
        ("2502-3", 18.0, "%", "tsat", "%"),
        ("2498-4", 60.0, "ug/dL", "iron", "µg/dL"),
        ("2498-4", 11.0, "umol/L", "iron", "µmol/L"),
        ("2500-7", 350.0, "ug/dL", "tibc", "µg/dL"),
        ("2500-7", 60.0, "umol/L", "tibc", "µmol/L"),
        ("3034-6", 250.0, "mg/dL", "transferrin", "mg/dL"),
        ("3034-6", 2.5, "g/L", "transferrin", "g/L"),
        ("718-7", 13.5, "g/dL", "hemoglobin", "g/dL"),
        ("718-7", 135.0, "g/L", "hemoglobin", "g/L"),
        ("718-7", 8.4, "mmol/L", "hemoglobin", "mmol/L"),
        ("1988-5", 3.0, "mg/L", "crp", "mg/L"),
        ("1988-5", 0.3, "mg/dL", "crp", "mg/dL"),
        ("30522-7", 1.2, "mg/L", "crp", "mg/L"),
        ("62292-8", 30.0, "ng/mL", "vitamin_d", "ng/mL"),
        ("1989-3", 75.0, "nmol/L", "vitamin_d", "nmol/L"),
        ("14635-7", 75.0, "nmol/L", "vitamin_d", "nmol/L"),
        ("2132-9", 400.0, "pg/mL", "vitamin_b12", "pg/mL"),
        ("2132-9", 300.0, "pmol/L", "vitamin_b12", "pmol/L"),
        ("2284-8", 8.0, "ng/mL", "folate", "ng/mL"),
        ("2284-8", 18.0, "nmol/L", "folate", "nmol/L"),
        ("2777-1", 3.5, "mg/dL", "phosphate", "mg/dL"),
        ("2777-1", 1.1, "mmol/L", "phosphate", "mmol/L"),
        ("2160-0", 0.9, "mg/dL", "creatinine", "mg/dL"),
        ("2160-0", 80.0, "umol/L", "creatinine", "µmol/L"),
        ("33914-3", 70.0, "mL/min/{1.73_m2}", "egfr", "mL/min/1.73m2"),
        ("48642-3", 70.0, "mL/min/{1.73_m2}", "egfr", "mL/min/1.73m2"),
        ("48643-1", 70.0, "mL/min/{1.73_m2}", "egfr", "mL/min/1.73m2"),
        ("62238-1", 70.0, "mL/min/{1.73_m2}", "egfr", "mL/min/1.73m2"),
        ("98979-8", 70.0, "mL/min/{1.73_m2}", "egfr", "mL/min/1.73m2"),
    ];
    for (loinc, value, ucum, test, unit) in cases {
        let got = one_lab(obs("o1", loinc, *value, ucum, "2026-03-01T08:15:00Z"));
        // The unit is kept as the lab printed it (here the same as the UCUM
        // code), and it is the unit willis-core reads as `unit`.
        assert_eq!(
            got,
            (
                test.to_string(),
                *value,
                ucum.to_string(),
                "2026-03-01".to_string()
            ),
            "{loinc} {ucum}"
        );
        assert_eq!(normalise_unit(&got.2), *unit, "{loinc} {ucum}");
    }
}

#[test]
fn the_ucum_code_wins_over_the_printed_unit() {
    let mut o = obs("o1", "2276-4", 45.0, "ug/L", "2026-03-01");
    o["valueQuantity"]["unit"] = json!("mcg per litre");
    assert_eq!(one_lab(o).2, "µg/L");
    let mut o = obs("o1", "2276-4", 45.0, "ng/mL", "2026-03-01");
    o["valueQuantity"].as_object_mut().unwrap().remove("code");
    o["valueQuantity"]["unit"] = json!("ng/mL");
    assert_eq!(one_lab(o).2, "ng/mL");
}

#[test]
fn dates_keep_the_day_as_written_in_their_own_offset() {
    let day = |when: &str| one_lab(obs("o1", "2276-4", 45.0, "ng/mL", when)).3;
    assert_eq!(day("2026-03-01T23:30:00-05:00"), "2026-03-01");
    assert_eq!(day("2026-03-01T00:30:00+09:00"), "2026-03-01");
    assert_eq!(day("2026-03-01T12:00:00Z"), "2026-03-01");
    assert_eq!(day("2026-03-01"), "2026-03-01");
}

#[test]
fn date_falls_back_to_effective_period_then_issued() {
    let mut o = obs("o1", "2276-4", 45.0, "ng/mL", "x");
    o.as_object_mut().unwrap().remove("effectiveDateTime");
    o["effectivePeriod"] = json!({"start": "2026-02-03T07:00:00+01:00", "end": "2026-02-04"});
    o["issued"] = json!("2026-02-10T09:00:00Z");
    assert_eq!(one_lab(o.clone()).3, "2026-02-03");
    o.as_object_mut().unwrap().remove("effectivePeriod");
    assert_eq!(one_lab(o).3, "2026-02-10");
}

#[test]
fn skips_observations_by_status() {
    for status in ["entered-in-error", "cancelled", "preliminary"] {
        let mut o = obs("abc", "2276-4", 45.0, "ng/mL", "2026-03-01");
        o["status"] = json!(status);
        let out = import(vec![o]);
        assert!(out.record.labs.is_empty());
        assert_eq!(out.skipped[0].resource, "Observation/abc");
        assert!(out.skipped[0].reason.contains(status), "{:?}", out.skipped);
    }
    for status in ["final", "amended", "corrected"] {
        let mut o = obs("abc", "2276-4", 45.0, "ng/mL", "2026-03-01");
        o["status"] = json!(status);
        assert_eq!(one_lab(o).1, 45.0);
    }
}

#[test]
fn skips_an_observation_with_no_value() {
    let mut o = obs("abc", "2276-4", 45.0, "ng/mL", "2026-03-01");
    o.as_object_mut().unwrap().remove("valueQuantity");
    o["dataAbsentReason"] = json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "error", "display": "Error"}]});
    assert!(skipped_reason(o).contains("dataAbsentReason"));

    let mut o = obs("abc", "2276-4", 45.0, "ng/mL", "2026-03-01");
    o.as_object_mut().unwrap().remove("valueQuantity");
    o["valueString"] = json!("<5");
    assert!(skipped_reason(o).contains("text"));

    // A bound (comparator) is read as its number, with a note: tests/safety.rs.
}

#[test]
fn skips_an_observation_with_no_date() {
    let mut o = obs("abc", "2276-4", 45.0, "ng/mL", "2026-03-01");
    o.as_object_mut().unwrap().remove("effectiveDateTime");
    assert!(skipped_reason(o).contains("no date"));
    let o = obs("abc", "2276-4", 45.0, "ng/mL", "2026-03");
    assert!(skipped_reason(o).contains("not a full date"));
}

#[test]
fn skips_an_unknown_code() {
    let r = skipped_reason(obs("abc", "2345-7", 5.0, "mmol/L", "2026-03-01"));
    assert!(r.contains("LOINC 2345-7"), "{r}");
    let mut o = obs("abc", "2276-4", 45.0, "ng/mL", "2026-03-01");
    o["code"] = json!({"coding": [{"system": "http://example.org/local", "code": "FERR"}], "text": "Ferritin"});
    assert!(skipped_reason(o).contains("no LOINC code"));
}

#[test]
fn skips_a_unit_core_does_not_accept() {
    // Ferritin in pmol/L is converted (tests/safety.rs); mmol/L is not a ferritin unit.
    let r = skipped_reason(obs("abc", "2276-4", 45.0, "mmol/L", "2026-03-01"));
    assert!(r.contains("\"mmol/L\" is not accepted"), "{r}");
    let r = skipped_reason(obs("abc", "2502-3", 0.18, "1", "2026-03-01"));
    assert!(r.contains("not accepted"), "{r}");
}

#[test]
fn skips_an_implausible_value() {
    let r = skipped_reason(obs("abc", "2502-3", 180.0, "%", "2026-03-01"));
    assert!(r.contains("plausible"), "{r}");
}

#[test]
fn patient_birth_date_and_sex() {
    let p = |gender: &str, birth: &str| {
        let out = import(vec![
            json!({"resourceType": "Patient", "id": "p1", "gender": gender, "birthDate": birth}),
        ]);
        (out.record.patient.unwrap(), out.skipped)
    };
    let (f, s) = p("female", "1970-05-06");
    assert_eq!(
        (f.sex.as_deref(), f.birth_date.as_deref()),
        (Some("female"), Some("1970-05-06"))
    );
    assert!(s.is_empty());
    assert_eq!(p("male", "1970-05-06").0.sex.as_deref(), Some("male"));
    assert_eq!(p("other", "1970-05-06").0.sex, None);
    assert_eq!(p("unknown", "1970-05-06").0.sex, None);
    let (partial, s) = p("female", "1970");
    assert_eq!(partial.birth_date, None);
    assert!(s[0].reason.contains("not a full date"));
}

fn condition(id: &str, system: &str, code: &str) -> Value {
    json!({
        "resourceType": "Condition",
        "id": id,
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
        "code": {"coding": [{"system": system, "code": code}]}
    })
}

const SCT: &str = "http://snomed.info/sct";
const ICD: &str = "http://hl7.org/fhir/sid/icd-10-cm";

#[test]
fn conditions_by_snomed_and_icd10() {
    let cases = [
        (SCT, "32914008", "restless-legs-syndrome"),
        (ICD, "G25.81", "restless-legs-syndrome"),
        (
            "http://hl7.org/fhir/sid/icd-10",
            "G2581",
            "restless-legs-syndrome",
        ),
        (SCT, "46177005", "end-stage-kidney-disease"),
        (ICD, "N18.6", "end-stage-kidney-disease"),
        (SCT, "77386006", "pregnancy"),
        (ICD, "Z33.1", "pregnancy"),
        (ICD, "O26.891", "pregnancy"),
        (SCT, "399187006", "hemochromatosis"),
        (ICD, "E83.110", "hemochromatosis"),
        (SCT, "78275009", "obstructive-sleep-apnea"),
        (ICD, "G47.33", "obstructive-sleep-apnea"),
        (SCT, "87522002", "iron-deficiency-anemia"),
        (ICD, "D50.9", "iron-deficiency-anemia"),
        (SCT, "302226006", "peripheral-neuropathy"),
        (ICD, "G62.9", "peripheral-neuropathy"),
        (ICD, "N18.3", "chronic-kidney-disease"),
    ];
    for (system, code, id) in cases {
        let out = import(vec![condition("c1", system, code)]);
        assert_eq!(
            out.record.conditions,
            vec![id.to_string()],
            "{system} {code}"
        );
        assert!(out.skipped.is_empty());
        let record = out.record.validate(Knowledge::get()).unwrap();
        assert!(
            record.conditions[0].known.is_some(),
            "{id} is in the catalogue"
        );
    }
}

#[test]
fn condition_by_name_when_the_code_is_unknown() {
    let c = json!({"resourceType": "Condition", "id": "c1", "code": {"coding": [{"system": "http://example.org", "code": "X1", "display": "Restless legs syndrome"}]}});
    assert_eq!(
        import(vec![c]).record.conditions,
        vec!["restless-legs-syndrome"]
    );
}

#[test]
fn skips_conditions_by_status_and_unknown_code() {
    let with = |field: &str, code: &str| {
        let mut c = condition("c9", SCT, "32914008");
        c[field] = json!({"coding": [{"code": code}]});
        c
    };
    for (field, code) in [
        ("verificationStatus", "entered-in-error"),
        ("verificationStatus", "refuted"),
        ("clinicalStatus", "resolved"),
        ("clinicalStatus", "inactive"),
    ] {
        let r = skipped_reason(with(field, code));
        assert!(r.contains(code), "{r}");
    }
    let r = skipped_reason(condition("c9", SCT, "22298006"));
    assert!(r.contains("not a condition Willis knows"), "{r}");
}

fn statement(id: &str, medication: Value, status: &str, period: Value) -> Value {
    let mut s = json!({
        "resourceType": "MedicationStatement",
        "id": id,
        "status": status,
        "subject": {"reference": "Patient/p1"},
        "effectivePeriod": period,
        "dosage": [{"text": "0.25 mg at night"}]
    });
    for (k, v) in medication.as_object().unwrap() {
        s[k] = v.clone();
    }
    s
}

const RX: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";

#[test]
fn medicines_by_rxnorm_code() {
    for (code, name) in [
        ("8123", "pramipexole"),
        ("72302", "ropinirole"),
        ("54552", "rotigotine"),
        ("25480", "gabapentin"),
        ("187832", "pregabalin"),
        ("36437", "sertraline"),
    ] {
        let s = statement(
            "s1",
            json!({"medicationCodeableConcept": {"coding": [{"system": RX, "code": code}]}}),
            "active",
            json!({"start": "2025-01-10T21:00:00-08:00"}),
        );
        let out = import(vec![s]);
        let m = &out.record.medications[0];
        assert_eq!(m.name, name);
        assert_eq!(m.started.as_deref(), Some("2025-01-10"));
        assert_eq!(m.stopped, None);
        assert_eq!(m.dose.as_deref(), Some("0.25 mg at night"));
        let record = out.record.validate(Knowledge::get()).unwrap();
        assert!(
            record.medications[0].resolved.is_some(),
            "{name} is in the catalogue"
        );
    }
}

#[test]
fn medicines_by_name_text_display_and_contained_medication() {
    let by_text = statement(
        "s1",
        json!({"medicationCodeableConcept": {"text": "Mirapexin 0.18 mg tablets"}}),
        "active",
        json!({}),
    );
    assert_eq!(
        import(vec![by_text]).record.medications[0].name,
        "Mirapexin 0.18 mg tablets"
    );

    let by_display = statement(
        "s1",
        json!({"medicationCodeableConcept": {"coding": [{"system": RX, "code": "1234567", "display": "ropinirole 2 MG Oral Tablet"}]}}),
        "active",
        json!({}),
    );
    let out = import(vec![by_display]);
    assert_eq!(
        out.record.medications[0].name,
        "ropinirole 2 MG Oral Tablet"
    );
    let record = out.record.validate(Knowledge::get()).unwrap();
    assert_eq!(
        record.medications[0].resolved.as_ref().unwrap().0,
        "ropinirole"
    );

    let request = json!({
        "resourceType": "MedicationRequest",
        "id": "r1",
        "status": "active",
        "intent": "order",
        "contained": [{"resourceType": "Medication", "id": "med", "code": {"coding": [{"system": RX, "code": "25480", "display": "gabapentin"}]}}],
        "medicationReference": {"reference": "#med"},
        "authoredOn": "2026-01-05T10:00:00+01:00",
        "dosageInstruction": [{"text": "300 mg at night"}]
    });
    let out = import(vec![request]);
    let m = &out.record.medications[0];
    assert_eq!(
        (m.name.as_str(), m.started.as_deref()),
        ("gabapentin", Some("2026-01-05"))
    );
    assert!(out.skipped.is_empty());
}

#[test]
fn medication_request_referencing_a_medication_in_the_bundle() {
    let b: Bundle = serde_json::from_value(json!({
        "resourceType": "Bundle", "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:aaaa", "resource": {"resourceType": "Medication", "code": {"coding": [{"system": RX, "code": "187832"}]}}},
            {"fullUrl": "urn:uuid:bbbb", "resource": {"resourceType": "Medication", "id": "unused", "code": {"text": "pramipexole"}}},
            {"resource": {"resourceType": "MedicationRequest", "id": "r1", "status": "active", "medicationReference": {"reference": "urn:uuid:aaaa"}}}
        ]
    })).unwrap();
    let out = bundle_to_record(&b);
    assert_eq!(out.record.medications.len(), 1);
    assert_eq!(out.record.medications[0].name, "pregabalin");
    assert_eq!(out.skipped.len(), 1);
    assert_eq!(out.skipped[0].resource, "Medication/unused");
}

#[test]
fn stopped_medicines_and_skipped_ones() {
    let rx = |code: &str| json!({"medicationCodeableConcept": {"coding": [{"system": RX, "code": code}]}});
    let stopped = statement(
        "s1",
        rx("8123"),
        "stopped",
        json!({"start": "2024-01-01", "end": "2025-06-30T22:00:00-04:00"}),
    );
    let m = &import(vec![stopped]).record.medications[0];
    assert_eq!(
        (m.started.as_deref(), m.stopped.as_deref()),
        (Some("2024-01-01"), Some("2025-06-30"))
    );

    // An active statement's planned end is not a stop (on a day before it;
    // once the end has passed, the course has stopped).
    let active = statement(
        "s1",
        rx("8123"),
        "active",
        json!({"start": "2024-01-01", "end": "2030-01-01"}),
    );
    let on = |day: &str| {
        willis_fhir::bundle_to_record_on(&bundle(vec![active.clone()]), day.parse().unwrap())
            .record
            .medications[0]
            .stopped
            .clone()
    };
    assert_eq!(on("2026-11-23"), None);
    assert_eq!(on("2031-01-01").as_deref(), Some("2030-01-01"));

    let r = skipped_reason(statement("s1", rx("8123"), "entered-in-error", json!({})));
    assert!(r.contains("entered-in-error"));
    let r = skipped_reason(statement(
        "s1",
        rx("8123"),
        "completed",
        json!({"start": "2024-01-01"}),
    ));
    assert!(r.contains("no end date"), "{r}");
    let r = skipped_reason(statement(
        "s1",
        rx("8123"),
        "stopped",
        json!({"start": "2025-01-01", "end": "2024-01-01"}),
    ));
    assert!(r.contains("before"), "{r}");
    let r = skipped_reason(
        json!({"resourceType": "MedicationStatement", "id": "s1", "status": "active"}),
    );
    assert!(r.contains("no medicationCodeableConcept"), "{r}");
    let r = skipped_reason(
        json!({"resourceType": "MedicationRequest", "id": "r1", "status": "draft", "medicationCodeableConcept": {"text": "ropinirole"}}),
    );
    assert!(r.contains("draft"), "{r}");
}

#[test]
fn tolerates_unknown_elements_and_reports_every_unused_resource() {
    let mut o = obs("o1", "2276-4", 45.0, "ng/mL", "2026-03-01");
    o["meta"] = json!({"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab"]});
    o["extension"] = json!([{"url": "http://example.org/x", "valueBoolean": true}]);
    o["referenceRange"] = json!([{"low": {"value": 30}}]);
    let out = import(vec![
        o,
        json!({"resourceType": "Encounter", "id": "e1"}),
        json!({"resourceType": "Observation", "id": "bad", "code": "not an object"}),
        json!({"id": "nothing"}),
        json!({"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "processing", "diagnostics": "partial"}]}),
    ]);
    assert_eq!(out.record.labs.len(), 1);
    let skipped: Vec<&str> = out.skipped.iter().map(|s| s.resource.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "Encounter/e1",
            "Observation/bad",
            "Resource/nothing",
            "OperationOutcome (entry 4)"
        ]
    );
    assert!(out.skipped[1].reason.contains("could not be read"));
}

#[test]
fn a_whole_bundle_validates_and_plans() {
    let b: Bundle = serde_json::from_value(json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"fullUrl": "https://ehr.example/fhir/Patient/p1", "resource": {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1968-04-12"}, "search": {"mode": "match"}},
            {"resource": condition("c1", SCT, "32914008")},
            {"resource": condition("c2", ICD, "G47.33")},
            {"resource": obs("o1", "2276-4", 38.0, "ng/mL", "2026-02-20T08:10:00-05:00")},
            {"resource": obs("o2", "2502-3", 17.0, "%", "2026-02-20T08:10:00-05:00")},
            {"resource": obs("o3", "718-7", 12.1, "g/dL", "2026-02-20T08:10:00-05:00")},
            {"resource": obs("o4", "1988-5", 2.0, "mg/L", "2026-02-20T08:10:00-05:00")},
            {"resource": obs("o5", "98979-8", 88.0, "mL/min/{1.73_m2}", "2026-02-20T08:10:00-05:00")},
            {"resource": statement("s1", json!({"medicationCodeableConcept": {"coding": [{"system": RX, "code": "8123", "display": "pramipexole"}]}}), "active", json!({"start": "2023-09-01"}))},
            {"resource": statement("s2", json!({"medicationCodeableConcept": {"text": "sertraline 50 mg"}}), "active", json!({"start": "2025-11-01"}))},
            {"resource": {"resourceType": "AllergyIntolerance", "id": "a1"}}
        ]
    })).unwrap();
    let out = bundle_to_record(&b);
    assert_eq!(out.record.labs.len(), 5);
    assert_eq!(out.record.medications.len(), 2);
    assert_eq!(out.record.conditions.len(), 2);
    assert_eq!(out.skipped.len(), 1);
    assert_eq!(out.skipped[0].resource, "AllergyIntolerance/a1");
    let record = out.record.validate(Knowledge::get()).expect("validates");
    let as_of = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    for profile in [Profile::Irlssg2018, Profile::Aasm2024, Profile::Rlsf2021] {
        let assessment = assess(&record, as_of, profile);
        let text = serde_json::to_string(&assessment).unwrap();
        // The plan uses what was imported: the SSRI that can worsen RLS, the
        // dopamine agonist and the iron studies.
        assert!(text.contains("sertraline"), "{profile:?}");
        assert!(text.contains("pramipexole"), "{profile:?}");
        assert!(text.contains("ferritin"), "{profile:?}");
    }
    // The record round-trips through willis-record/1 JSON.
    let json = serde_json::to_string(&out.record).unwrap();
    willis_core::parse_json(&json).expect("parses as a record file");
}

#[test]
fn resources_serialise_back_with_their_type() {
    let r: Resource =
        serde_json::from_value(obs("o1", "2276-4", 45.0, "ng/mL", "2026-03-01")).unwrap();
    let back = serde_json::to_value(&r).unwrap();
    assert_eq!(back["resourceType"], "Observation");
    assert_eq!(back["valueQuantity"]["code"], "ng/mL");
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-zA-Z0-9#:/._ -]{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("2026-03-01T23:30:00-05:00"),
            Just("2026-03"),
            Just("2026-13-45"),
            Just("0001-01-01"),
            Just("http://loinc.org"),
            Just("2276-4"),
            Just("ng/mL"),
            Just("%"),
            Just("final"),
            Just("stopped"),
            Just("#med"),
            Just("urn:uuid:aaaa"),
            Just("Medication/m1"),
            Just("http://snomed.info/sct"),
            Just("32914008"),
            Just("http://www.nlm.nih.gov/research/umls/rxnorm"),
            Just("8123"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("resourceType".to_string()),
                    Just("id".to_string()),
                    Just("status".to_string()),
                    Just("code".to_string()),
                    Just("coding".to_string()),
                    Just("system".to_string()),
                    Just("value".to_string()),
                    Just("valueQuantity".to_string()),
                    Just("unit".to_string()),
                    Just("effectiveDateTime".to_string()),
                    Just("effectivePeriod".to_string()),
                    Just("start".to_string()),
                    Just("end".to_string()),
                    Just("entry".to_string()),
                    Just("resource".to_string()),
                    Just("medicationReference".to_string()),
                    Just("reference".to_string()),
                    Just("contained".to_string()),
                    Just("medicationCodeableConcept".to_string()),
                    Just("birthDate".to_string()),
                    Just("fullUrl".to_string()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..5,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_resource() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just("Patient"),
            Just("Observation"),
            Just("Condition"),
            Just("Medication"),
            Just("MedicationStatement"),
            Just("MedicationRequest"),
            Just("OperationOutcome"),
            Just("Bundle"),
            Just("Encounter"),
        ],
        arb_json(),
    )
        .prop_map(|(kind, body)| {
            let mut v = match body {
                Value::Object(m) => Value::Object(m),
                other => json!({ "value": other }),
            };
            v["resourceType"] = json!(kind);
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_json_never_panics(v in arb_json()) {
        if let Ok(b) = serde_json::from_value::<Bundle>(v) {
            let out = bundle_to_record(&b);
            prop_assert!(out.record.validate(Knowledge::get()).is_ok());
        }
    }

    #[test]
    fn arbitrary_resources_never_panic_and_always_validate(
        resources in prop::collection::vec(arb_resource(), 0..6),
        urls in prop::collection::vec(prop_oneof![Just(None), Just(Some("urn:uuid:aaaa")), Just(Some("Medication/m1"))], 6),
    ) {
        let entry: Vec<Value> = resources
            .into_iter()
            .zip(urls)
            .map(|(r, u)| match u { Some(u) => json!({"fullUrl": u, "resource": r}), None => json!({"resource": r}) })
            .collect();
        let n = entry.len();
        let b: Bundle = serde_json::from_value(json!({"resourceType": "Bundle", "entry": entry})).unwrap();
        let out = bundle_to_record(&b);
        let used = out.record.labs.len() + out.record.medications.len() + out.record.conditions.len()
            + usize::from(out.record.patient.is_some());
        // Every entry is used or skipped (conditions are de-duplicated, so ≤).
        prop_assert!(used + out.skipped.len() >= n.min(1) || n == 0);
        prop_assert!(out.record.validate(Knowledge::get()).is_ok(), "{:?}", out.record.validate(Knowledge::get()));
    }
}

#[test]
fn resources_about_another_person_are_skipped() {
    let b: Bundle = serde_json::from_value(json!({
        "resourceType": "Bundle", "type": "searchset",
        "entry": [
            {"fullUrl": "https://ehr.example/fhir/Patient/p1", "resource": {"resourceType": "Patient", "id": "p1"}},
            {"resource": obs("o1", "2276-4", 45.0, "ng/mL", "2026-03-01")},
            {"resource": {"resourceType": "Patient", "id": "p2"}},
            {"resource": {
                "resourceType": "Observation", "id": "o2", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "2276-4"}]},
                "subject": {"reference": "https://ehr.example/fhir/Patient/p2"},
                "effectiveDateTime": "2026-03-01",
                "valueQuantity": {"value": 9.0, "code": "ng/mL"}
            }},
            {"resource": {
                "resourceType": "Observation", "id": "o3", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "2276-4"}]},
                "subject": {"reference": "https://ehr.example/fhir/Patient/p1/_history/3"},
                "effectiveDateTime": "2026-03-02",
                "valueQuantity": {"value": 50.0, "code": "ng/mL"}
            }}
        ]
    })).unwrap();
    let out = bundle_to_record(&b);
    let values: Vec<f64> = out.record.labs.iter().map(|l| l.value).collect();
    assert_eq!(values, [45.0, 50.0]);
    let skipped: Vec<&str> = out.skipped.iter().map(|s| s.resource.as_str()).collect();
    assert_eq!(skipped, ["Patient/p2", "Observation/o2"]);
    assert!(out.skipped[1].reason.contains("another person"));
}
