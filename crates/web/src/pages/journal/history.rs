//! History: the journal newest first, with undo, delete and correct.

use std::collections::HashMap;

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use maud::{html, Markup};
use serde::Deserialize;
use willis_app::AppError;
use willis_core::{DiaryFile, LabFile};
use willis_store::{Access, Entry, EntryId, Payload, PersonId};

use super::{day, done, field_of, invalid, num};
use crate::auth::{Caller, PageCaller};
use crate::pages::plan::about;
use crate::pages::{csrf, field_error, layout, notice, page, About, PageError, PageResult};
use crate::Web;

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// Kinds a person reads more easily than `medication_start`.
fn kind_label(kind: &str) -> String {
    match kind {
        "lab" => "Blood result".into(),
        "diary" => "Diary night".into(),
        "patient" => "About the person".into(),
        "symptoms" => "Questionnaire".into(),
        "tombstone" => "Deletion".into(),
        other => {
            let text = other.replace('_', " ");
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => text,
            }
        }
    }
}

/// A correctable entry: a lab or a diary night.
fn correctable(e: &Entry) -> bool {
    matches!(e.payload, Payload::Lab(_) | Payload::Diary(_))
}

pub async fn show(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> PageResult {
    let who = about(&web, &c, id).await?;
    let entries = web
        .pages()
        .entries(c.user.id, PersonId(id), None, Utc::now())
        .await?;
    // Which entry replaced (or deleted) each entry.
    let by: HashMap<EntryId, &Entry> = entries
        .iter()
        .filter_map(|e| e.supersedes.map(|old| (old, e)))
        .collect();
    let write = who.access == Access::Write;
    let base = format!("/people/{id}/history");
    let about = About {
        person: &who.person,
        access: who.access,
    };
    Ok(page(layout(
        &format!("History of {}", who.person.display_name),
        Some(&c),
        Some(&about),
        html! {
            h1 { "History" }
            (notice(q.done.as_deref()))
            p { "Everything entered in " (who.person.display_name) "'s journal, newest first. "
                "Nothing is erased: a correction or deletion is a new entry, and the old one stays here." }
            @if write && !entries.is_empty() {
                form.card method="post" action=(format!("{base}/undo")) {
                    (csrf(&c))
                    p.hint #undo-hint { "Reverts the newest entry below. Undo again to bring it back." }
                    button #undo type="submit" aria-describedby="undo-hint" { "Undo the last change" }
                }
            }
            @if entries.is_empty() {
                p { "Nothing has been entered yet." }
            } @else {
                div.table-wrap {
                    table #history {
                        caption.visually-hidden { "Journal entries, newest first" }
                        thead { tr {
                            th scope="col" { "#" }
                            th scope="col" { "What" }
                            th scope="col" { "Date" }
                            th scope="col" { "Recorded" }
                            th scope="col" { "State" }
                            @if write { th scope="col" { span.visually-hidden { "Actions" } } }
                        } }
                        tbody {
                            @for e in entries.iter().rev() {
                                @let replaced = by.get(&e.id);
                                tr id=(format!("entry-{}", e.id.0)) class=[replaced.map(|_| "superseded")] {
                                    td { (e.id.0) }
                                    td { strong { (kind_label(e.kind())) } br;
                                        @if e.payload == Payload::Tombstone {
                                            "deletes #" (e.supersedes.map(|s| s.0).unwrap_or_default())
                                        } @else { (e.payload.summary()) } }
                                    td { time datetime=(e.effective) { (day(e.effective)) } }
                                    td { time datetime=(e.recorded_at.to_rfc3339()) { (e.recorded_at.format("%Y-%m-%d %H:%M UTC")) } }
                                    td { (state(e, replaced.copied())) }
                                    @if write {
                                        td { @if replaced.is_none() && e.payload != Payload::Tombstone {
                                            @if correctable(e) {
                                                a href=(format!("{base}/{}/correct", e.id.0)) aria-label=(format!("Correct entry {}", e.id.0)) { "Correct" }
                                                " "
                                            }
                                            form.inline method="post" action=(format!("{base}/{}/delete", e.id.0)) {
                                                (csrf(&c))
                                                button.danger type="submit" aria-label=(format!("Delete entry {}", e.id.0)) { "Delete" }
                                            }
                                        } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )))
}

fn state(e: &Entry, replaced: Option<&Entry>) -> Markup {
    html! {
        @match replaced {
            Some(r) if r.payload == Payload::Tombstone => { span.badge { "deleted" } " by #" (r.id.0) }
            Some(r) => { span.badge { "corrected" } " by #" (r.id.0) }
            None => {
                @match (e.supersedes, &e.payload) {
                    (Some(old), Payload::Tombstone) => { "deletion of #" (old.0) }
                    (Some(old), _) => { "replaces #" (old.0) }
                    (None, _) => { "current" }
                }
            }
        }
    }
}

pub async fn undo(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
) -> PageResult {
    let undone = web
        .pages()
        .undo(c.user.id, PersonId(id), Utc::now())
        .await?;
    let what = match &undone.restored {
        Some(old) if undone.reverted.payload == Payload::Tombstone => {
            format!("Brought back #{} ({}).", old.id.0, old.payload.summary())
        }
        Some(old) => format!(
            "Undid #{}; #{} ({}) is back.",
            undone.reverted.id.0,
            old.id.0,
            old.payload.summary()
        ),
        None => format!(
            "Undid #{} ({}).",
            undone.reverted.id.0,
            undone.reverted.payload.summary()
        ),
    };
    Ok(done(&format!("/people/{id}/history"), &what))
}

pub async fn delete(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path((id, entry)): Path<(i64, i64)>,
) -> PageResult {
    web.pages()
        .delete(c.user.id, PersonId(id), EntryId(entry), web.clock())
        .await?;
    Ok(done(
        &format!("/people/{id}/history"),
        &format!("Deleted #{entry}. Undo brings it back."),
    ))
}

/// The correction form's fields, as text (so a bad value comes back as typed).
#[derive(Debug, Default, Deserialize)]
pub struct CorrectForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    sleep_hours: String,
}

const FIELDS: [&str; 5] = ["date", "value", "unit", "severity", "sleep_hours"];

/// The entry to correct: live, and a lab or diary night.
async fn target(web: &Web, c: &Caller, id: i64, entry: i64) -> Result<Entry, PageError> {
    let entries = web
        .pages()
        .entries(c.user.id, PersonId(id), None, Utc::now())
        .await?;
    let found = entries
        .iter()
        .find(|e| e.id == EntryId(entry))
        .cloned()
        .ok_or_else(|| PageError {
            status: StatusCode::NOT_FOUND,
            message: format!("no entry #{entry} in this journal"),
        })?;
    if !correctable(&found) {
        return Err(invalid(format!(
            "entry #{entry} is not a blood result or a diary night; correct it on its own page"
        )));
    }
    if entries.iter().any(|e| e.supersedes == Some(found.id)) {
        return Err(invalid(format!(
            "entry #{entry} was already corrected or deleted; correct its latest version"
        )));
    }
    Ok(found)
}

fn prefilled(e: &Entry) -> CorrectForm {
    let date = e.effective.to_string();
    match &e.payload {
        Payload::Lab(l) => CorrectForm {
            date,
            value: num(l.value),
            unit: l.unit.clone(),
            ..CorrectForm::default()
        },
        Payload::Diary(d) => CorrectForm {
            date,
            severity: d.severity.map(|s| s.to_string()).unwrap_or_default(),
            sleep_hours: d.sleep_hours.map(num).unwrap_or_default(),
            ..CorrectForm::default()
        },
        _ => CorrectForm {
            date,
            ..CorrectForm::default()
        },
    }
}

pub async fn correct_form(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path((id, entry)): Path<(i64, i64)>,
) -> PageResult {
    let who = web
        .pages()
        .authorize(c.user.id, PersonId(id), Access::Write, Utc::now())
        .await?;
    let e = target(&web, &c, id, entry).await?;
    Ok(page(correct_page(&web, &c, &who, &e, &prefilled(&e), None)))
}

fn input(
    id: &str,
    label: &str,
    kind: &str,
    value: &str,
    hint: Option<&str>,
    error: Option<(&str, &str)>,
) -> Markup {
    let mine = error.filter(|(f, _)| *f == id).map(|(_, m)| m);
    let mut described = Vec::new();
    if hint.is_some() {
        described.push(format!("{id}-hint"));
    }
    if mine.is_some() {
        described.push(format!("{id}-error"));
    }
    let described = (!described.is_empty()).then(|| described.join(" "));
    html! {
        label for=(id) { (label) }
        @if let Some(h) = hint { p.hint id=(format!("{id}-hint")) { (h) } }
        input id=(id) name=(id) type=(kind) value=(value) aria-describedby=[described]
            aria-invalid=[mine.map(|_| "true")];
        (field_error(id, mine))
    }
}

fn correct_page(
    web: &Web,
    c: &Caller,
    who: &willis_app::Authorized,
    e: &Entry,
    f: &CorrectForm,
    error: Option<&str>,
) -> Markup {
    let field = error.and_then(|m| field_of(m, &FIELDS));
    let err = field.zip(error);
    let id = who.person.id.0;
    let about = About {
        person: &who.person,
        access: who.access,
    };
    let today = web.today().to_string();
    layout(
        &format!("Correct entry #{}", e.id.0),
        Some(c),
        Some(&about),
        html! {
            h1 { "Correct entry #" (e.id.0) }
            p { "Now: " strong { (e.payload.summary()) } " on " (day(e.effective)) "." }
            @if let (Some(m), None) = (error, field) { p.error role="alert" { (m) } }
            form.card method="post" action=(format!("/people/{id}/history/{}/correct", e.id.0)) {
                (csrf(c))
                @match &e.payload {
                    Payload::Lab(l) => {
                        p { "Test: " strong { (l.test) } }
                        (input("value", "Value", "text", &f.value, None, err))
                        (input("unit", "Unit", "text", &f.unit, Some("As printed on the report, e.g. ng/mL or µg/L."), err))
                        (input("date", "Date of the blood test", "date", &f.date, None, err))
                    }
                    _ => {
                        (input("severity", "Severity (0 = none, 10 = worst)", "number", &f.severity, None, err))
                        (input("sleep_hours", "Hours of sleep", "text", &f.sleep_hours, Some("Leave empty if you do not know."), err))
                        (input("date", "Night of", "date", &f.date, None, err))
                    }
                }
                p.hint { "Dates may not be after " (today) "." }
                button #save type="submit" { "Save the correction" }
            }
            p { a href=(format!("/people/{id}/history")) { "Back to the history" } }
        },
    )
}

fn parse_number(field: &str, text: &str, required: bool) -> Result<Option<f64>, String> {
    let text = text.trim().replace(',', ".");
    if text.is_empty() {
        return if required {
            Err(format!("{field}: enter a number"))
        } else {
            Ok(None)
        };
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(format!("{field}: {text:?} is not a number")),
    }
}

/// The corrected payload and its date, or a message naming the field.
fn corrected(e: &Entry, f: &CorrectForm) -> Result<(NaiveDate, Payload), String> {
    let date = NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d")
        .map_err(|_| format!("date: {:?} is not a date; use YYYY-MM-DD", f.date.trim()))?;
    let payload = match &e.payload {
        Payload::Lab(l) => {
            let value = parse_number("value", &f.value, true)?.unwrap_or_default();
            let unit = f.unit.trim();
            if unit.is_empty() {
                return Err("unit: enter the unit printed on the report".into());
            }
            Payload::Lab(LabFile {
                value,
                unit: unit.to_string(),
                date: date.to_string(),
                ..l.clone()
            })
        }
        Payload::Diary(d) => {
            let severity = match parse_number("severity", &f.severity, false)? {
                None => None,
                Some(s) if s.fract() == 0.0 && (0.0..=10.0).contains(&s) => Some(s as i64),
                Some(_) => return Err("severity: use a whole number from 0 to 10".into()),
            };
            Payload::Diary(DiaryFile {
                date: date.to_string(),
                severity,
                sleep_hours: parse_number("sleep_hours", &f.sleep_hours, false)?,
                ..d.clone()
            })
        }
        _ => return Err("only blood results and diary nights are corrected here".into()),
    };
    Ok((date, payload))
}

pub async fn correct(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path((id, entry)): Path<(i64, i64)>,
    Form(f): Form<CorrectForm>,
) -> PageResult {
    let who = web
        .pages()
        .authorize(c.user.id, PersonId(id), Access::Write, Utc::now())
        .await?;
    let e = target(&web, &c, id, entry).await?;
    let result = match corrected(&e, &f) {
        Ok((date, payload)) => web
            .pages()
            .correct(c.user.id, PersonId(id), e.id, date, payload, web.clock())
            .await
            .map_err(|err| match err {
                AppError::Invalid(m) | AppError::Journal(m) => Ok(m),
                other => Err(other),
            }),
        Err(m) => Err(Ok(m)),
    };
    match result {
        Ok(new) => Ok(done(
            &format!("/people/{id}/history"),
            &format!(
                "Corrected #{}: now {} (#{}).",
                e.id.0,
                new.payload.summary(),
                new.id.0
            ),
        )),
        Err(Ok(message)) => {
            let mut r = page(correct_page(&web, &c, &who, &e, &f, Some(&message)));
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(Err(other)) => Err(other.into()),
    }
}
