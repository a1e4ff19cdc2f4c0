//! Who is calling: passwords, secrets, sessions and API tokens.
//!
//! - Passwords are hashed with argon2id (the crate's defaults: 19 MiB, two
//!   passes), off the async threads. An unknown user name costs the same
//!   verification as a wrong password, so timing does not tell them apart.
//! - Every secret the server hands out (a session cookie, an API token, a
//!   calendar link) is 32 random bytes; only its SHA-256 is stored, in the
//!   database, so several instances share sessions and a stolen database
//!   holds no usable secret.
//! - [`authenticate`] resolves the caller once per request (a bearer token,
//!   else the session cookie) and leaves it in the request's extensions for
//!   the [`Caller`] extractors and the CSRF check.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, PasswordHash as Phc};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use willis_store::{NewToken, PasswordHash, Store, Token, TokenKind, User};

use crate::error::ApiError;
use crate::Web;

/// How long a browser session lasts before signing in again (OWASP ASVS
/// 3.3.2 at level 2: at most 12 hours).
pub const SESSION_HOURS: i64 = 12;
/// How long a token from `POST /api/v1/login` or `/signup` lasts (tokens made
/// on the account page last as long as their maker says).
pub const LOGIN_TOKEN_DAYS: i64 = 30;
/// The shortest password accepted (OWASP ASVS 2.1.1).
pub const MIN_PASSWORD: usize = 12;
/// The longest password accepted (hashing cost is bounded).
pub const MAX_PASSWORD: usize = 128;

/// The signed-in caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub token: Token,
    pub via: Via,
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The browser's session cookie (state changes need the CSRF token).
    Cookie,
    /// `Authorization: Bearer` (an API client; no cookies, no CSRF).
    Bearer,
}

/// 32 random bytes, URL-safe base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a secret.
pub fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two strings in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Passwords so common that every guessing list starts with them (and their
/// lengthened forms); refused whatever their length.
const COMMON: &[&str] = &[
    "password",
    "passw0rd",
    "123456",
    "1234567890",
    "qwerty",
    "qwertyuiop",
    "abc123",
    "letmein",
    "welcome",
    "iloveyou",
    "admin",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "trustno1",
    "whatever",
    "starwars",
    "willis",
    "restlesslegs",
];

/// Checks a new password against the policy; the message names the field.
pub fn check_new_password(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_PASSWORD {
        return Err(format!(
            "password: use at least {MIN_PASSWORD} characters (a few words work well)"
        ));
    }
    if length > MAX_PASSWORD {
        return Err(format!("password: use at most {MAX_PASSWORD} characters"));
    }
    let letters: String = password
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let distinct = {
        let mut seen: Vec<char> = password.chars().collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    };
    let stem = letters.trim_end_matches(|c: char| c.is_ascii_digit());
    let common = COMMON.iter().any(|c| {
        letters == *c
            || stem == *c
            || (!letters.is_empty() && "1234567890".repeat(13).starts_with(&letters))
    });
    if distinct < 4 || password.trim().is_empty() || common {
        return Err(
            "password: that password is among the first any attacker tries; choose a few unrelated words"
                .to_string(),
        );
    }
    Ok(())
}

/// A user name as stored and looked up: trimmed and in lower case, so that
/// `Ana` and `ana` are one account.
pub fn normalize_username(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

/// Checks a new (normalised) user name; the message names the field. Only
/// ASCII letters and digits with `.`, `_`, `-` and `@`, so that no two names
/// look alike on screen.
pub fn check_username(name: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err("username: use 1 to 64 letters (a-z), digits, '.', '_', '-' or '@'".to_string())
    }
}

/// Hashes a password with argon2id on a blocking thread.
pub async fn hash_password(password: String) -> Result<PasswordHash, ApiError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).expect("the operating system's random source");
        let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| PasswordHash::new(h.to_string()))
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| ApiError::internal("hashing", &e))?
    .map_err(|e| ApiError::internal("hashing", &e))
}

/// A hash of nothing anyone knows, verified when the user does not exist.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let salt = SaltString::encode_b64(b"willis-decoy-salt").expect("a valid salt");
        Argon2::default()
            .hash_password(b"no password matches this", &salt)
            .expect("hashing a constant")
            .to_string()
    })
}

/// Verifies a password against a stored hash (or the decoy) off the async
/// threads.
pub async fn verify_password(stored: Option<PasswordHash>, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        let real = stored.is_some();
        let text = stored
            .map(|h| h.expose().to_string())
            .unwrap_or_else(|| decoy().to_string());
        let Ok(parsed) = Phc::new(&text) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && real
    })
    .await
    .unwrap_or(false)
}

/// Checks a user name and password; `None` for a wrong name or password alike.
pub async fn sign_in(web: &Web, username: &str, password: &str) -> Result<Option<User>, ApiError> {
    let user = web
        .store()
        .user_by_name(username)
        .await
        .map_err(|e| ApiError::internal("sign in", &e))?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = verify_password(stored, password.to_string()).await;
    Ok(if ok { user } else { None })
}

/// Issues a secret of `kind` for `user`; returns the secret (shown once) and
/// the stored token.
pub async fn issue(
    web: &Web,
    user: &User,
    kind: TokenKind,
    label: &str,
    person: Option<willis_store::PersonId>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<(String, Token), ApiError> {
    let secret = new_secret();
    let csrf = (kind == TokenKind::Session).then(new_secret);
    let token = web
        .store()
        .create_token(NewToken {
            user_id: user.id,
            kind,
            person_id: person,
            label: label.chars().take(120).collect(),
            csrf,
            created_at: Utc::now(),
            expires_at,
            hash: digest(&secret),
        })
        .await
        .map_err(|e| ApiError::internal("issue token", &e))?;
    Ok((secret, token))
}

/// A new browser session for `user`: the secret for the cookie.
pub async fn start_session(web: &Web, user: &User, agent: &str) -> Result<String, ApiError> {
    let expires = Utc::now() + Duration::hours(SESSION_HOURS);
    let (secret, _) = issue(web, user, TokenKind::Session, agent, None, Some(expires)).await?;
    Ok(secret)
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The caller a token secret names, if it is active and of an accepted kind.
async fn resolve(web: &Web, secret: &str, kinds: &[TokenKind], via: Via) -> Option<Caller> {
    let token = web.store().token_by_hash(&digest(secret)).await.ok()??;
    if !kinds.contains(&token.kind) || !token.active_at(Utc::now()) {
        return None;
    }
    let user = web.store().user(token.user_id).await.ok()??;
    Some(Caller { user, token, via })
}

/// Middleware: finds the caller (bearer token first, then the session
/// cookie) and stores `Option<Caller>` in the request's extensions.
///
/// CDS Hooks calls (`/cds-services…`) are not Willis users: their bearer
/// token is the calling EHR's JWT, checked by the CDS services themselves
/// ([`crate::cds`]), so they pass here with no caller.
pub async fn authenticate(State(web): State<Web>, mut request: Request, next: Next) -> Response {
    if crate::cds::is_cds_path(request.uri().path()) {
        request.extensions_mut().insert(None::<Caller>);
        return next.run(request).await;
    }
    let headers = request.headers();
    let caller = if let Some(secret) = bearer(headers) {
        resolve(
            &web,
            secret,
            &[TokenKind::Api, TokenKind::Session],
            Via::Bearer,
        )
        .await
    } else if let Some(secret) = cookie(headers, web.session_cookie()) {
        resolve(&web, secret, &[TokenKind::Session], Via::Cookie).await
    } else {
        None
    };
    let bearer_refused = caller.is_none() && bearer(request.headers()).is_some();
    if bearer_refused {
        // A bad bearer token is an error even where signing in is optional.
        return ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "the bearer token is unknown, revoked or expired; sign in again",
        )
        .into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

fn caller_of(parts: &Parts) -> Option<Caller> {
    parts.extensions.get::<Option<Caller>>().cloned().flatten()
}

/// The caller of an API call; 401 without one.
pub struct ApiCaller(pub Caller);

impl FromRequestParts<Web> for ApiCaller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &Web) -> Result<Self, Self::Rejection> {
        caller_of(parts)
            .map(ApiCaller)
            .ok_or_else(ApiError::unauthenticated)
    }
}

/// The caller of a page; a redirect to the sign-in page without one.
pub struct PageCaller(pub Caller);

impl FromRequestParts<Web> for PageCaller {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &Web) -> Result<Self, Self::Rejection> {
        caller_of(parts).map(PageCaller).ok_or_else(|| {
            let back = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .filter(|p| p.starts_with('/') && !p.starts_with("//"))
                .unwrap_or("/");
            let to = format!("/signin?next={}", crate::pages::url_encode(back));
            Redirect::to(&to).into_response()
        })
    }
}

/// The caller, if any (pages that look different when signed in).
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<Web> for MaybeCaller {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &Web) -> Result<Self, Self::Rejection> {
        Ok(MaybeCaller(caller_of(parts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_stored_only_as_a_digest() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), digest(&b));
    }

    #[test]
    fn password_policy_boundaries() {
        let of = |n: usize| "abcd efgh ".repeat(20).chars().take(n).collect::<String>();
        assert!(check_new_password(&of(MIN_PASSWORD - 1)).is_err());
        assert!(check_new_password(&of(MIN_PASSWORD)).is_ok());
        assert!(check_new_password(&of(MAX_PASSWORD)).is_ok());
        assert!(check_new_password(&of(MAX_PASSWORD + 1)).is_err());
        for common in [
            "password1234",
            "Password123456",
            "            ",
            "aaaaaaaaaaaaaaa",
            "123456789012",
            "qwertyuiop12",
        ] {
            assert!(check_new_password(common).is_err(), "{common}");
        }
        assert!(check_new_password("correct horse battery").is_ok());
    }

    #[test]
    fn user_names_are_plain() {
        assert!(check_username("ana.m@clinic").is_ok());
        assert!(check_username("").is_err());
        assert!(check_username("a b").is_err());
        assert!(check_username("<script>").is_err());
        assert!(check_username("\u{430}lice").is_err(), "a Cyrillic a");
        assert_eq!(normalize_username("  Ana.M "), "ana.m");
        assert!(check_username(&"a".repeat(65)).is_err());
    }

    #[tokio::test]
    async fn argon2id_hashes_verify_and_a_missing_user_never_does() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.expose().starts_with("$argon2id$"));
        assert!(verify_password(Some(hash.clone()), "correct horse battery".into()).await);
        assert!(!verify_password(Some(hash), "wrong horse battery".into()).await);
        assert!(!verify_password(None, "no password matches this".into()).await);
    }

    #[test]
    fn cookies_are_found_among_several() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; willis_session=xyz; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, "willis_session"), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
