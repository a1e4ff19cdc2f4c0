//! Database rows → model values, written once for both backends.
//!
//! A backend only says how it reads one column of each type ([`Columns`]:
//! SQLite keeps timestamps as text, PostgreSQL as `timestamptz`); what a row
//! of each table means is decided here.

use chrono::{DateTime, NaiveDate, Utc};

use crate::model::{
    Access, AuditId, AuditRow, BackupEntry, BackupUser, Entry, EntryId, PasswordHash, Person,
    PersonId, Share, ShareId, Token, TokenId, TokenKind, User, UserId,
};
use crate::payload::Payload;
use crate::{Result, StoreError};

/// One result row, read column by column in this backend's types.
pub(crate) trait Columns {
    fn int(&self, column: &str) -> Result<i64>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>>;
    fn text(&self, column: &str) -> Result<String>;
    fn opt_text(&self, column: &str) -> Result<Option<String>>;
    fn date(&self, column: &str) -> Result<NaiveDate>;
    fn time(&self, column: &str) -> Result<DateTime<Utc>>;
    fn opt_time(&self, column: &str) -> Result<Option<DateTime<Utc>>>;
}

/// A column holding something this version cannot read.
pub(crate) fn decode_error(column: &str, message: String) -> StoreError {
    StoreError::Database(sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: message.into(),
    })
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Columns `id, name, password_hash, created_at`.
pub(crate) fn user(row: &impl Columns) -> Result<User> {
    Ok(backup_user(row)?.into())
}

pub(crate) fn backup_user(row: &impl Columns) -> Result<BackupUser> {
    Ok(BackupUser {
        id: UserId(row.int("id")?),
        name: row.text("name")?,
        password_hash: row.opt_text("password_hash")?.map(PasswordHash::new),
        created_at: row.time("created_at")?,
    })
}

/// Columns `id, owner_id, display_name, created_at`.
pub(crate) fn person(row: &impl Columns) -> Result<Person> {
    Ok(Person {
        id: PersonId(row.int("id")?),
        owner_id: UserId(row.int("owner_id")?),
        display_name: row.text("display_name")?,
        created_at: row.time("created_at")?,
    })
}

/// Columns [`ENTRY_COLUMNS`](crate::backend::ENTRY_COLUMNS), the payload
/// checked against this version's payload types.
pub(crate) fn entry(row: &impl Columns) -> Result<Entry> {
    let id = EntryId(row.int("id")?);
    let kind = row.text("kind")?;
    let payload = Payload::decode(&kind, &row.text("payload")?)
        .map_err(|message| StoreError::Corrupt { entry: id, message })?;
    Ok(Entry {
        id,
        person_id: PersonId(row.int("person_id")?),
        effective: row.date("effective_date")?,
        payload,
        recorded_at: row.time("recorded_at")?,
        recorded_by: UserId(row.int("recorded_by")?),
        supersedes: row.opt_int("supersedes")?.map(EntryId),
    })
}

/// The same columns, the payload kept as JSON (checked on import).
pub(crate) fn backup_entry(row: &impl Columns) -> Result<BackupEntry> {
    let id = EntryId(row.int("id")?);
    let payload = serde_json::from_str(&row.text("payload")?).map_err(|e| StoreError::Corrupt {
        entry: id,
        message: e.to_string(),
    })?;
    Ok(BackupEntry {
        id,
        person_id: PersonId(row.int("person_id")?),
        kind: row.text("kind")?,
        effective: row.date("effective_date")?,
        payload,
        recorded_at: row.time("recorded_at")?,
        recorded_by: UserId(row.int("recorded_by")?),
        supersedes: row.opt_int("supersedes")?.map(EntryId),
    })
}

/// Columns [`SHARE_COLUMNS`](crate::backend::SHARE_COLUMNS).
pub(crate) fn share(row: &impl Columns) -> Result<Share> {
    let access = row.text("access")?;
    Ok(Share {
        id: ShareId(row.int("id")?),
        person_id: PersonId(row.int("person_id")?),
        grantee_id: UserId(row.int("grantee_id")?),
        access: Access::parse(&access)
            .ok_or_else(|| decode_error("access", format!("{access:?} is not read or write")))?,
        granted_by: UserId(row.int("granted_by")?),
        created_at: row.time("created_at")?,
        expires_at: row.opt_time("expires_at")?,
        revoked_at: row.opt_time("revoked_at")?,
    })
}

/// Columns [`AUDIT_COLUMNS`](crate::backend::AUDIT_COLUMNS).
pub(crate) fn audit(row: &impl Columns) -> Result<AuditRow> {
    Ok(AuditRow {
        id: AuditId(row.int("id")?),
        at: row.time("at")?,
        user_id: row.opt_int("user_id")?.map(UserId),
        person_id: row.opt_int("person_id")?.map(PersonId),
        action: row.text("action")?,
        detail: row.text("detail")?,
        origin: row.text("origin")?,
    })
}

/// Columns [`TOKEN_COLUMNS`](crate::backend::TOKEN_COLUMNS).
pub(crate) fn token(row: &impl Columns) -> Result<Token> {
    let kind = row.text("kind")?;
    Ok(Token {
        id: TokenId(row.int("id")?),
        user_id: UserId(row.int("user_id")?),
        kind: TokenKind::parse(&kind).ok_or_else(|| {
            decode_error("kind", format!("{kind:?} is not session, api or calendar"))
        })?,
        person_id: row.opt_int("person_id")?.map(PersonId),
        label: row.text("label")?,
        csrf: row.opt_text("csrf")?,
        created_at: row.time("created_at")?,
        expires_at: row.opt_time("expires_at")?,
        revoked_at: row.opt_time("revoked_at")?,
    })
}
