//! The SQLite backend: one file, WAL, `synchronous=FULL`, foreign keys on.
//!
//! Every write transaction starts with `BEGIN IMMEDIATE`, so it takes the write
//! lock before reading: a concurrent writer (another task, or another process
//! such as `willis log` beside `willis serve`) waits up to the busy timeout
//! instead of failing when a read lock cannot be upgraded.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};

use crate::backend::{
    store_on_backend, Engine, EntryRow, Rows, ShareRow, Superseded, AUDIT_COLUMNS, ENTRY_COLUMNS,
    PERSON_COLUMNS, SHARE_COLUMNS, TOKEN_COLUMNS, USER_COLUMNS,
};
use crate::model::*;
use crate::rows::{self, decode_error, Columns};
use crate::{Result, StoreError};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a writer waits for another writer's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens `sqlite://PATH` (creating the file and its folder if missing) and
    /// brings the schema up to date.
    pub async fn open(url: &str) -> Result<Self> {
        let open_error = |source| StoreError::Open {
            target: url.to_string(),
            source,
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(open_error)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let file = options.get_filename().to_path_buf();
        if let Some(folder) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|e| StoreError::Open {
                target: file.display().to_string(),
                source: sqlx::Error::Io(e),
            })?;
        }
        // Switching a new file to WAL needs an exclusive lock, and SQLite
        // answers "busy" at once (no busy wait) when two connections race for
        // it: the loser tries again, and finds WAL already set.
        let mut attempt = 0;
        let pool = loop {
            match SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options.clone())
                .await
            {
                Ok(pool) => break pool,
                Err(e) if is_busy(&e) && attempt < 10 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
                }
                Err(source) => {
                    return Err(StoreError::Open {
                        target: file.display().to_string(),
                        source,
                    })
                }
            }
        };
        let store = Self { pool };
        store.run_migrations().await?;
        Ok(store)
    }

    async fn run_migrations(&self) -> Result<()> {
        // Two processes opening a new file at once may both try the first
        // migration; the loser fails and, on retry, finds it applied.
        let mut attempt = 0;
        loop {
            match MIGRATOR.run(&self.pool).await {
                Ok(()) => return Ok(()),
                Err(_) if attempt < 3 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The connection pool, for what builds on the same database (e.g. a
    /// session store).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// SQLITE_BUSY or SQLITE_LOCKED.
fn is_busy(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code == "5" || code == "6")
}

store_on_backend!(SqliteStore);

impl Engine for SqliteStore {
    type Conn = SqliteConnection;
    type Tx = Transaction<'static, Sqlite>;
    type Pooled = PoolConnection<Sqlite>;

    async fn write(&self) -> Result<Self::Tx> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn snapshot(&self) -> Result<Self::Tx> {
        // In WAL mode a read transaction sees one snapshot throughout.
        Ok(self.pool.begin().await?)
    }

    async fn read(&self) -> Result<Self::Pooled> {
        Ok(self.pool.acquire().await?)
    }

    async fn commit(tx: Self::Tx) -> Result<()> {
        Ok(tx.commit().await?)
    }
}

// ---------------------------------------------------------------------------
// Values as SQLite keeps them

/// Fixed-width UTC text, so that text order is time order.
fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn opt_ts(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(ts)
}

fn parse_ts(column: &str, text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| decode_error(column, format!("{text:?} is not a timestamp: {e}")))
}

impl Columns for SqliteRow {
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
        parse_ts(column, &self.text(column)?)
    }
    fn opt_time(&self, column: &str) -> Result<Option<DateTime<Utc>>> {
        self.opt_text(column)?
            .map(|text| parse_ts(column, &text))
            .transpose()
    }
}

// ---------------------------------------------------------------------------
// Rows

impl Rows for SqliteConnection {
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
        .bind(ts(created_at))
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
        .bind(ts(created_at))
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
        .bind(ts(share.created_at))
        .bind(opt_ts(share.expires_at))
        .fetch_one(self)
        .await?)
    }

    async fn mark_revoked(&mut self, id: ShareId, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE shares SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(ts(at))
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
        // The write transaction (BEGIN IMMEDIATE) already keeps other writers out.
        let row = sqlx::query(
            "SELECT e.person_id, (SELECT s.id FROM entries s WHERE s.supersedes = e.id) AS by
             FROM entries e WHERE e.id = $1",
        )
        .bind(old)
        .fetch_optional(self)
        .await?;
        row.map(|r| {
            Ok(Superseded {
                person_id: PersonId(r.int("person_id")?),
                by: r.opt_int("by")?.map(EntryId),
            })
        })
        .transpose()
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
        .bind(ts(entry.recorded_at))
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
        .bind(ts(token.created_at))
        .bind(opt_ts(token.expires_at))
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
            .bind(ts(at))
            .execute(self)
            .await?;
        Ok(())
    }

    async fn delete_tokens_before(&mut self, before: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM tokens WHERE expires_at < $1 OR revoked_at < $1")
            .bind(ts(before))
            .execute(self)
            .await?;
        Ok(done.rows_affected())
    }

    async fn insert_audit(&mut self, row: &NewAudit, at: DateTime<Utc>) -> Result<AuditId> {
        Ok(sqlx::query_scalar(
            "INSERT INTO audit (at, user_id, person_id, action, detail, origin)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(ts(at))
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
        // BEGIN IMMEDIATE holds the write lock already.
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
        .bind(ts(user.created_at))
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
        .bind(ts(person.created_at))
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
        .bind(ts(entry.recorded_at))
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
        .bind(ts(share.created_at))
        .bind(opt_ts(share.expires_at))
        .bind(opt_ts(share.revoked_at))
        .execute(self)
        .await?;
        Ok(())
    }

    async fn restore_audit(&mut self, row: &AuditRow) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO audit ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(row.id)
        .bind(ts(row.at))
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
        // AUTOINCREMENT keeps the largest id inserted, so new rows follow on.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_fixed_width_and_read_back() {
        let t = DateTime::parse_from_rfc3339("2026-03-01T07:05:09.000120Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(ts(t), "2026-03-01T07:05:09.000120Z");
        let whole = DateTime::parse_from_rfc3339("2026-03-01T07:05:09Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(ts(whole), "2026-03-01T07:05:09.000000Z");
        assert_eq!(DateTime::parse_from_rfc3339(&ts(t)).unwrap(), t);
    }
}
