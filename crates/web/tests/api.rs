//! Black-box tests of the JSON API: every endpoint's success and failure
//! answers, the authorisation matrix of every person-scoped endpoint, and
//! the audit trail; each on a fresh SQLite and a fresh PostgreSQL database.

mod common;

use axum::http::Method;
use chrono::{Duration, NaiveDate, Utc};
use serde_json::{json, Value};
use willis_store::{PersonId, Store};
use willis_web::Config;

use common::*;

fn days_ago(g: &Guard, n: i64) -> String {
    (g.web.today() - Duration::days(n)).to_string()
}

both!(
    health_and_openapi,
    signup_login_logout,
    signup_can_be_turned_off,
    api_tokens,
    people,
    every_append_and_replace,
    bad_fields_name_the_field,
    readings_of_a_journal,
    shares_and_audit,
    authorization_matrix,
    a_grantees_read_is_audited,
    export_then_import_into_another_account,
    assess_every_example_record,
    assess_refuses_a_bad_record,
    assess_a_fhir_bundle,
);

async fn health_and_openapi(b: Backend) {
    let (app, _g) = web(b).await;
    let a = get(&app, "/healthz", None).await;
    expect(&a, 200);
    assert_eq!(a.text().trim(), "ok");

    let a = get(&app, "/api/v1/openapi.json", None).await;
    expect(&a, 200);
    let doc = a.json();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/assess",
        "/api/v1/signup",
        "/api/v1/login",
        "/api/v1/logout",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/api/v1/people",
        "/api/v1/people/{id}/labs",
        "/api/v1/people/{id}/medications",
        "/api/v1/people/{id}/iron-treatments",
        "/api/v1/people/{id}/diary",
        "/api/v1/people/{id}/conditions",
        "/api/v1/people/{id}/patient",
        "/api/v1/people/{id}/symptoms",
        "/api/v1/people/{id}/habits",
        "/api/v1/people/{id}/sleep",
        "/api/v1/people/{id}/record",
        "/api/v1/people/{id}/plan",
        "/api/v1/people/{id}/entries",
        "/api/v1/people/{id}/letter.html",
        "/api/v1/people/{id}/letter.pdf",
        "/api/v1/people/{id}/reminders.ics",
        "/api/v1/people/{id}/charts/iron.svg",
        "/api/v1/people/{id}/charts/diary.svg",
        "/api/v1/people/{id}/shares",
        "/api/v1/shares/{id}",
        "/api/v1/people/{id}/audit",
        "/api/v1/export",
        "/api/v1/import",
    ] {
        assert!(paths.contains_key(p), "the OpenAPI document lacks {p}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

async fn signup_login_logout(b: Backend) {
    let (app, _g) = web(b).await;
    let token = signup(&app, "ana").await;
    assert_eq!(token.len(), 43, "a 32-byte URL-safe secret");

    // Taken name, weak password, bad name, bad JSON, missing and unknown fields.
    let a = post(
        &app,
        "/api/v1/signup",
        None,
        json!({"username": "ana", "password": PASSWORD}),
    )
    .await;
    expect(&a, 409);
    assert!(a.error().starts_with("username:"), "{}", a.error());
    let a = post(
        &app,
        "/api/v1/signup",
        None,
        json!({"username": "bo", "password": "short"}),
    )
    .await;
    expect(&a, 422);
    assert!(a.error().starts_with("password:"), "{}", a.error());
    let a = post(
        &app,
        "/api/v1/signup",
        None,
        json!({"username": "a b", "password": PASSWORD}),
    )
    .await;
    expect(&a, 422);
    assert!(a.error().starts_with("username:"), "{}", a.error());
    let a = send(
        &app,
        request(Method::POST, "/api/v1/signup", None, "{\"username\":"),
    )
    .await;
    expect(&a, 400);
    let a = post(&app, "/api/v1/signup", None, json!({"username": "bo"})).await;
    expect(&a, 422);
    assert!(a.error().contains("password"), "{}", a.error());
    let a = post(
        &app,
        "/api/v1/signup",
        None,
        json!({"username": "bo", "password": PASSWORD, "admin": true}),
    )
    .await;
    expect(&a, 422);
    assert!(a.error().contains("admin"), "{}", a.error());

    // Log in; the same answer for a wrong password and an unknown user.
    let a = post(
        &app,
        "/api/v1/login",
        None,
        json!({"username": "ana", "password": PASSWORD}),
    )
    .await;
    expect(&a, 200);
    let second = a.json()["token"].as_str().unwrap().to_string();
    assert_ne!(second, token);
    let wrong_password = post(
        &app,
        "/api/v1/login",
        None,
        json!({"username": "ana", "password": "not the password"}),
    )
    .await;
    expect(&wrong_password, 401);
    let wrong_user = post(
        &app,
        "/api/v1/login",
        None,
        json!({"username": "nobody", "password": PASSWORD}),
    )
    .await;
    expect(&wrong_user, 401);
    assert_eq!(wrong_password.json(), wrong_user.json());
    let a = send(
        &app,
        request(Method::POST, "/api/v1/login", None, "not json"),
    )
    .await;
    expect(&a, 400);

    // Logout ends the token it is called with, and only that one.
    expect(&get(&app, "/api/v1/people", Some(&second)).await, 200);
    let a = call(&app, Method::POST, "/api/v1/logout", Some(&second), None).await;
    expect(&a, 204);
    let a = get(&app, "/api/v1/people", Some(&second)).await;
    expect(&a, 401);
    a.error();
    expect(&get(&app, "/api/v1/people", Some(&token)).await, 200);
    expect(
        &call(&app, Method::POST, "/api/v1/logout", None, None).await,
        401,
    );
    expect(
        &get(&app, "/api/v1/people", Some("made-up-token")).await,
        401,
    );
}

async fn signup_can_be_turned_off(b: Backend) {
    let (app, _g) = web_with(
        b,
        Config {
            signup: false,
            ..Config::default()
        },
    )
    .await;
    let a = post(
        &app,
        "/api/v1/signup",
        None,
        json!({"username": "ana", "password": PASSWORD}),
    )
    .await;
    expect(&a, 403);
    assert!(a.error().contains("sign-up"), "{}", a.error());
}

async fn api_tokens(b: Backend) {
    let (app, _g) = web(b).await;
    let ana = signup(&app, "ana").await;
    let bo = signup(&app, "bo").await;

    let a = post(
        &app,
        "/api/v1/tokens",
        Some(&ana),
        json!({"label": "my EHR"}),
    )
    .await;
    expect(&a, 201);
    let created = a.json();
    let id = created["id"].as_i64().unwrap();
    let secret = created["token"].as_str().unwrap().to_string();
    assert_eq!(created["label"], "my EHR");
    assert!(created["revoked_at"].is_null());
    expect(&get(&app, "/api/v1/people", Some(&secret)).await, 200);

    let later = (Utc::now() + Duration::days(30)).to_rfc3339();
    let a = post(
        &app,
        "/api/v1/tokens",
        Some(&ana),
        json!({"label": "month", "expires_at": later}),
    )
    .await;
    expect(&a, 201);
    assert!(a.json()["expires_at"].is_string());

    let a = get(&app, "/api/v1/tokens", Some(&ana)).await;
    expect(&a, 200);
    let list = a.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3, "the sign-up token and two more: {list:?}");
    assert!(
        list.iter().all(|t| t.get("token").is_none()),
        "secrets are shown once"
    );
    assert!(list.iter().any(|t| t["id"] == id && t["label"] == "my EHR"));

    // Another user's token is "not found", and stays usable.
    let a = delete(&app, &format!("/api/v1/tokens/{id}"), Some(&bo)).await;
    expect(&a, 404);
    expect(&get(&app, "/api/v1/people", Some(&secret)).await, 200);
    expect(
        &delete(&app, "/api/v1/tokens/999999", Some(&ana)).await,
        404,
    );

    let a = delete(&app, &format!("/api/v1/tokens/{id}"), Some(&ana)).await;
    expect(&a, 204);
    expect(&get(&app, "/api/v1/people", Some(&secret)).await, 401);
    let list = get(&app, "/api/v1/tokens", Some(&ana)).await.json();
    let revoked = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap()
        .clone();
    assert!(revoked["revoked_at"].is_string());

    // Bad bodies.
    let past = (Utc::now() - Duration::hours(1)).to_rfc3339();
    let a = post(
        &app,
        "/api/v1/tokens",
        Some(&ana),
        json!({"label": "old", "expires_at": past}),
    )
    .await;
    expect(&a, 422);
    assert!(a.error().starts_with("expires_at:"), "{}", a.error());
    let a = post(
        &app,
        "/api/v1/tokens",
        Some(&ana),
        json!({"label": "x", "expires_at": "tomorrow"}),
    )
    .await;
    expect(&a, 422);
    assert!(a.error().contains("expires_at"), "{}", a.error());
    expect(
        &send(
            &app,
            request(Method::POST, "/api/v1/tokens", Some(&ana), "["),
        )
        .await,
        400,
    );
    expect(
        &post(&app, "/api/v1/tokens", None, json!({"label": "x"})).await,
        401,
    );
    expect(&get(&app, "/api/v1/tokens", None).await, 401);
    expect(&delete(&app, "/api/v1/tokens/1", None).await, 401);
}

async fn people(b: Backend) {
    let (app, _g) = web(b).await;
    let ana = signup(&app, "ana").await;
    let a = get(&app, "/api/v1/people", Some(&ana)).await;
    expect(&a, 200);
    assert_eq!(a.json(), json!([]));
    let a = post(&app, "/api/v1/people", Some(&ana), json!({"name": "Me"})).await;
    expect(&a, 201);
    let me = a.json();
    assert_eq!(me["name"], "Me");
    assert_eq!(me["access"], "write");
    assert!(me["id"].is_i64());
    let a = get(&app, "/api/v1/people", Some(&ana)).await;
    assert_eq!(a.json(), json!([me]));

    let a = post(&app, "/api/v1/people", Some(&ana), json!({"name": "  "})).await;
    expect(&a, 422);
    assert!(a.error().contains("name"), "{}", a.error());
    let a = post(&app, "/api/v1/people", Some(&ana), json!({"name": 7})).await;
    expect(&a, 422);
    assert!(a.error().starts_with("name:"), "{}", a.error());
    expect(
        &send(
            &app,
            request(Method::POST, "/api/v1/people", Some(&ana), "{]"),
        )
        .await,
        400,
    );
    expect(&get(&app, "/api/v1/people", None).await, 401);
    expect(
        &post(&app, "/api/v1/people", None, json!({"name": "X"})).await,
        401,
    );
}

/// A valid body for each journal endpoint (method, path suffix, body).
fn journal_calls(g: &Guard) -> Vec<(Method, &'static str, Value)> {
    vec![
        (
            Method::POST,
            "labs",
            json!({"test": "ferritin", "value": 38, "unit": "ng/mL", "date": days_ago(g, 20), "fasting": true, "morning": true}),
        ),
        (
            Method::POST,
            "medications",
            json!({"name": "amitriptyline", "dose": "10 mg at night", "started": days_ago(g, 400)}),
        ),
        (
            Method::POST,
            "iron-treatments",
            json!({"route": "oral", "product": "ferrous sulfate", "elemental_mg": 65, "started": days_ago(g, 300), "stopped": days_ago(g, 100), "schedule": "daily", "outcome": "ineffective"}),
        ),
        (
            Method::POST,
            "diary",
            json!({"date": days_ago(g, 2), "severity": 7, "onset_time": "20:00", "sleep_hours": 5}),
        ),
        (Method::POST, "conditions", json!("peripheral-neuropathy")),
        (
            Method::PUT,
            "patient",
            json!({"birth_date": "1972-03-14", "sex": "female"}),
        ),
        (
            Method::PUT,
            "symptoms",
            json!({"urge_to_move": true, "worse_at_rest": true, "relieved_by_movement": true, "worse_evening_or_night": true, "not_explained_by_other_condition": true, "days_per_week": 6, "irls_total": 23}),
        ),
        (
            Method::PUT,
            "habits",
            json!({"alcohol_units_per_week": 4, "caffeine_drinks_per_day": 2, "smoker": false}),
        ),
        (
            Method::PUT,
            "sleep",
            json!({"snoring": false, "epworth": 8}),
        ),
    ]
}

async fn every_append_and_replace(b: Backend) {
    let (app, g) = web(b).await;
    let ana = signup(&app, "ana").await;
    let id = person(&app, &ana, "Me").await;
    let mut stored = 0;
    for (method, what, body) in journal_calls(&g) {
        let uri = format!("/api/v1/people/{id}/{what}");
        let a = call(&app, method.clone(), &uri, Some(&ana), Some(body)).await;
        let want = if method == Method::POST { 201 } else { 200 };
        expect(&a, want);
        let added = a.json();
        assert!(added["entry"]["id"].is_i64(), "{what}: {added}");
        assert_eq!(added["entry"]["person_id"], id, "{what}: {added}");
        let n = added["entries"].as_array().unwrap().len();
        assert!(n >= 1, "{what}");
        stored += n;
        // Bad JSON, no token.
        let a = send(&app, request(method.clone(), &uri, Some(&ana), "{\"oops")).await;
        expect(&a, 400);
        assert!(a.error().contains("not JSON"), "{}", a.error());
        let a = call(&app, method, &uri, None, Some(json!({}))).await;
        expect(&a, 401);
    }
    // A condition as an object works too.
    let a = post(
        &app,
        &format!("/api/v1/people/{id}/conditions"),
        Some(&ana),
        json!({"name": "iron-deficiency-anaemia"}),
    )
    .await;
    expect(&a, 201);
    stored += 1;
    let entries = get(&app, &format!("/api/v1/people/{id}/entries"), Some(&ana))
        .await
        .json();
    assert_eq!(entries.as_array().unwrap().len(), stored);
}

async fn bad_fields_name_the_field(b: Backend) {
    let (app, g) = web(b).await;
    let ana = signup(&app, "ana").await;
    let id = person(&app, &ana, "Me").await;
    let tomorrow = (g.web.today() + Duration::days(1)).to_string();
    let cases: Vec<(Method, &str, Value, &str)> = vec![
        (
            Method::POST,
            "labs",
            json!({"test": "ferritin", "value": 38, "unit": "mg/furlong", "date": days_ago(&g, 2)}),
            "unit",
        ),
        (
            Method::POST,
            "labs",
            json!({"test": "ferritin", "value": 38, "unit": "ng/mL", "date": tomorrow}),
            "date",
        ),
        (
            Method::POST,
            "labs",
            json!({"test": "ferritin", "value": "high", "unit": "ng/mL", "date": days_ago(&g, 2)}),
            "value",
        ),
        (
            Method::POST,
            "labs",
            json!({"test": "ferritin", "unit": "ng/mL", "date": days_ago(&g, 2)}),
            "value",
        ),
        (
            Method::POST,
            "labs",
            json!({"test": "ferritin", "value": 38, "unit": "ng/mL", "date": "yesterday"}),
            "date",
        ),
        (
            Method::POST,
            "labs",
            json!({"test": "ferritin", "value": 38, "unit": "ng/mL", "date": days_ago(&g, 2), "colour": "red"}),
            "colour",
        ),
        // The future start is refused by the journal's date check, whose
        // message names the entry's `date` (facts.rs); it does quote the value.
        (
            Method::POST,
            "medications",
            json!({"name": "amitriptyline", "started": tomorrow}),
            tomorrow.as_str(),
        ),
        (
            Method::POST,
            "medications",
            json!({"dose": "10 mg"}),
            "name",
        ),
        (
            Method::POST,
            "iron-treatments",
            json!({"route": "im", "date": days_ago(&g, 10)}),
            "route",
        ),
        (
            Method::POST,
            "iron-treatments",
            json!({"route": "iv", "product": "ferric carboxymaltose", "dose_mg": 1000, "date": tomorrow}),
            "date",
        ),
        (
            Method::POST,
            "diary",
            json!({"date": days_ago(&g, 1), "severity": 11}),
            "severity",
        ),
        (
            Method::POST,
            "diary",
            json!({"date": tomorrow, "severity": 3}),
            "date",
        ),
        (Method::POST, "conditions", json!(""), "name"),
        (Method::POST, "conditions", json!(42), ""),
        (Method::PUT, "patient", json!({"sex": 12}), "sex"),
        (
            Method::PUT,
            "patient",
            json!({"birth_date": tomorrow}),
            "birth_date",
        ),
        (
            Method::PUT,
            "symptoms",
            json!({"days_per_week": "often"}),
            "days_per_week",
        ),
        (
            Method::PUT,
            "habits",
            json!({"smoker": "sometimes"}),
            "smoker",
        ),
        (Method::PUT, "sleep", json!({"epworth": [1]}), "epworth"),
    ];
    for (method, what, body, field) in cases {
        let a = call(
            &app,
            method,
            &format!("/api/v1/people/{id}/{what}"),
            Some(&ana),
            Some(body.clone()),
        )
        .await;
        expect(&a, 422);
        let e = a.error();
        assert!(
            e.contains(field),
            "{what} {body}: the message {e:?} does not name {field:?}"
        );
    }
    // Nothing was stored by the refused calls.
    let entries = get(&app, &format!("/api/v1/people/{id}/entries"), Some(&ana))
        .await
        .json();
    assert_eq!(entries, json!([]));
}

async fn readings_of_a_journal(b: Backend) {
    let (app, g) = web(b).await;
    let ana = signup(&app, "ana").await;
    let id = person(&app, &ana, "Me").await;
    for (method, what, body) in journal_calls(&g) {
        let a = call(
            &app,
            method,
            &format!("/api/v1/people/{id}/{what}"),
            Some(&ana),
            Some(body),
        )
        .await;
        assert!(a.status.is_success(), "{what}: {}", a.text());
    }
    let base = format!("/api/v1/people/{id}");

    let a = get(&app, &format!("{base}/record"), Some(&ana)).await;
    expect(&a, 200);
    let record = a.json();
    assert_eq!(record["format"], "willis-record/1");
    assert_eq!(record["labs"][0]["unit"], "ng/mL");
    assert_eq!(record["diary"].as_array().unwrap().len(), 1);

    let a = get(&app, &format!("{base}/plan"), Some(&ana)).await;
    expect(&a, 200);
    let plan = a.json();
    assert_eq!(plan["format"], "willis-assessment/1");
    assert_eq!(plan["as_of"], g.web.today().to_string());
    assert!(!plan["steps"].as_array().unwrap().is_empty());
    let a = get(
        &app,
        &format!("{base}/plan?guideline=aasm-2024&as_of={}", days_ago(&g, 1)),
        Some(&ana),
    )
    .await;
    expect(&a, 200);
    assert_eq!(a.json()["guideline"], "aasm-2024");
    assert_eq!(a.json()["as_of"], days_ago(&g, 1));

    let a = get(&app, &format!("{base}/entries"), Some(&ana)).await;
    expect(&a, 200);
    assert!(a.json().as_array().unwrap().len() >= 9);

    let a = get(&app, &format!("{base}/letter.html"), Some(&ana)).await;
    expect(&a, 200);
    assert!(a.header("content-type").unwrap().starts_with("text/html"));
    assert!(a.text().contains("<html"), "{}", a.text());

    let a = get(&app, &format!("{base}/letter.pdf"), Some(&ana)).await;
    if cfg!(feature = "pdf") {
        expect(&a, 200);
        assert!(a.body.starts_with(b"%PDF"));
    } else {
        expect(&a, 501);
        a.error();
    }

    let a = get(&app, &format!("{base}/reminders.ics"), Some(&ana)).await;
    expect(&a, 200);
    assert!(a
        .header("content-type")
        .unwrap()
        .starts_with("text/calendar"));
    assert!(a.text().starts_with("BEGIN:VCALENDAR"), "{}", a.text());

    for chart in ["iron", "diary"] {
        let a = get(&app, &format!("{base}/charts/{chart}.svg"), Some(&ana)).await;
        expect(&a, 200);
        assert_eq!(a.header("content-type"), Some("image/svg+xml"));
        assert!(a.text().contains("<svg"), "{chart}");
    }

    // Query errors name the parameter.
    let tomorrow = (g.web.today() + Duration::days(1)).to_string();
    for what in [
        "record",
        "plan",
        "letter.html",
        "reminders.ics",
        "charts/iron.svg",
    ] {
        let a = get(&app, &format!("{base}/{what}?as_of={tomorrow}"), Some(&ana)).await;
        expect(&a, 422);
        assert!(a.error().starts_with("as_of:"), "{what}: {}", a.error());
    }
    let a = get(
        &app,
        &format!("{base}/plan?guideline=nice-1999"),
        Some(&ana),
    )
    .await;
    expect(&a, 422);
    assert!(a.error().starts_with("guideline:"), "{}", a.error());
    let a = get(&app, &format!("{base}/plan?as_of=someday"), Some(&ana)).await;
    expect(&a, 400);
    // A person that does not exist.
    expect(
        &get(&app, "/api/v1/people/999999/plan", Some(&ana)).await,
        404,
    );
}

async fn shares_and_audit(b: Backend) {
    let (app, _g) = web(b).await;
    let ana = signup(&app, "ana").await;
    let _bo = signup(&app, "bo").await;
    let id = person(&app, &ana, "Me").await;
    let uri = format!("/api/v1/people/{id}/shares");

    let a = post(
        &app,
        &uri,
        Some(&ana),
        json!({"username": "bo", "access": "read"}),
    )
    .await;
    expect(&a, 201);
    let share = a.json()["id"].as_i64().unwrap();
    let a = post(
        &app,
        &uri,
        Some(&ana),
        json!({"username": "nobody", "access": "read"}),
    )
    .await;
    expect(&a, 404);
    let a = post(
        &app,
        &uri,
        Some(&ana),
        json!({"username": "bo", "access": "admin"}),
    )
    .await;
    expect(&a, 422);
    assert!(a.error().starts_with("access:"), "{}", a.error());
    let past = (Utc::now() - Duration::minutes(5)).to_rfc3339();
    let a = post(
        &app,
        &uri,
        Some(&ana),
        json!({"username": "bo", "access": "read", "expires_at": past}),
    )
    .await;
    expect(&a, 422);
    assert!(a.error().starts_with("expires_at:"), "{}", a.error());
    let a = post(&app, &uri, Some(&ana), json!({"access": "read"})).await;
    expect(&a, 422);
    assert!(a.error().contains("username"), "{}", a.error());
    expect(
        &send(&app, request(Method::POST, &uri, Some(&ana), "{")).await,
        400,
    );

    let a = delete(&app, &format!("/api/v1/shares/{share}"), Some(&ana)).await;
    expect(&a, 204);
    expect(
        &delete(&app, "/api/v1/shares/999999", Some(&ana)).await,
        404,
    );

    let a = get(&app, &format!("/api/v1/people/{id}/audit"), Some(&ana)).await;
    expect(&a, 200);
    let rows = a.json();
    let actions: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"grant"), "{actions:?}");
    assert!(actions.contains(&"revoke"), "{actions:?}");
    for r in rows.as_array().unwrap() {
        assert!(r["at"].is_string() && r["origin"].is_string(), "{r}");
    }
}

/// Who calls in the authorisation matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Nobody,
    Stranger,
    Reader,
    Writer,
    Expired,
    Revoked,
    Owner,
}

/// What an endpoint needs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Needs {
    Read,
    Write,
    Owner,
}

fn expected(who: Who, needs: Needs) -> &'static [u16] {
    match (who, needs) {
        (Who::Nobody, _) => &[401],
        (Who::Stranger | Who::Expired | Who::Revoked, _) => &[404],
        (Who::Reader, Needs::Read) => &[200, 501],
        (Who::Reader, _) => &[403],
        (Who::Writer, Needs::Owner) => &[403],
        (Who::Writer | Who::Owner, _) => &[200, 201, 204, 501],
    }
}

async fn authorization_matrix(b: Backend) {
    let (app, g) = web(b).await;
    let owner = signup(&app, "owner").await;
    let stranger = signup(&app, "stranger").await;
    let reader = signup(&app, "reader").await;
    let writer = signup(&app, "writer").await;
    let expired = signup(&app, "expired").await;
    let revoked = signup(&app, "revoked").await;
    let _dana = signup(&app, "dana").await;
    let id = person(&app, &owner, "Me").await;
    share(&app, &owner, id, "reader", "read").await;
    share(&app, &owner, id, "writer", "write").await;
    let gone = share(&app, &owner, id, "revoked", "write").await;
    expect(
        &delete(&app, &format!("/api/v1/shares/{gone}"), Some(&owner)).await,
        204,
    );
    // An expired share: granted a second ahead, then waited out.
    let soon = (Utc::now() + Duration::seconds(1)).to_rfc3339();
    let a = post(
        &app,
        &format!("/api/v1/people/{id}/shares"),
        Some(&owner),
        json!({"username": "expired", "access": "write", "expires_at": soon}),
    )
    .await;
    expect(&a, 201);
    // While it lasts it gives access.
    expect(
        &get(&app, &format!("/api/v1/people/{id}/plan"), Some(&expired)).await,
        200,
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let mut rows: Vec<(Method, String, Option<Value>, Needs)> = Vec::new();
    for (method, what, body) in journal_calls(&g) {
        rows.push((
            method,
            format!("/api/v1/people/{id}/{what}"),
            Some(body),
            Needs::Write,
        ));
    }
    for what in [
        "record",
        "plan",
        "entries",
        "letter.html",
        "letter.pdf",
        "reminders.ics",
        "charts/iron.svg",
        "charts/diary.svg",
    ] {
        rows.push((
            Method::GET,
            format!("/api/v1/people/{id}/{what}"),
            None,
            Needs::Read,
        ));
    }
    rows.push((
        Method::GET,
        format!("/api/v1/people/{id}/audit"),
        None,
        Needs::Owner,
    ));
    rows.push((
        Method::POST,
        format!("/api/v1/people/{id}/shares"),
        Some(json!({"username": "dana", "access": "read"})),
        Needs::Owner,
    ));
    // DELETE shares/{id}: a fresh share of dana's each time the owner succeeds.
    rows.push((Method::DELETE, "SHARE".to_string(), None, Needs::Owner));

    let callers = [
        (Who::Nobody, None),
        (Who::Stranger, Some(&stranger)),
        (Who::Reader, Some(&reader)),
        (Who::Writer, Some(&writer)),
        (Who::Expired, Some(&expired)),
        (Who::Revoked, Some(&revoked)),
        (Who::Owner, Some(&owner)),
    ];
    let person_id = PersonId(id);
    for (method, uri, body, needs) in &rows {
        let uri = if uri == "SHARE" {
            format!(
                "/api/v1/shares/{}",
                share(&app, &owner, id, "dana", "read").await
            )
        } else {
            uri.clone()
        };
        for (who, token) in &callers {
            let before = g.web.store().audit_log(person_id).await.unwrap().len();
            let a = call(
                &app,
                method.clone(),
                &uri,
                token.map(|t| t.as_str()),
                body.clone(),
            )
            .await;
            let want = expected(*who, *needs);
            assert!(
                want.contains(&a.status.as_u16()),
                "{method} {uri} as {who:?}: expected one of {want:?}, got {}: {}",
                a.status,
                a.text()
            );
            if !a.status.is_success() {
                // Errors are JSON and never say whether the person exists.
                let e = a.error();
                if a.status == 404 {
                    assert!(!e.contains("Me"), "{e}");
                }
                if a.status.as_u16() != 501 {
                    continue;
                }
            }
            // Every successful read and change leaves an audit row.
            let after = g.web.store().audit_log(person_id).await.unwrap();
            if uri.ends_with("/audit") {
                continue;
            }
            assert!(
                after.len() > before,
                "{method} {uri} as {who:?} left no audit row"
            );
        }
    }
}

async fn a_grantees_read_is_audited(b: Backend) {
    let (app, g) = web(b).await;
    let ana = signup(&app, "ana").await;
    let bo = signup(&app, "bo").await;
    let id = person(&app, &ana, "Me").await;
    share(&app, &ana, id, "bo", "read").await;
    let audit = format!("/api/v1/people/{id}/audit");
    let before = get(&app, &audit, Some(&ana))
        .await
        .json()
        .as_array()
        .unwrap()
        .len();
    expect(
        &get(&app, &format!("/api/v1/people/{id}/plan"), Some(&bo)).await,
        200,
    );
    let rows = get(&app, &audit, Some(&ana)).await.json();
    let rows = rows.as_array().unwrap();
    assert!(rows.len() > before, "the grantee's read left no row");
    let bo_id = g.web.store().user_by_name("bo").await.unwrap().unwrap().id;
    let last = rows.last().unwrap();
    assert_eq!(last["user_id"], json!(bo_id.0), "{last}");
    assert_eq!(last["action"], "read", "{last}");
    assert_eq!(last["person_id"], json!(id));
    // The grantee may not read the audit log.
    expect(&get(&app, &audit, Some(&bo)).await, 403);
}

/// Drops the ids of entries, people and users from a JSON value.
fn without_ids(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !(k.as_str() == "id" || k.ends_with("_id")))
                .map(|(k, v)| (k.clone(), without_ids(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_ids).collect()),
        other => other.clone(),
    }
}

async fn export_then_import_into_another_account(b: Backend) {
    let (app, g) = web(b).await;
    let ana = signup(&app, "ana").await;
    let bo = signup(&app, "bo").await;
    let id = person(&app, &ana, "Me").await;
    for (method, what, body) in journal_calls(&g) {
        let a = call(
            &app,
            method,
            &format!("/api/v1/people/{id}/{what}"),
            Some(&ana),
            Some(body),
        )
        .await;
        assert!(a.status.is_success(), "{what}: {}", a.text());
    }
    let a = get(&app, "/api/v1/export", Some(&ana)).await;
    expect(&a, 200);
    assert!(a
        .header("content-disposition")
        .unwrap()
        .contains("attachment"));
    let backup = a.json();
    assert_eq!(backup["format"], "willis-backup/1");
    let text = a.text();
    assert!(
        text.matches("$argon2").count() <= 1,
        "an export holds no other user's password hash"
    );

    let a = post(&app, "/api/v1/import", Some(&bo), backup.clone()).await;
    expect(&a, 201);
    let imported = a.json();
    let imported = imported.as_array().unwrap();
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0]["name"], "Me");
    let new_id = imported[0]["id"].as_i64().unwrap();
    assert_ne!(new_id, id);

    let original = get(&app, &format!("/api/v1/people/{id}/plan"), Some(&ana))
        .await
        .json();
    let copy = get(&app, &format!("/api/v1/people/{new_id}/plan"), Some(&bo))
        .await
        .json();
    assert_eq!(without_ids(&original), without_ids(&copy));
    let original = get(&app, &format!("/api/v1/people/{id}/record"), Some(&ana))
        .await
        .json();
    let copy = get(&app, &format!("/api/v1/people/{new_id}/record"), Some(&bo))
        .await
        .json();
    assert_eq!(original, copy);
    // Ana still cannot see Bo's copy.
    expect(
        &get(&app, &format!("/api/v1/people/{new_id}/plan"), Some(&ana)).await,
        404,
    );

    // Bad backups.
    let mut wrong = backup.clone();
    wrong["format"] = json!("willis-backup/99");
    let a = post(&app, "/api/v1/import", Some(&bo), wrong).await;
    expect(&a, 422);
    assert!(a.error().contains("format"), "{}", a.error());
    expect(
        &send(
            &app,
            request(Method::POST, "/api/v1/import", Some(&bo), "{"),
        )
        .await,
        400,
    );
    expect(&post(&app, "/api/v1/import", None, backup).await, 401);
    expect(&get(&app, "/api/v1/export", None).await, 401);
}

fn example_records() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/records");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(out.len() >= 3, "example records in {}", dir.display());
    out
}

async fn assess_every_example_record(b: Backend) {
    // Today pinned after every date in the examples, so they stay valid.
    let today = NaiveDate::from_ymd_opt(2030, 6, 1).unwrap();
    let (app, _g) = web_with(
        b,
        Config {
            today: Some(today),
            ..Config::default()
        },
    )
    .await;
    for (path, text) in example_records() {
        let a = send(
            &app,
            request(Method::POST, "/api/v1/assess", None, text.clone()),
        )
        .await;
        expect(&a, 200);
        let got = a.json();
        assert_eq!(got["format"], "willis-assessment/1", "{path}");
        assert_eq!(got["as_of"], today.to_string(), "{path}");
        let file = willis_core::parse::record_file_from_json(&text).unwrap();
        let record = file
            .validate_on(willis_core::Knowledge::get(), today)
            .unwrap();
        let direct = willis_core::assess(&record, today, willis_core::Profile::default());
        let want: Vec<String> = direct.steps.iter().map(|s| s.id.to_string()).collect();
        let have: Vec<String> = got["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(have, want, "{path}");
        assert_eq!(got, serde_json::to_value(&direct).unwrap(), "{path}");
    }
}

async fn assess_refuses_a_bad_record(b: Backend) {
    let (app, g) = web(b).await;
    let bad_unit = json!({"format": "willis-record/1", "labs": [{"test": "ferritin", "value": 20, "unit": "mg/furlong", "date": days_ago(&g, 3)}]});
    let a = post(&app, "/api/v1/assess", None, bad_unit).await;
    expect(&a, 422);
    assert!(a.error().contains("unit"), "{}", a.error());
    let future = (g.web.today() + Duration::days(3)).to_string();
    let a = post(
        &app,
        "/api/v1/assess",
        None,
        json!({"format": "willis-record/1", "diary": [{"date": future, "severity": 3}]}),
    )
    .await;
    expect(&a, 422);
    assert!(a.error().contains("date"), "{}", a.error());
    let a = post(
        &app,
        "/api/v1/assess",
        None,
        json!({"format": "willis-record/7"}),
    )
    .await;
    expect(&a, 422);
    assert!(a.error().contains("format"), "{}", a.error());
    let a = post(
        &app,
        "/api/v1/assess?guideline=unknown",
        None,
        json!({"format": "willis-record/1"}),
    )
    .await;
    expect(&a, 422);
    assert!(a.error().starts_with("guideline:"), "{}", a.error());
    let a = send(
        &app,
        request(Method::POST, "/api/v1/assess", None, vec![0xff, 0xfe]),
    )
    .await;
    expect(&a, 400);
    let a = send(
        &app,
        request(Method::POST, "/api/v1/assess", None, "{not json"),
    )
    .await;
    assert!(a.status == 400 || a.status == 422, "{}", a.status);
    // Nothing is stored and no account is needed.
    let a = post(
        &app,
        "/api/v1/assess",
        None,
        json!({"format": "willis-record/1"}),
    )
    .await;
    expect(&a, 200);
}

/// A FHIR Bundle is assessed like its record twin; the `Willis-Skipped`
/// header counts what a Bundle held that was not used.
async fn assess_a_fhir_bundle(b: Backend) {
    let today = NaiveDate::from_ymd_opt(2030, 6, 1).unwrap();
    let (app, _g) = web_with(
        b,
        Config {
            today: Some(today),
            ..Config::default()
        },
    )
    .await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let twin = send(
        &app,
        request(
            Method::POST,
            "/api/v1/assess",
            None,
            read("examples/records/typical-low-ferritin.json"),
        ),
    )
    .await;
    expect(&twin, 200);
    assert_eq!(twin.header("willis-skipped"), None);
    let bundle = send(
        &app,
        request(
            Method::POST,
            "/api/v1/assess",
            None,
            read("examples/fhir/typical-low-ferritin.bundle.json"),
        ),
    )
    .await;
    expect(&bundle, 200);
    assert_eq!(bundle.header("willis-skipped"), Some("0"));
    assert_eq!(bundle.json(), twin.json());
    let ehr = send(
        &app,
        request(
            Method::POST,
            "/api/v1/assess",
            None,
            read("examples/fhir/ehr-searchset.json"),
        ),
    )
    .await;
    expect(&ehr, 200);
    let skipped: usize = ehr.header("willis-skipped").unwrap().parse().unwrap();
    assert!(skipped > 0, "the EHR example holds unusable results");
    let not_a_bundle = post(
        &app,
        "/api/v1/assess",
        None,
        json!({"resourceType": "Bundle", "entry": "nope"}),
    )
    .await;
    expect(&not_a_bundle, 422);
    assert!(
        not_a_bundle.error().contains("Bundle"),
        "{}",
        not_a_bundle.error()
    );
}
