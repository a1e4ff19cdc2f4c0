//! The PostgreSQL backend, for clinics running several instances of Willis.
//!
//! Write transactions run at READ COMMITTED. The row an entry supersedes is
//! locked first (`FOR NO KEY UPDATE`), so two corrections of the same entry are
//! serialised and the second is refused with a clear message; the unique index
//! on `supersedes` backs this up.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::Row;

use crate::model::*;
use crate::payload::Payload;
use crate::{check_backup, check_name, check_new_entry, redact, Result, Store, StoreError};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

const ENTRY_COLUMNS: &str =
    "id, person_id, kind, effective_date, payload, recorded_at, recorded_by, supersedes";
const SHARE_COLUMNS: &str =
    "id, person_id, grantee_id, access, granted_by, created_at, expires_at, revoked_at";
const AUDIT_COLUMNS: &str = "id, at, user_id, person_id, action, detail, origin";
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
        store.migrate().await?;
        Ok(store)
    }

    /// The connection pool, for what builds on the same database (e.g. a
    /// session store).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

// ---------------------------------------------------------------------------
// Rows

fn decode_error(column: &str, message: String) -> StoreError {
    StoreError::Database(sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: message.into(),
    })
}

fn access_from(row: &PgRow) -> Result<Access> {
    let text: String = row.try_get("access")?;
    Access::parse(&text)
        .ok_or_else(|| decode_error("access", format!("{text:?} is not read or write")))
}

fn user_from(row: &PgRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
    })
}

fn person_from(row: &PgRow) -> Result<Person> {
    Ok(Person {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        display_name: row.try_get("display_name")?,
        created_at: row.try_get("created_at")?,
    })
}

fn entry_from(row: &PgRow) -> Result<Entry> {
    let id: EntryId = row.try_get("id")?;
    let kind: String = row.try_get("kind")?;
    let text: String = row.try_get("payload")?;
    let payload = Payload::decode(&kind, &text)
        .map_err(|message| StoreError::Corrupt { entry: id, message })?;
    Ok(Entry {
        id,
        person_id: row.try_get("person_id")?,
        effective: row.try_get("effective_date")?,
        payload,
        recorded_at: row.try_get("recorded_at")?,
        recorded_by: row.try_get("recorded_by")?,
        supersedes: row.try_get("supersedes")?,
    })
}

fn backup_entry_from(row: &PgRow) -> Result<BackupEntry> {
    let id: EntryId = row.try_get("id")?;
    let text: String = row.try_get("payload")?;
    let payload = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
        entry: id,
        message: e.to_string(),
    })?;
    Ok(BackupEntry {
        id,
        person_id: row.try_get("person_id")?,
        kind: row.try_get("kind")?,
        effective: row.try_get("effective_date")?,
        payload,
        recorded_at: row.try_get("recorded_at")?,
        recorded_by: row.try_get("recorded_by")?,
        supersedes: row.try_get("supersedes")?,
    })
}

fn share_from(row: &PgRow) -> Result<Share> {
    Ok(Share {
        id: row.try_get("id")?,
        person_id: row.try_get("person_id")?,
        grantee_id: row.try_get("grantee_id")?,
        access: access_from(row)?,
        granted_by: row.try_get("granted_by")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn audit_from(row: &PgRow) -> Result<AuditRow> {
    Ok(AuditRow {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        user_id: row.try_get("user_id")?,
        person_id: row.try_get("person_id")?,
        action: row.try_get("action")?,
        detail: row.try_get("detail")?,
        origin: row.try_get("origin")?,
    })
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

// ---------------------------------------------------------------------------
// Steps shared by several operations, on one connection (often a transaction)

async fn user_exists(conn: &mut PgConnection, user: UserId) -> Result<bool> {
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

async fn owner_of(conn: &mut PgConnection, person: PersonId) -> Result<Option<UserId>> {
    Ok(
        sqlx::query_scalar("SELECT owner_id FROM people WHERE id = $1")
            .bind(person)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

async fn access_in(
    conn: &mut PgConnection,
    user: UserId,
    person: PersonId,
    now: DateTime<Utc>,
) -> Result<Option<Access>> {
    let Some(owner) = owner_of(conn, person).await? else {
        return Ok(None);
    };
    if owner == user {
        return Ok(Some(Access::Write));
    }
    let granted: Vec<String> = sqlx::query_scalar(
        "SELECT access FROM shares
         WHERE person_id = $1 AND grantee_id = $2 AND revoked_at IS NULL
           AND (expires_at IS NULL OR expires_at > $3)",
    )
    .bind(person)
    .bind(user)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    Ok(granted.iter().filter_map(|a| Access::parse(a)).max())
}

/// Refuses unless `user` may write to `person` (naming what is missing).
async fn require_write(
    conn: &mut PgConnection,
    user: UserId,
    person: PersonId,
    now: DateTime<Utc>,
    refused: StoreError,
) -> Result<()> {
    if owner_of(conn, person).await?.is_none() {
        return Err(StoreError::UnknownPerson(person));
    }
    if !user_exists(conn, user).await? {
        return Err(StoreError::UnknownUser(user));
    }
    match access_in(conn, user, person, now).await? {
        Some(Access::Write) => Ok(()),
        _ => Err(refused),
    }
}

async fn append_in(conn: &mut PgConnection, entry: NewEntry) -> Result<Entry> {
    let (kind, payload) = check_new_entry(&entry)?;
    let recorded_at = now();
    require_write(
        conn,
        entry.recorded_by,
        entry.person_id,
        recorded_at,
        StoreError::NoWriteAccess {
            user: entry.recorded_by,
            person: entry.person_id,
        },
    )
    .await?;
    if let Some(old) = entry.supersedes {
        let owner: PersonId =
            sqlx::query_scalar("SELECT person_id FROM entries WHERE id = $1 FOR NO KEY UPDATE")
                .bind(old)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(StoreError::UnknownEntry(old))?;
        if owner != entry.person_id {
            return Err(StoreError::OtherPerson { entry: old });
        }
        let by: Option<EntryId> =
            sqlx::query_scalar("SELECT id FROM entries WHERE supersedes = $1")
                .bind(old)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(by) = by {
            return Err(StoreError::AlreadySuperseded { entry: old, by });
        }
    }
    let id: EntryId = sqlx::query_scalar(
        "INSERT INTO entries
           (person_id, kind, effective_date, payload, recorded_at, recorded_by, supersedes)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(entry.person_id)
    .bind(kind)
    .bind(entry.effective)
    .bind(payload)
    .bind(recorded_at)
    .bind(entry.recorded_by)
    .bind(entry.supersedes)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Entry {
        id,
        person_id: entry.person_id,
        effective: entry.effective,
        payload: entry.payload,
        recorded_at,
        recorded_by: entry.recorded_by,
        supersedes: entry.supersedes,
    })
}

impl Store for PgStore {
    async fn connect(url: &str) -> Result<Self> {
        Self::open(url).await
    }

    async fn migrate(&self) -> Result<()> {
        // sqlx holds an advisory lock while migrating, so instances starting
        // together apply each migration once.
        Ok(MIGRATOR.run(&self.pool).await?)
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn create_user(&self, name: &str, password_hash: Option<&str>) -> Result<User> {
        check_name("a user name", name)?;
        let created_at = now();
        let id = sqlx::query_scalar(
            "INSERT INTO users (name, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name)
        .bind(password_hash)
        .bind(created_at)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match is_unique_violation(&e) {
            true => StoreError::NameTaken {
                name: name.to_string(),
            },
            false => e.into(),
        })?;
        Ok(User {
            id,
            name: name.to_string(),
            password_hash: password_hash.map(str::to_string),
            created_at,
        })
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        sqlx::query("SELECT id, name, password_hash, created_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| user_from(&r))
            .transpose()
    }

    async fn user_by_name(&self, name: &str) -> Result<Option<User>> {
        sqlx::query("SELECT id, name, password_hash, created_at FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| user_from(&r))
            .transpose()
    }

    async fn create_person(&self, owner: UserId, display_name: &str) -> Result<Person> {
        check_name("a person's display name", display_name)?;
        let mut tx = self.pool.begin().await?;
        if !user_exists(&mut tx, owner).await? {
            return Err(StoreError::UnknownUser(owner));
        }
        let created_at = now();
        let id = sqlx::query_scalar(
            "INSERT INTO people (owner_id, display_name, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(owner)
        .bind(display_name)
        .bind(created_at)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Person {
            id,
            owner_id: owner,
            display_name: display_name.to_string(),
            created_at,
        })
    }

    async fn person(&self, id: PersonId) -> Result<Option<Person>> {
        sqlx::query("SELECT id, owner_id, display_name, created_at FROM people WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| person_from(&r))
            .transpose()
    }

    async fn people_of(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<(Person, Access)>> {
        let rows = sqlx::query(
            "SELECT p.id, p.owner_id, p.display_name, p.created_at, 'write' AS access
               FROM people p WHERE p.owner_id = $1
             UNION ALL
             SELECT p.id, p.owner_id, p.display_name, p.created_at, s.access
               FROM people p JOIN shares s ON s.person_id = p.id
              WHERE s.grantee_id = $1 AND p.owner_id <> $1 AND s.revoked_at IS NULL
                AND (s.expires_at IS NULL OR s.expires_at > $2)
             ORDER BY 1",
        )
        .bind(user)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let mut people: Vec<(Person, Access)> = Vec::new();
        for row in &rows {
            let person = person_from(row)?;
            let access = access_from(row)?;
            match people.last_mut() {
                Some((last, best)) if last.id == person.id => *best = (*best).max(access),
                _ => people.push((person, access)),
            }
        }
        Ok(people)
    }

    async fn append(&self, entry: NewEntry) -> Result<Entry> {
        let mut tx = self.pool.begin().await?;
        let entry = append_in(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn append_many(&self, entries: Vec<NewEntry>) -> Result<Vec<Entry>> {
        let mut tx = self.pool.begin().await?;
        let mut appended = Vec::with_capacity(entries.len());
        for entry in entries {
            appended.push(append_in(&mut tx, entry).await?);
        }
        tx.commit().await?;
        Ok(appended)
    }

    async fn entries(&self, person: PersonId) -> Result<Vec<Entry>> {
        let rows = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE person_id = $1 ORDER BY id"
        ))
        .bind(person)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_from).collect()
    }

    async fn last_entry(&self, person: PersonId) -> Result<Option<Entry>> {
        sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE person_id = $1 ORDER BY id DESC LIMIT 1"
        ))
        .bind(person)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| entry_from(&r))
        .transpose()
    }

    async fn grant(
        &self,
        person: PersonId,
        grantee: UserId,
        access: Access,
        by: UserId,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<Share> {
        let mut tx = self.pool.begin().await?;
        let created_at = now();
        require_write(
            &mut tx,
            by,
            person,
            created_at,
            StoreError::NoShareAccess { user: by, person },
        )
        .await?;
        if !user_exists(&mut tx, grantee).await? {
            return Err(StoreError::UnknownUser(grantee));
        }
        let id = sqlx::query_scalar(
            "INSERT INTO shares (person_id, grantee_id, access, granted_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(person)
        .bind(grantee)
        .bind(access.as_str())
        .bind(by)
        .bind(created_at)
        .bind(expires_at)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Share {
            id,
            person_id: person,
            grantee_id: grantee,
            access,
            granted_by: by,
            created_at,
            expires_at,
            revoked_at: None,
        })
    }

    async fn revoke(&self, share: ShareId) -> Result<Share> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE shares SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(share)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(&format!("SELECT {SHARE_COLUMNS} FROM shares WHERE id = $1"))
            .bind(share)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::UnknownShare(share))?;
        let share = share_from(&row)?;
        tx.commit().await?;
        Ok(share)
    }

    async fn shares(&self, person: PersonId) -> Result<Vec<Share>> {
        let rows = sqlx::query(&format!(
            "SELECT {SHARE_COLUMNS} FROM shares WHERE person_id = $1 ORDER BY id"
        ))
        .bind(person)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(share_from).collect()
    }

    async fn access(
        &self,
        user: UserId,
        person: PersonId,
        now: DateTime<Utc>,
    ) -> Result<Option<Access>> {
        let mut conn = self.pool.acquire().await?;
        access_in(&mut conn, user, person, now).await
    }

    async fn audit(&self, row: NewAudit) -> Result<AuditRow> {
        let at = now();
        let id = sqlx::query_scalar(
            "INSERT INTO audit (at, user_id, person_id, action, detail, origin)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(at)
        .bind(row.user_id)
        .bind(row.person_id)
        .bind(&row.action)
        .bind(&row.detail)
        .bind(&row.origin)
        .fetch_one(&self.pool)
        .await?;
        Ok(AuditRow {
            id,
            at,
            user_id: row.user_id,
            person_id: row.person_id,
            action: row.action,
            detail: row.detail,
            origin: row.origin,
        })
    }

    async fn audit_log(&self, person: PersonId) -> Result<Vec<AuditRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit WHERE person_id = $1 ORDER BY id"
        ))
        .bind(person)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(audit_from).collect()
    }

    async fn export(&self) -> Result<Backup> {
        // One snapshot for every table.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let users =
            sqlx::query("SELECT id, name, password_hash, created_at FROM users ORDER BY id")
                .fetch_all(&mut *tx)
                .await?;
        let people =
            sqlx::query("SELECT id, owner_id, display_name, created_at FROM people ORDER BY id")
                .fetch_all(&mut *tx)
                .await?;
        let entries = sqlx::query(&format!("SELECT {ENTRY_COLUMNS} FROM entries ORDER BY id"))
            .fetch_all(&mut *tx)
            .await?;
        let shares = sqlx::query(&format!("SELECT {SHARE_COLUMNS} FROM shares ORDER BY id"))
            .fetch_all(&mut *tx)
            .await?;
        let audit = sqlx::query(&format!("SELECT {AUDIT_COLUMNS} FROM audit ORDER BY id"))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Backup {
            format: BACKUP_FORMAT.to_string(),
            users: users.iter().map(user_from).collect::<Result<_>>()?,
            people: people.iter().map(person_from).collect::<Result<_>>()?,
            entries: entries
                .iter()
                .map(backup_entry_from)
                .collect::<Result<_>>()?,
            shares: shares.iter().map(share_from).collect::<Result<_>>()?,
            audit: audit.iter().map(audit_from).collect::<Result<_>>()?,
        })
    }

    async fn import(&self, backup: &Backup) -> Result<()> {
        let entries = check_backup(backup)?;
        let mut tx = self.pool.begin().await?;
        // No other writer may slip in between the emptiness check and the end.
        sqlx::query("LOCK TABLE users, people, entries, shares, audit IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        let rows: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM people)
                  + (SELECT COUNT(*) FROM entries) + (SELECT COUNT(*) FROM shares)
                  + (SELECT COUNT(*) FROM audit)",
        )
        .fetch_one(&mut *tx)
        .await?;
        if rows > 0 {
            return Err(StoreError::NotEmpty);
        }
        for u in &backup.users {
            sqlx::query(
                "INSERT INTO users (id, name, password_hash, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(u.id)
            .bind(&u.name)
            .bind(&u.password_hash)
            .bind(u.created_at)
            .execute(&mut *tx)
            .await?;
        }
        for p in &backup.people {
            sqlx::query(
                "INSERT INTO people (id, owner_id, display_name, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(p.id)
            .bind(p.owner_id)
            .bind(&p.display_name)
            .bind(p.created_at)
            .execute(&mut *tx)
            .await?;
        }
        for e in &entries {
            let (kind, payload) = e.payload.encode()?;
            sqlx::query(&format!(
                "INSERT INTO entries ({ENTRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ))
            .bind(e.id)
            .bind(e.person_id)
            .bind(kind)
            .bind(e.effective)
            .bind(payload)
            .bind(e.recorded_at)
            .bind(e.recorded_by)
            .bind(e.supersedes)
            .execute(&mut *tx)
            .await?;
        }
        for s in &backup.shares {
            sqlx::query(&format!(
                "INSERT INTO shares ({SHARE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ))
            .bind(s.id)
            .bind(s.person_id)
            .bind(s.grantee_id)
            .bind(s.access.as_str())
            .bind(s.granted_by)
            .bind(s.created_at)
            .bind(s.expires_at)
            .bind(s.revoked_at)
            .execute(&mut *tx)
            .await?;
        }
        for a in &backup.audit {
            sqlx::query(&format!(
                "INSERT INTO audit ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            ))
            .bind(a.id)
            .bind(a.at)
            .bind(a.user_id)
            .bind(a.person_id)
            .bind(&a.action)
            .bind(&a.detail)
            .bind(&a.origin)
            .execute(&mut *tx)
            .await?;
        }
        // Rows inserted with explicit ids leave the identity sequences behind:
        // move each past the largest id so that new rows do not collide.
        for table in TABLES {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false)
                 FROM {table}"
            ))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
