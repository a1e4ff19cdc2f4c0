//! One reader for everything handed to Willis as "a record": a
//! `willis-record/1` file (JSON, or TOML) or a FHIR R4 Bundle, told apart by
//! what the text holds, not by the file's name. Every front end that accepts a
//! record (the command line's `plan`, `letter`, `remind`, `import`; the API's
//! assess call; the web app's import page) reads it here.
//!
//! A Bundle is mapped by `willis_fhir`; what it could not use is kept in
//! [`Input::skipped`] for the front end to show. Nothing is dropped silently.

use std::path::Path;

use chrono::NaiveDate;
use willis_core::parse::{is_toml, read_text, record_file_from_json, record_file_from_toml};
use willis_core::{RecordError, RecordFile};
use willis_fhir::Skipped;

/// What the text was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A `willis-record/1` file.
    Record,
    /// A FHIR R4 Bundle.
    Bundle,
}

/// A record read from text, not yet validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub file: RecordFile,
    pub source: Source,
    /// The Bundle's resources (or parts) that were not used, with why; empty
    /// for a record file.
    pub skipped: Vec<Skipped>,
    /// What a Bundle held that was used with a caveat (a bound such as
    /// ">1000" read as its number, a converted unit).
    pub notes: Vec<Skipped>,
}

impl Input {
    /// A Bundle's facts dated after `today` are left out, each listed in
    /// `skipped` (see [`willis_fhir::Imported::leave_out_after`]).
    fn without_future(self, today: NaiveDate) -> Input {
        if self.source != Source::Bundle {
            return self;
        }
        let imported = willis_fhir::Imported {
            record: self.file,
            skipped: self.skipped,
            notes: self.notes,
        }
        .leave_out_after(today);
        Input {
            file: imported.record,
            source: self.source,
            skipped: imported.skipped,
            notes: imported.notes,
        }
    }
}

/// Reads JSON text: a FHIR Bundle when its top-level `resourceType` says so,
/// otherwise a record file (whose errors name the field). `today` decides
/// what in a Bundle is current (see [`Input::without_future`] and
/// `willis_fhir::bundle_to_record_on`).
pub fn from_json(text: &str, today: NaiveDate) -> Result<Input, RecordError> {
    if willis_fhir::is_bundle(text) {
        let bundle = willis_fhir::read_bundle(text).map_err(|e| RecordError::Invalid {
            path: "Bundle".to_string(),
            message: e.to_string(),
        })?;
        let imported = willis_fhir::bundle_to_record_on(&bundle, today);
        let input = Input {
            file: imported.record,
            source: Source::Bundle,
            skipped: imported.skipped,
            notes: imported.notes,
        };
        return Ok(input.without_future(today));
    }
    Ok(Input {
        file: record_file_from_json(text)?,
        source: Source::Record,
        skipped: Vec::new(),
        notes: Vec::new(),
    })
}

/// Reads a file: TOML when its name ends in `.toml` (a record file), JSON
/// otherwise (a record file or a Bundle). Files over
/// [`willis_core::parse::MAX_RECORD_BYTES`] are refused before they are read.
pub fn from_path(path: &Path, today: NaiveDate) -> Result<Input, RecordError> {
    let text = read_text(path)?;
    if is_toml(path) {
        return Ok(Input {
            file: record_file_from_toml(&text)?,
            source: Source::Record,
            skipped: Vec::new(),
            notes: Vec::new(),
        });
    }
    from_json(&text, today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const BUNDLE: &str = r#"{"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Observation", "id": "f", "status": "final",
          "code": {"coding": [{"system": "http://loinc.org", "code": "2276-4"}]},
          "effectiveDateTime": "2026-03-01T08:00:00-05:00",
          "valueQuantity": {"value": 30, "unit": "ng/mL", "system": "http://unitsofmeasure.org", "code": "ng/mL"}}},
        {"resource": {"resourceType": "Observation", "id": "gone", "status": "entered-in-error",
          "code": {"coding": [{"system": "http://loinc.org", "code": "2276-4"}]},
          "effectiveDateTime": "2026-03-02", "valueQuantity": {"value": 500, "unit": "ng/mL"}}}]}"#;

    #[test]
    fn a_bundle_is_recognised_by_its_content_and_what_it_skips_is_kept() {
        let input = from_json(BUNDLE, day("2026-12-01")).unwrap();
        assert_eq!(input.source, Source::Bundle);
        assert_eq!(input.file.labs.len(), 1);
        assert_eq!(input.skipped.len(), 1);
        assert_eq!(input.skipped[0].resource, "Observation/gone");
    }

    #[test]
    fn a_record_file_reads_as_before_and_its_errors_name_the_field() {
        let today = day("2026-12-01");
        let input = from_json(r#"{"format": "willis-record/1"}"#, today).unwrap();
        assert_eq!(input.source, Source::Record);
        assert!(input.skipped.is_empty());
        let e = from_json(
            r#"{"format": "willis-record/1", "labs": [{"test": 3}]}"#,
            today,
        )
        .unwrap_err();
        assert!(e.to_string().contains("labs[0]"), "{e}");
    }

    #[test]
    fn a_bundles_future_facts_are_skipped_and_a_record_files_are_left_to_refuse() {
        let kept = from_json(BUNDLE, day("2026-03-01")).unwrap();
        assert_eq!(kept.file.labs.len(), 1, "a result of today is used");
        let early = from_json(BUNDLE, day("2026-02-28")).unwrap();
        assert!(early.file.labs.is_empty());
        assert!(early
            .skipped
            .iter()
            .any(|s| s.resource.contains("2026-03-01") && s.reason.contains("after today")));
        let record = from_json(
            r#"{"format": "willis-record/1", "labs": [{"test": "ferritin", "value": 30, "unit": "ng/mL", "date": "2030-01-01"}]}"#,
            day("2026-01-01"),
        )
        .unwrap();
        assert_eq!(record.file.labs.len(), 1);
    }

    #[test]
    fn another_fhir_resource_is_not_taken_for_a_bundle() {
        let e = from_json(
            r#"{"resourceType": "Patient", "id": "p"}"#,
            day("2026-12-01"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("resourceType"), "{e}");
    }
}
