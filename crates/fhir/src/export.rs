//! `willis-record/1` → Bundle (a `collection`).
//!
//! Every part of the record is written; what FHIR has no standard home for
//! uses the Willis code system and extensions ([`crate::willis`]). Reading the
//! result with [`crate::bundle_to_record`] gives back a record that plans the
//! same (see the crate documentation for the shapes).

use chrono::NaiveTime;
use willis_core::units::{normalise_unit, LabTest};
use willis_core::{
    DiaryFile, IronTreatmentFile, Knowledge, LabFile, MedicationFile, PatientFile, RecordFile,
    SymptomsFile,
};

use crate::codes;
use crate::model::*;
use crate::system;
use crate::willis::{self, Kind};

const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";

/// Writes a record file as a FHIR R4 `collection` Bundle. The output depends
/// only on the record: the same record gives the same Bundle, byte for byte,
/// with `fullUrl`s `urn:uuid:…` derived from each resource's content.
pub fn record_to_bundle(file: &RecordFile) -> Bundle {
    let mut out = Writer::default();
    let patient = patient(file.patient.as_ref());
    let patient_url = out.push(Resource::Patient(patient));
    out.subject = Some(Reference {
        reference: Some(patient_url),
        display: None,
    });
    if let Some(p) = &file.patient {
        out.person_observations(p);
    }
    for name in &file.conditions {
        let c = out.condition(name);
        out.push(Resource::Condition(c));
    }
    if let Some(s) = &file.symptoms {
        out.symptoms(s);
    }
    if let Some(s) = &file.sleep {
        let values = [
            ("snoring", s.snoring.map(Val::Bool)),
            ("witnessed-apneas", s.witnessed_apneas.map(Val::Bool)),
            (
                "excessive-daytime-sleepiness",
                s.excessive_daytime_sleepiness.map(Val::Bool),
            ),
            ("epworth", s.epworth.map(Val::Int)),
            ("limb-jerks-reported", s.limb_jerks_reported.map(Val::Bool)),
            ("plms-index", s.plms_index.map(Val::Number)),
        ];
        out.fields("survey", &values);
    }
    if let Some(h) = &file.habits {
        let values = [
            (
                "alcohol-units-per-week",
                h.alcohol_units_per_week.map(Val::Number),
            ),
            (
                "caffeine-drinks-per-day",
                h.caffeine_drinks_per_day.map(Val::Number),
            ),
            ("smoker", h.smoker.map(Val::Bool)),
        ];
        out.fields("social-history", &values);
    }
    for lab in &file.labs {
        let o = out.lab(lab);
        out.push(Resource::Observation(o));
    }
    for m in &file.medications {
        let s = out.medicine(m);
        out.push(Resource::MedicationStatement(s));
    }
    for t in &file.iron_treatments {
        let s = out.iron(t);
        out.push(Resource::MedicationStatement(s));
    }
    for d in &file.diary {
        let o = out.diary(d);
        out.push(Resource::Observation(o));
    }
    Bundle {
        id: None,
        kind: Some("collection".to_string()),
        entry: out.entries,
    }
}

/// A value of a Willis observation.
#[derive(Debug, Clone)]
enum Val {
    Bool(bool),
    Int(i64),
    Number(f64),
    Time(String),
    Text(String),
}

#[derive(Default)]
struct Writer {
    entries: Vec<BundleEntry>,
    /// Each entry's resource as JSON text, to tell identical resources apart.
    texts: Vec<String>,
    subject: Option<Reference>,
}

fn coding(system: &str, code: &str, display: Option<&str>) -> Coding {
    Coding {
        system: Some(system.to_string()),
        code: Some(code.to_string()),
        display: display.filter(|d| !d.is_empty()).map(str::to_string),
    }
}

fn willis_concept(code: &str) -> CodeableConcept {
    CodeableConcept {
        coding: vec![coding(
            willis::CODE_SYSTEM,
            code,
            Some(willis::display(code)),
        )],
        text: None,
    }
}

fn category(code: &str) -> Vec<CodeableConcept> {
    vec![CodeableConcept {
        coding: vec![coding(OBSERVATION_CATEGORY, code, None)],
        text: None,
    }]
}

fn quantity(value: f64, unit: &str, ucum: Option<&str>) -> Quantity {
    Quantity {
        value: Some(value),
        comparator: None,
        unit: Some(unit.to_string()),
        system: ucum.map(|_| system::UCUM.to_string()),
        code: ucum.map(str::to_string),
    }
}

fn flag(url: &str, value: Option<bool>) -> Option<Extension> {
    value.map(|v| Extension {
        url: Some(url.to_string()),
        value_boolean: Some(v),
        ..Extension::default()
    })
}

fn code_extension(url: &str, value: Option<&String>) -> Option<Extension> {
    value.map(|v| Extension {
        url: Some(url.to_string()),
        value_code: Some(v.clone()),
        ..Extension::default()
    })
}

/// `21:00` → `21:00:00` (FHIR `time`); text that is not a time is kept as text.
fn time_value(text: &str) -> Val {
    match NaiveTime::parse_from_str(text.trim(), "%H:%M") {
        Ok(t) => Val::Time(t.format("%H:%M:%S").to_string()),
        Err(_) => Val::Text(text.to_string()),
    }
}

fn patient(p: Option<&PatientFile>) -> Patient {
    let Some(p) = p else {
        return Patient::default();
    };
    let gender = p
        .sex
        .as_deref()
        .and_then(|s| match s.trim().to_lowercase().as_str() {
            "female" | "f" => Some("female"),
            "male" | "m" => Some("male"),
            _ => None,
        });
    Patient {
        id: None,
        gender: gender.map(str::to_string),
        birth_date: p.birth_date.clone(),
        ..Patient::default()
    }
}

impl Writer {
    /// Adds a resource with a content-derived `urn:uuid:` and returns the URL.
    fn push(&mut self, resource: Resource) -> String {
        let text = serde_json::to_string(&resource.to_json()).unwrap_or_default();
        // Identical resources (the same lab written twice) get distinct URLs.
        let seen = self.texts.iter().filter(|t| **t == text).count();
        let url = format!("urn:uuid:{}", content_uuid(&format!("{text}#{seen}")));
        self.texts.push(text);
        self.entries.push(BundleEntry {
            full_url: Some(url.clone()),
            resource: Some(resource),
        });
        url
    }

    fn observation(&self, code: CodeableConcept, category_code: &str) -> Observation {
        Observation {
            status: Some("final".to_string()),
            category: category(category_code),
            code,
            subject: self.subject.clone(),
            ..Observation::default()
        }
    }

    /// One Willis observation per value that is present.
    fn fields(&mut self, category_code: &str, values: &[(&str, Option<Val>)]) {
        for (code, value) in values {
            let Some(value) = value else { continue };
            let mut o = self.observation(willis_concept(code), category_code);
            let kind = willis::field(code).map(|(_, _, k, _)| k);
            set_value(&mut o, value, kind);
            self.push(Resource::Observation(o));
        }
    }

    fn person_observations(&mut self, p: &PatientFile) {
        if let Some(weeks) = p.pregnancy_weeks {
            // The standard pregnancy status, positive, for systems that read it…
            let mut status = self.observation(
                CodeableConcept {
                    coding: vec![coding(
                        system::LOINC,
                        codes::LOINC_PREGNANCY_STATUS,
                        Some("Pregnancy status"),
                    )],
                    text: Some("pregnancy status".to_string()),
                },
                "social-history",
            );
            status.value_codeable_concept = Some(CodeableConcept {
                coding: vec![coding(system::SNOMED, codes::SNOMED_PREGNANT, None)],
                text: Some("pregnant".to_string()),
            });
            self.push(Resource::Observation(status));
            // …and the weeks in the Willis system.
            self.fields(
                "social-history",
                &[(willis::PREGNANCY_WEEKS, Some(Val::Int(weeks)))],
            );
        }
        if let Some(kg) = p.weight_kg {
            let mut o = self.observation(
                CodeableConcept {
                    coding: vec![coding(
                        system::LOINC,
                        codes::LOINC_BODY_WEIGHT,
                        Some("Body weight"),
                    )],
                    text: Some("weight".to_string()),
                },
                "vital-signs",
            );
            o.value_quantity = Some(quantity(kg, "kg", Some("kg")));
            self.push(Resource::Observation(o));
        }
        self.fields("social-history", &[("dialysis", p.dialysis.map(Val::Bool))]);
    }

    fn condition(&self, name: &str) -> Condition {
        let entry = Knowledge::get().condition(name);
        let mut coding = Vec::new();
        if let Some(e) = entry {
            if let Some(code) = codes::snomed_for_condition(&e.id) {
                coding.push(self::coding(system::SNOMED, code, None));
            }
            if let Some(code) = codes::icd10cm_for_condition(&e.id) {
                coding.push(self::coding(system::ICD10_CM, code, None));
            }
        }
        let text = entry.map(|e| e.label.clone()).unwrap_or(name.to_string());
        Condition {
            extension: vec![Extension {
                url: Some(willis::EXT_RECORD_NAME.to_string()),
                value_string: Some(name.to_string()),
                ..Extension::default()
            }],
            clinical_status: Some(CodeableConcept {
                coding: vec![self::coding(CONDITION_CLINICAL, "active", None)],
                text: None,
            }),
            code: CodeableConcept {
                coding,
                text: Some(text),
            },
            subject: self.subject.clone(),
            ..Condition::default()
        }
    }

    fn symptoms(&mut self, s: &SymptomsFile) {
        let aug = s.augmentation.clone().unwrap_or_default();
        let values = [
            ("urge-to-move", s.urge_to_move.map(Val::Bool)),
            ("worse-at-rest", s.worse_at_rest.map(Val::Bool)),
            (
                "relieved-by-movement",
                s.relieved_by_movement.map(Val::Bool),
            ),
            (
                "worse-evening-or-night",
                s.worse_evening_or_night.map(Val::Bool),
            ),
            (
                "not-explained-by-other-condition",
                s.not_explained_by_other_condition.map(Val::Bool),
            ),
            ("days-per-week", s.days_per_week.map(Val::Int)),
            ("irls-total", s.irls_total.map(Val::Int)),
            (willis::ONSET_TIME, s.onset_time.as_deref().map(time_value)),
            (
                "impulse-control-problems",
                s.impulse_control_problems.map(Val::Bool),
            ),
            ("one-sided", s.one_sided.map(Val::Bool)),
            (
                "weakness-or-numbness",
                s.weakness_or_numbness.map(Val::Bool),
            ),
            (
                "augmentation-earlier-onset-hours",
                aug.earlier_onset_hours.map(Val::Number),
            ),
            (
                "augmentation-shorter-latency-at-rest",
                aug.shorter_latency_at_rest.map(Val::Bool),
            ),
            (
                "augmentation-spread-to-other-body-parts",
                aug.spread_to_other_body_parts.map(Val::Bool),
            ),
            ("augmentation-more-intense", aug.more_intense.map(Val::Bool)),
            (
                "augmentation-shorter-relief-from-medicine",
                aug.shorter_relief_from_medicine.map(Val::Bool),
            ),
        ];
        self.fields("survey", &values);
        if let Some(items) = &s.irls_items {
            let mut o = self.observation(willis_concept(willis::IRLS_ITEMS), "survey");
            o.component = items
                .iter()
                .enumerate()
                .map(|(i, v)| ObservationComponent {
                    code: willis_concept(&format!("{}{}", willis::IRLS_ITEM_PREFIX, i + 1)),
                    value_integer: Some(*v),
                    ..ObservationComponent::default()
                })
                .collect();
            self.push(Resource::Observation(o));
        }
        for part in &s.body_parts {
            let mut o = self.observation(willis_concept(willis::BODY_PART), "survey");
            o.value_string = Some(part.clone());
            self.push(Resource::Observation(o));
        }
    }

    fn lab(&self, lab: &LabFile) -> Observation {
        let test: Option<LabTest> = lab.test.parse().ok();
        let code = match test {
            Some(t) => {
                let (loinc, display) = codes::loinc_for_test(t);
                CodeableConcept {
                    coding: vec![coding(system::LOINC, loinc, Some(display))],
                    text: Some(t.label().to_string()),
                }
            }
            // Not a test Willis knows: written as the record has it.
            None => CodeableConcept {
                coding: Vec::new(),
                text: Some(lab.test.clone()),
            },
        };
        let ucum = test
            .filter(|t| t.to_canonical(1.0, &lab.unit).is_ok())
            .and_then(|_| codes::ucum_for_unit(&normalise_unit(&lab.unit)));
        let mut o = self.observation(code, "laboratory");
        o.extension = [
            flag(willis::EXT_FASTING, lab.fasting),
            flag(willis::EXT_MORNING, lab.morning),
        ]
        .into_iter()
        .flatten()
        .collect();
        o.effective_date_time = Some(lab.date.clone());
        o.value_quantity = Some(quantity(lab.value, &lab.unit, ucum));
        o
    }

    fn medicine(&self, m: &MedicationFile) -> MedicationStatement {
        let knowledge = Knowledge::get();
        let ingredients = knowledge.ingredients(&m.name);
        let rxnorm = match ingredients.as_slice() {
            [(generic, _)] => codes::rxnorm_for_ingredient(generic)
                .map(|code| coding(system::RXNORM, code, Some(generic))),
            _ => None,
        };
        MedicationStatement {
            extension: code_extension(willis::EXT_OUTCOME, m.outcome.as_ref())
                .into_iter()
                .collect(),
            status: Some(
                if m.stopped.is_some() {
                    "completed"
                } else {
                    "active"
                }
                .to_string(),
            ),
            medication_codeable_concept: Some(CodeableConcept {
                coding: rxnorm.into_iter().collect(),
                text: Some(m.name.clone()),
            }),
            subject: self.subject.clone(),
            effective_period: period(m.started.as_ref(), m.stopped.as_ref()),
            dosage: m
                .dose
                .iter()
                .map(|d| Dosage {
                    text: Some(d.clone()),
                    ..Dosage::default()
                })
                .collect(),
            ..MedicationStatement::default()
        }
    }

    fn iron(&self, t: &IronTreatmentFile) -> MedicationStatement {
        let route_code = match t.route.trim().to_lowercase().as_str() {
            "iv" | "intravenous" => Some((codes::SNOMED_ROUTE_INTRAVENOUS, "Intravenous route")),
            "oral" => Some((codes::SNOMED_ROUTE_ORAL, "Oral route")),
            _ => None,
        };
        let iv = route_code.is_some_and(|(c, _)| c == codes::SNOMED_ROUTE_INTRAVENOUS);
        let (dose, dose_unit) = if iv {
            (t.dose_mg, "mg")
        } else {
            (t.elemental_mg, "mg elemental iron")
        };
        let dosage = Dosage {
            text: t.schedule.clone(),
            route: Some(CodeableConcept {
                coding: route_code
                    .map(|(c, d)| coding(system::SNOMED, c, Some(d)))
                    .into_iter()
                    .collect(),
                text: Some(t.route.clone()),
            }),
            dose_and_rate: dose
                .map(|v| DoseAndRate {
                    dose_quantity: Some(quantity(v, dose_unit, Some("mg"))),
                })
                .into_iter()
                .collect(),
        };
        let medication = match &t.product {
            Some(p) => CodeableConcept {
                coding: Vec::new(),
                text: Some(p.clone()),
            },
            None => willis_concept(willis::IRON_UNSPECIFIED),
        };
        // Both shapes are written whatever the route, so that what the record
        // holds is kept (a record that mixes them does not validate anyway).
        let ongoing = !iv && t.stopped.is_none();
        MedicationStatement {
            extension: [
                code_extension(willis::EXT_OUTCOME, t.outcome.as_ref()),
                code_extension(willis::EXT_IRON_RESPONSE, t.response.as_ref()),
            ]
            .into_iter()
            .flatten()
            .collect(),
            status: Some(if ongoing { "active" } else { "completed" }.to_string()),
            category: Some(willis_concept(willis::IRON_TREATMENT)),
            medication_codeable_concept: Some(medication),
            subject: self.subject.clone(),
            effective_date_time: t.date.clone(),
            effective_period: period(t.started.as_ref(), t.stopped.as_ref()),
            dosage: vec![dosage],
            ..MedicationStatement::default()
        }
    }

    fn diary(&self, d: &DiaryFile) -> Observation {
        let mut o = self.observation(willis_concept(willis::DIARY_NIGHT), "survey");
        o.effective_date_time = Some(d.date.clone());
        let component = |code: &str, value: Val| {
            let mut c = ObservationComponent {
                code: willis_concept(code),
                ..ObservationComponent::default()
            };
            match value {
                Val::Bool(b) => c.value_boolean = Some(b),
                Val::Int(i) => c.value_integer = Some(i),
                Val::Number(n) => c.value_quantity = Some(quantity(n, "h", Some("h"))),
                Val::Time(t) => c.value_time = Some(t),
                Val::Text(t) => c.value_string = Some(t),
            }
            c
        };
        o.component
            .extend(d.severity.map(|v| component(willis::SEVERITY, Val::Int(v))));
        o.component.extend(
            d.onset_time
                .as_deref()
                .map(|t| component(willis::ONSET_TIME, time_value(t))),
        );
        for part in &d.body_parts {
            o.component
                .push(component(willis::BODY_PART, Val::Text(part.clone())));
        }
        o.component.extend(
            d.sleep_hours
                .map(|h| component(willis::SLEEP_HOURS, Val::Number(h))),
        );
        o
    }
}

fn period(start: Option<&String>, end: Option<&String>) -> Option<Period> {
    (start.is_some() || end.is_some()).then(|| Period {
        start: start.cloned(),
        end: end.cloned(),
    })
}

fn set_value(o: &mut Observation, value: &Val, kind: Option<Kind>) {
    match value {
        Val::Bool(b) => o.value_boolean = Some(*b),
        Val::Int(i) => match kind {
            Some(Kind::Quantity { ucum, unit }) => {
                o.value_quantity = Some(quantity(*i as f64, unit, Some(ucum)))
            }
            _ => o.value_integer = Some(*i),
        },
        Val::Number(n) => {
            let (ucum, unit) = match kind {
                Some(Kind::Quantity { ucum, unit }) => (Some(ucum), unit),
                _ => (None, ""),
            };
            o.value_quantity = Some(quantity(*n, unit, ucum));
        }
        Val::Time(t) => o.value_time = Some(t.clone()),
        Val::Text(t) => o.value_string = Some(t.clone()),
    }
}

/// A UUID (RFC 9562 version 8, "custom") from two FNV-1a hashes of `text`:
/// stable across platforms and Rust versions.
fn content_uuid(text: &str) -> String {
    fn fnv(text: &str, basis: u64) -> u64 {
        text.bytes().fold(basis, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }
    let hi = fnv(text, 0xcbf2_9ce4_8422_2325);
    let lo = fnv(text, 0x6c62_272e_07bb_0142);
    let hi = (hi & !0xf000) | 0x8000; // version 8
    let lo = (lo & !(0b11 << 62)) | (0b10 << 62); // RFC variant
    let hex = format!("{hi:016x}{lo:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
