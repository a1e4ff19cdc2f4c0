//! `willis-web`: the web app, the JSON API and their defences, served by
//! `willis serve`.
//!
//! Every handler is a thin layer over the application layer
//! ([`willis_app::App`]): it reads the caller from the request, calls one use
//! case, and renders the answer as HTML ([`pages`]) or JSON ([`api`]). Access
//! is checked by the application layer, never here. Logins, sessions and
//! tokens are the web layer's own ([`auth`]), kept in the database so that
//! several instances behind a load balancer share them.
//!
//! Requests pass, outermost first: the security headers
//! ([`security::headers`]), the caller's identification
//! ([`auth::authenticate`]), the CSRF check ([`security::csrf`]) and the body
//! size limit, then the route.

pub mod api;
pub mod auth;
pub mod cds;
pub mod error;
pub mod pages;
pub mod security;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{middleware, Router};
use chrono::{Local, NaiveDate, Utc};
use willis_app::{App, Clock};
use willis_store::{AnyStore, Store, UserId};

/// How `willis serve` runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The address the app is reached at from outside (`https://…` turns on
    /// `Secure` cookies and HSTS); `None`: the listening address, plain HTTP.
    pub public_url: Option<String>,
    /// Whether anyone may create an account (`--no-signup` turns it off).
    pub signup: bool,
    /// "Today" pinned to a date (tests); `None`: the local date.
    pub today: Option<NaiveDate>,
    /// Who may call the CDS Hooks services (`--cds-trust`,
    /// `--cds-insecure-no-auth`); by default nobody.
    pub cds: cds::CdsAuth,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            public_url: None,
            signup: true,
            today: None,
            cds: cds::CdsAuth::Off,
        }
    }
}

/// The furthest ahead a share or token may be set to expire.
pub const MAX_EXPIRY_DAYS: i64 = 10 * 365;

/// The largest request body, except imports.
pub const BODY_LIMIT: usize = 256 * 1024;
/// The largest backup an import accepts.
pub const IMPORT_LIMIT: usize = 16 * 1024 * 1024;

/// The shared state of every handler.
#[derive(Clone)]
pub struct Web(Arc<Inner>);

struct Inner {
    /// The application as the pages use it (audit origin `web`).
    pages: App,
    /// The same store as the API uses it (audit origin `api`).
    api: App,
    config: Config,
    limiter: security::Limiter,
    cds: cds::Runtime,
}

impl Web {
    /// The web app over an open store.
    pub fn new(store: AnyStore, config: Config) -> Web {
        Web(Arc::new(Inner {
            pages: App::new(store.clone(), "web"),
            api: App::new(store, "api"),
            config,
            limiter: security::Limiter::default(),
            cds: cds::Runtime::default(),
        }))
    }

    /// Opens the database a URL names (`sqlite://…`, `postgres://…`).
    pub async fn open(db: &str, config: Config) -> Result<Web, willis_store::StoreError> {
        Ok(Web::new(willis_store::open(db).await?, config))
    }

    pub fn pages(&self) -> &App {
        &self.0.pages
    }

    pub fn api(&self) -> &App {
        &self.0.api
    }

    pub fn store(&self) -> &AnyStore {
        self.0.pages.store()
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    pub fn limiter(&self) -> &security::Limiter {
        &self.0.limiter
    }

    /// The CDS Hooks services' own state (feedback log, FHIR client, the
    /// listening address their JWT audience is built from).
    pub fn cds(&self) -> &cds::Runtime {
        &self.0.cds
    }

    /// Now, and today's local date (or the pinned one).
    pub fn clock(&self) -> Clock {
        Clock {
            now: Utc::now(),
            today: self.today(),
        }
    }

    pub fn today(&self) -> NaiveDate {
        self.0
            .config
            .today
            .unwrap_or_else(|| Local::now().date_naive())
    }

    /// Whether cookies are marked `Secure` (the public URL is https).
    pub fn secure_cookies(&self) -> bool {
        self.0
            .config
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// The session cookie's name: `__Host-` prefixed when served over TLS.
    pub fn session_cookie(&self) -> &'static str {
        if self.secure_cookies() {
            "__Host-willis_session"
        } else {
            "willis_session"
        }
    }

    /// The pre-session CSRF cookie's name: `__Host-` prefixed over TLS, so a
    /// sibling site cannot plant one.
    pub fn pre_session_cookie(&self) -> &'static str {
        if self.secure_cookies() {
            "__Host-willis_csrf"
        } else {
            security::PRE_SESSION_COOKIE
        }
    }

    /// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Path=/`, and
    /// `Secure` over TLS; `max_age` 0 deletes it.
    pub fn cookie(&self, name: &str, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.secure_cookies() {
            "; Secure"
        } else {
            ""
        };
        HeaderValue::from_str(&format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
        ))
        .expect("cookie values are URL-safe base64")
    }

    /// Whether an `Origin` header names this app (the public URL's origin, or
    /// the `Host` the request was sent to).
    pub fn is_own_origin(&self, origin: &HeaderValue, headers: &HeaderMap) -> bool {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        if let Some(public) = &self.0.config.public_url {
            let public = public.trim_end_matches('/');
            let public_origin = public
                .find("://")
                .and_then(|i| public[i + 3..].find('/').map(|j| &public[..i + 3 + j]))
                .unwrap_or(public);
            if origin == public_origin {
                return true;
            }
        }
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        host.is_some_and(|h| origin == format!("http://{h}") || origin == format!("https://{h}"))
    }

    /// The largest form body.
    pub fn body_limit(&self) -> usize {
        BODY_LIMIT
    }
}

/// `GET /healthz`: 200 when the server and its database answer.
async fn healthz(State(web): State<Web>) -> impl IntoResponse {
    match web.store().user(UserId(0)).await {
        Ok(_) => (StatusCode::OK, "ok\n"),
        Err(e) => {
            eprintln!("willis serve: health check: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the database does not answer\n",
            )
        }
    }
}

/// The whole app: pages, API and their middleware.
pub fn router(web: Web) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .merge(api::routes())
        .merge(pages::routes())
        .merge(cds::routes())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(web.clone(), security::csrf))
        .layer(middleware::from_fn_with_state(
            web.clone(),
            auth::authenticate,
        ))
        .layer(middleware::from_fn_with_state(
            web.clone(),
            security::headers,
        ))
        .with_state(web)
}

/// Serves the app on `addr` until Ctrl-C (or SIGTERM), finishing the
/// requests in flight. The signal handlers are in place before the address
/// is announced, so a signal sent as soon as it is never kills the process
/// half-way.
pub async fn serve(web: Web, addr: SocketAddr) -> std::io::Result<()> {
    let stop = shutdown()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    web.cds().set_listening(local);
    let shown = web
        .config()
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    if !web.config().signup {
        eprintln!("sign-up is off: only existing accounts can sign in");
    }
    eprintln!("Willis is running at {shown} (press Ctrl-C to stop)");
    tokio::spawn(purge_tokens(web.store().clone()));
    let app = router(web).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
}

/// Hourly, forgets sessions and tokens that ended more than 30 days ago.
async fn purge_tokens(store: AnyStore) {
    let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        hourly.tick().await;
        if let Err(e) = store
            .purge_tokens(Utc::now() - chrono::Duration::days(30))
            .await
        {
            eprintln!("willis serve: purging old sessions: {e}");
        }
    }
}

/// A future that ends on Ctrl-C or SIGTERM; the handlers are installed now.
#[cfg(unix)]
fn shutdown() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! { _ = interrupt.recv() => {}, _ = terminate.recv() => {} }
        eprintln!("Willis is stopping");
    })
}

#[cfg(not(unix))]
fn shutdown() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("Willis is stopping");
    })
}
