//! Pregnancy, gestational age, weight, dialysis, lab flags, iron treatments
//! and the Willis-coded observations: reading them, and reporting what is
//! refused.

use proptest::prelude::*;
use serde_json::{json, Value};
use willis_core::Knowledge;
use willis_fhir::{
    bundle_to_record, is_bundle, read_bundle, willis, Bundle, BundleError, Imported,
};

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

fn reasons(out: &Imported) -> Vec<&str> {
    out.skipped.iter().map(|s| s.reason.as_str()).collect()
}

fn loinc_obs(code: &str, value: Value) -> Value {
    let mut o = json!({
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]}
    });
    for (k, v) in value.as_object().unwrap() {
        o[k] = v.clone();
    }
    o
}

fn willis_obs(code: &str, value: Value) -> Value {
    let mut o = json!({
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": willis::CODE_SYSTEM, "code": code}]}
    });
    for (k, v) in value.as_object().unwrap() {
        o[k] = v.clone();
    }
    o
}

#[test]
fn pregnancy_status_positive_is_a_pregnancy() {
    for answer in [
        json!({"coding": [{"system": "http://snomed.info/sct", "code": "77386006"}]}),
        json!({"coding": [{"system": "http://loinc.org", "code": "LA15173-0"}]}),
        json!({"text": "Pregnant"}),
    ] {
        let out = import(vec![loinc_obs(
            "82810-3",
            json!({"valueCodeableConcept": answer}),
        )]);
        assert_eq!(out.record.conditions, ["pregnancy"]);
        assert!(out.skipped.is_empty());
    }
    let out = import(vec![loinc_obs(
        "82810-3",
        json!({"valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "60001007", "display": "Not pregnant"}]}}),
    )]);
    assert!(out.record.conditions.is_empty());
    assert_eq!(
        reasons(&out),
        ["pregnancy status \"Not pregnant\" is not a positive answer; a record only holds a pregnancy"]
    );
}

#[test]
fn gestational_age_gives_the_weeks_and_then_no_condition_is_added() {
    for (q, weeks) in [
        (json!({"value": 24, "unit": "wk", "code": "wk"}), 24),
        (json!({"value": 24.6, "unit": "weeks"}), 24),
        (json!({"value": 170, "code": "d"}), 24),
    ] {
        let out = import(vec![
            loinc_obs(
                "82810-3",
                json!({"valueCodeableConcept": {"text": "pregnant"}}),
            ),
            loinc_obs("49051-6", json!({"valueQuantity": q})),
        ]);
        assert_eq!(out.record.patient.unwrap().pregnancy_weeks, Some(weeks));
        assert!(out.record.conditions.is_empty());
        assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    }
    let out = import(vec![loinc_obs(
        "11884-4",
        json!({"valueQuantity": {"value": 60, "code": "wk"}}),
    )]);
    assert!(out.record.patient.is_none());
    assert!(reasons(&out)[0].starts_with("gestational age: not accepted: patient.pregnancy_weeks"));
}

#[test]
fn dialysis_from_z99_2_and_from_the_willis_observation() {
    let out = import(vec![json!({
        "resourceType": "Condition",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "Z99.2"}]}
    })]);
    assert_eq!(out.record.conditions, ["end-stage-kidney-disease"]);
    assert_eq!(out.record.patient.unwrap().dialysis, Some(true));
    let out = import(vec![willis_obs("dialysis", json!({"valueBoolean": false}))]);
    assert_eq!(out.record.patient.unwrap().dialysis, Some(false));
}

#[test]
fn the_latest_body_weight_is_used_and_the_others_reported() {
    let w = |id: &str, kg: f64, date: &str| {
        let mut o = loinc_obs(
            "29463-7",
            json!({"valueQuantity": {"value": kg, "code": "kg"}, "effectiveDateTime": date}),
        );
        o["id"] = json!(id);
        o
    };
    let out = import(vec![
        w("w1", 70.0, "2026-01-01"),
        w("w2", 68.0, "2026-06-01"),
        w("w3", 72.0, "2025-01-01"),
    ]);
    assert_eq!(out.record.patient.unwrap().weight_kg, Some(68.0));
    let who: Vec<&str> = out.skipped.iter().map(|s| s.resource.as_str()).collect();
    assert_eq!(who, ["Observation/w1", "Observation/w3"]);
    let out = import(vec![loinc_obs(
        "29463-7",
        json!({"valueQuantity": {"value": 70, "code": "[stone]"}}),
    )]);
    assert_eq!(
        reasons(&out),
        ["body weight: unit \"[stone]\" is not accepted; use kg, g or [lb_av]"]
    );
}

#[test]
fn fasting_and_morning_flags_on_labs() {
    let out = import(vec![json!({
        "resourceType": "Observation", "status": "final",
        "extension": [
            {"url": willis::EXT_FASTING, "valueBoolean": true},
            {"url": willis::EXT_MORNING, "valueBoolean": false},
            {"url": "http://example.org/other", "valueString": "ignored"}
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": "2276-4"}]},
        "effectiveDateTime": "2026-03-01",
        "valueQuantity": {"value": 40, "code": "ng/mL"}
    })]);
    assert_eq!(out.record.labs[0].fasting, Some(true));
    assert_eq!(out.record.labs[0].morning, Some(false));
}

#[test]
fn willis_values_willis_core_refuses_are_reported_not_used() {
    let out = import(vec![
        willis_obs("days-per-week", json!({"valueInteger": 9})),
        willis_obs("urge-to-move", json!({"valueString": "yes"})),
        willis_obs("epworth", json!({"valueInteger": 10})),
        willis_obs("epworth", json!({"valueInteger": 11})),
        willis_obs(
            "plms-index",
            json!({"valueQuantity": {"value": 12, "code": "/min"}}),
        ),
        willis_obs("no-such-field", json!({"valueBoolean": true})),
        willis_obs("irls-total", json!({"valueInteger": 20})),
        willis_obs(
            willis::IRLS_ITEMS,
            json!({"component": (1..=10).map(|i| json!({
            "code": {"coding": [{"system": willis::CODE_SYSTEM, "code": format!("irls-item-{i}")}]},
            "valueInteger": 1
        })).collect::<Vec<_>>()}),
        ),
        willis_obs(
            willis::DIARY_NIGHT,
            json!({"effectiveDateTime": "2026-10-01", "component": [
                {"code": {"coding": [{"system": willis::CODE_SYSTEM, "code": "severity"}]}, "valueInteger": 11}
            ]}),
        ),
        willis_obs(willis::DIARY_NIGHT, json!({"component": []})),
    ]);
    assert_eq!(
        reasons(&out),
        [
            "Days a week with symptoms: not accepted: symptoms.days_per_week: 9 is out of range; days per week must be between 0 and 7",
            "Urge to move the legs, usually with unpleasant sensations: expected valueBoolean",
            "a second Epworth Sleepiness Scale total (0-24); the record holds one, the first was used",
            "Periodic limb movements in sleep per hour: unit \"/min\" is not accepted; use \"/h\" (UCUM)",
            "Willis code \"no-such-field\" is not one Willis reads",
            "IRLS items: not accepted: symptoms.irls_total: 20 does not match the sum of irls_items (10); give one or make them agree",
            "diary night 2026-10-01: not accepted: diary[0].severity: 11 is out of range; the severity rating must be between 0 and 10",
            "diary night: no full date (None) in effectiveDateTime",
        ]
    );
    assert_eq!(out.record.sleep.unwrap().epworth, Some(10));
    assert_eq!(out.record.symptoms.unwrap().irls_total, Some(20));
}

#[test]
fn iron_treatments_read_by_their_willis_category() {
    let iron = |route: Value, extra: Value| {
        let mut s = json!({
            "resourceType": "MedicationStatement", "status": "completed",
            "category": {"coding": [{"system": willis::CODE_SYSTEM, "code": willis::IRON_TREATMENT}]},
            "medicationCodeableConcept": {"text": "ferric carboxymaltose"},
            "dosage": [{"route": route, "doseAndRate": [{"doseQuantity": {"value": 1000, "code": "mg"}}]}]
        });
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    };
    let out = import(vec![iron(
        json!({"coding": [{"system": "http://snomed.info/sct", "code": "47625008"}]}),
        json!({"effectiveDateTime": "2025-11-10T10:00:00+01:00",
               "extension": [{"url": willis::EXT_IRON_RESPONSE, "valueCode": "improved"}]}),
    )]);
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    let t = &out.record.iron_treatments[0];
    assert_eq!(
        (
            t.route.as_str(),
            t.dose_mg,
            t.date.as_deref(),
            t.response.as_deref()
        ),
        ("iv", Some(1000.0), Some("2025-11-10"), Some("improved"))
    );
    assert!(out.record.medications.is_empty());
    // An infusion with no date is refused by willis-core, and reported.
    let out = import(vec![iron(json!({"text": "iv"}), json!({}))]);
    assert!(out.record.iron_treatments.is_empty());
    assert!(reasons(&out)[0].starts_with("iron treatment: not accepted: iron_treatments[0].date"));
    let out = import(vec![iron(json!({}), json!({}))]);
    assert_eq!(
        reasons(&out),
        ["iron treatment: no route (dosage.route: intravenous or oral)"]
    );
}

#[test]
fn a_condition_keeps_the_name_the_record_used() {
    let out = import(vec![
        json!({
            "resourceType": "Condition",
            "extension": [{"url": willis::EXT_RECORD_NAME, "valueString": "Willis-Ekbom disease"}],
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "32914008"}]}
        }),
        json!({
            "resourceType": "Condition",
            "extension": [{"url": willis::EXT_RECORD_NAME, "valueString": "tennis elbow"}],
            "code": {"text": "tennis elbow"}
        }),
    ]);
    assert_eq!(
        out.record.conditions,
        ["Willis-Ekbom disease", "tennis elbow"]
    );
}

#[test]
fn is_bundle_and_read_bundle() {
    for yes in [
        r#"{"resourceType":"Bundle"}"#,
        "\u{feff}  \n{ \"id\": \"x\", \"entry\": [{\"a\": \"}]\\\"\"}], \"resourceType\" : \"Bundle\", \"type\": \"searchset\"}",
        r#"{"resourceType": "Bundle", "entry": [ broken"#,
    ] {
        assert!(is_bundle(yes), "{yes}");
    }
    for no in [
        "",
        "{",
        "[]",
        r#"{"format": "willis-record/1"}"#,
        r#"{"resourceType": "Patient"}"#,
        r#"{"meta": {"resourceType": "Bundle"}}"#,
        r#"{"resourceType": 3}"#,
        "format = \"willis-record/1\"",
    ] {
        assert!(!is_bundle(no), "{no}");
    }
    assert!(read_bundle("\u{feff}{\"resourceType\": \"Bundle\"}").is_ok());
    match read_bundle("{\"resourceType\": \"Bundle\",\n  \"entry\": [ broken") {
        Err(BundleError::Syntax { line, column, .. }) => assert_eq!((line, column), (2, 14)),
        other => panic!("{other:?}"),
    }
    let e = read_bundle(r#"{"resourceType": "Patient"}"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "not a FHIR Bundle: the resourceType is \"Patient\"; expected \"resourceType\": \"Bundle\""
    );
    assert!(matches!(
        read_bundle("[1]"),
        Err(BundleError::NotABundle { .. })
    ));
    assert!(matches!(
        read_bundle(r#"{"resourceType": "Bundle", "entry": 5}"#),
        Err(BundleError::Shape { .. })
    ));
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-zA-Z0-9#:/._ -]{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("2026-03-01"),
            Just("2026-03-01T23:30:00-05:00"),
            Just("21:00:00"),
            Just("wk"),
            Just("kg"),
            Just("mg"),
            Just("h"),
            Just("iv"),
            Just("oral"),
            Just("improved"),
            Just("side-effects"),
            Just("legs"),
            Just(willis::CODE_SYSTEM),
            Just(willis::EXT_FASTING),
            Just(willis::EXT_RECORD_NAME),
            Just("irls-item-3"),
            Just("http://loinc.org"),
            Just("82810-3"),
            Just("29463-7"),
            Just("77386006"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid skeleton with an arbitrary value in one place.
fn skeleton() -> impl Strategy<Value = Value> {
    let code = prop_oneof![
        (0..willis::FIELDS.len()).prop_map(|i| willis::FIELDS[i].0.to_string()),
        Just(willis::DIARY_NIGHT.to_string()),
        Just(willis::IRLS_ITEMS.to_string()),
        Just(willis::BODY_PART.to_string()),
    ];
    let value_key = prop_oneof![
        Just("valueBoolean"),
        Just("valueInteger"),
        Just("valueTime"),
        Just("valueQuantity"),
        Just("valueString"),
        Just("valueCodeableConcept"),
        Just("component"),
        Just("extension"),
        Just("effectiveDateTime"),
        Just("effectivePeriod"),
        Just("dosage"),
        Just("category"),
    ];
    let system = prop_oneof![Just(willis::CODE_SYSTEM), Just("http://loinc.org")];
    let kind = prop_oneof![
        Just("Observation"),
        Just("MedicationStatement"),
        Just("Condition"),
        Just("Patient")
    ];
    (kind, system, code, value_key, arb_json()).prop_map(|(kind, system, code, key, v)| {
        let mut r = json!({
            "resourceType": kind, "status": "final",
            "code": {"coding": [{"system": system, "code": code}]},
            "category": {"coding": [{"system": willis::CODE_SYSTEM, "code": willis::IRON_TREATMENT}]},
            "dosage": [{"route": {"text": "iv"}}],
            "effectiveDateTime": "2026-03-01"
        });
        r[key] = v;
        r
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(768))]

    #[test]
    fn arbitrary_values_in_valid_skeletons_never_panic_and_validate(
        resources in prop::collection::vec(skeleton(), 1..6)
    ) {
        let entry: Vec<Value> = resources.into_iter().map(|r| json!({"resource": r})).collect();
        let text = json!({"resourceType": "Bundle", "type": "collection", "entry": entry}).to_string();
        prop_assert!(is_bundle(&text));
        let b = Bundle::from_json_str(&text).unwrap();
        prop_assert_eq!(&read_bundle(&text).unwrap(), &b);
        let out = bundle_to_record(&b);
        prop_assert!(out.record.validate(Knowledge::get()).is_ok(), "{:?}", out.record.validate(Knowledge::get()));
    }

    #[test]
    fn arbitrary_json_text_never_panics(v in arb_json(), cut in 0usize..200) {
        let text = v.to_string();
        let _ = is_bundle(&text);
        let cut_text: String = text.chars().take(cut).collect();
        let _ = is_bundle(&cut_text);
        let _ = read_bundle(&cut_text);
        if let Ok(b) = Bundle::from_json_str(&text) {
            let out = bundle_to_record(&b);
            prop_assert!(out.record.validate(Knowledge::get()).is_ok());
        }
        let wrapped = json!({"resourceType": "Bundle", "entry": [{"resource": v}]}).to_string();
        if let Ok(b) = read_bundle(&wrapped) {
            prop_assert!(bundle_to_record(&b).record.validate(Knowledge::get()).is_ok());
        }
    }
}
