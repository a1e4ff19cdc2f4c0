//! willis-fhir: a small, tolerant FHIR R4 model and its mapping to and from
//! a `willis-record/1` file.
//!
//! - [`bundle_to_record`] turns a Bundle (searchset, collection, transaction, a
//!   CDS Hooks prefetch) into a [`willis_core::RecordFile`]. Nothing is dropped
//!   silently: every resource, or part of one, that is not used is listed in
//!   [`Imported::skipped`] with the reason. The record always passes
//!   `RecordFile::validate`.
//! - [`record_to_bundle`] writes a record file as a `collection` Bundle that
//!   [`bundle_to_record`] reads back to the same record file (tested on every
//!   sample record), so it plans the same. The output is deterministic: the
//!   `fullUrl`s are `urn:uuid:` values derived from each resource's content.
//! - [`is_bundle`] tells a Bundle from a record file by its content (cheap);
//!   [`read_bundle`] reads one with an error that says what is wrong.
//!
//! # How a record is written
//!
//! | record | FHIR |
//! |---|---|
//! | `patient.birth_date`, `sex` | `Patient.birthDate`, `gender` |
//! | `patient.weight_kg` | Observation LOINC 29463-7 "Body weight", `kg` |
//! | `patient.pregnancy_weeks` | Observation LOINC 82810-3 "Pregnancy status" = SNOMED 77386006, and a Willis `pregnancy-weeks` Observation (`wk`) |
//! | `patient.dialysis` | Willis `dialysis` Observation (`valueBoolean`) |
//! | `conditions[]` | Condition, SNOMED CT and ICD-10-CM codings when the code tables have them, `code.text` = the catalogue label, `clinicalStatus` active, and the name as written in the extension `…/record-name` |
//! | `labs[]` | Observation, LOINC code and long name, `valueQuantity` with the unit as written and its UCUM `system`/`code`, `effectiveDateTime` = the date, status final; `fasting`/`morning` in the extensions `…/lab-fasting`, `…/lab-morning` |
//! | `medications[]` | MedicationStatement, RxNorm ingredient coding when known, `medicationCodeableConcept.text` = the name as written, `dosage.text` = the dose, `effectivePeriod`, status active or completed (when stopped), `outcome` in the extension `…/outcome` |
//! | `iron_treatments[]` | MedicationStatement with `category` = Willis `iron-treatment`; `dosage.route` (SNOMED 47625008 intravenous / 26643006 oral, `text` = the route as written), `doseAndRate.doseQuantity` in mg (`dose_mg` for IV, `elemental_mg` for oral), `dosage.text` = the oral schedule; an infusion's date in `effectiveDateTime`, a course in `effectivePeriod`; `response` and `outcome` in extensions |
//! | `symptoms`, `sleep`, `habits` | one Observation per value, coded in the Willis code system |
//! | `diary[]` | one Willis `diary-night` Observation per night, `effectiveDateTime` = the date, components `severity`, `onset-time`, `body-part`, `sleep-hours` |
//!
//! # The Willis code system
//!
//! [`willis::CODE_SYSTEM`] = `https://willis-rls.org/fhir/CodeSystem/record`
//! holds what a plan depends on that has no standard FHIR code Willis is sure
//! of. Its codes are the record's field names with `-` for `_`
//! ([`willis::FIELDS`]): the five diagnostic criteria (`urge-to-move`,
//! `worse-at-rest`, `relieved-by-movement`, `worse-evening-or-night`,
//! `not-explained-by-other-condition`), `days-per-week`, `irls-total`,
//! `irls-items` (components `irls-item-1`…`irls-item-10`), `onset-time`,
//! `body-part`, the augmentation answers (`augmentation-…`),
//! `impulse-control-problems`, `one-sided`, `weakness-or-numbness`; sleep
//! (`snoring`, `witnessed-apneas`, `excessive-daytime-sleepiness`, `epworth`,
//! `limb-jerks-reported`, `plms-index`); habits (`alcohol-units-per-week`,
//! `caffeine-drinks-per-day`, `smoker`); `dialysis`, `pregnancy-weeks`;
//! `diary-night` and its components; `iron-treatment` (a MedicationStatement
//! category) and `iron` (an iron product that was not recorded). The
//! extensions live under `https://willis-rls.org/fhir/StructureDefinition/`.
//! No Willis code is written as LOINC or SNOMED CT.
//!
//! # What the import adds for EHR data
//!
//! LOINC 82810-3 with a positive answer (SNOMED 77386006, LOINC LA15173-0 or
//! the text "pregnant") is a pregnancy (the condition, unless gestational age
//! gives the weeks: LOINC 49051-6, 11884-4, 18185-9 in `wk` or `d`); ICD-10
//! Z99.2 is end-stage kidney disease and `dialysis: true`; body weight (LOINC
//! 29463-7, 3141-9) in kg, g or `[lb_av]`, the latest one. An iron product in an
//! EHR's own MedicationStatement (without the Willis category) is read as a
//! medicine, not as an iron treatment.
//!
//! # Safety rules of the import
//!
//! - Only `final`, `amended` and `corrected` Observations are read.
//! - A bound (`valueQuantity.comparator`) is read as its number and listed in
//!   [`Imported::notes`]; a number written as text has no unit and is skipped.
//!   Ferritin in pmol/L is converted to µg/L (÷ 2.247), with a note.
//! - One result of a test a day: the later instant; with no times to tell,
//!   the safer value (higher ferritin, TSAT, iron, haemoglobin; lower TIBC,
//!   transferrin). For ferritin, TSAT, iron, TIBC and transferrin, a newer
//!   result whose value or unit cannot be used stops the older ones.
//! - Conditions must be confirmed (not unconfirmed, provisional,
//!   differential); haemochromatosis counts whatever its clinical status.
//!   Pregnancy facts dated more than [`PREGNANCY_CURRENT_MONTHS`] months ago
//!   are not current; the newest pregnancy status and gestational age win;
//!   ICD-10 Z3A.NN gives the weeks; the puerperium (O85–O92, O94) is not a
//!   pregnancy.
//! - Medicines: only MedicationRequest orders; `on-hold` and `unknown` are not
//!   current; an active statement whose period has ended is a stopped course.
//!   A completed MedicationAdministration of IV iron is an infusion; any other
//!   administration is not a course.
//! - With several people in a Bundle, a resource without `subject` is skipped.
//!
//! # What does not round-trip
//!
//! Anything willis-core would refuse in a record file is reported by the
//! import instead of being read (the import's record always validates): a
//! lab in a unit its test does not accept (examples 07-bad-unit) is written
//! as the record has it (unit text, no UCUM code) and reported when read.
//! Spellings willis-core treats as the same come back in one form: `sex: "F"`
//! as `female`, an onset time `9:00` as `09:00`. A repeated condition name
//! comes back once; a Bundle with a Patient always gives a `patient` section.
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
pub use map::{bundle_to_record, bundle_to_record_on, Imported, Skipped, PREGNANCY_CURRENT_MONTHS};
pub use model::{
    AdministrationDosage, Bundle, BundleEntry, CodeableConcept, Coding, Condition, Dosage,
    DoseAndRate, Extension, Medication, MedicationAdministration, MedicationRequest,
    MedicationStatement, Observation, ObservationComponent, OperationOutcome,
    OperationOutcomeIssue, Patient, Period, Quantity, Reference, Resource,
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
