//! `willis synth`: deterministic synthetic FHIR Bulk Data, for demos and
//! benchmarks of `willis screen`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use willis_synth::{SynthOptions, DEFAULT_MAX_FILE_BYTES};

use crate::clock;

#[derive(Debug, Clone, clap::Args)]
pub struct SynthArgs {
    /// How many patients (about 7 % of them with RLS).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub patients: u64,
    /// The same seed (and options) gives byte-identical files.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// The folder to write (created; it must be empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The day the synthetic histories end (YYYY-MM-DD). Screen them with
    /// the same `--as-of`.
    #[arg(long, value_name = "DATE", value_parser = clock::parse_date)]
    pub reference_date: Option<NaiveDate>,
    /// Split a resource type's file when it would pass this many MiB.
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_MAX_FILE_BYTES >> 20)]
    pub max_file_mib: u64,
    /// Write .ndjson.gz files.
    #[arg(long)]
    pub gzip: bool,
}

pub fn run(args: &SynthArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    anyhow::ensure!(args.max_file_mib >= 1, "--max-file-mib: give 1 or more");
    let mut opts = SynthOptions {
        patients: args.patients,
        seed: args.seed,
        out_dir: args.out.clone(),
        max_file_bytes: args.max_file_mib << 20,
        gzip: args.gzip,
        ..SynthOptions::default()
    };
    if let Some(day) = args.reference_date {
        opts.reference_date = day;
    }
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(args.patients), target);
    bar.set_style(
        ProgressStyle::with_template("writing [{bar:30}] {pos}/{len} patients, eta {eta}")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let summary = willis_synth::generate_with_progress(&opts, &mut |done| bar.set_position(done))?;
    bar.finish_and_clear();
    writeln!(
        out,
        "Wrote {} patients ({} with RLS), {} lines, {:.1} MB in {} files to {} in {:.1} s \
         (histories end {}; screen with --as-of {}).",
        summary.patients,
        summary.with_rls,
        summary.lines,
        summary.bytes as f64 / 1e6,
        summary.files.len(),
        args.out.display(),
        started.elapsed().as_secs_f64(),
        opts.reference_date,
        opts.reference_date,
    )?;
    Ok(())
}
