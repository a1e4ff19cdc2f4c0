//! The behavioural suite: every function here runs against every backend
//! (see `main.rs`). Each takes a fresh, empty, never-opened database.

use std::collections::{BTreeSet, HashSet};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, Duration as Days, NaiveDate, SecondsFormat, Utc};
use willis_core::{DiaryFile, HabitsFile, Knowledge, LabFile, PatientFile, Profile, SymptomsFile};
use willis_store::{
    materialize, Access, Actor, AuditRow, Backup, Entry, NewAudit, NewEntry, NewToken,
    PasswordHash, Payload, Person, PersonId, ShareId, Store, StoreError, Token, TokenId, TokenKind,
    User, UserId, BACKUP_FORMAT,
};

use crate::harness::{Fresh, Kind, Rng};

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn lab(test: &str, value: f64, unit: &str) -> Payload {
    Payload::Lab(LabFile {
        test: test.into(),
        value,
        unit: unit.into(),
        date: String::new(),
        fasting: Some(true),
        morning: Some(true),
    })
}

fn night(severity: i64) -> Payload {
    Payload::Diary(DiaryFile {
        severity: Some(severity),
        onset_time: Some("21:30".into()),
        body_parts: vec!["legs".into()],
        sleep_hours: Some(6.5),
        ..DiaryFile::default()
    })
}

fn values(entries: &[Entry], known_at: Option<DateTime<Utc>>) -> Vec<f64> {
    materialize(entries, None, known_at)
        .labs
        .iter()
        .map(|l| l.value)
        .collect()
}

/// A store with one user who owns one person.
async fn setup<S: Store>(fresh: &Fresh) -> (S, User, Person) {
    let store: S = fresh.store().await;
    let owner = store
        .create_user("ada", Some(&PasswordHash::new("$argon2id$hash")))
        .await
        .unwrap();
    let person = store.create_person(owner.id, "Ada").await.unwrap();
    (store, owner, person)
}

/// A little of everything: two users, a shared person, corrections, a
/// tombstone, a revoked and an expiring share, audit rows.
async fn populate<S: Store>(store: &S) -> (User, Person) {
    let now = willis_store::now();
    let ada = store
        .create_user("ada", Some(&PasswordHash::new("$argon2id$hash")))
        .await
        .unwrap();
    let bo = store.create_user("bo", None).await.unwrap();
    let me = store.create_person(ada.id, "Ada").await.unwrap();
    let mum = store.create_person(ada.id, "Ada's mother").await.unwrap();
    let e =
        |person: &Person, date: &str, payload| NewEntry::new(person.id, ada.id, day(date), payload);
    let first = store
        .append_many(vec![
            e(
                &me,
                "2025-01-01",
                Payload::Patient(PatientFile {
                    sex: Some("female".into()),
                    birth_date: Some("1979-04-02".into()),
                    ..PatientFile::default()
                }),
            ),
            e(&me, "2025-01-02", lab("ferritin", 400.0, "ng/mL")),
            e(
                &me,
                "2025-01-03",
                Payload::MedicationStart {
                    name: "pramipexole".into(),
                    dose: Some("0.25 mg".into()),
                },
            ),
            e(&me, "2025-01-04", night(7)),
            e(
                &mum,
                "2025-01-05",
                Payload::Condition {
                    name: "diabetes".into(),
                },
            ),
        ])
        .await
        .unwrap();
    store
        .append(e(&me, "2025-01-02", lab("ferritin", 40.0, "ng/mL")).correcting(first[1].id))
        .await
        .unwrap();
    store
        .append(NewEntry::tombstone(
            me.id,
            ada.id,
            day("2025-01-04"),
            first[3].id,
        ))
        .await
        .unwrap();
    store
        .append(e(
            &me,
            "2025-02-01",
            Payload::IronInfusion {
                product: Some("ferric carboxymaltose".into()),
                dose_mg: Some(750.5),
                response: None,
            },
        ))
        .await
        .unwrap();
    let share = store
        .grant(
            me.id,
            bo.id,
            Access::Read,
            ada.id,
            Some(now + Days::days(30)),
        )
        .await
        .unwrap();
    store
        .grant(mum.id, bo.id, Access::Write, ada.id, None)
        .await
        .unwrap();
    store.revoke(share.id).await.unwrap();
    store
        .audit(NewAudit {
            user_id: Some(ada.id),
            person_id: Some(me.id),
            action: "append".into(),
            detail: "ferritin".into(),
            origin: "cli".into(),
        })
        .await
        .unwrap();
    store
        .audit(NewAudit {
            user_id: None,
            person_id: None,
            action: "sign-in-failed".into(),
            detail: "unknown user \"eve\"".into(),
            origin: "127.0.0.1".into(),
        })
        .await
        .unwrap();
    (ada, me)
}

// ---------------------------------------------------------------------------
// Schema

pub async fn migrations_from_empty_and_a_second_run_is_a_noop<S: Store>(fresh: &Fresh) {
    let store: S = fresh.store().await;
    let raw = fresh.raw().await;
    let expected = fresh.migration_files();
    assert!(expected >= 1);
    let count = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success";
    assert_eq!(raw.int(count).await, expected);
    for table in ["users", "people", "entries", "shares", "audit"] {
        assert_eq!(
            raw.int(&format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "{table}"
        );
    }
    let schema = raw.schema().await;
    let installed = raw
        .text("SELECT CAST(MAX(installed_on) AS TEXT) FROM _sqlx_migrations")
        .await;

    store.migrate().await.unwrap();
    let again: S = fresh.store().await;
    again.migrate().await.unwrap();

    assert_eq!(raw.int(count).await, expected);
    assert_eq!(raw.schema().await, schema);
    assert_eq!(
        raw.text("SELECT CAST(MAX(installed_on) AS TEXT) FROM _sqlx_migrations")
            .await,
        installed
    );
    raw.close().await;
}

pub async fn concurrent_opens_of_a_new_database_all_succeed<S: Store>(fresh: &Fresh) {
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = fresh.url.clone();
            tokio::spawn(async move { S::connect(&url).await })
        })
        .collect();
    for open in opens {
        open.await.unwrap().unwrap().close().await;
    }
    let raw = fresh.raw().await;
    assert_eq!(
        raw.int("SELECT COUNT(*) FROM _sqlx_migrations").await,
        fresh.migration_files()
    );
    raw.close().await;
}

// ---------------------------------------------------------------------------
// Users and people

pub async fn user_names_are_unique<S: Store>(fresh: &Fresh) {
    let store: S = fresh.store().await;
    let ada = store
        .create_user("ada", Some(&PasswordHash::new("$argon2id$secret")))
        .await
        .unwrap();
    assert_eq!(store.user_by_name("ada").await.unwrap(), Some(ada.clone()));
    // The hash is kept, and never printed.
    let read = store.user(ada.id).await.unwrap().unwrap();
    assert_eq!(
        read.password_hash.as_ref().map(PasswordHash::expose),
        Some("$argon2id$secret")
    );
    assert!(!format!("{read:?}").contains("secret"), "{read:?}");
    assert_eq!(store.user(ada.id).await.unwrap(), Some(ada.clone()));
    assert_eq!(store.user_by_name("bo").await.unwrap(), None);
    assert_eq!(store.user(willis_store::UserId(999)).await.unwrap(), None);

    let err = store.create_user("ada", None).await.unwrap_err();
    assert!(matches!(err, StoreError::NameTaken { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the user name \"ada\" is taken; choose another"
    );
    let err = store.create_user("  ", None).await.unwrap_err();
    assert!(matches!(err, StoreError::EmptyName { .. }), "{err:?}");

    let bo = store.create_user("bo", None).await.unwrap();
    assert!(bo.id > ada.id);
    assert_eq!(bo.password_hash, None);
}

pub async fn a_user_manages_several_people<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let child = store.create_person(ada.id, "Ada's son").await.unwrap();
    assert_eq!(store.person(child.id).await.unwrap(), Some(child.clone()));
    assert_eq!(store.person(PersonId(999)).await.unwrap(), None);
    let mine = store.people_of(ada.id, willis_store::now()).await.unwrap();
    assert_eq!(mine, [(me, Access::Write), (child, Access::Write)]);

    let err = store
        .create_person(UserId(999), "Nobody's")
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownUser(UserId(999))),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "user 999 does not exist");
    let err = store.create_person(ada.id, "").await.unwrap_err();
    assert!(matches!(err, StoreError::EmptyName { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------
// The journal

pub async fn every_kind_of_entry_reads_back<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    assert_eq!(store.last_entry(me.id).await.unwrap(), None);
    let payloads = vec![
        Payload::Patient(PatientFile {
            birth_date: Some("1979-04-02".into()),
            sex: Some("female".into()),
            pregnancy_weeks: None,
            dialysis: Some(false),
            weight_kg: Some(68.5),
        }),
        lab("ferritin", 45.0, "ng/mL"),
        night(6),
        Payload::MedicationStart {
            name: "pregabalin".into(),
            dose: Some("75 mg".into()),
        },
        Payload::MedicationChange {
            name: "pregabalin".into(),
            dose: "150 mg".into(),
        },
        Payload::MedicationStop {
            name: "pregabalin".into(),
            outcome: Some("side-effects".into()),
        },
        Payload::MedicationOutcome {
            name: "pregabalin".into(),
            outcome: "ineffective".into(),
        },
        Payload::IronInfusion {
            product: Some("ferric carboxymaltose".into()),
            dose_mg: Some(1000.0),
            response: None,
        },
        Payload::InfusionResponse {
            response: "improved".into(),
        },
        Payload::OralIronStart {
            product: Some("ferrous bisglycinate".into()),
            elemental_mg: Some(25.0),
            schedule: Some("daily".into()),
        },
        Payload::OralIronStop { outcome: None },
        Payload::OralIronOutcome {
            outcome: "effective".into(),
        },
        Payload::Condition {
            name: "peripheral-neuropathy".into(),
        },
        Payload::ConditionResolved {
            name: "peripheral-neuropathy".into(),
        },
        Payload::Symptoms(SymptomsFile {
            urge_to_move: Some(true),
            irls_total: Some(24),
            body_parts: vec!["legs".into()],
            ..SymptomsFile::default()
        }),
        Payload::Habits(HabitsFile {
            alcohol_units_per_week: Some(4.0),
            caffeine_drinks_per_day: Some(3.0),
            smoker: Some(false),
        }),
        Payload::Sleep(willis_core::SleepFile {
            snoring: Some(true),
            epworth: Some(12),
            plms_index: Some(18.5),
            ..willis_core::SleepFile::default()
        }),
    ];
    let mut appended = Vec::new();
    for (i, payload) in payloads.into_iter().enumerate() {
        let date = day("2025-01-01") + Days::days(i as i64);
        appended.push(
            store
                .append(NewEntry::new(me.id, ada.id, date, payload))
                .await
                .unwrap(),
        );
    }
    let target = appended[1].id;
    appended.push(
        store
            .append(NewEntry::tombstone(
                me.id,
                ada.id,
                day("2025-02-01"),
                target,
            ))
            .await
            .unwrap(),
    );

    let read = store.entries(me.id).await.unwrap();
    assert_eq!(read, appended);
    assert!(read.windows(2).all(|w| w[0].id < w[1].id), "ordered by id");
    assert!(read
        .iter()
        .all(|e| e.recorded_by == ada.id && e.person_id == me.id));
    assert_eq!(
        store.last_entry(me.id).await.unwrap().as_ref(),
        appended.last()
    );
    let kinds: BTreeSet<&str> = read.iter().map(Entry::kind).collect();
    assert_eq!(kinds.len(), 18, "every kind: {kinds:?}");

    let other = store.create_person(ada.id, "Other").await.unwrap();
    assert!(store.entries(other.id).await.unwrap().is_empty());
}

pub async fn appends_are_checked<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let other = store.create_person(ada.id, "Other").await.unwrap();
    let d = day("2025-03-01");
    let theirs = store
        .append(NewEntry::new(other.id, ada.id, d, night(3)))
        .await
        .unwrap();

    let err = store
        .append(NewEntry::new(PersonId(999), ada.id, d, night(1)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownPerson(PersonId(999))),
        "{err:?}"
    );
    let err = store
        .append(NewEntry::new(me.id, UserId(999), d, night(1)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownUser(UserId(999))),
        "{err:?}"
    );
    let err = store
        .append(NewEntry::new(me.id, ada.id, d, night(1)).correcting(willis_store::EntryId(999)))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "entry 999 does not exist");
    let err = store
        .append(NewEntry::new(me.id, ada.id, d, night(1)).correcting(theirs.id))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::OtherPerson { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("entry {} belongs to another person", theirs.id)
    );
    let err = store
        .append(NewEntry::new(me.id, ada.id, d, Payload::Tombstone))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::TombstoneWithoutTarget), "{err:?}");
    let dated = Payload::Lab(LabFile {
        date: "2025-02-28".into(),
        ..LabFile::default()
    });
    let err = store
        .append(NewEntry::new(me.id, ada.id, d, dated))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::DateMismatch { .. }), "{err:?}");
    let nan = Payload::IronInfusion {
        product: None,
        dose_mg: Some(f64::NAN),
        response: None,
    };
    let err = store
        .append(NewEntry::new(me.id, ada.id, d, nan))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidPayload { .. }), "{err:?}");

    // The same date in the payload is fine.
    let same = Payload::Diary(DiaryFile {
        date: "2025-03-01".into(),
        ..DiaryFile::default()
    });
    store
        .append(NewEntry::new(me.id, ada.id, d, same))
        .await
        .unwrap();
    assert_eq!(
        store.entries(me.id).await.unwrap().len(),
        1,
        "only the good entry"
    );
}

pub async fn corrections_and_tombstones<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let d = day("2025-03-01");
    let a = store
        .append(NewEntry::new(
            me.id,
            ada.id,
            d,
            lab("ferritin", 1.0, "ng/mL"),
        ))
        .await
        .unwrap();
    let b = store
        .append(NewEntry::new(me.id, ada.id, d, lab("ferritin", 2.0, "ng/mL")).correcting(a.id))
        .await
        .unwrap();
    let c = store
        .append(NewEntry::new(me.id, ada.id, d, lab("ferritin", 3.0, "ng/mL")).correcting(b.id))
        .await
        .unwrap();
    assert_eq!(values(&store.entries(me.id).await.unwrap(), None), [3.0]);

    let err = store
        .append(NewEntry::new(me.id, ada.id, d, lab("ferritin", 9.0, "ng/mL")).correcting(a.id))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadySuperseded { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "entry {} is already superseded by entry {}; correct or delete entry {} instead",
            a.id, b.id, b.id
        )
    );

    let other = store
        .append(NewEntry::new(me.id, ada.id, d, lab("tsat", 15.0, "%")))
        .await
        .unwrap();
    let gone = store
        .append(NewEntry::tombstone(me.id, ada.id, d, c.id))
        .await
        .unwrap();
    let entries = store.entries(me.id).await.unwrap();
    assert_eq!(values(&entries, None), [15.0]);
    assert_eq!(entries.len(), 5, "history is kept");

    // Undo the deletion by correcting the tombstone.
    store
        .append(NewEntry::new(me.id, ada.id, d, lab("ferritin", 3.0, "ng/mL")).correcting(gone.id))
        .await
        .unwrap();
    let mut back = values(&store.entries(me.id).await.unwrap(), None);
    back.sort_by(f64::total_cmp);
    assert_eq!(back, [3.0, 15.0]);
    assert!(other.id < gone.id);
}

pub async fn the_journal_is_append_only<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let a = store
        .append(NewEntry::new(
            me.id,
            ada.id,
            day("2025-03-01"),
            lab("ferritin", 40.0, "ng/mL"),
        ))
        .await
        .unwrap();
    store
        .audit(NewAudit {
            user_id: Some(ada.id),
            person_id: Some(me.id),
            action: "read".into(),
            ..NewAudit::default()
        })
        .await
        .unwrap();
    let before = store.export().await.unwrap();
    let raw = fresh.raw().await;
    for sql in [
        format!("UPDATE entries SET kind = 'horoscope' WHERE id = {}", a.id),
        format!("DELETE FROM entries WHERE id = {}", a.id),
        "DELETE FROM entries".to_string(),
        "UPDATE audit SET action = 'nothing'".to_string(),
        "DELETE FROM audit".to_string(),
    ] {
        let err = raw.exec(&sql).await.expect_err(&sql).to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    if fresh.kind == Kind::Postgres {
        let err = raw
            .exec("TRUNCATE entries CASCADE")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("append-only"), "{err}");
    }
    raw.close().await;
    assert_eq!(store.export().await.unwrap(), before);
}

pub async fn the_record_as_known_at_a_past_moment<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let d = day("2025-03-01");
    let pause = || tokio::time::sleep(Duration::from_millis(5));
    let before = willis_store::now();
    pause().await;
    let typo = store
        .append(NewEntry::new(
            me.id,
            ada.id,
            d,
            lab("ferritin", 400.0, "ng/mL"),
        ))
        .await
        .unwrap();
    pause().await;
    let t1 = willis_store::now();
    pause().await;
    let fixed = store
        .append(NewEntry::new(me.id, ada.id, d, lab("ferritin", 40.0, "ng/mL")).correcting(typo.id))
        .await
        .unwrap();
    pause().await;
    let t2 = willis_store::now();
    pause().await;
    store
        .append(NewEntry::tombstone(me.id, ada.id, d, fixed.id))
        .await
        .unwrap();
    let t3 = willis_store::now();

    let entries = store.entries(me.id).await.unwrap();
    assert!(values(&entries, Some(before)).is_empty());
    assert_eq!(values(&entries, Some(typo.recorded_at)), [400.0]);
    assert_eq!(
        values(&entries, Some(t1)),
        [400.0],
        "what the plan saw before the correction"
    );
    assert_eq!(values(&entries, Some(t2)), [40.0]);
    assert!(values(&entries, Some(t3)).is_empty());
    assert!(values(&entries, None).is_empty());
}

pub async fn a_stored_journal_becomes_a_valid_record<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let e = |date: &str, payload| NewEntry::new(me.id, ada.id, day(date), payload);
    let mut batch = vec![
        e(
            "2025-01-01",
            Payload::Patient(PatientFile {
                birth_date: Some("1979-04-02".into()),
                sex: Some("female".into()),
                ..PatientFile::default()
            }),
        ),
        e(
            "2025-01-01",
            Payload::Symptoms(SymptomsFile {
                urge_to_move: Some(true),
                worse_at_rest: Some(true),
                relieved_by_movement: Some(true),
                worse_evening_or_night: Some(true),
                not_explained_by_other_condition: Some(true),
                days_per_week: Some(5),
                irls_total: Some(24),
                ..SymptomsFile::default()
            }),
        ),
        e("2025-01-02", lab("ferritin", 45.0, "ng/mL")),
        e("2025-01-02", lab("tsat", 18.0, "%")),
        e(
            "2024-05-01",
            Payload::MedicationStart {
                name: "Sertraline".into(),
                dose: Some("50 mg daily".into()),
            },
        ),
        e(
            "2025-02-01",
            Payload::MedicationStop {
                name: "sertraline".into(),
                outcome: None,
            },
        ),
        e(
            "2025-02-02",
            Payload::MedicationStart {
                name: "sertraline".into(),
                dose: Some("25 mg daily".into()),
            },
        ),
    ];
    for i in 0..60 {
        batch.push(e(
            &(day("2025-01-01") + Days::days(i)).to_string(),
            night(i % 11),
        ));
    }
    store.append_many(batch).await.unwrap();
    let record = materialize(&store.entries(me.id).await.unwrap(), None, None)
        .validate(Knowledge::get())
        .unwrap();
    assert_eq!(record.diary.len(), 60);
    assert_eq!(record.labs.len(), 2);
    assert_eq!(record.medications.len(), 2);
    assert_eq!(record.medications[0].stopped, Some(day("2025-02-01")));
    assert_eq!(record.medications[1].stopped, None);
    let plan = willis_core::assess(&record, day("2025-03-01"), Profile::default());
    assert!(!plan.steps.is_empty());
}

pub async fn append_many_is_all_or_nothing<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let other = store.create_person(ada.id, "Other").await.unwrap();
    let theirs = store
        .append(NewEntry::new(other.id, ada.id, day("2025-01-01"), night(2)))
        .await
        .unwrap();
    let before = store.export().await.unwrap();
    let e = |i: i64| NewEntry::new(me.id, ada.id, day("2025-01-01") + Days::days(i), night(i));
    let batch = vec![e(1), e(2), e(3).correcting(theirs.id), e(4)];
    let err = store.append_many(batch).await.unwrap_err();
    assert!(matches!(err, StoreError::OtherPerson { .. }), "{err:?}");
    assert_eq!(
        store.export().await.unwrap(),
        before,
        "nothing of the batch stayed"
    );

    let good = store.append_many((1..=5).map(e).collect()).await.unwrap();
    assert_eq!(good.len(), 5);
    assert_eq!(store.entries(me.id).await.unwrap(), good);
    assert!(store.append_many(Vec::new()).await.unwrap().is_empty());
}

pub async fn eight_writers_at_once<S: Store>(fresh: &Fresh) {
    const WRITERS: i64 = 8;
    const EACH: i64 = 500;
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let url = fresh.url.clone();
            let (person, user) = (me.id, ada.id);
            tokio::spawn(async move {
                // Each writer has its own pool, as separate processes would.
                let store = S::connect(&url).await.unwrap();
                let mut ids = Vec::new();
                for i in 0..EACH {
                    let payload = Payload::Diary(DiaryFile {
                        severity: Some(w),
                        sleep_hours: Some(i as f64),
                        ..DiaryFile::default()
                    });
                    let entry = store
                        .append(NewEntry::new(person, user, day("2025-01-01"), payload))
                        .await
                        .unwrap_or_else(|e| panic!("writer {w}, entry {i}: {e}"));
                    ids.push(entry.id);
                }
                store.close().await;
                ids
            })
        })
        .collect();
    let mut returned = Vec::new();
    for w in writers {
        returned.extend(w.await.unwrap());
    }
    let entries = store.entries(me.id).await.unwrap();
    assert_eq!(entries.len(), (WRITERS * EACH) as usize);
    let stored: BTreeSet<_> = entries.iter().map(|e| e.id).collect();
    assert_eq!(stored.len(), entries.len(), "ids are unique");
    assert_eq!(
        stored,
        returned.iter().copied().collect(),
        "every returned id is stored"
    );
    let written: HashSet<(i64, u64)> = entries
        .iter()
        .map(|e| match &e.payload {
            Payload::Diary(d) => (d.severity.unwrap(), d.sleep_hours.unwrap() as u64),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(written.len(), entries.len(), "no entry written twice");
}

pub async fn concurrent_corrections_of_one_entry<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let a = store
        .append(NewEntry::new(me.id, ada.id, day("2025-01-01"), night(1)))
        .await
        .unwrap();
    let tries: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .append(
                        NewEntry::new(me.id, ada.id, day("2025-01-01"), night(i)).correcting(a.id),
                    )
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for t in tries {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(StoreError::AlreadySuperseded { .. }) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(
        materialize(&store.entries(me.id).await.unwrap(), None, None)
            .diary
            .len(),
        1
    );
}

// ---------------------------------------------------------------------------
// Sharing and audit

pub async fn sharing_with_expiry_and_revocation<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let reader = store.create_user("reader", None).await.unwrap();
    let writer = store.create_user("writer", None).await.unwrap();
    let stranger = store.create_user("stranger", None).await.unwrap();
    let now = willis_store::now();
    let later = now + Days::hours(2);
    let d = day("2025-01-01");

    let read = store
        .grant(
            me.id,
            reader.id,
            Access::Read,
            ada.id,
            Some(now + Days::hours(1)),
        )
        .await
        .unwrap();
    let write = store
        .grant(me.id, writer.id, Access::Write, ada.id, None)
        .await
        .unwrap();
    assert_eq!(
        store.access(ada.id, me.id, now).await.unwrap(),
        Some(Access::Write)
    );
    assert_eq!(
        store.access(reader.id, me.id, now).await.unwrap(),
        Some(Access::Read)
    );
    assert_eq!(
        store.access(reader.id, me.id, later).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        store.access(writer.id, me.id, later).await.unwrap(),
        Some(Access::Write)
    );
    assert_eq!(store.access(stranger.id, me.id, now).await.unwrap(), None);
    assert_eq!(
        store.access(ada.id, PersonId(999), now).await.unwrap(),
        None
    );

    assert_eq!(
        store.people_of(reader.id, now).await.unwrap(),
        [(me.clone(), Access::Read)]
    );
    assert!(store.people_of(reader.id, later).await.unwrap().is_empty());
    assert!(store.people_of(stranger.id, now).await.unwrap().is_empty());

    let err = store
        .append(NewEntry::new(me.id, reader.id, d, night(1)))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NoWriteAccess { .. }), "{err:?}");
    let err = store
        .append(NewEntry::new(me.id, stranger.id, d, night(1)))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NoWriteAccess { .. }), "{err:?}");
    let by_writer = store
        .append(NewEntry::new(me.id, writer.id, d, night(1)))
        .await
        .unwrap();
    assert_eq!(by_writer.recorded_by, writer.id);

    let err = store
        .grant(me.id, stranger.id, Access::Read, reader.id, None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NoShareAccess { .. }), "{err:?}");
    let err = store
        .grant(me.id, UserId(999), Access::Read, ada.id, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownUser(UserId(999))),
        "{err:?}"
    );

    // A second, better share counts while it lasts.
    let upgrade = store
        .grant(me.id, reader.id, Access::Write, ada.id, None)
        .await
        .unwrap();
    assert_eq!(
        store.access(reader.id, me.id, now).await.unwrap(),
        Some(Access::Write)
    );
    assert_eq!(
        store.people_of(reader.id, now).await.unwrap(),
        [(me.clone(), Access::Write)]
    );
    store.revoke(upgrade.id).await.unwrap();
    assert_eq!(
        store.access(reader.id, me.id, now).await.unwrap(),
        Some(Access::Read)
    );

    let revoked = store.revoke(write.id).await.unwrap();
    let revoked_at = revoked.revoked_at.expect("revoked");
    assert!(!revoked.active_at(now));
    assert_eq!(
        store
            .access(writer.id, me.id, willis_store::now())
            .await
            .unwrap(),
        None
    );
    let err = store
        .append(NewEntry::new(me.id, writer.id, d, night(2)))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NoWriteAccess { .. }), "{err:?}");
    let again = store.revoke(write.id).await.unwrap();
    assert_eq!(
        again.revoked_at,
        Some(revoked_at),
        "the first revocation stands"
    );
    let err = store.revoke(willis_store::ShareId(999)).await.unwrap_err();
    assert!(matches!(err, StoreError::UnknownShare(_)), "{err:?}");

    let shares = store.shares(me.id).await.unwrap();
    assert_eq!(shares.len(), 3);
    assert_eq!(shares[0], read);
    assert_eq!(shares[1], again);
    assert_eq!(shares[0].expires_at, Some(now + Days::hours(1)));
}

pub async fn audit_rows<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let other = store.create_person(ada.id, "Other").await.unwrap();
    let row = |person: Option<PersonId>, action: &str| NewAudit {
        user_id: Some(ada.id),
        person_id: person,
        action: action.into(),
        detail: format!("{action} detail"),
        origin: "cli".into(),
    };
    let first = store.audit(row(Some(me.id), "read")).await.unwrap();
    store.audit(row(Some(other.id), "read")).await.unwrap();
    store
        .audit(NewAudit {
            user_id: None,
            person_id: None,
            action: "sign-in-failed".into(),
            detail: "eve".into(),
            origin: "192.0.2.7".into(),
        })
        .await
        .unwrap();
    let last = store.audit(row(Some(me.id), "export")).await.unwrap();

    let log = store.audit_log(me.id).await.unwrap();
    assert_eq!(log, [first.clone(), last.clone()]);
    assert_eq!(first.detail, "read detail");
    assert_eq!(first.origin, "cli");
    assert!(first.at <= last.at && first.id < last.id);
    assert_eq!(store.audit_log(other.id).await.unwrap().len(), 1);
    let everything = store.export().await.unwrap().audit;
    assert_eq!(everything.len(), 4);
    assert_eq!(everything[2].user_id, None);
    assert_eq!(everything[2].origin, "192.0.2.7");
}

// ---------------------------------------------------------------------------
// Audited changes: the change and its audit row, both or neither

/// The audit rows (about anyone) written since the last call.
async fn new_audit_rows<S: Store>(store: &S, seen: &mut usize) -> Vec<AuditRow> {
    let all = store.export().await.unwrap().audit;
    let new = all[*seen..].to_vec();
    *seen = all.len();
    new
}

#[track_caller]
fn assert_one_row(rows: &[AuditRow], actor: &Actor, person: PersonId, action: &str, detail: &str) {
    assert_eq!(rows.len(), 1, "exactly one new audit row: {rows:?}");
    let row = &rows[0];
    assert_eq!(row.user_id, Some(actor.user));
    assert_eq!(row.person_id, Some(person));
    assert_eq!(row.action, action);
    assert_eq!(row.detail, detail);
    assert_eq!(row.origin, actor.origin);
}

pub async fn audited_changes_write_their_audit_row<S: Store>(fresh: &Fresh) {
    let (store, ada, _): (S, _, _) = setup(fresh).await;
    let bo = store.create_user("bo", None).await.unwrap();
    let owner = Actor {
        user: ada.id,
        origin: "192.0.2.1".into(),
    };
    let d = day("2025-03-01");
    let mut seen = 0;

    let kid = store
        .create_person_audited(ada.id, "Ada's daughter", &owner)
        .await
        .unwrap();
    assert_eq!(store.person(kid.id).await.unwrap(), Some(kid.clone()));
    let rows = new_audit_rows(&store, &mut seen).await;
    assert_one_row(&rows, &owner, kid.id, "create-person", "Ada's daughter");

    let first = store
        .append_audited(NewEntry::new(kid.id, ada.id, d, night(3)), &owner)
        .await
        .unwrap();
    let rows = new_audit_rows(&store, &mut seen).await;
    assert_one_row(
        &rows,
        &owner,
        kid.id,
        "append",
        &format!("entry {}", first.id),
    );

    let fixed = store
        .append_audited(
            NewEntry::new(kid.id, ada.id, d, night(4)).correcting(first.id),
            &owner,
        )
        .await
        .unwrap();
    let rows = new_audit_rows(&store, &mut seen).await;
    let detail = format!("entry {} corrects {}", fixed.id, first.id);
    assert_one_row(&rows, &owner, kid.id, "correct", &detail);

    let gone = store
        .append_audited(NewEntry::tombstone(kid.id, ada.id, d, fixed.id), &owner)
        .await
        .unwrap();
    let rows = new_audit_rows(&store, &mut seen).await;
    let detail = format!("entry {} deletes {}", gone.id, fixed.id);
    assert_one_row(&rows, &owner, kid.id, "delete", &detail);

    let many = store
        .append_many_audited(
            (5..8)
                .map(|i| NewEntry::new(kid.id, ada.id, d + Days::days(i), night(i)))
                .collect(),
            &owner,
        )
        .await
        .unwrap();
    let rows = new_audit_rows(&store, &mut seen).await;
    let detail = format!("entries {}..{} (3)", many[0].id, many[2].id);
    assert_one_row(&rows, &owner, kid.id, "append-many", &detail);
    assert_eq!(store.entries(kid.id).await.unwrap().len(), 6);

    let until = willis_store::now() + Days::days(30);
    let read = store
        .grant_audited(kid.id, bo.id, Access::Read, Some(until), &owner)
        .await
        .unwrap();
    assert_eq!(read.granted_by, ada.id, "the actor grants");
    let rows = new_audit_rows(&store, &mut seen).await;
    let detail = format!(
        "share {}: read for user {} until {}",
        read.id,
        bo.id,
        until.to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    assert_one_row(&rows, &owner, kid.id, "grant", &detail);

    let write = store
        .grant_audited(kid.id, bo.id, Access::Write, None, &owner)
        .await
        .unwrap();
    let rows = new_audit_rows(&store, &mut seen).await;
    let detail = format!(
        "share {}: write for user {} until no expiry",
        write.id, bo.id
    );
    assert_one_row(&rows, &owner, kid.id, "grant", &detail);

    let ended = store.revoke_audited(read.id, &owner).await.unwrap();
    assert!(ended.revoked_at.is_some());
    let rows = new_audit_rows(&store, &mut seen).await;
    assert_one_row(
        &rows,
        &owner,
        kid.id,
        "revoke",
        &format!("share {}", read.id),
    );

    // A grantee may give up their own share.
    let grantee = Actor {
        user: bo.id,
        origin: "cli".into(),
    };
    store.revoke_audited(write.id, &grantee).await.unwrap();
    let rows = new_audit_rows(&store, &mut seen).await;
    assert_one_row(
        &rows,
        &grantee,
        kid.id,
        "revoke",
        &format!("share {}", write.id),
    );
    assert_eq!(
        store
            .access(bo.id, kid.id, willis_store::now())
            .await
            .unwrap(),
        None
    );

    let log = store.audit_log(kid.id).await.unwrap();
    assert_eq!(log, store.export().await.unwrap().audit);
    let actions: Vec<&str> = log.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "create-person",
            "append",
            "correct",
            "delete",
            "append-many",
            "grant",
            "grant",
            "revoke",
            "revoke"
        ]
    );
}

/// A refused change leaves the whole database as it was: no entry, no share,
/// no person, no audit row.
macro_rules! refused {
    ($store:expr, $before:expr, $change:expr, $error:pat) => {{
        let err = $change.await.unwrap_err();
        assert!(matches!(err, $error), "{err:?}");
        assert_eq!($store.export().await.unwrap(), $before, "after: {err}");
    }};
}

pub async fn a_refused_change_writes_no_audit_row<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let reader = store.create_user("reader", None).await.unwrap();
    let stranger = store.create_user("stranger", None).await.unwrap();
    let share = store
        .grant(me.id, reader.id, Access::Read, ada.id, None)
        .await
        .unwrap();
    let d = day("2025-03-01");
    let first = store
        .append(NewEntry::new(me.id, ada.id, d, night(2)))
        .await
        .unwrap();
    store
        .append(NewEntry::new(me.id, ada.id, d, night(3)).correcting(first.id))
        .await
        .unwrap();
    let as_owner = Actor {
        user: ada.id,
        origin: "cli".into(),
    };
    let as_reader = Actor {
        user: reader.id,
        origin: "cli".into(),
    };
    let as_stranger = Actor {
        user: stranger.id,
        origin: "cli".into(),
    };
    let before = store.export().await.unwrap();
    let superseded_again = NewEntry::new(me.id, ada.id, d, night(5)).correcting(first.id);

    refused!(
        store,
        before,
        store.append_audited(NewEntry::new(me.id, reader.id, d, night(1)), &as_reader),
        StoreError::NoWriteAccess { .. }
    );
    refused!(
        store,
        before,
        store.append_audited(NewEntry::new(me.id, stranger.id, d, night(1)), &as_stranger),
        StoreError::NoWriteAccess { .. }
    );
    refused!(
        store,
        before,
        store.append_audited(superseded_again.clone(), &as_owner),
        StoreError::AlreadySuperseded { .. }
    );
    refused!(
        store,
        before,
        store.append_audited(NewEntry::new(me.id, ada.id, d, night(1)), &as_reader),
        StoreError::ActorIsNotRecorder { .. }
    );
    refused!(
        store,
        before,
        store.append_many_audited(
            vec![
                NewEntry::new(me.id, ada.id, d, night(6)),
                NewEntry::new(me.id, ada.id, d, night(7)),
                superseded_again,
            ],
            &as_owner
        ),
        StoreError::AlreadySuperseded { .. }
    );
    refused!(
        store,
        before,
        store.grant_audited(me.id, stranger.id, Access::Read, None, &as_reader),
        StoreError::NoShareAccess { .. }
    );
    refused!(
        store,
        before,
        store.grant_audited(me.id, UserId(999), Access::Read, None, &as_owner),
        StoreError::UnknownUser(UserId(999))
    );
    refused!(
        store,
        before,
        store.revoke_audited(share.id, &as_stranger),
        StoreError::NoRevokeAccess { .. }
    );
    refused!(
        store,
        before,
        store.revoke_audited(willis_store::ShareId(999), &as_owner),
        StoreError::UnknownShare(_)
    );
    refused!(
        store,
        before,
        store.create_person_audited(ada.id, " ", &as_owner),
        StoreError::EmptyName { .. }
    );
    let ghost = Actor {
        user: UserId(999),
        origin: "cli".into(),
    };
    refused!(
        store,
        before,
        store.create_person_audited(ada.id, "Ghost's", &ghost),
        StoreError::UnknownUser(UserId(999))
    );
    assert!(store.audit_log(me.id).await.unwrap().is_empty());
}

/// Makes the database itself refuse audit rows from `origin`, as a failing
/// disk or a constraint would: the change before it must be undone.
async fn refuse_audit_rows_from(fresh: &Fresh, origin: &str) {
    let raw = fresh.raw().await;
    match fresh.kind {
        Kind::Sqlite => {
            raw.exec(&format!(
                "CREATE TRIGGER test_refuses_audit BEFORE INSERT ON audit
                 WHEN NEW.origin = '{origin}'
                 BEGIN SELECT RAISE(ABORT, 'audit row refused by the test'); END"
            ))
            .await
            .unwrap();
        }
        Kind::Postgres => {
            raw.exec(&format!(
                "CREATE FUNCTION test_refuses_audit() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                     IF NEW.origin = '{origin}' THEN
                         RAISE EXCEPTION 'audit row refused by the test';
                     END IF;
                     RETURN NEW;
                 END $$"
            ))
            .await
            .unwrap();
            raw.exec(
                "CREATE TRIGGER test_refuses_audit BEFORE INSERT ON audit
                 FOR EACH ROW EXECUTE FUNCTION test_refuses_audit()",
            )
            .await
            .unwrap();
        }
    }
    raw.close().await;
}

pub async fn a_change_whose_audit_row_fails_is_undone<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let bo = store.create_user("bo", None).await.unwrap();
    let share = store
        .grant(me.id, bo.id, Access::Read, ada.id, None)
        .await
        .unwrap();
    let d = day("2025-03-01");
    let first = store
        .append(NewEntry::new(me.id, ada.id, d, night(2)))
        .await
        .unwrap();
    refuse_audit_rows_from(fresh, "refused").await;
    let failing = Actor {
        user: ada.id,
        origin: "refused".into(),
    };
    let before = store.export().await.unwrap();

    // Each change would succeed on its own; only its audit row fails.
    refused!(
        store,
        before,
        store.append_audited(NewEntry::new(me.id, ada.id, d, night(3)), &failing),
        StoreError::Database(_)
    );
    refused!(
        store,
        before,
        store.append_audited(
            NewEntry::new(me.id, ada.id, d, night(4)).correcting(first.id),
            &failing
        ),
        StoreError::Database(_)
    );
    refused!(
        store,
        before,
        store.append_many_audited(
            vec![
                NewEntry::new(me.id, ada.id, d, night(5)),
                NewEntry::new(me.id, ada.id, d, night(6)),
            ],
            &failing
        ),
        StoreError::Database(_)
    );
    refused!(
        store,
        before,
        store.create_person_audited(ada.id, "Ada's son", &failing),
        StoreError::Database(_)
    );
    refused!(
        store,
        before,
        store.grant_audited(me.id, bo.id, Access::Write, None, &failing),
        StoreError::Database(_)
    );
    refused!(
        store,
        before,
        store.revoke_audited(share.id, &failing),
        StoreError::Database(_)
    );
    assert_eq!(store.shares(me.id).await.unwrap()[0].revoked_at, None);

    // The same changes from another origin go through: the failures above
    // came from the audit row alone.
    let fine = Actor {
        user: ada.id,
        origin: "cli".into(),
    };
    store
        .append_audited(
            NewEntry::new(me.id, ada.id, d, night(4)).correcting(first.id),
            &fine,
        )
        .await
        .unwrap();
    store.revoke_audited(share.id, &fine).await.unwrap();
    assert_eq!(store.audit_log(me.id).await.unwrap().len(), 2);
}

// ---------------------------------------------------------------------------
// Passwords, single shares and tokens

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// A hex SHA-256-looking hash, distinct per `n`.
fn hash(n: u32) -> String {
    format!("{n:064x}")
}

fn session(user: UserId, n: u32) -> NewToken {
    NewToken {
        user_id: user,
        kind: TokenKind::Session,
        person_id: None,
        label: "Mozilla/5.0 (X11; Linux x86_64)".into(),
        csrf: Some(format!("csrf-{n}")),
        created_at: at("2026-03-01T09:00:00.123456Z"),
        expires_at: Some(at("2026-03-02T09:00:00.123456Z")),
        hash: hash(n),
    }
}

fn api(user: UserId, n: u32) -> NewToken {
    NewToken {
        user_id: user,
        kind: TokenKind::Api,
        person_id: None,
        label: format!("script {n}"),
        csrf: None,
        created_at: at("2026-03-01T09:00:00Z"),
        expires_at: None,
        hash: hash(n),
    }
}

pub async fn set_password_replaces_the_hash<S: Store>(fresh: &Fresh) {
    let store: S = fresh.store().await;
    let ada = store.create_user("ada", None).await.unwrap();
    let bo = store
        .create_user("bo", Some(&PasswordHash::new("$argon2id$bo")))
        .await
        .unwrap();
    store
        .set_password(ada.id, &PasswordHash::new("$argon2id$first"))
        .await
        .unwrap();
    let read = store.user_by_name("ada").await.unwrap().unwrap();
    assert_eq!(
        read.password_hash.as_ref().map(PasswordHash::expose),
        Some("$argon2id$first")
    );
    assert_eq!((read.id, read.created_at), (ada.id, ada.created_at));
    store
        .set_password(ada.id, &PasswordHash::new("$argon2id$second"))
        .await
        .unwrap();
    let read = store.user_by_name("ada").await.unwrap().unwrap();
    assert_eq!(
        read.password_hash.as_ref().map(PasswordHash::expose),
        Some("$argon2id$second")
    );
    // Nobody else's changes.
    assert_eq!(store.user(bo.id).await.unwrap(), Some(bo));
    let err = store
        .set_password(UserId(999), &PasswordHash::new("$argon2id$x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownUser(UserId(999))),
        "{err:?}"
    );
    store.close().await;
}

pub async fn one_share_by_id<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let bo = store.create_user("bo", None).await.unwrap();
    let until = willis_store::now() + Days::days(1);
    let share = store
        .grant(me.id, bo.id, Access::Read, ada.id, Some(until))
        .await
        .unwrap();
    assert_eq!(store.share(share.id).await.unwrap(), Some(share.clone()));
    let revoked = store.revoke(share.id).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(store.share(share.id).await.unwrap(), Some(revoked));
    assert_eq!(store.share(ShareId(999)).await.unwrap(), None);
    store.close().await;
}

pub async fn tokens_are_found_by_their_hash<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let new = session(ada.id, 1);
    let token = store.create_token(new.clone()).await.unwrap();
    assert_eq!(
        token,
        Token {
            id: token.id,
            user_id: ada.id,
            kind: TokenKind::Session,
            person_id: None,
            label: new.label.clone(),
            csrf: Some("csrf-1".into()),
            created_at: new.created_at,
            expires_at: new.expires_at,
            revoked_at: None,
        }
    );
    assert_eq!(
        store.token_by_hash(&hash(1)).await.unwrap(),
        Some(token.clone())
    );
    assert_eq!(store.token_by_hash(&hash(2)).await.unwrap(), None);
    assert_eq!(store.token_by_hash("").await.unwrap(), None);
    // The hash is not part of the value, so it never prints.
    assert!(!format!("{token:?}").contains(&hash(1)), "{token:?}");

    // The same secret twice is refused, even for another user or kind.
    let bo = store.create_user("bo", None).await.unwrap();
    let err = store.create_token(api(bo.id, 1)).await.unwrap_err();
    assert!(matches!(err, StoreError::TokenTaken), "{err:?}");
    assert_eq!(store.tokens_of(bo.id).await.unwrap(), []);

    // Unknown user or person.
    let err = store.create_token(api(UserId(999), 3)).await.unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownUser(UserId(999))),
        "{err:?}"
    );
    let lost = NewToken {
        kind: TokenKind::Calendar,
        person_id: Some(PersonId(999)),
        ..api(ada.id, 4)
    };
    let err = store.create_token(lost).await.unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownPerson(PersonId(999))),
        "{err:?}"
    );

    // A calendar token keeps its person; an API token its label and no expiry.
    let calendar = NewToken {
        kind: TokenKind::Calendar,
        person_id: Some(me.id),
        label: String::new(),
        csrf: None,
        expires_at: None,
        ..session(ada.id, 5)
    };
    let cal = store.create_token(calendar).await.unwrap();
    let read = store.token_by_hash(&hash(5)).await.unwrap().unwrap();
    assert_eq!(read, cal);
    assert_eq!(
        (read.kind, read.person_id, read.label.as_str(), read.csrf),
        (TokenKind::Calendar, Some(me.id), "", None)
    );
    let script = store.create_token(api(ada.id, 6)).await.unwrap();
    assert_eq!(store.token_by_hash(&hash(6)).await.unwrap(), Some(script));
    assert!(cal.id > token.id);
    store.close().await;
}

pub async fn tokens_of_a_user_in_order<S: Store>(fresh: &Fresh) {
    let (store, ada, _me): (S, _, _) = setup(fresh).await;
    let bo = store.create_user("bo", None).await.unwrap();
    let mut mine = Vec::new();
    let mut theirs = Vec::new();
    for n in 0..6 {
        let (user, list) = if n % 2 == 0 {
            (ada.id, &mut mine)
        } else {
            (bo.id, &mut theirs)
        };
        let new = if n % 3 == 0 {
            session(user, n)
        } else {
            api(user, n)
        };
        list.push(store.create_token(new).await.unwrap());
    }
    // Revoked and expired ones are listed too.
    mine[1] = store
        .revoke_token(mine[1].id, willis_store::now())
        .await
        .unwrap();
    assert_eq!(store.tokens_of(ada.id).await.unwrap(), mine);
    assert_eq!(store.tokens_of(bo.id).await.unwrap(), theirs);
    assert!(mine.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(store.tokens_of(UserId(999)).await.unwrap(), []);
    store.close().await;
}

pub async fn revoking_a_token_twice_keeps_the_first_time<S: Store>(fresh: &Fresh) {
    let (store, ada, _me): (S, _, _) = setup(fresh).await;
    let token = store.create_token(session(ada.id, 1)).await.unwrap();
    let other = store.create_token(api(ada.id, 2)).await.unwrap();
    let first = at("2026-03-01T10:00:00.000001Z");
    let revoked = store.revoke_token(token.id, first).await.unwrap();
    assert_eq!(
        revoked,
        Token {
            revoked_at: Some(first),
            ..token.clone()
        }
    );
    assert!(!revoked.active_at(at("2026-03-01T09:30:00Z")));
    let again = store
        .revoke_token(token.id, at("2026-03-01T11:00:00Z"))
        .await
        .unwrap();
    assert_eq!(again.revoked_at, Some(first));
    assert_eq!(store.token_by_hash(&hash(1)).await.unwrap(), Some(revoked));
    // Only that one.
    assert_eq!(store.token_by_hash(&hash(2)).await.unwrap(), Some(other));
    let err = store.revoke_token(TokenId(999), first).await.unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownToken(TokenId(999))),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "token 999 does not exist");
    store.close().await;
}

pub async fn a_token_is_active_until_it_expires_or_is_revoked<S: Store>(fresh: &Fresh) {
    let (store, ada, _me): (S, _, _) = setup(fresh).await;
    let end = at("2026-03-02T09:00:00.123456Z");
    let made = store.create_token(session(ada.id, 1)).await.unwrap();
    let token = store.token_by_hash(&hash(1)).await.unwrap().unwrap();
    assert_eq!(token, made);
    assert_eq!(token.expires_at, Some(end));
    assert!(token.active_at(token.created_at));
    assert!(token.active_at(end - Days::seconds(1)));
    assert!(token.active_at(end - Days::microseconds(1)));
    assert!(!token.active_at(end));
    assert!(!token.active_at(end + Days::seconds(1)));

    let forever = store.create_token(api(ada.id, 2)).await.unwrap();
    assert!(forever.active_at(at("2999-01-01T00:00:00Z")));
    let revoked = store
        .revoke_token(forever.id, at("2026-03-01T10:00:00Z"))
        .await
        .unwrap();
    // Revoked is revoked, whatever the moment asked about.
    assert!(!revoked.active_at(at("2026-03-01T09:30:00Z")));
    assert!(!revoked.active_at(at("2026-03-01T10:30:00Z")));
    store.close().await;
}

pub async fn purging_removes_only_old_expired_or_revoked_tokens<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let cutoff = at("2026-03-10T00:00:00Z");
    let expiring = |n: u32, end: &str| NewToken {
        expires_at: Some(at(end)),
        ..session(ada.id, n)
    };
    let expired_long_ago = store
        .create_token(expiring(1, "2026-03-02T00:00:00Z"))
        .await
        .unwrap();
    let expired_at_cutoff = store
        .create_token(expiring(2, "2026-03-10T00:00:00Z"))
        .await
        .unwrap();
    let expires_later = store
        .create_token(expiring(3, "2026-03-20T00:00:00Z"))
        .await
        .unwrap();
    let never_expires = store.create_token(api(ada.id, 4)).await.unwrap();
    let revoked_long_ago = store.create_token(api(ada.id, 5)).await.unwrap();
    store
        .revoke_token(revoked_long_ago.id, at("2026-03-03T00:00:00Z"))
        .await
        .unwrap();
    let revoked_recently = store.create_token(api(ada.id, 6)).await.unwrap();
    let revoked_recently = store
        .revoke_token(revoked_recently.id, at("2026-03-11T00:00:00Z"))
        .await
        .unwrap();
    let calendar = store
        .create_token(NewToken {
            kind: TokenKind::Calendar,
            person_id: Some(me.id),
            csrf: None,
            ..expiring(7, "2026-03-05T00:00:00Z")
        })
        .await
        .unwrap();

    assert_eq!(store.purge_tokens(cutoff).await.unwrap(), 3);
    let left: Vec<TokenId> = store
        .tokens_of(ada.id)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(
        left,
        [
            expired_at_cutoff.id,
            expires_later.id,
            never_expires.id,
            revoked_recently.id
        ]
    );
    for gone in [expired_long_ago.id, revoked_long_ago.id, calendar.id] {
        assert!(!left.contains(&gone));
    }
    assert_eq!(store.token_by_hash(&hash(1)).await.unwrap(), None);
    // A second run finds nothing more; a later one takes the rest that ended.
    assert_eq!(store.purge_tokens(cutoff).await.unwrap(), 0);
    assert_eq!(
        store
            .purge_tokens(at("2026-03-30T00:00:00Z"))
            .await
            .unwrap(),
        3
    );
    let left: Vec<TokenId> = store
        .tokens_of(ada.id)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(left, [never_expires.id]);
    // The hash of a purged token may be used again.
    store.create_token(session(ada.id, 1)).await.unwrap();
    store.close().await;
}

pub async fn tokens_stay_out_of_backups<S: Store>(fresh: &Fresh) {
    let source: S = fresh.store().await;
    let (ada, me) = populate(&source).await;
    let before = source.export().await.unwrap();
    source.create_token(session(ada.id, 1)).await.unwrap();
    source
        .create_token(NewToken {
            kind: TokenKind::Calendar,
            person_id: Some(me.id),
            csrf: None,
            ..api(ada.id, 2)
        })
        .await
        .unwrap();
    let backup = source.export().await.unwrap();
    assert_eq!(backup, before);
    let text = serde_json::to_string(&backup).unwrap();
    assert!(!text.contains("token") && !text.contains(&hash(1)));

    // Restored elsewhere, the users have no tokens, and new ones can be made.
    let target_db = fresh.sibling().await;
    let target: S = target_db.store().await;
    target.import(&backup).await.unwrap();
    assert_eq!(target.tokens_of(ada.id).await.unwrap(), []);
    let first = target.create_token(session(ada.id, 1)).await.unwrap();
    let second = target.create_token(api(ada.id, 3)).await.unwrap();
    assert!(second.id > first.id);
    assert_eq!(
        target.tokens_of(ada.id).await.unwrap(),
        [first.clone(), second]
    );
    assert_eq!(target.token_by_hash(&hash(1)).await.unwrap(), Some(first));
    // Export still matches and the database with tokens is not "empty".
    assert_eq!(target.export().await.unwrap(), backup);
    let err = target.import(&backup).await.unwrap_err();
    assert!(matches!(err, StoreError::NotEmpty), "{err:?}");
    source.close().await;
    target.close().await;
}

// ---------------------------------------------------------------------------
// Backup

pub async fn export_import_round_trip<S: Store>(fresh: &Fresh) {
    let source: S = fresh.store().await;
    let (ada, me) = populate(&source).await;
    let backup = source.export().await.unwrap();
    assert_eq!(backup.format, BACKUP_FORMAT);
    assert_eq!(
        (
            backup.users.len(),
            backup.people.len(),
            backup.entries.len()
        ),
        (2, 2, 8)
    );
    assert_eq!((backup.shares.len(), backup.audit.len()), (2, 2));

    // Through the file format, as `willis export` / `willis import` would.
    let text = serde_json::to_string_pretty(&backup).unwrap();
    let read: Backup = serde_json::from_str(&text).unwrap();
    assert_eq!(read, backup);

    let target_db = fresh.sibling().await;
    let target: S = target_db.store().await;
    target.import(&read).await.unwrap();
    let again = target.export().await.unwrap();
    assert_eq!(again, backup);
    assert_eq!(serde_json::to_string_pretty(&again).unwrap(), text);
    assert_eq!(
        materialize(&target.entries(me.id).await.unwrap(), None, None),
        materialize(&source.entries(me.id).await.unwrap(), None, None)
    );

    // New rows continue after the imported ids.
    let max_entry = backup.entries.iter().map(|e| e.id).max().unwrap();
    let next = target
        .append(NewEntry::new(me.id, ada.id, day("2025-05-01"), night(4)))
        .await
        .unwrap();
    assert!(next.id > max_entry, "{} after {max_entry}", next.id);
    let carol = target.create_user("carol", None).await.unwrap();
    assert!(carol.id > backup.users.iter().map(|u| u.id).max().unwrap());
    let person = target.create_person(carol.id, "Carol").await.unwrap();
    assert!(person.id > backup.people.iter().map(|p| p.id).max().unwrap());
    let share = target
        .grant(person.id, ada.id, Access::Read, carol.id, None)
        .await
        .unwrap();
    assert!(share.id > backup.shares.iter().map(|s| s.id).max().unwrap());
    let audit = target.audit(NewAudit::default()).await.unwrap();
    assert!(audit.id > backup.audit.iter().map(|a| a.id).max().unwrap());
    target.close().await;
}

pub async fn import_needs_an_empty_database<S: Store>(fresh: &Fresh) {
    let source: S = fresh.store().await;
    populate(&source).await;
    let backup = source.export().await.unwrap();

    let target_db = fresh.sibling().await;
    let target: S = target_db.store().await;
    target
        .audit(NewAudit {
            action: "only an audit row".into(),
            ..NewAudit::default()
        })
        .await
        .unwrap();
    let before = target.export().await.unwrap();
    let err = target.import(&backup).await.unwrap_err();
    assert!(matches!(err, StoreError::NotEmpty), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the database is not empty: import needs an empty database"
    );
    assert_eq!(target.export().await.unwrap(), before);

    // Importing into the source itself is refused the same way.
    let err = source.import(&backup).await.unwrap_err();
    assert!(matches!(err, StoreError::NotEmpty), "{err:?}");
    assert_eq!(source.export().await.unwrap(), backup);
    target.close().await;
}

pub async fn a_failed_import_changes_nothing<S: Store>(fresh: &Fresh) {
    let source: S = fresh.store().await;
    populate(&source).await;
    let good = source.export().await.unwrap();
    let target_db = fresh.sibling().await;
    let target: S = target_db.store().await;
    let empty = target.export().await.unwrap();

    // The database refuses the last row (an audit row about no such user),
    // after everything else went in.
    let mut late = good.clone();
    let mut bad_row = late.audit.last().unwrap().clone();
    bad_row.id = willis_store::AuditId(bad_row.id.0 + 1);
    bad_row.user_id = Some(UserId(999));
    late.audit.push(bad_row);
    let err = target.import(&late).await.unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err:?}");
    assert_eq!(target.export().await.unwrap(), empty);

    // An entry superseding another person's entry.
    let mut crossed = good.clone();
    let mum = crossed
        .entries
        .iter()
        .find(|e| e.kind == "condition")
        .unwrap()
        .id;
    let last = crossed.entries.last_mut().unwrap();
    assert_ne!(last.id, mum);
    last.supersedes = Some(mum);
    assert!(target.import(&crossed).await.is_err());
    assert_eq!(target.export().await.unwrap(), empty);

    // Checked before any write: an unknown format, an unreadable payload.
    let mut old = good.clone();
    old.format = "willis-backup/0".into();
    let err = target.import(&old).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "\"willis-backup/0\" is not a backup format this version reads; use \"willis-backup/1\""
    );
    let mut garbled = good.clone();
    garbled.entries[1].payload = serde_json::json!({"test": "ferritin"});
    let err = target.import(&garbled).await.unwrap_err();
    assert!(matches!(err, StoreError::BadBackupEntry { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(&format!(
            "entry {} in the backup is not valid",
            garbled.entries[1].id
        )),
        "{err}"
    );
    assert_eq!(target.export().await.unwrap(), empty);

    // And the good one still goes in afterwards.
    target.import(&good).await.unwrap();
    assert_eq!(target.export().await.unwrap(), good);
    target.close().await;
}

// ---------------------------------------------------------------------------
// Crash safety

/// Runs the crash child 20 times, killing it (SIGKILL) after 20–300 ms: every
/// id it printed (after `append` returned) must be stored, and the database
/// must be intact.
pub async fn killed_writers_lose_nothing_committed<S: Store>(fresh: &Fresh) {
    let (store, ada, me): (S, _, _) = setup(fresh).await;
    let child = env!("CARGO_BIN_EXE_willis-store-crash-child");
    let mut rng = Rng::from_env_or_time();
    let mut printed = Vec::new();
    for round in 0..20 {
        let mut process = Command::new(child)
            .args([&fresh.url, &me.id.to_string(), &ada.id.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.between(20, 300)));
        process.kill().unwrap(); // SIGKILL
        let output = process.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.signal(),
            Some(9),
            "round {round}: the child ended by itself: {stderr}"
        );
        let stdout = String::from_utf8(output.stdout).unwrap();
        // A line cut off by the kill has no newline and does not count.
        let complete = match stdout.rfind('\n') {
            Some(end) => &stdout[..end],
            None => "",
        };
        printed.extend(complete.lines().map(|l| l.parse::<i64>().unwrap()));
    }
    assert!(!printed.is_empty(), "the child never got to write");
    let entries = store.entries(me.id).await.unwrap();
    let stored: HashSet<i64> = entries.iter().map(|e| e.id.0).collect();
    assert_eq!(stored.len(), entries.len(), "ids are unique");
    let missing: Vec<_> = printed.iter().filter(|id| !stored.contains(id)).collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    let unique: HashSet<_> = printed.iter().collect();
    assert_eq!(unique.len(), printed.len(), "an id was acknowledged twice");
    eprintln!("{} acknowledged, {} stored", printed.len(), entries.len());

    let raw = fresh.raw().await;
    match fresh.kind {
        Kind::Sqlite => assert_eq!(raw.text("PRAGMA integrity_check").await, "ok"),
        Kind::Postgres => {
            let n = raw.int("SELECT COUNT(*) FROM entries").await;
            assert_eq!(raw.int("SELECT COUNT(DISTINCT id) FROM entries").await, n);
            // A commit sent just before the kill may still land after the
            // entries were read: the server finishes it without the client.
            assert!(n as usize >= entries.len());
        }
    }
    raw.close().await;
}
