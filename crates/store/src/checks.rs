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
