//! Reminders: the follow-up as a calendar file, and secret calendar links a
//! calendar app subscribes to (and that the caller can revoke).

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::html;
use willis_app::{AppError, When};
use willis_core::Profile;
use willis_store::{PersonId, Store, Token, TokenId, TokenKind};

use super::{done, query_of};
use crate::api::render;
use crate::auth::{self, Caller, PageCaller};
use crate::error::ApiError;
use crate::pages::plan::{about, PlanParams};
use crate::pages::{csrf, layout, notice, page, About, PageError, PageResult};
use crate::Web;

/// How far ahead a calendar looks.
const HORIZON_DAYS: u32 = 365;

/// The caller's calendar links for person `id`, newest first.
async fn links(web: &Web, c: &Caller, id: i64) -> Result<Vec<Token>, PageError> {
    let mut tokens: Vec<Token> = web
        .store()
        .tokens_of(c.user.id)
        .await
        .map_err(|e| ApiError::internal("calendar links", &e))?
        .into_iter()
        .filter(|t| t.kind == TokenKind::Calendar && t.person_id == Some(PersonId(id)))
        .collect();
    tokens.sort_by_key(|t| std::cmp::Reverse(t.created_at));
    Ok(tokens)
}

/// The address the app is reached at: the public URL, else the `Host` the
/// request came to.
fn origin(web: &Web, headers: &HeaderMap) -> String {
    match &web.config().public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .filter(|h| {
                    h.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')
                    })
                })
                .unwrap_or("localhost");
            format!("http://{host}")
        }
    }
}

pub async fn show(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Query(params): Query<PlanParams>,
) -> PageResult {
    render_page(&web, &c, id, &params, None).await
}

async fn render_page(
    web: &Web,
    c: &Caller,
    id: i64,
    params: &PlanParams,
    new_url: Option<&str>,
) -> PageResult {
    let who = about(web, c, id).await?;
    let q = params.query()?;
    let (when, profile) = (q.when(web)?, q.profile()?);
    let planned = web
        .pages()
        .plan(c.user.id, PersonId(id), when, profile, Utc::now())
        .await?;
    let tokens = links(web, c, id).await?;
    let now = Utc::now();
    let base = format!("/people/{id}");
    let about = About {
        person: &who.person,
        access: who.access,
    };
    Ok(page(layout(
        &format!("Reminders for {}", who.person.display_name),
        Some(c),
        Some(&about),
        html! {
            h1 { "Reminders" }
            (notice(params.done.as_deref()))
            @if planned.assessment.schedule.is_empty() {
                p { "The plan has no dated follow-up yet; the calendar will fill in as the plan does." }
            } @else {
                h2 { "What is due" }
                ul.schedule {
                    @for item in &planned.assessment.schedule {
                        li { time datetime=(item.date) { (super::day(item.date)) } " — " (item.title) }
                    }
                }
            }
            h2 { "Download" }
            p { a.button #download-ics href=(format!("{base}/reminders.ics{}", query_of(params))) { "Download calendar file (.ics)" } }
            p.hint { "Open the file to add the dates to your calendar once. It does not change when the plan changes." }

            h2 #subscribe { "Subscribe" }
            p { "A calendar link keeps your calendar app up to date with the plan. "
                "In the app, choose “Subscribe to calendar” or “Add calendar from URL” and paste the link. "
                "The “webcal” form of the link opens the calendar app directly on many phones." }
            p.hint { "Anyone with the link can see these reminders (the dates and what is due), so keep it private. "
                "Revoke a link you no longer use; it stops working at once." }
            @if let Some(url) = new_url {
                div.card #new-link role="status" {
                    p { strong { "Copy this link now; it is not shown again." } }
                    p { code.secret #calendar-url { (url) } }
                    @let webcal = url.replacen("https://", "webcal://", 1).replacen("http://", "webcal://", 1);
                    p { a href=(webcal) { "Open in your calendar app (webcal)" } }
                }
            }
            form.card method="post" action=(format!("{base}/reminders/link")) {
                (csrf(c))
                button #create-link type="submit" { "Create a calendar link" }
            }
            @if !tokens.is_empty() {
                h3 { "Your calendar links" }
                div.table-wrap {
                    table #calendar-links {
                        thead { tr { th scope="col" { "Created" } th scope="col" { "State" } th scope="col" { span.visually-hidden { "Action" } } } }
                        tbody {
                            @for t in &tokens {
                                tr {
                                    td { (t.created_at.format("%Y-%m-%d %H:%M UTC")) }
                                    td { (if t.active_at(now) { "active" } else { "revoked" }) }
                                    td {
                                        @if t.active_at(now) {
                                            form.inline method="post" action=(format!("{base}/reminders/link/{}/revoke", t.id.0)) {
                                                (csrf(c))
                                                button.danger type="submit" aria-label=(format!("Revoke the calendar link created {}", t.created_at.format("%Y-%m-%d %H:%M"))) { "Revoke" }
                                            }
                                        }
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

/// `GET /people/{id}/reminders.ics`: the calendar file.
pub async fn ics(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Query(params): Query<PlanParams>,
) -> PageResult {
    let q = params.query()?;
    Ok(render::reminders(&web, web.pages(), c.user.id, id, &q).await?)
}

/// `POST /people/{id}/reminders/link`: a new calendar link, shown once.
pub async fn create_link(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> PageResult {
    let who = about(&web, &c, id).await?;
    let (secret, _) = auth::issue(
        &web,
        &c.user,
        TokenKind::Calendar,
        "calendar",
        Some(who.person.id),
        None,
    )
    .await?;
    let url = format!("{}/calendar/{secret}.ics", origin(&web, &headers));
    render_page(&web, &c, id, &PlanParams::default(), Some(&url)).await
}

/// `POST /people/{id}/reminders/link/{token}/revoke`: ends one of the
/// caller's own calendar links for this person.
pub async fn revoke_link(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path((id, token)): Path<(i64, i64)>,
) -> PageResult {
    about(&web, &c, id).await?;
    let mine = links(&web, &c, id).await?;
    if !mine.iter().any(|t| t.id == TokenId(token)) {
        return Err(PageError {
            status: StatusCode::NOT_FOUND,
            message: format!("no calendar link #{token}"),
        });
    }
    web.store()
        .revoke_token(TokenId(token), Utc::now())
        .await
        .map_err(|e| ApiError::internal("calendar links", &e))?;
    Ok(done(
        &format!("/people/{id}/reminders"),
        "The calendar link was revoked.",
    ))
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "not found\n",
    )
        .into_response()
}

/// `GET /calendar/{secret}.ics`: the subscribed calendar, without a session.
/// The link's owner must still be allowed to read the person, so a revoked
/// share stops the feed too.
/// Whether the access the link was made under still holds: the owner's
/// own link, or a share to its maker that is active now and was granted
/// before the link was made.
async fn linked_share_still_active(
    web: &Web,
    token: &willis_store::Token,
    person: willis_store::PersonId,
    now: chrono::DateTime<Utc>,
) -> Result<bool, willis_store::StoreError> {
    use willis_store::Store;
    let Some(p) = web.store().person(person).await? else {
        return Ok(false);
    };
    if p.owner_id == token.user_id {
        return Ok(true);
    }
    Ok(web.store().shares(person).await?.iter().any(|s| {
        s.grantee_id == token.user_id && s.active_at(now) && s.created_at <= token.created_at
    }))
}

pub async fn feed(State(web): State<Web>, Path(secret): Path<String>) -> Response {
    let secret = secret.strip_suffix(".ics").unwrap_or(&secret);
    if secret.is_empty() || secret.len() > 128 {
        return not_found();
    }
    let token = match web.store().token_by_hash(&auth::digest(secret)).await {
        Ok(Some(t)) => t,
        Ok(None) => return not_found(),
        Err(e) => return ApiError::internal("calendar feed", &e).into_response(),
    };
    let now = Utc::now();
    let Some(person) = token.person_id else {
        return not_found();
    };
    if token.kind != TokenKind::Calendar || !token.active_at(now) {
        return not_found();
    }
    // A link made under a share ends with that share: it does not come back
    // when the person is shared again later.
    match linked_share_still_active(&web, &token, person, now).await {
        Ok(true) => {}
        Ok(false) => return not_found(),
        Err(e) => return ApiError::internal("calendar feed", &e).into_response(),
    }
    let when = When {
        as_of: web.today(),
        known_at: None,
    };
    match web
        .pages()
        .reminders(
            token.user_id,
            person,
            when,
            Profile::default(),
            HORIZON_DAYS,
            now,
        )
        .await
    {
        Ok(ics) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "inline; filename=\"willis.ics\"",
                ),
            ],
            ics,
        )
            .into_response(),
        Err(AppError::NotFound(_) | AppError::Forbidden(_)) => not_found(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
