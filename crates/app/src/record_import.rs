//! Adding a whole record (a record file, or a FHIR Bundle read by
//! [`crate::input`]) to a person's journal.

use chrono::NaiveDate;
use willis_core::{Knowledge, RecordFile};
use willis_store::{materialize, Access, Payload, Person, PersonId, Store, UserId};

use crate::{check_batch, facts, App, AppError, Clock, Result, MAX_IMPORT_ENTRIES};

/// What an import adds to a journal (or, in a dry run, would add).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordImport {
    /// The facts added, in the order they were written: (effective date, fact).
    pub added: Vec<(NaiveDate, Payload)>,
    /// The facts left out because the journal already holds them.
    pub already: Vec<(NaiveDate, Payload)>,
}

/// Facts that hold "as of now" rather than on a day: the same content filed on
/// another day is the same fact.
fn undated(p: &Payload) -> bool {
    matches!(
        p,
        Payload::Patient(_)
            | Payload::Symptoms(_)
            | Payload::Sleep(_)
            | Payload::Habits(_)
            | Payload::Condition { .. }
    )
}

impl<S: Store> App<S> {
    /// Adds a record's facts to `person`'s journal. Everything is checked
    /// before anything is written (errors name the section and index, as in
    /// `labs[2].date`), and all of it is written in one transaction, or
    /// nothing. Facts the journal already holds (the same result on the same
    /// day; the same profile, questionnaire, sleep, habits or condition on any
    /// day) are left out, so importing the same Bundle twice adds nothing the
    /// second time. With `dry_run`, nothing is written: the answer says what
    /// would be added.
    pub async fn import_record(
        &self,
        user: UserId,
        person: PersonId,
        file: &RecordFile,
        dry_run: bool,
        clock: Clock,
    ) -> Result<RecordImport> {
        self.authorize(user, person, Access::Write, clock.now)
            .await?;
        let incoming = record_facts(file, clock)?;
        let entries = self.store.entries(person).await?;
        let current = materialize(&entries, None, None);
        // The journal as facts, the same way the record is turned into facts.
        let held = facts::from_record(&current, clock.today)
            .map_err(|e| AppError::Journal(e.to_string()))?;
        let is_held = |(day, fact): &(NaiveDate, Payload)| {
            held.iter()
                .any(|(d, f)| f == fact && (d == day || undated(fact)))
        };
        let (already, added): (Vec<_>, Vec<_>) = incoming.into_iter().partition(is_held);
        if dry_run {
            self.check_many(person, user, &added, clock).await?;
        } else if !added.is_empty() {
            self.append_many(user, person, added.clone(), clock).await?;
        }
        Ok(RecordImport { added, already })
    }

    /// Adds a record as a new person the user owns, named `name` (made unique
    /// among the user's people). Everything is checked before the person is
    /// created, so a bad record leaves nothing behind.
    pub async fn import_record_as(
        &self,
        user: UserId,
        name: &str,
        file: &RecordFile,
        clock: Clock,
    ) -> Result<(Person, RecordImport)> {
        let incoming = record_facts(file, clock)?;
        // Checked beside an empty journal: the person does not exist yet.
        check_batch(Vec::new(), PersonId(0), user, &incoming, clock)?;
        let taken: Vec<String> = self
            .people(user, clock.now)
            .await?
            .into_iter()
            .map(|(p, _)| p.display_name.to_lowercase())
            .collect();
        let mut unique = name.to_string();
        let mut n = 1;
        while taken.contains(&unique.to_lowercase()) {
            n += 1;
            unique = format!("{name} ({n})");
        }
        let person = self.add_person(user, &unique, clock.now).await?;
        if !incoming.is_empty() {
            self.append_many(user, person.id, incoming.clone(), clock)
                .await?;
        }
        Ok((
            person,
            RecordImport {
                added: incoming,
                already: Vec::new(),
            },
        ))
    }
}

/// A record as journal facts, checked as a record first.
fn record_facts(file: &RecordFile, clock: Clock) -> Result<Vec<(NaiveDate, Payload)>> {
    file.validate_on(Knowledge::get(), clock.today)
        .map_err(|e| AppError::Invalid(e.to_string()))?;
    let facts = facts::from_record(file, clock.today)?;
    if facts.len() > MAX_IMPORT_ENTRIES {
        return Err(AppError::Invalid(format!(
            "the record makes {} journal entries; one import adds at most {MAX_IMPORT_ENTRIES}",
            facts.len()
        )));
    }
    Ok(facts)
}
