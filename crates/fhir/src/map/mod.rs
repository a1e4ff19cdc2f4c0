//! Bundle → `willis-record/1`.

mod as_of;
mod extra;
mod labs;

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use willis_core::units::{normalise_unit, LabTest};
use willis_core::{Knowledge, MedicationFile, RecordFile, RECORD_FORMAT};

use crate::codes;
use crate::model::*;
use crate::system;
use crate::willis;

/// The result of an import: the record, and everything not used, with why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Imported {
    pub record: RecordFile,
    pub skipped: Vec<Skipped>,
    /// What was used with a caveat (a bound read as its value, a converted
    /// unit), in the same form as `skipped`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Skipped>,
}

/// A resource (or part of one) that was not used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// `Type/id`, e.g. `"Observation/abc"`; `Type (entry 3)` when it has no id.
    pub resource: String,
    pub reason: String,
}

/// Maps a Bundle onto a record file. The record always passes
/// [`RecordFile::validate`]: anything it would refuse is skipped instead.
/// Facts that go stale (a pregnancy) are judged against today's date (UTC);
/// [`bundle_to_record_on`] takes the date.
pub fn bundle_to_record(bundle: &Bundle) -> Imported {
    bundle_to_record_on(bundle, chrono::Utc::now().date_naive())
}

/// [`bundle_to_record`] as on `today`: a pregnancy fact dated more than
/// [`PREGNANCY_CURRENT_MONTHS`] months before it is not current.
pub fn bundle_to_record_on(bundle: &Bundle, today: NaiveDate) -> Imported {
    let mut m = Mapper {
        today,
        gestation: None,
        pregnancy_statuses: Vec::new(),
        knowledge: Knowledge::get(),
        out: Imported {
            record: RecordFile {
                format: RECORD_FORMAT.to_string(),
                ..RecordFile::default()
            },
            skipped: Vec::new(),
            notes: Vec::new(),
        },
        labs: Vec::new(),
        unreadable_labs: Vec::new(),
        conditions: Vec::new(),
        by_url: HashMap::new(),
        used_medications: BTreeSet::new(),
        patient_seen: false,
        person: person_keys(bundle),
        several_people: several_people(bundle),
        seen_fields: HashSet::new(),
        pregnant: false,
        weight: None,
    };
    // Medication resources in the bundle, by fullUrl and by `Medication/id`.
    for (i, entry) in bundle.entry.iter().enumerate() {
        if let Some(Resource::Medication(med)) = &entry.resource {
            if let Some(url) = &entry.full_url {
                m.by_url.insert(url.clone(), i);
            }
            if let Some(id) = &med.id {
                m.by_url.insert(format!("Medication/{id}"), i);
            }
        }
    }
    for (i, entry) in bundle.entry.iter().enumerate() {
        let Some(resource) = &entry.resource else {
            m.skip(format!("entry {i}"), "the entry has no resource");
            continue;
        };
        let label = match resource.id() {
            Some(_) => resource.label(),
            None => format!("{} (entry {i})", resource.resource_type()),
        };
        m.resource(&label, resource, entry.full_url.as_deref(), bundle);
    }
    // Medications not named by any statement or request.
    for (i, entry) in bundle.entry.iter().enumerate() {
        if let Some(r @ Resource::Medication(_)) = &entry.resource {
            if !m.used_medications.contains(&i) {
                let label = match r.id() {
                    Some(_) => r.label(),
                    None => format!("Medication (entry {i})"),
                };
                m.skip(
                    label,
                    "no MedicationStatement, MedicationRequest or MedicationAdministration in the bundle names this Medication",
                );
            }
        }
    }
    m.finish_labs();
    m.finish();
    m.out.record.conditions = m.conditions;
    m.out
}

/// How long a dated pregnancy fact stays current.
pub const PREGNANCY_CURRENT_MONTHS: u32 = 10;

struct Mapper {
    knowledge: &'static Knowledge,
    /// The day the import is for (pregnancy facts go stale).
    today: NaiveDate,
    /// The gestational age used: its date and the resource it came from.
    gestation: Option<(Option<NaiveDate>, String)>,
    /// Every LOINC 82810-3 read: its date, whether positive, the resource.
    pregnancy_statuses: Vec<(Option<NaiveDate>, bool, String)>,
    out: Imported,
    /// In the order first seen, without repeats.
    conditions: Vec<String>,
    by_url: HashMap<String, usize>,
    used_medications: BTreeSet<usize>,
    patient_seen: bool,
    /// How the person the record is about is referred to (`Patient/id`, fullUrl):
    /// the first Patient in the bundle, else the first subject named.
    person: BTreeSet<String>,
    /// The Bundle holds more than one person: a resource must name its subject.
    several_people: bool,
    /// The single-valued Willis fields (and person facts) already read.
    seen_fields: HashSet<&'static str>,
    /// A positive pregnancy status (LOINC 82810-3) was read.
    pregnant: bool,
    /// The body weight used: its date and the resource it came from.
    weight: Option<(Option<NaiveDate>, String)>,
    /// Lab results that can be used, chosen from in `finish_labs`.
    labs: Vec<labs::LabRead>,
    /// Dated iron-test results whose value or unit could not be used.
    unreadable_labs: Vec<labs::Unreadable>,
}

/// The keys of the person the record is about; see [`Mapper::person`]. The
/// first Patient's id and fullUrl; when it has neither (or there is no
/// Patient), the first subject named.
fn person_keys(bundle: &Bundle) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    if let Some((entry, p)) = bundle.entry.iter().find_map(|e| match &e.resource {
        Some(Resource::Patient(p)) => Some((e, p)),
        _ => None,
    }) {
        keys.extend(entry.full_url.as_deref().map(patient_key));
        keys.extend(p.id.as_ref().map(|id| format!("Patient/{id}")));
        if !keys.is_empty() {
            return keys;
        }
    }
    if let Some(first) = bundle
        .entry
        .iter()
        .filter_map(|e| subject(e.resource.as_ref()?))
        .next()
    {
        keys.insert(patient_key(first));
    }
    keys
}

/// Whether the Bundle holds more than one person: several Patients, or
/// subjects naming different people.
fn several_people(bundle: &Bundle) -> bool {
    let patients = bundle
        .entry
        .iter()
        .filter(|e| matches!(e.resource, Some(Resource::Patient(_))))
        .count();
    let subjects: BTreeSet<String> = bundle
        .entry
        .iter()
        .filter_map(|e| subject(e.resource.as_ref()?))
        .map(patient_key)
        .collect();
    patients > 1 || subjects.len() > 1
}

/// `subject.reference` of the resources that are about a person.
fn subject(r: &Resource) -> Option<&str> {
    r.subject()?
        .reference
        .as_deref()
        .filter(|r| !r.trim().is_empty())
}

/// `https://ehr/fhir/Patient/p1/_history/2` → `Patient/p1`; other references as they are.
fn patient_key(reference: &str) -> String {
    let r = reference.trim();
    let r = r.split("/_history").next().unwrap_or(r);
    match r.rfind("Patient/") {
        Some(i) => r[i..].to_string(),
        None => r.to_string(),
    }
}

impl Mapper {
    fn skip(&mut self, resource: impl Into<String>, reason: impl Into<String>) {
        self.out.skipped.push(Skipped {
            resource: resource.into(),
            reason: reason.into(),
        });
    }

    fn note(&mut self, resource: impl Into<String>, reason: impl Into<String>) {
        self.out.notes.push(Skipped {
            resource: resource.into(),
            reason: reason.into(),
        });
    }

    fn resource(
        &mut self,
        label: &str,
        resource: &Resource,
        full_url: Option<&str>,
        bundle: &Bundle,
    ) {
        if let Some(about) = subject(resource) {
            if !self.person.contains(&patient_key(about)) {
                let person: Vec<&str> = self.person.iter().map(String::as_str).collect();
                return self.skip(
                    label,
                    format!(
                        "about another person (subject {about:?}); the record is for {}",
                        person.join(" / ")
                    ),
                );
            }
        } else if self.several_people
            && matches!(
                resource,
                Resource::Observation(_)
                    | Resource::Condition(_)
                    | Resource::MedicationStatement(_)
                    | Resource::MedicationRequest(_)
                    | Resource::MedicationAdministration(_)
            )
        {
            return self.skip(label, "no subject, and the Bundle holds several patients");
        }
        match resource {
            Resource::Patient(p) => self.patient(label, p, full_url),
            Resource::Observation(o) => self.observation(label, o),
            Resource::Condition(c) => self.condition(label, c),
            Resource::MedicationStatement(s) => self.statement(label, s, bundle),
            Resource::MedicationRequest(r) => self.request(label, r, bundle),
            Resource::MedicationAdministration(a) => self.administration(label, a, bundle),
            Resource::Medication(_) => {} // read through the statements and requests
            Resource::OperationOutcome(o) => {
                let issues: Vec<String> = o
                    .issue
                    .iter()
                    .map(|i| {
                        format!(
                            "{} {}: {}",
                            i.severity.as_deref().unwrap_or("?"),
                            i.code.as_deref().unwrap_or("?"),
                            i.diagnostics.as_deref().unwrap_or("")
                        )
                    })
                    .collect();
                self.skip(
                    label,
                    format!(
                        "an OperationOutcome is a message, not a fact about the person ({})",
                        if issues.is_empty() {
                            "no issues".into()
                        } else {
                            issues.join("; ")
                        }
                    ),
                );
            }
            Resource::Bundle(_) => self.skip(label, "a Bundle inside a Bundle is not read"),
            Resource::Unreadable { error, .. } => {
                self.skip(label, format!("could not be read: {error}"))
            }
            Resource::Other { resource_type, .. } => self.skip(
                label,
                match resource_type {
                    Some(t) => format!("Willis does not read {t} resources"),
                    None => "the resource has no resourceType".to_string(),
                },
            ),
        }
    }

    fn patient(&mut self, label: &str, p: &Patient, full_url: Option<&str>) {
        if self.patient_seen {
            self.skip(
                label,
                "a second Patient; a record holds one person, the first Patient was used",
            );
            return;
        }
        let keys: Vec<String> = full_url
            .map(patient_key)
            .into_iter()
            .chain(p.id.as_ref().map(|id| format!("Patient/{id}")))
            .collect();
        if !keys.is_empty() {
            if self.several_people && !keys.iter().any(|k| self.person.contains(k)) {
                let person: Vec<&str> = self.person.iter().map(String::as_str).collect();
                return self.skip(
                    label,
                    format!(
                        "about another person; the record is for {}",
                        person.join(" / ")
                    ),
                );
            }
        } else if self.several_people {
            return self.skip(
                label,
                "the Patient has no id or fullUrl, and the Bundle holds several patients: whose it is cannot be told",
            );
        }
        self.patient_seen = true;
        // Observations read before the Patient may have filled some fields.
        let mut file = self.out.record.patient.take().unwrap_or_default();
        if let Some(b) = &p.birth_date {
            match fhir_date(b) {
                Some(d) => file.birth_date = Some(d.format("%Y-%m-%d").to_string()),
                None => self.skip(
                    label,
                    format!("birthDate {b:?} is not a full date (YYYY-MM-DD); left out"),
                ),
            }
        }
        match p.gender.as_deref() {
            Some("female") => file.sex = Some("female".into()),
            Some("male") => file.sex = Some("male".into()),
            // other / unknown: administrative gender that says nothing of the
            // sex the ferritin ranges depend on; the record has none.
            Some("other" | "unknown") | None => {}
            Some(g) => self.skip(
                label,
                format!("gender {g:?} is not a FHIR gender; left out"),
            ),
        }
        self.out.record.patient = Some(file);
    }

    fn observation(&mut self, label: &str, o: &Observation) {
        match o.status.as_deref().map(str::trim) {
            Some("final" | "amended" | "corrected") => {}
            Some(s @ ("entered-in-error" | "cancelled" | "preliminary" | "registered")) => {
                return self.skip(label, format!("status is {s}; only a final result is used"));
            }
            Some(s) => {
                return self.skip(
                    label,
                    format!("status is {s:?}; only a final, amended or corrected result is used"),
                )
            }
            None => {
                return self.skip(
                    label,
                    "no status; only a final, amended or corrected result is used",
                )
            }
        }
        if let Some(code) = o.code.codes_in(willis::CODE_SYSTEM).next() {
            return self.willis_observation(label, o, code);
        }
        let loinc: Vec<&str> = o.code.codes_in(system::LOINC).collect();
        if let Some(what) = loinc.iter().find_map(|c| codes::loinc_person(c)) {
            return self.person_observation(label, o, what);
        }
        let Some(test) = loinc.iter().find_map(|c| codes::loinc_test(c)) else {
            let reason = if loinc.is_empty() {
                format!("no LOINC code ({})", o.code.describe())
            } else {
                format!("LOINC {} is not a test Willis reads", loinc.join(", "))
            };
            return self.skip(label, reason);
        };
        self.lab(label, o, test);
    }

    fn condition(&mut self, label: &str, c: &Condition) {
        let status = |cc: &Option<CodeableConcept>| -> Option<String> {
            cc.as_ref()
                .and_then(|cc| cc.coding.iter().find_map(|c| c.code.clone()))
        };
        if let Some(v) = status(&c.verification_status) {
            match v.as_str() {
                "entered-in-error" | "refuted" => {
                    return self.skip(label, format!("verificationStatus is {v}"))
                }
                "unconfirmed" | "provisional" | "differential" => {
                    return self.skip(
                        label,
                        format!("verificationStatus is {v}; only a confirmed condition is used"),
                    )
                }
                _ => {}
            }
        }
        // A condition first recorded (or starting) after the plan's day was
        // not known then: left out, like a result dated later.
        let known_from = [c.recorded_date.as_deref(), c.onset_date_time.as_deref()]
            .into_iter()
            .flatten()
            .filter_map(fhir_date)
            .min();
        if let Some(day) = known_from.filter(|d| *d > self.today) {
            return self.skip(
                label,
                format!(
                    "recorded {day}, after the plan's date ({}); not used",
                    self.today
                ),
            );
        }
        let icd: Vec<&str> = c
            .code
            .codes_in(system::ICD10_CM)
            .chain(c.code.codes_in(system::ICD10))
            .collect();
        // The name the record used, when Willis wrote the Condition.
        let written = Extension::find(&c.extension, willis::EXT_RECORD_NAME)
            .and_then(|e| e.value_string.as_deref())
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        let by_code = c
            .code
            .codes_in(system::SNOMED)
            .find_map(codes::snomed_condition)
            .or_else(|| icd.iter().copied().find_map(codes::icd10_condition));
        let id = written
            .clone()
            .or_else(|| by_code.map(str::to_string))
            .or_else(|| {
                // A name or code the catalogue knows ("Restless legs", "N18.6").
                c.code
                    .names()
                    .chain(c.code.coding.iter().filter_map(|c| c.code.as_deref()))
                    .find_map(|n| self.knowledge.condition(n).map(|e| e.id.clone()))
            });
        let catalogue_id = id
            .as_deref()
            .and_then(|i| self.knowledge.condition(i))
            .map(|e| e.id.as_str());
        // Haemochromatosis is lifelong: it counts whatever its clinical status.
        let lifelong = catalogue_id == Some("hemochromatosis");
        if !lifelong {
            if let Some(s) = status(&c.clinical_status) {
                if matches!(s.as_str(), "resolved" | "inactive" | "remission") {
                    return self.skip(
                        label,
                        format!("clinicalStatus is {s}; only a current condition is used"),
                    );
                }
            } else if c.abatement_date_time.is_some()
                || c.abatement_period.is_some()
                || c.abatement_string.is_some()
                || c.abatement_boolean == Some(true)
            {
                return self.skip(label, "the condition has abated (abatement is set)");
            }
        }
        if catalogue_id == Some("pregnancy") {
            let dated = c
                .onset_date_time
                .as_deref()
                .or(c.recorded_date.as_deref())
                .and_then(fhir_date);
            if let Some(reason) = self.old_pregnancy(dated) {
                return self.skip(label, reason);
            }
            if let Some(weeks) = icd.iter().copied().find_map(codes::icd10_gestation_weeks) {
                self.pregnant = true;
                return self.gestational_age(label, dated, Ok(weeks));
            }
        }
        if icd.iter().copied().any(codes::icd10_is_dialysis) {
            self.dialysis_from_condition(label);
        }
        match (written, id) {
            (Some(name), _) => self.add_condition(name),
            (None, Some(id)) => self.add_condition(id),
            (None, None) => self.skip(
                label,
                format!("{} is not a condition Willis knows", c.code.describe()),
            ),
        }
    }

    fn statement(&mut self, label: &str, s: &MedicationStatement, bundle: &Bundle) {
        if let Some(st @ ("entered-in-error" | "not-taken" | "intended")) = s.status.as_deref() {
            return self.skip(
                label,
                format!("status is {st}; the medicine is not being taken"),
            );
        }
        if let Some(st @ ("on-hold" | "unknown")) = s.status.as_deref() {
            return self.skip(
                label,
                format!("status is {st}; not counted as a current medicine"),
            );
        }
        let is_iron = s.category.as_ref().is_some_and(|c| {
            c.codes_in(willis::CODE_SYSTEM)
                .any(|c| c == willis::IRON_TREATMENT)
        });
        if is_iron {
            return self.iron_treatment(label, s);
        }
        let Some(name) = self.medicine_name(
            label,
            s.medication_codeable_concept.as_ref(),
            s.medication_reference.as_ref(),
            &s.contained,
            bundle,
        ) else {
            return;
        };
        let start = s
            .effective_date_time
            .as_deref()
            .or(s.effective_period.as_ref().and_then(|p| p.start.as_deref()));
        let stopped_status = matches!(s.status.as_deref(), Some("stopped" | "completed"));
        let period_end = s.effective_period.as_ref().and_then(|p| p.end.as_deref());
        let end = if stopped_status {
            // The period's end, or "stopped by" the day the statement was made.
            period_end.or(s.date_asserted.as_deref())
        } else {
            // A course whose period ended before today is a stopped course,
            // whatever the status says.
            period_end.filter(|e| fhir_date(e).is_some_and(|d| d < self.today))
        };
        if let (false, Some(e)) = (stopped_status, end) {
            self.note(
                label,
                format!(
                    "{name}: status is {} but the period ended {e}; read as stopped then",
                    s.status.as_deref().unwrap_or("not given")
                ),
            );
        }
        if stopped_status && end.is_none() {
            return self.skip(
                label,
                format!(
                    "{name}: status is {} but there is no end date; Willis would count it as still taken",
                    s.status.as_deref().unwrap_or_default()
                ),
            );
        }
        let dose = s.dosage.iter().find_map(|d| d.text.clone());
        let outcome =
            Extension::find(&s.extension, willis::EXT_OUTCOME).and_then(|e| e.value_code.clone());
        self.push_medication(label, name, dose, start, end, outcome);
    }

    fn request(&mut self, label: &str, r: &MedicationRequest, bundle: &Bundle) {
        if let Some(st @ ("entered-in-error" | "cancelled" | "draft")) = r.status.as_deref() {
            return self.skip(label, format!("status is {st}; not a medicine being taken"));
        }
        if let Some(st @ ("on-hold" | "unknown")) = r.status.as_deref() {
            return self.skip(
                label,
                format!("status is {st}; not counted as a current medicine"),
            );
        }
        match r.intent.as_deref().map(str::trim) {
            None
            | Some(
                "order" | "original-order" | "reflex-order" | "filler-order" | "instance-order",
            ) => {}
            Some(i) => {
                return self.skip(
                    label,
                    format!("intent is {i}; only an order is a medicine being taken"),
                )
            }
        }
        let Some(name) = self.medicine_name(
            label,
            r.medication_codeable_concept.as_ref(),
            r.medication_reference.as_ref(),
            &r.contained,
            bundle,
        ) else {
            return;
        };
        let stopped_status = matches!(r.status.as_deref(), Some("stopped" | "completed"));
        let end = if stopped_status {
            r.dispense_request
                .as_ref()
                .and_then(|d| d.validity_period.as_ref())
                .and_then(|p| p.end.as_deref())
        } else {
            None
        };
        if stopped_status && end.is_none() {
            return self.skip(
                label,
                format!(
                    "{name}: status is {} but there is no end date; Willis would count it as still taken",
                    r.status.as_deref().unwrap_or_default()
                ),
            );
        }
        let dose = r.dosage_instruction.iter().find_map(|d| d.text.clone());
        self.push_medication(label, name, dose, r.authored_on.as_deref(), end, None);
    }

    fn push_medication(
        &mut self,
        label: &str,
        name: String,
        dose: Option<String>,
        start: Option<&str>,
        end: Option<&str>,
        outcome: Option<String>,
    ) {
        let mut date = |what: &str, text: Option<&str>| -> Option<NaiveDate> {
            let text = text?;
            let d = fhir_date(text);
            if d.is_none() {
                self.out.skipped.push(Skipped {
                    resource: label.to_string(),
                    reason: format!("{name}: {what} date {text:?} is not a full date; left out"),
                });
            }
            d
        };
        let started = date("start", start);
        let stopped = date("end", end);
        if let (Some(a), Some(b)) = (started, stopped) {
            if b < a {
                return self.skip(label, format!("{name}: stopped {b} is before started {a}"));
            }
        }
        if end.is_some() && stopped.is_none() {
            return self.skip(
                label,
                format!("{name}: stopped, but the end date cannot be read; Willis would count it as still taken"),
            );
        }
        let fmt = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let mut medicine = MedicationFile {
            name,
            dose: dose.filter(|d| !d.trim().is_empty()),
            started: started.map(fmt),
            stopped: stopped.map(fmt),
            outcome,
        };
        if medicine.outcome.is_some() {
            let probe = RecordFile {
                format: RECORD_FORMAT.to_string(),
                medications: vec![medicine.clone()],
                ..RecordFile::default()
            };
            if let Err(e) = probe.validate(self.knowledge) {
                self.skip(
                    label,
                    format!("{}: the outcome is left out: {e}", medicine.name),
                );
                medicine.outcome = None;
            }
        }
        self.out.record.medications.push(medicine);
    }

    /// A completed administration of IV iron is an infusion on its date;
    /// any other medicine given once is not a course.
    fn administration(&mut self, label: &str, a: &MedicationAdministration, bundle: &Bundle) {
        match a.status.as_deref().map(str::trim) {
            Some("completed") => {}
            Some(st) => {
                return self.skip(
                    label,
                    format!("status is {st}; only a completed administration is used"),
                )
            }
            None => return self.skip(label, "no status; only a completed administration is used"),
        }
        let Some(name) = self.medicine_name(
            label,
            a.medication_codeable_concept.as_ref(),
            a.medication_reference.as_ref(),
            &a.contained,
            bundle,
        ) else {
            return;
        };
        let written: Vec<&str> = a
            .medication_codeable_concept
            .iter()
            .flat_map(|c| c.names())
            .chain([name.as_str()])
            .collect();
        if !written.iter().any(|n| self.is_iv_iron(n)) {
            return self.skip(
                label,
                format!("{name}: a single administration is not a course"),
            );
        }
        let when = a
            .effective_date_time
            .as_deref()
            .or(a.effective_period.as_ref().and_then(|p| p.start.as_deref()));
        let Some(date) = when.and_then(fhir_date) else {
            return self.skip(
                label,
                format!("{name}: an iron infusion with no full date ({when:?})"),
            );
        };
        let dose = match a.dosage.as_ref().and_then(|d| d.dose.as_ref()) {
            None => None,
            Some(q) => {
                let unit = q.code.as_deref().or(q.unit.as_deref()).map(str::trim);
                match (q.value.filter(|v| v.is_finite()), unit) {
                    (Some(v), Some("mg")) if q.comparator.is_none() => Some(v),
                    _ => {
                        self.skip(
                            label,
                            format!("{name}: the dose is left out (not a number of mg)"),
                        );
                        None
                    }
                }
            }
        };
        let infusion = willis_core::IronTreatmentFile {
            route: "iv".to_string(),
            product: Some(name.clone()),
            dose_mg: dose,
            date: Some(date.format("%Y-%m-%d").to_string()),
            ..Default::default()
        };
        self.apply(label, "iron infusion", |f| f.iron_treatments.push(infusion));
    }

    /// Whether a name is an intravenous iron product: by the catalogue, or by
    /// the names of the products themselves.
    fn is_iv_iron(&self, name: &str) -> bool {
        const PRODUCTS: [&str; 14] = [
            "carboxymaltose",
            "ferinject",
            "injectafer",
            "iron sucrose",
            "venofer",
            "ferumoxytol",
            "feraheme",
            "derisomaltose",
            "isomaltoside",
            "monofer",
            "iron dextran",
            "infed",
            "cosmofer",
            "ferric gluconate",
        ];
        let lower = name.to_lowercase();
        self.knowledge
            .ingredients(name)
            .iter()
            .any(|(_, class)| class.id == "iv-iron")
            || PRODUCTS.iter().any(|p| lower.contains(p))
    }

    /// The medicine's name: a name written in the resource (or its Medication)
    /// that the catalogue knows; else the RxNorm ingredient's name; else the
    /// first name written. `None` (and a skip) when there is none.
    fn medicine_name(
        &mut self,
        label: &str,
        concept: Option<&CodeableConcept>,
        reference: Option<&Reference>,
        contained: &[Resource],
        bundle: &Bundle,
    ) -> Option<String> {
        let concept: Option<CodeableConcept> = match (concept, reference) {
            (Some(c), _) => Some(c.clone()),
            (None, Some(r)) => self.resolve_medication(r, contained, bundle),
            (None, None) => None,
        };
        let Some(concept) = concept else {
            let reason = match reference.and_then(|r| r.reference.as_deref()) {
                Some(r) => {
                    format!("medicationReference {r:?} is not in the resource or the bundle")
                }
                None => "no medicationCodeableConcept or medicationReference".to_string(),
            };
            self.skip(label, reason);
            return None;
        };
        let names: Vec<&str> = concept.names().map(str::trim).collect();
        if let Some(known) = names
            .iter()
            .find(|n| !self.knowledge.ingredients(n).is_empty())
        {
            return Some(known.to_string());
        }
        if let Some(generic) = concept
            .codes_in(system::RXNORM)
            .find_map(codes::rxnorm_ingredient)
        {
            return Some(generic.to_string());
        }
        if let Some(first) = names.first() {
            return Some(first.to_string());
        }
        self.skip(
            label,
            format!(
                "{} is not a medicine Willis knows and has no name",
                concept.describe()
            ),
        );
        None
    }

    fn resolve_medication(
        &mut self,
        r: &Reference,
        contained: &[Resource],
        bundle: &Bundle,
    ) -> Option<CodeableConcept> {
        let target = r.reference.as_deref()?;
        if let Some(local) = target.strip_prefix('#') {
            return contained.iter().find_map(|c| match c {
                Resource::Medication(m) if m.id.as_deref() == Some(local) => Some(m.code.clone()),
                _ => None,
            });
        }
        // `Medication/id`, an absolute URL ending in it, or a `urn:uuid:` fullUrl.
        let index = self.by_url.get(target).copied().or_else(|| {
            let tail: Vec<&str> = target.rsplitn(3, '/').collect();
            match tail.as_slice() {
                [id, "Medication", ..] => self.by_url.get(&format!("Medication/{id}")).copied(),
                _ => None,
            }
        })?;
        self.used_medications.insert(index);
        match &bundle.entry.get(index)?.resource {
            Some(Resource::Medication(m)) => Some(m.code.clone()),
            _ => None,
        }
    }
}

/// The calendar day of a FHIR `date`, `dateTime` or `instant`, as written in
/// its own offset (see the crate documentation). `None` for a partial date
/// (`2026`, `2026-03`) or anything else that is not a day Willis accepts.
pub(crate) fn fhir_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let day = text.get(..10)?;
    let rest = &text[10..];
    if !(rest.is_empty() || rest.starts_with('T')) {
        return None;
    }
    // `YYYY-MM-DD` exactly (ten characters): the ISO parser, faster than a
    // format string.
    day.parse::<NaiveDate>()
        .ok()
        .filter(|d| (1900..=2200).contains(&chrono::Datelike::year(d)))
}

/// The unit as the lab printed it (`ug/L`, `umol/L`) when it is the same unit
/// as `unit` (from the UCUM code) and willis-core reads that spelling;
/// otherwise `unit`. Keeps what the source wrote, as a record file would.
fn as_printed(test: LabTest, unit: &str, q: &Quantity) -> String {
    match q.unit.as_deref().map(str::trim) {
        Some(p)
            if !p.is_empty() && test.to_canonical(1.0, p).is_ok() && normalise_unit(p) == unit =>
        {
            p.to_string()
        }
        _ => unit.to_string(),
    }
}

/// The spelling willis-core accepts for a UCUM code (or printed unit), if the
/// test accepts it at all.
fn core_unit(test: LabTest, ucum: &str) -> Option<String> {
    let ucum = ucum.trim();
    // UCUM spellings core's normaliser does not know.
    let spelled = match ucum {
        "mL/min/{1.73_m2}" | "mL/min/1.73.m2" | "mL/min/{1.73m2}" | "mL/min/1.73/m2" => {
            "mL/min/1.73m2"
        }
        "ug/dL" => "µg/dL",
        "ug/L" => "µg/L",
        "umol/L" => "µmol/L",
        other => other,
    };
    let unit = normalise_unit(spelled);
    test.to_canonical(1.0, &unit).ok().map(|_| unit)
}
