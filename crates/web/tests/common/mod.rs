//! The harness of the web crate's black-box tests: a fresh database per test
//! (a SQLite file in a temporary directory, or a new PostgreSQL database that
//! is dropped when the test ends), the whole router driven in-process with
//! `tower::ServiceExt::oneshot`, and small helpers for JSON calls.
//!
//! PostgreSQL is found at `WILLIS_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). Its tests run when the
//! crate was built with `WILLIS_TEST_POSTGRES` or `CI` set (the `willis_pg`
//! cfg of `build.rs`) and then fail, never skip, when the server cannot be
//! reached; otherwise they are reported as ignored.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};
use tower::ServiceExt;
use willis_web::{Config, Web};

pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A password that passes the policy.
pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `NAME::sqlite` and `NAME::postgres` tests from `async fn
/// NAME(backend: Backend)`.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(willis_pg), ignore = "set WILLIS_TEST_POSTGRES to run against PostgreSQL")]
                async fn postgres() {
                    super::$name($crate::common::Backend::Postgres).await;
                }
            }
        )*
    };
}

/// Keeps the test's database alive; drops it (PostgreSQL) or removes its
/// directory (SQLite) at the end of the test, passed or failed.
pub struct Guard {
    pub web: Web,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

fn unique() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn postgres_base() -> String {
    std::env::var("WILLIS_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_string())
}

/// `base` with its database name replaced by `name`.
fn with_database(base: &str, name: &str) -> String {
    let (url, query) = match base.split_once('?') {
        Some((u, q)) => (u, Some(q)),
        None => (base, None),
    };
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let host = rest.split('/').next().unwrap_or(rest);
    match query {
        Some(q) => format!("{scheme}://{host}/{name}?{q}"),
        None => format!("{scheme}://{host}/{name}"),
    }
}

struct PgDatabase {
    base: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        // A thread of its own: this may run inside the test's runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&base).await?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {dropped:?}", self.name);
        }
    }
}

async fn fresh_postgres() -> (String, PgDatabase) {
    let base = postgres_base();
    let mut admin =
        match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&base)).await {
            Ok(Ok(conn)) => conn,
            failed => {
                let why = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timed out".to_string(),
                };
                panic!(
                    "PostgreSQL at {base} cannot be reached ({why}). Start it, point \
                     WILLIS_TEST_POSTGRES at a server, or build the tests without \
                     WILLIS_TEST_POSTGRES and CI to skip the PostgreSQL half."
                );
            }
        };
    let name = format!("willis_web_{}", unique());
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
    admin.close().await.ok();
    (with_database(&base, &name), PgDatabase { base, name })
}

/// The app over a fresh database with the default configuration.
pub async fn web(backend: Backend) -> (Router, Guard) {
    web_with(backend, Config::default()).await
}

/// The app over a fresh database.
pub async fn web_with(backend: Backend, config: Config) -> (Router, Guard) {
    let (url, dir, pg) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}/willis.db", dir.path().display());
            (url, Some(dir), None)
        }
        Backend::Postgres => {
            let (url, pg) = fresh_postgres().await;
            (url, None, Some(pg))
        }
    };
    let web = Web::open(&url, config)
        .await
        .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    let router = willis_web::router(web.clone());
    (
        router,
        Guard {
            web,
            url,
            _dir: dir,
            _pg: pg,
        },
    )
}

/// An answer, its body read.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `error` message of a JSON error answer.
    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message: {}", self.text()))
            .to_string()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }
}

/// Sends a request through the router, from 127.0.0.1 unless the request
/// names its client (`ConnectInfo`).
pub async fn send(app: &Router, mut request: Request<Body>) -> Answer {
    if request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_none()
    {
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    }
    let response = app
        .clone()
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("the body reads")
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// A request with an optional bearer token and a raw body.
pub fn request(
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(body.into()).unwrap()
}

/// A JSON call (`body` `None`: no body).
pub async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let bytes = body.map(|b| b.to_string()).unwrap_or_default();
    send(app, request(method, uri, token, bytes)).await
}

pub async fn get(app: &Router, uri: &str, token: Option<&str>) -> Answer {
    call(app, Method::GET, uri, token, None).await
}

pub async fn post(app: &Router, uri: &str, token: Option<&str>, body: Value) -> Answer {
    call(app, Method::POST, uri, token, Some(body)).await
}

pub async fn put(app: &Router, uri: &str, token: Option<&str>, body: Value) -> Answer {
    call(app, Method::PUT, uri, token, Some(body)).await
}

pub async fn delete(app: &Router, uri: &str, token: Option<&str>) -> Answer {
    call(app, Method::DELETE, uri, token, None).await
}

/// Asserts a status, showing the body when it differs.
#[track_caller]
pub fn expect(answer: &Answer, status: u16) {
    assert_eq!(
        answer.status.as_u16(),
        status,
        "expected {status}, got {}: {}",
        answer.status,
        answer.text()
    );
}

/// Signs up `name` through the API; its bearer token.
pub async fn signup(app: &Router, name: &str) -> String {
    let a = post(
        app,
        "/api/v1/signup",
        None,
        serde_json::json!({"username": name, "password": PASSWORD}),
    )
    .await;
    expect(&a, 201);
    a.json()["token"].as_str().unwrap().to_string()
}

/// Adds a person through the API; its id.
pub async fn person(app: &Router, token: &str, name: &str) -> i64 {
    let a = post(
        app,
        "/api/v1/people",
        Some(token),
        serde_json::json!({"name": name}),
    )
    .await;
    expect(&a, 201);
    a.json()["id"].as_i64().unwrap()
}

/// Grants `grantee` access; the share's id.
pub async fn share(app: &Router, token: &str, person: i64, grantee: &str, access: &str) -> i64 {
    let a = post(
        app,
        &format!("/api/v1/people/{person}/shares"),
        Some(token),
        serde_json::json!({"username": grantee, "access": access}),
    )
    .await;
    expect(&a, 201);
    a.json()["id"].as_i64().unwrap()
}

/// A browser session: the cookie header value and the CSRF token, from
/// signing in (or up) through the pages.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
    pub secret: String,
}

/// The value of `name=` in a page's HTML attribute `value`.
pub fn hidden_value(html: &str, field: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{field}\""))?;
    let rest = &html[at..];
    let v = rest.find("value=\"")? + 7;
    let end = rest[v..].find('"')?;
    Some(rest[v..v + end].to_string())
}

/// A cookie's value among `Set-Cookie` headers.
pub fn cookie_value(set_cookies: &[String], name: &str) -> Option<String> {
    set_cookies.iter().find_map(|c| {
        let first = c.split(';').next()?;
        let (k, v) = first.split_once('=')?;
        (k.trim() == name && !v.is_empty()).then(|| v.to_string())
    })
}

/// A form POST with optional cookies.
pub fn form(uri: &str, cookie: Option<&str>, body: &str) -> Request<Body> {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body.to_string())).unwrap()
}

/// A page GET with optional cookies.
pub fn page(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::builder().method(Method::GET).uri(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

pub fn encode(text: &str) -> String {
    willis_web::pages::url_encode(text)
}

/// Signs in through the sign-in page (the user must exist), as a browser
/// does: the form's pre-session token, then the session cookie and the CSRF
/// token of the next page.
pub async fn browser_signin(app: &Router, web: &Web, name: &str, password: &str) -> Session {
    let form_page = send(app, page("/signin", None)).await;
    expect(&form_page, 200);
    let cookie_name = web.pre_session_cookie();
    let pre = cookie_value(&form_page.set_cookies(), cookie_name).expect("a pre-session cookie");
    let token = hidden_value(&form_page.text(), "_csrf").expect("a CSRF field");
    assert_eq!(pre, token);
    let body = format!(
        "_csrf={}&username={}&password={}&next=%2Fpeople",
        encode(&token),
        encode(name),
        encode(password)
    );
    let signed = send(
        app,
        form("/signin", Some(&format!("{cookie_name}={pre}")), &body),
    )
    .await;
    expect(&signed, 303);
    let secret =
        cookie_value(&signed.set_cookies(), web.session_cookie()).expect("a session cookie");
    let cookie = format!("{}={}", web.session_cookie(), secret);
    let people = send(app, page("/people", Some(&cookie))).await;
    expect(&people, 200);
    let csrf = hidden_value(&people.text(), "_csrf").expect("a CSRF field on /people");
    Session {
        cookie,
        csrf,
        secret,
    }
}
