//! A small, tolerant serde model of the FHIR R4 (4.0.1) resources Willis reads.
//!
//! Tolerant means: unknown elements are ignored (no `deny_unknown_fields`), every
//! element is optional (`#[serde(default)]`), and a resource of a type Willis does
//! not model, or a known type whose JSON does not fit the model, still reads as
//! [`Resource::Other`] or [`Resource::Unreadable`] so the mapping can say why it
//! was not used. Only the resources Willis needs are modelled, and of them only
//! the elements it reads.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Coding {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CodeableConcept {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl CodeableConcept {
    /// The codes of this concept in `system`.
    pub fn codes_in<'a>(&'a self, system: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.coding
            .iter()
            .filter(move |c| c.system.as_deref() == Some(system))
            .filter_map(|c| c.code.as_deref())
    }

    /// `text`, then each coding's `display`: the names people wrote.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.text
            .as_deref()
            .into_iter()
            .chain(self.coding.iter().filter_map(|c| c.display.as_deref()))
            .filter(|s| !s.trim().is_empty())
    }

    /// A short description for messages: the first name or code.
    pub fn describe(&self) -> String {
        if let Some(name) = self.names().next() {
            return format!("{name:?}");
        }
        let codes: Vec<String> = self
            .coding
            .iter()
            .filter_map(|c| {
                c.code.as_deref().map(|code| match c.system.as_deref() {
                    Some(s) => format!("{s}|{code}"),
                    None => code.to_string(),
                })
            })
            .collect();
        if codes.is_empty() {
            "no code".to_string()
        } else {
            codes.join(", ")
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Quantity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Period {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// An extension: a `url` and one value. Only the value types Willis writes
/// are modelled; other value types are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Extension {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_boolean: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
}

impl Extension {
    /// The extensions in `list` with this `url`.
    pub fn find<'a>(list: &'a [Extension], url: &str) -> Option<&'a Extension> {
        list.iter().find(|e| e.url.as_deref() == Some(url))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DoseAndRate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dose_quantity: Option<Quantity>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Dosage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dose_and_rate: Vec<DoseAndRate>,
}

/// `Observation.component`: a part of a result with its own code and value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ObservationComponent {
    pub code: CodeableConcept,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_quantity: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_codeable_concept: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_boolean: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_integer: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_time: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Patient {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `male | female | other | unknown` (administrative gender).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// FHIR `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// `deceasedBoolean`; read (the population screen leaves out the dead),
    /// never written.
    #[serde(skip_serializing)]
    pub deceased_boolean: Option<bool>,
    /// `deceasedDateTime`; read, never written.
    #[serde(skip_serializing)]
    pub deceased_date_time: Option<String>,
}

impl Patient {
    /// Recorded as deceased on or before `day` (a death dated later is not
    /// known on `day`).
    pub fn deceased_on(&self, day: chrono::NaiveDate) -> bool {
        match &self.deceased_date_time {
            Some(when) => crate::map::fhir_date(when).is_none_or(|d| d <= day),
            None => self.deceased_boolean == Some(true),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Observation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    pub code: CodeableConcept,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_date_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_period: Option<Period>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_instant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_quantity: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_codeable_concept: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_boolean: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_integer: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_absent_reason: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub component: Vec<ObservationComponent>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Condition {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clinical_status: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_status: Option<CodeableConcept>,
    pub code: CodeableConcept,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onset_date_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abatement_date_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abatement_period: Option<Period>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abatement_string: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abatement_boolean: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Medication {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub code: CodeableConcept,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MedicationStatement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contained: Vec<Resource>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medication_codeable_concept: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medication_reference: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_date_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_period: Option<Period>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_asserted: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dosage: Vec<Dosage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reason_code: Vec<CodeableConcept>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DispenseRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity_period: Option<Period>,
}

/// A single giving of a medicine (an infusion, an injection).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MedicationAdministration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contained: Vec<Resource>,
    /// `in-progress | not-done | on-hold | completed | entered-in-error | stopped | unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medication_codeable_concept: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medication_reference: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_date_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_period: Option<Period>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dosage: Option<AdministrationDosage>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AdministrationDosage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dose: Option<Quantity>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MedicationRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contained: Vec<Resource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medication_codeable_concept: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medication_reference: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authored_on: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dosage_instruction: Vec<Dosage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispense_request: Option<DispenseRequest>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OperationOutcomeIssue {
    /// `fatal | error | warning | information`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// An IssueType code such as `invalid`, `not-supported`, `processing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expression: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OperationOutcome {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub issue: Vec<OperationOutcomeIssue>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BundleEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
}

/// A Bundle. Written as JSON it starts with `"resourceType": "Bundle"`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Bundle {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `searchset | collection | transaction | ...`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<BundleEntry>,
}

/// A FHIR resource, by its `resourceType`.
///
/// Deserialising never fails on a JSON object: a type Willis does not model is
/// [`Resource::Other`], and a modelled type whose elements have the wrong JSON
/// shape is [`Resource::Unreadable`] with serde's message, so one odd resource
/// does not lose the whole Bundle.
#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    Patient(Patient),
    Observation(Observation),
    Condition(Condition),
    Medication(Medication),
    MedicationStatement(MedicationStatement),
    MedicationRequest(MedicationRequest),
    MedicationAdministration(MedicationAdministration),
    OperationOutcome(OperationOutcome),
    Bundle(Box<Bundle>),
    /// Any other `resourceType` (or none), kept as JSON.
    Other {
        resource_type: Option<String>,
        json: Value,
    },
    /// A modelled type whose JSON did not fit the model.
    Unreadable {
        resource_type: String,
        id: Option<String>,
        error: String,
        json: Value,
    },
}

impl Resource {
    /// The `resourceType`, or `"Resource"` when there is none.
    pub fn resource_type(&self) -> &str {
        match self {
            Resource::Patient(_) => "Patient",
            Resource::Observation(_) => "Observation",
            Resource::Condition(_) => "Condition",
            Resource::Medication(_) => "Medication",
            Resource::MedicationStatement(_) => "MedicationStatement",
            Resource::MedicationRequest(_) => "MedicationRequest",
            Resource::MedicationAdministration(_) => "MedicationAdministration",
            Resource::OperationOutcome(_) => "OperationOutcome",
            Resource::Bundle(_) => "Bundle",
            Resource::Other { resource_type, .. } => resource_type.as_deref().unwrap_or("Resource"),
            Resource::Unreadable { resource_type, .. } => resource_type,
        }
    }

    /// The logical `id`, if any.
    pub fn id(&self) -> Option<&str> {
        match self {
            Resource::Patient(r) => r.id.as_deref(),
            Resource::Observation(r) => r.id.as_deref(),
            Resource::Condition(r) => r.id.as_deref(),
            Resource::Medication(r) => r.id.as_deref(),
            Resource::MedicationStatement(r) => r.id.as_deref(),
            Resource::MedicationRequest(r) => r.id.as_deref(),
            Resource::MedicationAdministration(r) => r.id.as_deref(),
            Resource::OperationOutcome(r) => r.id.as_deref(),
            Resource::Bundle(r) => r.id.as_deref(),
            Resource::Other { json, .. } => json.get("id").and_then(Value::as_str),
            Resource::Unreadable { id, .. } => id.as_deref(),
        }
    }

    /// `Type/id`, or `Type` with the position when there is no id.
    pub fn label(&self) -> String {
        match self.id() {
            Some(id) => format!("{}/{id}", self.resource_type()),
            None => self.resource_type().to_string(),
        }
    }

    /// Reads a resource from JSON; see the type's documentation.
    /// Whom the resource is about (`subject`), for the types that have one.
    pub fn subject(&self) -> Option<&Reference> {
        match self {
            Resource::Observation(o) => o.subject.as_ref(),
            Resource::Condition(c) => c.subject.as_ref(),
            Resource::MedicationStatement(m) => m.subject.as_ref(),
            Resource::MedicationRequest(m) => m.subject.as_ref(),
            Resource::MedicationAdministration(m) => m.subject.as_ref(),
            _ => None,
        }
    }

    /// [`Resource::subject`], to change.
    pub fn subject_mut(&mut self) -> Option<&mut Reference> {
        match self {
            Resource::Observation(o) => o.subject.as_mut(),
            Resource::Condition(c) => c.subject.as_mut(),
            Resource::MedicationStatement(m) => m.subject.as_mut(),
            Resource::MedicationRequest(m) => m.subject.as_mut(),
            Resource::MedicationAdministration(m) => m.subject.as_mut(),
            _ => None,
        }
    }

    /// A resource from its JSON text: the same as deserialising a
    /// [`Resource`], without building a `serde_json::Value` first when the
    /// text fits its type's model (the population screen reads millions).
    pub fn from_slice(text: &[u8]) -> Result<Resource, serde_json::Error> {
        #[derive(Deserialize)]
        struct TypeOnly<'a> {
            #[serde(rename = "resourceType", borrow, default)]
            resource_type: Option<std::borrow::Cow<'a, str>>,
        }
        fn direct<T: serde::de::DeserializeOwned>(
            text: &[u8],
            wrap: fn(T) -> Resource,
        ) -> Option<Resource> {
            serde_json::from_slice::<T>(text).ok().map(wrap)
        }
        let head: TypeOnly = serde_json::from_slice(text)?;
        let fast = match head.resource_type.as_deref() {
            Some("Patient") => direct(text, Resource::Patient),
            Some("Observation") => direct(text, Resource::Observation),
            Some("Condition") => direct(text, Resource::Condition),
            Some("Medication") => direct(text, Resource::Medication),
            Some("MedicationStatement") => direct(text, Resource::MedicationStatement),
            Some("MedicationRequest") => direct(text, Resource::MedicationRequest),
            Some("MedicationAdministration") => direct(text, Resource::MedicationAdministration),
            _ => None,
        };
        match fast {
            Some(resource) => Ok(resource),
            // Another type, or one that does not fit the model: the general
            // path keeps it as `Other` or `Unreadable` with the reason.
            None => serde_json::from_slice(text),
        }
    }

    pub fn from_json(json: Value) -> Result<Resource, String> {
        if !json.is_object() {
            return Err(format!("a resource must be a JSON object, not {json}"));
        }
        let resource_type = json
            .get("resourceType")
            .and_then(Value::as_str)
            .map(str::to_string);
        fn typed<T: serde::de::DeserializeOwned>(
            json: &Value,
            wrap: fn(T) -> Resource,
        ) -> Result<Resource, String> {
            serde_json::from_value::<T>(json.clone())
                .map(wrap)
                .map_err(|e| e.to_string())
        }
        let read = match resource_type.as_deref() {
            Some("Patient") => typed(&json, Resource::Patient),
            Some("Observation") => typed(&json, Resource::Observation),
            Some("Condition") => typed(&json, Resource::Condition),
            Some("Medication") => typed(&json, Resource::Medication),
            Some("MedicationStatement") => typed(&json, Resource::MedicationStatement),
            Some("MedicationRequest") => typed(&json, Resource::MedicationRequest),
            Some("MedicationAdministration") => typed(&json, Resource::MedicationAdministration),
            Some("OperationOutcome") => typed(&json, Resource::OperationOutcome),
            Some("Bundle") => typed(&json, |b: Bundle| Resource::Bundle(Box::new(b))),
            _ => {
                return Ok(Resource::Other {
                    resource_type,
                    json,
                })
            }
        };
        Ok(read.unwrap_or_else(|error| Resource::Unreadable {
            resource_type: resource_type.unwrap_or_default(),
            id: json.get("id").and_then(Value::as_str).map(str::to_string),
            error,
            json,
        }))
    }

    /// The resource as FHIR JSON, with its `resourceType`.
    pub fn to_json(&self) -> Value {
        fn with_type<T: Serialize>(r: &T, kind: &str) -> Value {
            let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut v {
                map.insert("resourceType".into(), Value::String(kind.into()));
            }
            v
        }
        let kind = self.resource_type();
        match self {
            Resource::Patient(r) => with_type(r, kind),
            Resource::Observation(r) => with_type(r, kind),
            Resource::Condition(r) => with_type(r, kind),
            Resource::Medication(r) => with_type(r, kind),
            Resource::MedicationStatement(r) => with_type(r, kind),
            Resource::MedicationRequest(r) => with_type(r, kind),
            Resource::MedicationAdministration(r) => with_type(r, kind),
            Resource::OperationOutcome(r) => with_type(r, kind),
            Resource::Bundle(r) => with_type(r.as_ref(), kind),
            Resource::Other { json, .. } | Resource::Unreadable { json, .. } => json.clone(),
        }
    }
}

impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = Value::deserialize(deserializer)?;
        Resource::from_json(json).map_err(D::Error::custom)
    }
}

impl Serialize for Resource {
    /// `resourceType` first, as FHIR JSON is usually written; then the rest.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self.to_json() {
            Value::Object(map) => {
                let mut out = serializer.serialize_map(Some(map.len()))?;
                if let Some(t) = map.get("resourceType") {
                    out.serialize_entry("resourceType", t)?;
                }
                for (k, v) in map.iter().filter(|(k, _)| *k != "resourceType") {
                    out.serialize_entry(k, v)?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

impl Serialize for Bundle {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Written<'a> {
            resource_type: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            id: &'a Option<String>,
            #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
            kind: &'a Option<String>,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            entry: &'a Vec<BundleEntry>,
        }
        Written {
            resource_type: "Bundle",
            id: &self.id,
            kind: &self.kind,
            entry: &self.entry,
        }
        .serialize(serializer)
    }
}

impl Bundle {
    /// Reads a Bundle from FHIR JSON text.
    pub fn from_json_str(text: &str) -> Result<Bundle, serde_json::Error> {
        serde_json::from_str(text)
    }
}
