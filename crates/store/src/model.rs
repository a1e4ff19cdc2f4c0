//! The rows the store keeps, as Rust values, and the `willis-backup/1` file.

use std::fmt;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::payload::Payload;

pub const BACKUP_FORMAT: &str = "willis-backup/1";

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
            sqlx::Type,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A login: someone who uses Willis.
    UserId
);
id_type!(
    /// Someone whose care is tracked; a user may manage several people.
    PersonId
);
id_type!(
    /// One journal entry; ids grow with every append.
    EntryId
);
id_type!(
    /// One grant of access to a person's journal.
    ShareId
);
id_type!(
    /// One audit row.
    AuditId
);

/// The store's clock: now, to the microsecond (both backends keep microseconds,
/// so a value read back equals the value written).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub id: UserId,
    pub name: String,
    /// Set and checked by the web layer; the store only keeps it.
    pub password_hash: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub id: PersonId,
    pub owner_id: UserId,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
}

/// One fact in a person's append-only journal. As JSON, the payload's `kind`
/// and `payload` fields sit beside the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: EntryId,
    pub person_id: PersonId,
    /// The date the fact is about (the lab's date, the diary night, a start date).
    pub effective: NaiveDate,
    #[serde(flatten)]
    pub payload: Payload,
    /// When the store learnt the fact (UTC, microseconds).
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: UserId,
    /// The entry this one corrects (or, for a tombstone, deletes).
    pub supersedes: Option<EntryId>,
}

impl Entry {
    pub fn kind(&self) -> &'static str {
        self.payload.kind()
    }
}

/// An entry to append; the store gives it its id and `recorded_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub person_id: PersonId,
    pub effective: NaiveDate,
    pub payload: Payload,
    pub recorded_by: UserId,
    pub supersedes: Option<EntryId>,
}

impl NewEntry {
    /// A new fact (supersedes nothing).
    pub fn new(
        person_id: PersonId,
        recorded_by: UserId,
        effective: NaiveDate,
        payload: Payload,
    ) -> Self {
        Self {
            person_id,
            effective,
            payload,
            recorded_by,
            supersedes: None,
        }
    }

    /// A correction: `payload` replaces entry `old`.
    pub fn correcting(mut self, old: EntryId) -> Self {
        self.supersedes = Some(old);
        self
    }

    /// A deletion of entry `old`.
    pub fn tombstone(
        person_id: PersonId,
        recorded_by: UserId,
        effective: NaiveDate,
        old: EntryId,
    ) -> Self {
        Self::new(person_id, recorded_by, effective, Payload::Tombstone).correcting(old)
    }
}

/// What a user may do with a person's journal. `Write` includes reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Access> {
        match text {
            "read" => Some(Access::Read),
            "write" => Some(Access::Write),
            _ => None,
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Share {
    pub id: ShareId,
    pub person_id: PersonId,
    pub grantee_id: UserId,
    pub access: Access,
    pub granted_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Share {
    /// Not revoked and not expired at `now`.
    pub fn active_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRow {
    pub id: AuditId,
    pub at: DateTime<Utc>,
    pub user_id: Option<UserId>,
    pub person_id: Option<PersonId>,
    /// What happened, e.g. `read`, `append`, `export`, `grant`.
    pub action: String,
    pub detail: String,
    /// Where it came from: `cli`, or the client's IP address.
    pub origin: String,
}

/// An audit row to write; the store gives it its id and time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewAudit {
    pub user_id: Option<UserId>,
    pub person_id: Option<PersonId>,
    pub action: String,
    pub detail: String,
    pub origin: String,
}

/// A whole database, full history included: the `willis-backup/1` file.
///
/// It holds password hashes and health data: keep it as safe as the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    pub format: String,
    pub users: Vec<User>,
    pub people: Vec<Person>,
    pub entries: Vec<BackupEntry>,
    pub shares: Vec<Share>,
    pub audit: Vec<AuditRow>,
}

/// A journal entry as kept in a backup: the payload as JSON, checked on import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupEntry {
    pub id: EntryId,
    pub person_id: PersonId,
    pub kind: String,
    pub effective: NaiveDate,
    pub payload: serde_json::Value,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: UserId,
    pub supersedes: Option<EntryId>,
}

impl BackupEntry {
    /// The entry, if its kind and payload are ones this version reads.
    pub fn to_entry(&self) -> Result<Entry, crate::StoreError> {
        let payload = Payload::from_value(&self.kind, self.payload.clone()).map_err(|e| {
            crate::StoreError::BadBackupEntry {
                entry: self.id,
                message: e.to_string(),
            }
        })?;
        Ok(Entry {
            id: self.id,
            person_id: self.person_id,
            effective: self.effective,
            payload,
            recorded_at: self.recorded_at,
            recorded_by: self.recorded_by,
            supersedes: self.supersedes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_as_json_reads_back() {
        let entry = Entry {
            id: EntryId(7),
            person_id: PersonId(2),
            effective: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            payload: Payload::Condition {
                name: "diabetes".into(),
            },
            recorded_at: now(),
            recorded_by: UserId(1),
            supersedes: Some(EntryId(5)),
        };
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(json["kind"], "condition");
        assert_eq!(json["payload"]["name"], "diabetes");
        assert_eq!(json["supersedes"], 5);
        assert_eq!(serde_json::from_value::<Entry>(json).unwrap(), entry);
        let gone = Entry {
            payload: Payload::Tombstone,
            ..entry
        };
        let back: Entry = serde_json::from_value(serde_json::to_value(&gone).unwrap()).unwrap();
        assert_eq!(back, gone);
    }
}
