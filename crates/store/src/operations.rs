//! Every store operation, written once over [`Engine`] and [`Rows`]: the
//! transaction it runs in, the checks it makes (with the rules of
//! `access.rs`), and — for the audited forms — the audit row written in the
//! same transaction as the change, so that both are kept or neither is.
//!
//! A transaction that is dropped without `commit` rolls back: every early
//! return below leaves the database as it was.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::access::{access_of, may_grant, may_revoke, may_write, visible_people};
use crate::backend::{Engine, EntryRow, Rows, ShareRow};
use crate::model::{
    now, Access, Actor, AuditRow, Backup, Entry, EntryId, NewAudit, NewEntry, NewToken,
    PasswordHash, Person, PersonId, Share, ShareId, Token, TokenId, User, UserId, BACKUP_FORMAT,
};
use crate::payload::Payload;
use crate::rows::is_unique_violation;
use crate::{checks, Result, StoreError};

// ---------------------------------------------------------------------------
// Users and people

pub(crate) async fn create_user<B: Engine>(
    backend: &B,
    name: &str,
    password_hash: Option<&PasswordHash>,
) -> Result<User> {
    checks::name("a user name", name)?;
    let created_at = now();
    let mut tx = backend.write().await?;
    let id = match tx.insert_user(name, password_hash, created_at).await {
        Err(StoreError::Database(e)) if is_unique_violation(&e) => {
            return Err(StoreError::NameTaken {
                name: name.to_string(),
            })
        }
        inserted => inserted?,
    };
    B::commit(tx).await?;
    Ok(User {
        id,
        name: name.to_string(),
        password_hash: password_hash.cloned(),
        created_at,
    })
}

pub(crate) async fn user<B: Engine>(backend: &B, id: UserId) -> Result<Option<User>> {
    backend.read().await?.user(id).await
}

pub(crate) async fn user_by_name<B: Engine>(backend: &B, name: &str) -> Result<Option<User>> {
    backend.read().await?.user_by_name(name).await
}

pub(crate) async fn create_person<B: Engine>(
    backend: &B,
    owner: UserId,
    display_name: &str,
    actor: Option<&Actor>,
) -> Result<Person> {
    checks::name("a person's display name", display_name)?;
    let mut tx = backend.write().await?;
    for user in [Some(owner), actor.map(|a| a.user)].into_iter().flatten() {
        if tx.user(user).await?.is_none() {
            return Err(StoreError::UnknownUser(user));
        }
    }
    let created_at = now();
    let id = tx.insert_person(owner, display_name, created_at).await?;
    if let Some(actor) = actor {
        record(
            &mut *tx,
            actor,
            id,
            "create-person",
            display_name.to_string(),
        )
        .await?;
    }
    B::commit(tx).await?;
    Ok(Person {
        id,
        owner_id: owner,
        display_name: display_name.to_string(),
        created_at,
    })
}

pub(crate) async fn person<B: Engine>(backend: &B, id: PersonId) -> Result<Option<Person>> {
    backend.read().await?.person(id).await
}

pub(crate) async fn people_of<B: Engine>(
    backend: &B,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<Vec<(Person, Access)>> {
    let mut tx = backend.snapshot().await?;
    let people = tx.people_related_to(user).await?;
    let shares = tx.shares_to(user).await?;
    B::commit(tx).await?;
    Ok(visible_people(user, people, &shares, now))
}

// ---------------------------------------------------------------------------
// Access

pub(crate) async fn access<B: Engine>(
    backend: &B,
    user: UserId,
    person: PersonId,
    now: DateTime<Utc>,
) -> Result<Option<Access>> {
    let mut tx = backend.snapshot().await?;
    let access = access_in(&mut *tx, user, person, now).await?;
    B::commit(tx).await?;
    Ok(access.and_then(|(_, access)| access))
}

/// The person's owner and `user`'s access at `now`; `None` for no such person.
async fn access_in<C: Rows>(
    conn: &mut C,
    user: UserId,
    person: PersonId,
    now: DateTime<Utc>,
) -> Result<Option<(UserId, Option<Access>)>> {
    let Some(found) = conn.person(person).await? else {
        return Ok(None);
    };
    let shares = conn.shares_of(person).await?;
    Ok(Some((
        found.owner_id,
        access_of(user, found.owner_id, &shares, now),
    )))
}

/// Refuses with `refused` unless `allowed` holds for `user`'s access to
/// `person` at `now`; an unknown person or user is named as such first.
async fn require<C: Rows>(
    conn: &mut C,
    user: UserId,
    person: PersonId,
    now: DateTime<Utc>,
    allowed: fn(Option<Access>) -> bool,
    refused: StoreError,
) -> Result<()> {
    let Some((_, access)) = access_in(conn, user, person, now).await? else {
        return Err(StoreError::UnknownPerson(person));
    };
    if conn.user(user).await?.is_none() {
        return Err(StoreError::UnknownUser(user));
    }
    if allowed(access) {
        Ok(())
    } else {
        Err(refused)
    }
}

// ---------------------------------------------------------------------------
// The journal

pub(crate) async fn append<B: Engine>(
    backend: &B,
    entry: NewEntry,
    actor: Option<&Actor>,
) -> Result<Entry> {
    let mut tx = backend.write().await?;
    let saved = append_in(&mut *tx, entry, actor).await?;
    if let Some(actor) = actor {
        let (action, detail) = entry_audit(&saved);
        record(&mut *tx, actor, saved.person_id, action, detail).await?;
    }
    B::commit(tx).await?;
    Ok(saved)
}

/// All entries in one transaction; audited, one `append-many` row per person
/// concerned (in the order the people first appear). Nothing to append writes
/// nothing.
pub(crate) async fn append_many<B: Engine>(
    backend: &B,
    entries: Vec<NewEntry>,
    actor: Option<&Actor>,
) -> Result<Vec<Entry>> {
    let mut tx = backend.write().await?;
    let mut saved = Vec::with_capacity(entries.len());
    for entry in entries {
        saved.push(append_in(&mut *tx, entry, actor).await?);
    }
    if let Some(actor) = actor {
        for (person, detail) in many_audit(&saved) {
            record(&mut *tx, actor, person, "append-many", detail).await?;
        }
    }
    B::commit(tx).await?;
    Ok(saved)
}

async fn append_in<C: Rows>(conn: &mut C, entry: NewEntry, actor: Option<&Actor>) -> Result<Entry> {
    if let Some(actor) = actor {
        if actor.user != entry.recorded_by {
            return Err(StoreError::ActorIsNotRecorder {
                actor: actor.user,
                recorded_by: entry.recorded_by,
            });
        }
    }
    let (kind, payload) = checks::new_entry(&entry)?;
    let recorded_at = now();
    let refused = StoreError::NoWriteAccess {
        user: entry.recorded_by,
        person: entry.person_id,
    };
    require(
        conn,
        entry.recorded_by,
        entry.person_id,
        recorded_at,
        may_write,
        refused,
    )
    .await?;
    if let Some(old) = entry.supersedes {
        let found = conn
            .superseded(old)
            .await?
            .ok_or(StoreError::UnknownEntry(old))?;
        if found.person_id != entry.person_id {
            return Err(StoreError::OtherPerson { entry: old });
        }
        if let Some(by) = found.by {
            return Err(StoreError::AlreadySuperseded { entry: old, by });
        }
    }
    let id = conn
        .insert_entry(&EntryRow {
            person_id: entry.person_id,
            kind,
            effective: entry.effective,
            payload: &payload,
            recorded_at,
            recorded_by: entry.recorded_by,
            supersedes: entry.supersedes,
        })
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

pub(crate) async fn entries<B: Engine>(backend: &B, person: PersonId) -> Result<Vec<Entry>> {
    backend.read().await?.entries(person).await
}

pub(crate) async fn last_entry<B: Engine>(backend: &B, person: PersonId) -> Result<Option<Entry>> {
    backend.read().await?.last_entry(person).await
}

// ---------------------------------------------------------------------------
// Sharing

pub(crate) async fn grant<B: Engine>(
    backend: &B,
    person: PersonId,
    grantee: UserId,
    access: Access,
    expires_at: Option<DateTime<Utc>>,
    by: UserId,
    actor: Option<&Actor>,
) -> Result<Share> {
    checks::timestamp("expires_at", expires_at)?;
    let mut tx = backend.write().await?;
    let created_at = now();
    let refused = StoreError::NoShareAccess { user: by, person };
    require(&mut *tx, by, person, created_at, may_grant, refused).await?;
    if tx.user(grantee).await?.is_none() {
        return Err(StoreError::UnknownUser(grantee));
    }
    let row = ShareRow {
        person_id: person,
        grantee_id: grantee,
        access,
        granted_by: by,
        created_at,
        expires_at,
    };
    let id = tx.insert_share(&row).await?;
    let share = Share {
        id,
        person_id: person,
        grantee_id: grantee,
        access,
        granted_by: by,
        created_at,
        expires_at,
        revoked_at: None,
    };
    if let Some(actor) = actor {
        record(&mut *tx, actor, person, "grant", grant_detail(&share)).await?;
    }
    B::commit(tx).await?;
    Ok(share)
}

/// Ends a share. Audited, the actor must be its grantee or someone who may
/// grant access to the person; unaudited, the caller has checked.
pub(crate) async fn revoke<B: Engine>(
    backend: &B,
    id: ShareId,
    actor: Option<&Actor>,
) -> Result<Share> {
    let mut tx = backend.write().await?;
    let at = now();
    let share = tx.share(id).await?.ok_or(StoreError::UnknownShare(id))?;
    if let Some(actor) = actor {
        if tx.user(actor.user).await?.is_none() {
            return Err(StoreError::UnknownUser(actor.user));
        }
        let access = access_in(&mut *tx, actor.user, share.person_id, at)
            .await?
            .and_then(|(_, access)| access);
        if !may_revoke(actor.user, &share, access) {
            return Err(StoreError::NoRevokeAccess {
                user: actor.user,
                share: id,
            });
        }
    }
    tx.mark_revoked(id, at).await?;
    let share = tx.share(id).await?.ok_or(StoreError::UnknownShare(id))?;
    if let Some(actor) = actor {
        record(
            &mut *tx,
            actor,
            share.person_id,
            "revoke",
            format!("share {id}"),
        )
        .await?;
    }
    B::commit(tx).await?;
    Ok(share)
}

pub(crate) async fn shares<B: Engine>(backend: &B, person: PersonId) -> Result<Vec<Share>> {
    backend.read().await?.shares_of(person).await
}

pub(crate) async fn share<B: Engine>(backend: &B, id: ShareId) -> Result<Option<Share>> {
    backend.read().await?.share(id).await
}

// ---------------------------------------------------------------------------
// Passwords and tokens

pub(crate) async fn set_password<B: Engine>(
    backend: &B,
    user: UserId,
    hash: &PasswordHash,
) -> Result<()> {
    let mut tx = backend.write().await?;
    if tx.update_password(user, hash).await? == 0 {
        return Err(StoreError::UnknownUser(user));
    }
    B::commit(tx).await
}

pub(crate) async fn create_token<B: Engine>(backend: &B, token: NewToken) -> Result<Token> {
    checks::timestamp("expires_at", token.expires_at)?;
    let mut tx = backend.write().await?;
    if tx.user(token.user_id).await?.is_none() {
        return Err(StoreError::UnknownUser(token.user_id));
    }
    if let Some(person) = token.person_id {
        if tx.person(person).await?.is_none() {
            return Err(StoreError::UnknownPerson(person));
        }
    }
    let id = match tx.insert_token(&token).await {
        Err(StoreError::Database(e)) if is_unique_violation(&e) => {
            return Err(StoreError::TokenTaken)
        }
        inserted => inserted?,
    };
    B::commit(tx).await?;
    Ok(Token {
        id,
        user_id: token.user_id,
        kind: token.kind,
        person_id: token.person_id,
        label: token.label,
        csrf: token.csrf,
        created_at: token.created_at,
        expires_at: token.expires_at,
        revoked_at: None,
    })
}

pub(crate) async fn token_by_hash<B: Engine>(backend: &B, hash: &str) -> Result<Option<Token>> {
    backend.read().await?.token_by_hash(hash).await
}

pub(crate) async fn tokens_of<B: Engine>(backend: &B, user: UserId) -> Result<Vec<Token>> {
    backend.read().await?.tokens_of(user).await
}

/// Ends a token; a second revocation keeps the first time.
pub(crate) async fn revoke_token<B: Engine>(
    backend: &B,
    id: TokenId,
    at: DateTime<Utc>,
) -> Result<Token> {
    let mut tx = backend.write().await?;
    if tx.token(id).await?.is_none() {
        return Err(StoreError::UnknownToken(id));
    }
    tx.mark_token_revoked(id, at).await?;
    let token = tx.token(id).await?.ok_or(StoreError::UnknownToken(id))?;
    B::commit(tx).await?;
    Ok(token)
}

pub(crate) async fn purge_tokens<B: Engine>(backend: &B, before: DateTime<Utc>) -> Result<u64> {
    let mut tx = backend.write().await?;
    let purged = tx.delete_tokens_before(before).await?;
    B::commit(tx).await?;
    Ok(purged)
}

// ---------------------------------------------------------------------------
// Audit

pub(crate) async fn audit<B: Engine>(backend: &B, row: NewAudit) -> Result<AuditRow> {
    let mut tx = backend.write().await?;
    let saved = audit_in(&mut *tx, row).await?;
    B::commit(tx).await?;
    Ok(saved)
}

pub(crate) async fn audit_log<B: Engine>(backend: &B, person: PersonId) -> Result<Vec<AuditRow>> {
    backend.read().await?.audit_log(person).await
}

async fn audit_in<C: Rows>(conn: &mut C, row: NewAudit) -> Result<AuditRow> {
    let at = now();
    let id = conn.insert_audit(&row, at).await?;
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

/// The audit row of a change by `actor` about `person`, on the change's own
/// connection (so in its transaction).
async fn record<C: Rows>(
    conn: &mut C,
    actor: &Actor,
    person: PersonId,
    action: &str,
    detail: String,
) -> Result<()> {
    let row = NewAudit {
        user_id: Some(actor.user),
        person_id: Some(person),
        action: action.to_string(),
        detail,
        origin: actor.origin.clone(),
    };
    audit_in(conn, row).await.map(drop)
}

/// `append` / `entry 7`, `correct` / `entry 8 corrects 7`, `delete` /
/// `entry 9 deletes 8`.
fn entry_audit(entry: &Entry) -> (&'static str, String) {
    match (entry.supersedes, &entry.payload) {
        (None, _) => ("append", format!("entry {}", entry.id)),
        (Some(old), Payload::Tombstone) => ("delete", format!("entry {} deletes {old}", entry.id)),
        (Some(old), _) => ("correct", format!("entry {} corrects {old}", entry.id)),
    }
}

/// `entries 4..9 (6)` for each person concerned, in order of appearance.
fn many_audit(entries: &[Entry]) -> Vec<(PersonId, String)> {
    let mut people: Vec<(PersonId, Vec<EntryId>)> = Vec::new();
    for entry in entries {
        match people.iter_mut().find(|(p, _)| *p == entry.person_id) {
            Some((_, ids)) => ids.push(entry.id),
            None => people.push((entry.person_id, vec![entry.id])),
        }
    }
    people
        .into_iter()
        .filter_map(|(person, ids)| {
            let (first, last) = (ids.first()?, ids.last()?);
            Some((person, format!("entries {first}..{last} ({})", ids.len())))
        })
        .collect()
}

/// `share 3: read for user 5 until 2026-04-01T09:00:00Z` (or `no expiry`).
fn grant_detail(share: &Share) -> String {
    let until = match share.expires_at {
        Some(end) => end.to_rfc3339_opts(SecondsFormat::Secs, true),
        None => "no expiry".to_string(),
    };
    format!(
        "share {}: {} for user {} until {until}",
        share.id, share.access, share.grantee_id
    )
}

// ---------------------------------------------------------------------------
// Backup

pub(crate) async fn export<B: Engine>(backend: &B) -> Result<Backup> {
    let mut tx = backend.snapshot().await?;
    let backup = Backup {
        format: BACKUP_FORMAT.to_string(),
        users: tx.all_users().await?,
        people: tx.all_people().await?,
        entries: tx.all_entries().await?,
        shares: tx.all_shares().await?,
        audit: tx.all_audit().await?,
    };
    B::commit(tx).await?;
    Ok(backup)
}

pub(crate) async fn import<B: Engine>(backend: &B, backup: &Backup) -> Result<()> {
    let entries = checks::backup(backup)?;
    let mut tx = backend.write().await?;
    tx.lock_for_import().await?;
    if tx.count_rows().await? > 0 {
        return Err(StoreError::NotEmpty);
    }
    for user in &backup.users {
        tx.restore_user(user).await?;
    }
    for person in &backup.people {
        tx.restore_person(person).await?;
    }
    for entry in &entries {
        let (kind, payload) = entry.payload.encode()?;
        tx.restore_entry(entry, kind, &payload).await?;
    }
    for share in &backup.shares {
        tx.restore_share(share).await?;
    }
    for row in &backup.audit {
        tx.restore_audit(row).await?;
    }
    tx.after_import().await?;
    B::commit(tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn entry(id: i64, person: i64, supersedes: Option<i64>, payload: Payload) -> Entry {
        Entry {
            id: EntryId(id),
            person_id: PersonId(person),
            effective: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            payload,
            recorded_at: now(),
            recorded_by: UserId(1),
            supersedes: supersedes.map(EntryId),
        }
    }

    fn condition() -> Payload {
        Payload::Condition {
            name: "diabetes".into(),
        }
    }

    #[test]
    fn an_entry_is_audited_as_append_correct_or_delete() {
        assert_eq!(
            entry_audit(&entry(7, 1, None, condition())),
            ("append", "entry 7".to_string())
        );
        assert_eq!(
            entry_audit(&entry(8, 1, Some(7), condition())),
            ("correct", "entry 8 corrects 7".to_string())
        );
        assert_eq!(
            entry_audit(&entry(9, 1, Some(8), Payload::Tombstone)),
            ("delete", "entry 9 deletes 8".to_string())
        );
    }

    #[test]
    fn many_entries_are_audited_per_person() {
        let saved = [
            entry(4, 1, None, condition()),
            entry(5, 2, None, condition()),
            entry(6, 1, None, condition()),
        ];
        assert_eq!(
            many_audit(&saved),
            [
                (PersonId(1), "entries 4..6 (2)".to_string()),
                (PersonId(2), "entries 5..5 (1)".to_string())
            ]
        );
        assert!(many_audit(&[]).is_empty());
    }

    #[test]
    fn a_grant_names_access_grantee_and_expiry() {
        let mut share = Share {
            id: ShareId(3),
            person_id: PersonId(1),
            grantee_id: UserId(5),
            access: Access::Read,
            granted_by: UserId(1),
            created_at: now(),
            expires_at: None,
            revoked_at: None,
        };
        assert_eq!(
            grant_detail(&share),
            "share 3: read for user 5 until no expiry"
        );
        share.access = Access::Write;
        share.expires_at = Some(
            DateTime::parse_from_rfc3339("2026-04-01T09:00:00.123456Z")
                .unwrap()
                .with_timezone(&Utc),
        );
        assert_eq!(
            grant_detail(&share),
            "share 3: write for user 5 until 2026-04-01T09:00:00Z"
        );
    }
}
