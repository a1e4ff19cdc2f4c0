//! Sign up, sign in, sign out, and the account page (API tokens).

use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use maud::{html, Markup};
use serde::Deserialize;
use willis_store::{Store, TokenId, TokenKind, User};

use super::{csrf, field_error, layout, notice, page, PageError, PageResult};
use crate::auth::{self, MaybeCaller, PageCaller};
use crate::error::{ApiError, ApiResult};
use crate::security::{
    self, ATTEMPTS_PER_CLIENT, ATTEMPT_WINDOW, CSRF_FIELD, FAILURES_PER_USER, PRE_SESSION_COOKIE,
};
use crate::Web;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/", get(home))
        .route("/signup", get(signup_form).post(signup))
        .route("/signin", get(signin_form).post(signin))
        .route("/signout", post(signout))
        .route("/account", get(account))
        .route("/account/tokens", post(token_create))
        .route("/account/tokens/{id}/revoke", post(token_revoke))
}

/// Creates an account after checking the name and password policy.
pub async fn create_account(web: &Web, username: &str, password: &str) -> ApiResult<User> {
    let username = username.trim();
    auth::check_username(username).map_err(ApiError::invalid)?;
    auth::check_new_password(password).map_err(ApiError::invalid)?;
    if web
        .store()
        .user_by_name(username)
        .await
        .map_err(|e| ApiError::internal("sign up", &e))?
        .is_some()
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("username: {username:?} is taken; choose another"),
        ));
    }
    let hash = auth::hash_password(password.to_string()).await?;
    let user = web
        .store()
        .create_user(username, Some(&hash))
        .await
        .map_err(|e| match e {
            willis_store::StoreError::NameTaken { .. } => ApiError::new(
                StatusCode::CONFLICT,
                format!("username: {username:?} is taken; choose another"),
            ),
            other => ApiError::internal("sign up", &other),
        })?;
    audit_account(web, &user, "signup").await;
    Ok(user)
}

async fn audit_account(web: &Web, user: &User, action: &str) {
    let _ = web
        .store()
        .audit(willis_store::NewAudit {
            user_id: Some(user.id),
            person_id: None,
            action: action.to_string(),
            detail: String::new(),
            origin: "web".to_string(),
        })
        .await;
}

/// Signs in with the per-name failure limit; one answer for a wrong name or
/// password.
pub async fn checked_sign_in(web: &Web, username: &str, password: &str) -> ApiResult<User> {
    let key = format!("failures:{}", username.trim().to_lowercase());
    let locked = || {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many failed attempts for this name; try again in 15 minutes",
        )
    };
    if web
        .limiter()
        .exceeded(&key, FAILURES_PER_USER, ATTEMPT_WINDOW)
    {
        return Err(locked());
    }
    match auth::sign_in(web, username.trim(), password).await? {
        Some(user) => {
            audit_account(web, &user, "signin").await;
            Ok(user)
        }
        None => {
            let _ = web.limiter().hit(&key, FAILURES_PER_USER, ATTEMPT_WINDOW);
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "the user name or password is wrong",
            ))
        }
    }
}

/// Ends one of the user's own tokens; another user's token is "not found".
pub async fn revoke_own_token(web: &Web, user: &User, id: TokenId) -> ApiResult<()> {
    let tokens = web
        .store()
        .tokens_of(user.id)
        .await
        .map_err(|e| ApiError::internal("tokens", &e))?;
    if !tokens.iter().any(|t| t.id == id) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no token #{id}"),
        ));
    }
    web.store()
        .revoke_token(id, Utc::now())
        .await
        .map_err(|e| ApiError::internal("tokens", &e))?;
    Ok(())
}

async fn home(MaybeCaller(caller): MaybeCaller) -> Response {
    if caller.is_some() {
        return Redirect::to("/people").into_response();
    }
    page(layout(
        "Restless legs care",
        None,
        None,
        html! {
            h1 { "Willis" }
            p.lead { "Care for restless legs syndrome that follows the guidelines: check the diagnosis, "
                "test iron, remove triggers, treat iron first, and choose medicines in the right order." }
            p { a.button href="/signup" { "Create an account" } " " a href="/signin" { "Sign in" } }
        },
    ))
}

/// The pre-session CSRF token: the one in the cookie, or a new one to set.
fn pre_session(headers: &HeaderMap) -> (String, bool) {
    match auth::cookie(headers, PRE_SESSION_COOKIE) {
        Some(t) if t.len() >= 32 => (t.to_string(), false),
        _ => (auth::new_secret(), true),
    }
}

#[derive(Debug, Default, Deserialize)]
struct Next {
    next: Option<String>,
}

fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or("/people")
        .to_string()
}

#[derive(Default)]
struct CredentialErrors<'a> {
    username: Option<&'a str>,
    password: Option<&'a str>,
    general: Option<&'a str>,
}

fn credentials_form(
    web: &Web,
    token: &str,
    signup: bool,
    name: &str,
    next: &str,
    errors: CredentialErrors,
) -> Markup {
    let (title, action, button) = if signup {
        ("Create an account", "/signup", "Create account")
    } else {
        ("Sign in", "/signin", "Sign in")
    };
    layout(
        title,
        None,
        None,
        html! {
            h1 { (title) }
            @if signup && !web.config().signup {
                p.error role="alert" { "Sign-up is turned off on this server; ask its administrator for an account." }
            }
            @if let Some(g) = errors.general { p.error role="alert" { (g) } }
            form.card method="post" action=(action) {
                input type="hidden" name=(CSRF_FIELD) value=(token);
                input type="hidden" name="next" value=(next);
                label for="username" { "User name" }
                input #username name="username" autocomplete="username" required
                    value=(name) aria-describedby=[errors.username.map(|_| "username-error")];
                (field_error("username", errors.username))
                label for="password" { "Password" }
                @if signup {
                    p.hint #password-hint { "At least " (auth::MIN_PASSWORD) " characters; a few unrelated words work well." }
                }
                input #password type="password" name="password" required
                    autocomplete=(if signup { "new-password" } else { "current-password" })
                    aria-describedby=[errors.password.map(|_| "password-error")];
                (field_error("password", errors.password))
                button type="submit" { (button) }
            }
            @if signup {
                p { "Have an account? " a href="/signin" { "Sign in" } }
            } @else {
                p { "New here? " a href="/signup" { "Create an account" } }
            }
        },
    )
}

fn with_pre_session(
    web: &Web,
    markup: Markup,
    token: &str,
    set: bool,
    status: StatusCode,
) -> Response {
    let mut response = (status, page(markup)).into_response();
    if set {
        response.headers_mut().append(
            header::SET_COOKIE,
            web.cookie(PRE_SESSION_COOKIE, token, 7200),
        );
    }
    response
}

async fn signup_form(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(n): Query<Next>,
) -> Response {
    let (token, set) = pre_session(&headers);
    let next = safe_next(n.next.as_deref());
    let form = credentials_form(&web, &token, true, "", &next, CredentialErrors::default());
    with_pre_session(&web, form, &token, set, StatusCode::OK)
}

async fn signin_form(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(n): Query<Next>,
) -> Response {
    let (token, set) = pre_session(&headers);
    let next = safe_next(n.next.as_deref());
    let form = credentials_form(&web, &token, false, "", &next, CredentialErrors::default());
    with_pre_session(&web, form, &token, set, StatusCode::OK)
}

#[derive(Deserialize)]
struct CredentialsForm {
    username: String,
    password: String,
    next: Option<String>,
}

fn signed_in(web: &Web, secret: &str, next: &str) -> Response {
    let mut response = Redirect::to(next).into_response();
    let h = response.headers_mut();
    h.append(
        header::SET_COOKIE,
        web.cookie(web.session_cookie(), secret, auth::SESSION_DAYS * 86_400),
    );
    h.append(header::SET_COOKIE, web.cookie(PRE_SESSION_COOKIE, "", 0));
    response
}

fn agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("browser")
        .chars()
        .take(120)
        .collect()
}

async fn credentials_post(web: Web, request: Request, signup: bool) -> Response {
    let client = security::client(request.extensions());
    let headers = request.headers().clone();
    let (token, _) = pre_session(&headers);
    let bytes = match axum::body::to_bytes(request.into_body(), web.body_limit()).await {
        Ok(b) => b,
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let Ok(f) = serde_urlencoded::from_bytes::<CredentialsForm>(&bytes) else {
        let form = credentials_form(
            &web,
            &token,
            signup,
            "",
            "/people",
            CredentialErrors {
                general: Some("Fill in the user name and password."),
                ..Default::default()
            },
        );
        return with_pre_session(&web, form, &token, false, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let next = safe_next(f.next.as_deref());
    let kind = if signup { "signup" } else { "login" };
    if let Err(wait) = web.limiter().hit(
        &format!("{kind}:{client}"),
        ATTEMPTS_PER_CLIENT,
        ATTEMPT_WINDOW,
    ) {
        return security::too_many(wait, false);
    }
    let result = if signup {
        if !web.config().signup {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "sign-up is turned off on this server",
            ))
        } else {
            create_account(&web, &f.username, &f.password).await
        }
    } else {
        checked_sign_in(&web, &f.username, &f.password).await
    };
    match result {
        Ok(user) => match auth::start_session(&web, &user, &agent(&headers)).await {
            Ok(secret) => signed_in(&web, &secret, &next),
            Err(e) => PageError::from(e).into_response(),
        },
        Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS => security::too_many(900, false),
        Err(e) => {
            let message = e.message.clone();
            let errors = if message.starts_with("username:") {
                CredentialErrors {
                    username: Some(&message),
                    ..Default::default()
                }
            } else if message.starts_with("password:") {
                CredentialErrors {
                    password: Some(&message),
                    ..Default::default()
                }
            } else {
                CredentialErrors {
                    general: Some(&message),
                    ..Default::default()
                }
            };
            let form = credentials_form(&web, &token, signup, f.username.trim(), &next, errors);
            with_pre_session(&web, form, &token, false, e.status)
        }
    }
}

async fn signup(State(web): State<Web>, request: Request) -> Response {
    credentials_post(web, request, true).await
}

async fn signin(State(web): State<Web>, request: Request) -> Response {
    credentials_post(web, request, false).await
}

async fn signout(State(web): State<Web>, PageCaller(c): PageCaller) -> Response {
    let _ = web.store().revoke_token(c.token.id, Utc::now()).await;
    let mut response = Redirect::to("/signin").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, web.cookie(web.session_cookie(), "", 0));
    response
}

async fn account(State(web): State<Web>, PageCaller(c): PageCaller) -> PageResult {
    account_page(&web, &c, None).await
}

async fn account_page(web: &Web, c: &auth::Caller, new_secret: Option<&str>) -> PageResult {
    let tokens = web
        .store()
        .tokens_of(c.user.id)
        .await
        .map_err(|e| ApiError::internal("tokens", &e))?;
    let now = Utc::now();
    Ok(page(layout(
        "Account",
        Some(c),
        None,
        html! {
            h1 { "Account" }
            p { "Signed in as " strong { (c.user.name) } "." }
            h2 { "API tokens" }
            p { "A token lets a program read and write your journals through the API "
                "(" a href="/api/v1/openapi.json" { "OpenAPI description" } "). Revoke a token you no longer use." }
            @if let Some(s) = new_secret {
                (notice(Some("Copy this token now; it is not shown again.")))
                p { code.secret { (s) } }
            }
            @let api: Vec<_> = tokens.iter().filter(|t| t.kind == TokenKind::Api).collect();
            @if api.is_empty() {
                p { "No API tokens." }
            } @else {
                table {
                    thead { tr { th { "Name" } th { "Created" } th { "State" } th { span.visually-hidden { "Action" } } } }
                    tbody {
                        @for t in api {
                            tr {
                                td { (if t.label.is_empty() { "(no name)" } else { &t.label }) }
                                td { (t.created_at.format("%Y-%m-%d")) }
                                td { (if t.active_at(now) { "active" } else { "ended" }) }
                                td {
                                    @if t.active_at(now) {
                                        form.inline method="post" action=(format!("/account/tokens/{}/revoke", t.id.0)) {
                                            (csrf(c))
                                            button.danger type="submit" aria-label=(format!("Revoke token {}", t.label)) { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form.card method="post" action="/account/tokens" {
                (csrf(c))
                label for="label" { "New token's name" }
                input #label name="label" required maxlength="120" placeholder="e.g. my clinic's EHR";
                button type="submit" { "Create token" }
            }
        },
    )))
}

#[derive(Deserialize)]
struct NewTokenForm {
    label: String,
}

async fn token_create(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Form(f): Form<NewTokenForm>,
) -> PageResult {
    let (secret, _) =
        auth::issue(&web, &c.user, TokenKind::Api, f.label.trim(), None, None).await?;
    account_page(&web, &c, Some(&secret)).await
}

async fn token_revoke(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
) -> Result<Redirect, PageError> {
    revoke_own_token(&web, &c.user, TokenId(id)).await?;
    Ok(Redirect::to("/account"))
}
