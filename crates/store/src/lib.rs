//! `willis-store`: the durable journal.
//!
//! Users, the people they look after, an **append-only journal** of facts about
//! each person, sharing and an audit trail, on SQLite (the default, one file) or
//! PostgreSQL (clinics running several instances). The shape follows atuin: a
//! [`Store`] trait, one implementation per backend with its own migrations, the
//! backend chosen from the URL scheme by [`open`], and one behavioural test
//! suite run against both.
//!
//! The journal never changes a row: a correction is a new entry that supersedes
//! the old one, a deletion a tombstone entry. [`materialize`] rebuilds a
//! `willis-record/1` [`RecordFile`](willis_core::RecordFile) from the entries
//! as known at any moment.
//!
//! Each backend only runs SQL (`sqlite.rs`, `postgres.rs`); every rule — who
//! may read, write or share ([`access`]), what a correction may supersede,
//! which audit row a change writes — is shared code (`operations.rs`), so both
//! backends behave the same by construction. The `*_audited` operations write
//! their audit row in the same transaction as the change: both or neither.
//!
//! Passwords are kept as [`PasswordHash`], which never prints and never
//! serialises; only a backup's [`BackupUser`] carries it, so that an import
//! restores logins.
//!
//! # Tests against PostgreSQL
//!
//! The suite in `tests/store/` runs on SQLite always, and on PostgreSQL when
//! the tests are *built* with `WILLIS_TEST_POSTGRES` (the server's URL) or `CI`
//! set: `build.rs` then turns on the `willis_pg` cfg. Without it the
//! PostgreSQL tests are reported as ignored; with it they fail when the
//! server cannot be reached. They never pass without running.

use std::future::Future;

use chrono::{DateTime, Utc};

pub mod access;
mod backend;
mod checks;
mod error;
pub mod journal;
mod model;
mod operations;
mod payload;
mod postgres;
mod rows;
mod sqlite;

pub use error::{Result, StoreError};
pub use journal::materialize;
pub use model::{
    now, Access, Actor, AuditId, AuditRow, Backup, BackupEntry, BackupUser, Entry, EntryId,
    NewAudit, NewEntry, NewToken, PasswordHash, Person, PersonId, Share, ShareId, Token, TokenId,
    TokenKind, UnknownTokenKind, User, UserId, BACKUP_FORMAT,
};
pub use payload::Payload;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// The storage operations every backend provides, with the same behaviour
/// (checked by one test suite run against each).
///
/// Authorisation of reads is the caller's job ([`Store::access`] answers it);
/// the store itself refuses an append by someone without write access and a
/// share granted by someone without it, so the journal's `recorded_by` always
/// names someone who was allowed.
///
/// Changes come in two forms: plain (`append`, `grant`, …) and audited
/// (`append_audited`, `grant_audited`, …). A front end acting for a user
/// should use the audited form: it takes the [`Actor`] and writes the audit
/// row in the change's own transaction, so neither is kept without the other.
/// Both forms run the same shared code; the plain one only skips the row.
pub trait Store: Clone + Send + Sync + 'static {
    /// Opens (creating an SQLite file if missing) and migrates.
    fn connect(url: &str) -> impl Future<Output = Result<Self>> + Send
    where
        Self: Sized;

    /// Brings the schema up to date; a second run is a no-op.
    fn migrate(&self) -> impl Future<Output = Result<()>> + Send;

    /// Closes the connections (waits for them to finish).
    fn close(&self) -> impl Future<Output = ()> + Send;

    fn create_user(
        &self,
        name: &str,
        password_hash: Option<&PasswordHash>,
    ) -> impl Future<Output = Result<User>> + Send;
    fn user(&self, id: UserId) -> impl Future<Output = Result<Option<User>>> + Send;
    fn user_by_name(&self, name: &str) -> impl Future<Output = Result<Option<User>>> + Send;

    fn create_person(
        &self,
        owner: UserId,
        display_name: &str,
    ) -> impl Future<Output = Result<Person>> + Send;
    /// [`Store::create_person`] and its `create-person` audit row (detail: the
    /// display name), in one transaction.
    fn create_person_audited(
        &self,
        owner: UserId,
        display_name: &str,
        actor: &Actor,
    ) -> impl Future<Output = Result<Person>> + Send;
    fn person(&self, id: PersonId) -> impl Future<Output = Result<Option<Person>>> + Send;
    /// The people `user` owns (write access) and those shared with them and
    /// active at `now`, with the access they have, ordered by person id.
    fn people_of(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<(Person, Access)>>> + Send;

    /// Appends one entry in one transaction. `supersedes` must name an entry of
    /// the same person that nothing supersedes yet; `recorded_by` needs write
    /// access.
    fn append(&self, entry: NewEntry) -> impl Future<Output = Result<Entry>> + Send;
    /// [`Store::append`] and its audit row, in one transaction: action
    /// `append` (`entry 7`), `correct` (`entry 8 corrects 7`) or `delete` for
    /// a tombstone (`entry 9 deletes 8`). The entry's `recorded_by` must be
    /// `actor.user`.
    fn append_audited(
        &self,
        entry: NewEntry,
        actor: &Actor,
    ) -> impl Future<Output = Result<Entry>> + Send;
    /// Appends all entries in one transaction: all or nothing.
    fn append_many(
        &self,
        entries: Vec<NewEntry>,
    ) -> impl Future<Output = Result<Vec<Entry>>> + Send;
    /// [`Store::append_many`] and, in the same transaction, one `append-many`
    /// audit row per person concerned (`entries 4..9 (6)`); every entry's
    /// `recorded_by` must be `actor.user`. No entries, no row.
    fn append_many_audited(
        &self,
        entries: Vec<NewEntry>,
        actor: &Actor,
    ) -> impl Future<Output = Result<Vec<Entry>>> + Send;
    /// Every entry of the person, corrections and tombstones included, by id.
    fn entries(&self, person: PersonId) -> impl Future<Output = Result<Vec<Entry>>> + Send;
    fn last_entry(&self, person: PersonId) -> impl Future<Output = Result<Option<Entry>>> + Send;

    /// Gives `grantee` access to `person`'s journal until `expires_at` (if any).
    fn grant(
        &self,
        person: PersonId,
        grantee: UserId,
        access: Access,
        by: UserId,
        expires_at: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<Share>> + Send;
    /// [`Store::grant`] by `actor.user` and its `grant` audit row
    /// (`share 3: read for user 5 until 2026-04-01T09:00:00Z`, or
    /// `until no expiry`), in one transaction.
    fn grant_audited(
        &self,
        person: PersonId,
        grantee: UserId,
        access: Access,
        expires_at: Option<DateTime<Utc>>,
        actor: &Actor,
    ) -> impl Future<Output = Result<Share>> + Send;
    /// Ends a share; revoking it again keeps the first revocation time. The
    /// caller checks who may: [`Store::revoke_audited`] checks it itself.
    fn revoke(&self, share: ShareId) -> impl Future<Output = Result<Share>> + Send;
    /// [`Store::revoke`] and its `revoke` audit row (`share 3`), in one
    /// transaction; refused unless `actor.user` is the grantee or may grant
    /// access to the person ([`access::may_revoke`]).
    fn revoke_audited(
        &self,
        share: ShareId,
        actor: &Actor,
    ) -> impl Future<Output = Result<Share>> + Send;
    /// Every share of the person, revoked and expired ones included, by id.
    fn shares(&self, person: PersonId) -> impl Future<Output = Result<Vec<Share>>> + Send;
    /// The owner has write access; anyone else what their best share active at
    /// `now` (not revoked, not expired) gives; `None` for no access.
    fn access(
        &self,
        user: UserId,
        person: PersonId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Access>>> + Send;

    fn audit(&self, row: NewAudit) -> impl Future<Output = Result<AuditRow>> + Send;
    /// The audit rows about a person, oldest first.
    fn audit_log(&self, person: PersonId) -> impl Future<Output = Result<Vec<AuditRow>>> + Send;

    /// Stores a new token (the hash must be unique: a duplicate is
    /// [`StoreError::TokenTaken`]). The user (and the person, if any) must
    /// exist.
    fn create_token(&self, token: NewToken) -> impl Future<Output = Result<Token>> + Send;
    /// The token whose secret hashes to `hash`, active or not (the caller
    /// checks [`Token::active_at`]).
    fn token_by_hash(&self, hash: &str) -> impl Future<Output = Result<Option<Token>>> + Send;
    /// Every token of the user (all kinds, revoked and expired included), by id.
    fn tokens_of(&self, user: UserId) -> impl Future<Output = Result<Vec<Token>>> + Send;
    /// Ends a token; revoking again keeps the first revocation time. An
    /// unknown id is [`StoreError::UnknownToken`].
    fn revoke_token(
        &self,
        id: TokenId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Token>> + Send;
    /// Deletes tokens that expired or were revoked before `before`; returns
    /// how many.
    fn purge_tokens(&self, before: DateTime<Utc>) -> impl Future<Output = Result<u64>> + Send;
    /// One share by id (revoked and expired included).
    fn share(&self, id: ShareId) -> impl Future<Output = Result<Option<Share>>> + Send;
    /// Sets (or replaces) a user's password hash; an unknown user is
    /// [`StoreError::UnknownUser`].
    fn set_password(
        &self,
        user: UserId,
        hash: &PasswordHash,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Every table, full history, in one consistent snapshot. Tokens are not
    /// part of it: sessions and API tokens are not data worth restoring.
    fn export(&self) -> impl Future<Output = Result<Backup>> + Send;
    /// Restores a backup into an empty database, ids preserved, in one
    /// transaction: a failure changes nothing. No tokens are restored.
    fn import(&self, backup: &Backup) -> impl Future<Output = Result<()>> + Send;
}

/// The backend a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `sqlite:` (e.g. `sqlite://willis.db`, `sqlite:///var/lib/willis.db`) or
    /// `postgres://` / `postgresql://`.
    pub fn of_url(url: &str) -> Result<Backend> {
        let Some((scheme, _)) = url.split_once(':') else {
            return Err(StoreError::NoScheme {
                url: url.to_string(),
            });
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(StoreError::UnsupportedScheme {
                scheme: scheme.to_string(),
            }),
        }
    }
}

/// A store of either backend, chosen at run time from the URL.
#[derive(Debug, Clone)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Opens the store the URL names and brings its schema up to date.
pub async fn open(url: &str) -> Result<AnyStore> {
    match Backend::of_url(url)? {
        Backend::Sqlite => Ok(AnyStore::Sqlite(SqliteStore::open(url).await?)),
        Backend::Postgres => Ok(AnyStore::Postgres(PgStore::open(url).await?)),
    }
}

impl AnyStore {
    pub fn backend(&self) -> Backend {
        match self {
            AnyStore::Sqlite(_) => Backend::Sqlite,
            AnyStore::Postgres(_) => Backend::Postgres,
        }
    }
}

macro_rules! dispatch {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match $self {
            AnyStore::Sqlite(s) => s.$method($($arg),*).await,
            AnyStore::Postgres(s) => s.$method($($arg),*).await,
        }
    };
}

impl Store for AnyStore {
    async fn connect(url: &str) -> Result<Self> {
        open(url).await
    }
    async fn migrate(&self) -> Result<()> {
        dispatch!(self.migrate())
    }
    async fn close(&self) {
        dispatch!(self.close())
    }
    async fn create_user(&self, name: &str, password_hash: Option<&PasswordHash>) -> Result<User> {
        dispatch!(self.create_user(name, password_hash))
    }
    async fn user(&self, id: UserId) -> Result<Option<User>> {
        dispatch!(self.user(id))
    }
    async fn user_by_name(&self, name: &str) -> Result<Option<User>> {
        dispatch!(self.user_by_name(name))
    }
    async fn create_person(&self, owner: UserId, display_name: &str) -> Result<Person> {
        dispatch!(self.create_person(owner, display_name))
    }
    async fn create_person_audited(
        &self,
        owner: UserId,
        display_name: &str,
        actor: &Actor,
    ) -> Result<Person> {
        dispatch!(self.create_person_audited(owner, display_name, actor))
    }
    async fn person(&self, id: PersonId) -> Result<Option<Person>> {
        dispatch!(self.person(id))
    }
    async fn people_of(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<(Person, Access)>> {
        dispatch!(self.people_of(user, now))
    }
    async fn append(&self, entry: NewEntry) -> Result<Entry> {
        dispatch!(self.append(entry))
    }
    async fn append_audited(&self, entry: NewEntry, actor: &Actor) -> Result<Entry> {
        dispatch!(self.append_audited(entry, actor))
    }
    async fn append_many(&self, entries: Vec<NewEntry>) -> Result<Vec<Entry>> {
        dispatch!(self.append_many(entries))
    }
    async fn append_many_audited(
        &self,
        entries: Vec<NewEntry>,
        actor: &Actor,
    ) -> Result<Vec<Entry>> {
        dispatch!(self.append_many_audited(entries, actor))
    }
    async fn entries(&self, person: PersonId) -> Result<Vec<Entry>> {
        dispatch!(self.entries(person))
    }
    async fn last_entry(&self, person: PersonId) -> Result<Option<Entry>> {
        dispatch!(self.last_entry(person))
    }
    async fn grant(
        &self,
        person: PersonId,
        grantee: UserId,
        access: Access,
        by: UserId,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<Share> {
        dispatch!(self.grant(person, grantee, access, by, expires_at))
    }
    async fn grant_audited(
        &self,
        person: PersonId,
        grantee: UserId,
        access: Access,
        expires_at: Option<DateTime<Utc>>,
        actor: &Actor,
    ) -> Result<Share> {
        dispatch!(self.grant_audited(person, grantee, access, expires_at, actor))
    }
    async fn revoke(&self, share: ShareId) -> Result<Share> {
        dispatch!(self.revoke(share))
    }
    async fn revoke_audited(&self, share: ShareId, actor: &Actor) -> Result<Share> {
        dispatch!(self.revoke_audited(share, actor))
    }
    async fn shares(&self, person: PersonId) -> Result<Vec<Share>> {
        dispatch!(self.shares(person))
    }
    async fn access(
        &self,
        user: UserId,
        person: PersonId,
        now: DateTime<Utc>,
    ) -> Result<Option<Access>> {
        dispatch!(self.access(user, person, now))
    }
    async fn audit(&self, row: NewAudit) -> Result<AuditRow> {
        dispatch!(self.audit(row))
    }
    async fn audit_log(&self, person: PersonId) -> Result<Vec<AuditRow>> {
        dispatch!(self.audit_log(person))
    }
    async fn create_token(&self, token: NewToken) -> Result<Token> {
        dispatch!(self.create_token(token))
    }
    async fn token_by_hash(&self, hash: &str) -> Result<Option<Token>> {
        dispatch!(self.token_by_hash(hash))
    }
    async fn tokens_of(&self, user: UserId) -> Result<Vec<Token>> {
        dispatch!(self.tokens_of(user))
    }
    async fn revoke_token(&self, id: TokenId, now: DateTime<Utc>) -> Result<Token> {
        dispatch!(self.revoke_token(id, now))
    }
    async fn purge_tokens(&self, before: DateTime<Utc>) -> Result<u64> {
        dispatch!(self.purge_tokens(before))
    }
    async fn share(&self, id: ShareId) -> Result<Option<Share>> {
        dispatch!(self.share(id))
    }
    async fn set_password(&self, user: UserId, hash: &PasswordHash) -> Result<()> {
        dispatch!(self.set_password(user, hash))
    }
    async fn export(&self) -> Result<Backup> {
        dispatch!(self.export())
    }
    async fn import(&self, backup: &Backup) -> Result<()> {
        dispatch!(self.import(backup))
    }
}

/// The URL with any password replaced by `***`, for messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_from_scheme() {
        assert_eq!(
            Backend::of_url("sqlite://willis.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::of_url("sqlite:///tmp/w.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::of_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::of_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        let err = Backend::of_url("mysql://u@h/db").unwrap_err().to_string();
        assert_eq!(
            err,
            "unsupported database URL scheme \"mysql\"; use sqlite://PATH or postgres://..."
        );
        let err = Backend::of_url("willis.db").unwrap_err().to_string();
        assert!(err.contains("has no scheme"), "{err}");
    }

    #[test]
    fn passwords_are_hidden_in_messages() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
    }
}
