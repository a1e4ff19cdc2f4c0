//! From journal entries to a `willis-record/1` record: a pure function, no IO.
//!
//! The journal is append-only. A correction is a new entry that supersedes the
//! old one; a deletion is a tombstone entry that supersedes it. So the record can
//! be rebuilt as it was known at any moment, and for any date.
//!
//! Two different times answer two different questions:
//! - **as of a date** (`--as-of`): the plan made for that day, from everything
//!   known now. An entry counts by the date of the fact it records (a lab's
//!   date, a diary night, a medicine's start), whenever it was typed in.
//! - **known at a moment** (`--known-at`): what the journal held then; entries
//!   recorded later, corrections and undos included, are not applied.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use willis_core::{IronTreatmentFile, MedicationFile, RecordFile, RECORD_FORMAT};

use crate::model::{Entry, EntryId};
use crate::payload::Payload;

/// The record of one person for the date `as_of`, as known at `known_at`
/// (`None`: every date, and everything recorded).
///
/// 1. Only entries recorded at or before `known_at` are visible.
/// 2. An entry superseded by another visible entry is dropped, so a chain
///    A ← B ← C resolves to C; a tombstone removes what it supersedes and itself.
/// 3. Entries dated after `as_of` are left out, with one exception: the
///    descriptions of the person (patient details, symptoms, habits, sleep). Of each,
///    the newest dated on or before `as_of` is used; when every one is dated
///    later, the oldest stands in for the earlier day (a birth date or the
///    answers to the diagnostic questions typed in today describe last week
///    too). Conditions count from their date like any other fact.
/// 4. The rest are folded in (effective date, id) order:
///    - labs and diary nights as given, dated by the effective date;
///    - a medication start opens a course; a change sets the dose of the latest
///      open course of that name (or opens one with an unknown start); a stop
///      closes the latest open course of that name (or records a past course with
///      an unknown start); an outcome sets the latest course's outcome (names
///      compare case-insensitively; an outcome with no course is dropped);
///    - an infusion becomes an IV treatment; a response applies to the latest
///      infusion on or before its date (dropped if there is none);
///    - an oral iron start opens an oral course; a stop closes the latest open
///      one and an outcome sets the latest one's (both dropped if there is none);
///    - conditions are added and resolved (case-insensitively);
///    - the latest patient, symptoms, habits and sleep entries win whole.
///
/// `entries` are one person's. The caller validates the result with
/// `RecordFile::validate(willis_core::Knowledge::get())`.
pub fn materialize(
    entries: &[Entry],
    as_of: Option<NaiveDate>,
    known_at: Option<DateTime<Utc>>,
) -> RecordFile {
    let visible: Vec<&Entry> = entries
        .iter()
        .filter(|e| known_at.is_none_or(|t| e.recorded_at <= t))
        .collect();
    let superseded: HashSet<EntryId> = visible.iter().filter_map(|e| e.supersedes).collect();
    let mut live: Vec<&Entry> = visible
        .into_iter()
        .filter(|e| !superseded.contains(&e.id) && e.payload != Payload::Tombstone)
        .collect();
    live.sort_by_key(|e| (e.effective, e.id));
    if let Some(day) = as_of {
        live = on_or_before(live, day);
    }

    let mut fold = Fold::default();
    for entry in &live {
        fold.add(entry);
    }
    fold.finish()
}

/// Is this entry a description of the person that replaces the last one whole?
fn is_description(payload: &Payload) -> bool {
    matches!(
        payload,
        Payload::Patient(_) | Payload::Symptoms(_) | Payload::Habits(_) | Payload::Sleep(_)
    )
}

/// Rule 3 of [`materialize`], on entries sorted by (date, id).
fn on_or_before(live: Vec<&Entry>, day: NaiveDate) -> Vec<&Entry> {
    let kinds_known_by_then: HashSet<&str> = live
        .iter()
        .filter(|e| e.effective <= day && is_description(&e.payload))
        .map(|e| e.kind())
        .collect();
    let mut stand_ins: HashSet<&str> = HashSet::new();
    live.into_iter()
        .filter(|e| {
            e.effective <= day
                || (is_description(&e.payload)
                    && !kinds_known_by_then.contains(e.kind())
                    && stand_ins.insert(e.kind()))
        })
        .collect()
}

#[derive(Default)]
struct Fold {
    record: RecordFile,
    /// Infusion responses, applied once every infusion is known.
    responses: Vec<(chrono::NaiveDate, String)>,
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

fn is_oral(t: &IronTreatmentFile) -> bool {
    t.route == "oral"
}

impl Fold {
    fn add(&mut self, entry: &Entry) {
        let date = entry.effective.to_string();
        let r = &mut self.record;
        match &entry.payload {
            Payload::Patient(p) => r.patient = Some(p.clone()),
            Payload::Symptoms(s) => r.symptoms = Some(s.clone()),
            Payload::Habits(h) => r.habits = Some(h.clone()),
            Payload::Sleep(s) => r.sleep = Some(s.clone()),
            Payload::Lab(lab) => r.labs.push(willis_core::LabFile {
                date,
                ..lab.clone()
            }),
            Payload::Diary(night) => r.diary.push(willis_core::DiaryFile {
                date,
                ..night.clone()
            }),
            Payload::MedicationStart { name, dose } => r.medications.push(MedicationFile {
                name: name.clone(),
                dose: dose.clone(),
                started: Some(date),
                stopped: None,
                outcome: None,
            }),
            Payload::MedicationChange { name, dose } => {
                match open_course(&mut r.medications, name) {
                    Some(course) => course.dose = Some(dose.clone()),
                    None => r.medications.push(MedicationFile {
                        name: name.clone(),
                        dose: Some(dose.clone()),
                        ..MedicationFile::default()
                    }),
                }
            }
            Payload::MedicationStop { name, outcome } => {
                match open_course(&mut r.medications, name) {
                    Some(course) => {
                        course.stopped = Some(date);
                        if outcome.is_some() {
                            course.outcome = outcome.clone();
                        }
                    }
                    None => r.medications.push(MedicationFile {
                        name: name.clone(),
                        stopped: Some(date),
                        outcome: outcome.clone(),
                        ..MedicationFile::default()
                    }),
                }
            }
            Payload::MedicationOutcome { name, outcome } => {
                if let Some(course) = r
                    .medications
                    .iter_mut()
                    .rev()
                    .find(|m| same_name(&m.name, name))
                {
                    course.outcome = Some(outcome.clone());
                }
            }
            Payload::IronInfusion {
                product,
                dose_mg,
                response,
            } => r.iron_treatments.push(IronTreatmentFile {
                route: "iv".into(),
                product: product.clone(),
                dose_mg: *dose_mg,
                date: Some(date),
                response: response.clone(),
                ..IronTreatmentFile::default()
            }),
            Payload::InfusionResponse { response } => {
                self.responses.push((entry.effective, response.clone()));
            }
            Payload::OralIronStart {
                product,
                elemental_mg,
                schedule,
            } => r.iron_treatments.push(IronTreatmentFile {
                route: "oral".into(),
                product: product.clone(),
                elemental_mg: *elemental_mg,
                started: Some(date),
                schedule: schedule.clone(),
                ..IronTreatmentFile::default()
            }),
            Payload::OralIronStop { outcome } => {
                if let Some(course) = r
                    .iron_treatments
                    .iter_mut()
                    .rev()
                    .find(|t| is_oral(t) && t.stopped.is_none())
                {
                    course.stopped = Some(date);
                    if outcome.is_some() {
                        course.outcome = outcome.clone();
                    }
                }
            }
            Payload::OralIronOutcome { outcome } => {
                if let Some(course) = r.iron_treatments.iter_mut().rev().find(|t| is_oral(t)) {
                    course.outcome = Some(outcome.clone());
                }
            }
            Payload::Condition { name } => {
                if !r.conditions.iter().any(|c| same_name(c, name)) {
                    r.conditions.push(name.clone());
                }
            }
            Payload::ConditionResolved { name } => r.conditions.retain(|c| !same_name(c, name)),
            // Filtered out before the fold; nothing to add.
            Payload::Tombstone => {}
        }
    }

    fn finish(mut self) -> RecordFile {
        for (day, response) in self.responses {
            // Infusions were pushed in date order, so the last one on or before
            // `day` is the latest.
            let latest = self.record.iron_treatments.iter_mut().rev().find(|t| {
                !is_oral(t)
                    && t.date
                        .as_deref()
                        .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
                        .is_some_and(|d| d <= day)
            });
            if let Some(infusion) = latest {
                infusion.response = Some(response);
            }
        }
        self.record.format = RECORD_FORMAT.to_string();
        self.record
    }
}

/// The latest course of `name` that has not stopped.
fn open_course<'a>(
    courses: &'a mut [MedicationFile],
    name: &str,
) -> Option<&'a mut MedicationFile> {
    courses
        .iter_mut()
        .rev()
        .find(|m| m.stopped.is_none() && same_name(&m.name, name))
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate, TimeZone};
    use willis_core::{DiaryFile, HabitsFile, Knowledge, LabFile, PatientFile, SymptomsFile};

    use super::*;
    use crate::model::{PersonId, UserId};

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// Builds entries with ids 1, 2, ... recorded one hour apart from `T0`.
    #[derive(Default)]
    struct Journal {
        entries: Vec<Entry>,
    }

    fn t(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::hours(hours)
    }

    impl Journal {
        fn add(&mut self, effective: &str, payload: Payload) -> EntryId {
            self.push(effective, payload, None)
        }
        fn correct(&mut self, old: EntryId, effective: &str, payload: Payload) -> EntryId {
            self.push(effective, payload, Some(old))
        }
        fn delete(&mut self, old: EntryId) -> EntryId {
            self.push("2026-01-01", Payload::Tombstone, Some(old))
        }
        fn push(
            &mut self,
            effective: &str,
            payload: Payload,
            supersedes: Option<EntryId>,
        ) -> EntryId {
            let n = self.entries.len() as i64 + 1;
            let id = EntryId(n);
            self.entries.push(Entry {
                id,
                person_id: PersonId(1),
                effective: day(effective),
                payload,
                recorded_at: t(n),
                recorded_by: UserId(1),
                supersedes,
            });
            id
        }
        fn record(&self) -> RecordFile {
            materialize(&self.entries, None, None)
        }
        fn record_at(&self, hours: i64) -> RecordFile {
            materialize(&self.entries, None, Some(t(hours)))
        }
    }

    fn ferritin(value: f64) -> Payload {
        Payload::Lab(LabFile {
            test: "ferritin".into(),
            value,
            unit: "ng/mL".into(),
            date: String::new(),
            fasting: Some(true),
            morning: None,
        })
    }

    fn night(severity: i64) -> Payload {
        Payload::Diary(DiaryFile {
            date: String::new(),
            severity: Some(severity),
            ..DiaryFile::default()
        })
    }

    fn start(name: &str, dose: Option<&str>) -> Payload {
        Payload::MedicationStart {
            name: name.into(),
            dose: dose.map(Into::into),
        }
    }

    fn stop(name: &str, outcome: Option<&str>) -> Payload {
        Payload::MedicationStop {
            name: name.into(),
            outcome: outcome.map(Into::into),
        }
    }

    fn values(r: &RecordFile) -> Vec<f64> {
        r.labs.iter().map(|l| l.value).collect()
    }

    #[test]
    fn an_empty_journal_is_an_empty_valid_record() {
        let r = Journal::default().record();
        assert_eq!(r.format, RECORD_FORMAT);
        assert_eq!(
            r,
            RecordFile {
                format: RECORD_FORMAT.into(),
                ..RecordFile::default()
            }
        );
        r.validate(Knowledge::get()).unwrap();
    }

    #[test]
    fn labs_and_diary_are_dated_by_the_effective_date() {
        let mut j = Journal::default();
        j.add("2026-03-02", ferritin(40.0));
        j.add("2026-03-01", night(6));
        let r = j.record();
        assert_eq!(r.labs[0].date, "2026-03-02");
        assert_eq!(r.diary[0].date, "2026-03-01");
        assert_eq!(r.diary[0].severity, Some(6));
    }

    #[test]
    fn folding_follows_effective_date_then_id() {
        let mut j = Journal::default();
        j.add("2026-05-01", ferritin(3.0));
        j.add("2026-01-01", ferritin(1.0));
        j.add("2026-05-01", ferritin(4.0));
        j.add("2026-02-01", ferritin(2.0));
        assert_eq!(values(&j.record()), [1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn a_correction_replaces_the_entry() {
        let mut j = Journal::default();
        let a = j.add("2026-03-01", ferritin(400.0));
        j.correct(a, "2026-03-01", ferritin(40.0));
        assert_eq!(values(&j.record()), [40.0]);
    }

    #[test]
    fn a_correction_may_move_the_date() {
        let mut j = Journal::default();
        let a = j.add("2026-03-01", ferritin(40.0));
        j.correct(a, "2026-02-01", ferritin(40.0));
        assert_eq!(j.record().labs[0].date, "2026-02-01");
    }

    #[test]
    fn a_chain_resolves_to_its_last_link() {
        let mut j = Journal::default();
        let a = j.add("2026-03-01", ferritin(1.0));
        let b = j.correct(a, "2026-03-01", ferritin(2.0));
        j.correct(b, "2026-03-01", ferritin(3.0));
        assert_eq!(values(&j.record()), [3.0]);
    }

    #[test]
    fn a_tombstone_removes_the_entry_and_itself() {
        let mut j = Journal::default();
        let a = j.add("2026-03-01", ferritin(1.0));
        j.add("2026-03-02", ferritin(2.0));
        j.delete(a);
        assert_eq!(values(&j.record()), [2.0]);
    }

    #[test]
    fn a_tombstone_at_the_end_of_a_chain_removes_the_chain() {
        let mut j = Journal::default();
        let a = j.add("2026-03-01", ferritin(1.0));
        let b = j.correct(a, "2026-03-01", ferritin(2.0));
        j.delete(b);
        assert!(j.record().labs.is_empty());
    }

    #[test]
    fn correcting_a_tombstone_brings_the_fact_back() {
        let mut j = Journal::default();
        let a = j.add("2026-03-01", ferritin(1.0));
        let gone = j.delete(a);
        j.correct(gone, "2026-03-01", ferritin(1.5));
        assert_eq!(values(&j.record()), [1.5]);
    }

    #[test]
    fn known_at_in_the_past_hides_later_corrections() {
        let mut j = Journal::default();
        let a = j.add("2026-03-01", ferritin(400.0)); // recorded at hour 1
        let b = j.correct(a, "2026-03-01", ferritin(40.0)); // hour 2
        j.delete(b); // hour 3
        assert!(
            j.record_at(0).labs.is_empty(),
            "nothing known before the first entry"
        );
        assert_eq!(values(&j.record_at(1)), [400.0]);
        assert_eq!(values(&j.record_at(2)), [40.0]);
        assert!(j.record_at(3).labs.is_empty());
        assert!(j.record().labs.is_empty());
    }

    fn record_for(j: &Journal, as_of: &str) -> RecordFile {
        materialize(&j.entries, Some(day(as_of)), None)
    }

    #[test]
    fn as_of_counts_facts_by_their_date_not_by_when_they_were_typed() {
        let mut j = Journal::default();
        // Recorded in this order (hours 1, 2, 3), dated out of order.
        j.add("2026-03-10", ferritin(30.0));
        j.add("2026-02-01", ferritin(20.0));
        j.add("2026-03-01", start("gabapentin", None));
        assert_eq!(values(&record_for(&j, "2026-02-28")), [20.0]);
        assert!(record_for(&j, "2026-02-28").medications.is_empty());
        assert_eq!(values(&record_for(&j, "2026-03-10")), [20.0, 30.0]);
        assert_eq!(record_for(&j, "2026-03-10").medications.len(), 1);
        assert!(record_for(&j, "2026-01-31").labs.is_empty());
    }

    #[test]
    fn as_of_leaves_out_stops_outcomes_and_conditions_dated_later() {
        let mut j = Journal::default();
        j.add("2026-01-01", start("gabapentin", None));
        j.add("2026-04-01", stop("gabapentin", Some("side-effects")));
        j.add(
            "2026-02-01",
            Payload::Condition {
                name: "diabetes".into(),
            },
        );
        j.add(
            "2026-05-01",
            Payload::ConditionResolved {
                name: "diabetes".into(),
            },
        );
        let march = record_for(&j, "2026-03-01");
        assert_eq!(march.medications[0].stopped, None);
        assert_eq!(march.medications[0].outcome, None);
        assert_eq!(march.conditions, ["diabetes"]);
        assert!(record_for(&j, "2026-01-15").conditions.is_empty());
        assert!(record_for(&j, "2026-06-01").conditions.is_empty());
        let june = record_for(&j, "2026-06-01");
        assert_eq!(june.medications[0].stopped.as_deref(), Some("2026-04-01"));
    }

    #[test]
    fn as_of_takes_the_description_of_that_day_or_the_oldest_one() {
        let mut j = Journal::default();
        let described = |days: i64| {
            Payload::Symptoms(SymptomsFile {
                days_per_week: Some(days),
                ..SymptomsFile::default()
            })
        };
        j.add("2026-03-01", described(2));
        j.add("2026-06-01", described(6));
        let days_on = |d: &str| record_for(&j, d).symptoms.unwrap().days_per_week;
        assert_eq!(days_on("2026-05-31"), Some(2));
        assert_eq!(days_on("2026-06-01"), Some(6));
        // Nothing dated on or before: the oldest description stands in.
        assert_eq!(days_on("2026-01-01"), Some(2));
    }

    #[test]
    fn sleep_is_a_description_whose_latest_wins() {
        let mut j = Journal::default();
        let sleep = |epworth: i64| {
            Payload::Sleep(willis_core::SleepFile {
                epworth: Some(epworth),
                ..willis_core::SleepFile::default()
            })
        };
        j.add("2026-03-01", sleep(8));
        j.add("2026-06-01", sleep(14));
        let epworth = |r: RecordFile| r.sleep.and_then(|s| s.epworth);
        assert_eq!(epworth(j.record()), Some(14));
        assert_eq!(epworth(record_for(&j, "2026-05-01")), Some(8));
        assert_eq!(epworth(record_for(&j, "2026-01-01")), Some(8));
    }

    #[test]
    fn as_of_and_known_at_combine() {
        let mut j = Journal::default();
        let a = j.add("2026-03-01", ferritin(400.0)); // hour 1
        j.correct(a, "2026-03-01", ferritin(40.0)); // hour 2
        j.add("2026-04-01", ferritin(60.0)); // hour 3
        let both = |as_of: &str, hours: i64| {
            values(&materialize(&j.entries, Some(day(as_of)), Some(t(hours))))
        };
        assert_eq!(both("2026-03-31", 1), [400.0]);
        assert_eq!(both("2026-03-31", 3), [40.0]);
        assert_eq!(both("2026-04-01", 3), [40.0, 60.0]);
        assert_eq!(both("2026-04-01", 2), [40.0]);
    }

    #[test]
    fn known_at_includes_an_entry_recorded_at_that_instant() {
        let mut j = Journal::default();
        j.add("2026-03-01", ferritin(1.0));
        assert_eq!(values(&j.record_at(1)), [1.0]);
    }

    #[test]
    fn start_and_stop_make_one_course() {
        let mut j = Journal::default();
        j.add("2025-01-10", start("Pramipexole", Some("0.125 mg")));
        j.add("2025-06-01", stop("pramipexole", Some("side-effects")));
        let r = j.record();
        assert_eq!(
            r.medications,
            [MedicationFile {
                name: "Pramipexole".into(),
                dose: Some("0.125 mg".into()),
                started: Some("2025-01-10".into()),
                stopped: Some("2025-06-01".into()),
                outcome: Some("side-effects".into()),
            }]
        );
    }

    #[test]
    fn stop_closes_the_latest_open_course_of_that_name_only() {
        let mut j = Journal::default();
        j.add("2024-01-01", start("gabapentin", None));
        j.add("2024-02-01", stop("gabapentin", None));
        j.add("2025-01-01", start("gabapentin", Some("300 mg")));
        j.add("2025-01-05", start("sertraline", None));
        j.add("2025-03-01", stop(" GABAPENTIN ", None));
        let r = j.record();
        let stops: Vec<_> = r
            .medications
            .iter()
            .map(|m| (m.name.as_str(), m.stopped.as_deref()))
            .collect();
        assert_eq!(
            stops,
            [
                ("gabapentin", Some("2024-02-01")),
                ("gabapentin", Some("2025-03-01")),
                ("sertraline", None),
            ]
        );
    }

    #[test]
    fn a_stop_without_a_course_is_a_past_course_with_unknown_start() {
        let mut j = Journal::default();
        j.add("2023-06-01", stop("ropinirole", Some("ineffective")));
        let m = &j.record().medications[0];
        assert_eq!(
            (m.started.as_deref(), m.stopped.as_deref()),
            (None, Some("2023-06-01"))
        );
        assert_eq!(m.outcome.as_deref(), Some("ineffective"));
    }

    #[test]
    fn a_change_sets_the_dose_of_the_open_course() {
        let mut j = Journal::default();
        j.add("2025-01-01", start("pregabalin", Some("75 mg")));
        j.add(
            "2025-02-01",
            Payload::MedicationChange {
                name: "Pregabalin".into(),
                dose: "150 mg".into(),
            },
        );
        let r = j.record();
        assert_eq!(r.medications.len(), 1);
        assert_eq!(r.medications[0].dose.as_deref(), Some("150 mg"));
        assert_eq!(r.medications[0].started.as_deref(), Some("2025-01-01"));
    }

    #[test]
    fn a_change_without_an_open_course_records_a_current_course() {
        let mut j = Journal::default();
        j.add(
            "2025-02-01",
            Payload::MedicationChange {
                name: "pregabalin".into(),
                dose: "150 mg".into(),
            },
        );
        let m = &j.record().medications[0];
        assert_eq!((m.started.as_deref(), m.stopped.as_deref()), (None, None));
        assert_eq!(m.dose.as_deref(), Some("150 mg"));
    }

    #[test]
    fn an_outcome_sets_the_latest_course_even_when_stopped() {
        let mut j = Journal::default();
        j.add("2024-01-01", start("ropinirole", None));
        j.add("2024-06-01", stop("ropinirole", None));
        j.add(
            "2024-07-01",
            Payload::MedicationOutcome {
                name: "Ropinirole".into(),
                outcome: "ineffective".into(),
            },
        );
        j.add(
            "2024-07-02",
            Payload::MedicationOutcome {
                name: "sertraline".into(),
                outcome: "effective".into(),
            },
        );
        let r = j.record();
        assert_eq!(
            r.medications.len(),
            1,
            "an outcome with no course is dropped"
        );
        assert_eq!(r.medications[0].outcome.as_deref(), Some("ineffective"));
    }

    #[test]
    fn a_deleted_start_takes_its_course_away() {
        let mut j = Journal::default();
        let s = j.add("2024-01-01", start("ropinirole", None));
        j.delete(s);
        assert!(j.record().medications.is_empty());
    }

    #[test]
    fn infusions_and_responses() {
        let mut j = Journal::default();
        j.add(
            "2025-01-10",
            Payload::IronInfusion {
                product: Some("ferric carboxymaltose".into()),
                dose_mg: Some(750.0),
                response: None,
            },
        );
        j.add(
            "2025-06-10",
            Payload::IronInfusion {
                product: None,
                dose_mg: Some(1000.0),
                response: None,
            },
        );
        // Applies to the January infusion: the June one is after it.
        j.add(
            "2025-03-01",
            Payload::InfusionResponse {
                response: "improved".into(),
            },
        );
        // Same day as the June infusion but recorded first (lower id): still applies to it.
        j.add(
            "2025-06-10",
            Payload::InfusionResponse {
                response: "none".into(),
            },
        );
        // Before any infusion: dropped.
        j.add(
            "2024-01-01",
            Payload::InfusionResponse {
                response: "improved".into(),
            },
        );
        let r = j.record();
        let got: Vec<_> = r
            .iron_treatments
            .iter()
            .map(|t| (t.route.as_str(), t.date.as_deref(), t.response.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("iv", Some("2025-01-10"), Some("improved")),
                ("iv", Some("2025-06-10"), Some("none"))
            ]
        );
        assert_eq!(r.iron_treatments[0].dose_mg, Some(750.0));
    }

    #[test]
    fn oral_iron_courses() {
        let mut j = Journal::default();
        j.add(
            "2025-01-01",
            Payload::OralIronStart {
                product: Some("ferrous sulfate".into()),
                elemental_mg: Some(65.0),
                schedule: Some("alternate days".into()),
            },
        );
        j.add(
            "2025-04-01",
            Payload::OralIronStop {
                outcome: Some("side-effects".into()),
            },
        );
        j.add(
            "2025-05-01",
            Payload::OralIronStart {
                product: Some("ferrous bisglycinate".into()),
                elemental_mg: Some(25.0),
                schedule: None,
            },
        );
        j.add(
            "2025-08-01",
            Payload::OralIronOutcome {
                outcome: "effective".into(),
            },
        );
        let r = j.record();
        let got: Vec<_> = r
            .iron_treatments
            .iter()
            .map(|t| {
                (
                    t.route.as_str(),
                    t.started.as_deref(),
                    t.stopped.as_deref(),
                    t.outcome.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "oral",
                    Some("2025-01-01"),
                    Some("2025-04-01"),
                    Some("side-effects")
                ),
                ("oral", Some("2025-05-01"), None, Some("effective")),
            ]
        );
        assert_eq!(r.iron_treatments[0].elemental_mg, Some(65.0));
        assert_eq!(
            r.iron_treatments[0].schedule.as_deref(),
            Some("alternate days")
        );
    }

    #[test]
    fn oral_stop_and_outcome_without_a_course_are_dropped() {
        let mut j = Journal::default();
        j.add("2025-01-01", Payload::OralIronStop { outcome: None });
        j.add(
            "2025-01-02",
            Payload::OralIronOutcome {
                outcome: "effective".into(),
            },
        );
        assert!(j.record().iron_treatments.is_empty());
    }

    #[test]
    fn conditions_are_added_once_and_resolved() {
        let mut j = Journal::default();
        j.add(
            "2020-01-01",
            Payload::Condition {
                name: "diabetes".into(),
            },
        );
        j.add(
            "2021-01-01",
            Payload::Condition {
                name: "Diabetes".into(),
            },
        );
        j.add(
            "2022-01-01",
            Payload::Condition {
                name: "active-infection".into(),
            },
        );
        j.add(
            "2022-02-01",
            Payload::ConditionResolved {
                name: "ACTIVE-INFECTION".into(),
            },
        );
        assert_eq!(j.record().conditions, ["diabetes"]);
    }

    #[test]
    fn the_latest_profile_symptoms_and_habits_win_whole() {
        let mut j = Journal::default();
        j.add(
            "2025-01-01",
            Payload::Patient(PatientFile {
                sex: Some("female".into()),
                weight_kg: Some(70.0),
                ..PatientFile::default()
            }),
        );
        // Later effective date, recorded first: still the latest.
        let newer = Payload::Patient(PatientFile {
            birth_date: Some("1980-01-01".into()),
            ..PatientFile::default()
        });
        j.push("2025-06-01", newer.clone(), None);
        j.add(
            "2025-03-01",
            Payload::Symptoms(SymptomsFile {
                days_per_week: Some(2),
                ..SymptomsFile::default()
            }),
        );
        j.add(
            "2025-04-01",
            Payload::Symptoms(SymptomsFile {
                days_per_week: Some(5),
                ..SymptomsFile::default()
            }),
        );
        j.add(
            "2025-04-01",
            Payload::Habits(HabitsFile {
                smoker: Some(true),
                ..HabitsFile::default()
            }),
        );
        let r = j.record();
        assert_eq!(
            Some(&newer),
            r.patient
                .as_ref()
                .map(|p| Payload::Patient(p.clone()))
                .as_ref()
        );
        assert_eq!(
            r.patient.as_ref().unwrap().sex,
            None,
            "whole, not field by field"
        );
        assert_eq!(r.symptoms.unwrap().days_per_week, Some(5));
        assert_eq!(r.habits.unwrap().smoker, Some(true));
    }

    #[test]
    fn a_folded_record_validates() {
        let mut j = Journal::default();
        j.add(
            "2025-01-01",
            Payload::Patient(PatientFile {
                birth_date: Some("1979-04-02".into()),
                sex: Some("female".into()),
                ..PatientFile::default()
            }),
        );
        j.add(
            "2025-01-01",
            Payload::Condition {
                name: "peripheral-neuropathy".into(),
            },
        );
        j.add("2025-01-02", ferritin(45.0));
        j.add("2025-01-03", start("sertraline", Some("50 mg daily")));
        j.add("2025-03-01", stop("sertraline", Some("ineffective")));
        j.add(
            "2025-03-02",
            Payload::IronInfusion {
                product: Some("ferric carboxymaltose".into()),
                dose_mg: Some(1000.0),
                response: None,
            },
        );
        j.add(
            "2025-05-02",
            Payload::InfusionResponse {
                response: "improved".into(),
            },
        );
        j.add(
            "2025-06-01",
            Payload::OralIronStart {
                product: Some("ferrous bisglycinate".into()),
                elemental_mg: Some(75.0),
                schedule: Some("daily".into()),
            },
        );
        for i in 0..30 {
            j.add(
                &(day("2025-06-01") + Duration::days(i)).to_string(),
                night(i % 11),
            );
        }
        let record = j.record().validate(Knowledge::get()).unwrap();
        assert_eq!(record.diary.len(), 30);
        assert_eq!(record.medications.len(), 1);
        assert_eq!(record.infusions.len(), 1);
        assert_eq!(record.oral_courses.len(), 1);
    }
}
