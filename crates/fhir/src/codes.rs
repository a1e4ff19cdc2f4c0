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

/// Every LOINC code read as a lab test, with its test. [`loinc_test`] reads
/// this table, and the population screen's cheap pre-filter skips any
/// Observation that names none of these codes (nor [`LOINC_PERSON`]'s, nor the
/// Willis code system) before parsing it.
pub const LOINC_TESTS: &[(&str, LabTest)] = &[
    ("2276-4", LabTest::Ferritin),
    ("2502-3", LabTest::Tsat),
    ("2498-4", LabTest::Iron),
    ("2500-7", LabTest::Tibc),
    ("3034-6", LabTest::Transferrin),
    ("718-7", LabTest::Hemoglobin),
    ("1988-5", LabTest::Crp),
    ("30522-7", LabTest::Crp),
    ("62292-8", LabTest::VitaminD),
    ("1989-3", LabTest::VitaminD),
    ("14635-7", LabTest::VitaminD),
    ("2132-9", LabTest::VitaminB12),
    ("2284-8", LabTest::Folate),
    ("2777-1", LabTest::Phosphate),
    ("2160-0", LabTest::Creatinine),
    ("33914-3", LabTest::Egfr),
    ("48642-3", LabTest::Egfr),
    ("48643-1", LabTest::Egfr),
    ("62238-1", LabTest::Egfr),
    ("98979-8", LabTest::Egfr),
];

/// The lab test for a LOINC code.
pub fn loinc_test(code: &str) -> Option<LabTest> {
    let code = code.trim();
    LOINC_TESTS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, test)| *test)
}

/// The catalogue condition id for a SNOMED CT concept.
pub fn snomed_condition(code: &str) -> Option<&'static str> {
    Some(match code.trim() {
        // INTEROP.md 2.2 and the brief.
        "32914008" => "restless-legs-syndrome",
        "77386006" => "pregnancy",
        // Normal pregnancy (from memory; verify): what Synthea writes.
        "72892002" => "pregnancy",
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
    } else if starts("Z331") || starts("Z34") || starts("Z3A") || is_obstetric(&c) {
        // INTEROP.md 2.2: the O chapter is a pregnancy signal, except the
        // puerperium (after the birth); Z3A: weeks of gestation.
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

/// O00–O9A: pregnancy, childbirth and the puerperium, less the puerperium
/// itself (O85–O92) and the sequelae (O94), which are after the birth.
fn is_obstetric(c: &str) -> bool {
    let Some(rest) = c.strip_prefix('O') else {
        return false;
    };
    if !rest.starts_with(|d: char| d.is_ascii_digit()) {
        return false;
    }
    let after_birth = rest
        .get(..2)
        .and_then(|n| n.parse::<u32>().ok())
        .is_some_and(|n| (85..=92).contains(&n) || n == 94);
    !after_birth
}

/// ICD-10-CM Z3A.NN "NN weeks gestation": the weeks, for Z3A.08 to Z3A.42.
/// Z3A.00 (unspecified), Z3A.01 (under 8 weeks) and Z3A.49 (over 42) give none.
pub fn icd10_gestation_weeks(code: &str) -> Option<i64> {
    let c: String = code
        .trim()
        .chars()
        .filter(|c| *c != '.')
        .flat_map(char::to_uppercase)
        .collect();
    let digits = c.strip_prefix("Z3A")?;
    if digits.len() != 2 {
        return None;
    }
    let weeks: i64 = digits.parse().ok()?;
    (8..=42).contains(&weeks).then_some(weeks)
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
        // Medicines that can worsen RLS (from memory; verify on RxNav).
        "3498" => "diphenhydramine",
        "6915" => "metoclopramide",
        "51272" => "quetiapine",
        "4493" => "fluoxetine",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// The other direction (export): one code per concept, always one the import
// tables above read back to the same concept.

/// The LOINC code and long common name written for a lab test (INTEROP.md 2.3).
/// These are the mass-per-volume codes; a result in a molar unit is written
/// with the same code and its UCUM unit, as the import accepts it.
pub fn loinc_for_test(test: LabTest) -> (&'static str, &'static str) {
    match test {
        LabTest::Ferritin => ("2276-4", "Ferritin [Mass/volume] in Serum or Plasma"),
        LabTest::Tsat => (
            "2502-3",
            "Iron saturation [Mass Fraction] in Serum or Plasma",
        ),
        LabTest::Iron => ("2498-4", "Iron [Mass/volume] in Serum or Plasma"),
        LabTest::Tibc => (
            "2500-7",
            "Iron binding capacity [Mass/volume] in Serum or Plasma",
        ),
        LabTest::Transferrin => ("3034-6", "Transferrin [Mass/volume] in Serum or Plasma"),
        LabTest::Hemoglobin => ("718-7", "Hemoglobin [Mass/volume] in Blood"),
        LabTest::Crp => ("1988-5", "C reactive protein [Mass/volume] in Serum or Plasma"),
        LabTest::VitaminD => (
            "62292-8",
            "25-Hydroxyvitamin D3+25-Hydroxyvitamin D2 [Mass/volume] in Serum or Plasma",
        ),
        LabTest::VitaminB12 => (
            "2132-9",
            "Cobalamin (Vitamin B12) [Mass/volume] in Serum or Plasma",
        ),
        LabTest::Folate => ("2284-8", "Folate [Mass/volume] in Serum or Plasma"),
        LabTest::Phosphate => ("2777-1", "Phosphate [Mass/volume] in Serum or Plasma"),
        LabTest::Creatinine => ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma"),
        LabTest::Egfr => (
            "98979-8",
            "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)",
        ),
    }
}

/// The UCUM code for a unit spelling willis-core accepts (after
/// `normalise_unit`): `µg/L` → `ug/L`, `mL/min/1.73m2` → `mL/min/{1.73_m2}`.
/// `None` for a spelling that is not one of core's units.
pub fn ucum_for_unit(core_unit: &str) -> Option<&'static str> {
    Some(match core_unit {
        "µg/L" => "ug/L",
        "ng/mL" => "ng/mL",
        "%" => "%",
        "µmol/L" => "umol/L",
        "µg/dL" => "ug/dL",
        "g/L" => "g/L",
        "mg/dL" => "mg/dL",
        "g/dL" => "g/dL",
        "mmol/L" => "mmol/L",
        "mg/L" => "mg/L",
        "nmol/L" => "nmol/L",
        "pg/mL" => "pg/mL",
        "pmol/L" => "pmol/L",
        "ng/L" => "ng/L",
        "mL/min/1.73m2" => "mL/min/{1.73_m2}",
        _ => return None,
    })
}

/// The SNOMED CT concept written for a catalogue condition: the first code in
/// [`snomed_condition`] for it.
pub fn snomed_for_condition(id: &str) -> Option<&'static str> {
    Some(match id {
        "restless-legs-syndrome" => "32914008",
        "pregnancy" => "77386006",
        "end-stage-kidney-disease" => "46177005",
        "hemochromatosis" => "399187006",
        "obstructive-sleep-apnea" => "78275009",
        "iron-deficiency-anemia" => "87522002",
        "peripheral-neuropathy" => "302226006",
        "parkinsons-disease" => "49049000",
        "type-2-diabetes" => "44054006",
        "diabetes" => "73211009",
        "hypertension" => "38341003",
        "multiple-sclerosis" => "24700007",
        "rheumatoid-arthritis" => "69896004",
        "hypothyroidism" => "40930008",
        _ => return None,
    })
}

/// The ICD-10-CM code written for a catalogue condition. Only codes that are
/// in INTEROP.md 2.2 or whose prefix [`icd10_condition`] reads; each one reads
/// back to the same condition.
pub fn icd10cm_for_condition(id: &str) -> Option<&'static str> {
    Some(match id {
        "restless-legs-syndrome" => "G25.81",
        "pregnancy" => "Z33.1",
        "end-stage-kidney-disease" => "N18.6",
        "hemochromatosis" => "E83.119",
        "obstructive-sleep-apnea" => "G47.33",
        "iron-deficiency-anemia" => "D50.9",
        "iron-deficiency" => "E61.1",
        "peripheral-neuropathy" => "G62.9",
        _ => return None,
    })
}

/// The RxNorm ingredient code for a generic name in [`rxnorm_ingredient`].
pub fn rxnorm_for_ingredient(generic: &str) -> Option<&'static str> {
    Some(match generic {
        "pramipexole" => "8123",
        "ropinirole" => "72302",
        "rotigotine" => "54552",
        "gabapentin" => "25480",
        "pregabalin" => "187832",
        "sertraline" => "36437",
        "diphenhydramine" => "3498",
        "metoclopramide" => "6915",
        "quetiapine" => "51272",
        "fluoxetine" => "4493",
        _ => return None,
    })
}

/// What a LOINC code about the person (not a lab test) stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonCode {
    /// 82810-3 "Pregnancy status" (INTEROP.md 2.1, marked unverified there).
    PregnancyStatus,
    /// Gestational age in weeks (from memory; read, never written).
    GestationalAge,
    /// Body weight.
    BodyWeight,
}

/// LOINC 82810-3, the pregnancy status Willis writes.
pub const LOINC_PREGNANCY_STATUS: &str = "82810-3";
/// LOINC 29463-7 "Body weight", the code Willis writes for `weight_kg`.
pub const LOINC_BODY_WEIGHT: &str = "29463-7";

/// Every LOINC code read as a fact about the person (see [`LOINC_TESTS`]).
pub const LOINC_PERSON: &[(&str, PersonCode)] = &[
    (LOINC_PREGNANCY_STATUS, PersonCode::PregnancyStatus),
    // From memory (verify): Gestational age in weeks / Estimated / Gestational age.
    ("49051-6", PersonCode::GestationalAge),
    ("11884-4", PersonCode::GestationalAge),
    ("18185-9", PersonCode::GestationalAge),
    // Body weight; Body weight Measured (from memory, verify 3141-9).
    (LOINC_BODY_WEIGHT, PersonCode::BodyWeight),
    ("3141-9", PersonCode::BodyWeight),
];

/// The person-level meaning of a LOINC code, if any.
pub fn loinc_person(code: &str) -> Option<PersonCode> {
    let code = code.trim();
    LOINC_PERSON
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, what)| *what)
}

/// SNOMED CT 77386006, written as the positive answer to 82810-3.
pub const SNOMED_PREGNANT: &str = "77386006";
/// LOINC answer LA15173-0 "Pregnant" (from memory; read only).
pub const LOINC_ANSWER_PREGNANT: &str = "LA15173-0";

/// SNOMED CT route codes written on iron treatments (from memory; verify).
pub const SNOMED_ROUTE_INTRAVENOUS: &str = "47625008";
pub const SNOMED_ROUTE_ORAL: &str = "26643006";

/// ICD-10 Z99.2 "Dependence on renal dialysis" (with or without the dot).
pub fn icd10_is_dialysis(code: &str) -> bool {
    let c: String = code
        .trim()
        .chars()
        .filter(|c| *c != '.')
        .flat_map(char::to_uppercase)
        .collect();
    c.starts_with("Z992")
}
