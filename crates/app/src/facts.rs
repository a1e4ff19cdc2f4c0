//! Record-format objects as journal facts.
//!
//! The JSON API takes the objects of a `willis-record/1` file (a lab, a
//! medicine, an iron treatment, a diary night, a condition) and stores them as
//! dated journal entries; an importer (a whole record, a FHIR Bundle) does the
//! same for every section. This module is that one translation, so every front
//! end dates facts the same way: a lab or diary night by its own date, a
//! medicine or oral iron course by its start (and a second fact for its stop),
//! an infusion by its date, and undated descriptions (patient, symptoms,
//! habits, sleep, conditions) by the day they are entered.
//!
//! Field errors name the field as the record format does (`date`, `started`).

use chrono::NaiveDate;
use willis_core::{DiaryFile, IronTreatmentFile, LabFile, MedicationFile, RecordFile};
use willis_store::Payload;

use crate::{AppError, Result};

/// A dated fact ready for [`App::append_many`](crate::App::append_many).
pub type Fact = (NaiveDate, Payload);

fn date(field: &str, text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::Invalid(format!(
            "{field}: {text:?} is not a date; use YYYY-MM-DD, such as 2026-03-14"
        ))
    })
}

/// Refuses a date after today, naming the field.
fn not_future(field: &str, day: NaiveDate, today: NaiveDate) -> Result<NaiveDate> {
    if day > today {
        return Err(AppError::Invalid(format!(
            "{field}: {day} is after today ({today}); a fact cannot be dated in the future, so check the year, month and day"
        )));
    }
    Ok(day)
}

fn optional_date(field: &str, text: &Option<String>) -> Result<Option<NaiveDate>> {
    text.as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| date(field, t))
        .transpose()
}

/// The longest medicine name, dose or condition name accepted.
pub const MAX_TEXT: usize = 120;

/// Free text typed by a person, trimmed: at most `max` characters, and no
/// control characters or direction overrides (which make text on screen
/// differ from what is stored).
pub fn plain_text(field: &str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(AppError::Invalid(format!(
            "{field}: use at most {max} characters"
        )));
    }
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if text.chars().any(hidden) {
        return Err(AppError::Invalid(format!(
            "{field}: remove the control or text-direction characters"
        )));
    }
    Ok(text.to_string())
}

/// A lab result, dated by its own `date` (required).
pub fn lab(lab: LabFile) -> Result<Fact> {
    Ok((date("date", &lab.date)?, Payload::Lab(lab)))
}

/// A diary night, dated by its own `date` (required).
pub fn diary(night: DiaryFile) -> Result<Fact> {
    Ok((date("date", &night.date)?, Payload::Diary(night)))
}

/// A condition, from `today` on.
pub fn condition(name: &str, today: NaiveDate) -> Result<Fact> {
    let name = plain_text("name", name, MAX_TEXT)?;
    let name = name.as_str();
    if name.is_empty() {
        return Err(AppError::Invalid(
            "name: a condition needs a name (such as peripheral-neuropathy)".to_string(),
        ));
    }
    Ok((
        today,
        Payload::Condition {
            name: name.to_string(),
        },
    ))
}

/// A medicine: its start (`started`, or `today` when not given), and its
/// stop when `stopped` is given; an outcome without a stop is recorded as the
/// course's outcome.
pub fn medication(m: MedicationFile, today: NaiveDate) -> Result<Vec<Fact>> {
    let name = plain_text("name", &m.name, MAX_TEXT)?;
    let dose = m
        .dose
        .as_deref()
        .map(|d| plain_text("dose", d, MAX_TEXT))
        .transpose()?;
    if name.is_empty() {
        return Err(AppError::Invalid(
            "name: a medicine needs a name (such as pramipexole)".to_string(),
        ));
    }
    let started = not_future(
        "started",
        optional_date("started", &m.started)?.unwrap_or(today),
        today,
    )?;
    let stopped = optional_date("stopped", &m.stopped)?
        .map(|d| not_future("stopped", d, today))
        .transpose()?;
    if let Some(stop) = stopped {
        if stop < started {
            return Err(AppError::Invalid(format!(
                "stopped: {stop} is before the start ({started})"
            )));
        }
    }
    let mut facts = vec![(
        started,
        Payload::MedicationStart {
            name: name.clone(),
            dose: dose.filter(|d| !d.is_empty()),
        },
    )];
    match (stopped, m.outcome.filter(|o| !o.trim().is_empty())) {
        (Some(stop), outcome) => facts.push((stop, Payload::MedicationStop { name, outcome })),
        (None, Some(outcome)) => {
            facts.push((started, Payload::MedicationOutcome { name, outcome }))
        }
        (None, None) => {}
    }
    Ok(facts)
}

/// An infusion (`route: "iv"`, dated by `date`, required) or an oral course
/// (`route: "oral"`, from `started` or `today`, with its stop when given).
pub fn iron_treatment(t: IronTreatmentFile, today: NaiveDate) -> Result<Vec<Fact>> {
    match t.route.trim() {
        "iv" => {
            let when = t.date.as_deref().ok_or_else(|| {
                AppError::Invalid(
                    "date: an infusion needs the date it was given (YYYY-MM-DD)".to_string(),
                )
            })?;
            Ok(vec![(
                not_future("date", date("date", when)?, today)?,
                Payload::IronInfusion {
                    product: t.product,
                    dose_mg: t.dose_mg,
                    response: t.response,
                },
            )])
        }
        "oral" => {
            let started = not_future(
                "started",
                optional_date("started", &t.started)?.unwrap_or(today),
                today,
            )?;
            let stopped = optional_date("stopped", &t.stopped)?
                .map(|d| not_future("stopped", d, today))
                .transpose()?;
            if let Some(stop) = stopped {
                if stop < started {
                    return Err(AppError::Invalid(format!(
                        "stopped: {stop} is before the start ({started})"
                    )));
                }
            }
            let mut facts = vec![(
                started,
                Payload::OralIronStart {
                    product: t.product,
                    elemental_mg: t.elemental_mg,
                    schedule: t.schedule,
                },
            )];
            match (stopped, t.outcome.filter(|o| !o.trim().is_empty())) {
                (Some(stop), outcome) => facts.push((stop, Payload::OralIronStop { outcome })),
                (None, Some(outcome)) => {
                    facts.push((started, Payload::OralIronOutcome { outcome }))
                }
                (None, None) => {}
            }
            Ok(facts)
        }
        other => Err(AppError::Invalid(format!(
            "route: {other:?} is not a route; use \"iv\" (an infusion) or \"oral\""
        ))),
    }
}

/// Every section of a record as facts (for importing a whole record). Errors
/// name the section and index, as in `labs[2].date`.
pub fn from_record(file: &RecordFile, today: NaiveDate) -> Result<Vec<Fact>> {
    let at = |section: &str, i: usize, e: AppError| match e {
        AppError::Invalid(m) => AppError::Invalid(format!("{section}[{i}].{m}")),
        other => other,
    };
    let mut facts = Vec::new();
    if let Some(p) = &file.patient {
        facts.push((today, Payload::Patient(p.clone())));
    }
    for (i, c) in file.conditions.iter().enumerate() {
        facts.push(condition(c, today).map_err(|e| at("conditions", i, e))?);
    }
    if let Some(s) = &file.symptoms {
        facts.push((today, Payload::Symptoms(s.clone())));
    }
    if let Some(s) = &file.sleep {
        facts.push((today, Payload::Sleep(s.clone())));
    }
    if let Some(h) = &file.habits {
        facts.push((today, Payload::Habits(h.clone())));
    }
    for (i, l) in file.labs.iter().enumerate() {
        facts.push(lab(l.clone()).map_err(|e| at("labs", i, e))?);
    }
    for (i, m) in file.medications.iter().enumerate() {
        facts.extend(medication(m.clone(), today).map_err(|e| at("medications", i, e))?);
    }
    for (i, t) in file.iron_treatments.iter().enumerate() {
        facts.extend(iron_treatment(t.clone(), today).map_err(|e| at("iron_treatments", i, e))?);
    }
    for (i, d) in file.diary.iter().enumerate() {
        facts.push(diary(d.clone()).map_err(|e| at("diary", i, e))?);
    }
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_lab_is_dated_by_its_own_date_and_a_bad_date_names_the_field() {
        let l = LabFile {
            test: "ferritin".into(),
            value: 40.0,
            unit: "ng/mL".into(),
            date: "2026-03-02".into(),
            fasting: None,
            morning: None,
        };
        assert_eq!(lab(l.clone()).unwrap().0, day("2026-03-02"));
        let bad = LabFile {
            date: "02/03/2026".into(),
            ..l
        };
        let err = lab(bad).unwrap_err().to_string();
        assert!(err.contains("date: \"02/03/2026\""), "{err}");
    }

    #[test]
    fn a_stopped_medicine_is_two_facts_and_a_stop_before_the_start_is_refused() {
        let m = MedicationFile {
            name: "pramipexole".into(),
            dose: Some("0.25 mg".into()),
            started: Some("2024-01-01".into()),
            stopped: Some("2025-06-01".into()),
            outcome: Some("ineffective".into()),
        };
        let facts = medication(m.clone(), day("2026-12-01")).unwrap();
        assert_eq!(facts.len(), 2);
        assert_eq!(facts[0].0, day("2024-01-01"));
        assert!(
            matches!(&facts[1].1, Payload::MedicationStop { outcome: Some(o), .. } if o == "ineffective")
        );
        let backwards = MedicationFile {
            stopped: Some("2023-01-01".into()),
            ..m
        };
        assert!(medication(backwards, day("2026-12-01"))
            .unwrap_err()
            .to_string()
            .starts_with("stopped:"));
    }

    #[test]
    fn a_future_start_or_stop_is_refused_naming_its_field() {
        let today = day("2026-12-01");
        let m = MedicationFile {
            name: "gabapentin".into(),
            started: Some("2026-12-02".into()),
            ..MedicationFile::default()
        };
        let err = medication(m.clone(), today).unwrap_err().to_string();
        assert!(
            err.starts_with("started: 2026-12-02 is after today"),
            "{err}"
        );
        let on_the_day = MedicationFile {
            started: Some("2026-12-01".into()),
            ..m.clone()
        };
        assert!(medication(on_the_day, today).is_ok());
        let stop = MedicationFile {
            started: Some("2026-11-01".into()),
            stopped: Some("2026-12-02".into()),
            ..m
        };
        assert!(medication(stop, today)
            .unwrap_err()
            .to_string()
            .starts_with("stopped:"));
        let iv = IronTreatmentFile {
            route: "iv".into(),
            date: Some("2026-12-02".into()),
            ..IronTreatmentFile::default()
        };
        assert!(iron_treatment(iv, today)
            .unwrap_err()
            .to_string()
            .starts_with("date:"));
        let oral = IronTreatmentFile {
            route: "oral".into(),
            started: Some("2027-01-01".into()),
            ..IronTreatmentFile::default()
        };
        assert!(iron_treatment(oral, today)
            .unwrap_err()
            .to_string()
            .starts_with("started:"));
    }

    #[test]
    fn an_undated_medicine_starts_today() {
        let m = MedicationFile {
            name: "sertraline".into(),
            ..MedicationFile::default()
        };
        let facts = medication(m, day("2026-12-01")).unwrap();
        assert_eq!(
            facts,
            vec![(
                day("2026-12-01"),
                Payload::MedicationStart {
                    name: "sertraline".into(),
                    dose: None
                }
            )]
        );
    }

    #[test]
    fn an_infusion_needs_a_date_and_a_route_must_be_known() {
        let iv = IronTreatmentFile {
            route: "iv".into(),
            ..IronTreatmentFile::default()
        };
        assert!(iron_treatment(iv, day("2026-12-01"))
            .unwrap_err()
            .to_string()
            .starts_with("date:"));
        let odd = IronTreatmentFile {
            route: "im".into(),
            ..IronTreatmentFile::default()
        };
        assert!(iron_treatment(odd, day("2026-12-01"))
            .unwrap_err()
            .to_string()
            .starts_with("route:"));
    }

    #[test]
    fn a_whole_record_names_the_section_and_index_of_a_bad_fact() {
        let file = RecordFile {
            labs: vec![LabFile {
                test: "ferritin".into(),
                value: 40.0,
                unit: "ng/mL".into(),
                date: "yesterday".into(),
                fasting: None,
                morning: None,
            }],
            ..RecordFile::default()
        };
        let err = from_record(&file, day("2026-12-01"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("labs[0].date"), "{err}");
    }
}
