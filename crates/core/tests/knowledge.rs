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
    // Added in knowledge 2026.2.
    "options.more",
    "refer.sleep-study",
    "iron.iv-response-unknown",
    "warn.labs-implausible",
    "warn.low-phosphate",
    "warn.renal-dosing",
    "warn.iv-iron-infection",
    "warn.benzodiazepine",
    "warn.opioid-sleep-apnea",
    "warn.impulse-control",
];

/// Every id the engine can emit: the ids (the part before any variant) of
/// every text in texts.toml, and the schedule ids.
fn engine_ids() -> Vec<String> {
    let k = k();
    // texts.toml writes `iron.oral.pediatric` as `iron-oral-pediatric`; the id
    // is the DESIGN.md id that the key starts with.
    let mut ids: Vec<String> = k.texts.keys().cloned().collect();
    ids.sort();
    ids
}

/// The shared DESIGN.md, beside the repository (also in CI).
fn design_text() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/DESIGN.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "DESIGN.md is needed for the id contract test and was not found at {}: {e}. \
             The shared folder must sit beside the repository.",
            path.display()
        )
    })
}

#[test]
fn every_id_the_engine_can_emit_is_listed_in_design_md() {
    let design = design_text();
    let listed: Vec<&str> = design
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| w.contains('.') && !w.contains(' '))
        .collect();
    let dashed: Vec<String> = listed.iter().map(|id| id.replace('.', "-")).collect();
    for key in engine_ids() {
        if key == "disclaimer" {
            continue;
        }
        // A text key is an id, or an id followed by a variant.
        let covered = dashed
            .iter()
            .any(|id| key == *id || key.starts_with(&format!("{id}-")));
        assert!(
            covered,
            "texts.toml key {key:?} is for an id DESIGN.md does not list"
        );
    }
    for id in DESIGN_IDS {
        assert!(listed.contains(id), "{id} is not listed in DESIGN.md");
    }
    for id in ["retest.iron", "review.iv-response", "review.after-iron"] {
        assert!(
            listed.contains(&id),
            "schedule id {id} is not listed in DESIGN.md"
        );
    }
}

#[test]
fn combination_products_resolve_to_every_ingredient() {
    let k = k();
    let effects =
        |name: &str| -> Vec<Effect> { k.ingredients(name).iter().map(|(_, c)| c.effect).collect() };
    for name in [
        "Tylenol PM",
        "Advil PM",
        "Aleve PM",
        "NyQuil",
        "tylenol pm 500 mg caplets",
    ] {
        assert!(
            effects(name).contains(&Effect::Aggravates),
            "{name}: {:?}",
            effects(name)
        );
    }
    for name in [
        "Tylenol #3",
        "Tylenol with Codeine",
        "co-codamol 30/500",
        "Tylenol 3",
    ] {
        assert!(
            effects(name).contains(&Effect::Opioid),
            "{name}: {:?}",
            effects(name)
        );
    }
    // The primary class of a night-time painkiller is the one that matters for RLS.
    assert_eq!(
        k.medicine("Tylenol PM").map(|(g, _)| g),
        Some("diphenhydramine")
    );
    assert_eq!(k.medicine("Tylenol").map(|(g, _)| g), Some("acetaminophen"));
}

#[test]
fn a_name_does_not_resolve_from_one_word_of_a_longer_name() {
    let k = k();
    for name in [
        "Iron Man vitamins",
        "Tylenol Arthritis Plus Something",
        "Benadryl Itch Cream Gel",
    ] {
        assert!(
            k.ingredients(name).is_empty(),
            "{name} resolved to {:?}",
            k.ingredients(name)
                .iter()
                .map(|(g, _)| *g)
                .collect::<Vec<_>>()
        );
    }
    // Strength, form and salt words may follow a name.
    for (name, generic) in [
        ("Requip XL 2 mg", "ropinirole"),
        ("sertraline hydrochloride 50 mg tablets", "sertraline"),
        ("iron 65 mg", "iron"),
        ("Ferinject 1000 mg infusion", "ferric carboxymaltose"),
    ] {
        assert_eq!(k.medicine(name).map(|(g, _)| g), Some(generic), "{name}");
    }
}

#[test]
fn rxnorm_clinical_and_branded_drug_names_resolve() {
    let k = k();
    // The names EHRs send as a medication's display (RxNorm SCD and SBD).
    for (name, generic, class) in [
        (
            "pramipexole dihydrochloride 0.25 MG Oral Tablet",
            "pramipexole",
            "dopamine-agonist",
        ),
        (
            "pramipexole dihydrochloride 0.25 MG Oral Tablet [Mirapex]",
            "pramipexole",
            "dopamine-agonist",
        ),
        (
            "24 HR ropinirole 2 MG Extended Release Oral Tablet",
            "ropinirole",
            "dopamine-agonist",
        ),
        (
            "24 HR ropinirole 2 MG Extended Release Oral Tablet [Requip]",
            "ropinirole",
            "dopamine-agonist",
        ),
        (
            "rotigotine 2 MG/24HR Transdermal System",
            "rotigotine",
            "dopamine-agonist",
        ),
        (
            "ferric carboxymaltose 50 MG/ML Injectable Solution",
            "ferric carboxymaltose",
            "iv-iron",
        ),
        (
            "iron sucrose 20 MG/ML Injectable Solution [Venofer]",
            "iron sucrose",
            "iv-iron",
        ),
        (
            "ferrous sulfate 325 MG Oral Tablet",
            "ferrous sulfate",
            "oral-iron",
        ),
        (
            "diphenhydramine hydrochloride 25 MG Oral Capsule",
            "diphenhydramine",
            "sedating-antihistamine",
        ),
        (
            "sertraline 50 MG Oral Tablet [Zoloft]",
            "sertraline",
            "ssri",
        ),
        (
            "gabapentin 300 MG Oral Capsule",
            "gabapentin",
            "alpha-2-delta",
        ),
    ] {
        let got = k.medicine(name).map(|(g, c)| (g, c.id.as_str()));
        assert_eq!(got, Some((generic, class)), "{name}");
    }
    // A bracket or a leading number alone is no medicine, and other words
    // still count: "[Mirapex] tablets" is not read as pramipexole twice over.
    for name in [
        "24 HR",
        "[]",
        "24 HR Oral Tablet",
        "vitamin 2 MG [Unknownbrand]",
    ] {
        assert!(k.ingredients(name).is_empty(), "{name}");
    }
}

#[test]
fn iron_brands_resolve_to_their_route() {
    let k = k();
    for brand in [
        "Ferinject",
        "Injectafer",
        "Monofer",
        "Monoferric",
        "Venofer",
        "CosmoFer",
        "INFeD",
        "Feraheme",
        "Rienso",
    ] {
        assert_eq!(
            k.medicine(brand).map(|(_, c)| c.id.as_str()),
            Some("iv-iron"),
            "{brand}"
        );
    }
    for brand in [
        "Feosol",
        "Slow Fe",
        "Ferrograd",
        "Galfer",
        "ferrous sulfate 325 mg",
    ] {
        assert_eq!(
            k.medicine(brand).map(|(_, c)| c.id.as_str()),
            Some("oral-iron"),
            "{brand}"
        );
    }
}

#[test]
fn new_conditions_resolve_with_their_aliases() {
    let k = k();
    for (name, id) in [
        ("Pregnant", "pregnancy"),
        ("RLS", "restless-legs-syndrome"),
        ("Willis-Ekbom disease", "restless-legs-syndrome"),
        ("G25.81", "restless-legs-syndrome"),
        ("ESRD", "end-stage-kidney-disease"),
        ("sleep apnoea", "obstructive-sleep-apnea"),
        ("PLMD", "periodic-limb-movement-disorder"),
        ("celiac disease", "coeliac-disease"),
        ("gastric bypass", "bariatric-surgery"),
        ("Crohn's disease", "inflammatory-bowel-disease"),
        ("Parkinson's disease", "parkinsons-disease"),
        ("infection", "active-infection"),
        ("prolactinoma", "prolactinoma"),
    ] {
        assert_eq!(k.condition(name).map(|c| c.id.as_str()), Some(id), "{name}");
    }
}

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
