//! The application layer on a real (SQLite) store: the access matrix, audit
//! rows written with each change, validation before storing.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use willis_app::{App, AppError, Clock, When};
use willis_core::{LabFile, Profile};
use willis_store::{Access, AnyStore, Payload, Person, Store, User};

struct World {
    _dir: tempfile::TempDir,
    app: App,
    owner: User,
    reader: User,
    writer: User,
    expired: User,
    revoked: User,
    stranger: User,
    person: Person,
}

fn now() -> DateTime<Utc> {
    willis_store::now()
}

fn today() -> NaiveDate {
    "2026-12-01".parse().unwrap()
}

fn clock() -> Clock {
    Clock {
        now: now(),
        today: today(),
    }
}

fn ferritin(value: f64, unit: &str) -> Payload {
    Payload::Lab(LabFile {
        test: "ferritin".into(),
        value,
        unit: unit.into(),
        date: String::new(),
        fasting: Some(true),
        morning: Some(true),
    })
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("w.db").display());
    let app = App::open(&url, "test").await.unwrap();
    let user = |name: &'static str| {
        let app = app.clone();
        async move { app.local_user(name).await.unwrap() }
    };
    let owner = user("owner").await;
    let reader = user("reader").await;
    let writer = user("writer").await;
    let expired = user("expired").await;
    let revoked = user("revoked").await;
    let stranger = user("stranger").await;
    let person = app.add_person(owner.id, "Ann", now()).await.unwrap();
    app.share(owner.id, person.id, "reader", Access::Read, None, now())
        .await
        .unwrap();
    app.share(owner.id, person.id, "writer", Access::Write, None, now())
        .await
        .unwrap();
    app.share(
        owner.id,
        person.id,
        "expired",
        Access::Write,
        Some(now() + Duration::milliseconds(50)),
        now(),
    )
    .await
    .unwrap();
    let share = app
        .share(owner.id, person.id, "revoked", Access::Write, None, now())
        .await
        .unwrap();
    app.revoke(owner.id, person.id, share.id, now())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    World {
        _dir: dir,
        app,
        owner,
        reader,
        writer,
        expired,
        revoked,
        stranger,
        person,
    }
}

fn when() -> When {
    When {
        as_of: today(),
        known_at: None,
    }
}

#[tokio::test]
async fn the_access_matrix() {
    let w = world().await;
    let p = w.person.id;
    let read = |u: &User| {
        let app = w.app.clone();
        let id = u.id;
        async move { app.record(id, p, when(), now()).await }
    };
    let write = |u: &User| {
        let app = w.app.clone();
        let id = u.id;
        async move {
            app.append(id, p, day("2026-11-01"), ferritin(40.0, "ng/mL"), clock())
                .await
        }
    };
    // Owner and write share: read and write.
    for u in [&w.owner, &w.writer] {
        assert!(read(u).await.is_ok(), "{} reads", u.name);
        assert!(write(u).await.is_ok(), "{} writes", u.name);
    }
    // Read share: read, and a write is forbidden.
    assert!(read(&w.reader).await.is_ok());
    assert!(matches!(
        write(&w.reader).await,
        Err(AppError::Forbidden(_))
    ));
    // Expired, revoked, stranger: the person is not found at all.
    for u in [&w.expired, &w.revoked, &w.stranger] {
        assert!(
            matches!(read(u).await, Err(AppError::NotFound(_))),
            "{} must not see the person",
            u.name
        );
        assert!(matches!(write(u).await, Err(AppError::NotFound(_))));
    }
    // Only the owner shares, revokes and sees the audit log.
    assert!(matches!(
        w.app
            .share(w.writer.id, p, "stranger", Access::Read, None, now())
            .await,
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        w.app.audit_log(w.writer.id, p, now()).await,
        Err(AppError::Forbidden(_))
    ));
    assert!(w.app.audit_log(w.owner.id, p, now()).await.is_ok());
    // The people each one sees.
    let sees = |u: &User| {
        let app = w.app.clone();
        let id = u.id;
        async move { app.people(id, now()).await.unwrap().len() }
    };
    assert_eq!(sees(&w.reader).await, 1);
    assert_eq!(sees(&w.stranger).await, 0);
    assert_eq!(sees(&w.expired).await, 0);
}

#[tokio::test]
async fn every_change_and_read_is_audited_with_its_user() {
    let w = world().await;
    let p = w.person.id;
    let before = w.app.audit_log(w.owner.id, p, now()).await.unwrap().len();
    let entry = w
        .app
        .append(
            w.writer.id,
            p,
            day("2026-11-01"),
            ferritin(40.0, "ng/mL"),
            clock(),
        )
        .await
        .unwrap();
    w.app.record(w.reader.id, p, when(), now()).await.unwrap();
    let log = w.app.audit_log(w.owner.id, p, now()).await.unwrap();
    // The owner's previous look at the log, the append, the read.
    let new: Vec<_> = log.iter().skip(before).collect();
    let append = new
        .iter()
        .find(|a| a.action == "append")
        .expect("an append row");
    assert_eq!(append.user_id, Some(w.writer.id));
    assert!(
        append.detail.contains(&entry.id.to_string()),
        "{}",
        append.detail
    );
    assert_eq!(append.origin, "test");
    assert!(new
        .iter()
        .any(|a| a.action == "read" && a.user_id == Some(w.reader.id)));
}

#[tokio::test]
async fn a_refused_change_writes_neither_entry_nor_audit() {
    let w = world().await;
    let p = w.person.id;
    let audit_before = w.app.store().audit_log(p).await.unwrap().len();
    let err = w
        .app
        .append(
            w.owner.id,
            p,
            day("2026-11-01"),
            ferritin(40.0, "mg/furlong"),
            clock(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Invalid(_)));
    assert!(err.to_string().starts_with("unit: "), "{err}");
    let err = w
        .app
        .append(
            w.reader.id,
            p,
            day("2026-11-01"),
            ferritin(40.0, "ng/mL"),
            clock(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)));
    let err = w
        .app
        .append(
            w.owner.id,
            p,
            day("2026-12-02"),
            ferritin(40.0, "ng/mL"),
            clock(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("after today"), "{err}");
    assert!(w.app.store().entries(p).await.unwrap().is_empty());
    assert_eq!(
        w.app.store().audit_log(p).await.unwrap().len(),
        audit_before
    );
}

#[tokio::test]
async fn correct_and_undo_keep_history_and_plan_follows() {
    let w = world().await;
    let (u, p) = (w.owner.id, w.person.id);
    let first = w
        .app
        .append(u, p, day("2026-11-01"), ferritin(400.0, "ng/mL"), clock())
        .await
        .unwrap();
    let ferritin_now = |app: App<AnyStore>| async move {
        app.plan(u, p, when(), Profile::default(), now())
            .await
            .unwrap()
            .assessment
            .iron
            .ferritin_ug_per_l
    };
    assert_eq!(ferritin_now(w.app.clone()).await, Some(400.0));
    w.app
        .correct(
            u,
            p,
            first.id,
            day("2026-11-01"),
            ferritin(40.0, "ng/mL"),
            clock(),
        )
        .await
        .unwrap();
    assert_eq!(ferritin_now(w.app.clone()).await, Some(40.0));
    // A correction of another kind is refused.
    let err = w
        .app
        .correct(
            u,
            p,
            first.id,
            day("2026-11-01"),
            Payload::Condition {
                name: "diabetes".into(),
            },
            clock(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("same kind"), "{err}");
    let undone = w.app.undo(u, p, now()).await.unwrap();
    assert_eq!(undone.restored.map(|e| e.id), Some(first.id));
    assert_eq!(ferritin_now(w.app.clone()).await, Some(400.0));
    assert_eq!(w.app.entries(u, p, None, now()).await.unwrap().len(), 3);
}

#[tokio::test]
async fn delete_hides_an_entry_keeps_history_and_undo_restores_it() {
    let w = world().await;
    let (u, p) = (w.owner.id, w.person.id);
    let first = w
        .app
        .append(u, p, day("2026-11-01"), ferritin(400.0, "ng/mL"), clock())
        .await
        .unwrap();
    let ferritin_now = |app: App<AnyStore>| async move {
        app.plan(u, p, when(), Profile::default(), now())
            .await
            .unwrap()
            .assessment
            .iron
            .ferritin_ug_per_l
    };
    // A reader may not delete.
    let err = w
        .app
        .delete(w.reader.id, p, first.id, clock())
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err}");
    let stone = w.app.delete(u, p, first.id, clock()).await.unwrap();
    assert_eq!(stone.payload, Payload::Tombstone);
    assert_eq!(stone.supersedes, Some(first.id));
    assert_eq!(ferritin_now(w.app.clone()).await, None);
    // Deleting it again, or deleting the tombstone, is refused.
    assert!(w.app.delete(u, p, first.id, clock()).await.is_err());
    assert!(w.app.delete(u, p, stone.id, clock()).await.is_err());
    assert!(matches!(
        w.app
            .delete(u, p, willis_store::EntryId(9999), clock())
            .await,
        Err(AppError::NotFound(_))
    ));
    // Undo restores it; the history keeps all three entries.
    w.app.undo(u, p, now()).await.unwrap();
    assert_eq!(ferritin_now(w.app.clone()).await, Some(400.0));
    assert_eq!(w.app.entries(u, p, None, now()).await.unwrap().len(), 3);
    let log = w.app.store().audit_log(p).await.unwrap();
    assert!(log
        .iter()
        .any(|a| a.action != "read" && a.user_id == Some(u)));
}

#[tokio::test]
async fn export_holds_the_callers_journals_only() {
    let w = world().await;
    let other = w.app.add_person(w.stranger.id, "Bo", now()).await.unwrap();
    w.app
        .append(
            w.stranger.id,
            other.id,
            day("2026-11-01"),
            ferritin(20.0, "ng/mL"),
            clock(),
        )
        .await
        .unwrap();
    w.app
        .append(
            w.writer.id,
            w.person.id,
            day("2026-11-01"),
            ferritin(40.0, "ng/mL"),
            clock(),
        )
        .await
        .unwrap();
    let backup = w.app.export(w.owner.id).await.unwrap();
    assert_eq!(backup.people.len(), 1);
    assert_eq!(backup.people[0].id, w.person.id);
    assert_eq!(backup.entries.len(), 1);
    assert!(backup.audit.iter().all(|a| a.person_id != Some(other.id)));
    // The writer is named by the entry, so kept, but without a password hash;
    // the stranger's journal is not there.
    assert!(backup.users.iter().any(|u| u.id == w.writer.id));
    assert!(backup
        .users
        .iter()
        .all(|u| u.id != w.stranger.id || u.password_hash.is_none()));
    // It restores on its own into an empty database.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("copy.db").display());
    let copy = App::open(&url, "test").await.unwrap();
    copy.import(&backup).await.unwrap();
    assert_eq!(copy.store().entries(w.person.id).await.unwrap().len(), 1);
}
