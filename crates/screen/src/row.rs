//! One row of the screen's report: a patient with RLS and what their plan says.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use willis_core::Assessment;

/// The report's row for one patient with RLS (`willis screen`, and
/// `willis.screen_row` in Python). Field names and order are a contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// `Patient.id` (or the id the resources' `subject` references).
    pub patient: String,
    /// Every step id of the plan, in order, then every warning id.
    pub ids: Vec<String>,
    /// The ferritin the plan was decided from, in µg/L.
    pub ferritin_ug_per_l: Option<f64>,
    /// Its transferrin saturation, in %.
    pub tsat_percent: Option<f64>,
    /// The day that panel was drawn.
    pub measured_on: Option<NaiveDate>,
    /// What to do first: the plan's first step id.
    pub first_step: Option<String>,
}

/// The CSV columns, in order (the same as the JSON fields).
pub const CSV_HEADER: [&str; 6] = [
    "patient",
    "ids",
    "ferritin_ug_per_l",
    "tsat_percent",
    "measured_on",
    "first_step",
];

impl Row {
    pub fn new(patient: impl Into<String>, a: &Assessment) -> Row {
        Row {
            patient: patient.into(),
            ids: a.ids().into_iter().map(str::to_string).collect(),
            ferritin_ug_per_l: a.iron.ferritin_ug_per_l,
            tsat_percent: a.iron.tsat_percent,
            measured_on: a.iron.measured_on,
            first_step: a.steps.first().map(|s| s.id.to_string()),
        }
    }

    /// The row as CSV fields: ids joined by `;`, absent values empty.
    pub fn csv_fields(&self) -> [String; 6] {
        let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        [
            self.patient.clone(),
            self.ids.join(";"),
            number(self.ferritin_ug_per_l),
            number(self.tsat_percent),
            self.measured_on.map(|d| d.to_string()).unwrap_or_default(),
            self.first_step.clone().unwrap_or_default(),
        ]
    }

    /// Reads a row back from its CSV fields (the inverse of [`Row::csv_fields`]).
    pub fn from_csv_fields(fields: &[&str]) -> Result<Row, String> {
        let [patient, ids, ferritin, tsat, measured_on, first_step] = fields else {
            return Err(format!("a row has 6 fields, not {}", fields.len()));
        };
        let number = |name: &str, v: &str| -> Result<Option<f64>, String> {
            if v.is_empty() {
                return Ok(None);
            }
            v.parse()
                .map(Some)
                .map_err(|_| format!("{name}: {v:?} is not a number"))
        };
        Ok(Row {
            patient: patient.to_string(),
            ids: ids
                .split(';')
                .filter(|i| !i.is_empty())
                .map(str::to_string)
                .collect(),
            ferritin_ug_per_l: number("ferritin_ug_per_l", ferritin)?,
            tsat_percent: number("tsat_percent", tsat)?,
            measured_on: match *measured_on {
                "" => None,
                d => Some(
                    d.parse()
                        .map_err(|_| format!("measured_on: {d:?} is not a date"))?,
                ),
            },
            first_step: (!first_step.is_empty()).then(|| first_step.to_string()),
        })
    }
}
