//! willis-python: the Rust engine as the Python module `willis._willis`.
//!
//! The module is deliberately small: text in, JSON text out. The Python
//! package around it (`python/willis/`) turns dates and dicts into the text
//! these functions take, and the JSON they return into dicts, so that every
//! rule stays in the Rust crates:
//! - [`assess`]: a `willis-record/1` file or a FHIR Bundle → the
//!   `willis-assessment/1` document (the same reading as `willis plan`);
//! - [`screen_row`]: one patient's FHIR resources → the screen's row
//!   ([`willis_screen::Row`]), through [`willis_screen::screen_lines`], or the
//!   lenient path `willis screen` itself takes;
//! - [`scan`]: the screen's cheap first look at an NDJSON line
//!   ([`willis_screen::scan::classify`]), which Spark uses to group lines by
//!   patient exactly as the screen's first pass does.
//!
//! Every error raises `ValueError` with the argument (and inside a record,
//! the field) it is about.

use std::str::FromStr;

use chrono::NaiveDate;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use willis_core::parse::record_file_from_json;
use willis_core::{Knowledge, Profile, RecordError};
use willis_fhir::{BundleEntry, Resource};
use willis_screen::scan::{classify, Line};
use willis_screen::PatientError;

/// An error for Python: `ValueError("<what>: <why>")`.
fn value_error(what: &str, why: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("{what}: {why}"))
}

/// `YYYY-MM-DD`, as every other front end takes it.
pub fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date; use YYYY-MM-DD"))
}

/// The guideline profile by its id (`irlssg-2018`, `aasm-2024`, `rlsf-2021`).
pub fn parse_profile(text: &str) -> Result<Profile, String> {
    Profile::from_str(text)
}

/// Why [`assess_text`] refused its input; `field` names the argument or the
/// record's field.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub field: String,
    pub message: String,
}

impl Refusal {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Refusal {
        Refusal {
            field: field.into(),
            message: message.into(),
        }
    }
}

fn record_refusal(e: RecordError) -> Refusal {
    match &e {
        RecordError::Invalid { path, message } => {
            Refusal::new(format!("record_json: {path}"), message.clone())
        }
        _ => Refusal::new("record_json", e.to_string()),
    }
}

/// The `willis-assessment/1` JSON for a record file or a FHIR Bundle, read
/// as `willis plan` reads a file, with `as_of` as today: a Bundle's facts
/// dated later are left out; a record file's are refused.
pub fn assess_text(text: &str, as_of: NaiveDate, profile: Profile) -> Result<String, Refusal> {
    let knowledge = Knowledge::get();
    let record = if willis_fhir::is_bundle(text) {
        let bundle = willis_fhir::read_bundle(text)
            .map_err(|e| Refusal::new("record_json: Bundle", e.to_string()))?;
        willis_fhir::bundle_to_record_on(&bundle, as_of)
            .leave_out_after(as_of)
            .record
            .validate(knowledge)
            .map_err(record_refusal)?
    } else {
        record_file_from_json(text)
            .and_then(|file| file.validate_on(knowledge, as_of))
            .map_err(record_refusal)?
    };
    let assessment = willis_core::assess(&record, as_of, profile);
    serde_json::to_string(&assessment).map_err(|e| Refusal::new("assessment", e.to_string()))
}

/// One patient's row as JSON, strictly: a resource that is not FHIR JSON, or
/// a record the resources cannot make, is an error naming it.
pub fn screen_strict(
    lines: &[String],
    as_of: NaiveDate,
    profile: Profile,
) -> Result<Option<String>, Refusal> {
    match willis_screen::screen_lines(lines, as_of, profile) {
        Ok(screened) => Ok(screened.map(|s| row_json(&s.row))),
        Err(PatientError::Json { line, message }) => Err(Refusal::new(
            format!("resources[{}]", line.saturating_sub(1)),
            format!("not a FHIR resource in JSON: {message}"),
        )),
        Err(e @ PatientError::Record { .. }) => Err(Refusal::new("resources", e.to_string())),
    }
}

/// One patient's row as JSON the way `willis screen` makes it: resources
/// that are not FHIR JSON are left out (and counted), and a patient whose
/// record cannot be built gets no row (the reason is returned).
pub fn screen_lenient(
    lines: &[String],
    as_of: NaiveDate,
    profile: Profile,
) -> (Option<String>, usize, Option<String>) {
    // Trimmed and in the order of their text, as `willis screen` reads them.
    let mut sorted: Vec<&[u8]> = lines
        .iter()
        .map(|l| willis_screen::scan::trimmed(l.as_bytes()))
        .filter(|l| !l.is_empty())
        .collect();
    sorted.sort();
    let mut entry = Vec::with_capacity(sorted.len());
    let mut malformed = 0;
    for line in sorted {
        match Resource::from_slice(line) {
            Ok(resource) => entry.push(BundleEntry {
                full_url: None,
                resource: Some(resource),
            }),
            Err(_) => malformed += 1,
        }
    }
    match willis_screen::screen_resources(entry, as_of, profile) {
        Ok(screened) => (screened.map(|s| row_json(&s.row)), malformed, None),
        Err(e) => (None, malformed, Some(e.to_string())),
    }
}

fn row_json(row: &willis_screen::Row) -> String {
    serde_json::to_string(row).expect("a row always serialises")
}

/// What the screen's first pass makes of a line: `("keep", patient,
/// rls_hint)`, `("skip", None, False)`, `("blank", None, False)` or
/// `("malformed", reason, False)`. A patient id holding a tab or a line
/// break is malformed, as in `willis screen`.
pub fn scan_line(line: &[u8]) -> (&'static str, Option<String>, bool) {
    match classify(line) {
        Line::Blank => ("blank", None, false),
        Line::Skip(_) => ("skip", None, false),
        Line::Malformed(reason) => ("malformed", Some(reason), false),
        Line::Keep {
            patient, rls_hint, ..
        } => {
            if patient.contains(['\t', '\n', '\r']) {
                (
                    "malformed",
                    Some("the patient id holds a tab or a line break".to_string()),
                    false,
                )
            } else {
                ("keep", Some(patient), rls_hint)
            }
        }
    }
}

fn args(as_of: &str, guideline: &str) -> PyResult<(NaiveDate, Profile)> {
    let day = parse_day(as_of).map_err(|e| value_error("as_of", e))?;
    let profile = parse_profile(guideline).map_err(|e| value_error("guideline", e))?;
    Ok((day, profile))
}

/// assess(record_json: str, as_of: str, guideline: str) -> str
///
/// The `willis-assessment/1` document as JSON text.
#[pyfunction]
fn assess(py: Python<'_>, record_json: String, as_of: &str, guideline: &str) -> PyResult<String> {
    let (day, profile) = args(as_of, guideline)?;
    py.detach(|| assess_text(&record_json, day, profile))
        .map_err(|r| value_error(&r.field, r.message))
}

/// screen_row(resources: list[str], as_of: str, guideline: str, strict: bool)
///     -> tuple[str | None, int, str | None]
///
/// The row as JSON text (or None without RLS), the number of resources left
/// out as malformed, and why the patient could not be screened. Strict: the
/// first malformed resource or an unbuildable record raises ValueError.
#[pyfunction]
fn screen_row(
    py: Python<'_>,
    resources: Vec<String>,
    as_of: &str,
    guideline: &str,
    strict: bool,
) -> PyResult<(Option<String>, usize, Option<String>)> {
    let (day, profile) = args(as_of, guideline)?;
    if strict {
        py.detach(|| screen_strict(&resources, day, profile))
            .map(|row| (row, 0, None))
            .map_err(|r| value_error(&r.field, r.message))
    } else {
        Ok(py.detach(|| screen_lenient(&resources, day, profile)))
    }
}

/// scan(line: str | bytes) -> tuple[str, str | None, bool]
///
/// The screen's first look at one NDJSON line (see [`scan_line`]).
#[pyfunction]
fn scan(line: &Bound<'_, PyAny>) -> PyResult<(&'static str, Option<String>, bool)> {
    if let Ok(text) = line.extract::<String>() {
        return Ok(scan_line(text.as_bytes()));
    }
    if let Ok(bytes) = line.extract::<Vec<u8>>() {
        return Ok(scan_line(&bytes));
    }
    Err(value_error("line", "a line is str or bytes"))
}

#[pymodule]
fn _willis(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(assess, m)?)?;
    m.add_function(wrap_pyfunction!(screen_row, m)?)?;
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    m.add("KNOWLEDGE_VERSION", willis_core::KNOWLEDGE_VERSION)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
