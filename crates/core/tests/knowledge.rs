//! The knowledge files are data a clinician reviews; these tests keep them
//! consistent with each other and with the stable ids of DESIGN.md.

use std::collections::HashSet;

use willis_core::knowledge::{lookup_key, Effect, Knowledge, Profile};

/// Every step, warning and schedule id DESIGN.md lists (a stable contract).
const DESIGN_IDS: &[&str] = &[
    "diagnosis.confirm",
    "test.iron-panel",
    "test.vitamins",
    "test.phosphate",
    "meds.review-aggravating",
    "lifestyle.triggers",
    "lifestyle.sleep",
    "vitamin.d",
    "vitamin.b12",
    "vitamin.folate",
    "iron.iv",
    "iron.oral",
    "iron.iv-wait",
    "iron.iv-repeat",
    "iron.not-indicated",
    "drug.alpha2delta",
    "drug.opioid-low-dose",
    "augmentation.manage",
    "refer.specialist",
    "refer.investigate-iron-deficiency",
    "warn.aggravating-medication",
    "warn.iron-overload",
    "warn.ferritin-acute-phase",
    "warn.labs-not-fasting",
    "warn.labs-stale",
    "warn.iv-iron-first-trimester",
    "warn.fcm-hypophosphatemia",
    "warn.augmentation-suspected",
    "warn.dopamine-agonist-risk",
    "warn.anemia",
];

fn k() -> Knowledge {
    Knowledge::load().expect("the embedded knowledge loads")
}

#[test]
fn every_design_id_has_a_text() {
    let k = k();
    for id in DESIGN_IDS {
        let key = id.replace('.', "-");
        let text = k
            .texts
            .get(&key)
            .unwrap_or_else(|| panic!("no text for {id}"));
        assert!(!text.title.trim().is_empty(), "{id} has an empty title");
        assert!(!text.detail.trim().is_empty(), "{id} has an empty detail");
    }
}

#[test]
fn every_cited_source_exists() {
    let k = k();
    let mut cited: Vec<(String, String)> = Vec::new();
    for (key, text) in &k.texts {
        cited.extend(
            text.sources
                .iter()
                .map(|s| (format!("text {key}"), s.clone())),
        );
    }
    for (id, class) in &k.classes {
        cited.extend(
            class
                .sources
                .iter()
                .map(|s| (format!("class {id}"), s.clone())),
        );
    }
    for c in &k.conditions {
        cited.extend(
            c.sources
                .iter()
                .map(|s| (format!("condition {}", c.id), s.clone())),
        );
    }
    for (field, ids) in &k.common.sources {
        cited.extend(
            ids.iter()
                .map(|s| (format!("threshold {field}"), s.clone())),
        );
    }
    for (name, p) in &k.profiles {
        cited.extend(
            p.sources
                .iter()
                .map(|s| (format!("profile {name}"), s.clone())),
        );
    }
    assert!(cited.len() > 50);
    for (whom, id) in cited {
        assert!(
            k.sources.contains_key(&id),
            "{whom} cites unknown source {id}"
        );
    }
}

#[test]
fn every_source_has_citation_url_and_year() {
    for (id, s) in &k().sources {
        assert!(s.citation.len() > 20, "{id}");
        assert!(s.url.starts_with("https://"), "{id}");
        assert!((1990..=2030).contains(&s.year), "{id}");
    }
}

#[test]
fn threshold_sources_name_real_fields() {
    // A source list under [common.sources] for a field that does not exist would
    // cite nothing; the field names come from the struct itself.
    let text = include_str!("../knowledge/thresholds.toml");
    let k = k();
    for field in k.common.sources.keys() {
        assert!(
            text.contains(&format!("\n{field} = ")),
            "[common.sources] names {field}, which is not a threshold"
        );
    }
}

#[test]
fn no_name_maps_to_two_classes_and_every_class_exists() {
    let k = k();
    let mut seen = HashSet::new();
    for m in &k.medicines {
        assert!(
            k.classes.contains_key(&m.class),
            "{} -> {}",
            m.name,
            m.class
        );
        for name in std::iter::once(&m.name).chain(&m.brands) {
            assert!(seen.insert(lookup_key(name)), "{name} appears twice");
        }
    }
}

#[test]
fn catalogue_is_large_and_covers_every_class_rules_name() {
    let k = k();
    assert!(k.medicines.len() >= 150, "{} medicines", k.medicines.len());
    for class in [
        "ssri",
        "snri",
        "tricyclic",
        "mirtazapine",
        "antipsychotic",
        "antiemetic-dopamine-blocker",
        "sedating-antihistamine",
        "lithium",
        "alpha-2-delta",
        "dopamine-agonist",
        "ergot-dopamine-agonist",
        "levodopa",
        "opioid",
        "benzodiazepine",
    ] {
        assert!(k.classes.contains_key(class), "no class {class}");
        assert!(
            k.medicines.iter().any(|m| m.class == class),
            "no medicine in {class}"
        );
    }
    for effect in [
        Effect::Aggravates,
        Effect::Alpha2Delta,
        Effect::DopamineAgonist,
        Effect::Levodopa,
        Effect::Opioid,
        Effect::Benzodiazepine,
        Effect::Iron,
        Effect::Neutral,
    ] {
        assert!(k.classes.values().any(|c| c.effect == effect), "{effect:?}");
    }
}

#[test]
fn aggravating_classes_offer_alternatives_and_cite_sources() {
    for (id, c) in &k().classes {
        if c.effect == Effect::Aggravates {
            assert!(c.alternatives.is_some(), "{id} has no alternatives");
        }
        if c.effect != Effect::Neutral {
            assert!(!c.sources.is_empty(), "{id} cites nothing");
        }
    }
}

#[test]
fn names_and_brands_resolve_case_insensitively() {
    let k = k();
    let cases = [
        ("sertraline", "ssri"),
        ("ZOLOFT", "ssri"),
        ("Mirapexin", "dopamine-agonist"),
        ("mirapex", "dopamine-agonist"),
        ("Requip XL 2 mg", "dopamine-agonist"),
        ("Neupro", "dopamine-agonist"),
        ("Horizant", "alpha-2-delta"),
        ("gabapentin enacarbil", "alpha-2-delta"),
        ("Lyrica", "alpha-2-delta"),
        ("cabergoline", "ergot-dopamine-agonist"),
        ("Sinemet", "levodopa"),
        ("Benadryl", "sedating-antihistamine"),
        ("promethazine", "sedating-antihistamine"),
        ("metoclopramide", "antiemetic-dopamine-blocker"),
        ("mirtazapine", "mirtazapine"),
        ("lithium", "lithium"),
        ("Wellbutrin", "bupropion"),
        ("cetirizine", "non-sedating-antihistamine"),
        ("Ferinject", "iv-iron"),
    ];
    for (name, class) in cases {
        let (_, found) = k
            .medicine(name)
            .unwrap_or_else(|| panic!("{name} not found"));
        assert_eq!(found.id, class, "{name}");
    }
    assert!(k.medicine("unobtainium").is_none());
}

#[test]
fn bupropion_is_not_aggravating() {
    let k = k();
    let (_, class) = k
        .medicine("bupropion")
        .expect("bupropion is in the catalogue");
    assert_ne!(class.effect, Effect::Aggravates);
}

#[test]
fn conditions_resolve_by_id_and_alias() {
    let k = k();
    assert_eq!(
        k.condition("Haemochromatosis").map(|c| c.id.as_str()),
        Some("hemochromatosis")
    );
    assert_eq!(
        k.condition("ESRD").map(|c| c.id.as_str()),
        Some("end-stage-kidney-disease")
    );
    for id in [
        "hemochromatosis",
        "iron-deficiency-anemia",
        "chronic-kidney-disease",
        "peripheral-neuropathy",
        "diabetes",
        "parkinsons-disease",
        "multiple-sclerosis",
        "active-infection",
        "iron-hypersensitivity",
        "liver-cirrhosis",
        "end-stage-kidney-disease",
    ] {
        assert!(k.condition(id).is_some(), "{id}");
    }
}

#[test]
fn every_profile_is_present_and_ordered_sensibly() {
    let k = k();
    for p in Profile::ALL {
        let t = k.profile(p);
        assert!(t.oral_ferritin_at_most <= t.iv_ferritin_below, "{p}");
        assert!(t.pediatric_oral_below <= t.oral_ferritin_at_most, "{p}");
        assert!(!t.sources.is_empty(), "{p}");
    }
    let c = &k.common;
    assert!(c.iv_full_effect_days < c.iv_retest_days && c.iv_retest_days < c.iv_repeat_min_days);
    assert!(c.augmentation_onset_moderate_hours < c.augmentation_onset_strong_hours);
}
