//! The journal's costs on each backend: one `append` (a committed, synced
//! transaction), and rebuilding a record from two years of nightly diary
//! (730 entries and 40 labs): loading the entries, `materialize` alone, and
//! the whole way to a validated `Record`.
//!
//! Run with `cargo bench -p willis-store`. PostgreSQL is found at
//! `WILLIS_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! and skipped with a note when it cannot be reached.

use std::hint::black_box;
use std::time::Duration;

use chrono::{Duration as Days, NaiveDate};
use criterion::{BenchmarkId, Criterion};
use sqlx::{Connection, Executor, PgConnection};
use tokio::runtime::Runtime;
use willis_core::{DiaryFile, Knowledge, LabFile};
use willis_store::{materialize, NewEntry, Payload, PersonId, Store, UserId};

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn two_years(person: PersonId, user: UserId) -> Vec<NewEntry> {
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let mut entries: Vec<NewEntry> = (0..730)
        .map(|i| {
            let night = DiaryFile {
                severity: Some(3 + i % 7),
                onset_time: Some(format!("{:02}:30", 21 - (i * 4 / 730))),
                body_parts: vec!["legs".into()],
                sleep_hours: Some(5.5 + (i % 4) as f64 * 0.5),
                ..DiaryFile::default()
            };
            NewEntry::new(person, user, start + Days::days(i), Payload::Diary(night))
        })
        .collect();
    let tests = [
        ("ferritin", "ng/mL", 40.0),
        ("tsat", "%", 18.0),
        ("hemoglobin", "g/dL", 12.9),
        ("crp", "mg/L", 3.0),
    ];
    for i in 0..40 {
        let (test, unit, value) = tests[i % tests.len()];
        let lab = LabFile {
            test: test.into(),
            value,
            unit: unit.into(),
            date: String::new(),
            fasting: Some(true),
            morning: Some(true),
        };
        let day = start + Days::days((i / tests.len()) as i64 * 72);
        entries.push(NewEntry::new(person, user, day, Payload::Lab(lab)));
    }
    entries
}

fn bench_backend<S: Store>(c: &mut Criterion, rt: &Runtime, name: &str, url: &str) {
    let store: S = rt.block_on(S::connect(url)).unwrap();
    let user = rt.block_on(store.create_user("bench", None)).unwrap();
    let long = rt
        .block_on(store.create_person(user.id, "Two years"))
        .unwrap();
    rt.block_on(store.append_many(two_years(long.id, user.id)))
        .unwrap();
    let scratch = rt
        .block_on(store.create_person(user.id, "Appends"))
        .unwrap();

    let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    c.bench_function(&format!("append/{name}"), |b| {
        b.iter(|| {
            let night = DiaryFile {
                severity: Some(5),
                ..DiaryFile::default()
            };
            let entry = NewEntry::new(scratch.id, user.id, day, Payload::Diary(night));
            rt.block_on(store.append(entry)).unwrap()
        })
    });

    let mut group = c.benchmark_group("two_years");
    group.bench_function(BenchmarkId::new("load_entries", name), |b| {
        b.iter(|| rt.block_on(store.entries(long.id)).unwrap())
    });
    group.bench_function(BenchmarkId::new("load_materialize_validate", name), |b| {
        b.iter(|| {
            let entries = rt.block_on(store.entries(long.id)).unwrap();
            materialize(&entries, None, None)
                .validate(Knowledge::get())
                .unwrap()
        })
    });
    group.finish();
    rt.block_on(store.close());
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // The pure fold, backend-independent.
    let entries = rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/willis.db", dir.path().display());
        let store = willis_store::SqliteStore::open(&url).await.unwrap();
        let user = store.create_user("bench", None).await.unwrap();
        let person = store.create_person(user.id, "Two years").await.unwrap();
        store
            .append_many(two_years(person.id, user.id))
            .await
            .unwrap();
        let entries = store.entries(person.id).await.unwrap();
        store.close().await;
        entries
    });
    c.bench_function("two_years/materialize", |b| {
        b.iter(|| materialize(black_box(&entries), None, None))
    });
    c.bench_function("two_years/materialize_validate", |b| {
        b.iter(|| {
            materialize(black_box(&entries), None, None)
                .validate(Knowledge::get())
                .unwrap()
        })
    });

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/willis.db", dir.path().display());
    bench_backend::<willis_store::SqliteStore>(&mut c, &rt, "sqlite", &url);

    let base =
        std::env::var("WILLIS_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_string());
    let name = format!("willis_bench_{}", std::process::id());
    let created = rt.block_on(async {
        let mut admin = PgConnection::connect(&base).await?;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await?;
        admin.close().await
    });
    match created {
        Err(e) => eprintln!(
            "\n!!! PostgreSQL at {base} cannot be reached ({e}): the PostgreSQL benchmarks are skipped.\n"
        ),
        Ok(()) => {
            let (root, _) = base.rsplit_once('/').unwrap_or((base.as_str(), ""));
            let url = format!("{root}/{name}");
            bench_backend::<willis_store::PgStore>(&mut c, &rt, "postgres", &url);
            rt.block_on(async {
                let mut admin = PgConnection::connect(&base).await?;
                admin
                    .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
                    .await?;
                admin.close().await
            })
            .unwrap();
        }
    }
    c.final_summary();
}
