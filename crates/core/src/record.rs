//! The canonical `Record`: everything known about one person, validated, with lab
//! values in canonical units and medicines resolved to their class.
//!
//! A `Record` is built only by [`crate::parse`] (from a `willis-record/1` file) or by
//! an adapter that goes through [`RecordFile::validate`], so the rules never see a
//! raw string, an unknown unit or an impossible date.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::knowledge::{ConditionRole, Effect, MedicineClass};
use crate::units::LabTest;

pub use crate::wire::RecordFile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Female,
    Male,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Patient {
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    pub pregnancy_weeks: Option<u8>,
    pub dialysis: Option<bool>,
    pub weight_kg: Option<f64>,
}

/// A condition as written, with what the catalogue knows of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub name: String,
    /// Catalogue id and role, or `None` when the name is not recognised.
    pub known: Option<(String, ConditionRole)>,
}

impl Condition {
    pub fn role(&self) -> Option<ConditionRole> {
        self.known.as_ref().map(|(_, role)| *role)
    }
}

/// The five IRLSSG 2014 essential criteria, each true, false or unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Criteria {
    pub urge_to_move: Option<bool>,
    pub worse_at_rest: Option<bool>,
    pub relieved_by_movement: Option<bool>,
    pub worse_evening_or_night: Option<bool>,
    pub not_explained_by_other_condition: Option<bool>,
}

impl Criteria {
    /// The criteria with their record field names, in the order of the 2014 text.
    pub fn named(&self) -> [(&'static str, Option<bool>); 5] {
        [
            ("urge_to_move", self.urge_to_move),
            ("worse_at_rest", self.worse_at_rest),
            ("relieved_by_movement", self.relieved_by_movement),
            ("worse_evening_or_night", self.worse_evening_or_night),
            (
                "not_explained_by_other_condition",
                self.not_explained_by_other_condition,
            ),
        ]
    }
}

/// Answers about augmentation on a dopaminergic drug.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AugmentationAnswers {
    pub earlier_onset_hours: Option<f64>,
    pub shorter_latency_at_rest: Option<bool>,
    pub spread_to_other_body_parts: Option<bool>,
    pub more_intense: Option<bool>,
    pub shorter_relief_from_medicine: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyPart {
    Legs,
    Arms,
    Trunk,
    Other,
}

impl BodyPart {
    pub fn name(self) -> &'static str {
        match self {
            BodyPart::Legs => "legs",
            BodyPart::Arms => "arms",
            BodyPart::Trunk => "trunk",
            BodyPart::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Symptoms {
    pub criteria: Criteria,
    pub days_per_week: Option<u8>,
    /// IRLS total 0–40, given or summed from the ten item scores.
    pub irls_total: Option<u8>,
    pub onset_time: Option<NaiveTime>,
    pub body_parts: Vec<BodyPart>,
    pub augmentation: AugmentationAnswers,
    /// New gambling, shopping, eating, sexual or other urges hard to control.
    pub impulse_control_problems: Option<bool>,
    /// Symptoms on one side of the body only (a red flag for another cause).
    pub one_sided: Option<bool>,
    /// Weakness or numbness with the symptoms (a red flag for another cause).
    pub weakness_or_numbness: Option<bool>,
}

/// Sleep: cues for obstructive sleep apnoea and periodic limb movements.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sleep {
    pub snoring: Option<bool>,
    pub witnessed_apneas: Option<bool>,
    pub excessive_daytime_sleepiness: Option<bool>,
    /// Epworth Sleepiness Scale, 0–24.
    pub epworth: Option<u8>,
    /// A bed partner sees the legs kick during sleep.
    pub limb_jerks_reported: Option<bool>,
    /// Periodic limb movements in sleep per hour, from a sleep study.
    pub plms_index: Option<f64>,
}

/// One lab result, in the canonical unit of its test.
#[derive(Debug, Clone, PartialEq)]
pub struct LabResult {
    pub test: LabTest,
    /// Value in `test.canonical_unit()`.
    pub value: f64,
    /// The value and unit as the lab printed them.
    pub reported: (f64, String),
    pub date: NaiveDate,
    pub fasting: Option<bool>,
    pub morning: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Effective,
    Ineffective,
    SideEffects,
}

impl Outcome {
    pub fn failed(self) -> bool {
        matches!(self, Outcome::Ineffective | Outcome::SideEffects)
    }

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Effective => "effective",
            Outcome::Ineffective => "ineffective",
            Outcome::SideEffects => "side-effects",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Medication {
    /// The name as written in the record.
    pub name: String,
    /// Catalogue entry (generic name and class), `None` when not recognised. For
    /// a combination product, its first ingredient that matters for RLS.
    pub resolved: Option<(String, MedicineClass)>,
    /// Every ingredient with its class (one for a single medicine, several for a
    /// combination product such as "Tylenol PM"); empty when not recognised.
    pub ingredients: Vec<(String, MedicineClass)>,
    pub dose: Option<String>,
    pub started: Option<NaiveDate>,
    pub stopped: Option<NaiveDate>,
    pub outcome: Option<Outcome>,
}

impl Medication {
    /// Taken on `day`: started on or before it (or start unknown) and not stopped by then.
    pub fn current_on(&self, day: NaiveDate) -> bool {
        self.started.is_none_or(|s| s <= day) && self.stopped.is_none_or(|s| s > day)
    }

    pub fn class(&self) -> Option<&MedicineClass> {
        self.resolved.as_ref().map(|(_, class)| class)
    }

    /// The class of every ingredient.
    pub fn classes(&self) -> impl Iterator<Item = &MedicineClass> {
        self.ingredients.iter().map(|(_, class)| class)
    }

    /// Some ingredient has this effect.
    pub fn has_effect(&self, effect: Effect) -> bool {
        self.classes().any(|c| c.effect == effect)
    }

    /// The ingredient with this effect, if any.
    pub fn ingredient_with(&self, effect: Effect) -> Option<(&str, &MedicineClass)> {
        self.ingredients
            .iter()
            .find(|(_, c)| c.effect == effect)
            .map(|(name, c)| (name.as_str(), c))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IvResponse {
    Improved,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OralSchedule {
    Daily,
    AlternateDay,
}

impl OralSchedule {
    pub fn name(self) -> &'static str {
        match self {
            OralSchedule::Daily => "daily",
            OralSchedule::AlternateDay => "alternate-day",
        }
    }

    /// As [`OralSchedule::name`]: `"daily"` or `"alternate-day"`.
    pub fn as_str(self) -> &'static str {
        self.name()
    }
}

impl std::fmt::Display for OralSchedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq<&str> for OralSchedule {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IvInfusion {
    pub product: Option<String>,
    pub dose_mg: Option<f64>,
    pub date: NaiveDate,
    pub response: Option<IvResponse>,
}

impl IvInfusion {
    /// Ferric carboxymaltose (Ferinject, Injectafer) causes hypophosphataemia far
    /// more often than other IV irons.
    pub fn is_ferric_carboxymaltose(&self) -> bool {
        self.product.as_deref().is_some_and(|p| {
            let p = p.to_lowercase();
            p.contains("carboxymaltose") || p.contains("ferinject") || p.contains("injectafer")
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OralCourse {
    pub product: Option<String>,
    pub elemental_mg: Option<f64>,
    pub started: NaiveDate,
    pub stopped: Option<NaiveDate>,
    pub schedule: Option<OralSchedule>,
    pub outcome: Option<Outcome>,
}

impl OralCourse {
    pub fn current_on(&self, day: NaiveDate) -> bool {
        self.started <= day && self.stopped.is_none_or(|s| s > day)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Habits {
    pub alcohol_units_per_week: Option<f64>,
    pub caffeine_drinks_per_day: Option<f64>,
    pub smoker: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DiaryEntry {
    pub date: NaiveDate,
    /// Willis's own 0–10 rating.
    pub severity: Option<u8>,
    pub onset_time: Option<NaiveTime>,
    pub body_parts: Vec<BodyPart>,
    pub sleep_hours: Option<f64>,
}

/// Everything known about one person. Lists are sorted by date, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    pub patient: Patient,
    pub conditions: Vec<Condition>,
    pub symptoms: Symptoms,
    pub labs: Vec<LabResult>,
    pub medications: Vec<Medication>,
    pub infusions: Vec<IvInfusion>,
    pub oral_courses: Vec<OralCourse>,
    pub habits: Habits,
    pub sleep: Sleep,
    pub diary: Vec<DiaryEntry>,
}

impl Record {
    pub fn has_condition_role(&self, role: ConditionRole) -> bool {
        self.conditions.iter().any(|c| c.role() == Some(role))
    }
}
