//! From a call's FHIR data to the same `Assessment` every other output of
//! Willis reads: `willis_fhir::bundle_to_record`, validation, `assess`.

use willis_core::assessment::DiagnosisStatus;
use willis_core::{assess, Assessment, Knowledge, MedicationFile, Profile, Record};
use willis_fhir::Bundle;

use crate::Web;

/// The guideline the cards follow.
pub const GUIDELINE: Profile = Profile::Irlssg2018;

/// The record and its assessment on the Web's today; `extra` medicines are
/// added to the record first (order-select: the draft order, started
/// today). `Err` says why there is none (never about the patient).
pub fn assess_bundle(
    web: &Web,
    bundle: &Bundle,
    extra: &[MedicationFile],
) -> Result<(Record, Assessment), String> {
    let mut file = willis_fhir::bundle_to_record_on(bundle, web.today()).record;
    file.medications.extend(extra.iter().cloned());
    // `validate`, not `validate_on`: a fact the EHR dates after today (a time
    // zone ahead of ours) is not a typing mistake to refuse the whole chart
    // for; the assessment, made for today, leaves it out.
    let record = file.validate(Knowledge::get()).map_err(|e| {
        format!(
            "the record built from the FHIR data is not valid at {}",
            e.path().unwrap_or("?")
        )
    })?;
    let assessment = assess(&record, web.today(), GUIDELINE);
    Ok((record, assessment))
}

/// Whether the assessment counts the patient as having RLS: a clinician's
/// recorded diagnosis, or the criteria met.
pub fn has_rls(a: &Assessment) -> bool {
    a.diagnosis.recorded_by_clinician || a.diagnosis.status == DiagnosisStatus::LikelyRls
}

/// The guideline's name for people.
pub fn guideline_label(profile: Profile) -> &'static str {
    match profile {
        Profile::Irlssg2018 => "IRLSSG 2018 guideline",
        Profile::Aasm2024 => "AASM 2024 guideline",
        Profile::Rlsf2021 => "RLS Foundation 2021 algorithm",
    }
}
