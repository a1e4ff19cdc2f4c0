//! Checks of input that need no database, the same for every backend.

use crate::model::{Backup, BackupEntry, Entry, NewEntry, BACKUP_FORMAT};
use crate::payload::Payload;
use crate::{Result, StoreError};

/// A new entry's own consistency; on success its `kind` column and encoded
/// payload.
pub(crate) fn new_entry(entry: &NewEntry) -> Result<(&'static str, String)> {
    if entry.payload == Payload::Tombstone && entry.supersedes.is_none() {
        return Err(StoreError::TombstoneWithoutTarget);
    }
    if let Some(date) = entry.payload.own_date() {
        if !date.is_empty() && date.trim() != entry.effective.to_string() {
            return Err(StoreError::DateMismatch {
                kind: entry.payload.kind(),
                date: date.to_string(),
                effective: entry.effective,
            });
        }
    }
    entry.payload.encode()
}

/// A timestamp every backend stores and reads back the same: years 1 to 9999
/// (beyond, SQLite's text form and PostgreSQL's range part ways).
pub(crate) fn timestamp(
    what: &'static str,
    t: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<()> {
    use chrono::Datelike;
    match t {
        Some(t) if !(1..=9999).contains(&t.year()) => Err(StoreError::OutOfRange {
            what,
            value: t.to_rfc3339(),
        }),
        _ => Ok(()),
    }
}

pub(crate) fn name(what: &'static str, name: &str) -> Result<()> {
    if name.trim().is_empty() {
        Err(StoreError::EmptyName { what })
    } else {
        Ok(())
    }
}

/// A backup's format and every entry's payload, before anything is written.
pub(crate) fn backup(backup: &Backup) -> Result<Vec<Entry>> {
    if backup.format != BACKUP_FORMAT {
        return Err(StoreError::BackupFormat {
            found: backup.format.clone(),
            expected: BACKUP_FORMAT,
        });
    }
    backup.entries.iter().map(BackupEntry::to_entry).collect()
}
