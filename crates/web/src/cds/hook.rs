//! A CDS Hooks service call's body, checked: every refusal is a 400 that
//! names the field.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::discovery::Service;
use super::outcome::Outcome;

/// A checked service call.
#[derive(Debug, Clone)]
pub struct HookRequest {
    pub hook_instance: String,
    /// The EHR's FHIR base URL, without a trailing slash.
    pub fhir_server: Option<String>,
    /// `fhirAuthorization.access_token`: used only against `fhir_server`,
    /// never logged.
    pub access_token: Option<String>,
    pub patient_id: String,
    pub encounter_id: Option<String>,
    /// The prefetch values sent, by key (`null` included).
    pub prefetch: BTreeMap<String, Value>,
    /// order-select: `context.selections`.
    pub selections: Vec<String>,
    /// order-select: `context.draftOrders` (a Bundle).
    pub draft_orders: Option<Value>,
}

/// A FHIR `id`: 1–64 letters, digits, `-` and `.`.
pub fn is_fhir_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn string<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, Outcome> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(Outcome::bad_field(
            path,
            format!("must be a string, not {}", kind(other)),
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl HookRequest {
    /// Reads and checks the body of a call to `service`.
    pub fn parse(body: &[u8], service: Service) -> Result<HookRequest, Outcome> {
        let json: Value = serde_json::from_slice(body)
            .map_err(|e| Outcome::bad_field("body", format!("is not JSON ({e})")))?;
        let Value::Object(mut top) = json else {
            return Err(Outcome::bad_field(
                "body",
                format!("must be a JSON object, not {}", kind(&json)),
            ));
        };
        // Taken out whole: it is most of the body, and is not copied.
        let sent_prefetch = top.remove("prefetch");
        let hook = string(&top, "hook", "hook")?
            .ok_or_else(|| Outcome::missing("hook", "the hook's name"))?;
        if hook != service.hook() {
            return Err(Outcome::bad_field(
                "hook",
                format!(
                    "{hook:?} is not the hook of {} (it answers {:?})",
                    service.id(),
                    service.hook()
                ),
            ));
        }
        let hook_instance = string(&top, "hookInstance", "hookInstance")?
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| Outcome::missing("hookInstance", "a UUID for this call"))?
            .to_string();
        let fhir_server = string(&top, "fhirServer", "fhirServer")?
            .map(|s| s.trim().trim_end_matches('/').to_string());
        let access_token = match top.get("fhirAuthorization") {
            None | Some(Value::Null) => None,
            Some(Value::Object(auth)) => {
                if fhir_server.is_none() {
                    return Err(Outcome::missing(
                        "fhirServer",
                        "fhirAuthorization is given, so the server it is for must be too",
                    ));
                }
                let token = string(auth, "access_token", "fhirAuthorization.access_token")?
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| {
                        Outcome::missing("fhirAuthorization.access_token", "the bearer token")
                    })?;
                if let Some(t) = string(auth, "token_type", "fhirAuthorization.token_type")? {
                    if !t.eq_ignore_ascii_case("bearer") {
                        return Err(Outcome::bad_field(
                            "fhirAuthorization.token_type",
                            format!("{t:?} is not supported; use \"Bearer\""),
                        ));
                    }
                }
                Some(token.to_string())
            }
            Some(other) => {
                return Err(Outcome::bad_field(
                    "fhirAuthorization",
                    format!("must be an object, not {}", kind(other)),
                ))
            }
        };
        let context = match top.get("context") {
            Some(Value::Object(c)) => c,
            None | Some(Value::Null) => {
                return Err(Outcome::missing("context", "the hook's context"))
            }
            Some(other) => {
                return Err(Outcome::bad_field(
                    "context",
                    format!("must be an object, not {}", kind(other)),
                ))
            }
        };
        let patient_id = string(context, "patientId", "context.patientId")?
            .ok_or_else(|| Outcome::missing("context.patientId", "the patient's FHIR id"))?;
        if !is_fhir_id(patient_id) {
            return Err(Outcome::bad_field(
                "context.patientId",
                "is not a FHIR id (1 to 64 letters, digits, '-' or '.')",
            ));
        }
        let encounter_id =
            string(context, "encounterId", "context.encounterId")?.map(str::to_string);
        let (selections, draft_orders) = if service == Service::OrderSelect {
            let selections = match context.get("selections") {
                Some(Value::Array(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        Value::String(s) => Ok(s.clone()),
                        other => Err(Outcome::bad_field(
                            format!("context.selections[{i}]"),
                            format!(
                                "must be a string such as \"MedicationRequest/103\", not {}",
                                kind(other)
                            ),
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                None | Some(Value::Null) => {
                    return Err(Outcome::missing(
                        "context.selections",
                        "the ids of the orders just selected",
                    ))
                }
                Some(other) => {
                    return Err(Outcome::bad_field(
                        "context.selections",
                        format!("must be an array, not {}", kind(other)),
                    ))
                }
            };
            let draft_orders = match context.get("draftOrders") {
                Some(v @ Value::Object(o)) => {
                    if o.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
                        return Err(Outcome::bad_field(
                            "context.draftOrders",
                            "must be a FHIR Bundle (resourceType \"Bundle\")",
                        ));
                    }
                    v.clone()
                }
                None | Some(Value::Null) => {
                    return Err(Outcome::missing(
                        "context.draftOrders",
                        "a Bundle of the draft orders",
                    ))
                }
                Some(other) => {
                    return Err(Outcome::bad_field(
                        "context.draftOrders",
                        format!("must be a Bundle object, not {}", kind(other)),
                    ))
                }
            };
            (selections, Some(draft_orders))
        } else {
            (Vec::new(), None)
        };
        let prefetch = match sent_prefetch {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(p)) => {
                let mut out = BTreeMap::new();
                for (key, value) in p {
                    match value {
                        Value::Null | Value::Object(_) => {
                            out.insert(key, value);
                        }
                        other => {
                            return Err(Outcome::bad_field(
                                format!("prefetch.{key}"),
                                format!(
                                    "must be a FHIR resource, a Bundle or null, not {}",
                                    kind(&other)
                                ),
                            ))
                        }
                    }
                }
                out
            }
            Some(other) => {
                return Err(Outcome::bad_field(
                    "prefetch",
                    format!("must be an object, not {}", kind(&other)),
                ))
            }
        };
        Ok(HookRequest {
            hook_instance,
            fhir_server,
            access_token,
            patient_id: patient_id.to_string(),
            encounter_id,
            prefetch,
            selections,
            draft_orders,
        })
    }
}
