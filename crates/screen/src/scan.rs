//! The first look at a line: what kind of resource it is and whose, found
//! without building the resource.
//!
//! Most lines of a Bulk Data export are of no use to the plan (encounters,
//! vital signs, immunisations). They are recognised by a scan for a few
//! strings and skipped without a full parse:
//! - a resource type no rule reads (anything but `Patient`, `Observation`,
//!   `Condition`, `MedicationStatement`, `MedicationRequest`,
//!   `MedicationAdministration`) is skipped on its `"resourceType"` alone;
//! - an Observation that names none of the codes the FHIR mapping reads
//!   ([`willis_fhir::codes::LOINC_TESTS`], [`willis_fhir::codes::LOINC_PERSON`],
//!   the Willis code system) is skipped: the mapping would skip it too.
//!
//! The lines that remain are parsed into a small head (type, id, subject),
//! which checks the whole line is JSON, and keyed by patient. A Condition line
//! that could be restless legs syndrome carries a hint, so that the second
//! pass assesses only the patients who may have RLS; the hint is a superset
//! (any mention of the codes or names the catalogue knows for RLS), and the
//! assessment decides.

use std::borrow::Cow;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use memchr::memmem::Finder;
use serde::Deserialize;
use willis_fhir::codes::{LOINC_PERSON, LOINC_TESTS};

/// A resource type the plan reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Patient,
    Observation,
    Condition,
    MedicationStatement,
    MedicationRequest,
    MedicationAdministration,
}

impl Kind {
    fn of(resource_type: &str) -> Option<Kind> {
        Some(match resource_type {
            "Patient" => Kind::Patient,
            "Observation" => Kind::Observation,
            "Condition" => Kind::Condition,
            "MedicationStatement" => Kind::MedicationStatement,
            "MedicationRequest" => Kind::MedicationRequest,
            "MedicationAdministration" => Kind::MedicationAdministration,
            _ => return None,
        })
    }
}

/// Why a line was passed over without being used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Skip {
    /// A resource type no rule reads.
    OtherType,
    /// An Observation with none of the codes the mapping reads.
    UnreadObservation,
    /// An `OperationOutcome` (the export's own messages).
    OperationOutcome,
    /// A resource of a type the plan reads with no reference to a patient.
    NoPatient,
}

/// What a line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// Empty, or only white space.
    Blank,
    Skip(Skip),
    /// Not a FHIR resource in JSON: why.
    Malformed(String),
    Keep {
        kind: Kind,
        /// The patient's id: `Patient.id`, or the id in `subject.reference`
        /// (`Patient/123` → `123`).
        patient: String,
        /// A Condition that may be restless legs syndrome.
        rls_hint: bool,
    },
}

/// The longest line the screen reads (a resource of 16 MiB is not a
/// patient's lab result; such a line is malformed).
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// A line without the white space around it, nor the byte-order mark that
/// starts some files (and so their first line): what is kept of a line.
pub fn trimmed(line: &[u8]) -> &[u8] {
    let line = line.trim_ascii();
    line.strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(line)
        .trim_ascii()
}

/// Classifies one line of NDJSON (without its newline).
pub fn classify(line: &[u8]) -> Line {
    let line = trimmed(line);
    if line.is_empty() {
        return Line::Blank;
    }
    if line.len() > MAX_LINE_BYTES {
        return Line::Malformed(format!(
            "the line is {} bytes long; a resource may have at most {MAX_LINE_BYTES}",
            line.len()
        ));
    }
    if line.first() != Some(&b'{') {
        return Line::Malformed("not a JSON object (one resource per line)".to_string());
    }
    if line.last() != Some(&b'}') {
        return Line::Malformed(
            "the JSON object does not end on this line (cut short, or written over several lines)"
                .to_string(),
        );
    }
    let Some(resource_type) = resource_type(line) else {
        return Line::Malformed("no \"resourceType\"".to_string());
    };
    // The cheap skips below trust the first "resourceType" only when it is
    // the object's first key; otherwise (keys sorted, "contained" first) it
    // may be a contained resource's, and the parse tells the line's own.
    if !starts_with_resource_type(line) {
        return parse_head(line);
    }
    let Some(kind) = std::str::from_utf8(resource_type).ok().and_then(Kind::of) else {
        return Line::Skip(if resource_type == b"OperationOutcome" as &[u8] {
            Skip::OperationOutcome
        } else {
            Skip::OtherType
        });
    };
    if kind == Kind::Observation && !names_a_code_the_mapping_reads(line) {
        return Line::Skip(Skip::UnreadObservation);
    }
    parse_head(line)
}

/// The patient of a Condition line that may be restless legs syndrome (the
/// same hint as [`classify`]'s), found cheaply on any other line: a line
/// whose first key says it is not a Condition, or that mentions no RLS code or
/// name, is not parsed.
pub fn rls_candidate(line: &[u8]) -> Option<String> {
    let line = trimmed(line);
    if starts_with_resource_type(line) && resource_type(line) != Some(b"Condition".as_slice()) {
        return None;
    }
    if !RLS_HINTS.is_match(line) {
        return None;
    }
    match classify(line) {
        Line::Keep {
            kind: Kind::Condition,
            patient,
            rls_hint: true,
        } => Some(patient),
        _ => None,
    }
}

/// The kind and patient of a line that [`classify`] would keep, read without
/// parsing it, when the line has the plain shape exporters write:
/// `{"resourceType":"…"` first, then for a Patient `"id":"…"` next, for the
/// others one `"subject"` whose first key is `"reference"`, and nothing
/// contained. `None` when it is not that simple (then [`classify`] decides).
/// Unlike [`classify`] it does not check the rest of the line is JSON: the
/// screen uses it only to pass over the lines of patients who cannot have
/// RLS.
pub fn quick_key(line: &[u8]) -> Option<(Kind, &str)> {
    let line = trimmed(line);
    if line.last() != Some(&b'}') || !starts_with_resource_type(line) {
        return None;
    }
    let kind = Kind::of(std::str::from_utf8(resource_type(line)?).ok()?)?;
    if kind == Kind::Observation && !names_a_code_the_mapping_reads(line) {
        return None;
    }
    if CONTAINED_KEY.find(line).is_some() {
        return None;
    }
    let id = if kind == Kind::Patient {
        // `{"resourceType":"Patient","id":"…"`
        let at = RESOURCE_TYPE_KEY.find(line)? + RESOURCE_TYPE_KEY.needle().len();
        let after_type = after_string_value(&line[at..])?;
        let rest = after_type.trim_ascii_start().strip_prefix(b",")?;
        let rest = rest.trim_ascii_start().strip_prefix(b"\"id\"")?;
        string_value(rest)?
    } else {
        let mut subjects = SUBJECT_KEY.find_iter(line);
        let at = subjects.next()? + SUBJECT_KEY.needle().len();
        if subjects.next().is_some() {
            return None;
        }
        let rest = line[at..].trim_ascii_start().strip_prefix(b":")?;
        let rest = rest.trim_ascii_start().strip_prefix(b"{")?;
        let rest = rest.trim_ascii_start().strip_prefix(b"\"reference\"")?;
        let reference = std::str::from_utf8(string_value(rest)?).ok()?;
        patient_id(reference)?.as_bytes()
    };
    let id = std::str::from_utf8(id).ok()?.trim();
    (!id.is_empty() && !id.bytes().any(|b| b == b'\t')).then_some((kind, id))
}

/// What follows a key's plain string value: `: "value"` → the rest.
fn after_string_value(rest: &[u8]) -> Option<&[u8]> {
    let rest = rest.trim_ascii_start().strip_prefix(b":")?;
    let rest = rest.trim_ascii_start().strip_prefix(b"\"")?;
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    (rest[end] == b'"').then(|| &rest[end + 1..])
}

/// `{"resourceType"` (white space allowed) opens the line.
fn starts_with_resource_type(line: &[u8]) -> bool {
    line.strip_prefix(b"{")
        .map(<[u8]>::trim_ascii_start)
        .is_some_and(|rest| rest.starts_with(RESOURCE_TYPE_KEY.needle()))
}

/// The full parse of a line's head: its own type, id and subject.
fn parse_head(line: &[u8]) -> Line {
    let head: Head = match serde_json::from_slice(line) {
        Ok(head) => head,
        Err(e) => return Line::Malformed(format!("not valid JSON: {e}")),
    };
    // The scan found the first "resourceType"; the parse knows the top-level
    // one (a contained resource could come first).
    let Some(kind) = Kind::of(&head.resource_type) else {
        return Line::Skip(if head.resource_type == "OperationOutcome" {
            Skip::OperationOutcome
        } else {
            Skip::OtherType
        });
    };
    if kind == Kind::Observation && !names_a_code_the_mapping_reads(line) {
        return Line::Skip(Skip::UnreadObservation);
    }
    let patient = if kind == Kind::Patient {
        head.id.map(|id| id.trim().to_string())
    } else {
        head.subject
            .and_then(|s| s.reference)
            .and_then(|r| patient_id(&r).map(str::to_string))
    };
    match patient.filter(|p| !p.is_empty()) {
        Some(patient) => Line::Keep {
            kind,
            patient,
            rls_hint: kind == Kind::Condition && RLS_HINTS.is_match(line),
        },
        None if kind == Kind::Patient => Line::Malformed("a Patient without an id".to_string()),
        None => Line::Skip(Skip::NoPatient),
    }
}

/// The patient id in a reference: `Patient/123`, `https://ehr/fhir/Patient/123/_history/2`,
/// `urn:uuid:123` → `123`; any other reference as it is. `None` when empty.
pub fn patient_id(reference: &str) -> Option<&str> {
    let r = reference.trim();
    let r = r.split("/_history").next().unwrap_or(r);
    let id = match r.rfind("Patient/") {
        Some(i) => &r[i + "Patient/".len()..],
        // A transaction's `urn:uuid:` reference names the Patient by its id.
        None => r.strip_prefix("urn:uuid:").unwrap_or(r),
    };
    let id = id.trim_end_matches('/');
    (!id.is_empty()).then_some(id)
}

/// What the first pass needs of a resource; the rest of the line is checked
/// to be JSON and skipped. Strings are borrowed from the line when they hold
/// no escapes.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "resourceType", borrow)]
    resource_type: Cow<'a, str>,
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    subject: Option<Subject<'a>>,
}

#[derive(Deserialize)]
struct Subject<'a> {
    #[serde(default, borrow)]
    reference: Option<Cow<'a, str>>,
}

static RESOURCE_TYPE_KEY: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(b"\"resourceType\""));
static CODE_KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"code\""));
static SUBJECT_KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"subject\""));
static CONTAINED_KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"contained\""));
static WILLIS_SYSTEM: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(willis_fhir::system::WILLIS.as_bytes()));

/// The value of the first `"resourceType"` key, when it is a plain string.
fn resource_type(line: &[u8]) -> Option<&[u8]> {
    let at = RESOURCE_TYPE_KEY.find(line)? + RESOURCE_TYPE_KEY.needle().len();
    string_value(&line[at..])
}

/// The string after a key: `: "value"` (no escapes) → `value`.
fn string_value(rest: &[u8]) -> Option<&[u8]> {
    let rest = rest.trim_ascii_start().strip_prefix(b":")?;
    let rest = rest.trim_ascii_start().strip_prefix(b"\"")?;
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    (rest[end] == b'"').then(|| &rest[..end])
}

/// Whether an Observation line has a `"code"` whose value is one of the
/// LOINC codes the mapping reads ([`LOINC_TESTS`], [`LOINC_PERSON`]), or
/// mentions the Willis code system. Every coding's code is a `"code"` key, so
/// this never passes over a line the mapping would read (short of codes
/// written with JSON escapes, which no exporter does).
fn names_a_code_the_mapping_reads(line: &[u8]) -> bool {
    CODE_KEY.find_iter(line).any(|at| {
        let rest = &line[at + CODE_KEY.needle().len()..];
        let Some(value) = rest
            .trim_ascii_start()
            .strip_prefix(b":")
            .and_then(|r| r.trim_ascii_start().strip_prefix(b"\""))
        else {
            return false;
        };
        match memchr::memchr2(b'"', b'\\', value) {
            // An escaped code: keep the line, the full parse will tell.
            Some(end) if value[end] == b'\\' => true,
            Some(end) => {
                let code = value[..end].trim_ascii();
                LOINC_TESTS.iter().any(|(c, _)| c.as_bytes() == code)
                    || LOINC_PERSON.iter().any(|(c, _)| c.as_bytes() == code)
            }
            None => false,
        }
    }) || WILLIS_SYSTEM.find(line).is_some()
}

/// What a Condition about RLS contains: its codes, and the words of every
/// name the catalogue knows for it ("RLS", "Willis-Ekbom", "restless legs").
pub const RLS_HINT_WORDS: &[&str] = &["restless", "rls", "ekbom", "32914008", "g25.81", "g2581"];

static RLS_HINTS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .kind(Some(AhoCorasickKind::DFA))
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .build(RLS_HINT_WORDS)
        .expect("the hint list builds a matcher")
});

#[cfg(test)]
mod tests {
    use super::*;

    fn keep(line: &str) -> (Kind, String, bool) {
        match classify(line.as_bytes()) {
            Line::Keep {
                kind,
                patient,
                rls_hint,
            } => (kind, patient, rls_hint),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn a_ferritin_is_kept_under_its_patient() {
        let line = r#"{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2276-4"}]},"subject":{"reference":"Patient/p-7"},"valueQuantity":{"value":40,"unit":"ng/mL"}}"#;
        assert_eq!(keep(line), (Kind::Observation, "p-7".to_string(), false));
    }

    #[test]
    fn vital_signs_and_other_types_are_skipped_without_a_parse() {
        let bp = r#"{"resourceType":"Observation","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"subject":{"reference":"Patient/1"}}"#;
        assert_eq!(classify(bp.as_bytes()), Line::Skip(Skip::UnreadObservation));
        // Broken JSON after the type is not even looked at.
        let enc = r#"{"resourceType": "Encounter", "subject": {"#;
        assert!(matches!(classify(enc.as_bytes()), Line::Malformed(_)));
        let enc = r#"{"resourceType": "Encounter", "subject": {}}"#;
        assert_eq!(classify(enc.as_bytes()), Line::Skip(Skip::OtherType));
        let oo = r#"{"resourceType":"OperationOutcome","issue":[]}"#;
        assert_eq!(classify(oo.as_bytes()), Line::Skip(Skip::OperationOutcome));
    }

    #[test]
    fn a_patient_is_keyed_by_its_id_and_conditions_carry_the_rls_hint() {
        assert_eq!(
            keep(r#"{"resourceType":"Patient","id":"abc","gender":"female"}"#),
            (Kind::Patient, "abc".to_string(), false)
        );
        let rls = r#"{"resourceType":"Condition","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"G25.81"}]},"subject":{"reference":"https://ehr.example/fhir/Patient/abc/_history/3"}}"#;
        assert_eq!(keep(rls), (Kind::Condition, "abc".to_string(), true));
        let htn = r#"{"resourceType":"Condition","code":{"text":"Hypertension"},"subject":{"reference":"Patient/abc"}}"#;
        assert_eq!(keep(htn), (Kind::Condition, "abc".to_string(), false));
    }

    #[test]
    fn broken_lines_say_what_is_wrong() {
        for (line, says) in [
            ("[1,2]", "not a JSON object"),
            ("\"text\"", "not a JSON object"),
            ("{}", "no \"resourceType\""),
            (r#"{"resourceType":"Patient"}"#, "without an id"),
            (
                r#"{"resourceType":"Observation","code":{"coding":[{"code":"2276-4"}]},"subject":}"#,
                "not valid JSON",
            ),
        ] {
            match classify(line.as_bytes()) {
                Line::Malformed(why) => assert!(why.contains(says), "{line}: {why}"),
                other => panic!("{line}: {other:?}"),
            }
        }
        assert_eq!(classify(b"  \r"), Line::Blank);
        let orphan = r#"{"resourceType":"Condition","code":{"text":"RLS"}}"#;
        assert_eq!(classify(orphan.as_bytes()), Line::Skip(Skip::NoPatient));
    }

    #[test]
    fn a_contained_resource_first_does_not_hide_the_line() {
        // Keys in alphabetical order: "contained" comes before "resourceType".
        let line = r##"{"contained":[{"resourceType":"Medication","id":"m"}],"medicationReference":{"reference":"#m"},"resourceType":"MedicationAdministration","status":"completed","subject":{"reference":"Patient/p1"}}"##;
        assert_eq!(
            keep(line),
            (Kind::MedicationAdministration, "p1".to_string(), false)
        );
        let obs = r#"{"code":{"coding":[{"code":"2276-4","system":"http://loinc.org"}]},"contained":[{"resourceType":"Specimen"}],"resourceType":"Observation","subject":{"reference":"Patient/p1"}}"#;
        assert_eq!(keep(obs), (Kind::Observation, "p1".to_string(), false));
        let vitals = r#"{"code":{"coding":[{"code":"8867-4"}]},"resourceType":"Observation","subject":{"reference":"Patient/p1"}}"#;
        assert_eq!(
            classify(vitals.as_bytes()),
            Line::Skip(Skip::UnreadObservation)
        );
    }

    #[test]
    fn a_byte_order_mark_and_escaped_codes_do_not_lose_a_line() {
        let line = "\u{feff}{\"resourceType\":\"Patient\",\"id\":\"p1\"}";
        assert_eq!(keep(line), (Kind::Patient, "p1".to_string(), false));
        let escaped = r#"{"resourceType":"Observation","code":{"coding":[{"code":"2276\u002d4"}]},"subject":{"reference":"Patient/p1"}}"#;
        assert_eq!(keep(escaped), (Kind::Observation, "p1".to_string(), false));
    }

    #[test]
    fn only_a_condition_that_may_be_rls_names_a_candidate() {
        let rls = r#"{"resourceType":"Condition","code":{"text":"Restless legs"},"subject":{"reference":"Patient/a"}}"#;
        assert_eq!(rls_candidate(rls.as_bytes()), Some("a".to_string()));
        let sorted = r#"{"code":{"text":"RLS"},"resourceType":"Condition","subject":{"reference":"Patient/b"}}"#;
        assert_eq!(rls_candidate(sorted.as_bytes()), Some("b".to_string()));
        let htn = r#"{"resourceType":"Condition","code":{"text":"Hypertension"},"subject":{"reference":"Patient/a"}}"#;
        assert_eq!(rls_candidate(htn.as_bytes()), None);
        let note = r#"{"resourceType":"Observation","code":{"text":"restless legs"},"subject":{"reference":"Patient/a"}}"#;
        assert_eq!(rls_candidate(note.as_bytes()), None);
    }

    /// Whenever the quick key answers, it is what the full classification says.
    #[test]
    fn the_quick_key_agrees_with_the_classification() {
        for line in [
            r#"{"resourceType":"Patient","id":"p1","gender":"female"}"#,
            r#"{"resourceType":"Observation","code":{"coding":[{"code":"2276-4"}]},"subject":{"reference":"Patient/p2"}}"#,
            r#"{"resourceType": "Condition", "subject": {"reference": "https://x/Patient/p3/_history/1"}}"#,
            r#"{"resourceType":"MedicationRequest","subject":{"reference":"urn:uuid:p4"},"status":"active"}"#,
        ] {
            let (kind, id) = quick_key(line.as_bytes()).unwrap_or_else(|| panic!("{line}"));
            let Line::Keep {
                kind: k, patient, ..
            } = classify(line.as_bytes())
            else {
                panic!("{line}")
            };
            assert_eq!((kind, id), (k, patient.as_str()), "{line}");
        }
        for line in [
            // Not the plain shape: the full parse decides.
            r#"{"id":"p1","resourceType":"Patient"}"#,
            r#"{"resourceType":"Observation","code":{"coding":[{"code":"2276-4"}]},"contained":[{"resourceType":"Specimen","subject":{"reference":"Patient/x"}}],"subject":{"reference":"Patient/p2"}}"#,
            r#"{"resourceType":"Condition","subject":{"display":"A","reference":"Patient/p3"}}"#,
            r#"{"resourceType":"Encounter","subject":{"reference":"Patient/p3"}}"#,
            r#"{"resourceType":"Observation","code":{"coding":[{"code":"8867-4"}]},"subject":{"reference":"Patient/p2"}}"#,
        ] {
            assert_eq!(quick_key(line.as_bytes()), None, "{line}");
        }
    }

    #[test]
    fn references_give_the_patient_id() {
        assert_eq!(patient_id("Patient/1"), Some("1"));
        assert_eq!(patient_id(" Patient/1/_history/2 "), Some("1"));
        assert_eq!(patient_id("urn:uuid:42"), Some("42"));
        assert_eq!(patient_id("Patient/"), None);
        assert_eq!(patient_id(""), None);
    }

    /// The hint must never miss a name the catalogue reads as RLS.
    #[test]
    fn every_name_the_catalogue_knows_for_rls_carries_the_hint() {
        let knowledge = willis_core::Knowledge::get();
        let names = knowledge
            .conditions
            .iter()
            .filter(|c| c.role == willis_core::knowledge::ConditionRole::RestlessLegs)
            .flat_map(|c| {
                std::iter::once(c.id.clone())
                    .chain(std::iter::once(c.label.clone()))
                    .chain(c.aliases.iter().cloned())
            })
            .collect::<Vec<_>>();
        assert!(names.len() > 3, "{names:?}");
        for name in names {
            assert!(RLS_HINTS.is_match(&name), "{name}");
        }
    }
}
