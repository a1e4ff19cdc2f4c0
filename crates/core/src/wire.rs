//! The `willis-record/1` file format as it is written, and its validation into a
//! [`Record`]. Every error names the field path, the value and what is accepted.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::error::RecordError;
use crate::knowledge::Knowledge;
use crate::record::*;
use crate::units::LabTest;

pub const RECORD_FORMAT: &str = "willis-record/1";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordFile {
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<PatientFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symptoms: Option<SymptomsFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labs: Vec<LabFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub medications: Vec<MedicationFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub iron_treatments: Vec<IronTreatmentFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub habits: Option<HabitsFile>,
    /// Sleep cues (knowledge 2026.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sleep: Option<SleepFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diary: Vec<DiaryFile>,
}

/// The `sleep` section: obstructive sleep apnoea and periodic limb movement cues.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SleepFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snoring: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnessed_apneas: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excessive_daytime_sleepiness: Option<bool>,
    /// Epworth Sleepiness Scale total, 0–24.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epworth: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limb_jerks_reported: Option<bool>,
    /// Periodic limb movements in sleep per hour, from a sleep study.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plms_index: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pregnancy_weeks: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialysis: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_kg: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymptomsFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urge_to_move: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worse_at_rest: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relieved_by_movement: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worse_evening_or_night: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_explained_by_other_condition: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_per_week: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub irls_total: Option<i64>,
    /// The ten IRLS item scores (0–4 each), when a clinician recorded them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub irls_items: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onset_time: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body_parts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub augmentation: Option<AugmentationFile>,
    /// New urges (gambling, shopping, eating, sex) that are hard to control.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impulse_control_problems: Option<bool>,
    /// Symptoms on one side of the body only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_sided: Option<bool>,
    /// Weakness or numbness with the symptoms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weakness_or_numbness: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AugmentationFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_onset_hours: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shorter_latency_at_rest: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread_to_other_body_parts: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more_intense: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shorter_relief_from_medicine: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabFile {
    pub test: String,
    pub value: f64,
    pub unit: String,
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fasting: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub morning: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedicationFile {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

/// An IV infusion (`route: "iv"`) or an oral course (`route: "oral"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IronTreatmentFile {
    pub route: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose_mg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elemental_mg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HabitsFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alcohol_units_per_week: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caffeine_drinks_per_day: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smoker: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiaryFile {
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onset_time: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body_parts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sleep_hours: Option<f64>,
}

// ---------------------------------------------------------------------------
// Validation

fn bad(path: impl Into<String>, message: impl Into<String>) -> RecordError {
    RecordError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

pub(crate) fn parse_date(path: &str, text: &str) -> Result<NaiveDate, RecordError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=2200).contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| {
            bad(
                path,
                format!("{text:?} is not a valid date; use YYYY-MM-DD, e.g. 2026-03-01"),
            )
        })
}

fn opt_date(path: &str, text: &Option<String>) -> Result<Option<NaiveDate>, RecordError> {
    text.as_deref().map(|t| parse_date(path, t)).transpose()
}

pub(crate) fn parse_time(path: &str, text: &str) -> Result<NaiveTime, RecordError> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").map_err(|_| {
        bad(
            path,
            format!("{text:?} is not a time; use HH:MM, e.g. 21:30"),
        )
    })
}

fn int_in(path: &str, value: i64, lo: i64, hi: i64, what: &str) -> Result<u8, RecordError> {
    if (lo..=hi).contains(&value) {
        Ok(value as u8) // lo..=hi lies inside 0..=255 for every caller
    } else {
        Err(bad(
            path,
            format!("{value} is out of range; {what} must be between {lo} and {hi}"),
        ))
    }
}

fn number_in(path: &str, value: f64, lo: f64, hi: f64, what: &str) -> Result<f64, RecordError> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(value)
    } else {
        Err(bad(
            path,
            format!("{value} is out of range; {what} must be between {lo} and {hi}"),
        ))
    }
}

fn body_parts(path: &str, names: &[String]) -> Result<Vec<BodyPart>, RecordError> {
    let mut parts = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let part = match name.trim().to_lowercase().as_str() {
            "legs" | "leg" => BodyPart::Legs,
            "arms" | "arm" | "hands" | "hand" => BodyPart::Arms,
            "trunk" | "body" | "torso" => BodyPart::Trunk,
            "other" => BodyPart::Other,
            _ => {
                return Err(bad(
                    format!("{path}[{i}]"),
                    format!("{name:?} is not a body part; use legs, arms, trunk or other"),
                ))
            }
        };
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    Ok(parts)
}

fn outcome(path: &str, text: &Option<String>) -> Result<Option<Outcome>, RecordError> {
    text.as_deref()
        .map(|t| match t.trim().to_lowercase().as_str() {
            "effective" => Ok(Outcome::Effective),
            "ineffective" => Ok(Outcome::Ineffective),
            "side-effects" | "side effects" | "side_effects" => Ok(Outcome::SideEffects),
            _ => Err(bad(
                path,
                format!("{t:?} is not an outcome; use effective, ineffective or side-effects"),
            )),
        })
        .transpose()
}

fn no_later(
    path: &str,
    start: Option<NaiveDate>,
    stop: Option<NaiveDate>,
) -> Result<(), RecordError> {
    match (start, stop) {
        (Some(a), Some(b)) if b < a => Err(bad(
            path,
            format!("stopped {b} is before started {a}; a course cannot end before it begins"),
        )),
        _ => Ok(()),
    }
}

impl RecordFile {
    /// Checks every field and builds the canonical [`Record`].
    pub fn validate(&self, knowledge: &Knowledge) -> Result<Record, RecordError> {
        if self.format != RECORD_FORMAT {
            return Err(bad(
                "format",
                format!(
                    "{:?} is not supported; use \"{RECORD_FORMAT}\"",
                    self.format
                ),
            ));
        }
        let mut record = Record::default();

        if let Some(p) = &self.patient {
            record.patient = Patient {
                birth_date: opt_date("patient.birth_date", &p.birth_date)?,
                sex: p
                    .sex
                    .as_deref()
                    .map(|s| match s.trim().to_lowercase().as_str() {
                        "female" | "f" => Ok(Sex::Female),
                        "male" | "m" => Ok(Sex::Male),
                        _ => Err(bad(
                            "patient.sex",
                            format!("{s:?} is not accepted; use female or male (leave it out if neither applies)"),
                        )),
                    })
                    .transpose()?,
                pregnancy_weeks: p
                    .pregnancy_weeks
                    .map(|w| int_in("patient.pregnancy_weeks", w, 0, 45, "gestational weeks"))
                    .transpose()?,
                dialysis: p.dialysis,
                weight_kg: p
                    .weight_kg
                    .map(|w| number_in("patient.weight_kg", w, 0.5, 400.0, "weight in kg"))
                    .transpose()?,
            };
        }

        for (i, name) in self.conditions.iter().enumerate() {
            if name.trim().is_empty() {
                return Err(bad(format!("conditions[{i}]"), "a condition name is empty"));
            }
            record.conditions.push(Condition {
                name: name.clone(),
                known: knowledge.condition(name).map(|c| (c.id.clone(), c.role)),
            });
        }

        if let Some(s) = &self.symptoms {
            record.symptoms = self.symptoms(s)?;
        }

        for (i, lab) in self.labs.iter().enumerate() {
            record.labs.push(validate_lab(&format!("labs[{i}]"), lab)?);
        }
        record.labs.sort_by_key(|l| l.date);

        for (i, m) in self.medications.iter().enumerate() {
            let path = format!("medications[{i}]");
            if m.name.trim().is_empty() {
                return Err(bad(format!("{path}.name"), "a medicine name is empty"));
            }
            let started = opt_date(&format!("{path}.started"), &m.started)?;
            let stopped = opt_date(&format!("{path}.stopped"), &m.stopped)?;
            no_later(&format!("{path}.stopped"), started, stopped)?;
            record.medications.push(Medication {
                name: m.name.clone(),
                resolved: knowledge
                    .medicine(&m.name)
                    .map(|(generic, class)| (generic.to_string(), class.clone())),
                ingredients: knowledge
                    .ingredients(&m.name)
                    .into_iter()
                    .map(|(generic, class)| (generic.to_string(), class.clone()))
                    .collect(),
                dose: m.dose.clone(),
                started,
                stopped,
                outcome: outcome(&format!("{path}.outcome"), &m.outcome)?,
            });
        }

        for (i, t) in self.iron_treatments.iter().enumerate() {
            self.iron_treatment(&format!("iron_treatments[{i}]"), t, &mut record)?;
        }
        record.infusions.sort_by_key(|t| t.date);
        record.oral_courses.sort_by_key(|t| t.started);

        if let Some(h) = &self.habits {
            record.habits = Habits {
                alcohol_units_per_week: h
                    .alcohol_units_per_week
                    .map(|v| {
                        number_in(
                            "habits.alcohol_units_per_week",
                            v,
                            0.0,
                            500.0,
                            "units a week",
                        )
                    })
                    .transpose()?,
                caffeine_drinks_per_day: h
                    .caffeine_drinks_per_day
                    .map(|v| {
                        number_in(
                            "habits.caffeine_drinks_per_day",
                            v,
                            0.0,
                            50.0,
                            "drinks a day",
                        )
                    })
                    .transpose()?,
                smoker: h.smoker,
            };
        }

        if let Some(sleep) = &self.sleep {
            record.sleep = validate_sleep(sleep)?;
        }

        for (i, d) in self.diary.iter().enumerate() {
            let path = format!("diary[{i}]");
            record.diary.push(DiaryEntry {
                date: parse_date(&format!("{path}.date"), &d.date)?,
                severity: d
                    .severity
                    .map(|v| int_in(&format!("{path}.severity"), v, 0, 10, "the severity rating"))
                    .transpose()?,
                onset_time: d
                    .onset_time
                    .as_deref()
                    .map(|t| parse_time(&format!("{path}.onset_time"), t))
                    .transpose()?,
                body_parts: body_parts(&format!("{path}.body_parts"), &d.body_parts)?,
                sleep_hours: d
                    .sleep_hours
                    .map(|v| {
                        number_in(
                            &format!("{path}.sleep_hours"),
                            v,
                            0.0,
                            24.0,
                            "hours of sleep",
                        )
                    })
                    .transpose()?,
            });
        }
        record.diary.sort_by_key(|d| d.date);
        Ok(record)
    }

    fn symptoms(&self, s: &SymptomsFile) -> Result<Symptoms, RecordError> {
        let from_items = match &s.irls_items {
            None => None,
            Some(items) => {
                if items.len() != 10 {
                    return Err(bad(
                        "symptoms.irls_items",
                        format!(
                            "{} scores given; the IRLS has exactly 10 items",
                            items.len()
                        ),
                    ));
                }
                let mut total = 0u8;
                for (i, v) in items.iter().enumerate() {
                    total += int_in(
                        &format!("symptoms.irls_items[{i}]"),
                        *v,
                        0,
                        4,
                        "an IRLS item score",
                    )?;
                }
                Some(total)
            }
        };
        let given = s
            .irls_total
            .map(|v| int_in("symptoms.irls_total", v, 0, 40, "the IRLS total"))
            .transpose()?;
        if let (Some(g), Some(f)) = (given, from_items) {
            if g != f {
                return Err(bad(
                    "symptoms.irls_total",
                    format!("{g} does not match the sum of irls_items ({f}); give one or make them agree"),
                ));
            }
        }
        let aug = s.augmentation.clone().unwrap_or_default();
        Ok(Symptoms {
            criteria: Criteria {
                urge_to_move: s.urge_to_move,
                worse_at_rest: s.worse_at_rest,
                relieved_by_movement: s.relieved_by_movement,
                worse_evening_or_night: s.worse_evening_or_night,
                not_explained_by_other_condition: s.not_explained_by_other_condition,
            },
            days_per_week: s
                .days_per_week
                .map(|v| int_in("symptoms.days_per_week", v, 0, 7, "days per week"))
                .transpose()?,
            irls_total: given.or(from_items),
            onset_time: s
                .onset_time
                .as_deref()
                .map(|t| parse_time("symptoms.onset_time", t))
                .transpose()?,
            body_parts: body_parts("symptoms.body_parts", &s.body_parts)?,
            augmentation: AugmentationAnswers {
                earlier_onset_hours: aug
                    .earlier_onset_hours
                    .map(|v| {
                        number_in(
                            "symptoms.augmentation.earlier_onset_hours",
                            v,
                            0.0,
                            24.0,
                            "hours",
                        )
                    })
                    .transpose()?,
                shorter_latency_at_rest: aug.shorter_latency_at_rest,
                spread_to_other_body_parts: aug.spread_to_other_body_parts,
                more_intense: aug.more_intense,
                shorter_relief_from_medicine: aug.shorter_relief_from_medicine,
            },
            impulse_control_problems: s.impulse_control_problems,
            one_sided: s.one_sided,
            weakness_or_numbness: s.weakness_or_numbness,
        })
    }

    fn iron_treatment(
        &self,
        path: &str,
        t: &IronTreatmentFile,
        record: &mut Record,
    ) -> Result<(), RecordError> {
        let unused = |field: &str, present: bool, instead: &str| {
            if present {
                Err(bad(
                    format!("{path}.{field}"),
                    format!("is not used for {} iron; {instead}", t.route),
                ))
            } else {
                Ok(())
            }
        };
        match t.route.trim().to_lowercase().as_str() {
            "iv" | "intravenous" => {
                unused("started", t.started.is_some(), "give the infusion's date")?;
                unused("stopped", t.stopped.is_some(), "give the infusion's date")?;
                unused("elemental_mg", t.elemental_mg.is_some(), "give dose_mg")?;
                unused(
                    "schedule",
                    t.schedule.is_some(),
                    "an infusion has no schedule",
                )?;
                unused(
                    "outcome",
                    t.outcome.is_some(),
                    "use response: improved or none",
                )?;
                let date = t.date.as_deref().ok_or_else(|| {
                    bad(
                        format!("{path}.date"),
                        "is missing; an infusion needs its date (YYYY-MM-DD)",
                    )
                })?;
                record.infusions.push(IvInfusion {
                    product: t.product.clone(),
                    dose_mg: t
                        .dose_mg
                        .map(|v| number_in(&format!("{path}.dose_mg"), v, 1.0, 3000.0, "an infusion dose in mg"))
                        .transpose()?,
                    date: parse_date(&format!("{path}.date"), date)?,
                    response: t
                        .response
                        .as_deref()
                        .map(|r| match r.trim().to_lowercase().as_str() {
                            "improved" => Ok(IvResponse::Improved),
                            "none" => Ok(IvResponse::None),
                            _ => Err(bad(
                                format!("{path}.response"),
                                format!("{r:?} is not a response; use improved or none (leave it out if not known yet)"),
                            )),
                        })
                        .transpose()?,
                });
            }
            "oral" => {
                unused("date", t.date.is_some(), "use started (and stopped)")?;
                unused("dose_mg", t.dose_mg.is_some(), "give elemental_mg")?;
                unused("response", t.response.is_some(), "use outcome")?;
                let started = t.started.as_deref().ok_or_else(|| {
                    bad(
                        format!("{path}.started"),
                        "is missing; an oral course needs the date it started (YYYY-MM-DD)",
                    )
                })?;
                let started = parse_date(&format!("{path}.started"), started)?;
                let stopped = opt_date(&format!("{path}.stopped"), &t.stopped)?;
                no_later(&format!("{path}.stopped"), Some(started), stopped)?;
                record.oral_courses.push(OralCourse {
                    product: t.product.clone(),
                    elemental_mg: t
                        .elemental_mg
                        .map(|v| {
                            number_in(
                                &format!("{path}.elemental_mg"),
                                v,
                                1.0,
                                600.0,
                                "elemental iron in mg",
                            )
                        })
                        .transpose()?,
                    started,
                    stopped,
                    schedule: t
                        .schedule
                        .as_deref()
                        .map(|s| match s.trim().to_lowercase().as_str() {
                            "daily" => Ok(OralSchedule::Daily),
                            "alternate-day" | "alternate day" | "every other day" => {
                                Ok(OralSchedule::AlternateDay)
                            }
                            _ => Err(bad(
                                format!("{path}.schedule"),
                                format!("{s:?} is not a schedule; use daily or alternate-day"),
                            )),
                        })
                        .transpose()?,
                    outcome: outcome(&format!("{path}.outcome"), &t.outcome)?,
                });
            }
            other => {
                return Err(bad(
                    format!("{path}.route"),
                    format!("{other:?} is not a route; use iv or oral"),
                ))
            }
        }
        Ok(())
    }
}

fn validate_sleep(s: &SleepFile) -> Result<Sleep, RecordError> {
    Ok(Sleep {
        snoring: s.snoring,
        witnessed_apneas: s.witnessed_apneas,
        excessive_daytime_sleepiness: s.excessive_daytime_sleepiness,
        epworth: s
            .epworth
            .map(|v| {
                int_in(
                    "sleep.epworth",
                    v,
                    0,
                    24,
                    "an Epworth Sleepiness Scale total",
                )
            })
            .transpose()?,
        limb_jerks_reported: s.limb_jerks_reported,
        plms_index: s
            .plms_index
            .map(|v| {
                number_in(
                    "sleep.plms_index",
                    v,
                    0.0,
                    300.0,
                    "periodic limb movements per hour of sleep",
                )
            })
            .transpose()?,
    })
}

fn validate_lab(path: &str, lab: &LabFile) -> Result<LabResult, RecordError> {
    let test: LabTest = lab.test.parse().map_err(|_| {
        let names: Vec<&str> = LabTest::ALL.iter().map(|t| t.name()).collect();
        bad(
            format!("{path}.test"),
            format!(
                "{:?} is not a test Willis knows; use one of {}",
                lab.test,
                names.join(", ")
            ),
        )
    })?;
    let value = test
        .to_canonical(lab.value, &lab.unit)
        .map_err(|e| bad(format!("{path}.unit"), e.to_string()))?;
    let (lo, hi) = test.plausible_range();
    if !value.is_finite() || value < lo || value > hi {
        let unit = test.canonical_unit();
        return Err(bad(
            format!("{path}.value"),
            format!(
                "{} {} is not a plausible {} result; expected {lo}–{hi} {unit}",
                lab.value,
                lab.unit,
                test.name()
            ),
        ));
    }
    Ok(LabResult {
        test,
        value,
        reported: (lab.value, lab.unit.clone()),
        date: parse_date(&format!("{path}.date"), &lab.date)?,
        fasting: lab.fasting,
        morning: lab.morning,
    })
}
