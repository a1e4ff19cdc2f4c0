//! Fresh databases for the suite: an SQLite file in a temporary folder, or a
//! new PostgreSQL database (`willis_test_<random>`) dropped at the end.
//!
//! PostgreSQL is found at `WILLIS_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). The PostgreSQL tests only
//! run when the crate was built with `WILLIS_TEST_POSTGRES` or `CI` set (the
//! `willis_pg` cfg, see `build.rs`); otherwise they are reported as ignored.
//! When they run and the server cannot be reached they fail: a test never
//! passes without having run. Set `WILLIS_TEST_KEEP_DB=1` to keep the
//! databases for inspection.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::SqlitePool;
use sqlx::{Connection, Executor, Row};
use willis_store::Store;

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl Kind {
    pub fn dir(self) -> &'static str {
        match self {
            Kind::Sqlite => "sqlite",
            Kind::Postgres => "postgres",
        }
    }
}

/// An empty database nobody has opened yet.
pub struct Fresh {
    pub url: String,
    pub kind: Kind,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

impl Fresh {
    /// Opens (and so migrates) the database.
    pub async fn store<S: Store>(&self) -> S {
        S::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", self.url))
    }

    /// Another empty database of the same backend.
    pub async fn sibling(&self) -> Fresh {
        match self.kind {
            Kind::Sqlite => sqlite(),
            Kind::Postgres => postgres().await,
        }
    }

    /// A plain connection pool, for what the store does not offer (raw SQL).
    pub async fn raw(&self) -> Raw {
        match self.kind {
            Kind::Sqlite => Raw::Sqlite(SqlitePool::connect(&self.url).await.unwrap()),
            Kind::Postgres => Raw::Postgres(
                PgPoolOptions::new()
                    .max_connections(2)
                    .connect(&self.url)
                    .await
                    .unwrap(),
            ),
        }
    }

    /// How many migrations the backend ships.
    pub fn migration_files(&self) -> i64 {
        let dir = format!(
            "{}/migrations/{}",
            env!("CARGO_MANIFEST_DIR"),
            self.kind.dir()
        );
        std::fs::read_dir(dir)
            .unwrap()
            .filter(|f| {
                f.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|e| e == "sql")
            })
            .count() as i64
    }
}

pub enum Raw {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Raw {
    pub async fn exec(&self, sql: &str) -> Result<u64, sqlx::Error> {
        match self {
            Raw::Sqlite(p) => p.execute(sql).await.map(|r| r.rows_affected()),
            Raw::Postgres(p) => p.execute(sql).await.map(|r| r.rows_affected()),
        }
    }

    pub async fn int(&self, sql: &str) -> i64 {
        match self {
            Raw::Sqlite(p) => sqlx::query(sql).fetch_one(p).await.unwrap().get(0),
            Raw::Postgres(p) => sqlx::query(sql).fetch_one(p).await.unwrap().get(0),
        }
    }

    pub async fn text(&self, sql: &str) -> String {
        match self {
            Raw::Sqlite(p) => sqlx::query(sql).fetch_one(p).await.unwrap().get(0),
            Raw::Postgres(p) => sqlx::query(sql).fetch_one(p).await.unwrap().get(0),
        }
    }

    /// The schema as text, to see that a second migration run changes nothing.
    pub async fn schema(&self) -> String {
        match self {
            Raw::Sqlite(_) => {
                self.text(
                    "SELECT group_concat(type || ' ' || name || ': ' || coalesce(sql, ''), char(10))
                     FROM (SELECT * FROM sqlite_master ORDER BY type, name)",
                )
                .await
            }
            Raw::Postgres(_) => {
                self.text(
                    "SELECT string_agg(table_name || '.' || column_name || ' ' || data_type, E'\\n'
                                       ORDER BY table_name, ordinal_position)
                     FROM information_schema.columns WHERE table_schema = 'public'",
                )
                .await
            }
        }
    }

    pub async fn close(&self) {
        match self {
            Raw::Sqlite(p) => p.close().await,
            Raw::Postgres(p) => p.close().await,
        }
    }
}

fn unique() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn sqlite() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/willis.db", dir.path().display());
    Fresh {
        url,
        kind: Kind::Sqlite,
        _dir: Some(dir),
        _pg: None,
    }
}

fn postgres_base() -> String {
    std::env::var("WILLIS_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_string())
}

/// `base` with its database name replaced by `name`.
fn with_database(base: &str, name: &str) -> String {
    let (url, query) = match base.split_once('?') {
        Some((u, q)) => (u, Some(q)),
        None => (base, None),
    };
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let host = rest.split('/').next().unwrap_or(rest);
    match query {
        Some(q) => format!("{scheme}://{host}/{name}?{q}"),
        None => format!("{scheme}://{host}/{name}"),
    }
}

/// A new empty PostgreSQL database; panics (failing the test) when the
/// server cannot be reached.
pub async fn postgres() -> Fresh {
    let base = postgres_base();
    let mut admin =
        match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&base)).await {
            Ok(Ok(conn)) => conn,
            failed => {
                let why = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timed out".to_string(),
                };
                panic!(
                    "PostgreSQL at {base} cannot be reached ({why}). Start it \
                 (pg_ctlcluster --skip-systemctl-redirect 15 main start), point \
                 WILLIS_TEST_POSTGRES at a server, or build the tests without \
                 WILLIS_TEST_POSTGRES and CI to skip the PostgreSQL half."
                );
            }
        };
    let name = format!("willis_test_{}", unique());
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
    admin.close().await.ok();
    Fresh {
        url: with_database(&base, &name),
        kind: Kind::Postgres,
        _dir: None,
        _pg: Some(PgDatabase { base, name }),
    }
}

/// Drops its database when the test ends, passed or failed.
struct PgDatabase {
    base: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if std::env::var_os("WILLIS_TEST_KEEP_DB").is_some() {
            eprintln!("kept test database {}", self.name);
            return;
        }
        let (base, name) = (self.base.clone(), self.name.clone());
        // A thread of its own: this may run inside the test's runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&base).await?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {dropped:?}", self.name);
        }
    }
}

/// A small seeded generator (splitmix64), so a failing run can be repeated
/// with `WILLIS_TEST_SEED`.
pub struct Rng(u64);

impl Rng {
    pub fn from_env_or_time() -> Rng {
        let seed = std::env::var("WILLIS_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        eprintln!("random seed: WILLIS_TEST_SEED={seed}");
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

#[test]
fn database_name_is_replaced() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgresql://u:p@h/db?sslmode=disable", "x"),
        "postgresql://u:p@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}
