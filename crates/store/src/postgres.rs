//! The PostgreSQL backend, for clinics running several instances of Willis.
//!
//! Write transactions run at READ COMMITTED. The row an entry supersedes is
//! locked first (`FOR NO KEY UPDATE`), so two corrections of the same entry are
//! serialised and the second is refused with a clear message; the unique index
//! on `supersedes` backs this up.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, Row, Transaction};

use crate::backend::{
    store_on_backend, Engine, EntryRow, Rows, ShareRow, Superseded, AUDIT_COLUMNS, ENTRY_COLUMNS,
    PERSON_COLUMNS, SHARE_COLUMNS, TOKEN_COLUMNS, USER_COLUMNS,
};
use crate::model::*;
use crate::rows::{self, Columns};
use crate::{redact, Result, StoreError};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

const TABLES: [&str; 5] = ["users", "people", "entries", "shares", "audit"];

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `postgres://...` (or `postgresql://...`) and brings the
    /// schema up to date.
    pub async fn open(url: &str) -> Result<Self> {
        let open_error = |source| StoreError::Open {
            target: redact(url),
            source,
        };
        let options = PgConnectOptions::from_str(url).map_err(open_error)?;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(open_error)?;
        let store = Self { pool };
        store.run_migrations().await?;
        Ok(store)
    }

    async fn run_migrations(&self) -> Result<()> {
        // sqlx holds an advisory lock while migrating, so instances starting
        // together apply each migration once.
        Ok(MIGRATOR.run(&self.pool).await?)
    }

    /// The connection pool, for what builds on the same database (e.g. a
    /// session store).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

store_on_backend!(PgStore);

impl Engine for PgStore {
    type Conn = PgConnection;
    type Tx = Transaction<'static, Postgres>;
    type Pooled = PoolConnection<Postgres>;

    async fn write(&self) -> Result<Self::Tx> {
        Ok(self.pool.begin().await?)
    }

    async fn snapshot(&self) -> Result<Self::Tx> {
        Ok(self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?)
    }

    async fn read(&self) -> Result<Self::Pooled> {
        Ok(self.pool.acquire().await?)
    }

    async fn commit(tx: Self::Tx) -> Result<()> {
        Ok(tx.commit().await?)
    }
}

impl Columns for PgRow {
    fn int(&self, column: &str) -> Result<i64> {
        Ok(self.try_get(column)?)
    }
    fn opt_int(&self, column: &str) -> Result<Option<i64>> {
        Ok(self.try_get(column)?)
    }
    fn text(&self, column: &str) -> Result<String> {
        Ok(self.try_get(column)?)
    }
    fn opt_text(&self, column: &str) -> Result<Option<String>> {
        Ok(self.try_get(column)?)
    }
    fn date(&self, column: &str) -> Result<NaiveDate> {
        Ok(self.try_get(column)?)
    }
    fn time(&self, column: &str) -> Result<DateTime<Utc>> {
        Ok(self.try_get(column)?)
    }
    fn opt_time(&self, column: &str) -> Result<Option<DateTime<Utc>>> {
        Ok(self.try_get(column)?)
    }
}

// ---------------------------------------------------------------------------
// Rows

impl Rows for PgConnection {
    async fn user(&mut self, id: UserId) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(self).await?;
        row.map(|r| rows::user(&r)).transpose()
    }

    async fn user_by_name(&mut self, name: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE name = $1");
        let row = sqlx::query(&sql).bind(name).fetch_optional(self).await?;
        row.map(|r| rows::user(&r)).transpose()
    }

    async fn insert_user(
        &mut self,
        name: &str,
        password_hash: Option<&PasswordHash>,
        created_at: DateTime<Utc>,
    ) -> Result<UserId> {
        Ok(sqlx::query_scalar(
            "INSERT INTO users (name, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name)
        .bind(password_hash.map(PasswordHash::expose))
        .bind(created_at)
        .fetch_one(self)
        .await?)
    }

    async fn person(&mut self, id: PersonId) -> Result<Option<Person>> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(self).await?;
        row.map(|r| rows::person(&r)).transpose()
    }

    async fn insert_person(
        &mut self,
        owner: UserId,
        display_name: &str,
        created_at: DateTime<Utc>,
    ) -> Result<PersonId> {
        Ok(sqlx::query_scalar(
            "INSERT INTO people (owner_id, display_name, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(owner)
        .bind(display_name)
        .bind(created_at)
        .fetch_one(self)
        .await?)
    }

    async fn people_related_to(&mut self, user: UserId) -> Result<Vec<Person>> {
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM people
             WHERE owner_id = $1 OR id IN (SELECT person_id FROM shares WHERE grantee_id = $1)
             ORDER BY id"
        );
        let found = sqlx::query(&sql).bind(user).fetch_all(self).await?;
        found.iter().map(rows::person).collect()
    }

    async fn shares_of(&mut self, person: PersonId) -> Result<Vec<Share>> {
        let sql = format!("SELECT {SHARE_COLUMNS} FROM shares WHERE person_id = $1 ORDER BY id");
        let found = sqlx::query(&sql).bind(person).fetch_all(self).await?;
        found.iter().map(rows::share).collect()
    }

    async fn shares_to(&mut self, grantee: UserId) -> Result<Vec<Share>> {
        let sql = format!("SELECT {SHARE_COLUMNS} FROM shares WHERE grantee_id = $1 ORDER BY id");
        let found = sqlx::query(&sql).bind(grantee).fetch_all(self).await?;
        found.iter().map(rows::share).collect()
    }

    async fn share(&mut self, id: ShareId) -> Result<Option<Share>> {
        let sql = format!("SELECT {SHARE_COLUMNS} FROM shares WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(self).await?;
        row.map(|r| rows::share(&r)).transpose()
    }

    async fn insert_share(&mut self, share: &ShareRow) -> Result<ShareId> {
        Ok(sqlx::query_scalar(
            "INSERT INTO shares (person_id, grantee_id, access, granted_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(share.person_id)
        .bind(share.grantee_id)
        .bind(share.access.as_str())
        .bind(share.granted_by)
        .bind(share.created_at)
        .bind(share.expires_at)
        .fetch_one(self)
        .await?)
    }

    async fn mark_revoked(&mut self, id: ShareId, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE shares SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(at)
            .execute(self)
            .await?;
        Ok(())
    }

    async fn entries(&mut self, person: PersonId) -> Result<Vec<Entry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE person_id = $1 ORDER BY id");
        let found = sqlx::query(&sql).bind(person).fetch_all(self).await?;
        found.iter().map(rows::entry).collect()
    }

    async fn last_entry(&mut self, person: PersonId) -> Result<Option<Entry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE person_id = $1 ORDER BY id DESC LIMIT 1"
        );
        let row = sqlx::query(&sql).bind(person).fetch_optional(self).await?;
        row.map(|r| rows::entry(&r)).transpose()
    }

    async fn superseded(&mut self, old: EntryId) -> Result<Option<Superseded>> {
        // Lock the superseded row first: a second correction of the same
        // entry waits here, then sees the first one in the query below.
        let person: Option<PersonId> =
            sqlx::query_scalar("SELECT person_id FROM entries WHERE id = $1 FOR NO KEY UPDATE")
                .bind(old)
                .fetch_optional(&mut *self)
                .await?;
        let Some(person_id) = person else {
            return Ok(None);
        };
        let by: Option<EntryId> =
            sqlx::query_scalar("SELECT id FROM entries WHERE supersedes = $1")
                .bind(old)
                .fetch_optional(self)
                .await?;
        Ok(Some(Superseded { person_id, by }))
    }

    async fn insert_entry(&mut self, entry: &EntryRow<'_>) -> Result<EntryId> {
        Ok(sqlx::query_scalar(
            "INSERT INTO entries
               (person_id, kind, effective_date, payload, recorded_at, recorded_by, supersedes)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(entry.person_id)
        .bind(entry.kind)
        .bind(entry.effective)
        .bind(entry.payload)
        .bind(entry.recorded_at)
        .bind(entry.recorded_by)
        .bind(entry.supersedes)
        .fetch_one(self)
        .await?)
    }

    async fn update_password(&mut self, user: UserId, hash: &PasswordHash) -> Result<u64> {
        let done = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user)
            .bind(hash.expose())
            .execute(self)
            .await?;
        Ok(done.rows_affected())
    }

    async fn insert_token(&mut self, token: &NewToken) -> Result<TokenId> {
        Ok(sqlx::query_scalar(
            "INSERT INTO tokens
               (user_id, kind, person_id, label, csrf, created_at, expires_at, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(token.user_id)
        .bind(token.kind.as_str())
        .bind(token.person_id)
        .bind(&token.label)
        .bind(token.csrf.as_deref())
        .bind(token.created_at)
        .bind(token.expires_at)
        .bind(&token.hash)
        .fetch_one(self)
        .await?)
    }

    async fn token(&mut self, id: TokenId) -> Result<Option<Token>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(self).await?;
        row.map(|r| rows::token(&r)).transpose()
    }

    async fn token_by_hash(&mut self, hash: &str) -> Result<Option<Token>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = $1");
        let row = sqlx::query(&sql).bind(hash).fetch_optional(self).await?;
        row.map(|r| rows::token(&r)).transpose()
    }

    async fn tokens_of(&mut self, user: UserId) -> Result<Vec<Token>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE user_id = $1 ORDER BY id");
        let found = sqlx::query(&sql).bind(user).fetch_all(self).await?;
        found.iter().map(rows::token).collect()
    }

    async fn mark_token_revoked(&mut self, id: TokenId, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(at)
            .execute(self)
            .await?;
        Ok(())
    }

    async fn delete_tokens_before(&mut self, before: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM tokens WHERE expires_at < $1 OR revoked_at < $1")
            .bind(before)
            .execute(self)
            .await?;
        Ok(done.rows_affected())
    }

    async fn insert_audit(&mut self, row: &NewAudit, at: DateTime<Utc>) -> Result<AuditId> {
        Ok(sqlx::query_scalar(
            "INSERT INTO audit (at, user_id, person_id, action, detail, origin)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(at)
        .bind(row.user_id)
        .bind(row.person_id)
        .bind(&row.action)
        .bind(&row.detail)
        .bind(&row.origin)
        .fetch_one(self)
        .await?)
    }

    async fn audit_log(&mut self, person: PersonId) -> Result<Vec<AuditRow>> {
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit WHERE person_id = $1 ORDER BY id");
        let found = sqlx::query(&sql).bind(person).fetch_all(self).await?;
        found.iter().map(rows::audit).collect()
    }

    async fn all_users(&mut self) -> Result<Vec<BackupUser>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
        let found = sqlx::query(&sql).fetch_all(self).await?;
        found.iter().map(rows::backup_user).collect()
    }

    async fn all_people(&mut self) -> Result<Vec<Person>> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM people ORDER BY id");
        let found = sqlx::query(&sql).fetch_all(self).await?;
        found.iter().map(rows::person).collect()
    }

    async fn all_entries(&mut self) -> Result<Vec<BackupEntry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries ORDER BY id");
        let found = sqlx::query(&sql).fetch_all(self).await?;
        found.iter().map(rows::backup_entry).collect()
    }

    async fn all_shares(&mut self) -> Result<Vec<Share>> {
        let sql = format!("SELECT {SHARE_COLUMNS} FROM shares ORDER BY id");
        let found = sqlx::query(&sql).fetch_all(self).await?;
        found.iter().map(rows::share).collect()
    }

    async fn all_audit(&mut self) -> Result<Vec<AuditRow>> {
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit ORDER BY id");
        let found = sqlx::query(&sql).fetch_all(self).await?;
        found.iter().map(rows::audit).collect()
    }

    async fn lock_for_import(&mut self) -> Result<()> {
        // No other writer may slip in between the emptiness check and the end.
        sqlx::query("LOCK TABLE users, people, entries, shares, audit IN EXCLUSIVE MODE")
            .execute(self)
            .await?;
        Ok(())
    }

    async fn count_rows(&mut self) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM people)
                  + (SELECT COUNT(*) FROM entries) + (SELECT COUNT(*) FROM shares)
                  + (SELECT COUNT(*) FROM audit)",
        )
        .fetch_one(self)
        .await?)
    }

    async fn restore_user(&mut self, user: &BackupUser) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4)"
        ))
        .bind(user.id)
        .bind(&user.name)
        .bind(user.password_hash.as_ref().map(PasswordHash::expose))
        .bind(user.created_at)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn restore_person(&mut self, person: &Person) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO people ({PERSON_COLUMNS}) VALUES ($1, $2, $3, $4)"
        ))
        .bind(person.id)
        .bind(person.owner_id)
        .bind(&person.display_name)
        .bind(person.created_at)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn restore_entry(&mut self, entry: &Entry, kind: &str, payload: &str) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO entries ({ENTRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(entry.id)
        .bind(entry.person_id)
        .bind(kind)
        .bind(entry.effective)
        .bind(payload)
        .bind(entry.recorded_at)
        .bind(entry.recorded_by)
        .bind(entry.supersedes)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn restore_share(&mut self, share: &Share) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO shares ({SHARE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(share.id)
        .bind(share.person_id)
        .bind(share.grantee_id)
        .bind(share.access.as_str())
        .bind(share.granted_by)
        .bind(share.created_at)
        .bind(share.expires_at)
        .bind(share.revoked_at)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn restore_audit(&mut self, row: &AuditRow) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO audit ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(row.id)
        .bind(row.at)
        .bind(row.user_id)
        .bind(row.person_id)
        .bind(&row.action)
        .bind(&row.detail)
        .bind(&row.origin)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn after_import(&mut self) -> Result<()> {
        // Rows inserted with explicit ids leave the identity sequences behind:
        // move each past the largest id so that new rows do not collide.
        for table in TABLES {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false)
                 FROM {table}"
            ))
            .execute(&mut *self)
            .await?;
        }
        Ok(())
    }
}
