//! The `willis` command line: argument parsing and wiring. Every clinical
//! decision is made by `willis-core`; this crate only reads files and prints.

pub mod check;
pub mod clock;
pub mod letter;
pub mod remind;
pub mod screen;
pub mod serve;
pub mod synth;
pub mod text;
pub mod tracker;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use willis_core::{assess, Profile, Record};

#[derive(Debug, Parser)]
#[command(
    name = "willis",
    version,
    about = "Evidence-based care for restless legs syndrome (Willis-Ekbom disease)",
    long_about = "Willis turns what is known about a person with restless legs syndrome — \
symptoms, blood results, medicines, conditions, treatments tried — into a step-by-step plan \
that follows the published guidelines, with the reasons and sources for every step.\n\n\
Willis is decision support, not a doctor: discuss every step with a clinician."
)]
pub struct Cli {
    #[command(flatten)]
    pub db: tracker::DbArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the plan for a record file (willis-record/1, JSON or .toml), or for
    /// the journal when no file is given.
    Plan(PlanArgs),
    /// Add to the journal: lab, diary, med, iron, symptoms, patient, condition, habits.
    Log {
        #[command(subcommand)]
        entry: tracker::LogCmd,
    },
    /// The journal as a table.
    History {
        /// Only entries dated on or after this day.
        #[arg(long, value_parser = clock::parse_date)]
        since: Option<NaiveDate>,
        /// The journal as it stood at this moment (a date means the end of that
        /// day; or 2026-11-20T18:30, or RFC 3339): later entries are not shown.
        #[arg(long, value_name = "TIME", value_parser = clock::parse_moment)]
        known_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Revert the newest journal entry (nothing is erased: run again to redo).
    Undo,
    /// Replace entry ID with a corrected one of the same kind:
    /// `willis correct 12 lab ferritin 54 ng/mL --date 2026-11-01`.
    Correct {
        id: i64,
        #[command(subcommand)]
        entry: tracker::LogCmd,
    },
    /// Write the whole journal, full history, to standard output; or, with
    /// `--format fhir`, the person's record (or FILE's) as a FHIR R4 Bundle.
    Export {
        #[arg(long, value_enum, default_value_t = tracker::ExportFormat::Json)]
        format: tracker::ExportFormat,
        /// With `--format fhir`: the record file (or Bundle) to write as a
        /// Bundle instead of the journal.
        file: Option<PathBuf>,
    },
    /// Add a FHIR R4 Bundle or a record file to the person's journal (facts
    /// already there are not added twice), or restore a `willis export`
    /// backup into an empty database (all or nothing). The kind is read from
    /// the file's content.
    Import {
        file: PathBuf,
        /// Check everything and list what would be imported (and what was
        /// skipped, and why) without changing the journal.
        #[arg(long)]
        dry_run: bool,
    },
    /// The diagnostic questionnaire: asks in plain words, writes a record (or
    /// journal entries with --db), and shows the plan.
    Check(check::CheckArgs),
    /// A letter for the doctor (PDF or printable HTML): results with the RLS
    /// targets, medicines, what was tried, the requests, charts, references.
    Letter(letter::LetterArgs),
    /// The plan's dated follow-up (retests, reviews, oral iron evenings) as an
    /// iCalendar file for any calendar app.
    Remind(remind::RemindArgs),
    /// The web app and its JSON API, for you and the people you share with:
    /// `willis serve`, then open http://127.0.0.1:8080.
    Serve(serve::ServeArgs),
    /// Screen a FHIR Bulk Data export (NDJSON files, plain or gzip) for every
    /// patient with RLS: one report row each (plan ids, iron, first step) and
    /// a summary with the quality measures.
    Screen(screen::ScreenArgs),
    /// Write deterministic synthetic FHIR Bulk Data (NDJSON per resource
    /// type and a manifest), for demos and benchmarks of `willis screen`.
    Synth(synth::SynthArgs),
    /// The people whose journals you keep (yourself, a child, a parent).
    Person {
        #[command(subcommand)]
        action: tracker::PersonCmd,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Grouped, wrapped text for people.
    Text,
    /// The willis-assessment/1 JSON document.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Guideline {
    /// IRLSSG 2018 iron task force (default): IV iron below ferritin 300 µg/L.
    #[value(name = "irlssg-2018")]
    Irlssg2018,
    /// AASM 2024: IV iron up to ferritin 100 µg/L, or TSAT below 20 %.
    #[value(name = "aasm-2024")]
    Aasm2024,
    /// RLS Foundation 2021: IV iron below ferritin 100 µg/L.
    #[value(name = "rlsf-2021")]
    Rlsf2021,
}

impl From<Guideline> for Profile {
    fn from(g: Guideline) -> Profile {
        match g {
            Guideline::Irlssg2018 => Profile::Irlssg2018,
            Guideline::Aasm2024 => Profile::Aasm2024,
            Guideline::Rlsf2021 => Profile::Rlsf2021,
        }
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    /// The record file: JSON, or TOML when the name ends in .toml. Without it,
    /// the plan is made from the journal (`--db`, `--person`).
    pub file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub when: clock::When,
    /// Which guideline's thresholds to apply.
    #[arg(long, value_enum, default_value_t = Guideline::Irlssg2018)]
    pub guideline: Guideline,
}

/// The record to plan from and the plan's date: a record file or a FHIR
/// Bundle (facts dated after today are refused; what a Bundle holds that
/// cannot be used is listed on standard error), or the journal for `--as-of`
/// as known at `--known-at`. The one place where plan, letter and remind read
/// their input.
pub fn record_and_date(
    file: Option<&Path>,
    when: &clock::When,
    db: &tracker::DbArgs,
) -> anyhow::Result<(Record, NaiveDate)> {
    let today = clock::today()?;
    let as_of = when.as_of.unwrap_or(today);
    let record = match file {
        Some(file) => {
            when.for_file()?;
            // A Bundle's facts dated after the plan's day are left out (a
            // record file's are kept for `assess` to leave out).
            let input = willis_app::input::from_path(file, as_of.min(today))?;
            report_skipped(file, &input, &mut std::io::stderr())?;
            input
                .file
                .validate_on(willis_core::Knowledge::get(), today)?
        }
        None => tracker::Session::open(db)?.record(as_of, when.known_at)?,
    };
    Ok((record, as_of))
}

/// Lists, one per line, what a Bundle held that was not used, and what was
/// used with a caveat.
pub fn report_skipped(
    file: &Path,
    input: &willis_app::input::Input,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if !input.skipped.is_empty() {
        writeln!(
            out,
            "{}: {} item(s) of the Bundle not used:",
            file.display(),
            input.skipped.len()
        )?;
    }
    for s in &input.skipped {
        writeln!(out, "  not used: {}: {}", s.resource, s.reason)?;
    }
    for s in &input.notes {
        writeln!(out, "  note: {}: {}", s.resource, s.reason)?;
    }
    Ok(())
}

/// Runs a parsed command line, writing the result to `out`.
pub fn run(cli: Cli, out: &mut dyn Write, colour: bool) -> anyhow::Result<()> {
    use tracker::Session;
    match &cli.command {
        Command::Plan(args) => plan(args, &cli.db, out, colour),
        Command::Log { entry } => tracker::log(&Session::open(&cli.db)?, entry, None, out),
        Command::Correct { id, entry } => {
            tracker::log(&Session::open(&cli.db)?, entry, Some(*id), out)
        }
        Command::History { since, known_at } => {
            tracker::history(&Session::open(&cli.db)?, *since, *known_at, out)
        }
        Command::Undo => tracker::undo(&Session::open(&cli.db)?, out),
        Command::Export { format, file } => tracker::export(&cli.db, *format, file.as_deref(), out),
        Command::Import { file, dry_run } => tracker::import(&cli.db, file, *dry_run, out),
        Command::Person { action } => tracker::person(&Session::open(&cli.db)?, action, out),
        Command::Check(args) => check::run(args, &cli.db, out, colour),
        Command::Letter(args) => letter::run(args, &cli.db, out),
        Command::Remind(args) => remind::run(args, &cli.db, out),
        Command::Serve(args) => serve::run(args, &cli.db),
        Command::Screen(args) => screen::run(args, out),
        Command::Synth(args) => synth::run(args, out),
    }
}

fn plan(
    args: &PlanArgs,
    db: &tracker::DbArgs,
    out: &mut dyn Write,
    colour: bool,
) -> anyhow::Result<()> {
    let (record, as_of) = record_and_date(args.file.as_deref(), &args.when, db)?;
    let assessment = assess(&record, as_of, args.guideline.into());
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &assessment)
                .context("cannot write the assessment")?;
            writeln!(out)?;
        }
        Format::Text => {
            let style = text::Style::new(colour);
            out.write_all(text::render(&assessment, style).as_bytes())?;
        }
    }
    Ok(())
}

/// Writes a file whole or not at all: into a temporary file beside it, then a
/// rename, so a failure never leaves a half-written file.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", path.display(), e.error))?;
    Ok(())
}

/// Colour only on a terminal, and never when NO_COLOR is set.
pub fn colour_wanted() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
