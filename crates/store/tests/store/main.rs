//! The store's behavioural suite, one set of tests run against each backend:
//! `sqlite::NAME` on a temporary file, `postgres::NAME` on a fresh PostgreSQL
//! database (see `harness.rs` for how it is found, and what happens when it
//! cannot be).
//!
//! The PostgreSQL tests carry `ignore` unless the crate was built with
//! `WILLIS_TEST_POSTGRES` or `CI` set (the `willis_pg` cfg from `build.rs`), so
//! a run without a server reports them as ignored, never as passed.

mod harness;
mod suite;

macro_rules! backend_suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let fresh = crate::harness::sqlite();
                    crate::suite::$name::<willis_store::SqliteStore>(&fresh).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(willis_pg), ignore = "set WILLIS_TEST_POSTGRES to run against PostgreSQL")]
                async fn $name() {
                    let fresh = crate::harness::postgres().await;
                    crate::suite::$name::<willis_store::PgStore>(&fresh).await;
                }
            )*
        }
        mod any {
            $(
                /// The same through `open(url)`, on SQLite.
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let fresh = crate::harness::sqlite();
                    crate::suite::$name::<willis_store::AnyStore>(&fresh).await;
                }
            )*
        }
    };
}

backend_suite!(
    migrations_from_empty_and_a_second_run_is_a_noop,
    concurrent_opens_of_a_new_database_all_succeed,
    user_names_are_unique,
    a_user_manages_several_people,
    every_kind_of_entry_reads_back,
    appends_are_checked,
    corrections_and_tombstones,
    the_journal_is_append_only,
    the_record_as_known_at_a_past_moment,
    a_stored_journal_becomes_a_valid_record,
    append_many_is_all_or_nothing,
    eight_writers_at_once,
    concurrent_corrections_of_one_entry,
    sharing_with_expiry_and_revocation,
    audit_rows,
    audited_changes_write_their_audit_row,
    a_refused_change_writes_no_audit_row,
    a_change_whose_audit_row_fails_is_undone,
    set_password_replaces_the_hash,
    one_share_by_id,
    tokens_are_found_by_their_hash,
    tokens_of_a_user_in_order,
    revoking_a_token_twice_keeps_the_first_time,
    a_token_is_active_until_it_expires_or_is_revoked,
    purging_removes_only_old_expired_or_revoked_tokens,
    tokens_stay_out_of_backups,
    export_import_round_trip,
    import_needs_an_empty_database,
    a_failed_import_changes_nothing,
    killed_writers_lose_nothing_committed,
);

mod open {
    use willis_store::{open, Backend, Store};

    #[tokio::test]
    async fn the_url_scheme_picks_the_backend() {
        let fresh = crate::harness::sqlite();
        let store = open(&fresh.url).await.unwrap();
        assert_eq!(store.backend(), Backend::Sqlite);
        store.close().await;
        let err = open("mysql://root@localhost/willis").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported database URL scheme \"mysql\"; use sqlite://PATH or postgres://..."
        );
    }

    #[tokio::test]
    #[cfg_attr(
        not(willis_pg),
        ignore = "set WILLIS_TEST_POSTGRES to run against PostgreSQL"
    )]
    async fn a_postgres_url_opens_postgres() {
        let pg = crate::harness::postgres().await;
        let store = open(&pg.url).await.unwrap();
        assert_eq!(store.backend(), Backend::Postgres);
        store.close().await;
    }

    /// `sslmode` in the URL is honoured (sqlx over rustls): `require`
    /// encrypts, `verify-full` refuses a certificate no root vouches for (the
    /// test server's own self-signed one). Without TLS on the server,
    /// `require` must be refused rather than fall back to plain text.
    #[tokio::test]
    #[cfg_attr(
        not(willis_pg),
        ignore = "set WILLIS_TEST_POSTGRES to run against PostgreSQL"
    )]
    async fn postgres_honours_sslmode_in_the_url() {
        let pg = crate::harness::postgres().await;
        let sep = if pg.url.contains('?') { '&' } else { '?' };
        let plain: willis_store::PgStore = pg.store().await;
        let server_tls: String = sqlx::query_scalar("SHOW ssl")
            .fetch_one(plain.pool())
            .await
            .unwrap();
        plain.close().await;
        let require = format!("{}{sep}sslmode=require", pg.url);
        if server_tls == "on" {
            let store = willis_store::PgStore::connect(&require).await.unwrap();
            let encrypted: bool =
                sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                    .fetch_one(store.pool())
                    .await
                    .unwrap();
            assert!(encrypted, "sslmode=require gave a plain connection");
            store.close().await;
            let err = open(&format!("{}{sep}sslmode=verify-full", pg.url))
                .await
                .unwrap_err();
            assert!(err.to_string().starts_with("cannot open"), "{err}");
        } else {
            let err = open(&require).await.unwrap_err();
            assert!(err.to_string().starts_with("cannot open"), "{err}");
        }
    }

    #[tokio::test]
    async fn sqlite_creates_the_file_and_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("data/willis/willis.db");
        let store = open(&format!("sqlite://{}", file.display())).await.unwrap();
        store.close().await;
        assert!(file.is_file());
    }

    #[tokio::test]
    async fn an_unopenable_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        // The path is a folder, not a file.
        let err = open(&format!("sqlite://{}", dir.path().display()))
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("cannot open the database at "), "{text}");
        assert!(text.contains(&dir.path().display().to_string()), "{text}");
    }

    #[tokio::test]
    async fn sqlite_runs_in_wal_with_full_sync_and_foreign_keys() {
        let fresh = crate::harness::sqlite();
        let store: willis_store::SqliteStore = fresh.store().await;
        let mut conn = store.pool().acquire().await.unwrap();
        let pragma = |name: &'static str| format!("PRAGMA {name}");
        let mode: String = sqlx::query_scalar(&pragma("journal_mode"))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = sqlx::query_scalar(&pragma("synchronous"))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(sync, 2, "FULL");
        let fk: i64 = sqlx::query_scalar(&pragma("foreign_keys"))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(fk, 1);
        let busy: i64 = sqlx::query_scalar(&pragma("busy_timeout"))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(busy, 10_000);
    }
}

/// A backup moves between backends unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(willis_pg),
    ignore = "set WILLIS_TEST_POSTGRES to run against PostgreSQL"
)]
async fn a_backup_moves_from_sqlite_to_postgres_and_back() {
    use willis_store::{NewAudit, Store};
    let pg = harness::postgres().await;
    let lite = harness::sqlite();
    let source: willis_store::SqliteStore = lite.store().await;
    let ada = source.create_user("ada", None).await.unwrap();
    let me = source.create_person(ada.id, "Ada").await.unwrap();
    let entries: Vec<_> = (0..50)
        .map(|i| {
            willis_store::NewEntry::new(
                me.id,
                ada.id,
                chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Duration::days(i),
                willis_store::Payload::Diary(willis_core::DiaryFile {
                    severity: Some(i % 11),
                    sleep_hours: Some(5.25 + i as f64 / 8.0),
                    ..Default::default()
                }),
            )
        })
        .collect();
    source.append_many(entries).await.unwrap();
    source
        .audit(NewAudit {
            action: "export".into(),
            ..NewAudit::default()
        })
        .await
        .unwrap();
    let backup = source.export().await.unwrap();

    let middle: willis_store::PgStore = pg.store().await;
    middle.import(&backup).await.unwrap();
    let through_pg = middle.export().await.unwrap();
    assert_eq!(through_pg, backup);

    let back_db = harness::sqlite();
    let back: willis_store::SqliteStore = back_db.store().await;
    back.import(&through_pg).await.unwrap();
    assert_eq!(back.export().await.unwrap(), backup);
    middle.close().await;
}
