//! What a backend provides: transactions ([`Engine`]) and rows ([`Rows`]).
//!
//! A backend holds SQL only. Every rule — who may do what, what a correction
//! may supersede, what is audited — is in `operations.rs` and `access.rs`,
//! which run the same way on either backend.

use std::future::Future;
use std::ops::DerefMut;

use chrono::{DateTime, NaiveDate, Utc};

use crate::model::{
    Access, AuditId, AuditRow, BackupEntry, BackupUser, Entry, EntryId, NewAudit, NewToken,
    PasswordHash, Person, PersonId, Share, ShareId, Token, TokenId, User, UserId,
};
use crate::Result;

pub(crate) const USER_COLUMNS: &str = "id, name, password_hash, created_at";
pub(crate) const PERSON_COLUMNS: &str = "id, owner_id, display_name, created_at";
pub(crate) const ENTRY_COLUMNS: &str =
    "id, person_id, kind, effective_date, payload, recorded_at, recorded_by, supersedes";
pub(crate) const SHARE_COLUMNS: &str =
    "id, person_id, grantee_id, access, granted_by, created_at, expires_at, revoked_at";
pub(crate) const AUDIT_COLUMNS: &str = "id, at, user_id, person_id, action, detail, origin";
/// Every column of `tokens` but the hash, which is only ever compared.
pub(crate) const TOKEN_COLUMNS: &str =
    "id, user_id, kind, person_id, label, csrf, created_at, expires_at, revoked_at";

/// A new journal row, checked and encoded, ready to insert.
pub(crate) struct EntryRow<'a> {
    pub person_id: PersonId,
    pub kind: &'a str,
    pub effective: NaiveDate,
    pub payload: &'a str,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: UserId,
    pub supersedes: Option<EntryId>,
}

/// A new share, checked, ready to insert.
pub(crate) struct ShareRow {
    pub person_id: PersonId,
    pub grantee_id: UserId,
    pub access: Access,
    pub granted_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// What is known of the entry a new one supersedes.
pub(crate) struct Superseded {
    pub person_id: PersonId,
    /// The entry that already supersedes it, if any.
    pub by: Option<EntryId>,
}

/// How a backend opens and ends transactions (its engine, beside its rows).
pub(crate) trait Engine: Sync {
    type Conn: Rows;
    type Tx: DerefMut<Target = Self::Conn> + Send;
    type Pooled: DerefMut<Target = Self::Conn> + Send;

    /// A transaction that will write: it holds what it reads until it ends.
    fn write(&self) -> impl Future<Output = Result<Self::Tx>> + Send;
    /// A read-only transaction that sees one snapshot throughout.
    fn snapshot(&self) -> impl Future<Output = Result<Self::Tx>> + Send;
    /// A connection for a single read.
    fn read(&self) -> impl Future<Output = Result<Self::Pooled>> + Send;
    fn commit(tx: Self::Tx) -> impl Future<Output = Result<()>> + Send;
}

/// The rows a backend reads and writes, on one connection. SQL only; no
/// method decides anything.
pub(crate) trait Rows: Send {
    fn user(&mut self, id: UserId) -> impl Future<Output = Result<Option<User>>> + Send;
    fn user_by_name(&mut self, name: &str) -> impl Future<Output = Result<Option<User>>> + Send;
    /// Fails with the database's unique violation when the name is taken.
    fn insert_user(
        &mut self,
        name: &str,
        password_hash: Option<&PasswordHash>,
        created_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<UserId>> + Send;
    /// Sets the user's password hash; how many rows changed (0: no such user).
    fn update_password(
        &mut self,
        user: UserId,
        hash: &PasswordHash,
    ) -> impl Future<Output = Result<u64>> + Send;

    fn person(&mut self, id: PersonId) -> impl Future<Output = Result<Option<Person>>> + Send;
    fn insert_person(
        &mut self,
        owner: UserId,
        display_name: &str,
        created_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<PersonId>> + Send;
    /// The people `user` owns or holds any share of (active or not), by id.
    fn people_related_to(
        &mut self,
        user: UserId,
    ) -> impl Future<Output = Result<Vec<Person>>> + Send;

    /// Every share of the person, by id.
    fn shares_of(&mut self, person: PersonId) -> impl Future<Output = Result<Vec<Share>>> + Send;
    /// Every share granted to the user, by id.
    fn shares_to(&mut self, grantee: UserId) -> impl Future<Output = Result<Vec<Share>>> + Send;
    fn share(&mut self, id: ShareId) -> impl Future<Output = Result<Option<Share>>> + Send;
    fn insert_share(&mut self, share: &ShareRow) -> impl Future<Output = Result<ShareId>> + Send;
    /// Sets `revoked_at` unless it is set already.
    fn mark_revoked(
        &mut self,
        id: ShareId,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;

    fn entries(&mut self, person: PersonId) -> impl Future<Output = Result<Vec<Entry>>> + Send;
    fn last_entry(
        &mut self,
        person: PersonId,
    ) -> impl Future<Output = Result<Option<Entry>>> + Send;
    /// The entry `old`'s person and what supersedes it; a backend whose
    /// transactions do not serialise writers locks the row for the rest of
    /// the transaction.
    fn superseded(
        &mut self,
        old: EntryId,
    ) -> impl Future<Output = Result<Option<Superseded>>> + Send;
    fn insert_entry(
        &mut self,
        entry: &EntryRow<'_>,
    ) -> impl Future<Output = Result<EntryId>> + Send;

    /// Fails with the database's unique violation when the hash is taken.
    fn insert_token(&mut self, token: &NewToken) -> impl Future<Output = Result<TokenId>> + Send;
    fn token(&mut self, id: TokenId) -> impl Future<Output = Result<Option<Token>>> + Send;
    fn token_by_hash(&mut self, hash: &str) -> impl Future<Output = Result<Option<Token>>> + Send;
    /// Every token of the user, by id.
    fn tokens_of(&mut self, user: UserId) -> impl Future<Output = Result<Vec<Token>>> + Send;
    /// Sets `revoked_at` unless it is set already.
    fn mark_token_revoked(
        &mut self,
        id: TokenId,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Deletes the tokens that expired or were revoked before `before`.
    fn delete_tokens_before(
        &mut self,
        before: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64>> + Send;

    fn insert_audit(
        &mut self,
        row: &NewAudit,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<AuditId>> + Send;
    fn audit_log(&mut self, person: PersonId)
        -> impl Future<Output = Result<Vec<AuditRow>>> + Send;

    // The whole database, for backups.
    fn all_users(&mut self) -> impl Future<Output = Result<Vec<BackupUser>>> + Send;
    fn all_people(&mut self) -> impl Future<Output = Result<Vec<Person>>> + Send;
    fn all_entries(&mut self) -> impl Future<Output = Result<Vec<BackupEntry>>> + Send;
    fn all_shares(&mut self) -> impl Future<Output = Result<Vec<Share>>> + Send;
    fn all_audit(&mut self) -> impl Future<Output = Result<Vec<AuditRow>>> + Send;
    /// Keeps other writers out until the transaction ends, where the
    /// transaction itself does not.
    fn lock_for_import(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// Rows in all tables together.
    fn count_rows(&mut self) -> impl Future<Output = Result<i64>> + Send;
    fn restore_user(&mut self, user: &BackupUser) -> impl Future<Output = Result<()>> + Send;
    fn restore_person(&mut self, person: &Person) -> impl Future<Output = Result<()>> + Send;
    fn restore_entry(
        &mut self,
        entry: &Entry,
        kind: &str,
        payload: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    fn restore_share(&mut self, share: &Share) -> impl Future<Output = Result<()>> + Send;
    fn restore_audit(&mut self, row: &AuditRow) -> impl Future<Output = Result<()>> + Send;
    /// Makes new rows follow the largest restored ids.
    fn after_import(&mut self) -> impl Future<Output = Result<()>> + Send;
}

/// `impl Store` for a backend type that implements [`Engine`] and has
/// `open(url)`, `run_migrations()` and a `pool` field: every operation is the
/// shared one in `operations.rs`.
macro_rules! store_on_backend {
    ($store:ty) => {
        impl $crate::Store for $store {
            async fn connect(url: &str) -> $crate::Result<Self> {
                Self::open(url).await
            }
            async fn migrate(&self) -> $crate::Result<()> {
                self.run_migrations().await
            }
            async fn close(&self) {
                self.pool.close().await;
            }
            async fn create_user(
                &self,
                name: &str,
                password_hash: Option<&$crate::PasswordHash>,
            ) -> $crate::Result<$crate::User> {
                $crate::operations::create_user(self, name, password_hash).await
            }
            async fn user(&self, id: $crate::UserId) -> $crate::Result<Option<$crate::User>> {
                $crate::operations::user(self, id).await
            }
            async fn user_by_name(&self, name: &str) -> $crate::Result<Option<$crate::User>> {
                $crate::operations::user_by_name(self, name).await
            }
            async fn create_person(
                &self,
                owner: $crate::UserId,
                display_name: &str,
            ) -> $crate::Result<$crate::Person> {
                $crate::operations::create_person(self, owner, display_name, None).await
            }
            async fn create_person_audited(
                &self,
                owner: $crate::UserId,
                display_name: &str,
                actor: &$crate::Actor,
            ) -> $crate::Result<$crate::Person> {
                $crate::operations::create_person(self, owner, display_name, Some(actor)).await
            }
            async fn person(&self, id: $crate::PersonId) -> $crate::Result<Option<$crate::Person>> {
                $crate::operations::person(self, id).await
            }
            async fn people_of(
                &self,
                user: $crate::UserId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Vec<($crate::Person, $crate::Access)>> {
                $crate::operations::people_of(self, user, now).await
            }
            async fn append(&self, entry: $crate::NewEntry) -> $crate::Result<$crate::Entry> {
                $crate::operations::append(self, entry, None).await
            }
            async fn append_audited(
                &self,
                entry: $crate::NewEntry,
                actor: &$crate::Actor,
            ) -> $crate::Result<$crate::Entry> {
                $crate::operations::append(self, entry, Some(actor)).await
            }
            async fn append_many(
                &self,
                entries: Vec<$crate::NewEntry>,
            ) -> $crate::Result<Vec<$crate::Entry>> {
                $crate::operations::append_many(self, entries, None).await
            }
            async fn append_many_audited(
                &self,
                entries: Vec<$crate::NewEntry>,
                actor: &$crate::Actor,
            ) -> $crate::Result<Vec<$crate::Entry>> {
                $crate::operations::append_many(self, entries, Some(actor)).await
            }
            async fn entries(
                &self,
                person: $crate::PersonId,
            ) -> $crate::Result<Vec<$crate::Entry>> {
                $crate::operations::entries(self, person).await
            }
            async fn last_entry(
                &self,
                person: $crate::PersonId,
            ) -> $crate::Result<Option<$crate::Entry>> {
                $crate::operations::last_entry(self, person).await
            }
            async fn grant(
                &self,
                person: $crate::PersonId,
                grantee: $crate::UserId,
                access: $crate::Access,
                by: $crate::UserId,
                expires_at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> $crate::Result<$crate::Share> {
                $crate::operations::grant(self, person, grantee, access, expires_at, by, None).await
            }
            async fn grant_audited(
                &self,
                person: $crate::PersonId,
                grantee: $crate::UserId,
                access: $crate::Access,
                expires_at: Option<chrono::DateTime<chrono::Utc>>,
                actor: &$crate::Actor,
            ) -> $crate::Result<$crate::Share> {
                $crate::operations::grant(
                    self,
                    person,
                    grantee,
                    access,
                    expires_at,
                    actor.user,
                    Some(actor),
                )
                .await
            }
            async fn revoke(&self, share: $crate::ShareId) -> $crate::Result<$crate::Share> {
                $crate::operations::revoke(self, share, None).await
            }
            async fn revoke_audited(
                &self,
                share: $crate::ShareId,
                actor: &$crate::Actor,
            ) -> $crate::Result<$crate::Share> {
                $crate::operations::revoke(self, share, Some(actor)).await
            }
            async fn shares(&self, person: $crate::PersonId) -> $crate::Result<Vec<$crate::Share>> {
                $crate::operations::shares(self, person).await
            }
            async fn access(
                &self,
                user: $crate::UserId,
                person: $crate::PersonId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Option<$crate::Access>> {
                $crate::operations::access(self, user, person, now).await
            }
            async fn audit(&self, row: $crate::NewAudit) -> $crate::Result<$crate::AuditRow> {
                $crate::operations::audit(self, row).await
            }
            async fn audit_log(
                &self,
                person: $crate::PersonId,
            ) -> $crate::Result<Vec<$crate::AuditRow>> {
                $crate::operations::audit_log(self, person).await
            }
            async fn create_token(&self, token: $crate::NewToken) -> $crate::Result<$crate::Token> {
                $crate::operations::create_token(self, token).await
            }
            async fn token_by_hash(&self, hash: &str) -> $crate::Result<Option<$crate::Token>> {
                $crate::operations::token_by_hash(self, hash).await
            }
            async fn tokens_of(&self, user: $crate::UserId) -> $crate::Result<Vec<$crate::Token>> {
                $crate::operations::tokens_of(self, user).await
            }
            async fn revoke_token(
                &self,
                id: $crate::TokenId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<$crate::Token> {
                $crate::operations::revoke_token(self, id, now).await
            }
            async fn purge_tokens(
                &self,
                before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<u64> {
                $crate::operations::purge_tokens(self, before).await
            }
            async fn share(&self, id: $crate::ShareId) -> $crate::Result<Option<$crate::Share>> {
                $crate::operations::share(self, id).await
            }
            async fn set_password(
                &self,
                user: $crate::UserId,
                hash: &$crate::PasswordHash,
            ) -> $crate::Result<()> {
                $crate::operations::set_password(self, user, hash).await
            }
            async fn export(&self) -> $crate::Result<$crate::Backup> {
                $crate::operations::export(self).await
            }
            async fn import(&self, backup: &$crate::Backup) -> $crate::Result<()> {
                $crate::operations::import(self, backup).await
            }
        }
    };
}
pub(crate) use store_on_backend;
