//! The shared readings renderers show beside a result: the TSAT series and its
//! pairing with a ferritin, each result against the RLS aims per profile, and
//! the iron thresholds a chart draws. Both sides of every threshold.

use chrono::NaiveDate;
use serde_json::{json, Value};
use willis_core::interpret::{interpret, iron_thresholds, tsat_series, Position, TsatBasis};
use willis_core::units::LabTest;
use willis_core::{assess, parse_json, Knowledge, Pathway, Profile, Record};

fn day(d: &str) -> NaiveDate {
    d.parse().expect("a valid date")
}

fn lab(test: &str, value: f64, unit: &str, date: &str) -> Value {
    json!({ "test": test, "value": value, "unit": unit, "date": date,
            "fasting": true, "morning": true })
}

/// Likely RLS, IRLS 24, a woman of 47, with these labs.
fn record(labs: Vec<Value>) -> Record {
    let r = json!({
        "format": "willis-record/1",
        "patient": { "birth_date": "1979-04-02", "sex": "female", "weight_kg": 60 },
        "symptoms": {
            "urge_to_move": true, "worse_at_rest": true, "relieved_by_movement": true,
            "worse_evening_or_night": true, "not_explained_by_other_condition": true,
            "days_per_week": 6, "irls_total": 24
        },
        "labs": labs
    });
    parse_json(&r.to_string()).unwrap_or_else(|e| panic!("refused: {e}"))
}

// --- TSAT series: basis, inputs, pairing ---------------------------------

#[test]
fn a_reported_tsat_is_given_with_itself_as_input() {
    let r = record(vec![lab("tsat", 18.0, "%", "2026-11-01")]);
    let s = tsat_series(&r, day("2026-11-22"));
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].basis, TsatBasis::Given);
    assert_eq!(s[0].percent, 18.0);
    assert_eq!(s[0].inputs.len(), 1);
    assert_eq!(s[0].inputs[0].test, LabTest::Tsat);
    assert!(!s[0].derived() && s[0].plausible());
}

#[test]
fn iron_and_tibc_on_one_day_derive_tsat_from_both() {
    let r = record(vec![
        lab("iron", 12.0, "µmol/L", "2026-11-01"),
        lab("tibc", 60.0, "µmol/L", "2026-11-01"),
    ]);
    let s = tsat_series(&r, day("2026-11-22"));
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].basis, TsatBasis::IronAndTibc);
    assert!((s[0].percent - 20.0).abs() < 1e-9);
    let tests: Vec<LabTest> = s[0].inputs.iter().map(|l| l.test).collect();
    assert_eq!(tests, [LabTest::Iron, LabTest::Tibc]);
    assert_eq!(s[0].basis.words(), "derived from iron and TIBC");
}

#[test]
fn iron_and_transferrin_derive_tsat_when_no_tibc() {
    // 10 µmol/L ÷ (2 g/L × 25.1) × 100 = 19.92 %.
    let r = record(vec![
        lab("iron", 10.0, "µmol/L", "2026-11-01"),
        lab("transferrin", 2.0, "g/L", "2026-11-01"),
    ]);
    let s = tsat_series(&r, day("2026-11-22"));
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].basis, TsatBasis::IronAndTransferrin);
    assert!((s[0].percent - 1000.0 / 50.2).abs() < 1e-9);
}

#[test]
fn tibc_is_preferred_to_transferrin() {
    let r = record(vec![
        lab("iron", 12.0, "µmol/L", "2026-11-01"),
        lab("tibc", 60.0, "µmol/L", "2026-11-01"),
        lab("transferrin", 2.0, "g/L", "2026-11-01"),
    ]);
    assert_eq!(
        tsat_series(&r, day("2026-11-22"))[0].basis,
        TsatBasis::IronAndTibc
    );
}

#[test]
fn a_reported_tsat_wins_over_a_derivation_on_the_same_day() {
    let r = record(vec![
        lab("tsat", 30.0, "%", "2026-11-01"),
        lab("iron", 12.0, "µmol/L", "2026-11-01"),
        lab("tibc", 60.0, "µmol/L", "2026-11-01"),
    ]);
    let s = tsat_series(&r, day("2026-11-22"));
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].basis, TsatBasis::Given);
}

#[test]
fn iron_and_tibc_on_different_days_derive_nothing() {
    let r = record(vec![
        lab("iron", 12.0, "µmol/L", "2026-11-01"),
        lab("tibc", 60.0, "µmol/L", "2026-11-03"),
    ]);
    assert!(tsat_series(&r, day("2026-11-22")).is_empty());
}

#[test]
fn labs_after_as_of_are_left_out_and_the_series_is_oldest_first() {
    let r = record(vec![
        lab("tsat", 25.0, "%", "2026-06-01"),
        lab("iron", 12.0, "µmol/L", "2026-09-01"),
        lab("tibc", 60.0, "µmol/L", "2026-09-01"),
        lab("tsat", 40.0, "%", "2026-11-10"),
    ]);
    let s = tsat_series(&r, day("2026-11-01"));
    let dates: Vec<NaiveDate> = s.iter().map(|r| r.date).collect();
    assert_eq!(dates, [day("2026-06-01"), day("2026-09-01")]);
}

#[test]
fn a_derived_tsat_above_100_is_implausible() {
    let r = record(vec![
        lab("iron", 50.0, "µmol/L", "2026-11-01"),
        lab("tibc", 45.0, "µmol/L", "2026-11-01"),
    ]);
    let s = tsat_series(&r, day("2026-11-22"));
    assert!(s[0].percent > 100.0 && !s[0].plausible());
}

#[test]
fn the_assessment_reads_its_tsat_from_the_series() {
    let r = record(vec![
        lab("ferritin", 45.0, "ng/mL", "2026-11-01"),
        lab("iron", 12.0, "µmol/L", "2026-11-03"),
        lab("tibc", 60.0, "µmol/L", "2026-11-03"),
    ]);
    let a = assess(&r, day("2026-11-22"), Profile::Irlssg2018);
    assert_eq!(a.iron.tsat_percent, Some(20.0));
    assert_eq!(
        a.iron.tsat_basis.as_deref(),
        Some(TsatBasis::IronAndTibc.words())
    );
}

#[test]
fn the_panel_prefers_a_reported_tsat_and_stays_within_the_pairing_window() {
    let window = Knowledge::get().common.tsat_pairing_days;
    let inside = day("2026-11-01") + chrono::Duration::days(window);
    let outside = inside + chrono::Duration::days(1);
    let r = record(vec![
        lab("ferritin", 45.0, "ng/mL", "2026-11-01"),
        lab("iron", 12.0, "µmol/L", "2026-11-01"),
        lab("tibc", 60.0, "µmol/L", "2026-11-01"),
        lab("tsat", 30.0, "%", &inside.to_string()),
    ]);
    let a = assess(&r, day("2026-11-22"), Profile::Irlssg2018);
    assert_eq!(a.iron.tsat_percent, Some(30.0));
    assert_eq!(a.iron.tsat_basis.as_deref(), Some("given"));

    let r = record(vec![
        lab("ferritin", 45.0, "ng/mL", "2026-11-01"),
        lab("tsat", 30.0, "%", &outside.to_string()),
    ]);
    let a = assess(&r, day("2026-11-22"), Profile::Irlssg2018);
    assert_eq!(a.iron.tsat_percent, None);
}

// --- interpret: both sides of each aim, per profile -----------------------

fn at(test: LabTest, value: f64, pathway: Pathway, profile: Profile) -> (Position, bool) {
    let i = interpret(test, value, pathway, profile)
        .unwrap_or_else(|| panic!("no interpretation of {test:?} {value}"));
    (i.position, i.attention)
}

#[test]
fn adult_ferritin_around_75_and_100_in_every_profile() {
    let c = &Knowledge::get().common;
    let (low, high) = (c.oral_alternate_day_above, c.oral_continue_below);
    for profile in Profile::ALL {
        for pathway in [Pathway::Adult, Pathway::Pregnancy] {
            let f = |v| at(LabTest::Ferritin, v, pathway, profile);
            assert_eq!(f(low), (Position::Below, true), "{profile} at {low}");
            assert_eq!(f(low + 0.1), (Position::Within, true), "{profile}");
            assert_eq!(f(high - 0.1), (Position::Within, true), "{profile}");
            assert_eq!(f(high), (Position::Above, false), "{profile} at {high}");
        }
    }
    let i = interpret(LabTest::Ferritin, 45.0, Pathway::Adult, Profile::Irlssg2018).unwrap();
    assert_eq!(i.words, "below the 75–100 µg/L that RLS guidelines aim for");
    let target = i.rls_target.unwrap();
    assert_eq!((target.low, target.high), (Some(low), Some(high)));
    assert!(!i.sources.is_empty());
}

#[test]
fn a_childs_ferritin_around_the_profiles_aim() {
    for profile in Profile::ALL {
        let aim = Knowledge::get().profile(profile).pediatric_oral_below;
        let f = |v| at(LabTest::Ferritin, v, Pathway::Pediatric, profile);
        assert_eq!(f(aim - 0.1), (Position::Below, true), "{profile}");
        assert_eq!(f(aim), (Position::Within, false), "{profile}");
    }
}

#[test]
fn dialysis_ferritin_around_its_limit() {
    let limit = Knowledge::get().common.dialysis_ferritin_below;
    for profile in Profile::ALL {
        let f = |v| at(LabTest::Ferritin, v, Pathway::Dialysis, profile);
        assert_eq!(f(limit - 0.1), (Position::Below, true));
        assert_eq!(f(limit), (Position::Within, false));
    }
}

#[test]
fn tsat_around_20_and_45_in_every_profile() {
    let never = Knowledge::get().common.tsat_never_iron_from;
    let floor = Knowledge::get()
        .profile(Profile::Aasm2024)
        .oral_also_when_tsat_below
        .expect("AASM 2024 names a TSAT floor");
    for profile in Profile::ALL {
        for pathway in [Pathway::Adult, Pathway::Pregnancy, Pathway::Dialysis] {
            let t = |v| at(LabTest::Tsat, v, pathway, profile);
            assert_eq!(t(floor - 0.1), (Position::Below, true), "{profile}");
            assert_eq!(t(floor), (Position::Within, false), "{profile}");
            assert_eq!(t(never - 0.1), (Position::Within, false), "{profile}");
            assert_eq!(t(never), (Position::Above, true), "{profile}");
        }
        // Children: no TSAT aim, only the no-iron limit.
        assert!(interpret(LabTest::Tsat, never - 0.1, Pathway::Pediatric, profile).is_none());
        assert_eq!(
            at(LabTest::Tsat, never, Pathway::Pediatric, profile),
            (Position::Above, true)
        );
    }
    let i = interpret(LabTest::Tsat, 17.7, Pathway::Adult, Profile::Irlssg2018).unwrap();
    assert_eq!(i.words, "below the 20 % that RLS guidelines aim for");
}

#[test]
fn vitamins_around_their_deficiency_limits() {
    let c = &Knowledge::get().common;
    for (test, limit) in [
        (LabTest::VitaminD, c.vitamin_d_low_below),
        (LabTest::VitaminB12, c.vitamin_b12_low_below),
        (LabTest::Folate, c.folate_low_below),
    ] {
        for profile in Profile::ALL {
            let v = |x| at(test, x, Pathway::Adult, profile);
            assert_eq!(v(limit - 0.1), (Position::Below, true), "{test:?}");
            assert_eq!(v(limit), (Position::Within, false), "{test:?}");
        }
    }
}

#[test]
fn other_tests_have_no_rls_interpretation() {
    assert!(interpret(LabTest::Crp, 10.0, Pathway::Adult, Profile::Irlssg2018).is_none());
}

// --- iron thresholds -----------------------------------------------------

#[test]
fn the_chart_thresholds_are_the_rules_numbers() {
    let t = iron_thresholds();
    assert_eq!(t.ferritin, [75.0, 100.0, 300.0]);
    assert_eq!(t.tsat, [20.0, 45.0]);
    let k = Knowledge::get();
    assert!(t.tsat.contains(&k.common.tsat_never_iron_from));
    for p in Profile::ALL {
        assert!(t.ferritin.contains(&k.profile(p).iv_ferritin_below));
    }
}

// --- the assessment's typed fields keep their JSON -------------------------

#[test]
fn typed_ids_profile_and_schedule_serialise_as_before() {
    let r = record(vec![
        lab("ferritin", 45.0, "ng/mL", "2026-11-01"),
        lab("tsat", 18.0, "%", "2026-11-01"),
    ]);
    let a = assess(&r, day("2026-11-22"), Profile::Aasm2024);
    let json = serde_json::to_value(&a).expect("serialises");
    assert_eq!(json["guideline"], "aasm-2024");
    assert_eq!(a.guideline, "aasm-2024");
    let oral = a.step("iron.oral").expect("oral iron at ferritin 45");
    assert_eq!(oral.id, "iron.oral");
    let i = a.steps.iter().position(|s| s.id == "iron.oral").unwrap();
    assert_eq!(json["steps"][i]["id"], "iron.oral");
    assert_eq!(json["steps"][i]["schedule"], "daily");
    for item in &a.schedule {
        assert_eq!(item.what, format!("{}: {}", item.title, item.detail));
    }
    for w in &a.warnings {
        assert_eq!(w.text, format!("{}. {}", w.title, w.detail));
    }
    let back: willis_core::Assessment = serde_json::from_value(json).expect("reads back");
    assert_eq!(back, a);
}

#[test]
fn the_post_infusion_window_covers_the_infusion_day_up_to_its_limit() {
    use willis_core::interpret::soon_after_infusion;
    use willis_core::record::IvInfusion;
    let window = Knowledge::get().common.post_infusion_blind_days;
    let given = day("2026-10-01");
    let infusions = [IvInfusion {
        product: None,
        dose_mg: None,
        date: given,
        response: None,
    }];
    let after = |d: i64| given + chrono::Duration::days(d);
    assert!(!soon_after_infusion(&infusions, after(-1)));
    assert!(soon_after_infusion(&infusions, given));
    assert!(soon_after_infusion(&infusions, after(window - 1)));
    assert!(!soon_after_infusion(&infusions, after(window)));
}

#[test]
fn a_warning_about_a_medicine_says_what_it_says_without_the_name() {
    let mut r = record(vec![lab("ferritin", 45.0, "ng/mL", "2026-11-01")]);
    let extra = json!({ "format": "willis-record/1",
        "medications": [ { "name": "Zoloft", "started": "2026-01-01" } ] });
    let meds = parse_json(&extra.to_string()).expect("a record");
    r.medications = meds.medications;
    let a = assess(&r, day("2026-11-22"), Profile::Irlssg2018);
    let w = a
        .warning("warn.aggravating-medication")
        .expect("sertraline worsens RLS");
    assert_eq!(w.title, "Zoloft can worsen RLS");
    assert_eq!(w.about_subject.as_deref(), Some("can worsen RLS"));
}
