//! Property tests: whatever a client sends, the server answers without a
//! server error (no 5xx). Arbitrary bytes and arbitrary JSON values (deep
//! nesting, huge numbers, wrong types, unicode, near-miss record objects) go
//! to every JSON endpoint; arbitrary urlencoded bodies go to every page form,
//! with a valid session and CSRF token so they reach the handlers.
//!
//! One SQLite database per property (for speed); ~200 cases each.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request};
use axum::Router;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use willis_web::security::PRE_SESSION_COOKIE;

use common::*;

const CASES: u32 = 200;

fn runner() -> TestRunner {
    TestRunner::new(RunnerConfig {
        cases: CASES,
        failure_persistence: None,
        ..RunnerConfig::default()
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A signed-up user with a person, an API token and a browser session.
struct World {
    app: Router,
    g: Guard,
    token: String,
    person: i64,
    session: Session,
}

async fn world() -> World {
    let (app, g) = web(Backend::Sqlite).await;
    let token = signup(&app, "owner").await;
    signup(&app, "friend").await;
    let person = person(&app, &token, "Me").await;
    let session = browser_signin(&app, &g.web, "owner", PASSWORD).await;
    // A spare API token, so the account page has a revoke form.
    let t = post(
        &app,
        "/api/v1/tokens",
        Some(&token),
        serde_json::json!({"label": "spare"}),
    )
    .await;
    expect(&t, 201);
    World {
        app,
        g,
        token,
        person,
        session,
    }
}

/// Every JSON endpoint that takes a body: (method, path, with the token).
fn json_endpoints(person: i64) -> Vec<(Method, String, bool)> {
    let p = format!("/api/v1/people/{person}");
    vec![
        (Method::POST, "/api/v1/assess".into(), false),
        (Method::POST, "/api/v1/signup".into(), false),
        (Method::POST, "/api/v1/login".into(), false),
        (Method::POST, "/api/v1/logout".into(), false),
        (Method::POST, "/api/v1/tokens".into(), true),
        (Method::POST, "/api/v1/people".into(), true),
        (Method::POST, format!("{p}/labs"), true),
        (Method::POST, format!("{p}/medications"), true),
        (Method::POST, format!("{p}/iron-treatments"), true),
        (Method::POST, format!("{p}/diary"), true),
        (Method::POST, format!("{p}/conditions"), true),
        (Method::PUT, format!("{p}/patient"), true),
        (Method::PUT, format!("{p}/symptoms"), true),
        (Method::PUT, format!("{p}/habits"), true),
        (Method::PUT, format!("{p}/sleep"), true),
        (Method::POST, format!("{p}/shares"), true),
        (Method::POST, "/api/v1/import".into(), true),
    ]
}

/// Each case comes from its own address, so the sign-in limits (per client)
/// let most cases reach the handlers.
fn next_client() -> SocketAddr {
    static N: AtomicU32 = AtomicU32::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    SocketAddr::from(([10, (n >> 16) as u8, (n >> 8) as u8, n as u8], 40000))
}

fn with_client(mut r: Request<Body>) -> Request<Body> {
    r.extensions_mut().insert(ConnectInfo(next_client()));
    r
}

fn check(
    status: axum::http::StatusCode,
    what: &str,
    body: &dyn std::fmt::Debug,
) -> Result<(), TestCaseError> {
    // 501: a PDF letter from a server built without the `pdf` feature.
    let pdf_off = status == axum::http::StatusCode::NOT_IMPLEMENTED && what.contains("letter.pdf");
    prop_assert!(
        !status.is_server_error() || pdf_off,
        "{what} answered {status} for {body:?}"
    );
    Ok(())
}

/// Field names the endpoints know, so objects often get past "unknown field".
const KEYS: &[&str] = &[
    "format",
    "test",
    "value",
    "unit",
    "date",
    "fasting",
    "morning",
    "name",
    "dose",
    "started",
    "stopped",
    "outcome",
    "route",
    "product",
    "dose_mg",
    "response",
    "elemental_mg",
    "schedule",
    "severity",
    "onset_time",
    "body_parts",
    "sleep_hours",
    "birth_date",
    "sex",
    "pregnancy_weeks",
    "dialysis",
    "weight_kg",
    "urge_to_move",
    "days_per_week",
    "irls_total",
    "irls_items",
    "augmentation",
    "snoring",
    "epworth",
    "plms_index",
    "alcohol_units_per_week",
    "smoker",
    "username",
    "password",
    "access",
    "expires_at",
    "label",
    "labs",
    "medications",
    "diary",
    "iron_treatments",
    "patient",
    "symptoms",
    "sleep",
    "habits",
    "conditions",
    "people",
    "entries",
    "users",
    "shares",
    "audit",
    "id",
    "person_id",
    "payload",
    "kind",
    "effective",
];

/// Strings that look almost right.
fn near_miss_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("ferritin".to_string()),
        Just("tsat".to_string()),
        Just("ng/mL".to_string()),
        Just("mg/furlong".to_string()),
        Just("iv".to_string()),
        Just("oral".to_string()),
        Just("im".to_string()),
        Just("read".to_string()),
        Just("write".to_string()),
        Just("willis-record/1".to_string()),
        Just("willis-backup/1".to_string()),
        Just("2026-02-30".to_string()),
        Just("0000-01-01".to_string()),
        Just("9999-12-31".to_string()),
        Just("2024-02-29T25:61:00Z".to_string()),
        Just("friend".to_string()),
        Just("25:99".to_string()),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}",
        any::<String>(),
        "\\PC{0,40}",
    ]
}

/// Numbers as raw JSON text: ordinary, huge, tiny, exponents out of range.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:?}")),
        "-?[1-9][0-9]{19,80}",
        "-?[0-9]{1,3}\\.[0-9]{1,30}e[+-]?[0-9]{1,6}",
        Just("1e400".to_string()),
        Just("-1e400".to_string()),
        Just("4.9e-325".to_string()),
        Just("-0".to_string()),
    ]
}

/// Arbitrary JSON as text (so numbers may exceed what f64 holds).
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        number_text(),
        near_miss_string().prop_map(|s| serde_json::to_string(&s).unwrap()),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(
                (
                    prop_oneof![
                        4 => prop::sample::select(KEYS).prop_map(str::to_string),
                        1 => any::<String>(),
                    ],
                    inner
                ),
                0..8
            )
            .prop_map(|fields| {
                let body: Vec<String> = fields
                    .into_iter()
                    .map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).unwrap()))
                    .collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    })
}

/// Nesting far deeper than any parser should follow.
fn deep_text() -> impl Strategy<Value = String> {
    (1usize..20_000, any::<bool>()).prop_map(|(n, object)| {
        if object {
            format!("{}1{}", "{\"labs\":".repeat(n), "}".repeat(n))
        } else {
            format!("{}{}", "[".repeat(n), "]".repeat(n))
        }
    })
}

/// A body: arbitrary bytes, arbitrary JSON, or absurd nesting.
fn json_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..512),
        6 => json_text().prop_map(String::into_bytes),
        1 => deep_text().prop_map(String::into_bytes),
    ]
}

#[test]
fn json_endpoints_never_fail_on_arbitrary_bodies() {
    let rt = runtime();
    let w = rt.block_on(world());
    let endpoints = json_endpoints(w.person);
    let strategy = (0..endpoints.len(), json_body());
    runner()
        .run(&strategy, |(i, body)| {
            let (method, path, auth) = &endpoints[i];
            let token = auth.then_some(w.token.as_str());
            let a = rt.block_on(send(
                &w.app,
                with_client(request(method.clone(), path, token, body.clone())),
            ));
            check(
                a.status,
                &format!("{method} {path}"),
                &String::from_utf8_lossy(&body),
            )
        })
        .unwrap();
    // The account still works afterwards.
    let a = rt.block_on(get(&w.app, "/api/v1/people", Some(&w.token)));
    expect(&a, 200);
    drop(w.g);
}

#[test]
fn json_endpoints_never_fail_on_record_shaped_objects() {
    // Objects built only from known field names and near-miss values, to
    // reach the record validation behind the parsers.
    let rt = runtime();
    let w = rt.block_on(world());
    let endpoints = json_endpoints(w.person);
    let value = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        near_miss_string().prop_map(serde_json::Value::from),
        prop::collection::vec(near_miss_string(), 0..3).prop_map(serde_json::Value::from),
    ];
    let object = prop::collection::btree_map(prop::sample::select(KEYS), value, 0..8);
    let strategy = (0..endpoints.len(), object);
    runner()
        .run(&strategy, |(i, fields)| {
            let (method, path, auth) = &endpoints[i];
            let token = auth.then_some(w.token.as_str());
            let body = serde_json::to_string(&fields).unwrap();
            let a = rt.block_on(send(
                &w.app,
                with_client(request(method.clone(), path, token, body.clone())),
            ));
            check(a.status, &format!("{method} {path}"), &body)
        })
        .unwrap();
}

#[test]
fn paths_and_queries_never_fail() {
    let rt = runtime();
    let w = rt.block_on(world());
    let reads = [
        "record",
        "plan",
        "entries",
        "letter.html",
        "letter.pdf",
        "reminders.ics",
        "charts/iron.svg",
        "charts/diary.svg",
        "audit",
    ];
    let id = prop_oneof![
        Just(w.person.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[0-9]{19,30}",
        "\\PC{1,10}".prop_map(|s| encode(&s)),
    ];
    let query = prop::collection::vec(
        (
            prop::sample::select(&["as_of", "guideline", "known_at", "x"][..]),
            near_miss_string(),
        ),
        0..3,
    )
    .prop_map(|pairs| serde_urlencoded::to_string(pairs).unwrap());
    let strategy = (0..reads.len(), id, query);
    runner()
        .run(&strategy, |(i, id, query)| {
            let uri = format!("/api/v1/people/{id}/{}?{query}", reads[i]);
            let Ok(r) = Request::builder()
                .uri(&uri)
                .header(header::AUTHORIZATION, format!("Bearer {}", w.token))
                .body(Body::empty())
            else {
                return Ok(());
            };
            let a = rt.block_on(send(&w.app, r));
            check(a.status, &uri, &"")
        })
        .unwrap();
}

/// The POST forms of a page: (action, field names).
fn forms_of(html: &str) -> Vec<(String, Vec<String>)> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let end = tag[at..].find('"')?;
        Some(tag[at..at + end].replace("&amp;", "&"))
    };
    let mut out = Vec::new();
    for chunk in html.split("<form").skip(1) {
        let Some(tag_end) = chunk.find('>') else {
            continue;
        };
        let tag = &chunk[..tag_end];
        let body = chunk.split("</form>").next().unwrap_or("");
        if attr(tag, "method").as_deref() != Some("post") {
            continue;
        }
        let Some(action) = attr(tag, "action") else {
            continue;
        };
        let mut names: Vec<String> = body
            .split(" name=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next().map(str::to_string))
            .filter(|n| n != "_csrf")
            .collect();
        names.sort();
        names.dedup();
        out.push((action, names));
    }
    out
}

/// Every POST form reachable from the signed-in pages of the world's person
/// (so forms added later are fuzzed too), except signing out.
async fn page_forms(w: &World) -> Vec<(String, Vec<String>)> {
    let mut pages = vec!["/people".to_string(), "/account".to_string()];
    let plan = send(
        &w.app,
        page(
            &format!("/people/{}/plan", w.person),
            Some(&w.session.cookie),
        ),
    )
    .await;
    expect(&plan, 200);
    let nav = format!("/people/{}/", w.person);
    for link in plan.text().split("href=\"").skip(1) {
        let href = link.split('"').next().unwrap_or("");
        if href.starts_with(&nav) && !pages.iter().any(|p| p == href) {
            pages.push(href.to_string());
        }
    }
    let mut forms: Vec<(String, Vec<String>)> = Vec::new();
    for p in &pages {
        let a = send(&w.app, page(p, Some(&w.session.cookie))).await;
        for (action, names) in forms_of(&a.text()) {
            if action == "/signout" {
                continue;
            }
            match forms.iter_mut().find(|(a, _)| *a == action) {
                Some((_, known)) => {
                    known.extend(names);
                    known.sort();
                    known.dedup();
                }
                None => forms.push((action, names)),
            }
        }
    }
    forms
}

/// A value for a form field.
fn form_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => near_miss_string(),
        1 => Just(PASSWORD.to_string()),
        1 => Just("//evil.example".to_string()),
        1 => Just("/people".to_string()),
        1 => Just(String::new()),
        1 => "x{0,3000}",
        1 => number_text(),
    ]
}

/// A body for a form with `fields`: most of its own fields with arbitrary
/// values, some strays (a second `_csrf` among them), or arbitrary text.
fn form_body(fields: Vec<String>) -> impl Strategy<Value = Result<Vec<(String, String)>, String>> {
    let own = prop::collection::vec((any::<bool>(), any::<bool>(), form_value()), fields.len())
        .prop_map(move |picks| {
            fields
                .iter()
                .zip(picks)
                .filter(|(_, (keep, often, _))| *keep || *often)
                .map(|(f, (_, _, v))| (f.clone(), v))
                .collect::<Vec<_>>()
        });
    let stray = prop::collection::vec(
        (
            prop_oneof![
                Just("_csrf".to_string()),
                prop::sample::select(KEYS).prop_map(str::to_string),
                any::<String>(),
            ],
            form_value(),
        ),
        0..3,
    );
    prop_oneof![
        6 => (own, stray).prop_map(|(mut a, b)| {
            a.extend(b);
            Ok(a)
        }),
        1 => "\\PC{0,200}".prop_map(Err),
        1 => "[%&=+a-z0-9_]{0,200}".prop_map(Err),
    ]
}

#[test]
fn page_forms_never_fail_on_arbitrary_fields() {
    let rt = runtime();
    let w = rt.block_on(world());
    let pre = willis_web::auth::new_secret();
    let mut forms = rt.block_on(page_forms(&w));
    assert!(
        forms.iter().any(|(a, _)| a == "/people")
            && forms.iter().any(|(a, _)| a == "/account/tokens"),
        "{forms:?}"
    );
    // The pre-session forms.
    for action in ["/signin", "/signup"] {
        forms.push((
            action.to_string(),
            vec!["next".into(), "password".into(), "username".into()],
        ));
    }
    eprintln!(
        "fuzzing the forms {:?}",
        forms.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let strategy = prop::sample::select(forms.clone())
        .prop_flat_map(|(action, fields)| (Just(action), form_body(fields)));
    runner()
        .run(&strategy, |(action, body)| {
            let pre_session = action == "/signin" || action == "/signup";
            let (csrf, cookie) = if pre_session {
                (pre.clone(), format!("{PRE_SESSION_COOKIE}={pre}"))
            } else {
                (w.session.csrf.clone(), w.session.cookie.clone())
            };
            let mut text = format!("_csrf={}&", encode(&csrf));
            match &body {
                Ok(fields) => text.push_str(&serde_urlencoded::to_string(fields).unwrap()),
                Err(raw) => text.push_str(raw),
            }
            let a = rt.block_on(send(
                &w.app,
                with_client(form(&action, Some(&cookie), &text)),
            ));
            check(a.status, &action, &text)?;
            // With its token the body reaches the handler.
            prop_assert_ne!(
                a.status.as_u16(),
                403,
                "{} refused its own token: {}",
                action,
                a.text()
            );
            Ok(())
        })
        .unwrap();
    // The session survived.
    let a = rt.block_on(send(&w.app, page("/people", Some(&w.session.cookie))));
    expect(&a, 200);
}
