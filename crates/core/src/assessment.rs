//! The `willis-assessment/1` output: one value that every output adapter reads.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::knowledge::{Profile, Source};
pub use crate::record::OralSchedule;

pub const ASSESSMENT_FORMAT: &str = "willis-assessment/1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pathway {
    Adult,
    Pregnancy,
    Pediatric,
    Dialysis,
}

impl Pathway {
    pub fn name(self) -> &'static str {
        match self {
            Pathway::Adult => "adult",
            Pathway::Pregnancy => "pregnancy",
            Pathway::Pediatric => "pediatric",
            Pathway::Dialysis => "dialysis",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiagnosisStatus {
    LikelyRls,
    CriteriaNotMet,
    Incomplete,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub status: DiagnosisStatus,
    /// Criteria answered "no" (record field names).
    pub unmet: Vec<String>,
    /// Criteria not answered.
    pub unknown: Vec<String>,
    /// `chronic-persistent`, `intermittent`, or absent when days per week is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub course: Option<String>,
    /// RLS is recorded as a diagnosis made by a clinician (condition
    /// `restless-legs-syndrome`); then no criterion is asked for.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recorded_by_clinician: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeverityBand {
    None,
    Mild,
    Moderate,
    Severe,
    VerySevere,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    pub irls_total: Option<u8>,
    pub band: Option<SeverityBand>,
    /// Clinically significant (IRLS ≥ 11, or symptoms on ≥ 2 days a week); `None`
    /// when neither is known.
    pub clinically_significant: Option<bool>,
}

/// The iron panel the plan was decided from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IronStatus {
    pub ferritin_ug_per_l: Option<f64>,
    pub tsat_percent: Option<f64>,
    /// `given`, `derived from iron and TIBC`, `derived from iron and transferrin`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tsat_basis: Option<String>,
    pub measured_on: Option<NaiveDate>,
    /// Whether the plan could act on this panel.
    pub usable: bool,
}

/// A recommendation, warning or schedule id of DESIGN.md's table
/// (`"iron.iv"`, `"warn.anemia"`, `"retest.iron"`): a stable contract,
/// serialised as the plain string. Compares with `&str` directly
/// (`step.id == "iron.iv"`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecId(String);

impl RecId {
    pub fn new(id: impl Into<String>) -> RecId {
        RecId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RecId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for RecId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for RecId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for RecId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for RecId {
    fn from(id: &str) -> RecId {
        RecId(id.to_string())
    }
}

impl PartialEq<str> for RecId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RecId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<RecId> for &str {
    fn eq(&self, other: &RecId) -> bool {
        *self == other.0
    }
}

/// When `drug.alpha2delta` may start (`"alongside-iron"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Timing {
    /// Severe RLS: it may start together with iron.
    AlongsideIron,
}

impl Timing {
    pub fn as_str(self) -> &'static str {
        match self {
            Timing::AlongsideIron => "alongside-iron",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Diagnosis,
    Test,
    Referral,
    Safety,
    Lifestyle,
    Vitamin,
    Treatment,
    Medicine,
    FollowUp,
}

/// Who acts on a step, for people reading their plan: what they can do now
/// (tests to ask for, habits to change), what needs their doctor, and what
/// comes later (follow-up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    Now,
    Doctor,
    Later,
}

impl Category {
    /// The group a step of this category is shown under.
    pub fn group(self) -> Group {
        match self {
            Category::Test | Category::Lifestyle => Group::Now,
            Category::FollowUp => Group::Later,
            _ => Group::Doctor,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// The other guideline profile, serialised as its id (`"aasm-2024"`).
    pub profile: Profile,
    pub says: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: RecId,
    pub category: Category,
    pub title: String,
    pub detail: String,
    pub because: Vec<String>,
    pub sources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<NaiveDate>,
    /// For `iron.oral`: `daily` or `alternate-day`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<OralSchedule>,
    /// For `drug.alpha2delta`: `alongside-iron` when it may start together with
    /// iron (severe RLS); absent when iron has been dealt with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
    /// What the step is about (medicine names), when it is about something named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<Difference>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Caution,
    Danger,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    pub id: RecId,
    pub level: Level,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The whole warning: `title`, ". ", `detail`, starting with a capital.
    pub text: String,
    /// The short heading of the warning (the first part of `text`).
    #[serde(default)]
    pub title: String,
    /// The rest of `text` after the title.
    #[serde(default)]
    pub detail: String,
    /// The title without the subject's name in front, for a renderer that
    /// shows it beside the subject: "can worsen RLS" for "Zoloft can worsen
    /// RLS". Absent when the title does not start with the subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about_subject: Option<String>,
    pub because: Vec<String>,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleItem {
    pub date: NaiveDate,
    pub id: RecId,
    /// `title`, ": ", `detail`: the joined text, kept for compatibility.
    pub what: String,
    /// What happens on the date, in a few words.
    #[serde(default)]
    pub title: String,
    /// How and why.
    #[serde(default)]
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub format: String,
    pub as_of: NaiveDate,
    pub knowledge: String,
    /// The guideline profile applied, serialised as its id (`"irlssg-2018"`).
    pub guideline: Profile,
    pub pathway: Pathway,
    pub diagnosis: Diagnosis,
    pub severity: Severity,
    pub iron: IronStatus,
    pub steps: Vec<Step>,
    pub warnings: Vec<Warning>,
    pub schedule: Vec<ScheduleItem>,
    /// Things the record did not say that the plan would need, in plain words.
    pub missing: Vec<String>,
    /// Names in the record the catalogues do not know (kept, not used by rules).
    pub unrecognised: Vec<String>,
    pub sources: BTreeMap<String, Source>,
    pub disclaimer: String,
}

impl Assessment {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    pub fn warning(&self, id: &str) -> Option<&Warning> {
        self.warnings.iter().find(|w| w.id == id)
    }

    /// Every step and warning id, for quick membership checks.
    pub fn ids(&self) -> Vec<&str> {
        self.steps
            .iter()
            .map(|s| s.id.as_str())
            .chain(self.warnings.iter().map(|w| w.id.as_str()))
            .collect()
    }

    pub fn has(&self, id: &str) -> bool {
        self.ids().contains(&id)
    }
}
