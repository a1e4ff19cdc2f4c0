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
use crate::security::{self, ATTEMPTS_PER_CLIENT, ATTEMPT_WINDOW, CSRF_FIELD, FAILURES_PER_USER};
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
        .route("/account/sessions/end-others", post(end_other_sessions))
        .route("/account/password", post(change_password))
}

/// Creates an account after checking the name and password policy. The
/// name is stored normalised (`Ana` is `ana`).
pub async fn create_account(
    web: &Web,
    username: &str,
    password: &str,
    origin: &str,
) -> ApiResult<User> {
    let username = auth::normalize_username(username);
    let username = username.as_str();
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
    audit_account(web, Some(user.id), "signup", "", origin).await;
    Ok(user)
}

/// An audit row about an account (no person): sign-up, sign-in, a failed
/// sign-in, sign-out, tokens and passwords.
pub async fn audit_account(
    web: &Web,
    user: Option<willis_store::UserId>,
    action: &str,
    detail: &str,
    origin: &str,
) {
    let written = web
        .store()
        .audit(willis_store::NewAudit {
            user_id: user,
            person_id: None,
            action: action.to_string(),
            detail: detail.to_string(),
            origin: origin.to_string(),
        })
        .await;
    if let Err(e) = written {
        eprintln!("willis serve: audit of {action}: {e}");
    }
}

/// Signs in with the per-name failure limit; one answer for a wrong name or
/// password. The attempt is counted before the password is checked, so
/// parallel guesses cannot slip past the limit.
pub async fn checked_sign_in(
    web: &Web,
    username: &str,
    password: &str,
    origin: &str,
) -> ApiResult<User> {
    let username = auth::normalize_username(username);
    let key = format!("failures:{username}");
    let locked = || {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many failed attempts for this name; try again in 15 minutes",
        )
    };
    if web
        .limiter()
        .hit(&key, FAILURES_PER_USER, ATTEMPT_WINDOW)
        .is_err()
    {
        audit_account(web, None, "signin-locked", &username, origin).await;
        return Err(locked());
    }
    match auth::sign_in(web, &username, password).await? {
        Some(user) => {
            web.limiter().forget(&key);
            audit_account(web, Some(user.id), "signin", "", origin).await;
            Ok(user)
        }
        None => {
            audit_account(web, None, "signin-failed", &username, origin).await;
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
fn pre_session(web: &Web, headers: &HeaderMap) -> (String, bool) {
    match auth::cookie(headers, web.pre_session_cookie()) {
        Some(t) if t.len() >= 32 => (t.to_string(), false),
        _ => (auth::new_secret(), true),
    }
}

#[derive(Debug, Default, Deserialize)]
struct Next {
    next: Option<String>,
}

/// Where to go after signing in: a path of this app only. A single leading
/// `/` followed by anything but `/` or `\`, and no control or space
/// characters, which browsers drop (`/\t/evil.com` would leave the site).
pub fn safe_next(next: Option<&str>) -> String {
    let local = |n: &&str| {
        let mut chars = n.chars();
        chars.next() == Some('/')
            && !matches!(chars.next(), Some('/') | Some('\\'))
            && !n.contains('\\')
            && n.chars()
                .all(|c| c > ' ' && c != '\u{7f}' && !c.is_whitespace())
            && axum::http::HeaderValue::from_str(n).is_ok()
    };
    next.filter(local).unwrap_or("/people").to_string()
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
            web.cookie(web.pre_session_cookie(), token, 7200),
        );
    }
    response
}

async fn signup_form(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(n): Query<Next>,
) -> Response {
    let (token, set) = pre_session(&web, &headers);
    let next = safe_next(n.next.as_deref());
    let form = credentials_form(&web, &token, true, "", &next, CredentialErrors::default());
    with_pre_session(&web, form, &token, set, StatusCode::OK)
}

async fn signin_form(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(n): Query<Next>,
) -> Response {
    let (token, set) = pre_session(&web, &headers);
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
        web.cookie(web.session_cookie(), secret, auth::SESSION_HOURS * 3600),
    );
    h.append(
        header::SET_COOKIE,
        web.cookie(web.pre_session_cookie(), "", 0),
    );
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
    let (token, _) = pre_session(&web, &headers);
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
            create_account(&web, &f.username, &f.password, "web").await
        }
    } else {
        checked_sign_in(&web, &f.username, &f.password, "web").await
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
    audit_account(&web, Some(c.user.id), "signout", "", "web").await;
    let mut response = Redirect::to("/signin").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, web.cookie(web.session_cookie(), "", 0));
    response
}

#[derive(Deserialize, Default)]
struct AccountQuery {
    done: Option<String>,
}

async fn account(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Query(q): Query<AccountQuery>,
) -> PageResult {
    account_page(&web, &c, None, q.done.as_deref(), None).await
}

async fn account_page(
    web: &Web,
    c: &auth::Caller,
    new_secret: Option<&str>,
    done: Option<&str>,
    password_error: Option<&str>,
) -> PageResult {
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
            (notice(done))
            p { "Signed in as " strong { (c.user.name) } "." }
            h2 { "Where you are signed in" }
            @let sessions: Vec<_> = tokens.iter().filter(|t| t.kind == TokenKind::Session && t.active_at(now)).collect();
            div.table-wrap {
                table {
                    thead { tr { th { "Browser" } th { "Signed in" } th { "Ends" } } }
                    tbody {
                        @for t in &sessions {
                            tr {
                                td { (t.label) @if t.id == c.token.id { " " span.badge { "this one" } } }
                                td { (t.created_at.format("%Y-%m-%d %H:%M UTC")) }
                                td { @if let Some(e) = t.expires_at { (e.format("%Y-%m-%d %H:%M UTC")) } }
                            }
                        }
                    }
                }
            }
            @if sessions.len() > 1 {
                form method="post" action="/account/sessions/end-others" {
                    (csrf(c))
                    button.danger #end-others type="submit" { "Sign out everywhere else" }
                }
            }
            h2 { "Change password" }
            form.card method="post" action="/account/password" {
                (csrf(c))
                label for="current" { "Current password" }
                input #current type="password" name="current" required autocomplete="current-password";
                label for="new-password" { "New password" }
                p.hint #new-password-hint { "At least " (auth::MIN_PASSWORD) " characters. Changing it signs you out everywhere else and ends your API tokens." }
                input #new-password type="password" name="new" required autocomplete="new-password"
                    aria-describedby=(if password_error.is_some() { "new-password-hint new-password-error" } else { "new-password-hint" });
                (field_error("new-password", password_error))
                button #change-password type="submit" { "Change password" }
            }
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
    let (secret, t) =
        auth::issue(&web, &c.user, TokenKind::Api, f.label.trim(), None, None).await?;
    audit_account(
        &web,
        Some(c.user.id),
        "token-create",
        &format!("token {}", t.id),
        "web",
    )
    .await;
    account_page(&web, &c, Some(&secret), None, None).await
}

/// Ends every session and API token of the user but `keep`; how many.
async fn end_all_but(web: &Web, user: &User, keep: TokenId) -> Result<usize, ApiError> {
    let now = Utc::now();
    let tokens = web
        .store()
        .tokens_of(user.id)
        .await
        .map_err(|e| ApiError::internal("tokens", &e))?;
    let mut ended = 0;
    for t in tokens.iter().filter(|t| {
        t.id != keep && t.active_at(now) && matches!(t.kind, TokenKind::Session | TokenKind::Api)
    }) {
        web.store()
            .revoke_token(t.id, now)
            .await
            .map_err(|e| ApiError::internal("tokens", &e))?;
        ended += 1;
    }
    Ok(ended)
}

async fn end_other_sessions(State(web): State<Web>, PageCaller(c): PageCaller) -> PageResult {
    let now = Utc::now();
    let tokens = web
        .store()
        .tokens_of(c.user.id)
        .await
        .map_err(|e| ApiError::internal("tokens", &e))?;
    for t in tokens
        .iter()
        .filter(|t| t.kind == TokenKind::Session && t.id != c.token.id && t.active_at(now))
    {
        web.store()
            .revoke_token(t.id, now)
            .await
            .map_err(|e| ApiError::internal("tokens", &e))?;
    }
    audit_account(&web, Some(c.user.id), "signout-others", "", "web").await;
    Ok(Redirect::to("/account?done=Signed+out+everywhere+else.").into_response())
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new: String,
}

async fn change_password(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    let key = format!("failures:{}", c.user.name);
    if web
        .limiter()
        .hit(&key, FAILURES_PER_USER, ATTEMPT_WINDOW)
        .is_err()
    {
        return Ok(security::too_many(900, false));
    }
    let stored = c.user.password_hash.clone();
    if !auth::verify_password(stored, f.current.clone()).await {
        audit_account(&web, Some(c.user.id), "password-change-refused", "", "web").await;
        let mut r = account_page(
            &web,
            &c,
            None,
            None,
            Some("current: the current password is wrong"),
        )
        .await?;
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    if let Err(m) = auth::check_new_password(&f.new) {
        let mut r = account_page(&web, &c, None, None, Some(&m)).await?;
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    let hash = auth::hash_password(f.new).await?;
    web.store()
        .set_password(c.user.id, &hash)
        .await
        .map_err(|e| ApiError::internal("password", &e))?;
    web.limiter().forget(&key);
    let ended = end_all_but(&web, &c.user, c.token.id).await?;
    audit_account(
        &web,
        Some(c.user.id),
        "password-change",
        &format!("{ended} sessions and tokens ended"),
        "web",
    )
    .await;
    Ok(
        Redirect::to("/account?done=Password+changed%3B+you+are+signed+out+everywhere+else.")
            .into_response(),
    )
}

async fn token_revoke(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
) -> Result<Redirect, PageError> {
    revoke_own_token(&web, &c.user, TokenId(id)).await?;
    audit_account(
        &web,
        Some(c.user.id),
        "token-revoke",
        &format!("token {id}"),
        "web",
    )
    .await;
    Ok(Redirect::to("/account"))
}
