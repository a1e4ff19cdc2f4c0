//! The code tables: LOINC → lab test, SNOMED CT / ICD-10 → catalogue condition,
//! RxNorm ingredient → medicine name.
//!
//! Sources: LOINC codes and the first SNOMED/ICD-10 pairs are from the project's
//! interop notes (INTEROP.md 2.2, 2.3). Codes marked "from memory" were not
//! checked against a terminology server here; they are well-known codes, but
//! should be verified (RxNav, tx.fhir.org) before this is used clinically. A code
//! not in a table is not guessed at: the names written in the resource are tried
//! against the catalogue instead.

use willis_core::units::LabTest;

/// The lab test for a LOINC code.
pub fn loinc_test(code: &str) -> Option<LabTest> {
    Some(match code.trim() {
        "2276-4" => LabTest::Ferritin,
        "2502-3" => LabTest::Tsat,
        "2498-4" => LabTest::Iron,
        "2500-7" => LabTest::Tibc,
        "3034-6" => LabTest::Transferrin,
        "718-7" => LabTest::Hemoglobin,
        "1988-5" | "30522-7" => LabTest::Crp,
        "62292-8" | "1989-3" | "14635-7" => LabTest::VitaminD,
        "2132-9" => LabTest::VitaminB12,
        "2284-8" => LabTest::Folate,
        "2777-1" => LabTest::Phosphate,
        "2160-0" => LabTest::Creatinine,
        "33914-3" | "48642-3" | "48643-1" | "62238-1" | "98979-8" => LabTest::Egfr,
        _ => return None,
    })
}

/// The catalogue condition id for a SNOMED CT concept.
pub fn snomed_condition(code: &str) -> Option<&'static str> {
    Some(match code.trim() {
        // INTEROP.md 2.2 and the brief.
        "32914008" => "restless-legs-syndrome",
        "77386006" => "pregnancy",
        "46177005" => "end-stage-kidney-disease",
        // CKD stage 5: the catalogue counts "ckd-stage-5" as end-stage kidney disease.
        "433146000" => "end-stage-kidney-disease",
        "399187006" => "hemochromatosis",
        "78275009" => "obstructive-sleep-apnea",
        "87522002" => "iron-deficiency-anemia",
        "302226006" => "peripheral-neuropathy",
        // In the catalogue's own aliases.
        "49049000" => "parkinsons-disease",
        // From memory (well known; verify).
        "44054006" => "type-2-diabetes",
        "73211009" => "diabetes",
        "38341003" => "hypertension",
        "24700007" => "multiple-sclerosis",
        "69896004" => "rheumatoid-arthritis",
        "40930008" => "hypothyroidism",
        _ => return None,
    })
}

/// The catalogue condition id for an ICD-10 or ICD-10-CM code, with or
/// without the dot.
pub fn icd10_condition(code: &str) -> Option<&'static str> {
    let c: String = code
        .trim()
        .chars()
        .filter(|c| *c != '.')
        .flat_map(char::to_uppercase)
        .collect();
    let starts = |p: &str| c.starts_with(p);
    let id = if starts("G2581") {
        "restless-legs-syndrome"
    } else if starts("N186") || starts("N185") || starts("Z992") {
        "end-stage-kidney-disease"
    } else if starts("N18") {
        "chronic-kidney-disease"
    } else if starts("Z331") || starts("Z34") || is_obstetric(&c) {
        // INTEROP.md 2.2: treat the whole O chapter as a pregnancy signal.
        "pregnancy"
    } else if starts("E8311") {
        "hemochromatosis"
    } else if starts("G4733") {
        "obstructive-sleep-apnea"
    } else if starts("D50") {
        "iron-deficiency-anemia"
    } else if c == "E611" {
        "iron-deficiency"
    } else if starts("G629") {
        "peripheral-neuropathy"
    } else if starts("G20") {
        "parkinsons-disease"
    // From memory (ICD-10 chapter headings; verify).
    } else if starts("E11") {
        "type-2-diabetes"
    } else if starts("E10") {
        "diabetes"
    } else if starts("G35") {
        "multiple-sclerosis"
    } else if starts("M05") || starts("M06") {
        "rheumatoid-arthritis"
    } else if starts("E03") {
        "hypothyroidism"
    } else if starts("K50") || starts("K51") {
        "inflammatory-bowel-disease"
    } else if c == "K900" {
        "coeliac-disease"
    } else if c == "I10" {
        "hypertension"
    } else {
        return None;
    };
    Some(id)
}

/// O00–O9A: pregnancy, childbirth and the puerperium.
fn is_obstetric(c: &str) -> bool {
    let mut chars = c.chars();
    chars.next() == Some('O') && chars.next().is_some_and(|d| d.is_ascii_digit())
}

/// The generic name for an RxNorm ingredient (TTY=IN) code. Product codes
/// (SCD, SBD) are not here: for them the coding's display or the text is used.
///
/// The six RLS codes are the brief's; the rest are from memory. INTEROP.md 2.1
/// says none were verified against RxNav, which is why a recognised name in the
/// resource wins over this table (see `map`).
pub fn rxnorm_ingredient(code: &str) -> Option<&'static str> {
    Some(match code.trim() {
        "8123" => "pramipexole",
        "72302" => "ropinirole",
        "54552" => "rotigotine",
        "25480" => "gabapentin",
        "187832" => "pregabalin",
        "36437" => "sertraline",
        _ => return None,
    })
}
