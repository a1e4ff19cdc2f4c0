//! willis-synth: deterministic synthetic FHIR R4 Bulk Data, for testing and
//! benchmarking the population screen.
//!
//! [`generate`] writes an export as a Bulk Data server would: NDJSON files of
//! one resource type each (`Patient.ndjson`, `Observation.ndjson`, ...; a type
//! passing [`SynthOptions::max_file_bytes`] is split into `Observation.1.ndjson`,
//! `Observation.2.ndjson`, ...), an `OperationOutcome.ndjson` error file and a
//! `manifest.json`. With [`SynthOptions::gzip`] every NDJSON file is gzip
//! compressed (`.ndjson.gz`); the size limit is then on the uncompressed
//! bytes, so plain and gzip output split at the same lines.
//!
//! # Determinism
//!
//! The same options give byte-identical files. Each patient's content comes
//! from a random generator seeded by (seed, patient index) alone, so patient
//! `i` is the same whatever the number of patients; nothing depends on the
//! clock. The histories end on [`SynthOptions::reference_date`].
//!
//! # What is in it
//!
//! - Patients aged 5 to 95 (mostly adults); about 1 % pregnant women.
//! - About 5–10 % with restless legs syndrome: a confirmed, active Condition
//!   coded SNOMED CT 32914008 and/or ICD-10-CM G25.81 (some text only). A few
//!   more RLS Conditions are unconfirmed, refuted or entered in error, which the
//!   FHIR mapping does not count. Other conditions the mapping reads
//!   (hypertension, type 2 diabetes, CKD, end-stage kidney disease with
//!   dialysis, haemochromatosis, iron deficiency anaemia, Parkinson's disease,
//!   sleep apnoea, pregnancy) and codes it does not know.
//! - Lab histories over up to six years in units the mapping accepts, mixed
//!   (ferritin in ng/mL, ug/L and pmol/L; iron and TIBC in ug/dL and umol/L;
//!   ...); ferritin with TSAT or iron and TIBC on the same day, sometimes
//!   TSAT on another day; a few results amended, preliminary or entered in
//!   error.
//! - Most Observation lines are unrelated (vital signs, HbA1c, cholesterol,
//!   glucose, smoking status), as in real exports.
//! - Medicines as MedicationRequest and MedicationStatement (RLS treatments,
//!   oral and IV iron, medicines that worsen RLS, common unrelated ones), IV
//!   iron infusions as MedicationAdministration; every name is one the Willis
//!   catalogue knows.
//! - Encounter, Procedure, Immunization and AllergyIntolerance files.
//! - Noise: about one line in 5,000 is malformed (truncated JSON, a bare
//!   string, a JSON array, an object without `resourceType`), and about one in
//!   20,000 is blank.

mod gen;
mod json;
mod out;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use out::TypeFiles;

/// What to generate and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthOptions {
    /// How many patients.
    pub patients: u64,
    /// The seed: the same seed (and options) gives the same files.
    pub seed: u64,
    /// The directory the export is written to: created if missing, and it
    /// must be empty.
    pub out_dir: PathBuf,
    /// A file of one type is split when it would pass this size (default
    /// 128 MiB); uncompressed bytes when `gzip` is on.
    pub max_file_bytes: u64,
    /// The day the synthetic histories end (default 2026-06-30, a constant:
    /// output never depends on today's date).
    pub reference_date: NaiveDate,
    /// Write `.ndjson.gz` files.
    pub gzip: bool,
}

/// The default size limit of one file: 128 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 128 * 1024 * 1024;

/// The default end of the histories: 2026-06-30.
pub fn default_reference_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).expect("a valid date")
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            patients: 1000,
            seed: 1,
            out_dir: PathBuf::from("bulk"),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            reference_date: default_reference_date(),
            gzip: false,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthSummary {
    /// Every NDJSON file: its resource type, path and number of resources
    /// (noise lines are not counted), in the manifest's order; the
    /// OperationOutcome error file last.
    pub files: Vec<(String, PathBuf, u64)>,
    pub patients: u64,
    /// Patients with a confirmed, current RLS Condition (the ones a screen
    /// should report).
    pub with_rls: u64,
    /// Lines in all the NDJSON files, noise and blank lines included.
    pub lines: u64,
    /// Bytes of all the NDJSON files on disk (compressed when gzip).
    pub bytes: u64,
    /// Malformed lines written (noise).
    pub malformed: u64,
    /// Blank lines written.
    pub blank: u64,
}

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} is not empty: an export is only written into an empty (or new) directory, so that files of two exports are never mixed")]
    NotEmpty(PathBuf),
    #[error("{0} exists and is not a directory")]
    NotADirectory(PathBuf),
    #[error("max_file_bytes must be at least 1")]
    ZeroMaxFileBytes,
}

impl SynthError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> SynthError {
        SynthError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Writes the export described by `opts`.
pub fn generate(opts: &SynthOptions) -> Result<SynthSummary, SynthError> {
    generate_with_progress(opts, &mut |_| {})
}

/// [`generate`], calling `progress` with the number of patients done (every
/// 256 patients and at the end).
pub fn generate_with_progress(
    opts: &SynthOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<SynthSummary, SynthError> {
    if opts.max_file_bytes == 0 {
        return Err(SynthError::ZeroMaxFileBytes);
    }
    prepare_dir(&opts.out_dir)?;
    let mut files: Vec<TypeFiles> = gen::TYPES
        .iter()
        .map(|t| TypeFiles::new(t, &opts.out_dir, opts.gzip, opts.max_file_bytes))
        .collect();
    let mut stats = gen::Stats::default();
    let mut scratch = gen::Scratch::default();
    for i in 0..opts.patients {
        gen::patient(opts, i, &mut files, &mut scratch, &mut stats)?;
        if (i + 1).is_multiple_of(256) {
            progress(i + 1);
        }
    }
    if !opts.patients.is_multiple_of(256) {
        progress(opts.patients);
    }
    let mut summary = SynthSummary {
        files: Vec::new(),
        patients: opts.patients,
        with_rls: stats.with_rls,
        lines: 0,
        bytes: 0,
        malformed: stats.malformed,
        blank: stats.blank,
    };
    let mut output = Vec::new();
    for (kind, f) in gen::TYPES.iter().zip(files) {
        summary.lines += f.lines;
        for part in f.finish()? {
            summary.bytes += part.bytes;
            output.push(format!(
                r#"{{"type":{},"url":{},"count":{}}}"#,
                json::Q(kind),
                json::Q(&file_name(&part.path)),
                part.count
            ));
            summary
                .files
                .push((kind.to_string(), part.path, part.count));
        }
    }
    // The error file: a few resources the "server" could not export.
    let mut outcomes = TypeFiles::new(
        "OperationOutcome",
        &opts.out_dir,
        opts.gzip,
        opts.max_file_bytes,
    );
    for line in gen::outcomes(opts) {
        outcomes.line(&line, true)?;
    }
    summary.lines += outcomes.lines;
    let mut errors = Vec::new();
    for part in outcomes.finish()? {
        summary.bytes += part.bytes;
        errors.push(format!(
            r#"{{"type":"OperationOutcome","url":{}}}"#,
            json::Q(&file_name(&part.path))
        ));
        summary
            .files
            .push(("OperationOutcome".to_string(), part.path, part.count));
    }
    // Written by hand to keep the keys in the order of the specification.
    let list = |items: &[String]| -> String {
        items
            .iter()
            .map(|i| format!("\n    {i}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let text = format!(
        "{{\n  \"transactionTime\": \"{}T23:59:59Z\",\n  \"request\": {},\n  \"requiresAccessToken\": false,\n  \"output\": [{}\n  ],\n  \"error\": [{}\n  ]\n}}\n",
        json::D(opts.reference_date),
        json::Q(&format!(
            "https://synth.willis.invalid/fhir/$export?_type={}",
            gen::TYPES.join(",")
        )),
        list(&output),
        list(&errors),
    );
    let path = opts.out_dir.join("manifest.json");
    std::fs::write(&path, text).map_err(|e| SynthError::io(&path, e))?;
    Ok(summary)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Creates the directory, or checks that it is an empty directory.
fn prepare_dir(dir: &Path) -> Result<(), SynthError> {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => Err(SynthError::NotADirectory(dir.to_path_buf())),
        Ok(_) => {
            let mut entries = std::fs::read_dir(dir).map_err(|e| SynthError::io(dir, e))?;
            if entries.next().is_some() {
                return Err(SynthError::NotEmpty(dir.to_path_buf()));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| SynthError::io(dir, e))
        }
        Err(e) => Err(SynthError::io(dir, e)),
    }
}
