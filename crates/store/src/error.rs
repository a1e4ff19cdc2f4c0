//! What can go wrong in the store, in words a person can act on.

use crate::model::{EntryId, PersonId, ShareId, TokenId, UserId};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL scheme {scheme:?}; use sqlite://PATH or postgres://...")]
    UnsupportedScheme { scheme: String },
    #[error("the database URL {url:?} has no scheme; use sqlite://PATH or postgres://...")]
    NoScheme { url: String },
    #[error("cannot open the database at {target}: {source}")]
    Open {
        /// The file path, or the URL with its password hidden.
        target: String,
        source: sqlx::Error,
    },
    #[error("the database schema could not be brought up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),

    #[error("{what} {value} is out of range; use a date between the years 1 and 9999")]
    OutOfRange { what: &'static str, value: String },
    #[error("{what} is empty; give a name")]
    EmptyName { what: &'static str },
    #[error("the user name {name:?} is taken; choose another")]
    NameTaken { name: String },
    #[error("user {0} does not exist")]
    UnknownUser(UserId),
    #[error("person {0} does not exist")]
    UnknownPerson(PersonId),
    #[error("entry {0} does not exist")]
    UnknownEntry(EntryId),
    #[error("share {0} does not exist")]
    UnknownShare(ShareId),
    #[error("token {0} does not exist")]
    UnknownToken(TokenId),
    #[error("a token with the same secret exists already; make a new secret")]
    TokenTaken,

    #[error("user {user} may not write to the journal of person {person}; the owner can grant write access")]
    NoWriteAccess { user: UserId, person: PersonId },
    #[error("user {user} may not share person {person}; only someone with write access can")]
    NoShareAccess { user: UserId, person: PersonId },
    #[error("user {user} may not end share {share}; only its grantee or someone with write access to the person can")]
    NoRevokeAccess { user: UserId, share: ShareId },
    #[error("the entry is recorded by user {recorded_by} but user {actor} is making the change; record it as user {actor}")]
    ActorIsNotRecorder { actor: UserId, recorded_by: UserId },
    #[error("entry {entry} belongs to another person")]
    OtherPerson { entry: EntryId },
    #[error(
        "entry {entry} is already superseded by entry {by}; correct or delete entry {by} instead"
    )]
    AlreadySuperseded { entry: EntryId, by: EntryId },
    #[error("a tombstone must name the entry it deletes (supersedes is empty)")]
    TombstoneWithoutTarget,
    #[error("the {kind} entry's date {date:?} differs from its effective date {effective}; give the same date (or leave the payload's date empty)")]
    DateMismatch {
        kind: &'static str,
        date: String,
        effective: chrono::NaiveDate,
    },
    #[error("the {kind} payload cannot be stored: {message}")]
    InvalidPayload { kind: &'static str, message: String },
    #[error("entry {entry} in the database cannot be read: {message}")]
    Corrupt { entry: EntryId, message: String },

    #[error("the database is not empty: import needs an empty database")]
    NotEmpty,
    #[error("{found:?} is not a backup format this version reads; use \"{expected}\"")]
    BackupFormat {
        found: String,
        expected: &'static str,
    },
    #[error("entry {entry} in the backup is not valid: {message}")]
    BadBackupEntry { entry: EntryId, message: String },
}
