//! The knowledge a clinician reviews — sources, thresholds, the drug and condition
//! catalogues, the text of each recommendation — compiled in from
//! `knowledge/*.toml`, parsed once, and checked by `tests/knowledge.rs`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// Version of the rule book and knowledge files; appears in every assessment.
pub const KNOWLEDGE_VERSION: &str = "2026.2";

const SOURCES: &str = include_str!("../knowledge/sources.toml");
const THRESHOLDS: &str = include_str!("../knowledge/thresholds.toml");
const MEDICINES: &str = include_str!("../knowledge/medicines.toml");
const CONDITIONS: &str = include_str!("../knowledge/conditions.toml");
const TEXTS: &str = include_str!("../knowledge/texts.toml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub citation: String,
    pub url: String,
    pub year: u16,
}

/// The guideline whose thresholds the engine applies. Serialised as its id
/// (`"irlssg-2018"`), as in `Assessment.guideline`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub enum Profile {
    #[default]
    #[serde(rename = "irlssg-2018")]
    Irlssg2018,
    #[serde(rename = "aasm-2024")]
    Aasm2024,
    #[serde(rename = "rlsf-2021")]
    Rlsf2021,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::Irlssg2018, Profile::Aasm2024, Profile::Rlsf2021];

    pub fn id(self) -> &'static str {
        match self {
            Profile::Irlssg2018 => "irlssg-2018",
            Profile::Aasm2024 => "aasm-2024",
            Profile::Rlsf2021 => "rlsf-2021",
        }
    }

    /// The id, as [`Profile::id`]: `"irlssg-2018"`, `"aasm-2024"`, `"rlsf-2021"`.
    pub fn as_str(self) -> &'static str {
        self.id()
    }
}

impl PartialEq<str> for Profile {
    fn eq(&self, other: &str) -> bool {
        self.id() == other
    }
}

impl PartialEq<&str> for Profile {
    fn eq(&self, other: &&str) -> bool {
        self.id() == *other
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Profile::ALL
            .into_iter()
            .find(|p| p.id().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("{s:?} is not a guideline profile; use irlssg-2018, aasm-2024 or rlsf-2021")
            })
    }
}

/// Thresholds that every profile shares (see thresholds.toml for each meaning).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Common {
    pub adult_age_years: u32,
    pub iv_iron_from_pregnancy_week: u8,
    pub chronic_persistent_days_per_week: u8,
    pub irls_significant_from: u8,
    pub irls_opioid_from: u8,
    pub lab_stale_after_days: i64,
    pub tsat_pairing_days: i64,
    pub crp_acute_phase_above: f64,
    pub crp_pairing_days: i64,
    pub post_infusion_blind_days: i64,
    pub tsat_never_iron_from: f64,
    pub ferritin_overload_from: f64,
    pub ferritin_deficiency_below: f64,
    pub tsat_deficiency_below: f64,
    pub woman_investigate_from_age: u32,
    pub hemoglobin_anemia_below_female: f64,
    pub hemoglobin_anemia_below_male: f64,
    pub hemoglobin_anemia_below_pregnancy: f64,
    pub hemoglobin_anemia_below_child_under_5: f64,
    pub hemoglobin_anemia_below_child_5_to_11: f64,
    pub anemia_young_child_below_age: u32,
    pub anemia_child_below_age: u32,
    pub anemia_male_limit_from_age: u32,
    pub vitamin_d_low_below: f64,
    pub vitamin_b12_low_below: f64,
    pub folate_low_below: f64,
    pub iv_full_effect_days: i64,
    pub iv_retest_days: i64,
    pub iv_repeat_min_days: i64,
    pub oral_trial_days: i64,
    pub oral_alternate_day_above: f64,
    pub oral_continue_below: f64,
    pub pregnancy_oral_below: f64,
    pub pregnancy_iv_below: f64,
    pub dialysis_ferritin_below: f64,
    pub dialysis_tsat_below: f64,
    pub pediatric_mg_per_kg: f64,
    pub augmentation_onset_strong_hours: f64,
    pub augmentation_onset_moderate_hours: f64,
    pub diary_window_days: i64,
    pub diary_window_min_entries: usize,
    /// A derived TSAT above this (%) cannot be real: the panel is repeated.
    pub tsat_implausible_above: f64,
    /// An inflamed ferritin with TSAT below this decides nothing.
    pub inflamed_tsat_below: f64,
    /// Low phosphate (mg/dL) within `lab_stale_after_days`.
    pub phosphate_low_below: f64,
    /// eGFR (mL/min/1.73 m²) below which drug doses need the kidney rule.
    pub egfr_renal_dosing_below: f64,
    /// IV iron: below this weight (kg) the dose is per kilogram.
    pub iv_weight_based_below_kg: f64,
    pub iv_mg_per_kg: f64,
    pub iv_max_dose_mg: f64,
    /// Children: the daily oral dose shown never exceeds this (mg elemental iron).
    pub pediatric_max_daily_mg: f64,
    /// Ages (years) at which a woman is asked whether she is pregnant.
    pub pregnancy_question_from_age: u32,
    pub pregnancy_question_to_age: u32,
    /// Pregnancy: an infusion this many days back may belong to this pregnancy
    /// when the weeks are unknown.
    pub pregnancy_max_days: i64,
    /// Oral iron: a ferritin drawn at least this many days after the start judges the course.
    pub oral_judged_after_days: i64,
    /// Oral iron that ended at most this many days ago still counts as iron dealt with.
    pub oral_recent_end_days: i64,
    /// IRLS from which an alpha-2-delta ligand may start alongside iron.
    pub irls_alongside_iron_from: u8,
    /// IRLS on current treatment from which RLS is refractory.
    pub irls_refractory_from: u8,
    /// Alpha-2-delta ligands failed or not tolerated that make RLS refractory.
    pub refractory_ligands_failed: usize,
    /// Sleep: Epworth score from which daytime sleepiness counts.
    pub epworth_sleepy_from: u8,
    /// PLMS index (per hour) above which PLMD is considered: adults, children.
    pub plms_index_adult_above: f64,
    pub plms_index_child_above: f64,
    /// Source ids behind each threshold, by field name.
    pub sources: BTreeMap<String, Vec<String>>,
}

/// The thresholds that differ between guidelines.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileThresholds {
    pub title: String,
    pub sources: Vec<String>,
    pub iv_ferritin_below: f64,
    #[serde(default)]
    pub iv_ferritin_inclusive: bool,
    pub iv_also_when_tsat_below: Option<f64>,
    pub oral_ferritin_at_most: f64,
    pub oral_also_when_tsat_below: Option<f64>,
    pub pediatric_oral_below: f64,
    pub pediatric_consider_at_most: Option<f64>,
    /// No iron of any kind at or above this ferritin (above it when
    /// `iron_ceiling_inclusive`), whatever the TSAT.
    pub iron_ceiling: f64,
    #[serde(default)]
    pub iron_ceiling_inclusive: bool,
}

impl ProfileThresholds {
    /// Is IV iron within this profile's allowance? `None` when the answer
    /// depends on a TSAT that is not known.
    pub fn iv_allowed(&self, ferritin: f64, tsat: Option<f64>) -> Option<bool> {
        if !self.under_iron_ceiling(ferritin) {
            return Some(false);
        }
        let by_ferritin = if self.iv_ferritin_inclusive {
            ferritin <= self.iv_ferritin_below
        } else {
            ferritin < self.iv_ferritin_below
        };
        if by_ferritin {
            return Some(true);
        }
        match (self.iv_also_when_tsat_below, tsat) {
            (None, _) => Some(false),
            (Some(limit), Some(t)) => Some(t < limit),
            (Some(_), None) => None,
        }
    }

    /// Does this profile's oral-iron trigger fire?
    pub fn oral_indicated(&self, ferritin: f64, tsat: Option<f64>) -> bool {
        if !self.under_iron_ceiling(ferritin) {
            return false;
        }
        ferritin <= self.oral_ferritin_at_most
            || matches!((self.oral_also_when_tsat_below, tsat), (Some(l), Some(t)) if t < l)
    }

    /// Below the ferritin at which this profile gives no iron of any kind.
    pub fn under_iron_ceiling(&self, ferritin: f64) -> bool {
        if self.iron_ceiling_inclusive {
            ferritin <= self.iron_ceiling
        } else {
            ferritin < self.iron_ceiling
        }
    }

    /// "below 300 µg/L", "at or below 100 µg/L".
    pub fn iv_ceiling_words(&self) -> String {
        let mut words = if self.iv_ferritin_inclusive {
            format!("ferritin at or below {} µg/L", self.iv_ferritin_below)
        } else {
            format!("ferritin below {} µg/L", self.iv_ferritin_below)
        };
        if let Some(t) = self.iv_also_when_tsat_below {
            words.push_str(&format!(
                ", or TSAT below {t}% with ferritin at or below {}",
                self.iron_ceiling
            ));
        }
        words
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdsFile {
    common: Common,
    profiles: BTreeMap<String, ProfileThresholds>,
}

/// What a medicine class does to RLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    Aggravates,
    #[serde(rename = "alpha-2-delta")]
    Alpha2Delta,
    DopamineAgonist,
    Levodopa,
    Opioid,
    Benzodiazepine,
    Iron,
    Neutral,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassFile {
    label: String,
    effect: Effect,
    #[serde(default)]
    sources: Vec<String>,
    alternatives: Option<String>,
}

/// A medicine class from the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct MedicineClass {
    pub id: String,
    pub label: String,
    pub effect: Effect,
    pub sources: Vec<String>,
    pub alternatives: Option<String>,
}

impl MedicineClass {
    /// Ergot-derived agonists (cabergoline and kin): strongly advised against.
    pub fn is_ergot(&self) -> bool {
        self.id == "ergot-dopamine-agonist"
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedicineEntry {
    pub name: String,
    #[serde(default)]
    pub brands: Vec<String>,
    pub class: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MedicinesFile {
    classes: BTreeMap<String, ClassFile>,
    medicines: Vec<MedicineEntry>,
    #[serde(default)]
    combinations: Vec<CombinationEntry>,
}

/// A product that contains several medicines ("Tylenol PM": paracetamol and
/// diphenhydramine). It resolves to every ingredient.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombinationEntry {
    pub name: String,
    #[serde(default)]
    pub brands: Vec<String>,
    /// Generic names of `[[medicines]]` entries.
    pub ingredients: Vec<String>,
}

/// What the rules do with a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConditionRole {
    IronOverload,
    EndStageKidney,
    IronHypersensitivity,
    ActiveInfection,
    IronDeficiency,
    Associated,
    Mimic,
    Pregnancy,
    #[serde(rename = "restless-legs-syndrome")]
    RestlessLegs,
    PoorAbsorption,
    SleepApnea,
    Plmd,
    Other,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionEntry {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub role: ConditionRole,
    /// Dopaminergic medicines (generic names or class ids) that treat this
    /// condition itself: taken for it, they are not an RLS treatment to switch.
    #[serde(default)]
    pub treated_with: Vec<String>,
    #[serde(default)]
    pub sources: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionsFile {
    conditions: Vec<ConditionEntry>,
}

/// The words of one recommendation or warning; `{name}` marks a value filled in.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub title: String,
    pub detail: String,
    #[serde(default)]
    pub sources: Vec<String>,
}

/// All the compiled-in knowledge.
#[derive(Debug)]
pub struct Knowledge {
    pub sources: BTreeMap<String, Source>,
    pub common: Common,
    pub profiles: BTreeMap<String, ProfileThresholds>,
    pub classes: BTreeMap<String, MedicineClass>,
    pub medicines: Vec<MedicineEntry>,
    pub combinations: Vec<CombinationEntry>,
    /// Lookup key → the catalogue entries the name stands for (one, or every
    /// ingredient of a combination).
    medicine_index: HashMap<String, Vec<usize>>,
    pub conditions: Vec<ConditionEntry>,
    condition_index: HashMap<String, usize>,
    pub texts: BTreeMap<String, Text>,
    pub disclaimer: String,
    missing_text: Text,
}

/// Folds a name for lookup: case, spaces, hyphens and ® do not matter.
pub fn lookup_key(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '®' | '™'))
        .flat_map(char::to_lowercase)
        .map(|c| {
            if matches!(c, '_' | '/' | '\u{2010}'..='\u{2015}') {
                '-'
            } else {
                c
            }
        })
        .collect::<String>()
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

impl Knowledge {
    /// The knowledge compiled into this binary.
    pub fn get() -> &'static Knowledge {
        static KNOWLEDGE: OnceLock<Knowledge> = OnceLock::new();
        KNOWLEDGE.get_or_init(|| {
            // The files are compiled in, so this fails only if the build itself
            // ships broken knowledge, which tests/knowledge.rs refuses.
            Knowledge::load().unwrap_or_else(|e| panic!("embedded knowledge is invalid: {e}"))
        })
    }

    /// Parses and cross-checks the embedded files.
    pub fn load() -> Result<Knowledge, String> {
        let sources: BTreeMap<String, Source> =
            toml::from_str(SOURCES).map_err(|e| format!("sources.toml: {e}"))?;
        let thresholds: ThresholdsFile =
            toml::from_str(THRESHOLDS).map_err(|e| format!("thresholds.toml: {e}"))?;
        let medicines: MedicinesFile =
            toml::from_str(MEDICINES).map_err(|e| format!("medicines.toml: {e}"))?;
        let conditions: ConditionsFile =
            toml::from_str(CONDITIONS).map_err(|e| format!("conditions.toml: {e}"))?;
        let mut texts: BTreeMap<String, Text> =
            toml::from_str(TEXTS).map_err(|e| format!("texts.toml: {e}"))?;
        let disclaimer = texts
            .remove("disclaimer")
            .ok_or("texts.toml: no [disclaimer]")?
            .detail;

        let classes: BTreeMap<String, MedicineClass> = medicines
            .classes
            .into_iter()
            .map(|(id, c)| {
                let class = MedicineClass {
                    id: id.clone(),
                    label: c.label,
                    effect: c.effect,
                    sources: c.sources,
                    alternatives: c.alternatives,
                };
                (id, class)
            })
            .collect();

        let mut medicine_index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, m) in medicines.medicines.iter().enumerate() {
            if !classes.contains_key(&m.class) {
                return Err(format!(
                    "medicines.toml: {} has unknown class {}",
                    m.name, m.class
                ));
            }
            for name in std::iter::once(&m.name).chain(&m.brands) {
                if let Some(j) = medicine_index.insert(lookup_key(name), vec![i]) {
                    return Err(format!(
                        "medicines.toml: {name:?} names both {} and {}",
                        medicines.medicines[j[0]].name, m.name
                    ));
                }
            }
        }
        for combination in &medicines.combinations {
            let mut parts = Vec::new();
            for ingredient in &combination.ingredients {
                let found = medicines
                    .medicines
                    .iter()
                    .position(|m| m.name == *ingredient)
                    .ok_or_else(|| {
                        format!(
                            "medicines.toml: combination {} names unknown ingredient {ingredient}",
                            combination.name
                        )
                    })?;
                parts.push(found);
            }
            for name in std::iter::once(&combination.name).chain(&combination.brands) {
                if medicine_index
                    .insert(lookup_key(name), parts.clone())
                    .is_some()
                {
                    return Err(format!("medicines.toml: {name:?} is listed twice"));
                }
            }
        }

        let mut condition_index = HashMap::new();
        for (i, c) in conditions.conditions.iter().enumerate() {
            for name in std::iter::once(&c.id).chain(&c.aliases) {
                if condition_index.insert(lookup_key(name), i).is_some() {
                    return Err(format!("conditions.toml: {name:?} is listed twice"));
                }
            }
        }

        for profile in Profile::ALL {
            if !thresholds.profiles.contains_key(profile.id()) {
                return Err(format!("thresholds.toml: no profile {}", profile.id()));
            }
        }

        Ok(Knowledge {
            sources,
            common: thresholds.common,
            profiles: thresholds.profiles,
            classes,
            medicines: medicines.medicines,
            combinations: medicines.combinations,
            medicine_index,
            conditions: conditions.conditions,
            condition_index,
            texts,
            disclaimer,
            missing_text: Text {
                title: "[missing text]".to_string(),
                detail: String::new(),
                sources: Vec::new(),
            },
        })
    }

    pub fn profile(&self, profile: Profile) -> &ProfileThresholds {
        // `load` refuses knowledge that lacks any profile of `Profile::ALL`.
        &self.profiles[profile.id()]
    }

    /// Resolves a generic or brand name (any case) to its generic name and class:
    /// for a combination product, its first ingredient that matters for RLS
    /// (see [`Knowledge::ingredients`] for all of them).
    pub fn medicine(&self, name: &str) -> Option<(&str, &MedicineClass)> {
        let all = self.ingredients(name);
        all.iter()
            .find(|(_, class)| class.effect != Effect::Neutral)
            .or(all.first())
            .copied()
    }

    /// Every medicine a name stands for: one, or each ingredient of a
    /// combination product, with its class. Empty when the name is unknown.
    ///
    /// Trailing words that only give a strength, form, release or salt
    /// ("sertraline hydrochloride 50 mg tablets", "Requip XL 2 mg") are ignored;
    /// any other word is not: "Tylenol PM" is not Tylenol, and "Iron Man
    /// vitamins" is not iron.
    ///
    /// RxNorm's clinical and branded drug names are read too: a leading
    /// release ("24 HR ropinirole 2 MG Extended Release Oral Tablet") is
    /// dropped like a trailing one, and a branded name ("pramipexole
    /// dihydrochloride 0.25 MG Oral Tablet [Mirapex]") is its generic part,
    /// or else its brand.
    pub fn ingredients(&self, name: &str) -> Vec<(&str, &MedicineClass)> {
        let found = self.ingredients_of(name);
        if !found.is_empty() {
            return found;
        }
        match name
            .trim_end()
            .strip_suffix(']')
            .and_then(|n| n.rsplit_once('['))
        {
            Some((generic, brand)) => {
                let by_generic = self.ingredients_of(generic);
                if by_generic.is_empty() {
                    self.ingredients_of(brand)
                } else {
                    by_generic
                }
            }
            None => found,
        }
    }

    fn ingredients_of(&self, name: &str) -> Vec<(&str, &MedicineClass)> {
        let key = lookup_key(name);
        let all: Vec<&str> = key.split('-').collect();
        // A leading release period ("24 HR", "12 HR"): RxNorm writes it first.
        let start = all
            .iter()
            .take_while(|w| w.chars().all(|c| c.is_ascii_digit()) || **w == "hr")
            .count();
        let words: Vec<&str> = if start > 0 && start < all.len() {
            all[start..].to_vec()
        } else {
            all
        };
        let key = words.join("-");
        let mut end = words.len();
        let mut found = self.medicine_index.get(&key);
        let mut by_drip = false;
        while found.is_none() && end > 1 && is_dose_or_form_word(words[end - 1]) {
            by_drip |= is_parenteral_word(words[end - 1]);
            end -= 1;
            found = self.medicine_index.get(&words[..end].join("-"));
        }
        // "IV iron sucrose", "intravenous ferric carboxymaltose": a leading route word.
        if found.is_none() && words.len() > 1 && is_parenteral_word(words[0]) {
            by_drip = true;
            found = self.medicine_index.get(&words[1..].join("-"));
        }
        // "Iron IV", "iron injection": oral iron's name with a route word that
        // says it went into a vein is an infusion, never a tablet (RULES.md,
        // "Iron given, wherever it is written").
        if by_drip
            && found.is_some_and(|entries| {
                entries
                    .iter()
                    .any(|i| self.medicines[*i].class == "oral-iron")
            })
        {
            found = self.medicine_index.get("intravenous-iron");
        }
        found
            .map(|entries| {
                entries
                    .iter()
                    .map(|i| {
                        let entry = &self.medicines[*i];
                        (entry.name.as_str(), &self.classes[&entry.class])
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn condition(&self, name: &str) -> Option<&ConditionEntry> {
        self.condition_index
            .get(&lookup_key(name))
            .map(|i| &self.conditions[*i])
    }

    /// The text for a recommendation key. Every key the engine uses is checked by
    /// the knowledge and property tests; a missing one shows up as a visible
    /// marker, not a panic.
    pub fn text(&self, key: &str) -> &Text {
        // TOML reads dots in a key as nesting, so the files write `iron.iv` as `iron-iv`.
        let mut dashed = [0u8; 64];
        let found = if key.len() <= dashed.len() {
            for (d, b) in dashed.iter_mut().zip(key.bytes()) {
                *d = if b == b'.' { b'-' } else { b };
            }
            // Replacing an ASCII byte with another keeps the text valid UTF-8.
            std::str::from_utf8(&dashed[..key.len()])
                .ok()
                .and_then(|k| self.texts.get(k))
        } else {
            None
        };
        found.unwrap_or(&self.missing_text)
    }
}

/// Words on a medicine list that say how much, in what form or which salt, and
/// never which medicine: they may be dropped from the end of a name.
fn is_dose_or_form_word(word: &str) -> bool {
    const WORDS: &[&str] = &[
        "mg",
        "mcg",
        "µg",
        "ug",
        "g",
        "ml",
        "iu",
        "units",
        "unit",
        "%",
        "tablet",
        "tablets",
        "tab",
        "tabs",
        "capsule",
        "capsules",
        "cap",
        "caps",
        "caplet",
        "caplets",
        "softgel",
        "softgels",
        "gelcap",
        "gelcaps",
        "liqui",
        "gels",
        "liquigels",
        "liquicaps",
        "extra",
        "strength",
        "maximum",
        "liquid",
        "syrup",
        "solution",
        "suspension",
        "drops",
        "elixir",
        "injection",
        "infusion",
        "intravenous",
        "drip",
        "iv",
        "oral",
        "patch",
        "xl",
        "xr",
        "sr",
        "er",
        "cr",
        "la",
        "mr",
        "cd",
        "ir",
        "retard",
        "modified",
        "extended",
        "prolonged",
        "release",
        "film",
        "coated",
        "chewable",
        "dispersible",
        "daily",
        "once",
        "twice",
        "nightly",
        "night",
        "bedtime",
        "at",
        "a",
        "day",
        "od",
        "bd",
        "bid",
        "tds",
        "tid",
        "qds",
        "qid",
        "qhs",
        "prn",
        "po",
        "hydrochloride",
        "hcl",
        "mesylate",
        "maleate",
        "succinate",
        "tartrate",
        "besylate",
        "fumarate",
        "citrate",
        "sulfate",
        "sulphate",
        "phosphate",
        "dihydrate",
        "monohydrate",
        "dihydrochloride",
        // RxNorm's dose forms ("Injectable Solution", "Transdermal System",
        // "Orally Disintegrating Tablet", "Delayed Release Oral Capsule").
        "hr",
        "injectable",
        "transdermal",
        "system",
        "orally",
        "disintegrating",
        "delayed",
        "sublingual",
    ];
    let bare = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '%' && c != 'µ');
    bare.is_empty() || bare.chars().any(|c| c.is_ascii_digit()) || WORDS.contains(&bare)
}

/// Route words that say a medicine went into a vein (or muscle), not by mouth.
fn is_parenteral_word(word: &str) -> bool {
    let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
    matches!(
        bare,
        "iv" | "i.v"
            | "intravenous"
            | "intravenously"
            | "infusion"
            | "injection"
            | "injectable"
            | "drip"
            | "im"
    )
}

/// Fills `{name}` placeholders in a template.
pub fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn fill_replaces_known_placeholders_only() {
        let values = [("name", "sertraline".to_string()), ("n", "2".to_string())];
        assert_eq!(
            fill("{name} x{n} {other} {", &values),
            "sertraline x2 {other} {"
        );
        assert_eq!(fill("no placeholders", &values), "no placeholders");
    }
}
