//! `willis screen`: the population screen over FHIR Bulk Data NDJSON.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use willis_screen::pipeline::Summary;
use willis_screen::row::CSV_HEADER;
use willis_screen::{Malformed, Options, Progress, Row};

use crate::{clock, Guideline};

#[derive(Debug, Clone, clap::Args)]
pub struct ScreenArgs {
    /// NDJSON files (plain or .gz), folders of them (*.ndjson, *.ndjson.gz,
    /// *.jsonl, *.jsonl.gz), or a Bulk Data manifest.json.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The report: one row per patient with RLS. CSV when the name ends in
    /// .csv, else JSON lines; `-` or nothing: JSON lines on standard output.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The report's format, whatever the file is called.
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Also write the summary (counts per id, quality measures, malformed
    /// lines) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// The date the plans are made for (YYYY-MM-DD; default: today). Facts
    /// dated later are left out. Give it for results that do not change with
    /// the day the screen runs.
    #[arg(long, value_name = "DATE", value_parser = clock::parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Which guideline's thresholds to apply.
    #[arg(long, value_enum, default_value_t = Guideline::Irlssg2018)]
    pub guideline: Guideline,
    /// Worker threads (default: one per core).
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,
    /// Folder for the temporary files that sort the lines by patient (they
    /// need about the size of the lines kept; default: the system's).
    #[arg(long, value_name = "DIR")]
    pub temp_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// One JSON object a line.
    Ndjson,
    /// A header and one row a line; ids joined by `;`.
    Csv,
}

/// Runs `willis screen`. The report is written to a temporary file beside
/// `--out` and moved into place only when the screen is complete.
pub fn run(args: &ScreenArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let as_of = match args.as_of {
        Some(day) => day,
        None => clock::today()?,
    };
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    });
    anyhow::ensure!(jobs >= 1, "--jobs: give 1 or more threads");
    let opts = Options {
        paths: args.paths.clone(),
        as_of,
        profile: args.guideline.into(),
        jobs,
        temp_dir: args.temp_dir.clone(),
        buckets: None,
    };
    let to_file = args.out.as_deref().filter(|p| *p != Path::new("-"));
    let format = args.format.unwrap_or(match to_file {
        Some(p) if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) => {
            ReportFormat::Csv
        }
        _ => ReportFormat::Ndjson,
    });
    let started = Instant::now();
    let progress = Bar::new();
    let summary = match to_file {
        Some(path) => {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let temp = tempfile::Builder::new()
                .prefix(".willis-screen-")
                .tempfile_in(dir)
                .with_context(|| format!("cannot write the report in {}", dir.display()))?;
            let mut report = Report::new(format, std::io::BufWriter::new(temp.as_file()))?;
            let summary = willis_screen::screen(&opts, &progress, &mut |row| report.write(row))?;
            report.finish()?;
            temp.persist(path)
                .with_context(|| format!("cannot write the report to {}", path.display()))?;
            summary
        }
        None => {
            let stdout = std::io::stdout();
            let mut report = Report::new(format, std::io::BufWriter::new(stdout.lock()))?;
            let summary = willis_screen::screen(&opts, &progress, &mut |row| report.write(row))?;
            report.finish()?;
            summary
        }
    };
    progress.done();
    if let Some(path) = &args.summary {
        let json = serde_json::to_string_pretty(&summary)?;
        std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write the summary to {}", path.display()))?;
    }
    // The summary goes with the report's note: on standard output when the
    // report is in a file, else on standard error.
    let text = summary_text(&summary, started.elapsed().as_secs_f64());
    match to_file {
        Some(path) => {
            writeln!(out, "{text}")?;
            writeln!(
                out,
                "Report: {} ({} rows)",
                path.display(),
                summary.patients_with_rls
            )?;
        }
        None => eprintln!("{text}"),
    }
    Ok(())
}

/// The report writer.
enum Report<W: Write> {
    Ndjson(W),
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> Report<W> {
    fn new(format: ReportFormat, w: W) -> anyhow::Result<Report<W>> {
        Ok(match format {
            ReportFormat::Ndjson => Report::Ndjson(w),
            ReportFormat::Csv => {
                let mut csv = csv::Writer::from_writer(w);
                csv.write_record(CSV_HEADER)?;
                Report::Csv(Box::new(csv))
            }
        })
    }

    fn write(&mut self, row: &Row) -> std::io::Result<()> {
        match self {
            Report::Ndjson(w) => {
                serde_json::to_writer(&mut *w, row)?;
                w.write_all(b"\n")
            }
            Report::Csv(w) => w
                .write_record(row.csv_fields())
                .map_err(std::io::Error::other),
        }
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Report::Ndjson(mut w) => w.flush()?,
            Report::Csv(mut w) => w.flush()?,
        }
        Ok(())
    }
}

/// The summary for people.
pub fn summary_text(s: &Summary, seconds: f64) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    let mb = s.bytes as f64 / 1e6;
    let _ = writeln!(
        t,
        "Screened {} file(s), {:.1} MB, {} lines in {:.1} s ({:.0} MB/s), as of {}, {}.",
        s.files,
        mb,
        s.lines,
        seconds,
        mb / seconds.max(1e-9),
        s.as_of,
        s.guideline.id()
    );
    let _ = writeln!(
        t,
        "Patients: {}; with RLS: {}; malformed lines: {}.",
        s.patients, s.patients_with_rls, s.malformed_lines
    );
    if !s.not_screened.is_empty() {
        let _ = writeln!(
            t,
            "Not screened (record not valid): {} patient(s), e.g. {}: {}",
            s.not_screened.len(),
            s.not_screened[0].patient,
            s.not_screened[0].reason
        );
    }
    let _ = writeln!(t, "\nQuality measures (lower is better):");
    for m in &s.measures {
        let percent = m
            .percent
            .map(|p| format!("{p:5.1} %"))
            .unwrap_or_else(|| "    – ".to_string());
        let _ = writeln!(
            t,
            "  {percent}  {:>7} / {:<7} {}",
            m.numerator, m.denominator, m.title
        );
        let _ = writeln!(t, "{:>29}of {}", "", m.denominator_is);
    }
    if !s.ids.is_empty() {
        let _ = writeln!(t, "\nPlans with each id:");
        let mut ids: Vec<_> = s.ids.iter().collect();
        ids.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (id, n) in ids {
            let _ = writeln!(t, "  {n:>8}  {id}");
        }
    }
    t.trim_end().to_string()
}

/// The progress bar on standard error, when it is a terminal.
struct Bar {
    bar: ProgressBar,
}

impl Bar {
    fn new() -> Bar {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Bar {
            bar: ProgressBar::with_draw_target(None, target),
        }
    }

    fn done(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn finding(&self, total_bytes: u64) {
        self.bar.set_length(total_bytes);
        self.bar.set_style(
            ProgressStyle::with_template(
                "finding   [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} patients with RLS, eta {eta}",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
    }

    fn reading(&self, total_bytes: u64) {
        self.bar.set_position(0);
        self.bar.set_length(total_bytes);
        self.bar.set_style(
            ProgressStyle::with_template(
                "reading   [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg} eta {eta}",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
    }

    fn read(&self, bytes: u64, patients: u64) {
        self.bar.set_position(bytes);
        if patients > 0 {
            self.bar.set_message(format!("{patients} patients"));
        }
    }

    fn assessing(&self, buckets: u64) {
        self.bar.set_position(0);
        self.bar.set_length(buckets);
        self.bar.set_message("");
        self.bar.set_style(
            ProgressStyle::with_template("assessing [{bar:30}] {pos}/{len} parts, {msg} eta {eta}")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
    }

    fn assessed(&self, buckets: u64, patients_with_rls: u64) {
        self.bar.set_position(buckets);
        self.bar
            .set_message(format!("{patients_with_rls} patients with RLS"));
    }

    fn malformed(&self, m: &Malformed) {
        self.bar.suspend(|| {
            eprintln!(
                "{}:{}: malformed line, skipped: {}",
                m.file.display(),
                m.line,
                m.reason
            )
        });
    }
}
