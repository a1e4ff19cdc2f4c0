//! `willis letter`: the letter for the doctor (`willis_report::letter`), as PDF
//! (typeset in-process, the default) or printable HTML, from a record file or
//! the journal.
//!
//! The file is written beside its target and renamed over it, so a failure
//! never leaves a half-written letter.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::ValueEnum;
use willis_core::assess;
use willis_report::letter::{self, LetterContent};

use crate::tracker::DbArgs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LetterFormat {
    /// A PDF typeset inside willis (A4, fonts embedded).
    Pdf,
    /// One printable HTML page (A4 print styles, charts inline).
    Html,
}

impl LetterFormat {
    fn default_file(self) -> &'static str {
        match self {
            LetterFormat::Pdf => "letter.pdf",
            LetterFormat::Html => "letter.html",
        }
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct LetterArgs {
    /// The record file: JSON, or TOML when the name ends in .toml. Without it,
    /// the letter is made from the journal (`--db`, `--person`).
    pub file: Option<PathBuf>,
    /// Where to write the letter (default: letter.pdf or letter.html in the
    /// current directory; `-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// PDF (default) or printable HTML.
    #[arg(long, value_enum, default_value_t = LetterFormat::Pdf)]
    pub format: LetterFormat,
    /// The name to put on the letter (optional; not stored anywhere).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub when: crate::clock::When,
    /// Which guideline's thresholds to apply.
    #[arg(long, value_enum, default_value_t = crate::Guideline::Irlssg2018)]
    pub guideline: crate::Guideline,
}

/// Runs `willis letter`: writes the letter to `--out` (default `letter.pdf` /
/// `letter.html`) and a one-line note to `out`; with `--out -` the letter
/// itself goes to `out` (never PDF bytes to a terminal).
pub fn run(args: &LetterArgs, db: &DbArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let to_stdout = args.out.as_deref() == Some(Path::new("-"));
    if to_stdout && args.format == LetterFormat::Pdf && std::io::stdout().is_terminal() {
        anyhow::bail!(
            "will not write a PDF to the terminal; give --out FILE, redirect the output, \
             or use --format html"
        );
    }
    let (record, as_of) = crate::record_and_date(args.file.as_deref(), &args.when, db)?;
    let assessment = assess(&record, as_of, args.guideline.into());
    let content = LetterContent::new(&record, &assessment, args.name.as_deref());
    let bytes = render(&content, args.format)?;

    if to_stdout {
        out.write_all(&bytes).context("cannot write the letter")?;
        return Ok(());
    }
    let path = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(args.format.default_file()));
    crate::write_atomically(&path, &bytes)?;
    writeln!(
        out,
        "wrote the letter for the doctor to {} ({} requests, {} results, {} references)",
        path.display(),
        content.requests.len(),
        content.results.len(),
        content.references.len()
    )?;
    Ok(())
}

fn render(content: &LetterContent, format: LetterFormat) -> anyhow::Result<Vec<u8>> {
    match format {
        LetterFormat::Html => Ok(letter::html(content).into_bytes()),
        LetterFormat::Pdf => pdf(content),
    }
}

#[cfg(feature = "pdf")]
fn pdf(content: &LetterContent) -> anyhow::Result<Vec<u8>> {
    letter::pdf(content).context("cannot make the PDF letter")
}

#[cfg(not(feature = "pdf"))]
fn pdf(_content: &LetterContent) -> anyhow::Result<Vec<u8>> {
    anyhow::bail!(
        "this willis was built without PDF support (cargo feature `pdf`); \
         use --format html and print the page, or rebuild with --features pdf"
    )
}
