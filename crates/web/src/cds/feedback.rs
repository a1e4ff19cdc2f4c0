//! `POST /cds-services/{id}/feedback`: what the clinician did with a card.
//!
//! Kept in memory, bounded ([`FeedbackLog::CAPACITY`], oldest dropped
//! first), per instance: the card and suggestion ids (random UUIDs), the
//! outcome, the override reason's code and the time. No patient data: the
//! free-text `userComment` is not kept (only whether there was one). The
//! same feedback sent again is recorded once (the specification allows
//! repeats).

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::discovery::Service;
use super::outcome::Outcome;

/// One item of feedback.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Feedback {
    pub card: String,
    /// `accepted` or `overridden`.
    pub outcome: String,
    pub accepted_suggestions: Vec<String>,
    /// The override reason's `system|code`, when one was given.
    pub override_reason: Option<String>,
    pub had_comment: bool,
    pub outcome_timestamp: DateTime<Utc>,
}

/// Feedback as kept: which service, and when it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Received {
    pub service: &'static str,
    pub feedback: Feedback,
    pub received_at: DateTime<Utc>,
}

fn text<'a>(
    item: &'a serde_json::Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, Outcome> {
    match item.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Outcome::bad_field(path, "must be a string")),
    }
}

impl Feedback {
    /// Reads and checks a feedback body; errors name the field.
    pub fn parse(body: &[u8]) -> Result<Vec<Feedback>, Outcome> {
        let json: Value = serde_json::from_slice(body)
            .map_err(|e| Outcome::bad_field("body", format!("is not JSON ({e})")))?;
        let items = match json.get("feedback") {
            Some(Value::Array(items)) => items,
            None | Some(Value::Null) => {
                return Err(Outcome::missing("feedback", "an array of feedback items"))
            }
            Some(_) => return Err(Outcome::bad_field("feedback", "must be an array")),
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| Feedback::parse_item(i, item))
            .collect()
    }

    fn parse_item(i: usize, item: &Value) -> Result<Feedback, Outcome> {
        let at = |field: &str| format!("feedback[{i}].{field}");
        let Value::Object(item) = item else {
            return Err(Outcome::bad_field(
                format!("feedback[{i}]"),
                "must be an object",
            ));
        };
        let card = text(item, "card", &at("card"))?
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| Outcome::missing(at("card"), "the uuid of the card"))?;
        let outcome = text(item, "outcome", &at("outcome"))?
            .ok_or_else(|| Outcome::missing(at("outcome"), "accepted or overridden"))?;
        if !matches!(outcome, "accepted" | "overridden") {
            return Err(Outcome::bad_field(
                at("outcome"),
                format!("{outcome:?} is not an outcome; use \"accepted\" or \"overridden\""),
            ));
        }
        let accepted_suggestions = match item.get("acceptedSuggestions") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(j, s)| {
                    s.get("id")
                        .and_then(Value::as_str)
                        .filter(|id| !id.trim().is_empty())
                        .map(str::to_string)
                        .ok_or_else(|| {
                            Outcome::missing(
                                at(&format!("acceptedSuggestions[{j}].id")),
                                "the uuid of the suggestion",
                            )
                        })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(Outcome::bad_field(
                    at("acceptedSuggestions"),
                    "must be an array of {\"id\": …}",
                ))
            }
        };
        if outcome == "accepted" && accepted_suggestions.is_empty() {
            return Err(Outcome::missing(
                at("acceptedSuggestions"),
                "the suggestions accepted, required when the outcome is accepted",
            ));
        }
        let (override_reason, had_comment) = match item.get("overrideReason") {
            None | Some(Value::Null) => (None, false),
            Some(Value::Object(r)) => {
                let reason = match r.get("reason") {
                    None | Some(Value::Null) => None,
                    Some(Value::Object(c)) => {
                        let path = at("overrideReason.reason");
                        let code = text(c, "code", &format!("{path}.code"))?
                            .ok_or_else(|| Outcome::missing(format!("{path}.code"), "a code"))?;
                        let system =
                            text(c, "system", &format!("{path}.system"))?.ok_or_else(|| {
                                Outcome::missing(format!("{path}.system"), "a code system")
                            })?;
                        Some(format!("{system}|{code}"))
                    }
                    Some(_) => {
                        return Err(Outcome::bad_field(
                            at("overrideReason.reason"),
                            "must be a Coding object",
                        ))
                    }
                };
                let comment = text(r, "userComment", &at("overrideReason.userComment"))?;
                (reason, comment.is_some_and(|c| !c.trim().is_empty()))
            }
            Some(_) => {
                return Err(Outcome::bad_field(
                    at("overrideReason"),
                    "must be an object",
                ))
            }
        };
        let stamp = text(item, "outcomeTimestamp", &at("outcomeTimestamp"))?.ok_or_else(|| {
            Outcome::missing(at("outcomeTimestamp"), "when it happened, RFC 3339")
        })?;
        let outcome_timestamp = DateTime::parse_from_rfc3339(stamp)
            .map_err(|e| {
                Outcome::bad_field(
                    at("outcomeTimestamp"),
                    format!("{stamp:?} is not an RFC 3339 time ({e})"),
                )
            })?
            .with_timezone(&Utc);
        Ok(Feedback {
            card: card.to_string(),
            outcome: outcome.to_string(),
            accepted_suggestions,
            override_reason,
            had_comment,
            outcome_timestamp,
        })
    }
}

/// The log, and what it holds (service id and feedback) for the repeat check.
type Kept = (VecDeque<Received>, HashSet<(&'static str, Feedback)>);

/// The feedback received, most recent last.
#[derive(Debug, Default)]
pub struct FeedbackLog {
    inner: Mutex<Kept>,
}

impl FeedbackLog {
    /// The most items kept.
    pub const CAPACITY: usize = 10_000;

    /// Records items not seen before.
    pub fn record(&self, service: Service, items: Vec<Feedback>, now: DateTime<Utc>) {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (log, seen) = &mut *guard;
        for feedback in items {
            if !seen.insert((service.id(), feedback.clone())) {
                continue;
            }
            log.push_back(Received {
                service: service.id(),
                feedback,
                received_at: now,
            });
            while log.len() > Self::CAPACITY {
                if let Some(old) = log.pop_front() {
                    seen.remove(&(old.service, old.feedback));
                }
            }
        }
    }

    /// A copy of what is kept.
    pub fn entries(&self) -> Vec<Received> {
        let guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        guard.0.iter().cloned().collect()
    }
}
