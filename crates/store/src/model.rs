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
id_type!(
    /// One secret token (a session, an API token or a calendar subscription).
    TokenId
);

/// The store's clock: now, to the microsecond (both backends keep microseconds,
/// so a value read back equals the value written).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A password hash (e.g. an argon2id PHC string), made and checked by the web
/// layer; the store only keeps it.
///
/// It never leaves by accident: `Debug` prints `PasswordHash(***)`, there is no
/// `Display` and no `Serialize`. The one way out is [`PasswordHash::expose`],
/// used to store it, to check a login, and by [`BackupUser`].
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn new(hash: impl Into<String>) -> Self {
        Self(hash.into())
    }

    /// The hash itself: for checking a password or storing it, never for
    /// showing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

/// A login. Not serialisable (it holds the password hash): a backup carries
/// users as [`BackupUser`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub password_hash: Option<PasswordHash>,
    pub created_at: DateTime<Utc>,
}

/// Who did a change, and from where; the store writes the audit row for it
/// in the same transaction as the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user: UserId,
    /// `cli`, or the client's IP address.
    pub origin: String,
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
    /// Not revoked and not expired at `now` (the rule is [`crate::access::is_active`]).
    pub fn active_at(&self, now: DateTime<Utc>) -> bool {
        crate::access::is_active(self, now)
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

/// What a secret token opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenKind {
    /// A browser session (with its CSRF secret).
    Session,
    /// An API token for scripts and apps.
    Api,
    /// A read-only calendar subscription for one person.
    Calendar,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Session => "session",
            TokenKind::Api => "api",
            TokenKind::Calendar => "calendar",
        }
    }

    /// The kind [`TokenKind::as_str`] names, if any.
    pub fn parse(text: &str) -> Option<TokenKind> {
        match text {
            "session" => Some(TokenKind::Session),
            "api" => Some(TokenKind::Api),
            "calendar" => Some(TokenKind::Calendar),
            _ => None,
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown token kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a token kind; use session, api or calendar")]
pub struct UnknownTokenKind(pub String);

impl std::str::FromStr for TokenKind {
    type Err = UnknownTokenKind;

    fn from_str(text: &str) -> Result<TokenKind, UnknownTokenKind> {
        TokenKind::parse(text).ok_or_else(|| UnknownTokenKind(text.to_string()))
    }
}

/// A secret the server handed out: a browser session, an API token or a
/// calendar subscription. Only the SHA-256 hash of the secret is stored (and
/// it is not part of this value, so it never prints).
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub id: TokenId,
    pub user_id: UserId,
    pub kind: TokenKind,
    /// The person a calendar token is for (None for sessions and API tokens).
    pub person_id: Option<PersonId>,
    /// A name the user gave (API tokens) or the user agent (sessions); may be empty.
    pub label: String,
    /// The CSRF secret bound to a session (None for other kinds).
    pub csrf: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Token {
    /// Not revoked and not expired at `now` (expires_at == now counts as expired).
    pub fn active_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|end| end > now)
    }
}

/// A token to store; the store gives it its id.
#[derive(Debug, Clone, PartialEq)]
pub struct NewToken {
    pub user_id: UserId,
    pub kind: TokenKind,
    pub person_id: Option<PersonId>,
    pub label: String,
    pub csrf: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Hex SHA-256 of the secret (computed by the caller); unique.
    pub hash: String,
}

/// A whole database, full history included: the `willis-backup/1` file.
///
/// It holds password hashes and health data: keep it as safe as the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    pub format: String,
    pub users: Vec<BackupUser>,
    pub people: Vec<Person>,
    pub entries: Vec<BackupEntry>,
    pub shares: Vec<Share>,
    pub audit: Vec<AuditRow>,
}

impl Backup {
    /// The backup without any password hash: what the web app hands out, since
    /// a download should carry the journals, not a way to sign in.
    pub fn without_password_hashes(mut self) -> Backup {
        for user in &mut self.users {
            user.password_hash = None;
        }
        self
    }
}

/// A user as kept in a backup: the one serialised form of a user, and the one
/// that carries the password hash in the clear, so that an import restores
/// logins. `Debug` still hides the hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupUser {
    pub id: UserId,
    pub name: String,
    #[serde(with = "hash_in_backup")]
    pub password_hash: Option<PasswordHash>,
    pub created_at: DateTime<Utc>,
}

impl From<BackupUser> for User {
    fn from(u: BackupUser) -> User {
        User {
            id: u.id,
            name: u.name,
            password_hash: u.password_hash,
            created_at: u.created_at,
        }
    }
}

/// The hash as a plain string (or null) in the backup file: the only serde
/// path a [`PasswordHash`] has.
mod hash_in_backup {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::PasswordHash;

    pub fn serialize<S: Serializer>(
        hash: &Option<PasswordHash>,
        out: S,
    ) -> Result<S::Ok, S::Error> {
        match hash {
            Some(hash) => out.serialize_some(hash.expose()),
            None => out.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        input: D,
    ) -> Result<Option<PasswordHash>, D::Error> {
        Ok(Option::<String>::deserialize(input)?.map(PasswordHash::new))
    }
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

    fn ada() -> User {
        User {
            id: UserId(1),
            name: "ada".into(),
            password_hash: Some(PasswordHash::new("$argon2id$v=19$secret-hash")),
            created_at: now(),
        }
    }

    #[test]
    fn a_user_printed_for_debugging_hides_the_hash() {
        let user = ada();
        for text in [format!("{user:?}"), format!("{user:#?}")] {
            assert!(!text.contains("secret-hash"), "{text}");
            assert!(text.contains("PasswordHash(***)"), "{text}");
        }
        let row = BackupUser {
            id: user.id,
            name: user.name.clone(),
            password_hash: user.password_hash.clone(),
            created_at: user.created_at,
        };
        assert!(!format!("{row:?}").contains("secret-hash"));
    }

    #[test]
    fn a_backup_user_carries_the_hash_and_reads_back() {
        let user = ada();
        let row = BackupUser {
            id: user.id,
            name: user.name.clone(),
            password_hash: user.password_hash.clone(),
            created_at: user.created_at,
        };
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["password_hash"], "$argon2id$v=19$secret-hash");
        let back: BackupUser = serde_json::from_value(json).unwrap();
        assert_eq!(User::from(back), user);
        let none = BackupUser {
            password_hash: None,
            ..row
        };
        let json = serde_json::to_value(&none).unwrap();
        assert!(json["password_hash"].is_null());
        assert_eq!(serde_json::from_value::<BackupUser>(json).unwrap(), none);
    }

    #[test]
    fn token_kinds_read_back_as_text_and_json() {
        for kind in [TokenKind::Session, TokenKind::Api, TokenKind::Calendar] {
            assert_eq!(TokenKind::parse(kind.as_str()), Some(kind));
            assert_eq!(kind.as_str().parse::<TokenKind>(), Ok(kind));
            assert_eq!(kind.to_string(), kind.as_str());
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(TokenKind::parse("Session"), None);
        let err = "cookie".parse::<TokenKind>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"cookie\" is not a token kind; use session, api or calendar"
        );
    }

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
