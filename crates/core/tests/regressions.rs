//! One record for each finding of the clinical review behind issue 8 (knowledge
//! 2026.2). Each test reproduces the unsafe plan and asserts what the plan says
//! now: what is recommended, not only what is absent.

use chrono::NaiveDate;
use serde_json::{json, Value};
use willis_core::{assess, parse_json, Assessment, Pathway, Profile};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).expect("a valid date")
}

fn lab(test: &str, value: f64, unit: &str, date: &str) -> Value {
    json!({ "test": test, "value": value, "unit": unit, "date": date,
            "fasting": true, "morning": true })
}

/// Likely RLS, IRLS 24, a woman of 47, 60 kg.
fn record(extra: Value) -> Value {
    let mut r = json!({
        "format": "willis-record/1",
        "patient": { "birth_date": "1979-04-02", "sex": "female", "weight_kg": 60 },
        "symptoms": {
            "urge_to_move": true, "worse_at_rest": true, "relieved_by_movement": true,
            "worse_evening_or_night": true, "not_explained_by_other_condition": true,
            "days_per_week": 6, "irls_total": 24
        },
        "labs": [ lab("ferritin", 45.0, "ng/mL", "2026-11-01"), lab("tsat", 25.0, "%", "2026-11-01") ]
    });
    for (key, value) in extra.as_object().expect("an object") {
        r[key] = value.clone();
    }
    r
}

fn plan(r: &Value, profile: Profile) -> Assessment {
    let parsed = parse_json(&r.to_string()).unwrap_or_else(|e| panic!("refused: {e}"));
    assess(&parsed, as_of(), profile)
}

fn ids(a: &Assessment) -> Vec<&str> {
    a.ids()
}

#[test]
fn a_high_tsat_a_week_after_the_ferritin_forbids_iron() {
    let r = record(json!({ "labs": [
        lab("ferritin", 45.0, "ng/mL", "2026-11-01"),
        lab("tsat", 25.0, "%", "2026-10-30"),
        lab("tsat", 52.0, "%", "2026-11-08"),
    ]}));
    let a = plan(&r, Profile::Irlssg2018);
    assert!(a.has("warn.iron-overload"), "{:?}", ids(&a));
    assert!(a.has("iron.not-indicated"), "{:?}", ids(&a));
    assert!(!a.has("iron.iv") && !a.has("iron.oral"), "{:?}", ids(&a));
}

#[test]
fn an_infusion_written_as_a_medicine_three_weeks_ago_means_wait() {
    let r = record(json!({ "medications": [ { "name": "Ferinject", "started": "2026-11-01" } ] }));
    let a = plan(&r, Profile::Irlssg2018);
    assert!(a.has("iron.iv-wait"), "{:?}", ids(&a));
    assert!(!a.has("iron.iv"), "{:?}", ids(&a));
    assert!(
        a.schedule
            .iter()
            .any(|s| s.id == "retest.iron"
                && s.date == NaiveDate::from_ymd_opt(2026, 12, 27).unwrap())
    );
}

#[test]
fn an_undated_infusion_written_as_a_medicine_asks_for_its_date() {
    let r = record(json!({ "medications": [ { "name": "Monofer 1000 mg" } ] }));
    let a = plan(&r, Profile::Irlssg2018);
    assert!(!a.has("iron.iv"), "{:?}", ids(&a));
    assert!(
        a.missing.iter().any(|m| m.contains("Monofer")),
        "{:?}",
        a.missing
    );
}

#[test]
fn a_pregnant_woman_five_weeks_after_an_infusion_waits() {
    let r = record(json!({
        "patient": { "birth_date": "1994-01-01", "sex": "female", "pregnancy_weeks": 24 },
        "labs": [ lab("ferritin", 20.0, "ng/mL", "2026-11-15"), lab("tsat", 12.0, "%", "2026-11-15") ],
        "iron_treatments": [
            { "route": "iv", "product": "ferric carboxymaltose", "date": "2026-10-18" },
            { "route": "oral", "started": "2026-06-01", "stopped": "2026-08-01", "outcome": "side-effects" }
        ]
    }));
    let a = plan(&r, Profile::Irlssg2018);
    assert_eq!(a.pathway, Pathway::Pregnancy);
    assert!(a.has("iron.iv-wait"), "{:?}", ids(&a));
    assert!(!a.has("iron.iv"), "{:?}", ids(&a));
    assert!(a.has("refer.specialist"));
}

#[test]
fn pregnancy_written_only_as_a_condition_is_the_pregnancy_pathway() {
    let r = record(json!({ "conditions": ["pregnant"] }));
    let a = plan(&r, Profile::Irlssg2018);
    assert_eq!(a.pathway, Pathway::Pregnancy);
    assert!(!a.has("iron.iv"), "{:?}", ids(&a));
    assert!(a.has("iron.oral"), "{:?}", ids(&a));
    assert!(a.has("warn.iv-iron-first-trimester"), "{:?}", ids(&a));
    assert!(
        a.missing.iter().any(|m| m.contains("weeks pregnant")),
        "{:?}",
        a.missing
    );
    assert!(a.has("refer.specialist"));
}

#[test]
fn a_heavy_teenager_is_never_shown_more_than_65_mg_a_day() {
    let r = record(json!({
        "patient": { "birth_date": "2012-01-01", "sex": "male", "weight_kg": 95 },
        "labs": [ lab("ferritin", 20.0, "ng/mL", "2026-11-01"), lab("tsat", 15.0, "%", "2026-11-01") ]
    }));
    let a = plan(&r, Profile::Irlssg2018);
    let oral = a.step("iron.oral").expect("iron.oral for a child");
    assert!(oral.detail.contains("at most 65 mg"), "{}", oral.detail);
    assert!(!oral.detail.contains("285"), "{}", oral.detail);
}

#[test]
fn aasm_gives_no_iron_at_ferritin_850_with_tsat_15() {
    let r = record(json!({ "labs": [
        lab("ferritin", 850.0, "ng/mL", "2026-11-01"), lab("tsat", 15.0, "%", "2026-11-01")
    ]}));
    let a = plan(&r, Profile::Aasm2024);
    assert!(a.has("iron.not-indicated"), "{:?}", ids(&a));
    assert!(!a.has("iron.iv") && !a.has("iron.oral"), "{:?}", ids(&a));
}

#[test]
fn no_opioid_before_iron() {
    let r = record(json!({
        "medications": [ { "name": "pregabalin", "started": "2026-01-01", "stopped": "2026-05-01", "outcome": "ineffective" } ]
    }));
    let a = plan(&r, Profile::Irlssg2018);
    assert!(a.has("iron.iv"), "{:?}", ids(&a));
    assert!(!a.has("drug.opioid-low-dose"), "{:?}", ids(&a));
}

#[test]
fn a_dopamine_drug_for_parkinsons_gets_no_rls_switching_advice() {
    let r = record(json!({
        "conditions": ["Parkinson's disease"],
        "medications": [ { "name": "Sinemet", "started": "2024-01-01" } ],
        "symptoms": {
            "urge_to_move": true, "worse_at_rest": true, "relieved_by_movement": true,
            "worse_evening_or_night": true, "not_explained_by_other_condition": true,
            "days_per_week": 6, "irls_total": 24,
            "augmentation": { "earlier_onset_hours": 5 }
        }
    }));
    let a = plan(&r, Profile::Irlssg2018);
    assert!(!a.has("augmentation.manage"), "{:?}", ids(&a));
    let w = a
        .warning("warn.dopamine-agonist-risk")
        .expect("the risk warning");
    assert!(w.text.contains("Parkinson"), "{}", w.text);
    assert!(!w.text.contains("RLS maximum"), "{}", w.text);
    assert!(w.text.contains("stop it suddenly"), "{}", w.text);
    assert!(a.has("refer.specialist"));
}

#[test]
fn tylenol_pm_is_recognised_as_diphenhydramine() {
    let r = record(json!({ "medications": [ { "name": "Tylenol PM" } ] }));
    let a = plan(&r, Profile::Irlssg2018);
    let w = a
        .warning("warn.aggravating-medication")
        .expect("aggravating warning");
    assert_eq!(w.subject.as_deref(), Some("Tylenol PM"));
    assert!(a.has("meds.review-aggravating"));
}

#[test]
fn no_iron_dealt_with_text_beside_an_infusion() {
    let a = plan(&record(json!({})), Profile::Irlssg2018);
    assert!(a.has("iron.iv"));
    let drug = a.step("drug.alpha2delta").expect("severe: alongside iron");
    assert_eq!(drug.timing.map(|t| t.as_str()), Some("alongside-iron"));
    assert!(!drug.detail.contains("iron dealt with"), "{}", drug.detail);
    let iv = a.step("iron.iv").expect("iron.iv");
    assert!(
        iv.title.starts_with("Ask your doctor whether"),
        "{}",
        iv.title
    );
    assert!(iv.detail.contains("allergic"), "{}", iv.detail);
}

#[test]
fn inflamed_high_ferritin_with_low_tsat_decides_nothing() {
    let r = record(json!({ "labs": [
        lab("ferritin", 400.0, "ng/mL", "2026-11-01"), lab("tsat", 12.0, "%", "2026-11-01"),
        lab("crp", 30.0, "mg/L", "2026-11-01")
    ]}));
    let a = plan(&r, Profile::Irlssg2018);
    assert!(a.has("test.iron-panel"), "{:?}", ids(&a));
    assert!(
        !a.has("iron.not-indicated") && !a.has("iron.iv") && !a.has("iron.oral"),
        "{:?}",
        ids(&a)
    );
    assert!(!a.has("drug.alpha2delta"), "{:?}", ids(&a));
}

#[test]
fn an_implausible_derived_tsat_is_reported_and_starts_no_iron() {
    let r = record(json!({ "labs": [
        lab("ferritin", 40.0, "ng/mL", "2026-11-01"),
        lab("iron", 40.0, "µmol/L", "2026-11-01"), lab("tibc", 30.0, "µmol/L", "2026-11-01")
    ]}));
    let a = plan(&r, Profile::Irlssg2018);
    assert!(a.has("warn.labs-implausible"), "{:?}", ids(&a));
    assert!(a.has("test.iron-panel"), "{:?}", ids(&a));
    assert!(!a.has("iron.iv") && !a.has("iron.oral"), "{:?}", ids(&a));
}

#[test]
fn infection_defers_iv_iron() {
    let a = plan(
        &record(json!({ "conditions": ["pneumonia"] })),
        Profile::Irlssg2018,
    );
    assert!(a.has("warn.iv-iron-infection"), "{:?}", ids(&a));
    assert!(!a.has("iron.iv"), "{:?}", ids(&a));
}

#[test]
fn low_phosphate_names_ferric_derisomaltose_only() {
    let r = record(json!({ "labs": [
        lab("ferritin", 45.0, "ng/mL", "2026-11-01"), lab("tsat", 25.0, "%", "2026-11-01"),
        lab("phosphate", 2.4, "mg/dL", "2026-11-01")
    ]}));
    let a = plan(&r, Profile::Irlssg2018);
    assert!(a.has("warn.low-phosphate"));
    let iv = a.step("iron.iv").expect("iron.iv");
    assert!(
        iv.detail
            .contains("ferric derisomaltose (Monofer, Monoferric) only"),
        "{}",
        iv.detail
    );
}

#[test]
fn a_clinician_diagnosis_counts_as_likely_rls() {
    let r = json!({
        "format": "willis-record/1",
        "patient": { "birth_date": "1960-01-01", "sex": "male" },
        "conditions": ["G25.81"]
    });
    let a = plan(&r, Profile::Irlssg2018);
    assert!(a.diagnosis.recorded_by_clinician);
    assert!(!a.has("diagnosis.confirm"), "{:?}", ids(&a));
    assert!(a.has("lifestyle.sleep"));
}

#[test]
fn sleep_apnoea_cues_refer_for_a_sleep_study() {
    let a = plan(
        &record(json!({ "sleep": { "witnessed_apneas": true } })),
        Profile::Irlssg2018,
    );
    assert!(a.has("refer.sleep-study"), "{:?}", ids(&a));
    let b = plan(
        &record(json!({ "sleep": { "epworth": 10 } })),
        Profile::Irlssg2018,
    );
    assert!(!b.has("refer.sleep-study"), "{:?}", ids(&b));
    let c = plan(
        &record(json!({ "sleep": { "epworth": 11 } })),
        Profile::Irlssg2018,
    );
    assert!(c.has("refer.sleep-study"), "{:?}", ids(&c));
}

#[test]
fn the_sleep_section_refuses_unknown_fields_and_names_bad_values() {
    let bad = record(json!({ "sleep": { "epworth": 25 } }));
    let err = parse_json(&bad.to_string()).expect_err("25 is above 24");
    assert!(err.to_string().contains("sleep.epworth"), "{err}");
    let unknown = record(json!({ "sleep": { "snores_loudly": true } }));
    let err = parse_json(&unknown.to_string()).expect_err("unknown field");
    assert!(err.to_string().contains("snores_loudly"), "{err}");
}

// --- Second review (issue 8 review branch): neighbouring shapes -------------

/// An infusion written on the medicine list without a product name ("iron
/// infusion", "Iron IV", "IV iron") is still an infusion: three weeks ago means
/// wait, never a second 1000 mg infusion and never "keep taking oral iron".
#[test]
fn an_infusion_written_generically_as_a_medicine_means_wait() {
    for name in [
        "iron infusion",
        "Iron IV",
        "IV iron",
        "Iron (IV) 1000 mg",
        "iron injection",
        "intravenous iron",
    ] {
        let r = record(json!({ "medications": [ { "name": name, "started": "2026-11-01" } ] }));
        let a = plan(&r, Profile::Irlssg2018);
        assert!(a.has("iron.iv-wait"), "{name}: {:?}", ids(&a));
        assert!(
            !a.has("iron.iv") && !a.has("iron.oral"),
            "{name}: {:?}",
            ids(&a)
        );
    }
}

/// RULES.md: "every TSAT in the validity window counts for overload". A TSAT of
/// 52 % drawn three weeks, or six days, before a ferritin that was paired with
/// a normal TSAT is still a usable TSAT at or above 45 %: no iron (DESIGN.md,
/// Never). Ambiguity resolved the safer way: the enumeration in RULES.md
/// (paired, newest, on or after the ferritin) is read as examples of "every".
#[test]
fn a_high_tsat_before_the_paired_one_still_forbids_iron() {
    for (day, tsat) in [("2026-10-01", 52.0), ("2026-10-26", 47.0)] {
        let r = record(json!({ "labs": [
            lab("tsat", tsat, "%", day),
            lab("ferritin", 45.0, "ng/mL", "2026-11-01"),
            lab("tsat", 25.0, "%", "2026-11-01"),
        ]}));
        for profile in [Profile::Irlssg2018, Profile::Aasm2024, Profile::Rlsf2021] {
            let a = plan(&r, profile);
            assert!(
                a.has("warn.iron-overload"),
                "{day} {profile:?}: {:?}",
                ids(&a)
            );
            assert!(
                !a.has("iron.iv") && !a.has("iron.oral"),
                "{day} {profile:?}: {:?}",
                ids(&a)
            );
        }
    }
}

/// A high ferritin with a raised CRP and no TSAT at all: the TSAT may well be
/// under 20 %, so the ferritin cannot say "iron stores are high enough", and the
/// drug ladder must not treat iron as done (RULES.md inflamed ferritin; the
/// missing TSAT is read the safer way).
#[test]
fn an_inflamed_high_ferritin_without_a_tsat_decides_nothing() {
    let r = record(json!({ "labs": [
        lab("ferritin", 400.0, "ng/mL", "2026-11-01"),
        lab("crp", 30.0, "mg/L", "2026-11-01"),
    ]}));
    for profile in [Profile::Irlssg2018, Profile::Aasm2024, Profile::Rlsf2021] {
        let a = plan(&r, profile);
        assert!(a.has("test.iron-panel"), "{profile:?}: {:?}", ids(&a));
        assert!(!a.has("iron.not-indicated"), "{profile:?}: {:?}", ids(&a));
        assert!(!a.has("drug.alpha2delta"), "{profile:?}: {:?}", ids(&a));
        assert!(
            a.missing.iter().any(|m| m.contains("inflammation")),
            "{profile:?}: {:?}",
            a.missing
        );
    }
}

/// Pregnancy recorded the way an EHR codes it (SNOMED CT 77386006, ICD-10
/// Z33.1) is the pregnancy pathway, never 1000 mg IV iron.
#[test]
fn pregnancy_recorded_as_a_code_is_the_pregnancy_pathway() {
    for code in ["77386006", "Z33.1"] {
        let a = plan(
            &record(json!({ "conditions": [code] })),
            Profile::Irlssg2018,
        );
        assert_eq!(a.pathway, Pathway::Pregnancy, "{code}");
        assert!(!a.has("iron.iv"), "{code}: {:?}", ids(&a));
        assert!(a.has("refer.specialist"), "{code}");
    }
}

/// Parkinson's disease recorded as a code (ICD-10 G20, SNOMED CT 49049000):
/// its levodopa is not an RLS drug to switch.
#[test]
fn parkinsons_recorded_as_a_code_gets_no_switching_advice() {
    for code in ["G20", "49049000", "G20.A1"] {
        let r = record(json!({
            "conditions": [code],
            "medications": [ { "name": "Sinemet", "started": "2024-01-01" } ],
            "symptoms": {
                "urge_to_move": true, "worse_at_rest": true, "relieved_by_movement": true,
                "worse_evening_or_night": true, "not_explained_by_other_condition": true,
                "days_per_week": 6, "irls_total": 24,
                "augmentation": { "earlier_onset_hours": 5 }
            }
        }));
        let a = plan(&r, Profile::Irlssg2018);
        assert!(!a.has("augmentation.manage"), "{code}: {:?}", ids(&a));
        assert!(a.has("refer.specialist"), "{code}");
    }
}

/// End-stage kidney disease or dialysis recorded as a code (ICD-10 N18.6,
/// Z99.2): the dialysis pathway, with the renal team.
#[test]
fn dialysis_recorded_as_a_code_is_the_dialysis_pathway() {
    for code in ["N18.6", "Z99.2", "46177005"] {
        let a = plan(
            &record(json!({ "conditions": [code] })),
            Profile::Irlssg2018,
        );
        assert_eq!(a.pathway, Pathway::Dialysis, "{code}");
        assert!(a.has("refer.specialist"), "{code}");
    }
}

/// "With iron dealt with" must not stand beside a repeat infusion (nor beside
/// "keep taking oral iron"): the medicine is then added while iron continues.
#[test]
fn no_iron_dealt_with_text_beside_a_repeat_infusion() {
    let r = record(json!({
        "iron_treatments": [ { "route": "iv", "product": "ferric carboxymaltose",
                               "date": "2026-07-01", "response": "improved" } ],
        "labs": [
            lab("ferritin", 250.0, "ng/mL", "2026-08-20"), lab("tsat", 30.0, "%", "2026-08-20"),
            lab("ferritin", 90.0, "ng/mL", "2026-11-15"), lab("tsat", 22.0, "%", "2026-11-15")
        ]
    }));
    let a = plan(&r, Profile::Irlssg2018);
    assert!(a.has("iron.iv-repeat"), "{:?}", ids(&a));
    let drug = a.step("drug.alpha2delta").expect("drug step");
    assert!(!drug.detail.contains("iron dealt with"), "{}", drug.detail);

    let oral = record(json!({
        "iron_treatments": [ { "route": "oral", "started": "2026-07-01" } ],
        "labs": [ lab("ferritin", 85.0, "ng/mL", "2026-11-15"), lab("tsat", 22.0, "%", "2026-11-15") ],
        "medications": [ { "name": "Lyrica", "started": "2026-01-01", "stopped": "2026-03-01", "outcome": "side-effects" } ]
    }));
    let a = plan(&oral, Profile::Aasm2024);
    if a.has("iron.oral") {
        if let Some(drug) = a.step("drug.alpha2delta") {
            assert!(!drug.detail.contains("iron dealt with"), "{}", drug.detail);
        }
    }
}

/// With eGFR below 60 the drug step must not say its doses assume normal kidney
/// function: it says kidney function is reduced and the dose must be lower.
#[test]
fn a_drug_step_with_poor_kidney_function_names_the_lower_dose() {
    let r = record(json!({ "labs": [
        lab("ferritin", 400.0, "ng/mL", "2026-11-01"), lab("tsat", 25.0, "%", "2026-11-01"),
        lab("egfr", 40.0, "mL/min/1.73m2", "2026-11-01")
    ]}));
    let a = plan(&r, Profile::Irlssg2018);
    assert!(a.has("warn.renal-dosing"));
    let drug = a.step("drug.alpha2delta").expect("drug step");
    assert!(
        !drug.detail.contains("normal kidney function"),
        "{}",
        drug.detail
    );
    assert!(drug.detail.contains("eGFR 40"), "{}", drug.detail);
    assert!(drug.detail.contains("300 mg"), "{}", drug.detail);
}

/// RULES.md Texts: every text about a dopaminergic drug says never to stop it
/// suddenly and that sudden sleep attacks can happen. Suspected augmentation
/// replaces the risk warning, so its texts must say both.
#[test]
fn augmentation_texts_say_never_stop_suddenly_and_sleep_attacks() {
    let r = record(json!({
        "medications": [ { "name": "ropinirole", "started": "2024-01-01" } ],
        "symptoms": {
            "urge_to_move": true, "worse_at_rest": true, "relieved_by_movement": true,
            "worse_evening_or_night": true, "not_explained_by_other_condition": true,
            "days_per_week": 6, "irls_total": 24,
            "augmentation": { "earlier_onset_hours": 5 }
        }
    }));
    let a = plan(&r, Profile::Irlssg2018);
    let w = a.warning("warn.augmentation-suspected").expect("warning");
    assert!(w.text.contains("suddenly"), "{}", w.text);
    assert!(w.text.contains("sleep attacks"), "{}", w.text);
    let s = a.step("augmentation.manage").expect("step");
    assert!(s.detail.contains("suddenly"), "{}", s.detail);
    assert!(s.detail.contains("sleep attacks"), "{}", s.detail);
}

/// iron.iv-wait promises a repeat panel 8 weeks after the infusion: the schedule
/// must hold it even when a (usable) ferritin was drawn 4–6 weeks after it.
#[test]
fn the_wait_after_an_infusion_always_schedules_the_retest() {
    let r = record(json!({
        "iron_treatments": [ { "route": "iv", "product": "Monofer", "date": "2026-10-18" } ],
        "labs": [ lab("ferritin", 200.0, "ng/mL", "2026-11-15"), lab("tsat", 30.0, "%", "2026-11-15") ]
    }));
    let a = plan(&r, Profile::Irlssg2018);
    assert!(a.has("iron.iv-wait"), "{:?}", ids(&a));
    assert!(
        a.schedule
            .iter()
            .any(|s| s.id == "retest.iron"
                && s.date == NaiveDate::from_ymd_opt(2026, 12, 13).unwrap()),
        "{:?}",
        a.schedule
    );
}

/// Sleep aids sold under a maker's prefix or a product-line suffix are the
/// sedating antihistamine they contain.
#[test]
fn sleep_aid_brand_variants_are_recognised() {
    for name in ["Vicks ZzzQuil", "Unisom SleepGels", "Unisom SleepTabs"] {
        let a = plan(
            &record(json!({ "medications": [ { "name": name } ] })),
            Profile::Irlssg2018,
        );
        assert!(
            a.warning("warn.aggravating-medication").is_some(),
            "{name}: {:?}",
            ids(&a)
        );
    }
}

/// The inflamed-ferritin rule holds in every pathway: a pregnant woman, a child
/// or someone on dialysis with a raised CRP and TSAT 10 % is never told "more
/// iron is not indicated" from that ferritin.
#[test]
fn an_inflamed_ferritin_decides_nothing_in_pregnancy_children_and_dialysis() {
    let panel = |f: f64| {
        json!([
            lab("ferritin", f, "ng/mL", "2026-11-01"),
            lab("tsat", 10.0, "%", "2026-11-01"),
            lab("crp", 30.0, "mg/L", "2026-11-01")
        ])
    };
    let cases = [
        (
            json!({ "birth_date": "1994-01-01", "sex": "female", "pregnancy_weeks": 20 }),
            100.0,
        ),
        (
            json!({ "birth_date": "2014-01-01", "sex": "male", "weight_kg": 30 }),
            60.0,
        ),
        (
            json!({ "birth_date": "1960-01-01", "sex": "male", "dialysis": true }),
            250.0,
        ),
    ];
    for (patient, f) in cases {
        let r = record(json!({ "patient": patient, "labs": panel(f) }));
        let a = plan(&r, Profile::Irlssg2018);
        assert!(
            !a.has("iron.not-indicated"),
            "{:?}: {:?}",
            a.pathway,
            ids(&a)
        );
        assert!(a.has("test.iron-panel"), "{:?}: {:?}", a.pathway, ids(&a));
    }
}

/// Haemochromatosis in British spelling or as an ICD-10 code forbids iron.
#[test]
fn haemochromatosis_however_written_forbids_iron() {
    for name in [
        "Hereditary haemochromatosis",
        "E83.110",
        "HFE haemochromatosis",
    ] {
        let a = plan(
            &record(json!({ "conditions": [name] })),
            Profile::Irlssg2018,
        );
        assert!(a.has("warn.iron-overload"), "{name}: {:?}", ids(&a));
        assert!(
            !a.has("iron.iv") && !a.has("iron.oral"),
            "{name}: {:?}",
            ids(&a)
        );
    }
}

/// A child three weeks after an infusion (written on the medicine list) waits,
/// like an adult: no oral iron on top of it.
#[test]
fn a_child_three_weeks_after_an_infusion_waits() {
    let r = record(json!({
        "patient": { "birth_date": "2014-01-01", "sex": "male", "weight_kg": 30 },
        "medications": [ { "name": "Ferinject", "started": "2026-10-25" } ],
        "labs": [ lab("ferritin", 20.0, "ng/mL", "2026-11-22"), lab("tsat", 10.0, "%", "2026-11-22") ]
    }));
    let a = plan(&r, Profile::Irlssg2018);
    assert_eq!(a.pathway, Pathway::Pediatric);
    assert!(a.has("iron.iv-wait"), "{:?}", ids(&a));
    assert!(!a.has("iron.oral"), "{:?}", ids(&a));
}

/// RULES.md Texts: benefits and the usual risks side by side. The infusion
/// texts of pregnancy and dialysis named no risk at all.
#[test]
fn infusion_texts_in_pregnancy_and_dialysis_name_the_risks() {
    let pregnant = record(json!({
        "patient": { "birth_date": "1994-01-01", "sex": "female", "pregnancy_weeks": 24 },
        "labs": [ lab("ferritin", 20.0, "ng/mL", "2026-11-15"), lab("tsat", 12.0, "%", "2026-11-15") ],
        "iron_treatments": [
            { "route": "oral", "started": "2026-06-01", "stopped": "2026-08-01", "outcome": "side-effects" }
        ]
    }));
    let dialysis = record(json!({
        "patient": { "birth_date": "1960-01-01", "sex": "male", "dialysis": true },
        "labs": [ lab("ferritin", 150.0, "ng/mL", "2026-11-01"), lab("tsat", 15.0, "%", "2026-11-01") ]
    }));
    for r in [pregnant, dialysis] {
        let a = plan(&r, Profile::Irlssg2018);
        let iv = a.step("iron.iv").expect("iron.iv");
        assert!(iv.detail.contains("allergic"), "{}", iv.detail);
    }
}

/// RULES.md Texts: "do not stop or change a medicine on your own" wherever a
/// medicine is discussed — the warning on each aggravating medicine too (an
/// antihistamine's alternatives text did not say it).
#[test]
fn every_aggravating_medicine_warning_says_not_to_stop_it_alone() {
    let r = record(json!({ "medications": [
        { "name": "Benadryl" }, { "name": "Reglan" }, { "name": "sertraline" }
    ] }));
    let a = plan(&r, Profile::Irlssg2018);
    let warnings: Vec<_> = a
        .warnings
        .iter()
        .filter(|w| w.id == "warn.aggravating-medication")
        .collect();
    assert_eq!(warnings.len(), 3);
    for w in warnings {
        assert!(w.text.contains("on your own"), "{}", w.text);
    }
}

/// RULES.md Texts: steps leave the decision with the clinician ("Ask your
/// doctor …", never a bare "Ask for …").
#[test]
fn no_step_says_a_bare_ask_for() {
    let records = [
        record(json!({ "labs": [] })),
        record(json!({ "labs": [
            lab("ferritin", 400.0, "ng/mL", "2026-11-01"), lab("tsat", 12.0, "%", "2026-11-01"),
            lab("crp", 30.0, "mg/L", "2026-11-01")
        ]})),
    ];
    for r in records {
        let a = plan(&r, Profile::Irlssg2018);
        for s in &a.steps {
            assert!(!s.detail.starts_with("Ask for"), "{}: {}", s.id, s.detail);
            assert!(!s.detail.contains(". Ask for"), "{}: {}", s.id, s.detail);
        }
    }
}

/// An infusion two years ago (or an oral course long finished) and no current
/// iron panel: iron stores now are unknown, so iron is not "dealt with" — no
/// opioid, and no drug step that says "with iron dealt with", until the panel
/// the plan asks for is back.
#[test]
fn no_opioid_while_the_plan_asks_for_an_iron_panel() {
    let failed = json!([
        { "name": "pregabalin", "started": "2026-01-01", "stopped": "2026-05-01", "outcome": "ineffective" },
        { "name": "gabapentin", "started": "2025-01-01", "stopped": "2025-05-01", "outcome": "side-effects" }
    ]);
    let records = [
        record(json!({
            "labs": [],
            "iron_treatments": [ { "route": "iv", "product": "Monofer", "date": "2024-10-01", "response": "improved" } ],
            "medications": failed.clone()
        })),
        record(json!({
            "labs": [ lab("ferritin", 200.0, "ng/mL", "2025-01-01"), lab("tsat", 30.0, "%", "2025-01-01") ],
            "iron_treatments": [ { "route": "iv", "product": "Monofer", "date": "2024-10-01", "response": "improved" } ],
            "medications": failed.clone()
        })),
        record(json!({
            "labs": [],
            "iron_treatments": [ { "route": "oral", "started": "2026-04-01", "stopped": "2026-08-14" } ],
            "medications": failed.clone()
        })),
    ];
    for (i, r) in records.into_iter().enumerate() {
        let a = plan(&r, Profile::Irlssg2018);
        assert!(a.has("test.iron-panel"), "{:?}", ids(&a));
        assert!(!a.has("drug.opioid-low-dose"), "{:?}", ids(&a));
        assert!(
            a.missing.iter().any(|m| m.contains("iron panel")),
            "{:?}",
            a.missing
        );
        // An infusion two years ago says nothing about iron now; an oral course
        // ended within 183 days still counts (RULES.md), so the first-line
        // medicine may be discussed beside the panel.
        if i < 2 {
            assert!(!a.has("drug.alpha2delta"), "{:?}", ids(&a));
        }
        // Two ligands failed: refractory, so the specialist is still involved.
        assert!(a.has("refer.specialist"), "{:?}", ids(&a));
    }
}

/// The IV dose depends on weight below 50 kg: with the weight unknown the
/// text says so, and `missing` asks for it.
#[test]
fn iv_iron_with_weight_unknown_asks_for_the_weight() {
    let r = record(json!({ "patient": { "birth_date": "1979-04-02", "sex": "female" } }));
    let a = plan(&r, Profile::Irlssg2018);
    assert!(a.has("iron.iv"), "{:?}", ids(&a));
    assert!(
        a.missing.iter().any(|m| m.contains("body weight")),
        "{:?}",
        a.missing
    );
}

/// A repeat infusion after one whose product was not recorded: it may have
/// been ferric carboxymaltose, so phosphate is checked first.
#[test]
fn a_repeat_after_an_infusion_of_unknown_product_checks_phosphate() {
    let r = record(json!({
        "iron_treatments": [ { "route": "iv", "date": "2026-07-01", "response": "improved" } ],
        "labs": [
            lab("ferritin", 250.0, "ng/mL", "2026-08-20"), lab("tsat", 30.0, "%", "2026-08-20"),
            lab("ferritin", 90.0, "ng/mL", "2026-11-15"), lab("tsat", 22.0, "%", "2026-11-15")
        ]
    }));
    let a = plan(&r, Profile::Irlssg2018);
    assert!(a.has("iron.iv-repeat"), "{:?}", ids(&a));
    assert!(a.has("test.phosphate"), "{:?}", ids(&a));
}

/// Opioid combinations common on UK and US medicine lists are opioids: beside
/// a benzodiazepine the warning is the dangerous-combination one.
#[test]
fn opioid_combinations_make_the_benzodiazepine_warning_dangerous() {
    for opioid in ["co-dydramol 10/500", "Tramacet", "Ultracet"] {
        let r = record(json!({ "medications": [
            { "name": opioid, "started": "2026-01-01" },
            { "name": "Stilnox", "started": "2026-01-01" }
        ] }));
        let a = plan(&r, Profile::Irlssg2018);
        let w = a
            .warning("warn.benzodiazepine")
            .expect("benzodiazepine warning");
        assert_eq!(w.level, willis_core::Level::Danger, "{opioid}: {}", w.text);
        assert!(a.unrecognised.is_empty(), "{opioid}: {:?}", a.unrecognised);
    }
}

/// Diafer (ferric derisomaltose for dialysis units) is an infusion.
#[test]
fn diafer_on_the_medicine_list_is_an_infusion() {
    let r = record(json!({
        "patient": { "birth_date": "1960-01-01", "sex": "male", "dialysis": true },
        "medications": [ { "name": "Diafer", "started": "2026-11-01" } ],
        "labs": [ lab("ferritin", 100.0, "ng/mL", "2026-11-01"), lab("tsat", 15.0, "%", "2026-11-01") ]
    }));
    let a = plan(&r, Profile::Irlssg2018);
    assert!(a.has("iron.iv-wait"), "{:?}", ids(&a));
    assert!(!a.has("iron.iv"), "{:?}", ids(&a));
}

/// Chronic kidney disease on the record and no eGFR: the drug step must not
/// assume normal kidney function (600 mg), and `missing` asks for an eGFR.
#[test]
fn chronic_kidney_disease_without_an_egfr_asks_for_one() {
    let r = record(json!({
        "conditions": ["CKD"],
        "labs": [ lab("ferritin", 400.0, "ng/mL", "2026-11-01"), lab("tsat", 25.0, "%", "2026-11-01") ]
    }));
    let a = plan(&r, Profile::Irlssg2018);
    let drug = a.step("drug.alpha2delta").expect("drug step");
    assert!(
        !drug.detail.contains("normal kidney function"),
        "{}",
        drug.detail
    );
    assert!(!drug.detail.contains("600 mg"), "{}", drug.detail);
    assert!(
        a.missing.iter().any(|m| m.contains("eGFR")),
        "{:?}",
        a.missing
    );
}

/// Oral iron on the medicine list, stopped for side effects with no start date:
/// still an oral course that was not tolerated — no new oral iron is suggested.
#[test]
fn an_undated_stopped_oral_iron_with_side_effects_is_not_suggested_again() {
    let r = record(json!({ "medications": [
        { "name": "ferrous sulfate 200 mg", "stopped": "2026-06-01", "outcome": "side-effects" }
    ] }));
    let a = plan(&r, Profile::Irlssg2018);
    assert!(!a.has("iron.oral"), "{:?}", ids(&a));
    assert!(a.has("iron.iv"), "{:?}", ids(&a));
}

/// Night-time combination products as the pack names them: the strength and
/// the capsule style never hide the antihistamine.
#[test]
fn night_time_products_with_pack_words_are_recognised() {
    for name in [
        "Tylenol PM Extra Strength",
        "Advil PM Liqui-Gels",
        "NyQuil LiquiCaps",
        "Aleve PM caplets",
    ] {
        let a = plan(
            &record(json!({ "medications": [ { "name": name } ] })),
            Profile::Irlssg2018,
        );
        assert!(
            a.warning("warn.aggravating-medication").is_some(),
            "{name}: {:?} unrecognised {:?}",
            ids(&a),
            a.unrecognised
        );
    }
}

/// Infections as a problem list writes them defer IV iron.
#[test]
fn common_infections_defer_iv_iron() {
    for name in ["COVID-19", "influenza", "osteomyelitis", "chest infection"] {
        let a = plan(
            &record(json!({ "conditions": [name] })),
            Profile::Irlssg2018,
        );
        assert!(a.has("warn.iv-iron-infection"), "{name}: {:?}", ids(&a));
        assert!(!a.has("iron.iv"), "{name}: {:?}", ids(&a));
    }
}

/// Gabapentin taken now with its effect not recorded: the drug step must not
/// read as a second gabapentinoid to add, and `missing` asks whether it helps.
#[test]
fn a_current_ligand_of_unknown_effect_is_not_doubled() {
    let r = record(json!({
        "labs": [ lab("ferritin", 400.0, "ng/mL", "2026-11-01"), lab("tsat", 25.0, "%", "2026-11-01") ],
        "medications": [ { "name": "gabapentin 300 mg", "started": "2026-09-01" } ]
    }));
    let a = plan(&r, Profile::Irlssg2018);
    if let Some(drug) = a.step("drug.alpha2delta") {
        assert!(drug.detail.contains("never take two"), "{}", drug.detail);
    }
    assert!(
        a.missing.iter().any(|m| m.contains("gabapentin 300 mg")),
        "{:?}",
        a.missing
    );
}
