//! The web app's pages: server-rendered HTML (maud), no script needed.
//!
//! Every page is a plain form or link, so each flow works with JavaScript
//! off, on a phone, with a screen reader and on paper. The layout, the style
//! sheet and the small helpers all pages share are here; each group of pages
//! has its own module with its own routes.

pub mod account;
pub mod journal;
pub mod person;
pub mod plan;

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use willis_app::AppError;
use willis_store::{Access, Person};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::security::CSRF_FIELD;
use crate::Web;

/// The style sheet: light and dark (by the system setting), phone first, and
/// a print layout.
pub const CSS: &str = include_str!("../../static/willis.css");

/// The routes of every page.
pub fn routes() -> Router<Web> {
    Router::new()
        .route("/static/willis.css", get(css))
        .merge(account::routes())
        .merge(plan::routes())
        .merge(person::routes())
        .merge(journal::routes())
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// Percent-encodes a value for a URL query.
pub fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The person a page is about, for the navigation.
pub struct About<'a> {
    pub person: &'a Person,
    pub access: Access,
}

/// The hidden CSRF field of a form posted with the session.
pub fn csrf(caller: &Caller) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(caller.token.csrf.as_deref().unwrap_or("")); }
}

/// The frame of every page.
pub fn layout(title: &str, caller: Option<&Caller>, about: Option<&About>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · Willis" }
                link rel="stylesheet" href="/static/willis.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { "Willis" }
                    @if let Some(c) = caller {
                        nav aria-label="Account" {
                            a href="/people" { "People" }
                            a href="/account" { "Account" }
                            form.inline method="post" action="/signout" {
                                (csrf(c))
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    } @else {
                        nav aria-label="Account" {
                            a href="/signin" { "Sign in" }
                            a href="/signup" { "Sign up" }
                        }
                    }
                }
                @if let Some(a) = about {
                    (person_nav(a))
                }
                main #main {
                    (body)
                }
                footer.bottom {
                    p { "Willis gives information from published guidelines; it does not replace your doctor. "
                        "Knowledge " (willis_core::KNOWLEDGE_VERSION) "." }
                }
            }
        }
    }
}

fn person_nav(a: &About) -> Markup {
    let id = a.person.id.0;
    let links: &[(&str, &str)] = &[
        ("plan", "Plan"),
        ("questionnaire", "Questionnaire"),
        ("results", "Results"),
        ("medicines", "Medicines"),
        ("iron", "Iron"),
        ("conditions", "Conditions"),
        ("diary", "Diary"),
        ("trends", "Trends"),
        ("letter", "Letter"),
        ("reminders", "Reminders"),
        ("history", "History"),
        ("sharing", "Sharing"),
    ];
    html! {
        nav.person aria-label=(format!("{}'s journal", a.person.display_name)) {
            p.who {
                strong { (a.person.display_name) }
                @if a.access == Access::Read { " " span.badge { "read only" } }
            }
            ul {
                @for (path, label) in links {
                    li { a href=(format!("/people/{id}/{path}")) { (label) } }
                }
            }
        }
    }
}

/// A page that only says something (errors, confirmations).
pub fn message_page(title: &str, message: &str) -> Html<String> {
    Html(
        layout(
            title,
            None,
            None,
            html! {
                h1 { (title) }
                p { (message) }
                p { a href="/" { "Back to the start" } }
            },
        )
        .into_string(),
    )
}

/// An error shown as a page.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        PageError {
            status: e.status,
            message: e.message,
        }
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> PageError {
        ApiError::from(e).into()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = match self.status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "Please check",
            StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
            _ => "Something went wrong",
        };
        (self.status, message_page(title, &self.message)).into_response()
    }
}

pub type PageResult = Result<Response, PageError>;

/// An HTML answer.
pub fn page(markup: Markup) -> Response {
    Html(markup.into_string()).into_response()
}

/// A message beside a form field, announced to screen readers.
pub fn field_error(id: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error {
            p.error id=(format!("{id}-error")) role="alert" { (e) }
        }
    }
}

/// A notice at the top of a page (after a change).
pub fn notice(text: Option<&str>) -> Markup {
    html! {
        @if let Some(t) = text {
            p.notice role="status" { (t) }
        }
    }
}

/// Markdown-free text with line breaks kept.
pub fn paragraphs(text: &str) -> Markup {
    html! {
        @for p in text.split("\n\n") {
            p { (PreEscaped(maud::html!((p)).into_string().replace('\n', "<br>"))) }
        }
    }
}
