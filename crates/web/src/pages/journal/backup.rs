//! Export (a `willis-backup/1` download) and import (a file upload or pasted
//! text), all or nothing.

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;
use willis_app::AppError;
use willis_store::{Backup, Person};

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
pub async fn form(State(_web): State<Web>, PageCaller(c): PageCaller) -> PageResult {
    Ok(page(import_page(&c, None, "")))
}

fn import_page(c: &Caller, error: Option<&str>, pasted: &str) -> maud::Markup {
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
            h1 { "Import a backup" }
            p { "Adds the people of a Willis backup (" code { "willis-backup.json" } ", from " a href="/export" { "Export" }
                ") to your account, as new people you own, with their whole history. "
                "Nothing already here is changed. If anything in the file is wrong, nothing is imported." }
            @if let Some(e) = error {
                p.error #import-error role="alert" { "Nothing was imported: " (e) }
            }
            form.card method="post" action=(action) enctype="multipart/form-data" {
                label for="backup-file" { "Backup file" }
                input #backup-file type="file" name="file" accept=".json,application/json" required;
                button #import-file type="submit" { "Import the file" }
            }
            form.card method="post" action=(action) {
                label for="backup-text" { "Or paste the backup's text" }
                textarea #backup-text name="backup" rows="8" required { (pasted) }
                button #import-text type="submit" { "Import the text" }
            }
        },
    )
}

#[derive(Deserialize)]
struct PastedForm {
    #[serde(default)]
    backup: String,
}

/// The backup's text from an upload or a pasted form.
async fn body_text(web: &Web, request: Request) -> Result<String, String> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        let mut parts = Multipart::from_request(request, web)
            .await
            .map_err(|e| e.body_text())?;
        let mut text = String::new();
        while let Some(field) = parts.next_field().await.map_err(|e| e.body_text())? {
            if matches!(field.name(), Some("file") | Some("backup")) {
                let bytes = field.bytes().await.map_err(|e| e.body_text())?;
                if !bytes.is_empty() {
                    text = String::from_utf8(bytes.to_vec())
                        .map_err(|_| "the file is not text (UTF-8 JSON)".to_string())?;
                }
            }
        }
        Ok(text)
    } else {
        let Form(f) = Form::<PastedForm>::from_request(request, web)
            .await
            .map_err(|e| e.body_text())?;
        Ok(f.backup)
    }
}

/// `POST /import`: a multipart upload (`file`) or a form (`backup`).
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
    let text = match body_text(&web, request).await {
        Ok(t) => t,
        Err(e) => return refused(&c, &e, ""),
    };
    if text.trim().is_empty() {
        return refused(&c, "choose a backup file, or paste its text", "");
    }
    let backup: Backup = match serde_json::from_str(&text) {
        Ok(b) => b,
        Err(e) => {
            let shown = if text.len() <= 64 * 1024 { &text } else { "" };
            return refused(&c, &format!("the file is not a Willis backup ({e})"), shown);
        }
    };
    match web.pages().import_as(c.user.id, &backup, web.clock()).await {
        Ok(people) => page(imported(&c, &people)),
        Err(e @ (AppError::Invalid(_) | AppError::Journal(_))) => refused(&c, &e.to_string(), ""),
        Err(e) => crate::pages::PageError::from(e).into_response(),
    }
}

fn refused(c: &Caller, message: &str, pasted: &str) -> Response {
    let mut r = page(import_page(c, Some(message), pasted));
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    r
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
