//! What a journal entry says. The database keeps the variant's name in
//! `entries.kind` and its fields as JSON in `entries.payload`.

use serde::{Deserialize, Serialize};
use willis_core::{DiaryFile, HabitsFile, LabFile, PatientFile, SleepFile, SymptomsFile};

/// One fact about a person. Dates come from the entry's effective date: a lab's
/// or a diary night's own `date` must be empty or the same.
///
/// Outcomes use the record format's words (`effective`, `ineffective`,
/// `side-effects`; an infusion's response `improved` or `none`); they are checked
/// when the materialised record is validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    content = "payload",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Payload {
    /// Profile facts; the latest patient entry wins whole.
    Patient(PatientFile),
    Lab(LabFile),
    /// One night of the symptom diary.
    Diary(DiaryFile),
    /// A medicine course starts on the effective date.
    MedicationStart {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dose: Option<String>,
    },
    /// The dose of the open course of `name` changes.
    MedicationChange {
        name: String,
        dose: String,
    },
    /// The open course of `name` stops on the effective date.
    MedicationStop {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outcome: Option<String>,
    },
    /// How the latest course of `name` worked.
    MedicationOutcome {
        name: String,
        outcome: String,
    },
    /// An IV iron infusion on the effective date. Product and dose may be unknown
    /// to the person, as in the record format.
    IronInfusion {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dose_mg: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        response: Option<String>,
    },
    /// The response to the latest infusion on or before the effective date.
    InfusionResponse {
        response: String,
    },
    /// An oral iron course starts on the effective date.
    OralIronStart {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        elemental_mg: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schedule: Option<String>,
    },
    /// The open oral iron course stops on the effective date.
    OralIronStop {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outcome: Option<String>,
    },
    /// How the latest oral iron course worked.
    OralIronOutcome {
        outcome: String,
    },
    /// A condition the person has (a catalogue name such as `peripheral-neuropathy`).
    Condition {
        name: String,
    },
    /// A condition that no longer applies.
    ConditionResolved {
        name: String,
    },
    /// The symptom questionnaire; the latest wins.
    Symptoms(SymptomsFile),
    /// Habits; the latest wins.
    Habits(HabitsFile),
    /// Sleep: snoring, pauses in breathing, daytime sleepiness, limb jerks, a
    /// sleep study's PLMS index; the latest wins.
    Sleep(SleepFile),
    /// Deletes the entry it supersedes.
    Tombstone,
}

impl Payload {
    /// The name kept in `entries.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::Patient(_) => "patient",
            Payload::Lab(_) => "lab",
            Payload::Diary(_) => "diary",
            Payload::MedicationStart { .. } => "medication_start",
            Payload::MedicationChange { .. } => "medication_change",
            Payload::MedicationStop { .. } => "medication_stop",
            Payload::MedicationOutcome { .. } => "medication_outcome",
            Payload::IronInfusion { .. } => "iron_infusion",
            Payload::InfusionResponse { .. } => "infusion_response",
            Payload::OralIronStart { .. } => "oral_iron_start",
            Payload::OralIronStop { .. } => "oral_iron_stop",
            Payload::OralIronOutcome { .. } => "oral_iron_outcome",
            Payload::Condition { .. } => "condition",
            Payload::ConditionResolved { .. } => "condition_resolved",
            Payload::Symptoms(_) => "symptoms",
            Payload::Habits(_) => "habits",
            Payload::Sleep(_) => "sleep",
            Payload::Tombstone => "tombstone",
        }
    }

    /// The kind and the fields as JSON (`null` for a tombstone).
    pub fn to_value(&self) -> (&'static str, serde_json::Value) {
        let kind = self.kind();
        // Serialising these plain data types to a `Value` cannot fail: every map
        // key is a string and serde_json turns a non-finite float into null.
        // A payload that does not read back is refused by `encode`.
        let mut tagged = match serde_json::to_value(self) {
            Ok(v) => v,
            Err(_) => serde_json::Value::Null,
        };
        let fields = tagged
            .get_mut("payload")
            .map(serde_json::Value::take)
            .unwrap_or(serde_json::Value::Null);
        (kind, fields)
    }

    /// Reads a payload back from its kind and fields.
    pub fn from_value(kind: &str, fields: serde_json::Value) -> Result<Payload, serde_json::Error> {
        let mut tagged = serde_json::Map::new();
        tagged.insert("kind".into(), serde_json::Value::String(kind.to_string()));
        if !fields.is_null() {
            tagged.insert("payload".into(), fields);
        }
        serde_json::from_value(serde_json::Value::Object(tagged))
    }

    /// The kind and the JSON text to store, refusing a payload that would not
    /// read back the same (e.g. a lab value that is not a finite number).
    pub(crate) fn encode(&self) -> Result<(&'static str, String), crate::StoreError> {
        let (kind, fields) = self.to_value();
        let invalid = |message: String| crate::StoreError::InvalidPayload { kind, message };
        let back = Payload::from_value(kind, fields.clone()).map_err(|e| invalid(e.to_string()))?;
        if &back != self {
            return Err(invalid(
                "it does not read back the same (a number that is not finite?)".into(),
            ));
        }
        let text = serde_json::to_string(&fields).map_err(|e| invalid(e.to_string()))?;
        Ok((kind, text))
    }

    /// Reads the stored kind and JSON text (in one pass: the tagged form is
    /// spliced together as text).
    pub(crate) fn decode(kind: &str, text: &str) -> Result<Payload, String> {
        let tag = serde_json::Value::String(kind.to_string());
        let tagged = format!(r#"{{"kind":{tag},"payload":{text}}}"#);
        serde_json::from_str(&tagged).map_err(|e| format!("{kind}: {e}"))
    }

    /// A few words about an entry, for history and confirmations.
    pub fn summary(&self) -> String {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        match self {
            Payload::Patient(p) => {
                let mut parts = Vec::new();
                if let Some(b) = &p.birth_date {
                    parts.push(format!("born {b}"));
                }
                if let Some(s) = &p.sex {
                    parts.push(s.clone());
                }
                if let Some(w) = p.pregnancy_weeks {
                    parts.push(format!("pregnant {w} weeks"));
                }
                if p.dialysis == Some(true) {
                    parts.push("on dialysis".into());
                }
                if let Some(w) = p.weight_kg {
                    parts.push(format!("{w} kg"));
                }
                parts.join(", ")
            }
            Payload::Lab(l) => {
                let mut s = format!("{} {} {}", l.test, l.value, l.unit);
                if l.fasting == Some(false) {
                    s.push_str(" (not fasting)");
                }
                if l.morning == Some(false) {
                    s.push_str(" (not morning)");
                }
                s
            }
            Payload::Diary(d) => {
                let mut parts = Vec::new();
                if let Some(s) = d.severity {
                    parts.push(format!("severity {s}/10"));
                }
                if let Some(o) = &d.onset_time {
                    parts.push(format!("onset {o}"));
                }
                if !d.body_parts.is_empty() {
                    parts.push(d.body_parts.join("+"));
                }
                if let Some(h) = d.sleep_hours {
                    parts.push(format!("slept {h} h"));
                }
                parts.join(", ")
            }
            Payload::MedicationStart { name, dose } => {
                format!("started {name} {}", opt(dose)).trim().to_string()
            }
            Payload::MedicationChange { name, dose } => format!("{name} now {dose}"),
            Payload::MedicationStop { name, outcome } => format!("stopped {name} {}", opt(outcome))
                .trim()
                .to_string(),
            Payload::MedicationOutcome { name, outcome } => format!("{name}: {outcome}"),
            Payload::IronInfusion {
                product,
                dose_mg,
                response,
            } => {
                let dose = dose_mg.map(|d| format!(" {d} mg")).unwrap_or_default();
                let response = response
                    .as_ref()
                    .map(|r| format!(", response {r}"))
                    .unwrap_or_default();
                format!(
                    "infusion {}{dose}{response}",
                    product
                        .clone()
                        .unwrap_or_else(|| "(product not given)".into())
                )
            }
            Payload::InfusionResponse { response } => format!("infusion response: {response}"),
            Payload::OralIronStart {
                product,
                elemental_mg,
                schedule,
            } => {
                let mg = elemental_mg.map(|d| format!(" {d} mg")).unwrap_or_default();
                format!("oral iron {}{mg} {}", opt(product), opt(schedule))
                    .trim()
                    .to_string()
            }
            Payload::OralIronStop { outcome } => format!("stopped oral iron {}", opt(outcome))
                .trim()
                .to_string(),
            Payload::OralIronOutcome { outcome } => format!("oral iron: {outcome}"),
            Payload::Condition { name } => name.clone(),
            Payload::ConditionResolved { name } => format!("{name} resolved"),
            Payload::Symptoms(s) => {
                let answers = [
                    s.urge_to_move,
                    s.worse_at_rest,
                    s.relieved_by_movement,
                    s.worse_evening_or_night,
                    s.not_explained_by_other_condition,
                ];
                let yes = answers.iter().filter(|a| **a == Some(true)).count();
                let mut parts = vec![format!("{yes}/5 criteria yes")];
                if let Some(d) = s.days_per_week {
                    parts.push(format!("{d} days/week"));
                }
                if let Some(i) = s.irls_total {
                    parts.push(format!("IRLS {i}"));
                }
                let flags = [
                    (s.one_sided, "one side only"),
                    (s.weakness_or_numbness, "weakness or numbness"),
                    (s.impulse_control_problems, "impulse-control problems"),
                ];
                for (flag, what) in flags {
                    if flag == Some(true) {
                        parts.push(what.to_string());
                    }
                }
                parts.join(", ")
            }
            Payload::Habits(h) => {
                let mut parts = Vec::new();
                if let Some(a) = h.alcohol_units_per_week {
                    parts.push(format!("alcohol {a}/week"));
                }
                if let Some(c) = h.caffeine_drinks_per_day {
                    parts.push(format!("caffeine {c}/day"));
                }
                if let Some(s) = h.smoker {
                    parts.push(if s {
                        "smoker".into()
                    } else {
                        "non-smoker".into()
                    });
                }
                parts.join(", ")
            }
            Payload::Sleep(s) => {
                let mut parts = Vec::new();
                let yes = |flag: Option<bool>, what: &str| match flag {
                    Some(true) => Some(what.to_string()),
                    Some(false) => Some(format!("no {what}")),
                    None => None,
                };
                parts.extend(yes(s.snoring, "snoring"));
                parts.extend(yes(s.witnessed_apneas, "apnoeas seen"));
                parts.extend(yes(s.excessive_daytime_sleepiness, "daytime sleepiness"));
                if let Some(e) = s.epworth {
                    parts.push(format!("Epworth {e}"));
                }
                parts.extend(yes(s.limb_jerks_reported, "limb jerks"));
                if let Some(p) = s.plms_index {
                    parts.push(format!("PLMS {p}/h"));
                }
                parts.join(", ")
            }
            Payload::Tombstone => "deleted".to_string(),
        }
    }

    /// The payload's own date, for the kinds that carry one.
    pub(crate) fn own_date(&self) -> Option<&str> {
        match self {
            Payload::Lab(l) => Some(&l.date),
            Payload::Diary(d) => Some(&d.date),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_matches_the_serde_tag() {
        let all = [
            Payload::Patient(PatientFile::default()),
            Payload::Lab(LabFile::default()),
            Payload::Diary(DiaryFile::default()),
            Payload::MedicationStart {
                name: "x".into(),
                dose: None,
            },
            Payload::MedicationChange {
                name: "x".into(),
                dose: "1 mg".into(),
            },
            Payload::MedicationStop {
                name: "x".into(),
                outcome: None,
            },
            Payload::MedicationOutcome {
                name: "x".into(),
                outcome: "effective".into(),
            },
            Payload::IronInfusion {
                product: None,
                dose_mg: Some(1000.0),
                response: None,
            },
            Payload::InfusionResponse {
                response: "improved".into(),
            },
            Payload::OralIronStart {
                product: None,
                elemental_mg: None,
                schedule: None,
            },
            Payload::OralIronStop { outcome: None },
            Payload::OralIronOutcome {
                outcome: "ineffective".into(),
            },
            Payload::Condition {
                name: "diabetes".into(),
            },
            Payload::ConditionResolved {
                name: "diabetes".into(),
            },
            Payload::Symptoms(SymptomsFile::default()),
            Payload::Habits(HabitsFile::default()),
            Payload::Tombstone,
        ];
        for p in all {
            let tagged = serde_json::to_value(&p).unwrap();
            assert_eq!(tagged["kind"], p.kind(), "{p:?}");
            let (kind, text) = p.encode().unwrap();
            assert_eq!(Payload::decode(kind, &text).unwrap(), p);
        }
    }

    #[test]
    fn tombstone_is_stored_as_null() {
        assert_eq!(
            Payload::Tombstone.encode().unwrap(),
            ("tombstone", "null".to_string())
        );
    }

    #[test]
    fn unknown_kind_and_unknown_field_are_refused() {
        assert!(Payload::decode("horoscope", "{}").is_err());
        assert!(Payload::decode("condition", r#"{"name":"x"}, "kind": "lab""#).is_err());
        assert!(Payload::decode("condition", "").is_err());
        assert!(Payload::decode("condition", r#"{"name":"x","extra":1}"#).is_err());
        assert!(Payload::decode(
            "lab",
            r#"{"test":"ferritin","value":1,"unit":"ng/mL","date":"","mood":"ok"}"#
        )
        .is_err());
    }

    #[test]
    fn a_non_finite_number_is_refused() {
        let lab = Payload::Lab(LabFile {
            value: f64::NAN,
            ..LabFile::default()
        });
        let err = lab.encode().unwrap_err().to_string();
        assert!(err.contains("lab payload cannot be stored"), "{err}");
    }
}
