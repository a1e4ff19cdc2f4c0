//! willis-fhir: a small, tolerant FHIR R4 model and its mapping to a
//! `willis-record/1` file.
//!
//! [`bundle_to_record`] turns a Bundle (searchset, collection, transaction, a
//! CDS Hooks prefetch) into a [`willis_core::RecordFile`]. Nothing is dropped
//! silently: every resource, or part of one, that is not used is listed in
//! [`Imported::skipped`] with the reason.
//!
//! # Dates
//!
//! A FHIR `dateTime` carries its own offset. Willis keeps **the calendar date as
//! written in that offset**: `2026-03-01T23:30:00-05:00` is 1 March 2026 (the day
//! of the person and the lab that drew the blood), not 2 March in UTC. No time
//! zone conversion is done. Dates with only a year or a month are not a day and
//! are not used.

pub mod codes;
mod export;
mod map;
pub mod model;
mod read;
pub mod willis;

pub use export::record_to_bundle;
pub use map::{bundle_to_record, Imported, Skipped};
pub use model::{
    Bundle, BundleEntry, CodeableConcept, Coding, Condition, Dosage, DoseAndRate, Extension,
    Medication, MedicationRequest, MedicationStatement, Observation, ObservationComponent,
    OperationOutcome, OperationOutcomeIssue, Patient, Period, Quantity, Reference, Resource,
};
pub use read::{is_bundle, read_bundle, BundleError};

/// Code system URIs.
pub mod system {
    pub const LOINC: &str = "http://loinc.org";
    pub const SNOMED: &str = "http://snomed.info/sct";
    pub const ICD10: &str = "http://hl7.org/fhir/sid/icd-10";
    pub const ICD10_CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
    pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
    pub const UCUM: &str = "http://unitsofmeasure.org";
    /// The Willis code system (see [`crate::willis`]).
    pub const WILLIS: &str = crate::willis::CODE_SYSTEM;
}
