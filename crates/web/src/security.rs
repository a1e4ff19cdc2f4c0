//! The defences every request passes: security headers, CSRF, rate limits.
//!
//! CSRF: a state-changing request that relies on the session cookie must
//! carry the session's CSRF token (a hidden `_csrf` form field, the
//! `X-CSRF-Token` header, or `_csrf` in the query of a file-upload form) and,
//! when the browser sends one, an `Origin` equal to the app's own. Before
//! sign-in the sign-in and sign-up forms use a double-submit cookie. Bearer
//! calls carry no ambient authority and need neither. Cookies are also
//! `SameSite=Lax`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::{self, Caller, Via};
use crate::Web;

/// The name of the pre-session CSRF cookie (double submit).
pub const PRE_SESSION_COOKIE: &str = "willis_csrf";
/// The form field and query parameter that carry the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
/// The header that carries the CSRF token for scripts.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Pages may load only the app's own style sheet and images; no script, no
/// frames, forms post only to the app.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
    script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'";

/// The standalone letter's policy: its own inline styles, nothing else.
pub const LETTER_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
    form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Middleware: the security headers of every answer.
pub async fn headers(State(web): State<Web>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        if !h.contains_key(name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(h, "content-security-policy", CSP);
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "same-origin");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "cross-origin-resource-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
    set(h, "cache-control", "no-store");
    if web.secure_cookies() {
        set(
            h,
            "strict-transport-security",
            "max-age=63072000; includeSubDomains",
        );
    }
    response
}

fn forbidden(why: &str) -> Response {
    let body = crate::pages::message_page(
        "This form has expired",
        &format!("{why} Go back, reload the page and try again."),
    );
    (StatusCode::FORBIDDEN, body).into_response()
}

fn query_token(request: &Request) -> Option<String> {
    let query = request.uri().query()?;
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v)
}

/// Middleware: refuses a cross-site state change (see the module's notes).
pub async fn csrf(State(web): State<Web>, request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let path = request.uri().path();
    if safe || path.starts_with("/cds-services") || path == "/api/v1/assess" {
        return next.run(request).await;
    }
    let caller = request
        .extensions()
        .get::<Option<Caller>>()
        .cloned()
        .flatten();
    if caller.as_ref().is_some_and(|c| c.via == Via::Bearer) {
        return next.run(request).await;
    }
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        if !web.is_own_origin(origin, request.headers()) {
            return forbidden("The request came from another site.");
        }
    }
    let is_api = path.starts_with("/api/");
    let expected = match &caller {
        Some(c) => c.token.csrf.clone(),
        // API calls without a session carry no cookie authority.
        None if is_api => return next.run(request).await,
        None => auth::cookie(request.headers(), web.pre_session_cookie()).map(str::to_string),
    };
    let Some(expected) = expected else {
        return forbidden("The page was opened before this session started.");
    };
    let given = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| query_token(&request));
    if let Some(given) = given {
        return if auth::same(&given, &expected) {
            next.run(request).await
        } else {
            forbidden("The form's security token does not match.")
        };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_api || !is_form {
        return forbidden("The request carries no security token.");
    }
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, web.body_limit()).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "the form is too large").into_response(),
    };
    let given = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|fields| fields.into_iter().find(|(k, _)| k == CSRF_FIELD))
        .map(|(_, v)| v);
    match given {
        Some(given) if auth::same(&given, &expected) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => forbidden("The form's security token is missing or does not match."),
    }
}

/// A fixed-window counter per key (client address, user name), in memory.
/// Several instances each count on their own; the limits are per instance.
#[derive(Debug, Default)]
pub struct Limiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Limiter {
    /// Counts one attempt for `key`; `Err(seconds)` to wait when over `max`
    /// attempts in `window`.
    pub fn hit(&self, key: &str, max: u32, window: Duration) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let slot = map.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(slot.0) >= window {
            *slot = (now, 0);
        }
        slot.1 += 1;
        if slot.1 > max {
            let wait = window.saturating_sub(now.duration_since(slot.0));
            Err(wait.as_secs().max(1))
        } else {
            Ok(())
        }
    }
}

impl Limiter {
    /// Forgets the attempts of `key` (a successful sign-in).
    pub fn forget(&self, key: &str) {
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key);
    }

    /// Whether `key` has used up `max` attempts in the current window
    /// (without counting one).
    pub fn exceeded(&self, key: &str, max: u32, window: Duration) -> bool {
        let map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .is_some_and(|(start, n)| start.elapsed() < window && *n >= max)
    }
}

/// The client's address (the peer of the TCP connection).
pub fn client(request_extensions: &axum::http::Extensions) -> String {
    request_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "local".to_string())
}

/// Sign-in and sign-up attempts allowed per client address per window.
pub const ATTEMPTS_PER_CLIENT: u32 = 30;
/// Failed sign-ins allowed per user name per window.
pub const FAILURES_PER_USER: u32 = 10;
/// Imports allowed per user per window (each may add thousands of entries).
pub const IMPORTS_PER_USER: u32 = 10;
/// The window of these limits.
pub const ATTEMPT_WINDOW: Duration = Duration::from_secs(15 * 60);

/// A 429 answer with `Retry-After`.
pub fn too_many(seconds: u64, json: bool) -> Response {
    let message = format!(
        "too many attempts; try again in {} minutes",
        seconds.div_ceil(60)
    );
    let mut response = if json {
        crate::error::ApiError::new(StatusCode::TOO_MANY_REQUESTS, message).into_response()
    } else {
        (
            StatusCode::TOO_MANY_REQUESTS,
            crate::pages::message_page("Too many attempts", &message),
        )
            .into_response()
    };
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_allows_max_then_refuses_until_the_window_ends() {
        let l = Limiter::default();
        let w = Duration::from_secs(60);
        for _ in 0..3 {
            assert!(l.hit("a", 3, w).is_ok());
        }
        assert!(l.hit("a", 3, w).is_err());
        assert!(l.hit("b", 3, w).is_ok(), "keys are counted apart");
        assert!(l.hit("c", 1, Duration::ZERO).is_ok());
        assert!(l.hit("c", 1, Duration::ZERO).is_ok(), "a new window starts");
    }
}
