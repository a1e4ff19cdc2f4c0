//! Export (a `willis-backup/1` download) and import (a file upload or pasted
//! text), all or nothing: a Willis backup adds its people; a FHIR R4 Bundle or
//! a `willis-record/1` file adds its facts to a person (a new one, or one the
//! caller may change).

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;
use willis_app::{AppError, RecordImport};
use willis_store::{Access, Backup, Person};

use crate::auth::{Caller, PageCaller};
use crate::pages::{layout, page, url_encode, PageResult};
use crate::security::CSRF_FIELD;
use crate::Web;

/// `GET /export`: the caller's journals as `willis-backup.json`.
pub async fn export(State(web): State<Web>, PageCaller(c): PageCaller) -> PageResult {
    let backup = web
        .pages()
        .export(c.user.id)
        .await?
        .without_password_hashes();
    let json = serde_json::to_vec_pretty(&backup)
        .map_err(|e| crate::error::ApiError::internal("export", &e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"willis-backup.json\"",
            ),
        ],
        json,
    )
        .into_response())
}

/// `GET /import`.
pub async fn form(State(web): State<Web>, PageCaller(c): PageCaller) -> PageResult {
    let targets = targets(&web, &c).await?;
    Ok(page(import_page(&c, &targets, None, "")))
}

/// The people a Bundle may be added to: those the caller may change.
async fn targets(web: &Web, c: &Caller) -> Result<Vec<Person>, AppError> {
    Ok(web
        .pages()
        .people(c.user.id, web.clock().now)
        .await?
        .into_iter()
        .filter(|(_, access)| *access == Access::Write)
        .map(|(p, _)| p)
        .collect())
}

/// Where a Bundle goes: the choice and the new person's name.
fn target_fields(targets: &[Person]) -> maud::Markup {
    html! {
        fieldset {
            legend { "A FHIR Bundle or a record file goes to" }
            label for="import-into" { "Person" }
            select #import-into name="into" {
                option value="new" selected { "a new person" }
                @for p in targets {
                    option value=(p.id.0) { (p.display_name) }
                }
            }
            label for="import-name" { "Name of the new person" }
            input #import-name type="text" name="name" maxlength="100" value="Imported patient";
        }
    }
}

fn import_page(c: &Caller, targets: &[Person], error: Option<&str>, pasted: &str) -> maud::Markup {
    // Both forms carry the CSRF token in the URL: the upload because its body
    // is multipart, the text because it may be larger than a form's limit.
    let action = format!(
        "/import?{CSRF_FIELD}={}",
        url_encode(c.token.csrf.as_deref().unwrap_or(""))
    );
    layout(
        "Import",
        Some(c),
        None,
        html! {
            h1 { "Import" }
            p { "A Willis backup (" code { "willis-backup.json" } ", from " a href="/export" { "Export" }
                ") adds its people to your account, as new people you own, with their whole history. "
                "Nothing already here is changed. If anything in the file is wrong, nothing is imported." }
            p { "A FHIR R4 Bundle from a clinic's record system (or a Willis record file) adds its results, medicines and "
                "conditions to the person you choose; what is already there is not added twice, and anything in the "
                "Bundle that cannot be used is listed with the reason." }
            @if let Some(e) = error {
                p.error #import-error role="alert" { "Nothing was imported: " (e) }
            }
            form.card method="post" action=(action) enctype="multipart/form-data" {
                label for="backup-file" { "File (backup, FHIR Bundle or record)" }
                input #backup-file type="file" name="file" accept=".json,application/json,application/fhir+json" required;
                (target_fields(targets))
                button #import-file type="submit" { "Import the file" }
            }
            form.card method="post" action=(action) {
                label for="backup-text" { "Or paste the text" }
                textarea #backup-text name="backup" rows="8" required { (pasted) }
                (target_fields(targets))
                button #import-text type="submit" { "Import the text" }
            }
        },
    )
}

#[derive(Deserialize, Default)]
struct PastedForm {
    #[serde(default)]
    backup: String,
    #[serde(default)]
    into: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// The text and choices from an upload or a pasted form.
async fn body_text(web: &Web, request: Request) -> Result<PastedForm, String> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let Form(f) = Form::<PastedForm>::from_request(request, web)
            .await
            .map_err(|e| e.body_text())?;
        return Ok(f);
    }
    let mut parts = Multipart::from_request(request, web)
        .await
        .map_err(|e| e.body_text())?;
    let mut form = PastedForm::default();
    while let Some(field) = parts.next_field().await.map_err(|e| e.body_text())? {
        match field.name() {
            Some("file") | Some("backup") => {
                let bytes = field.bytes().await.map_err(|e| e.body_text())?;
                if !bytes.is_empty() {
                    form.backup = String::from_utf8(bytes.to_vec())
                        .map_err(|_| "the file is not text (UTF-8 JSON)".to_string())?;
                }
            }
            Some("into") => form.into = Some(field.text().await.map_err(|e| e.body_text())?),
            Some("name") => form.name = Some(field.text().await.map_err(|e| e.body_text())?),
            _ => {}
        }
    }
    Ok(form)
}

/// `POST /import`: a multipart upload (`file`) or a form (`backup`), with
/// `into` (`new` or a person's id) and `name` for a Bundle or record file.
pub async fn import(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    request: Request,
) -> Response {
    if let Err(wait) = web.limiter().hit(
        &format!("import:{}", c.user.id),
        crate::security::IMPORTS_PER_USER,
        crate::security::ATTEMPT_WINDOW,
    ) {
        return crate::security::too_many(wait, false);
    }
    let targets = match targets(&web, &c).await {
        Ok(t) => t,
        Err(e) => return crate::pages::PageError::from(e).into_response(),
    };
    let form = match body_text(&web, request).await {
        Ok(f) => f,
        Err(e) => return refused(&c, &targets, &e, ""),
    };
    let text = form.backup.as_str();
    if text.trim().is_empty() {
        return refused(&c, &targets, "choose a file, or paste its text", "");
    }
    let shown = if text.len() <= 64 * 1024 { text } else { "" };
    if is_record(text) {
        return import_record(&web, &c, &targets, &form).await;
    }
    let backup: Backup = match serde_json::from_str(text) {
        Ok(b) => b,
        Err(e) => {
            return refused(
                &c,
                &targets,
                &format!("the text is not a Willis backup, a FHIR Bundle or a record file ({e})"),
                shown,
            );
        }
    };
    match web.pages().import_as(c.user.id, &backup, web.clock()).await {
        Ok(people) => page(imported(&c, &people)),
        Err(e @ (AppError::Invalid(_) | AppError::Journal(_))) => {
            refused(&c, &targets, &e.to_string(), "")
        }
        Err(e) => crate::pages::PageError::from(e).into_response(),
    }
}

/// A FHIR Bundle or a `willis-record/1` file (rather than a backup).
fn is_record(text: &str) -> bool {
    #[derive(Deserialize)]
    struct Peek {
        format: Option<String>,
    }
    willis_fhir::is_bundle(text)
        || serde_json::from_str::<Peek>(text)
            .ok()
            .and_then(|p| p.format)
            .is_some_and(|f| f == willis_core::RECORD_FORMAT)
}

/// Adds a Bundle's (or record file's) facts to the chosen person.
async fn import_record(web: &Web, c: &Caller, targets: &[Person], form: &PastedForm) -> Response {
    let text = form.backup.as_str();
    let clock = web.clock();
    let input = match willis_app::input::from_json(text, clock.today) {
        Ok(i) => i,
        Err(e) => return refused(c, targets, &e.to_string(), ""),
    };
    let into = form.into.as_deref().unwrap_or("new").trim();
    let result = if into == "new" {
        let name = form.name.as_deref().unwrap_or("").trim();
        let name = if name.is_empty() {
            "Imported patient"
        } else {
            name
        };
        web.pages()
            .import_record_as(c.user.id, name, &input.file, clock)
            .await
    } else {
        let Some(person) = into
            .parse::<i64>()
            .ok()
            .and_then(|id| targets.iter().find(|p| p.id.0 == id))
        else {
            return refused(
                c,
                targets,
                "into: choose a new person or one whose journal you may change",
                "",
            );
        };
        web.pages()
            .import_record(c.user.id, person.id, &input.file, false, clock)
            .await
            .map(|done| (person.clone(), done))
    };
    match result {
        Ok((person, done)) => page(imported_record(c, &person, &done, &input)),
        Err(e @ (AppError::Invalid(_) | AppError::Journal(_))) => {
            refused(c, targets, &e.to_string(), "")
        }
        Err(e) => crate::pages::PageError::from(e).into_response(),
    }
}

fn refused(c: &Caller, targets: &[Person], message: &str, pasted: &str) -> Response {
    let mut r = page(import_page(c, targets, Some(message), pasted));
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    r
}

fn imported_record(
    c: &Caller,
    person: &Person,
    done: &RecordImport,
    input: &willis_app::input::Input,
) -> maud::Markup {
    let skipped = &input.skipped;
    layout(
        "Imported",
        Some(c),
        None,
        html! {
            h1 { "Imported" }
            p.notice role="status" {
                "Added " (done.added.len()) " entries to the journal of "
                a href=(format!("/people/{}/plan", person.id.0)) { (person.display_name) } "."
            }
            @if !done.added.is_empty() {
                ul #imported-facts {
                    @for (day, fact) in &done.added {
                        li { (day.format("%Y-%m-%d").to_string()) " — " (fact.summary()) }
                    }
                }
            }
            @if !done.already.is_empty() {
                p { (done.already.len()) " already in the journal, not added again." }
            }
            @if !skipped.is_empty() {
                h2 { "Not used" }
                p { "These parts of the Bundle were not used:" }
                ul #import-skipped {
                    @for s in skipped {
                        li { code { (s.resource) } ": " (s.reason) }
                    }
                }
            }
            @if !input.notes.is_empty() {
                h2 { "Used with a caveat" }
                ul #import-notes {
                    @for s in &input.notes {
                        li { code { (s.resource) } ": " (s.reason) }
                    }
                }
            }
            p { a href=(format!("/people/{}/plan", person.id.0)) { "See the plan" } }
        },
    )
}

fn imported(c: &Caller, people: &[Person]) -> maud::Markup {
    layout(
        "Imported",
        Some(c),
        None,
        html! {
            h1 { "Imported" }
            @if people.is_empty() {
                p.notice role="status" { "The backup held no people; nothing was added." }
            } @else {
                p.notice role="status" { "Added " (people.len()) (if people.len() == 1 { " person" } else { " people" }) ":" }
                ul #imported {
                    @for p in people {
                        li { a href=(format!("/people/{}/plan", p.id.0)) { (p.display_name) } }
                    }
                }
            }
            p { a href="/people" { "All people" } }
        },
    )
}
