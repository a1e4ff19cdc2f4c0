//! One patient's resources → the same `assess` as everything else → a row.

use chrono::NaiveDate;
use willis_core::knowledge::ConditionRole;
use willis_core::{assess, Assessment, Knowledge, Profile, Record};
use willis_fhir::{Bundle, BundleEntry, Resource};

use crate::measures::Hits;
use crate::row::Row;
use crate::scan::{patient_id, trimmed};

/// A patient with RLS, screened.
#[derive(Debug, Clone, PartialEq)]
pub struct Screened {
    pub row: Row,
    pub measures: Hits,
    pub assessment: Assessment,
}

/// Why a patient could not be screened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatientError {
    #[error("line {line} of the patient's resources is not a FHIR resource in JSON: {message}")]
    Json { line: usize, message: String },
    #[error("the record built from the resources is not valid at {path}: {message}")]
    Record { path: String, message: String },
}

/// Screens one patient: `lines` are their resources as JSON (a `Patient`,
/// Observations, Conditions, medicines), in any order. `Ok(None)` when the
/// resources hold no confirmed RLS diagnosis (SNOMED CT 32914008, ICD-10
/// G25.81, or a name the catalogue knows, as the FHIR mapping reads them).
///
/// Facts dated after `as_of` are left out; the plan is the one for `as_of`.
pub fn screen_lines<S: AsRef<str>>(
    lines: &[S],
    as_of: NaiveDate,
    profile: Profile,
) -> Result<Option<Screened>, PatientError> {
    // Trimmed as `willis screen` keeps them (white space, a byte-order mark),
    // in the order of their text: the same plan whatever order they came in.
    let mut sorted: Vec<(usize, &[u8])> = lines
        .iter()
        .map(|l| trimmed(l.as_ref().as_bytes()))
        .enumerate()
        .collect();
    sorted.sort_by(|a, b| a.1.cmp(b.1));
    let mut entry = Vec::with_capacity(lines.len());
    for (i, line) in sorted {
        let resource = Resource::from_slice(line).map_err(|e| PatientError::Json {
            line: i + 1,
            message: e.to_string(),
        })?;
        entry.push(BundleEntry {
            full_url: None,
            resource: Some(resource),
        });
    }
    screen_resources(entry, as_of, profile)
}

/// [`screen_lines`] for resources already parsed, in a stable order (the
/// mapping reads the first `Patient` when there are several versions).
pub fn screen_resources(
    mut entry: Vec<BundleEntry>,
    as_of: NaiveDate,
    profile: Profile,
) -> Result<Option<Screened>, PatientError> {
    let Some(patient) = patient_of(&entry) else {
        return Ok(None);
    };
    // The resources were grouped as this patient's: every way of naming them
    // (`Patient/x`, an absolute URL, `urn:uuid:x`) becomes `Patient/x`, so the
    // mapping reads them all as the one person's.
    for e in &mut entry {
        if let Some(subject) = e.resource.as_mut().and_then(Resource::subject_mut) {
            if subject.reference.as_deref().and_then(patient_id) == Some(patient.as_str()) {
                subject.reference = Some(format!("Patient/{patient}"));
            }
        }
    }
    let deceased = entry.iter().any(|e| match &e.resource {
        Some(Resource::Patient(p)) => p.deceased_on(as_of),
        _ => false,
    });
    if deceased {
        return Ok(None);
    }
    let bundle = Bundle {
        id: None,
        kind: Some("collection".to_string()),
        entry,
    };
    let imported = willis_fhir::bundle_to_record_on(&bundle, as_of).leave_out_after(as_of);
    let record = imported
        .record
        .validate(Knowledge::get())
        .map_err(|e| PatientError::Record {
            path: e.path().unwrap_or("?").to_string(),
            message: e.to_string(),
        })?;
    if !has_rls(&record) {
        return Ok(None);
    }
    let assessment = assess(&record, as_of, profile);
    Ok(Some(Screened {
        row: Row::new(patient, &assessment),
        measures: Hits::of(&record, &assessment, as_of),
        assessment,
    }))
}

/// A confirmed diagnosis of RLS in the record.
pub fn has_rls(record: &Record) -> bool {
    record.has_condition_role(ConditionRole::RestlessLegs)
}

/// The patient's id: the `Patient` resource's, else the first subject's.
fn patient_of(entry: &[BundleEntry]) -> Option<String> {
    let resources = || entry.iter().filter_map(|e| e.resource.as_ref());
    resources()
        .find_map(|r| match r {
            Resource::Patient(p) => p.id.as_deref().map(str::trim).map(str::to_string),
            _ => None,
        })
        .or_else(|| {
            resources().find_map(|r| {
                let subject = r.subject()?;
                patient_id(subject.reference.as_deref()?).map(str::to_string)
            })
        })
        .filter(|p| !p.is_empty())
}
