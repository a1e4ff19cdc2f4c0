//! A new journal entry is checked by the same code as a record file before it
//! is stored: first alone (so the error names the entry's own field), then
//! folded into the person's journal (so an entry that only fails beside the
//! others, a stop before its start, is refused too). One bad entry can
//! therefore never make a journal unreadable.

use chrono::NaiveDate;
use willis_core::{Knowledge, RecordError, RecordFile, RECORD_FORMAT};
use willis_store::{materialize, now, Entry, EntryId, NewEntry, Payload};

use crate::error::{AppError, Result};

/// Checks `new` against `today` and the person's `journal` (all its entries).
pub fn check_entry(new: &NewEntry, journal: &[Entry], today: NaiveDate) -> Result<()> {
    check_alone(new, today)?;
    if new.payload == Payload::Tombstone {
        return Ok(());
    }

    let next = EntryId(journal.iter().map(|e| e.id.0).max().unwrap_or(0) + 1);
    let mut all = journal.to_vec();
    all.push(provisional(new, next));
    let with_it = materialize(&all, None, None).validate_on(Knowledge::get(), today);
    if let Err(e) = with_it {
        // Refuse only what breaks a journal that reads today; a journal that is
        // already broken (an old backup) must still take the correction.
        let before = materialize(journal, None, None).validate_on(Knowledge::get(), today);
        if before.is_ok() {
            return Err(AppError::Invalid(format!(
                "this entry would make the journal invalid: {e}"
            )));
        }
    }
    Ok(())
}

/// Checks `new` on its own: its date against `today`, its fields as a
/// one-entry record. (Importers check every entry so, then the whole journal
/// once, which keeps a large import linear.)
pub fn check_alone(new: &NewEntry, today: NaiveDate) -> Result<()> {
    if new.effective > today {
        return Err(AppError::Invalid(format!(
            "date: {} is after today ({today}); an entry cannot be dated in the future, so \
             check the year, month and day",
            new.effective
        )));
    }
    if new.payload == Payload::Tombstone {
        return Ok(());
    }
    let alone = materialize(&[provisional(new, EntryId(i64::MAX))], None, None);
    alone
        .validate_on(Knowledge::get(), today)
        .map(|_| ())
        .map_err(|e| AppError::Invalid(field_error(&alone, &e)))
}

/// The new entry as the journal would hold it.
fn provisional(new: &NewEntry, id: EntryId) -> Entry {
    Entry {
        id,
        person_id: new.person_id,
        effective: new.effective,
        payload: new.payload.clone(),
        recorded_at: now(),
        recorded_by: new.recorded_by,
        supersedes: new.supersedes,
    }
}

/// The error of a one-entry record, named by the entry's own field: the
/// record's section (`labs[0].`, `patient.`, ...) is the entry itself.
fn field_error(file: &RecordFile, error: &RecordError) -> String {
    let RecordError::Invalid { path, message } = error else {
        return error.to_string();
    };
    let section = section_of(file);
    let field = section
        .and_then(|s| path.strip_prefix(s))
        .map(|rest| rest.trim_start_matches('.'))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(path);
    format!("{field}: {message}")
}

/// The path prefix of the one fact in a one-entry record.
fn section_of(file: &RecordFile) -> Option<&'static str> {
    if file.patient.is_some() {
        Some("patient")
    } else if file.symptoms.is_some() {
        Some("symptoms")
    } else if file.habits.is_some() {
        Some("habits")
    } else if file.sleep.is_some() {
        Some("sleep")
    } else if !file.labs.is_empty() {
        Some("labs[0]")
    } else if !file.diary.is_empty() {
        Some("diary[0]")
    } else if !file.medications.is_empty() {
        Some("medications[0]")
    } else if !file.iron_treatments.is_empty() {
        Some("iron_treatments[0]")
    } else {
        None
    }
}

/// An empty record, for callers that need one.
pub fn empty_record() -> RecordFile {
    RecordFile {
        format: RECORD_FORMAT.to_string(),
        ..RecordFile::default()
    }
}

#[cfg(test)]
mod tests {
    use willis_core::LabFile;
    use willis_store::{PersonId, UserId};

    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn lab(unit: &str, date: &str) -> NewEntry {
        NewEntry::new(
            PersonId(1),
            UserId(1),
            day(date),
            Payload::Lab(LabFile {
                test: "ferritin".into(),
                value: 45.0,
                unit: unit.into(),
                date: String::new(),
                ..LabFile::default()
            }),
        )
    }

    #[test]
    fn a_bad_unit_is_named_by_the_entrys_own_field() {
        let err = check_entry(&lab("mg/furlong", "2026-11-01"), &[], day("2026-12-01"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("unit: \"mg/furlong\" is not a unit for ferritin"),
            "{err}"
        );
    }

    #[test]
    fn a_date_after_today_is_refused_and_today_accepted() {
        let today = day("2026-12-01");
        assert!(check_entry(&lab("ng/mL", "2026-12-01"), &[], today).is_ok());
        let err = check_entry(&lab("ng/mL", "2026-12-02"), &[], today)
            .unwrap_err()
            .to_string();
        assert!(err.contains("after today (2026-12-01)"), "{err}");
    }

    #[test]
    fn a_broken_journal_still_takes_a_correction() {
        let today = day("2026-12-01");
        // An entry that no longer validates (as an old backup might hold).
        let broken = provisional(&lab("mg/furlong", "2026-11-01"), EntryId(1));
        let fix = lab("ng/mL", "2026-11-01").correcting(EntryId(1));
        assert!(check_entry(&fix, std::slice::from_ref(&broken), today).is_ok());
        // An unrelated valid entry is accepted as well: the journal was broken before it.
        assert!(check_entry(&lab("ng/mL", "2026-11-02"), &[broken], today).is_ok());
    }
}
