//! The pages that show and manage a journal: trends, letter, reminders,
//! history (correct, delete, undo), sharing and the audit log, export and
//! import.

mod backup;
mod history;
mod letter;
mod reminders;
mod sharing;
mod trends;

use super::person::show_number as num;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use super::PageError;
use crate::Web;

pub fn routes() -> Router<Web> {
    let person = "/people/{id}";
    Router::new()
        .route(&format!("{person}/trends"), get(trends::show))
        .route(&format!("{person}/charts/iron.svg"), get(trends::iron_svg))
        .route(
            &format!("{person}/charts/diary.svg"),
            get(trends::diary_svg),
        )
        .route(&format!("{person}/letter"), get(letter::show))
        .route(&format!("{person}/letter.html"), get(letter::html))
        .route(&format!("{person}/letter.pdf"), get(letter::pdf))
        .route(&format!("{person}/reminders"), get(reminders::show))
        .route(&format!("{person}/reminders.ics"), get(reminders::ics))
        .route(
            &format!("{person}/reminders/link"),
            post(reminders::create_link),
        )
        .route(
            &format!("{person}/reminders/link/{{token}}/revoke"),
            post(reminders::revoke_link),
        )
        .route("/calendar/{secret}", get(reminders::feed))
        .route(&format!("{person}/history"), get(history::show))
        .route(&format!("{person}/history/undo"), post(history::undo))
        .route(
            &format!("{person}/history/{{entry}}/delete"),
            post(history::delete),
        )
        .route(
            &format!("{person}/history/{{entry}}/correct"),
            get(history::correct_form).post(history::correct),
        )
        .route(
            &format!("{person}/sharing"),
            get(sharing::show).post(sharing::grant),
        )
        .route(
            &format!("{person}/sharing/{{share}}/revoke"),
            post(sharing::revoke),
        )
        .route("/export", get(backup::export))
        .route(
            "/import",
            get(backup::form)
                .post(backup::import)
                .layer(DefaultBodyLimit::max(crate::IMPORT_LIMIT)),
        )
}

/// After a change: back to `path` with a short notice.
fn done(path: &str, message: &str) -> Response {
    Redirect::to(&format!("{path}?done={}", super::url_encode(message))).into_response()
}

/// A 422 page error with `message`.
fn invalid(message: impl Into<String>) -> PageError {
    PageError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        message: message.into(),
    }
}

/// The field an application message names (`value: ...` names `value`), if
/// it is one of `fields`.
fn field_of<'a>(message: &str, fields: &[&'a str]) -> Option<&'a str> {
    let (name, _) = message.split_once(':')?;
    fields.iter().copied().find(|f| *f == name.trim())
}

/// A date as people read it: `14 Mar 2026`.
fn day(d: chrono::NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// `?as_of=…&guideline=…` to pass on to a linked rendering.
fn query_of(params: &super::plan::PlanParams) -> String {
    let mut parts = Vec::new();
    if let Some(a) = params.as_of.as_deref().filter(|s| !s.trim().is_empty()) {
        parts.push(format!("as_of={}", super::url_encode(a.trim())));
    }
    if let Some(g) = params.guideline.as_deref().filter(|s| !s.is_empty()) {
        parts.push(format!("guideline={}", super::url_encode(g)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_go_to_the_field_they_name() {
        let fields = ["value", "unit", "date"];
        assert_eq!(field_of("value: must be positive", &fields), Some("value"));
        assert_eq!(
            field_of("date: 2099-01-01 is after today", &fields),
            Some("date")
        );
        assert_eq!(
            field_of("this entry would make it invalid: x", &fields),
            None
        );
        assert_eq!(field_of("no colon", &fields), None);
    }

    #[test]
    fn numbers_print_plainly() {
        assert_eq!(num(40.0), "40");
        assert_eq!(num(7.5), "7.5");
        assert_eq!(num(0.126), "0.13");
    }
}
