//! The local tracker: `willis log`, `history`, `undo`, `correct`, `export`,
//! `import`, `person` and `plan --db`, over the journal in `willis-store`.
//!
//! The command line acts as one local user (`local`) who looks after one or more
//! people (`me` by default; `--person NAME` picks another). Every read and change
//! writes an audit row with origin `cli`.

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail, Context as _};
use chrono::{DateTime, NaiveDate, Utc};
mod args;

pub use args::*;
use willis_app::{App, Clock, When};
use willis_core::{DiaryFile, HabitsFile, LabFile, PatientFile, Record, SleepFile, SymptomsFile};
use willis_store::{Backup, Entry, EntryId, Payload, Person, User};

/// The user the command line acts as.
pub const LOCAL_USER: &str = "local";
/// The person logged for when `--person` is not given.
pub const DEFAULT_PERSON: &str = "me";
/// Largest backup file `willis import` reads.
const MAX_IMPORT_BYTES: u64 = 512 * 1024 * 1024;

/// The default database URL for this machine.
pub fn default_db_url() -> anyhow::Result<String> {
    let dir = dirs::data_dir()
        .ok_or_else(|| anyhow!("no data directory on this system; give --db URL"))?
        .join("willis");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(format!("sqlite://{}", dir.join("willis.db").display()))
}

/// An open journal, the local user and the person the command is about. The
/// command line is a thin layer over `willis_app`: it parses, blocks on the
/// application layer's calls, and prints.
pub struct Session {
    pub app: App,
    pub user: User,
    pub person_name: String,
    runtime: tokio::runtime::Runtime,
}

fn connect(args: &DbArgs) -> anyhow::Result<(tokio::runtime::Runtime, App)> {
    let url = match args.db.as_deref() {
        Some(url) if !url.is_empty() => url.to_string(),
        _ => default_db_url()?,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let app = runtime
        .block_on(App::open(&url, "cli"))
        .with_context(|| format!("cannot open the journal at {url}"))?;
    Ok((runtime, app))
}

impl Session {
    /// Opens the journal as the local user (created on first use).
    pub fn open(args: &DbArgs) -> anyhow::Result<Session> {
        let (runtime, app) = connect(args)?;
        let user = runtime.block_on(app.local_user(LOCAL_USER))?;
        Ok(Session {
            app,
            user,
            person_name: args.person.clone(),
            runtime,
        })
    }

    pub(crate) fn block<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        self.runtime.block_on(f)
    }

    /// The person named by `--person`; `me` is created on first use, anyone else
    /// must be added with `willis person add`.
    pub fn person(&self) -> anyhow::Result<Person> {
        let people = self.block(self.app.people(self.user.id, willis_store::now()))?;
        if let Some((person, _)) = people
            .into_iter()
            .find(|(p, _)| p.display_name.eq_ignore_ascii_case(&self.person_name))
        {
            return Ok(person);
        }
        if self.person_name == DEFAULT_PERSON {
            return Ok(self.block(self.app.add_person(
                self.user.id,
                DEFAULT_PERSON,
                willis_store::now(),
            ))?);
        }
        bail!(
            "no person called {:?}; add them with `willis person add {}`",
            self.person_name,
            self.person_name
        )
    }

    /// The person's record for the date `as_of`, from the journal as it stood
    /// at `known_at` (everything recorded when `None`), validated. Facts count
    /// by their own dates (see `willis_store::materialize`).
    pub fn record(
        &self,
        as_of: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> anyhow::Result<Record> {
        let person = self.person()?;
        let when = When { as_of, known_at };
        Ok(self.block(
            self.app
                .record(self.user.id, person.id, when, willis_store::now()),
        )?)
    }
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Turns a `log` command into the journal entry's date and payload.
pub fn payload_of(cmd: &LogCmd) -> anyhow::Result<(NaiveDate, Payload)> {
    let today = crate::clock::today()?;
    let or_today = |d: &Option<NaiveDate>| d.unwrap_or(today);
    let (date, payload) = match cmd {
        LogCmd::Lab(a) => {
            let date = or_today(&a.date);
            let flag = |yes: bool, no: bool| match (yes, no) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            (
                date,
                Payload::Lab(LabFile {
                    test: a.test.clone(),
                    value: a.value,
                    unit: a.unit.clone(),
                    date: date_text(date),
                    fasting: flag(a.fasting, a.not_fasting),
                    morning: flag(a.morning, a.not_morning),
                }),
            )
        }
        LogCmd::Diary(a) => {
            let date = or_today(&a.date);
            (
                date,
                Payload::Diary(DiaryFile {
                    date: date_text(date),
                    severity: a.severity,
                    onset_time: a.onset.clone(),
                    body_parts: a.areas.clone(),
                    sleep_hours: a.sleep,
                }),
            )
        }
        LogCmd::Med { action } => match action {
            MedCmd::Start { name, dose, date } => (
                or_today(date),
                Payload::MedicationStart {
                    name: name.clone(),
                    dose: dose.clone(),
                },
            ),
            MedCmd::Change { name, dose, date } => (
                or_today(date),
                Payload::MedicationChange {
                    name: name.clone(),
                    dose: dose.clone(),
                },
            ),
            MedCmd::Stop {
                name,
                outcome,
                date,
            } => (
                or_today(date),
                Payload::MedicationStop {
                    name: name.clone(),
                    outcome: outcome.map(OutcomeArg::word),
                },
            ),
            MedCmd::Outcome {
                name,
                outcome,
                date,
            } => (
                or_today(date),
                Payload::MedicationOutcome {
                    name: name.clone(),
                    outcome: outcome.word(),
                },
            ),
        },
        LogCmd::Iron { action } => match action {
            IronCmd::Infusion {
                product,
                dose_mg,
                response,
                date,
            } => (
                or_today(date),
                Payload::IronInfusion {
                    product: product.clone(),
                    dose_mg: *dose_mg,
                    response: response.map(ResponseArg::word),
                },
            ),
            IronCmd::Response { response, date } => (
                or_today(date),
                Payload::InfusionResponse {
                    response: response.word(),
                },
            ),
            IronCmd::Oral { action } => match action {
                OralCmd::Start {
                    product,
                    elemental_mg,
                    schedule,
                    date,
                } => (
                    or_today(date),
                    Payload::OralIronStart {
                        product: product.clone(),
                        elemental_mg: *elemental_mg,
                        schedule: schedule.map(|s| match s {
                            ScheduleArg::Daily => "daily".to_string(),
                            ScheduleArg::AlternateDay => "alternate-day".to_string(),
                        }),
                    },
                ),
                OralCmd::Stop { outcome, date } => (
                    or_today(date),
                    Payload::OralIronStop {
                        outcome: outcome.map(OutcomeArg::word),
                    },
                ),
                OralCmd::Outcome { outcome, date } => (
                    or_today(date),
                    Payload::OralIronOutcome {
                        outcome: outcome.word(),
                    },
                ),
            },
        },
        LogCmd::Symptoms(a) => (
            or_today(&a.date),
            Payload::Symptoms(SymptomsFile {
                urge_to_move: a.urge.map(YesNo::bool),
                worse_at_rest: a.rest.map(YesNo::bool),
                relieved_by_movement: a.movement.map(YesNo::bool),
                worse_evening_or_night: a.evening.map(YesNo::bool),
                not_explained_by_other_condition: a.not_explained.map(YesNo::bool),
                days_per_week: a.days_per_week,
                irls_total: a.irls,
                onset_time: a.onset.clone(),
                body_parts: a.areas.clone(),
                one_sided: a.one_sided.map(YesNo::bool),
                weakness_or_numbness: a.weakness.map(YesNo::bool),
                impulse_control_problems: a.impulse_control.map(YesNo::bool),
                ..SymptomsFile::default()
            }),
        ),
        LogCmd::Sleep(a) => (
            or_today(&a.date),
            Payload::Sleep(SleepFile {
                snoring: a.snoring.map(YesNo::bool),
                witnessed_apneas: a.apneas.map(YesNo::bool),
                excessive_daytime_sleepiness: a.sleepy.map(YesNo::bool),
                epworth: a.epworth,
                limb_jerks_reported: a.limb_jerks.map(YesNo::bool),
                plms_index: a.plms_index,
            }),
        ),
        LogCmd::Patient(a) => (
            or_today(&a.date),
            Payload::Patient(PatientFile {
                birth_date: a.birth_date.clone(),
                sex: a.sex.clone(),
                pregnancy_weeks: a.pregnancy_weeks,
                dialysis: a.dialysis.map(YesNo::bool),
                weight_kg: a.weight_kg,
            }),
        ),
        LogCmd::Condition {
            name,
            resolved,
            date,
        } => (
            or_today(date),
            if *resolved {
                Payload::ConditionResolved { name: name.clone() }
            } else {
                Payload::Condition { name: name.clone() }
            },
        ),
        LogCmd::Habits(a) => (
            or_today(&a.date),
            Payload::Habits(HabitsFile {
                alcohol_units_per_week: a.alcohol_units_per_week,
                caffeine_drinks_per_day: a.caffeine_drinks_per_day,
                smoker: a.smoker.map(YesNo::bool),
            }),
        ),
    };
    Ok((date, payload))
}

/// `willis log ...` and `willis correct ID ...`.
pub fn log(
    session: &Session,
    cmd: &LogCmd,
    correcting: Option<i64>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let (date, payload) = payload_of(cmd)?;
    let person = session.person()?;
    let (app, user) = (&session.app, session.user.id);
    let clock = Clock {
        now: willis_store::now(),
        today: crate::clock::today()?,
    };
    let saved = match correcting {
        Some(old) => {
            session.block(app.correct(user, person.id, EntryId(old), date, payload, clock))?
        }
        None => session.block(app.append(user, person.id, date, payload, clock))?,
    };
    let verb = if correcting.is_some() {
        "corrected"
    } else {
        "logged"
    };
    writeln!(
        out,
        "{verb} #{} {} on {} for {}: {}",
        saved.id.0,
        saved.kind().replace('_', " "),
        saved.effective,
        person.display_name,
        saved.payload.summary()
    )?;
    Ok(())
}

/// `willis undo`: reverts the newest entry of the person's journal. A new entry
/// is a tombstone for it; a correction or deletion is reverted by restoring
/// what it replaced. Nothing is erased, so running undo again redoes.
pub fn undo(session: &Session, out: &mut dyn Write) -> anyhow::Result<()> {
    let person = session.person()?;
    let undone = session.block(session.app.undo(
        session.user.id,
        person.id,
        willis_store::now(),
    ))?;
    let last = &undone.reverted;
    match &undone.restored {
        Some(old) => writeln!(
            out,
            "undid #{}: #{} is back ({})",
            last.id.0,
            old.id.0,
            old.payload.summary()
        )?,
        None => writeln!(out, "undid #{} ({})", last.id.0, last.payload.summary())?,
    }
    Ok(())
}

/// `willis history [--since D]`: the journal as a table, newest last, with what
/// corrected or deleted each entry.
pub fn history(
    session: &Session,
    since: Option<NaiveDate>,
    known_at: Option<DateTime<Utc>>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let person = session.person()?;
    let entries = session.block(session.app.entries(
        session.user.id,
        person.id,
        known_at,
        willis_store::now(),
    ))?;
    let shown: Vec<&Entry> = entries
        .iter()
        .filter(|e| since.is_none_or(|s| e.effective >= s))
        .collect();
    if shown.is_empty() {
        writeln!(
            out,
            "{}'s journal has no entries{}.",
            person.display_name,
            since.map(|s| format!(" from {s}")).unwrap_or_default()
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>5}  {:<10}  {:<18}  {:<38}  status",
        "#", "date", "kind", "what"
    )?;
    for e in shown {
        let status = match entries.iter().find(|x| x.supersedes == Some(e.id)) {
            Some(x) if x.payload == Payload::Tombstone => format!("deleted by #{}", x.id.0),
            Some(x) => format!("corrected by #{}", x.id.0),
            None => match e.supersedes {
                Some(old) if e.payload == Payload::Tombstone => format!("deletes #{}", old.0),
                Some(old) => format!("corrects #{}", old.0),
                None => String::new(),
            },
        };
        let mut what = e.payload.summary();
        if what.chars().count() > 38 {
            what = what.chars().take(37).collect::<String>() + "…";
        }
        writeln!(
            out,
            "{:>5}  {:<10}  {:<18}  {:<38}  {}",
            e.id.0,
            e.effective,
            e.kind().replace('_', " "),
            what,
            status
        )?;
    }
    Ok(())
}

/// `willis person add|list`.
pub fn person(session: &Session, cmd: &PersonCmd, out: &mut dyn Write) -> anyhow::Result<()> {
    let (app, user, now) = (&session.app, session.user.id, willis_store::now());
    match cmd {
        PersonCmd::Add { name } => {
            session.block(app.add_person(user, name, now))?;
            writeln!(out, "added {name}; log for them with --person {name}")?;
        }
        PersonCmd::List => {
            let people = session.block(app.people(user, now))?;
            if people.is_empty() {
                writeln!(
                    out,
                    "nobody yet; `willis log ...` starts a journal for \"me\""
                )?;
            }
            for (p, access) in people {
                writeln!(out, "{} ({access})", p.display_name)?;
            }
        }
    }
    Ok(())
}

/// `willis export`: the whole database, history included (`json`, `csv`);
/// or, with `--format fhir`, the person's record as of today (or the record
/// file `file`) as a FHIR R4 Bundle.
pub fn export(
    args: &DbArgs,
    format: ExportFormat,
    file: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if format == ExportFormat::Fhir {
        return export_fhir(args, file, out);
    }
    if let Some(file) = file {
        bail!(
            "{}: a file is exported only as a FHIR Bundle (--format fhir); `willis export` alone writes the journal",
            file.display()
        );
    }
    let session = Session::open(args)?;
    let backup = session.block(session.app.export(session.user.id))?;
    match format {
        ExportFormat::Fhir => unreachable!("handled above"),
        ExportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &backup)?;
            writeln!(out)?;
        }
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "id",
                "person",
                "kind",
                "effective",
                "summary",
                "payload",
                "recorded_at",
                "recorded_by",
                "supersedes",
            ])?;
            for e in &backup.entries {
                let person = backup
                    .people
                    .iter()
                    .find(|p| p.id == e.person_id)
                    .map(|p| p.display_name.clone())
                    .unwrap_or_default();
                let summary = e
                    .to_entry()
                    .map(|x| x.payload.summary())
                    .unwrap_or_default();
                w.write_record([
                    e.id.0.to_string(),
                    person,
                    e.kind.clone(),
                    e.effective.to_string(),
                    summary,
                    e.payload.to_string(),
                    e.recorded_at.to_rfc3339(),
                    e.recorded_by.0.to_string(),
                    e.supersedes.map(|s| s.0.to_string()).unwrap_or_default(),
                ])?;
            }
            w.flush()?;
        }
    }
    Ok(())
}

/// `--format fhir`: a record (the journal's today, or a file's) as a Bundle.
fn export_fhir(args: &DbArgs, file: Option<&Path>, out: &mut dyn Write) -> anyhow::Result<()> {
    let today = crate::clock::today()?;
    let record = match file {
        Some(path) => {
            let input = willis_app::input::from_path(path, today)?;
            crate::report_skipped(path, &input, &mut std::io::stderr())?;
            // Only what plans: a file that does not validate is not exported.
            input
                .file
                .validate_on(willis_core::Knowledge::get(), today)?;
            input.file
        }
        None => {
            let session = Session::open(args)?;
            let person = session.person()?;
            let when = When {
                as_of: today,
                known_at: None,
            };
            session.block(session.app.record_file(
                session.user.id,
                person.id,
                when,
                willis_store::now(),
            ))?
        }
    };
    let bundle = willis_fhir::record_to_bundle(&record);
    serde_json::to_writer_pretty(&mut *out, &bundle).context("cannot write the Bundle")?;
    writeln!(out)?;
    Ok(())
}

/// What `willis import` was given, told by content.
enum ImportKind {
    /// A FHIR Bundle or a willis-record/1 file: added to the person's journal.
    Record,
    /// A `willis export` backup: restored into an empty database.
    Backup,
}

fn import_kind(file: &Path, text: &str) -> anyhow::Result<ImportKind> {
    if file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
        || willis_fhir::is_bundle(text)
    {
        return Ok(ImportKind::Record);
    }
    #[derive(serde::Deserialize)]
    struct Peek {
        format: Option<String>,
    }
    let format = serde_json::from_str::<Peek>(text)
        .ok()
        .and_then(|p| p.format)
        .unwrap_or_default();
    if format == willis_core::RECORD_FORMAT {
        Ok(ImportKind::Record)
    } else if format.starts_with("willis-backup") {
        Ok(ImportKind::Backup)
    } else {
        bail!(
            "{} is not a FHIR Bundle (\"resourceType\": \"Bundle\"), a record file (\"format\": \"{}\") or a willis backup (\"format\": \"{}\")",
            file.display(),
            willis_core::RECORD_FORMAT,
            willis_store::BACKUP_FORMAT
        )
    }
}

/// `willis import FILE [--dry-run]`: a Bundle or record file into the
/// person's journal, or a backup into an empty database.
pub fn import(
    args: &DbArgs,
    file: &Path,
    dry_run: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    if size > MAX_IMPORT_BYTES {
        bail!(
            "{} is {size} bytes; files over {MAX_IMPORT_BYTES} bytes are refused",
            file.display()
        );
    }
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    match import_kind(file, &text)? {
        ImportKind::Record => import_record(args, file, dry_run, out),
        ImportKind::Backup => import_backup(args, file, &text, dry_run, out),
    }
}

/// A Bundle or record file into the person's journal.
fn import_record(
    args: &DbArgs,
    file: &Path,
    dry_run: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let clock = Clock {
        now: willis_store::now(),
        today: crate::clock::today()?,
    };
    let input = willis_app::input::from_path(file, clock.today)?;
    let session = Session::open(args)?;
    let person = session.person()?;
    let done = session.block(session.app.import_record(
        session.user.id,
        person.id,
        &input.file,
        dry_run,
        clock,
    ))?;
    let what = match input.source {
        willis_app::input::Source::Bundle => "FHIR Bundle",
        willis_app::input::Source::Record => "record file",
    };
    let verb = if dry_run { "would add" } else { "added" };
    writeln!(
        out,
        "{} ({what}): {verb} {} entries to the journal of {}{}",
        file.display(),
        done.added.len(),
        person.display_name,
        if dry_run {
            " (dry run: nothing was changed)"
        } else {
            ""
        }
    )?;
    for (day, fact) in &done.added {
        writeln!(out, "  {verb}: {}  {}", date_text(*day), fact.summary())?;
    }
    if !done.already.is_empty() {
        writeln!(
            out,
            "{} already in the journal, not added again:",
            done.already.len()
        )?;
        for (day, fact) in &done.already {
            writeln!(
                out,
                "  already there: {}  {}",
                date_text(*day),
                fact.summary()
            )?;
        }
    }
    if !input.skipped.is_empty() {
        writeln!(out, "{} not used:", input.skipped.len())?;
        for s in &input.skipped {
            writeln!(out, "  skipped: {}: {}", s.resource, s.reason)?;
        }
    }
    for s in &input.notes {
        writeln!(out, "  note: {}: {}", s.resource, s.reason)?;
    }
    Ok(())
}

/// A backup into an empty database, all or nothing. The database is opened
/// without creating the local user, so that it stays empty.
fn import_backup(
    args: &DbArgs,
    file: &Path,
    text: &str,
    dry_run: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut de = serde_json::Deserializer::from_str(text);
    let backup: Backup = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        anyhow!(
            "{} is not a willis backup: {}: {}",
            file.display(),
            e.path(),
            e.inner()
        )
    })?;
    if backup.format != willis_store::BACKUP_FORMAT {
        bail!(
            "{}: format {:?} is not supported; expected {:?}",
            file.display(),
            backup.format,
            willis_store::BACKUP_FORMAT
        );
    }
    if dry_run {
        writeln!(
            out,
            "{} is a willis backup of {} people and {} journal entries; `willis import` without --dry-run restores it into an empty database",
            file.display(),
            backup.people.len(),
            backup.entries.len()
        )?;
        return Ok(());
    }
    let (runtime, app) = connect(args)?;
    runtime.block_on(app.import(&backup))?;
    writeln!(
        out,
        "imported {} people and {} journal entries from {}",
        backup.people.len(),
        backup.entries.len(),
        file.display()
    )?;
    Ok(())
}
