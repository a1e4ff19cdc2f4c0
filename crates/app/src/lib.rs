//! `willis-app`: the application layer. Every front end — the command line,
//! the web app, the FHIR importer — calls these use cases and nothing below
//! them.
//!
//! Invariants:
//! - every call names the acting user; access to a person is checked in one
//!   place, [`App::authorize`], before anything is read or changed;
//! - every change writes its audit row in the same transaction as the change
//!   (the store's `*_audited` calls); every read of a person's data writes an
//!   audit row;
//! - a new entry is validated by the same code as a record file before it is
//!   stored ([`validate::check_entry`]);
//! - no terminal, no HTTP, no clock inside: "now" and "today" are passed in.
//!
//! Async starts here (the store is async); front ends without a runtime
//! (the CLI) block on these calls.

pub mod error;
pub mod facts;
pub mod input;
mod record_import;
pub mod validate;

use chrono::{DateTime, NaiveDate, Utc};
use willis_core::{assess, Assessment, Knowledge, Profile, Record, RecordFile};
use willis_store::{
    materialize, Access, Actor, AnyStore, AuditRow, Backup, Entry, EntryId, NewAudit, NewEntry,
    Payload, Person, PersonId, Share, ShareId, Store, User, UserId,
};

pub use error::{AppError, Result};
pub use record_import::RecordImport;

/// The most people one import adds.
pub const MAX_IMPORT_PEOPLE: usize = 100;
/// The most journal entries one import adds (about 25 years of nightly diary).
pub const MAX_IMPORT_ENTRIES: usize = 10_000;
/// The longest name of a person.
pub const MAX_NAME: usize = 100;

/// The furthest ahead a share's expiry may be set (beyond that, give none).
pub const MAX_SHARE_DAYS: i64 = 10 * 365;

/// The application over one store. `origin` is written in every audit row
/// (`cli`, `web`, `api`, `fhir`, ...).
#[derive(Debug, Clone)]
pub struct App<S: Store = AnyStore> {
    store: S,
    origin: String,
}

/// The person a call is about, and what the caller may do there.
#[derive(Debug, Clone, PartialEq)]
pub struct Authorized {
    pub person: Person,
    pub access: Access,
}

/// What `undo` did.
#[derive(Debug, Clone, PartialEq)]
pub struct Undone {
    /// The entry that was reverted.
    pub reverted: Entry,
    /// What came back (the entry a reverted correction had replaced).
    pub restored: Option<Entry>,
    /// The new entry that records the undo.
    pub by: Entry,
}

/// The plan of a person with the record it was made from.
#[derive(Debug, Clone)]
pub struct Planned {
    pub record: Record,
    pub assessment: Assessment,
}

/// The time of a change: the instant (for access checks) and the local date
/// that bounds the dates a new entry may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
}

/// When: the plan's date and the moment whose journal is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    /// The date the plan is made for; facts dated later are left out.
    pub as_of: NaiveDate,
    /// The journal as it stood at this moment (`None`: everything recorded).
    pub known_at: Option<DateTime<Utc>>,
}

impl App<AnyStore> {
    /// Opens the store a URL names (`sqlite://…`, `postgres://…`).
    pub async fn open(url: &str, origin: &str) -> Result<App<AnyStore>> {
        Ok(App::new(willis_store::open(url).await?, origin))
    }
}

impl<S: Store> App<S> {
    pub fn new(store: S, origin: &str) -> App<S> {
        App {
            store,
            origin: origin.to_string(),
        }
    }

    /// The store, for front ends that manage logins (the web layer).
    pub fn store(&self) -> &S {
        &self.store
    }

    fn actor(&self, user: UserId) -> Actor {
        Actor {
            user,
            origin: self.origin.clone(),
        }
    }

    async fn audit_read(&self, user: UserId, person: PersonId, what: &str) -> Result<()> {
        self.store
            .audit(NewAudit {
                user_id: Some(user),
                person_id: Some(person),
                action: "read".to_string(),
                detail: what.to_string(),
                origin: self.origin.clone(),
            })
            .await?;
        Ok(())
    }

    /// The user called `name`, created (without a password) on first use: the
    /// local user of the command line.
    pub async fn local_user(&self, name: &str) -> Result<User> {
        match self.store.user_by_name(name).await? {
            Some(user) => Ok(user),
            None => Ok(self.store.create_user(name, None).await?),
        }
    }

    /// The one access check. A person the user may not see is "not found"
    /// (never revealing that it exists); read access for a write call is
    /// "forbidden".
    pub async fn authorize(
        &self,
        user: UserId,
        person: PersonId,
        need: Access,
        now: DateTime<Utc>,
    ) -> Result<Authorized> {
        let not_found = || AppError::NotFound(format!("no person #{person}"));
        let access = self
            .store
            .access(user, person, now)
            .await?
            .ok_or_else(not_found)?;
        if need == Access::Write && access != Access::Write {
            return Err(AppError::Forbidden(
                "you may read this journal but not change it".to_string(),
            ));
        }
        let person = self.store.person(person).await?.ok_or_else(not_found)?;
        Ok(Authorized { person, access })
    }

    /// The people the user owns or was granted (active at `now`), with access.
    pub async fn people(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<(Person, Access)>> {
        Ok(self.store.people_of(user, now).await?)
    }

    /// A new person the user looks after (a child, a parent).
    pub async fn add_person(&self, user: UserId, name: &str, now: DateTime<Utc>) -> Result<Person> {
        let name = facts::plain_text("name", name, MAX_NAME)?;
        let name = name.as_str();
        if name.is_empty() {
            return Err(AppError::Invalid("name: a person needs a name".to_string()));
        }
        let taken = self
            .people(user, now)
            .await?
            .iter()
            .any(|(p, _)| p.display_name.eq_ignore_ascii_case(name));
        if taken {
            return Err(AppError::Invalid(format!(
                "name: there is already a person called {name:?}"
            )));
        }
        Ok(self
            .store
            .create_person_audited(user, name, &self.actor(user))
            .await?)
    }

    /// Every entry of the person, corrections and deletions included, as
    /// recorded by `known_at` (everything when `None`).
    pub async fn entries(
        &self,
        user: UserId,
        person: PersonId,
        known_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Entry>> {
        self.authorize(user, person, Access::Read, now).await?;
        let mut entries = self.store.entries(person).await?;
        entries.retain(|e| known_at.is_none_or(|t| e.recorded_at <= t));
        self.audit_read(user, person, "entries").await?;
        Ok(entries)
    }

    /// The person's record for `when.as_of` as known at `when.known_at`.
    pub async fn record(
        &self,
        user: UserId,
        person: PersonId,
        when: When,
        now: DateTime<Utc>,
    ) -> Result<Record> {
        self.record_file(user, person, when, now)
            .await?
            .validate(Knowledge::get())
            .map_err(|e| AppError::Journal(e.to_string()))
    }

    /// The person's record as a `willis-record/1` file (not yet validated),
    /// for `when.as_of` as known at `when.known_at`.
    pub async fn record_file(
        &self,
        user: UserId,
        person: PersonId,
        when: When,
        now: DateTime<Utc>,
    ) -> Result<RecordFile> {
        self.authorize(user, person, Access::Read, now).await?;
        let entries = self.store.entries(person).await?;
        self.audit_read(user, person, "record").await?;
        Ok(materialize(&entries, Some(when.as_of), when.known_at))
    }

    /// The plan for the person (and the record it was made from).
    pub async fn plan(
        &self,
        user: UserId,
        person: PersonId,
        when: When,
        profile: Profile,
        now: DateTime<Utc>,
    ) -> Result<Planned> {
        let record = self.record(user, person, when, now).await?;
        let assessment = assess(&record, when.as_of, profile);
        Ok(Planned { record, assessment })
    }

    /// The letter for the doctor, from the person's plan.
    pub async fn letter(
        &self,
        user: UserId,
        person: PersonId,
        when: When,
        profile: Profile,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<willis_report::letter::LetterContent> {
        let planned = self.plan(user, person, when, profile, now).await?;
        Ok(willis_report::letter::LetterContent::new(
            &planned.record,
            &planned.assessment,
            name,
        ))
    }

    /// The iron and diary charts (SVG) of the person.
    pub async fn charts(
        &self,
        user: UserId,
        person: PersonId,
        when: When,
        now: DateTime<Utc>,
    ) -> Result<(willis_report::chart::Chart, willis_report::chart::Chart)> {
        let record = self.record(user, person, when, now).await?;
        Ok((
            willis_report::chart::iron_chart(&record, when.as_of),
            willis_report::chart::diary_chart(&record, when.as_of),
        ))
    }

    /// The plan's dated follow-up as an iCalendar file.
    pub async fn reminders(
        &self,
        user: UserId,
        person: PersonId,
        when: When,
        profile: Profile,
        horizon_days: u32,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let planned = self.plan(user, person, when, profile, now).await?;
        Ok(willis_report::ics::calendar(
            &planned.assessment,
            now,
            horizon_days,
        ))
    }

    /// Appends one fact (or, with `supersedes`, corrects one), validated first.
    /// `today` bounds the dates accepted.
    pub async fn append(
        &self,
        user: UserId,
        person: PersonId,
        effective: NaiveDate,
        payload: Payload,
        clock: Clock,
    ) -> Result<Entry> {
        self.authorize(user, person, Access::Write, clock.now)
            .await?;
        let entry = NewEntry::new(person, user, effective, payload);
        let journal = self.store.entries(person).await?;
        validate::check_entry(&entry, &journal, clock.today)?;
        Ok(self.store.append_audited(entry, &self.actor(user)).await?)
    }

    /// Several facts at once (a questionnaire): all validated, then stored in
    /// one transaction.
    pub async fn append_many(
        &self,
        user: UserId,
        person: PersonId,
        facts: Vec<(NaiveDate, Payload)>,
        clock: Clock,
    ) -> Result<Vec<Entry>> {
        self.authorize(user, person, Access::Write, clock.now)
            .await?;
        let entries = self.check_many(person, user, &facts, clock).await?;
        Ok(self
            .store
            .append_many_audited(entries, &self.actor(user))
            .await?)
    }

    /// Validates a batch of facts against the person's journal, each beside
    /// the journal and the earlier facts of the batch; writes nothing.
    async fn check_many(
        &self,
        person: PersonId,
        user: UserId,
        facts: &[(NaiveDate, Payload)],
        clock: Clock,
    ) -> Result<Vec<NewEntry>> {
        let journal = self.store.entries(person).await?;
        check_batch(journal, person, user, facts, clock)
    }
}

/// Validates a batch of facts beside a journal, each also beside the earlier
/// facts of the batch.
fn check_batch(
    mut journal: Vec<Entry>,
    person: PersonId,
    user: UserId,
    facts: &[(NaiveDate, Payload)],
    clock: Clock,
) -> Result<Vec<NewEntry>> {
    let mut entries = Vec::new();
    for (effective, payload) in facts {
        let entry = NewEntry::new(person, user, *effective, payload.clone());
        validate::check_entry(&entry, &journal, clock.today)?;
        // Later facts are checked beside the earlier ones of the batch.
        journal.push(Entry {
            id: EntryId(journal.iter().map(|e| e.id.0).max().unwrap_or(0) + 1),
            person_id: person,
            effective: *effective,
            payload: entry.payload.clone(),
            recorded_at: clock.now,
            recorded_by: user,
            supersedes: None,
        });
        entries.push(entry);
    }
    Ok(entries)
}

impl<S: Store> App<S> {
    /// Replaces entry `old` with a corrected fact of the same kind.
    pub async fn correct(
        &self,
        user: UserId,
        person: PersonId,
        old: EntryId,
        effective: NaiveDate,
        payload: Payload,
        clock: Clock,
    ) -> Result<Entry> {
        let today = clock.today;
        let who = self
            .authorize(user, person, Access::Write, clock.now)
            .await?;
        let journal = self.store.entries(person).await?;
        let target = journal.iter().find(|e| e.id == old).ok_or_else(|| {
            AppError::NotFound(format!(
                "no entry #{old} in {}'s journal",
                who.person.display_name
            ))
        })?;
        if target.kind() != payload.kind() {
            return Err(AppError::Invalid(format!(
                "entry #{old} is a {} entry; a correction must be of the same kind, not {}",
                target.kind().replace('_', " "),
                payload.kind().replace('_', " ")
            )));
        }
        let entry = NewEntry::new(person, user, effective, payload).correcting(old);
        validate::check_entry(&entry, &journal, today)?;
        Ok(self.store.append_audited(entry, &self.actor(user)).await?)
    }

    /// Deletes entry `old` (a fact, or the correction that now stands for
    /// it) by appending a tombstone. Nothing is erased: the history keeps the
    /// entry, and `undo` right after brings it back.
    pub async fn delete(
        &self,
        user: UserId,
        person: PersonId,
        old: EntryId,
        clock: Clock,
    ) -> Result<Entry> {
        let who = self
            .authorize(user, person, Access::Write, clock.now)
            .await?;
        let journal = self.store.entries(person).await?;
        let target = journal.iter().find(|e| e.id == old).ok_or_else(|| {
            AppError::NotFound(format!(
                "no entry #{old} in {}'s journal",
                who.person.display_name
            ))
        })?;
        if target.payload == Payload::Tombstone {
            return Err(AppError::Invalid(format!(
                "entry #{old} records a deletion; use undo to bring back what it deleted"
            )));
        }
        if journal.iter().any(|e| e.supersedes == Some(old)) {
            return Err(AppError::Invalid(format!(
                "entry #{old} was already corrected or deleted; delete its latest version instead"
            )));
        }
        let entry = NewEntry::tombstone(person, user, target.effective, old);
        Ok(self.store.append_audited(entry, &self.actor(user)).await?)
    }

    /// Reverts the newest entry: a new entry is hidden by a tombstone; a
    /// correction or deletion is reverted by restoring what it replaced.
    /// Nothing is erased, so a second undo redoes.
    pub async fn undo(&self, user: UserId, person: PersonId, now: DateTime<Utc>) -> Result<Undone> {
        let who = self.authorize(user, person, Access::Write, now).await?;
        let journal = self.store.entries(person).await?;
        let Some(last) = journal.last().cloned() else {
            return Err(AppError::Invalid(format!(
                "{}'s journal is empty: nothing to undo",
                who.person.display_name
            )));
        };
        let restored = last
            .supersedes
            .and_then(|id| journal.iter().find(|e| e.id == id))
            .cloned();
        let entry = match &restored {
            Some(old) => {
                NewEntry::new(person, user, old.effective, old.payload.clone()).correcting(last.id)
            }
            None => NewEntry::tombstone(person, user, last.effective, last.id),
        };
        let by = self.store.append_audited(entry, &self.actor(user)).await?;
        Ok(Undone {
            reverted: last,
            restored,
            by,
        })
    }

    /// Grants `grantee` read or write access to a person (owner only).
    pub async fn share(
        &self,
        user: UserId,
        person: PersonId,
        grantee: &str,
        access: Access,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Share> {
        let who = self.authorize(user, person, Access::Read, now).await?;
        if who.person.owner_id != user {
            return Err(AppError::Forbidden(
                "only the owner may share this journal".to_string(),
            ));
        }
        let grantee = self
            .store
            .user_by_name(grantee)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no user called {grantee:?}")))?;
        if expires_at.is_some_and(|t| t <= now) {
            return Err(AppError::Invalid(
                "expires_at: the share would already have expired".to_string(),
            ));
        }
        if expires_at.is_some_and(|t| t > now + chrono::Duration::days(MAX_SHARE_DAYS)) {
            return Err(AppError::Invalid(format!(
                "expires_at: a share may last at most {} years; leave it empty for no end",
                MAX_SHARE_DAYS / 365
            )));
        }
        Ok(self
            .store
            .grant_audited(person, grantee.id, access, expires_at, &self.actor(user))
            .await?)
    }

    /// Ends a share of one of the user's people (owner only).
    pub async fn revoke(
        &self,
        user: UserId,
        person: PersonId,
        share: ShareId,
        now: DateTime<Utc>,
    ) -> Result<Share> {
        let who = self.authorize(user, person, Access::Read, now).await?;
        if who.person.owner_id != user {
            return Err(AppError::Forbidden(
                "only the owner may revoke a share".to_string(),
            ));
        }
        let shares = self.store.shares(person).await?;
        if !shares.iter().any(|s| s.id == share) {
            return Err(AppError::NotFound(format!("no share #{share}")));
        }
        Ok(self.store.revoke_audited(share, &self.actor(user)).await?)
    }

    /// Ends a share named only by its id (the person is looked up): owner
    /// only; a share of a person the caller may not see is "not found".
    pub async fn revoke_share(
        &self,
        user: UserId,
        share: ShareId,
        now: DateTime<Utc>,
    ) -> Result<Share> {
        let found = self
            .store
            .share(share)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no share #{share}")))?;
        self.revoke(user, found.person_id, share, now)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound(format!("no share #{share}")),
                other => other,
            })
    }

    /// Adds the people of a backup to the user's journals, as new people the
    /// user owns, their entries replayed in order (corrections and deletions
    /// kept, each recorded now by the user). Every entry is checked before
    /// anything is written, so a bad backup changes nothing.
    pub async fn import_as(
        &self,
        user: UserId,
        backup: &Backup,
        clock: Clock,
    ) -> Result<Vec<Person>> {
        use std::collections::HashMap;
        if backup.format != willis_store::BACKUP_FORMAT {
            return Err(AppError::Invalid(format!(
                "format: {:?} is not a backup format this version reads; use \"{}\"",
                backup.format,
                willis_store::BACKUP_FORMAT
            )));
        }
        if backup.people.len() > MAX_IMPORT_PEOPLE || backup.entries.len() > MAX_IMPORT_ENTRIES {
            return Err(AppError::Invalid(format!(
                "the backup holds {} people and {} entries; one import takes at most {MAX_IMPORT_PEOPLE} people and {MAX_IMPORT_ENTRIES} entries",
                backup.people.len(),
                backup.entries.len()
            )));
        }
        // Check first: every entry on its own, then each journal as a whole.
        let mut plan: Vec<(&Person, Vec<&willis_store::BackupEntry>)> = Vec::new();
        for person in &backup.people {
            let mut journal: Vec<Entry> = Vec::new();
            let mut entries = Vec::new();
            for e in backup.entries.iter().filter(|e| e.person_id == person.id) {
                let entry = e
                    .to_entry()
                    .map_err(|err| AppError::Invalid(format!("entries: {err}")))?;
                if let Some(old) = entry.supersedes {
                    if !journal.iter().any(|e| e.id == old) {
                        return Err(AppError::Invalid(format!(
                            "entry #{} of {:?} replaces entry #{old}, which is not an earlier entry of the same person",
                            entry.id, person.display_name
                        )));
                    }
                }
                let probe = NewEntry::new(person.id, user, entry.effective, entry.payload.clone());
                validate::check_alone(&probe, clock.today).map_err(|err| {
                    AppError::Invalid(format!(
                        "entry #{} of {:?}: {err}",
                        entry.id, person.display_name
                    ))
                })?;
                journal.push(entry);
                entries.push(e);
            }
            materialize(&journal, None, None)
                .validate_on(Knowledge::get(), clock.today)
                .map_err(|err| {
                    AppError::Invalid(format!(
                        "the journal of {:?} in the backup does not make a valid record: {err}",
                        person.display_name
                    ))
                })?;
            plan.push((person, entries));
        }
        let mut added = Vec::new();
        for (person, entries) in plan {
            let taken: Vec<String> = self
                .people(user, clock.now)
                .await?
                .into_iter()
                .map(|(p, _)| p.display_name.to_lowercase())
                .collect();
            let mut name = person.display_name.clone();
            let mut n = 1;
            while taken.contains(&name.to_lowercase()) {
                n += 1;
                name = format!("{} ({n})", person.display_name);
            }
            let new = self
                .store
                .create_person_audited(user, &name, &self.actor(user))
                .await?;
            let mut ids: HashMap<EntryId, EntryId> = HashMap::new();
            for e in entries {
                let entry = e
                    .to_entry()
                    .map_err(|err| AppError::Invalid(format!("entries: {err}")))?;
                let mut next = NewEntry::new(new.id, user, entry.effective, entry.payload);
                next.supersedes = entry.supersedes.and_then(|old| ids.get(&old).copied());
                let stored = self.store.append_audited(next, &self.actor(user)).await?;
                ids.insert(entry.id, stored.id);
            }
            added.push(new);
        }
        Ok(added)
    }

    /// Who read or changed a person's data (owner only).
    pub async fn audit_log(
        &self,
        user: UserId,
        person: PersonId,
        now: DateTime<Utc>,
    ) -> Result<Vec<AuditRow>> {
        let who = self.authorize(user, person, Access::Read, now).await?;
        if who.person.owner_id != user {
            return Err(AppError::Forbidden(
                "only the owner may see who read this journal".to_string(),
            ));
        }
        Ok(self.store.audit_log(person).await?)
    }

    /// The caller's journals as a backup: the people the user owns, their
    /// entries, shares and audit rows, the caller's own audit rows, and the
    /// users these rows name (other users without their password hash). On the
    /// command line the local user owns everything, so this is the whole
    /// database. The export is audited.
    pub async fn export(&self, user: UserId) -> Result<Backup> {
        let all = self.store.export().await?;
        let backup = own_part(all, user);
        self.store
            .audit(NewAudit {
                user_id: Some(user),
                person_id: None,
                action: "export".to_string(),
                detail: format!("{} entries", backup.entries.len()),
                origin: self.origin.clone(),
            })
            .await?;
        Ok(backup)
    }

    /// Restores a backup into an empty database, all or nothing.
    pub async fn import(&self, backup: &Backup) -> Result<()> {
        Ok(self.store.import(backup).await?)
    }
}

/// The part of a whole-database backup that belongs to `user` (see
/// [`App::export`]). It imports on its own: every user a kept row names is kept.
fn own_part(all: Backup, user: UserId) -> Backup {
    use std::collections::BTreeSet;
    let people: BTreeSet<PersonId> = all
        .people
        .iter()
        .filter(|p| p.owner_id == user)
        .map(|p| p.id)
        .collect();
    let mine = |p: &PersonId| people.contains(p);
    let entries: Vec<_> = all
        .entries
        .into_iter()
        .filter(|e| mine(&e.person_id))
        .collect();
    let shares: Vec<_> = all
        .shares
        .into_iter()
        .filter(|s| mine(&s.person_id))
        .collect();
    let audit: Vec<_> = all
        .audit
        .into_iter()
        .filter(|a| match a.person_id {
            Some(p) => mine(&p),
            None => a.user_id == Some(user),
        })
        .collect();
    let mut named: BTreeSet<UserId> = BTreeSet::from([user]);
    named.extend(entries.iter().map(|e| e.recorded_by));
    named.extend(shares.iter().flat_map(|s| [s.grantee_id, s.granted_by]));
    named.extend(audit.iter().filter_map(|a| a.user_id));
    let users = all
        .users
        .into_iter()
        .filter(|u| named.contains(&u.id))
        .map(|mut u| {
            if u.id != user {
                u.password_hash = None;
            }
            u
        })
        .collect();
    Backup {
        format: all.format,
        users,
        people: all.people.into_iter().filter(|p| mine(&p.id)).collect(),
        entries,
        shares,
        audit,
    }
}
