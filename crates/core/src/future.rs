//! Dates after today. The engine has no clock, so the caller says what day it
//! is; a record whose facts are dated later than that is refused, because a
//! result, a diary night or a medicine "from the future" is almost always a
//! typing mistake (2062 for 2026, a month and day swapped).

use chrono::NaiveDate;

use crate::error::RecordError;
use crate::wire::{parse_date, RecordFile};

impl RecordFile {
    /// Refuses a fact dated after `today`: the birth date, a lab, a diary
    /// night, a medicine's start or stop, an infusion or an oral course.
    /// Malformed dates are left to [`RecordFile::validate`], which names them.
    pub fn refuse_future(&self, today: NaiveDate) -> Result<(), RecordError> {
        for (path, text) in self.dated_fields() {
            let Ok(day) = parse_date(&path, text) else {
                continue;
            };
            if day > today {
                return Err(RecordError::Invalid {
                    path,
                    message: format!(
                        "{day} is after today ({today}); a fact cannot be dated in the \
                         future, so check the year, month and day"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Every date the file holds, with its field path.
    fn dated_fields(&self) -> Vec<(String, &str)> {
        let mut fields = Vec::new();
        if let Some(birth) = self.patient.as_ref().and_then(|p| p.birth_date.as_deref()) {
            fields.push(("patient.birth_date".to_string(), birth));
        }
        for (i, lab) in self.labs.iter().enumerate() {
            fields.push((format!("labs[{i}].date"), lab.date.as_str()));
        }
        for (i, night) in self.diary.iter().enumerate() {
            fields.push((format!("diary[{i}].date"), night.date.as_str()));
        }
        for (i, m) in self.medications.iter().enumerate() {
            let dates = [("started", &m.started), ("stopped", &m.stopped)];
            for (name, date) in dates {
                if let Some(d) = date {
                    fields.push((format!("medications[{i}].{name}"), d.as_str()));
                }
            }
        }
        for (i, t) in self.iron_treatments.iter().enumerate() {
            let dates = [
                ("date", &t.date),
                ("started", &t.started),
                ("stopped", &t.stopped),
            ];
            for (name, date) in dates {
                if let Some(d) = date {
                    fields.push((format!("iron_treatments[{i}].{name}"), d.as_str()));
                }
            }
        }
        fields
    }

    /// [`RecordFile::validate`], then [`RecordFile::refuse_future`]: what every
    /// adapter that knows today's date should call.
    pub fn validate_on(
        &self,
        knowledge: &crate::Knowledge,
        today: NaiveDate,
    ) -> Result<crate::Record, RecordError> {
        let record = self.validate(knowledge)?;
        self.refuse_future(today)?;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{DiaryFile, LabFile, MedicationFile};
    use crate::{Knowledge, RECORD_FORMAT};

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn lab_on(date: &str) -> RecordFile {
        RecordFile {
            format: RECORD_FORMAT.to_string(),
            labs: vec![LabFile {
                test: "ferritin".into(),
                value: 40.0,
                unit: "ng/mL".into(),
                date: date.into(),
                ..LabFile::default()
            }],
            ..RecordFile::default()
        }
    }

    #[test]
    fn a_lab_dated_today_is_accepted_and_tomorrow_refused() {
        let today = day("2026-12-01");
        assert!(lab_on("2026-12-01")
            .validate_on(Knowledge::get(), today)
            .is_ok());
        let err = lab_on("2026-12-02")
            .validate_on(Knowledge::get(), today)
            .unwrap_err();
        assert_eq!(err.path(), Some("labs[0].date"));
        assert!(
            err.to_string().contains("after today (2026-12-01)"),
            "{err}"
        );
    }

    #[test]
    fn diary_medicines_and_iron_are_checked_with_their_paths() {
        let today = day("2026-12-01");
        let mut file = lab_on("2026-11-01");
        file.diary.push(DiaryFile {
            date: "2026-12-05".into(),
            severity: Some(3),
            ..DiaryFile::default()
        });
        let err = file.refuse_future(today).unwrap_err();
        assert_eq!(err.path(), Some("diary[0].date"));

        let mut file = lab_on("2026-11-01");
        file.medications.push(MedicationFile {
            name: "gabapentin".into(),
            started: Some("2026-01-01".into()),
            stopped: Some("2027-01-01".into()),
            ..MedicationFile::default()
        });
        let err = file.refuse_future(today).unwrap_err();
        assert_eq!(err.path(), Some("medications[0].stopped"));
    }

    #[test]
    fn a_malformed_date_is_named_by_validation_not_by_this_check() {
        let err = lab_on("2026-13-01")
            .validate_on(Knowledge::get(), day("2026-12-01"))
            .unwrap_err();
        assert!(err.to_string().contains("not a valid date"), "{err}");
    }
}
