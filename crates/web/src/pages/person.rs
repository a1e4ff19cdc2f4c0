//! The pages that enter facts: questionnaire, results, medicines, iron,
//! conditions, diary.
//!
//! Every page reads the person's record as of today, shows it, and (for a
//! caller who may write) offers plain forms. A posted form becomes record-format
//! objects, turned into dated facts by `willis_app::facts` and stored with one
//! `append_many`, so the same validation as a record file applies. On invalid
//! input the form comes back (422) with what was typed and the message beside
//! the field it names.

mod conditions;
mod diary;
mod iron;
mod medicines;
mod questionnaire;
mod results;

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{NaiveDate, Utc};
use maud::{html, Markup};
use willis_app::{AppError, Authorized, When};
use willis_core::RecordFile;
use willis_store::{Access, PersonId};

use super::{field_error, url_encode, PageError};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::Web;

pub fn routes() -> Router<Web> {
    Router::new()
        .route(
            "/people/{id}/questionnaire",
            get(questionnaire::show).post(questionnaire::save),
        )
        .route(
            "/people/{id}/results",
            get(results::show).post(results::save),
        )
        .route(
            "/people/{id}/medicines",
            get(medicines::show).post(medicines::save),
        )
        .route("/people/{id}/medicines/stop", post(medicines::stop))
        .route("/people/{id}/iron", get(iron::show).post(iron::save))
        .route("/people/{id}/diary", get(diary::show).post(diary::save))
        .route(
            "/people/{id}/conditions",
            get(conditions::show).post(conditions::save),
        )
        .route("/people/{id}/conditions/resolve", post(conditions::resolve))
}

/// `?done=` after a change.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

/// The fields of a posted form, in order; a name may repeat (check boxes).
#[derive(Debug, Clone, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// Parses an `application/x-www-form-urlencoded` body.
    pub fn parse(body: &[u8]) -> Result<Fields, PageError> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map(Fields)
            .map_err(|_| {
                PageError::from(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "the form could not be read; go back and send it again",
                ))
            })
    }

    /// The first value of `name`, as typed ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The first value of `name`, trimmed, `None` when absent or blank.
    pub fn opt(&self, name: &str) -> Option<&str> {
        Some(self.get(name).trim()).filter(|v| !v.is_empty())
    }

    /// Every value of `name` (a group of check boxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Whether `name` has the value `value` (a checked box or radio).
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == value)
    }

    /// Sets `name` (replacing any value).
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.retain(|(k, _)| k != name);
        self.0.push((name.to_string(), value.into()));
    }

    /// Adds one more value of `name`.
    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.0.push((name.to_string(), value.into()));
    }

    /// Sets `name` when `value` is given.
    pub fn set_opt<T: ToString>(&mut self, name: &str, value: Option<T>) {
        if let Some(v) = value {
            self.set(name, v.to_string());
        }
    }
}

/// Messages of a refused form: beside their fields, or at the top.
#[derive(Debug, Default)]
pub struct Errors {
    fields: HashMap<String, String>,
    general: Option<String>,
}

impl Errors {
    /// A message that names its field (`value: ...`) goes beside the input
    /// with id `prefix` + field when the form has one; any other at the top.
    pub fn from_message(message: &str, prefix: &str, known: &[&str]) -> Errors {
        let mut errors = Errors::default();
        errors.add(message, prefix, known);
        errors
    }

    pub fn add(&mut self, message: &str, prefix: &str, known: &[&str]) {
        let field = message
            .split_once(':')
            .map(|(f, _)| f.split('[').next().unwrap_or(f).trim())
            .filter(|f| known.contains(f));
        match field {
            Some(f) => {
                self.fields
                    .insert(format!("{prefix}{f}"), message.to_string());
            }
            None => self.general = Some(message.to_string()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_none()
    }

    /// The message for the input with this id.
    pub fn at(&self, id: &str) -> Markup {
        field_error(id, self.fields.get(id).map(String::as_str))
    }

    /// `aria-describedby` for the input with this id.
    pub fn describe(&self, id: &str) -> Option<String> {
        self.fields.contains_key(id).then(|| format!("{id}-error"))
    }

    /// The message at the top of the form, if any.
    pub fn top(&self) -> Markup {
        html! {
            @if let Some(g) = &self.general {
                p.error role="alert" { (g) }
            }
            @if !self.fields.is_empty() {
                p.error role="alert" { "Please check the fields marked below." }
            }
        }
    }
}

/// The person, with read access checked (404 for a person the caller may
/// not see).
pub async fn reader(web: &Web, c: &Caller, id: i64) -> Result<Authorized, PageError> {
    super::plan::about(web, c, id).await
}

/// The person, with write access checked: 404 when the caller may not see
/// them, 403 when the caller may only read.
pub async fn writer(web: &Web, c: &Caller, id: i64) -> Result<Authorized, PageError> {
    let who = reader(web, c, id).await?;
    if who.access != Access::Write {
        return Err(
            AppError::Forbidden("you may read this journal but not change it".into()).into(),
        );
    }
    Ok(who)
}

/// The person's record as of today.
pub async fn record(web: &Web, c: &Caller, id: i64) -> Result<RecordFile, PageError> {
    Ok(web
        .pages()
        .record_file(
            c.user.id,
            PersonId(id),
            When {
                as_of: web.today(),
                known_at: None,
            },
            Utc::now(),
        )
        .await?)
}

/// A 303 to `path` with `?done=` (Post/Redirect/Get).
pub fn done(path: &str, message: &str) -> Response {
    Redirect::to(&format!("{path}?done={}", url_encode(message))).into_response()
}

/// A re-rendered form: status 422.
pub fn invalid(mut response: Response) -> Response {
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    response
}

/// A date typed in a form (`YYYY-MM-DD`), `None` when blank, refused when
/// after today; the message names the field.
pub fn form_date(
    field: &str,
    text: Option<&str>,
    today: NaiveDate,
) -> Result<Option<NaiveDate>, String> {
    let Some(text) = text else { return Ok(None) };
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        format!("{field}: {text:?} is not a date; use YYYY-MM-DD, such as 2026-03-14")
    })?;
    if day > today {
        return Err(format!(
            "{field}: {day} is after today ({today}); a date cannot be in the future"
        ));
    }
    Ok(Some(day))
}

/// A number typed in a form; a decimal comma is accepted ("12,5").
pub fn form_number(field: &str, text: Option<&str>) -> Result<Option<f64>, String> {
    let Some(text) = text else { return Ok(None) };
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let cleaned = if cleaned.contains(',') && !cleaned.contains('.') {
        cleaned.replace(',', ".")
    } else {
        cleaned
    };
    cleaned
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(Some)
        .ok_or_else(|| format!("{field}: {text:?} is not a number; type digits, such as 12.5"))
}

/// A whole number typed in a form.
pub fn form_integer(field: &str, text: Option<&str>) -> Result<Option<i64>, String> {
    let Some(text) = text else { return Ok(None) };
    text.trim()
        .parse::<i64>()
        .map(Some)
        .map_err(|_| format!("{field}: {text:?} is not a whole number"))
}

/// `yes` / `no` / `not-sure` (or absent) as a record answer.
pub fn answer(text: &str) -> Option<bool> {
    match text {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// A record answer as the radio value.
pub fn answer_value(known: Option<bool>) -> &'static str {
    match known {
        Some(true) => "yes",
        Some(false) => "no",
        None => "not-sure",
    }
}

/// A yes / no / not sure question as a radio group.
pub fn yes_no(f: &Fields, name: &str, question: &str, hint: Option<&str>) -> Markup {
    let current = f.get(name);
    let current = if current.is_empty() {
        "not-sure"
    } else {
        current
    };
    html! {
        fieldset.question {
            legend { (question) }
            @if let Some(h) = hint { p.hint { (h) } }
            div.choices {
                @for (value, label) in [("yes", "Yes"), ("no", "No"), ("not-sure", "Not sure")] {
                    @let id = format!("{name}-{value}");
                    label for=(id) {
                        input type="radio" id=(id) name=(name) value=(value) checked[current == value];
                        (label)
                    }
                }
            }
        }
    }
}

/// The body parts as check boxes (ids `{prefix}body-{part}`).
pub fn body_parts(f: &Fields, prefix: &str, legend: &str) -> Markup {
    html! {
        fieldset {
            legend { (legend) }
            div.choices {
                @for (value, label) in [("legs", "Legs"), ("arms", "Arms or hands"), ("trunk", "Body (trunk)"), ("other", "Elsewhere")] {
                    @let id = format!("{prefix}body-{value}");
                    label for=(id) {
                        input type="checkbox" id=(id) name="body_parts" value=(value) checked[f.has("body_parts", value)];
                        (label)
                    }
                }
            }
        }
    }
}

/// A date for people: "14 Mar 2026" (the ISO text when it does not parse).
pub fn show_date(text: &str) -> String {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.format("%-d %b %Y").to_string())
        .unwrap_or_else(|_| text.to_string())
}

/// A number as people write it (the letter's form: no trailing zeros).
pub fn show_number(v: f64) -> String {
    willis_report::letter::ranges::num(v)
}

/// An outcome for people.
pub fn outcome_label(outcome: &str) -> &str {
    match outcome {
        "effective" => "it helped",
        "ineffective" => "it did not help",
        "side-effects" => "stopped for side effects",
        other => other,
    }
}

/// The outcome choices of a course (`""`: not known / not said).
pub const OUTCOMES: [(&str, &str); 4] = [
    ("", "Not known yet"),
    ("effective", "It helped"),
    ("ineffective", "It did not help"),
    ("side-effects", "Side effects"),
];
