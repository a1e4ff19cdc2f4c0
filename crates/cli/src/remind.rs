//! `willis remind`: the plan's dated follow-ups and oral iron doses as an
//! iCalendar file (`willis_report::ics`), from a record file or the journal.
//!
//! The file is written beside its target and renamed over it, so a failure
//! never leaves a half-written calendar.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use willis_core::assess;
use willis_report::ics::{calendar, event_count, DEFAULT_HORIZON_DAYS};

use crate::tracker::DbArgs;

/// Longest `--days`: ten years of doses is already far past any retest.
const MAX_DAYS: i64 = 3660;

#[derive(Debug, Clone, clap::Args)]
pub struct RemindArgs {
    /// The record file: JSON, or TOML when the name ends in .toml. Without it,
    /// the calendar is made from the journal (`--db`, `--person`).
    pub file: Option<PathBuf>,
    /// Write the calendar to this file (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub when: crate::clock::When,
    /// Which guideline's thresholds to apply.
    #[arg(long, value_enum, default_value_t = crate::Guideline::Irlssg2018)]
    pub guideline: crate::Guideline,
    /// How many days of oral iron doses to put in the calendar, from the plan's date.
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_HORIZON_DAYS,
        value_parser = clap::value_parser!(u32).range(0..=MAX_DAYS)
    )]
    pub days: u32,
}

/// Runs `willis remind`: the calendar goes to `--out` (and a one-line note to
/// `out`), or to `out` itself without `--out`.
pub fn run(args: &RemindArgs, db: &DbArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let (record, as_of) = crate::record_and_date(args.file.as_deref(), &args.when, db)?;
    let assessment = assess(&record, as_of, args.guideline.into());
    let ics = calendar(&assessment, chrono::Utc::now(), args.days);
    // `--out -` is standard output, as for `willis letter`.
    match args.out.as_deref().filter(|p| *p != Path::new("-")) {
        None => out
            .write_all(ics.as_bytes())
            .context("cannot write the calendar")?,
        Some(path) => {
            crate::write_atomically(path, ics.as_bytes())?;
            let n = event_count(&ics);
            let events = if n == 1 { "event" } else { "events" };
            writeln!(out, "wrote {n} {events} to {}", path.display())?;
        }
    }
    Ok(())
}
