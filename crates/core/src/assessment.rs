//! The `willis-assessment/1` output: one value that every output adapter reads.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::knowledge::Source;

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    pub profile: String,
    pub says: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    pub category: Category,
    pub title: String,
    pub detail: String,
    pub because: Vec<String>,
    pub sources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<NaiveDate>,
    /// For `iron.oral`: `daily` or `alternate-day`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// For `drug.alpha2delta`: `alongside-iron` when it may start together with
    /// iron (severe RLS); absent when iron has been dealt with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<String>,
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
    pub id: String,
    pub level: Level,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub text: String,
    pub because: Vec<String>,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleItem {
    pub date: NaiveDate,
    pub id: String,
    pub what: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub format: String,
    pub as_of: NaiveDate,
    pub knowledge: String,
    pub guideline: String,
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
