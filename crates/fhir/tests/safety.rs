//! The clinical review's findings on the Bundle → record mapping: each test
//! here failed before its fix.

use serde_json::{json, Value};
use willis_core::Knowledge;
use willis_fhir::{bundle_to_record, bundle_to_record_on, Bundle, Imported};

fn bundle(resources: Vec<Value>) -> Bundle {
    let entry: Vec<Value> = resources
        .into_iter()
        .map(|r| json!({ "resource": r }))
        .collect();
    serde_json::from_value(json!({"resourceType": "Bundle", "type": "collection", "entry": entry}))
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
        "resourceType": "Observation", "id": id, "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": ucum, "system": "http://unitsofmeasure.org", "code": ucum}
    })
}

const FERRITIN: &str = "2276-4";
const TSAT: &str = "2502-3";

fn labs(out: &Imported) -> Vec<(String, f64, String)> {
    out.record
        .labs
        .iter()
        .map(|l| (l.test.clone(), l.value, l.date.clone()))
        .collect()
}

fn reasons(out: &Imported, resource: &str) -> Vec<String> {
    out.skipped
        .iter()
        .filter(|s| s.resource == resource)
        .map(|s| s.reason.clone())
        .collect()
}

fn notes(out: &Imported, resource: &str) -> Vec<String> {
    out.notes
        .iter()
        .filter(|s| s.resource == resource)
        .map(|s| s.reason.clone())
        .collect()
}

// 1. Comparators.

#[test]
fn a_bound_is_read_as_its_number_with_a_note() {
    let mut high = obs("f", FERRITIN, 1000.0, "ug/L", "2026-11-20");
    high["valueQuantity"]["comparator"] = json!(">");
    let mut low = obs("t", TSAT, 5.0, "%", "2026-11-20");
    low["valueQuantity"]["comparator"] = json!("<=");
    let out = import(vec![high, low]);
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    assert_eq!(
        labs(&out),
        vec![
            ("ferritin".into(), 1000.0, "2026-11-20".into()),
            ("tsat".into(), 5.0, "2026-11-20".into())
        ]
    );
    let f = notes(&out, "Observation/f");
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].contains(">1000") && f[0].contains("lower bound"),
        "{f:?}"
    );
    assert!(notes(&out, "Observation/t")[0].contains("upper bound"));
}

#[test]
fn an_unknown_comparator_is_not_read() {
    let mut o = obs("f", FERRITIN, 40.0, "ug/L", "2026-11-20");
    o["valueQuantity"]["comparator"] = json!("ad");
    let out = import(vec![o]);
    assert!(out.record.labs.is_empty());
    assert!(reasons(&out, "Observation/f")[0].contains("comparator"));
}

#[test]
fn a_number_written_as_text_has_no_unit_and_is_not_used() {
    for text in ["45", "45.0", ">1000", "<5"] {
        let mut o = obs("f", FERRITIN, 0.0, "", "2026-11-20");
        o.as_object_mut().unwrap().remove("valueQuantity");
        o["valueString"] = json!(text);
        let out = import(vec![o]);
        assert!(out.record.labs.is_empty());
        assert!(
            reasons(&out, "Observation/f")[0].contains("no unit"),
            "{:?}",
            out.skipped
        );
    }
}

// 2. A newer result that cannot be used.

#[test]
fn a_newer_unreadable_result_stops_older_ones_of_that_test() {
    let mut newer = obs("f-new", FERRITIN, 0.0, "", "2026-11-20T08:00:00-05:00");
    newer.as_object_mut().unwrap().remove("valueQuantity");
    newer["valueString"] = json!(">1000");
    let out = import(vec![
        obs("f-old", FERRITIN, 40.0, "ug/L", "2026-10-01"),
        obs("t-old", TSAT, 18.0, "%", "2026-10-01"),
        newer,
        obs("t-new", TSAT, 19.0, "%", "2026-11-20"),
    ]);
    assert_eq!(
        labs(&out),
        vec![
            ("tsat".into(), 18.0, "2026-10-01".into()),
            ("tsat".into(), 19.0, "2026-11-20".into())
        ]
    );
    assert_eq!(
        reasons(&out, "Observation/f-old"),
        vec!["a newer ferritin (Observation/f-new) could not be read; older results are not used in its place"]
    );
    // The rule is per test: TSAT keeps its history.
    assert!(reasons(&out, "Observation/t-old").is_empty());
}

#[test]
fn an_unreadable_unit_or_absent_value_counts_but_a_cancelled_result_does_not() {
    let bad_unit = obs("f-new", FERRITIN, 30.0, "mg/dL", "2026-11-20");
    let out = import(vec![
        obs("f-old", FERRITIN, 40.0, "ug/L", "2026-10-01"),
        bad_unit,
    ]);
    assert!(out.record.labs.is_empty(), "{:?}", out.record.labs);

    let mut absent = obs("f-new", FERRITIN, 0.0, "", "2026-11-20");
    absent.as_object_mut().unwrap().remove("valueQuantity");
    absent["dataAbsentReason"] = json!({"text": "haemolysed"});
    let out = import(vec![
        obs("f-old", FERRITIN, 40.0, "ug/L", "2026-10-01"),
        absent,
    ]);
    assert!(out.record.labs.is_empty());

    let mut cancelled = obs("f-new", FERRITIN, 0.0, "", "2026-11-20");
    cancelled["status"] = json!("cancelled");
    let out = import(vec![
        obs("f-old", FERRITIN, 40.0, "ug/L", "2026-10-01"),
        cancelled,
    ]);
    assert_eq!(
        labs(&out),
        vec![("ferritin".into(), 40.0, "2026-10-01".into())]
    );

    // An older unreadable result changes nothing.
    let old_bad = obs("f-old", FERRITIN, 30.0, "mg/dL", "2026-09-01");
    let out = import(vec![
        old_bad,
        obs("f", FERRITIN, 40.0, "ug/L", "2026-10-01"),
    ]);
    assert_eq!(
        labs(&out),
        vec![("ferritin".into(), 40.0, "2026-10-01".into())]
    );
}

// 3. Ferritin in pmol/L.

#[test]
fn ferritin_in_pmol_per_litre_is_converted_with_a_note() {
    let out = import(vec![obs("f", FERRITIN, 2700.0, "pmol/L", "2026-11-20")]);
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    let l = &out.record.labs[0];
    assert_eq!((l.value, l.unit.as_str()), (1201.6, "µg/L"));
    assert!(notes(&out, "Observation/f")[0].contains("2.247"));
}

// 4. Two results of a test on one day.

#[test]
fn of_two_results_on_one_day_the_later_instant_is_used() {
    let out = import(vec![
        obs("late", FERRITIN, 20.0, "ug/L", "2026-11-20T16:00:00-05:00"),
        obs("early", FERRITIN, 90.0, "ug/L", "2026-11-20T08:00:00-05:00"),
    ]);
    assert_eq!(
        labs(&out),
        vec![("ferritin".into(), 20.0, "2026-11-20".into())]
    );
    assert!(reasons(&out, "Observation/early")[0].contains("the later one"));
}

#[test]
fn of_two_results_on_one_day_with_no_time_the_higher_ferritin_is_used() {
    for order in [["a", "b"], ["b", "a"]] {
        let value = |id: &str| if id == "a" { 20.0 } else { 90.0 };
        let out = import(
            order
                .iter()
                .map(|id| obs(id, FERRITIN, value(id), "ug/L", "2026-11-20"))
                .collect(),
        );
        assert_eq!(
            labs(&out),
            vec![("ferritin".into(), 90.0, "2026-11-20".into())]
        );
        assert!(reasons(&out, "Observation/a")[0].contains("higher value"));
    }
}

// 6. Observation status.

#[test]
fn an_observation_with_status_unknown_or_none_is_not_used() {
    let mut unknown = obs("u", FERRITIN, 40.0, "ug/L", "2026-11-20");
    unknown["status"] = json!("unknown");
    let mut none = obs("n", FERRITIN, 40.0, "ug/L", "2026-11-20");
    none.as_object_mut().unwrap().remove("status");
    let out = import(vec![unknown, none]);
    assert!(out.record.labs.is_empty());
    assert!(reasons(&out, "Observation/u")[0].contains("unknown"));
    assert!(reasons(&out, "Observation/n")[0].contains("no status"));
}

// 5. Conditions and pregnancy.

fn condition(id: &str, system: &str, code: &str, clinical: &str, verification: &str) -> Value {
    json!({
        "resourceType": "Condition", "id": id,
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": clinical}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification}]},
        "code": {"coding": [{"system": system, "code": code}]}
    })
}

const SNOMED: &str = "http://snomed.info/sct";
const ICD10CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";

fn import_on(resources: Vec<Value>, today: &str) -> Imported {
    let out = bundle_to_record_on(&bundle(resources), today.parse().unwrap());
    out.record.validate(Knowledge::get()).unwrap();
    out
}

#[test]
fn an_unconfirmed_provisional_or_differential_condition_is_not_used() {
    for v in ["unconfirmed", "provisional", "differential"] {
        let out = import(vec![condition("c", SNOMED, "32914008", "active", v)]);
        assert!(out.record.conditions.is_empty(), "{v}");
        assert!(reasons(&out, "Condition/c")[0].contains(v));
    }
    let out = import(vec![condition(
        "c",
        SNOMED,
        "32914008",
        "active",
        "confirmed",
    )]);
    assert_eq!(out.record.conditions, vec!["restless-legs-syndrome"]);
}

#[test]
fn haemochromatosis_counts_whatever_its_clinical_status() {
    for status in ["inactive", "resolved", "remission"] {
        let out = import(vec![condition(
            "h",
            ICD10CM,
            "E83.110",
            status,
            "confirmed",
        )]);
        assert_eq!(out.record.conditions, vec!["hemochromatosis"], "{status}");
    }
    let out = import(vec![condition(
        "h", ICD10CM, "E83.110", "active", "refuted",
    )]);
    assert!(out.record.conditions.is_empty());
}

#[test]
fn normal_pregnancy_and_weeks_of_gestation_are_a_pregnancy() {
    let out = import(vec![condition(
        "p",
        SNOMED,
        "72892002",
        "active",
        "confirmed",
    )]);
    assert_eq!(out.record.conditions, vec!["pregnancy"]);
    let out = import(vec![condition(
        "p",
        ICD10CM,
        "Z3A.20",
        "active",
        "confirmed",
    )]);
    assert_eq!(out.record.patient.unwrap().pregnancy_weeks, Some(20));
    for unspecified in ["Z3A.00", "Z3A.01"] {
        let out = import(vec![condition(
            "p",
            ICD10CM,
            unspecified,
            "active",
            "confirmed",
        )]);
        assert_eq!(out.record.conditions, vec!["pregnancy"], "{unspecified}");
        assert!(out.record.patient.is_none());
    }
}

#[test]
fn the_puerperium_is_not_a_pregnancy() {
    for code in ["O90.89", "O85", "O92.5", "O94"] {
        let out = import(vec![condition("p", ICD10CM, code, "active", "confirmed")]);
        assert!(out.record.conditions.is_empty(), "{code}");
    }
    let out = import(vec![condition(
        "p",
        ICD10CM,
        "O26.891",
        "active",
        "confirmed",
    )]);
    assert_eq!(out.record.conditions, vec!["pregnancy"]);
}

#[test]
fn a_pregnancy_more_than_ten_months_old_is_not_current() {
    let mut old = condition("p", ICD10CM, "Z33.1", "active", "confirmed");
    old["onsetDateTime"] = json!("2024-11-01");
    let out = import_on(vec![old.clone()], "2026-12-01");
    assert!(out.record.conditions.is_empty());
    assert!(reasons(&out, "Condition/p")[0].contains("not a current pregnancy"));
    let out = import_on(vec![old], "2025-06-01");
    assert_eq!(out.record.conditions, vec!["pregnancy"]);

    let status = |id: &str, when: &str, answer: &str| {
        json!({
            "resourceType": "Observation", "id": id, "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "82810-3"}]},
            "effectiveDateTime": when,
            "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": answer}]}
        })
    };
    let out = import_on(vec![status("s", "2024-11-01", "77386006")], "2026-12-01");
    assert!(out.record.conditions.is_empty());
    // The newest status decides: not pregnant (60001007) after pregnant.
    let out = import_on(
        vec![
            status("old", "2026-03-01", "77386006"),
            status("new", "2026-11-01", "60001007"),
        ],
        "2026-12-01",
    );
    assert!(out.record.conditions.is_empty(), "{:?}", out.record);
    assert!(reasons(&out, "Observation/old")[0].contains("Observation/new"));
}

#[test]
fn of_several_gestational_ages_the_newest_is_used() {
    let ga = |id: &str, when: &str, weeks: f64| {
        json!({
            "resourceType": "Observation", "id": id, "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "49051-6"}]},
            "effectiveDateTime": when,
            "valueQuantity": {"value": weeks, "unit": "wk", "system": "http://unitsofmeasure.org", "code": "wk"}
        })
    };
    let out = import_on(
        vec![ga("a", "2026-06-01", 12.0), ga("b", "2026-09-01", 25.0)],
        "2026-10-01",
    );
    assert_eq!(
        out.record.patient.as_ref().unwrap().pregnancy_weeks,
        Some(25)
    );
    assert!(reasons(&out, "Observation/a")[0].contains("Observation/b"));
}

// 7. Medicines.

fn request(id: &str, status: &str, intent: &str) -> Value {
    json!({
        "resourceType": "MedicationRequest", "id": id, "status": status, "intent": intent,
        "medicationCodeableConcept": {"text": "pramipexole"}, "authoredOn": "2026-01-05"
    })
}

#[test]
fn a_request_that_is_not_an_order_is_not_a_current_medicine() {
    for intent in ["proposal", "plan", "option", "directive"] {
        let out = import(vec![request("r", "active", intent)]);
        assert!(out.record.medications.is_empty(), "{intent}");
        assert!(reasons(&out, "MedicationRequest/r")[0].contains(intent));
    }
    for intent in ["order", "original-order", "instance-order"] {
        let out = import(vec![request("r", "active", intent)]);
        assert_eq!(out.record.medications.len(), 1, "{intent}");
    }
}

#[test]
fn on_hold_and_unknown_medicines_are_not_current() {
    for status in ["on-hold", "unknown"] {
        let out = import(vec![request("r", status, "order")]);
        assert!(out.record.medications.is_empty(), "{status}");
        let statement = json!({
            "resourceType": "MedicationStatement", "id": "s", "status": status,
            "medicationCodeableConcept": {"text": "pramipexole"}
        });
        let out = import(vec![statement]);
        assert!(out.record.medications.is_empty(), "{status}");
        assert!(reasons(&out, "MedicationStatement/s")[0].contains(status));
    }
}

#[test]
fn an_active_statement_whose_period_ended_is_a_stopped_course() {
    let statement = json!({
        "resourceType": "MedicationStatement", "id": "s", "status": "active",
        "medicationCodeableConcept": {"text": "pramipexole"},
        "effectivePeriod": {"start": "2026-01-05", "end": "2026-03-01"}
    });
    let out = import_on(vec![statement.clone()], "2026-12-01");
    let m = &out.record.medications[0];
    assert_eq!(m.stopped.as_deref(), Some("2026-03-01"));
    assert!(notes(&out, "MedicationStatement/s")[0].contains("stopped"));
    // An end still to come: still taken.
    let out = import_on(vec![statement], "2026-02-01");
    assert_eq!(out.record.medications[0].stopped, None);
}

// 8. MedicationAdministration.

fn administration(id: &str, status: &str, text: &str) -> Value {
    json!({
        "resourceType": "MedicationAdministration", "id": id, "status": status,
        "medicationCodeableConcept": {"text": text},
        "effectiveDateTime": "2026-11-10T10:00:00-05:00",
        "dosage": {"dose": {"value": 750, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}}
    })
}

#[test]
fn an_iv_iron_administration_is_an_infusion_on_its_date() {
    for product in [
        "ferric carboxymaltose 50 MG/ML Injectable Solution",
        "Injectafer",
        "iron sucrose",
        "ferumoxytol",
        "ferric derisomaltose",
        "iron dextran",
    ] {
        let out = import(vec![administration("a", "completed", product)]);
        assert!(out.skipped.is_empty(), "{product}: {:?}", out.skipped);
        let t = &out.record.iron_treatments[0];
        assert_eq!(t.route, "iv");
        assert_eq!(t.date.as_deref(), Some("2026-11-10"), "{product}");
        assert_eq!(t.dose_mg, Some(750.0));
        assert!(out.record.medications.is_empty());
    }
}

#[test]
fn other_administrations_are_not_used() {
    let out = import(vec![administration("a", "completed", "ondansetron")]);
    assert!(out.record.iron_treatments.is_empty() && out.record.medications.is_empty());
    assert!(reasons(&out, "MedicationAdministration/a")[0].contains("not a course"));
    let out = import(vec![administration("a", "in-progress", "iron sucrose")]);
    assert!(out.record.iron_treatments.is_empty());
    assert!(reasons(&out, "MedicationAdministration/a")[0].contains("in-progress"));
}

// 9. Several people in one Bundle.

#[test]
fn with_several_patients_a_resource_without_subject_is_not_used() {
    let mut mine = obs("f1", FERRITIN, 40.0, "ug/L", "2026-11-20");
    mine["subject"] = json!({"reference": "Patient/p1"});
    let anyone = obs("f2", FERRITIN, 900.0, "ug/L", "2026-11-21");
    let out = import(vec![
        json!({"resourceType": "Patient", "id": "p1", "gender": "female"}),
        json!({"resourceType": "Patient", "id": "p2", "gender": "male"}),
        mine,
        anyone,
    ]);
    assert_eq!(
        labs(&out),
        vec![("ferritin".into(), 40.0, "2026-11-20".into())]
    );
    assert_eq!(
        reasons(&out, "Observation/f2"),
        vec!["no subject, and the Bundle holds several patients"]
    );
    assert_eq!(
        out.record.patient.as_ref().unwrap().sex.as_deref(),
        Some("female")
    );
    assert!(reasons(&out, "Patient/p2")[0].contains("a second Patient"));

    // With one person, a resource without subject is still theirs.
    let out = import(vec![
        json!({"resourceType": "Patient", "id": "p1"}),
        obs("f2", FERRITIN, 40.0, "ug/L", "2026-11-21"),
    ]);
    assert_eq!(out.record.labs.len(), 1);
}

#[test]
fn a_patient_without_id_does_not_make_everything_about_another_person() {
    let mut o = obs("f1", FERRITIN, 40.0, "ug/L", "2026-11-20");
    o["subject"] = json!({"reference": "Patient/p1"});
    let out = import(vec![
        json!({"resourceType": "Patient", "gender": "female", "birthDate": "1970-01-01"}),
        o,
    ]);
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    assert_eq!(out.record.labs.len(), 1);
    assert_eq!(
        out.record.patient.as_ref().unwrap().sex.as_deref(),
        Some("female")
    );
}

// 10. RxNorm codes of medicines that worsen RLS.

#[test]
fn rxnorm_codes_of_medicines_that_worsen_rls_are_read_by_code_alone() {
    for (code, name) in [
        ("3498", "diphenhydramine"),
        ("6915", "metoclopramide"),
        ("51272", "quetiapine"),
        ("4493", "fluoxetine"),
    ] {
        assert!(!Knowledge::get().ingredients(name).is_empty(), "{name}");
        let out = import(vec![json!({
            "resourceType": "MedicationStatement", "status": "active",
            "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": code}]}
        })]);
        assert_eq!(out.record.medications[0].name, name);
        assert_eq!(willis_fhir::codes::rxnorm_for_ingredient(name), Some(code));
    }
}
