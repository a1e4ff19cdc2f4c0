//! CDS Hooks: discovery, patient-view and order-select calls modelled on the
//! specification's examples, prefetch that is sent, `null`, missing or
//! fetched from a (fake, local) FHIR server, feedback, CORS, the modes of
//! `--cds-trust` / `--cds-insecure-no-auth`, and calls authenticated with a
//! real ES384 JWT.
//!
//! "Today" is pinned (the fixtures' results are a few weeks old on
//! 2026-06-15); JWTs use the real clock, as the server does.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use axum::{Json, Router};
use base64::Engine as _;
use chrono::NaiveDate;
use serde_json::{json, Value};
use willis_web::cds::cards::summary_of;
use willis_web::cds::discovery::LOINC_CODES;
use willis_web::cds::jwt::{Trust, Verifier};
use willis_web::cds::CdsAuth;
use willis_web::Config;

use common::*;

const PATIENT_VIEW: &str = "/cds-services/willis-rls-patient-view";
const ORDER_SELECT: &str = "/cds-services/willis-rls-order-select";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()
}

fn config(cds: CdsAuth) -> Config {
    Config {
        today: Some(today()),
        cds,
        ..Config::default()
    }
}

async fn insecure() -> (Router, Guard) {
    web_with(Backend::Sqlite, config(CdsAuth::InsecureNoAuth)).await
}

/// A CDS Hooks request from `examples/fhir/cds-{name}` (the README's
/// examples: what the README shows is what is tested).
fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../examples/fhir/cds-{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn cards(answer: &Answer) -> Vec<Value> {
    expect(answer, 200);
    let body = answer.json();
    body["cards"]
        .as_array()
        .unwrap_or_else(|| panic!("no cards array: {body}"))
        .clone()
}

/// The specification's required fields and rules for a card.
#[track_caller]
fn check_card(card: &Value) {
    let summary = card["summary"].as_str().expect("summary");
    assert!(!summary.is_empty());
    assert!(summary.chars().count() < 140, "summary too long: {summary}");
    assert!(
        ["info", "warning", "critical"].contains(&card["indicator"].as_str().unwrap()),
        "{card}"
    );
    assert!(!card["source"]["label"].as_str().unwrap().is_empty());
    let uuid = card["uuid"].as_str().expect("uuid");
    assert!(uuid::Uuid::parse_str(uuid).is_ok(), "{uuid}");
    assert!(card["detail"].as_str().is_some_and(|d| !d.is_empty()));
    match card.get("suggestions") {
        Some(s) => {
            let s = s.as_array().unwrap();
            assert!(!s.is_empty());
            assert!(
                ["at-most-one", "any"].contains(&card["selectionBehavior"].as_str().unwrap()),
                "{card}"
            );
            for suggestion in s {
                assert!(suggestion["label"].as_str().is_some());
                assert!(uuid::Uuid::parse_str(suggestion["uuid"].as_str().unwrap()).is_ok());
                for action in suggestion["actions"].as_array().unwrap() {
                    assert!(
                        ["create", "update", "delete"].contains(&action["type"].as_str().unwrap())
                    );
                    assert!(action["description"].as_str().is_some());
                    if action["type"] == "delete" {
                        assert!(action["resourceId"].as_str().is_some(), "{action}");
                    } else {
                        assert!(action["resource"].is_object(), "{action}");
                    }
                }
            }
        }
        None => assert!(card.get("selectionBehavior").is_none(), "{card}"),
    }
    assert!(
        card.get("actionSelectionBehavior").is_none(),
        "not used without the client's say-so"
    );
}

fn topic(card: &Value) -> &str {
    card["source"]["topic"]["code"].as_str().unwrap_or("")
}

// ---------------------------------------------------------------- discovery

#[tokio::test]
async fn discovery_lists_both_services_with_their_prefetch() {
    let (app, _g) = insecure().await;
    let a = get(&app, "/cds-services", None).await;
    expect(&a, 200);
    let body = a.json();
    let services = body["services"].as_array().unwrap();
    assert_eq!(services.len(), 2);
    let by_id = |id: &str| services.iter().find(|s| s["id"] == id).unwrap().clone();
    let pv = by_id("willis-rls-patient-view");
    let os = by_id("willis-rls-order-select");
    assert_eq!(pv["hook"], "patient-view");
    assert_eq!(os["hook"], "order-select");
    for s in [&pv, &os] {
        assert!(!s["description"].as_str().unwrap().is_empty());
        assert!(!s["title"].as_str().unwrap().is_empty());
        assert!(s["version"].is_string());
        let mut keys: Vec<&str> = s["prefetch"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            ["conditions", "medications", "observations", "patient"]
        );
        assert_eq!(s["prefetch"]["patient"], "Patient/{{context.patientId}}");
        let obs = s["prefetch"]["observations"].as_str().unwrap();
        assert!(obs.starts_with("Observation?patient={{context.patientId}}&code="));
        for code in LOINC_CODES {
            assert!(obs.contains(&format!("http://loinc.org|{code}")), "{code}");
        }
        assert!(s["prefetch"]["conditions"]
            .as_str()
            .unwrap()
            .starts_with("Condition?patient={{context.patientId}}"));
        assert!(s["prefetch"]["medications"]
            .as_str()
            .unwrap()
            .starts_with("MedicationRequest?patient={{context.patientId}}"));
    }
}

#[test]
fn every_listed_loinc_code_is_one_the_mapping_reads() {
    for code in LOINC_CODES {
        assert!(willis_fhir::codes::loinc_test(code).is_some(), "{code}");
    }
}

#[test]
fn summaries_are_cut_on_a_character_boundary() {
    let long = "Ferritin für Ärztinnen — ".repeat(10);
    let s = summary_of(&long);
    assert!(s.chars().count() < 140, "{}", s.chars().count());
    assert!(s.ends_with('…'));
    assert_eq!(summary_of("short"), "short");
    let exactly = "é".repeat(139);
    assert_eq!(summary_of(&exactly), exactly);
    assert!(summary_of(&"é".repeat(140)).ends_with('…'));
}

// ---------------------------------------------------------------- patient-view

#[tokio::test]
async fn patient_view_gives_cards_for_rls_with_low_ferritin() {
    let (app, _g) = insecure().await;
    let a = post(&app, PATIENT_VIEW, None, fixture("patient-view.json")).await;
    let cards = cards(&a);
    assert!(!cards.is_empty());
    for card in &cards {
        check_card(card);
        assert_eq!(card["source"]["label"], "Willis (IRLSSG 2018 guideline)");
    }
    let topics: Vec<&str> = cards.iter().map(topic).collect();
    // Ferritin 30 with TSAT 18 %: iron is the step (IV under IRLSSG 2018).
    let iron = cards
        .iter()
        .find(|c| topic(c).starts_with("iron."))
        .unwrap_or_else(|| panic!("no iron step among {topics:?}"));
    let detail = iron["detail"].as_str().unwrap();
    assert!(detail.contains("ferritin 30 µg/L"), "{detail}");
    assert!(detail.contains("TSAT 18 %"), "{detail}");
    assert!(detail.contains("**Why:**"), "{detail}");
    assert!(iron["source"]["url"]
        .as_str()
        .is_some_and(|u| u.starts_with("http")));
    // Sertraline can worsen RLS: a warning, first.
    assert_eq!(topics[0], "warn.aggravating-medication", "{topics:?}");
    assert_eq!(cards[0]["indicator"], "warning");
    assert!(cards[0]["summary"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("sertraline"));
    // Each call's cards have their own ids.
    let again = post(&app, PATIENT_VIEW, None, fixture("patient-view.json")).await;
    let again = self::cards(&again);
    assert_ne!(again[0]["uuid"], cards[0]["uuid"]);
}

#[tokio::test]
async fn without_an_iron_panel_the_card_suggests_ordering_one() {
    let (app, _g) = insecure().await;
    let mut request = fixture("patient-view.json");
    request["prefetch"]["observations"]["entry"] = json!([]);
    let cards = cards(&post(&app, PATIENT_VIEW, None, request).await);
    cards.iter().for_each(check_card);
    let panel = cards
        .iter()
        .find(|c| topic(c) == "test.iron-panel")
        .unwrap_or_else(|| panic!("{cards:?}"));
    let suggestion = &panel["suggestions"][0];
    assert!(suggestion["label"]
        .as_str()
        .unwrap()
        .contains("Order an iron panel"));
    let mut codes: Vec<&str> = suggestion["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["type"], "create");
            assert_eq!(a["resource"]["resourceType"], "ServiceRequest");
            assert_eq!(a["resource"]["subject"]["reference"], "Patient/1288992");
            assert_eq!(
                a["resource"]["code"]["coding"][0]["system"],
                "http://loinc.org"
            );
            a["resource"]["code"]["coding"][0]["code"].as_str().unwrap()
        })
        .collect();
    codes.sort();
    assert_eq!(codes, ["2276-4", "2498-4", "2500-7", "2502-3"]);
}

#[tokio::test]
async fn no_card_for_a_patient_without_rls() {
    let (app, _g) = insecure().await;
    let mut request = fixture("patient-view.json");
    request["prefetch"]["conditions"] =
        json!({"resourceType": "Bundle", "type": "searchset", "total": 0});
    let a = post(&app, PATIENT_VIEW, None, request).await;
    expect(&a, 200);
    assert_eq!(a.json(), json!({"cards": []}));
}

#[tokio::test]
async fn null_prefetch_is_no_data_and_missing_prefetch_without_a_server_is_no_card() {
    let (app, _g) = insecure().await;
    // `null` patient (not found) with the rest sent: still cards.
    let mut request = fixture("patient-view.json");
    request["prefetch"]["patient"] = Value::Null;
    assert!(!cards(&post(&app, PATIENT_VIEW, None, request).await).is_empty());
    // Every key null: no data, no RLS, no card.
    let mut request = fixture("patient-view.json");
    for key in ["patient", "observations", "medications", "conditions"] {
        request["prefetch"][key] = Value::Null;
    }
    assert_eq!(
        post(&app, PATIENT_VIEW, None, request).await.json(),
        json!({"cards": []})
    );
    // Keys left out and no fhirServer to fetch them from.
    let mut request = fixture("patient-view.json");
    request.as_object_mut().unwrap().remove("prefetch");
    request.as_object_mut().unwrap().remove("fhirServer");
    request.as_object_mut().unwrap().remove("fhirAuthorization");
    let a = post(&app, PATIENT_VIEW, None, request).await;
    expect(&a, 200);
    assert_eq!(a.json(), json!({"cards": []}));
    // An OperationOutcome among the entries is not fatal.
    let mut request = fixture("patient-view.json");
    request["prefetch"]["observations"]["entry"]
        .as_array_mut()
        .unwrap()
        .push(json!({"resource": {"resourceType": "OperationOutcome", "issue": [
            {"severity": "warning", "code": "incomplete", "diagnostics": "some results withheld"}]}}));
    assert!(!cards(&post(&app, PATIENT_VIEW, None, request).await).is_empty());
}

#[tokio::test]
async fn a_plain_http_fhir_server_elsewhere_gets_no_token_and_gives_no_card() {
    let (app, _g) = insecure().await;
    let mut request = fixture("patient-view.json");
    request["fhirServer"] = json!("http://ehr.example.org/fhir");
    request["prefetch"]
        .as_object_mut()
        .unwrap()
        .remove("conditions");
    let started = Instant::now();
    let a = post(&app, PATIENT_VIEW, None, request).await;
    assert_eq!(a.json(), json!({"cards": []}));
    assert!(started.elapsed() < Duration::from_secs(1));
}

// ---------------------------------------------------------------- a fake FHIR server

#[derive(Clone)]
struct Fake {
    chart: Arc<Value>,
    token: &'static str,
    delay: Duration,
    calls: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
    queries: Arc<Mutex<Vec<String>>>,
}

fn authorized(fake: &Fake, headers: &HeaderMap) -> bool {
    let ok = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {}", fake.token));
    if !ok {
        fake.refused.fetch_add(1, Ordering::SeqCst);
    }
    ok
}

async fn fake_search(
    State(fake): State<Fake>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> axum::response::Response {
    fake.calls.fetch_add(1, Ordering::SeqCst);
    fake.queries.lock().unwrap().push(uri.to_string());
    tokio::time::sleep(fake.delay).await;
    if !authorized(&fake, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let key = match kind.as_str() {
        "Observation" => "observations",
        "MedicationRequest" => "medications",
        "Condition" => "conditions",
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    Json(fake.chart["prefetch"][key].clone()).into_response()
}

async fn fake_read(
    State(fake): State<Fake>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> axum::response::Response {
    fake.calls.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(fake.delay).await;
    if !authorized(&fake, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if id != "1288992" {
        return StatusCode::NOT_FOUND.into_response();
    }
    Json(fake.chart["prefetch"]["patient"].clone()).into_response()
}

/// A FHIR server on loopback serving the patient-view fixture's data.
async fn fake_fhir(delay: Duration) -> (String, Fake) {
    let fake = Fake {
        chart: Arc::new(fixture("patient-view.json")),
        token: "fhir-access-token-for-willis",
        delay,
        calls: Arc::default(),
        refused: Arc::default(),
        queries: Arc::default(),
    };
    let app = Router::new()
        .route("/fhir/Patient/{id}", route_get(fake_read))
        .route("/fhir/{kind}", route_get(fake_search))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/fhir"), fake)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_prefetch_is_fetched_from_the_fhir_server_with_the_token() {
    let (app, _g) = insecure().await;
    let (base, fake) = fake_fhir(Duration::ZERO).await;
    let mut request = fixture("patient-view.json");
    request["fhirServer"] = json!(base);
    request["fhirAuthorization"]["access_token"] = json!(fake.token);
    request.as_object_mut().unwrap().remove("prefetch");
    let fetched = cards(&post(&app, PATIENT_VIEW, None, request.clone()).await);
    assert_eq!(fake.calls.load(Ordering::SeqCst), 4);
    assert_eq!(fake.refused.load(Ordering::SeqCst), 0);
    let sent = cards(&post(&app, PATIENT_VIEW, None, fixture("patient-view.json")).await);
    let topics = |c: &[Value]| c.iter().map(|c| topic(c).to_string()).collect::<Vec<_>>();
    assert_eq!(topics(&fetched), topics(&sent));
    let queries = fake.queries.lock().unwrap().clone();
    assert!(
        queries
            .iter()
            .any(|q| q.starts_with("/fhir/Observation?patient=1288992&code=")),
        "{queries:?}"
    );
    // Only the key left out is fetched.
    let mut partial = fixture("patient-view.json");
    partial["fhirServer"] = json!(base);
    partial["fhirAuthorization"]["access_token"] = json!(fake.token);
    partial["prefetch"]
        .as_object_mut()
        .unwrap()
        .remove("conditions");
    assert!(!cards(&post(&app, PATIENT_VIEW, None, partial).await).is_empty());
    assert_eq!(fake.calls.load(Ordering::SeqCst), 5);
    // A wrong token: the server refuses, so no card (and no error).
    let mut wrong = request.clone();
    wrong["fhirAuthorization"]["access_token"] = json!("not-the-token");
    let a = post(&app, PATIENT_VIEW, None, wrong).await;
    assert_eq!(a.json(), json!({"cards": []}));
    assert!(fake.refused.load(Ordering::SeqCst) > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_fhir_server_gives_no_card_quickly() {
    let (app, _g) = insecure().await;
    let (base, fake) = fake_fhir(Duration::from_secs(30)).await;
    let mut request = fixture("patient-view.json");
    request["fhirServer"] = json!(base);
    request["fhirAuthorization"]["access_token"] = json!(fake.token);
    request.as_object_mut().unwrap().remove("prefetch");
    let started = Instant::now();
    let a = post(&app, PATIENT_VIEW, None, request).await;
    expect(&a, 200);
    assert_eq!(a.json(), json!({"cards": []}));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
}

// ---------------------------------------------------------------- order-select

/// The order-select fixture with the patient-view fixture's chart.
fn order(select: &[&str]) -> Value {
    let mut request = fixture("order-select.json");
    request["prefetch"] = fixture("patient-view.json")["prefetch"].clone();
    request["context"]["selections"] = json!(select);
    request
}

fn set_draft(request: &mut Value, concept: Value) {
    request["context"]["draftOrders"]["entry"][0]["resource"]["medicationCodeableConcept"] =
        concept;
}

#[tokio::test]
async fn order_select_warns_on_a_medicine_that_worsens_rls() {
    let (app, _g) = insecure().await;
    let cards = cards(
        &post(
            &app,
            ORDER_SELECT,
            None,
            order(&["MedicationRequest/draft-1"]),
        )
        .await,
    );
    assert_eq!(cards.len(), 1, "{cards:?}");
    let card = &cards[0];
    check_card(card);
    assert_eq!(card["indicator"], "warning");
    assert!(
        card["summary"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("diphenhydramine"),
        "{card}"
    );
    let detail = card["detail"].as_str().unwrap();
    assert!(detail.contains("loratadine"), "{detail}");
    assert_eq!(
        detail.matches("loratadine").count(),
        1,
        "named once: {detail}"
    );
    let action = &card["suggestions"][0]["actions"][0];
    assert_eq!(action["type"], "delete");
    assert_eq!(action["resourceId"], "MedicationRequest/draft-1");
    // Both drafts selected: metoclopramide blocks dopamine too.
    let both = self::cards(
        &post(
            &app,
            ORDER_SELECT,
            None,
            order(&["MedicationRequest/draft-1", "MedicationRequest/draft-2"]),
        )
        .await,
    );
    assert_eq!(both.len(), 2, "{both:?}");
    assert!(both[1]["summary"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("metoclopramide"));
}

#[tokio::test]
async fn order_select_warns_on_a_new_dopamine_agonist_only() {
    let (app, _g) = insecure().await;
    let mut request = order(&["MedicationRequest/draft-1"]);
    set_draft(
        &mut request,
        json!({"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "8123"}],
               "text": "Mirapex 0.125 mg tablet"}),
    );
    let cards = cards(&post(&app, ORDER_SELECT, None, request.clone()).await);
    assert_eq!(cards.len(), 1, "{cards:?}");
    check_card(&cards[0]);
    assert!(cards[0]["summary"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("dopamine agonist"));
    let detail = cards[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("pregabalin") && detail.contains("gabapentin"),
        "{detail}"
    );
    // Already taking it: a renewal is not a new agonist.
    request["prefetch"]["medications"]["entry"]
        .as_array_mut()
        .unwrap()
        .push(json!({"resource": {
            "resourceType": "MedicationRequest", "id": "pramipexole-1", "status": "active",
            "intent": "order", "subject": {"reference": "Patient/1288992"},
            "medicationCodeableConcept": {"text": "pramipexole 0.125 mg"},
            "authoredOn": "2025-01-10"}}));
    assert_eq!(
        post(&app, ORDER_SELECT, None, request).await.json(),
        json!({"cards": []})
    );
}

#[tokio::test]
async fn order_select_says_nothing_on_unrelated_or_unselected_orders_or_without_rls() {
    let (app, _g) = insecure().await;
    let mut request = order(&["MedicationRequest/draft-1"]);
    set_draft(&mut request, json!({"text": "metformin 500 mg tablet"}));
    assert_eq!(
        post(&app, ORDER_SELECT, None, request).await.json(),
        json!({"cards": []})
    );
    // Diphenhydramine drafted but another order selected.
    let request = order(&["MedicationRequest/something-else"]);
    assert_eq!(
        post(&app, ORDER_SELECT, None, request).await.json(),
        json!({"cards": []})
    );
    // No RLS.
    let mut request = order(&["MedicationRequest/draft-1"]);
    request["prefetch"]["conditions"] = json!({"resourceType": "Bundle", "type": "searchset"});
    assert_eq!(
        post(&app, ORDER_SELECT, None, request).await.json(),
        json!({"cards": []})
    );
}

// ---------------------------------------------------------------- bad calls

/// A change made to a request.
type Change = Box<dyn Fn(&mut Value)>;

#[tokio::test]
async fn bad_calls_are_400_with_an_operation_outcome_naming_the_field() {
    let (app, _g) = insecure().await;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            PATIENT_VIEW,
            Box::new(|r| {
                r.as_object_mut().unwrap().remove("hookInstance");
            }),
            "hookInstance",
        ),
        (
            PATIENT_VIEW,
            Box::new(|r| r["hook"] = json!("order-sign")),
            "hook",
        ),
        (
            PATIENT_VIEW,
            Box::new(|r| {
                r["context"].as_object_mut().unwrap().remove("patientId");
            }),
            "context.patientId",
        ),
        (
            PATIENT_VIEW,
            Box::new(|r| r["context"]["patientId"] = json!("../Patient/1")),
            "context.patientId",
        ),
        (
            PATIENT_VIEW,
            Box::new(|r| {
                r.as_object_mut().unwrap().remove("context");
            }),
            "context",
        ),
        (
            PATIENT_VIEW,
            Box::new(|r| r["prefetch"]["observations"] = json!("yes")),
            "prefetch.observations",
        ),
        (
            PATIENT_VIEW,
            Box::new(|r| {
                r.as_object_mut().unwrap().remove("fhirServer");
            }),
            "fhirServer",
        ),
        (
            PATIENT_VIEW,
            Box::new(|r| {
                r["fhirAuthorization"]
                    .as_object_mut()
                    .unwrap()
                    .remove("access_token");
            }),
            "fhirAuthorization.access_token",
        ),
    ];
    for (path, change, field) in cases {
        let mut request = fixture("patient-view.json");
        change(&mut request);
        let a = post(&app, path, None, request).await;
        expect(&a, 400);
        let body = a.json();
        assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
        let issue = &body["issue"][0];
        assert_eq!(issue["severity"], "error");
        assert_eq!(issue["expression"][0], field, "{body}");
        assert!(issue["diagnostics"].as_str().unwrap().starts_with(field));
    }
    let mut request = order(&["MedicationRequest/draft-1"]);
    request["context"]
        .as_object_mut()
        .unwrap()
        .remove("draftOrders");
    let a = post(&app, ORDER_SELECT, None, request).await;
    expect(&a, 400);
    assert_eq!(a.json()["issue"][0]["expression"][0], "context.draftOrders");
    let a = send(&app, request_raw(PATIENT_VIEW, "{not json")).await;
    expect(&a, 400);
    assert_eq!(a.json()["resourceType"], "OperationOutcome");
    let a = post(
        &app,
        "/cds-services/no-such-service",
        None,
        fixture("patient-view.json"),
    )
    .await;
    expect(&a, 404);
    assert_eq!(a.json()["issue"][0]["code"], "not-found");
}

fn request_raw(uri: &str, body: &str) -> Request<Body> {
    request(Method::POST, uri, None, body.to_string())
}

#[tokio::test]
async fn a_year_of_data_fits_and_more_than_4_mib_is_refused() {
    let (app, _g) = insecure().await;
    let mut request = fixture("patient-view.json");
    let ferritin = request["prefetch"]["observations"]["entry"][0].clone();
    let entries = request["prefetch"]["observations"]["entry"]
        .as_array_mut()
        .unwrap();
    for month in 1..=12 {
        let mut e = ferritin.clone();
        e["resource"]["id"] = json!(format!("ferritin-m{month}"));
        e["resource"]["effectiveDateTime"] = json!(format!("2025-{month:02}-10"));
        entries.push(e);
    }
    assert!(!cards(&post(&app, PATIENT_VIEW, None, request.clone()).await).is_empty());
    // Over the app's usual 256 KiB limit, under the CDS routes' 4 MiB.
    request["padding"] = json!("x".repeat(1024 * 1024));
    assert!(!cards(&post(&app, PATIENT_VIEW, None, request.clone()).await).is_empty());
    request["padding"] = json!("x".repeat(5 * 1024 * 1024));
    let a = post(&app, PATIENT_VIEW, None, request).await;
    expect(&a, 413);
    assert_eq!(a.json()["resourceType"], "OperationOutcome");
}

// ---------------------------------------------------------------- feedback

#[tokio::test]
async fn feedback_is_accepted_once_and_checked() {
    let (app, g) = insecure().await;
    let path = "/cds-services/willis-rls-patient-view/feedback";
    let accepted = json!({"feedback": [{
        "card": "f6b95768-b1c8-40dc-8385-bf3504b82ffb",
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
        "outcomeTimestamp": "2026-06-15T10:00:00Z"}]});
    expect(&post(&app, path, None, accepted.clone()).await, 200);
    expect(&post(&app, path, None, accepted).await, 200);
    let overridden = json!({"feedback": [{
        "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
        "outcome": "overridden",
        "overrideReason": {"reason": {"code": "reason-code-provided-by-service",
            "system": "http://example.org/cds-services/fhir/CodeSystem/override-reasons",
            "display": "Patient refused"}, "userComment": "private words"},
        "outcomeTimestamp": "2026-06-15T10:05:00+02:00"}]});
    expect(&post(&app, path, None, overridden).await, 200);
    let log = g.web.cds().feedback().entries();
    assert_eq!(log.len(), 2, "a repeat is recorded once: {log:?}");
    assert_eq!(log[1].feedback.outcome, "overridden");
    assert!(log[1].feedback.had_comment);
    assert!(
        !format!("{log:?}").contains("private words"),
        "free text is not kept"
    );
    for (body, field) in [
        (
            json!({"feedback": [{"card": "c", "outcome": "ignored", "outcomeTimestamp": "2026-06-15T10:00:00Z"}]}),
            "feedback[0].outcome",
        ),
        (
            json!({"feedback": [{"card": "c", "outcome": "accepted", "outcomeTimestamp": "2026-06-15T10:00:00Z"}]}),
            "feedback[0].acceptedSuggestions",
        ),
        (
            json!({"feedback": [{"card": "c", "outcome": "overridden", "outcomeTimestamp": "yesterday"}]}),
            "feedback[0].outcomeTimestamp",
        ),
        (
            json!({"feedback": [{"outcome": "overridden", "outcomeTimestamp": "2026-06-15T10:00:00Z"}]}),
            "feedback[0].card",
        ),
        (json!({"cards": []}), "feedback"),
    ] {
        let a = post(&app, path, None, body).await;
        expect(&a, 400);
        assert_eq!(a.json()["issue"][0]["expression"][0], field);
    }
    assert_eq!(g.web.cds().feedback().entries().len(), 2);
    expect(
        &post(
            &app,
            "/cds-services/nope/feedback",
            None,
            json!({"feedback": []}),
        )
        .await,
        404,
    );
}

// ---------------------------------------------------------------- CORS, modes

#[tokio::test]
async fn cors_preflight_is_answered() {
    let (app, _g) = insecure().await;
    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri(PATIENT_VIEW)
        .header(header::ORIGIN, "https://ehr.example.org")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "authorization,content-type",
        )
        .body(Body::empty())
        .unwrap();
    let a = send(&app, preflight).await;
    assert!(a.status.is_success(), "{}", a.status);
    assert_eq!(a.header("access-control-allow-origin"), Some("*"));
    let methods = a
        .header("access-control-allow-methods")
        .unwrap()
        .to_uppercase();
    for m in ["GET", "POST", "OPTIONS"] {
        assert!(methods.contains(m), "{methods}");
    }
    let headers = a
        .header("access-control-allow-headers")
        .unwrap()
        .to_lowercase();
    assert!(headers.contains("authorization") && headers.contains("content-type"));
    assert!(a.header("access-control-allow-credentials").is_none());
    // The answer itself carries the origin header too.
    let mut discovery = request(Method::GET, "/cds-services", None, "");
    discovery
        .headers_mut()
        .insert(header::ORIGIN, "https://ehr.example.org".parse().unwrap());
    let a = send(&app, discovery).await;
    expect(&a, 200);
    assert_eq!(a.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn without_configuration_every_cds_call_is_refused() {
    let (app, _g) = web_with(Backend::Sqlite, config(CdsAuth::Off)).await;
    for a in [
        get(&app, "/cds-services", None).await,
        post(&app, PATIENT_VIEW, None, fixture("patient-view.json")).await,
        post(
            &app,
            "/cds-services/willis-rls-patient-view/feedback",
            None,
            json!({"feedback": []}),
        )
        .await,
    ] {
        expect(&a, 503);
        let body = a.json();
        assert_eq!(body["resourceType"], "OperationOutcome");
        assert!(body["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("not configured"));
    }
}

#[tokio::test]
async fn an_ehr_jwt_is_not_mistaken_for_a_willis_api_token() {
    let (app, _g) = insecure().await;
    let a = post(
        &app,
        PATIENT_VIEW,
        Some("eyJhbGciOiJFUzM4NCJ9.e30.c2ln"),
        fixture("patient-view.json"),
    )
    .await;
    assert!(!cards(&a).is_empty());
}

// ---------------------------------------------------------------- JWT (real verifier)

const ISSUER: &str = "https://ehr.example.org";
const PUBLIC: &str = "https://cds.example.org";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An ES384 key pair: the signer, and the trust file naming its public key.
fn es384() -> (ring::signature::EcdsaKeyPair, String) {
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P384_SHA384_FIXED_SIGNING};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let point = pair.public_key().as_ref();
    assert_eq!(point.len(), 97);
    let jwk = json!({"kty": "EC", "crv": "P-384", "kid": "ehr-key-1", "alg": "ES384", "use": "sig",
        "x": b64(&point[1..49]), "y": b64(&point[49..97])});
    let trust = json!({"issuers": [{"iss": ISSUER, "jwks": {"keys": [jwk]}}]});
    (pair, trust.to_string())
}

fn sign(pair: &ring::signature::EcdsaKeyPair, aud: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let header = json!({"alg": "ES384", "typ": "JWT", "kid": "ehr-key-1"});
    let claims = json!({"iss": ISSUER, "sub": "willis-cds", "aud": aud, "exp": now + 300,
        "iat": now, "jti": uuid::Uuid::new_v4().to_string()});
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let rng = ring::rand::SystemRandom::new();
    let signature = pair.sign(&rng, input.as_bytes()).unwrap();
    format!("{input}.{}", b64(signature.as_ref()))
}

async fn trusted() -> (Router, Guard, ring::signature::EcdsaKeyPair) {
    let (pair, trust) = es384();
    let verifier = Verifier::new(Trust::from_json(&trust).unwrap());
    let mut c = config(CdsAuth::Trusted(Arc::new(verifier)));
    c.public_url = Some(PUBLIC.into());
    let (app, g) = web_with(Backend::Sqlite, c).await;
    (app, g, pair)
}

#[tokio::test]
async fn a_signed_call_is_answered_and_an_unsigned_one_refused() {
    let (app, _g, pair) = trusted().await;
    let aud = format!("{PUBLIC}{PATIENT_VIEW}");
    let token = sign(&pair, &aud);
    let a = post(
        &app,
        PATIENT_VIEW,
        Some(&token),
        fixture("patient-view.json"),
    )
    .await;
    assert!(!cards(&a).is_empty());
    // The same token again: a replayed jti.
    let a = post(
        &app,
        PATIENT_VIEW,
        Some(&token),
        fixture("patient-view.json"),
    )
    .await;
    expect(&a, 401);
    let a = post(&app, PATIENT_VIEW, None, fixture("patient-view.json")).await;
    expect(&a, 401);
    assert_eq!(a.json()["resourceType"], "OperationOutcome");
    assert_eq!(a.header("www-authenticate"), Some("Bearer"));
    // A token for another service.
    let other = sign(&pair, &format!("{PUBLIC}{ORDER_SELECT}"));
    let a = post(
        &app,
        PATIENT_VIEW,
        Some(&other),
        fixture("patient-view.json"),
    )
    .await;
    expect(&a, 401);
    assert!(!a.text().contains(&other), "the token is never echoed");
}

#[tokio::test]
async fn discovery_needs_no_token_but_a_bad_one_is_refused() {
    let (app, _g, pair) = trusted().await;
    expect(&get(&app, "/cds-services", None).await, 200);
    let good = sign(&pair, &format!("{PUBLIC}/cds-services"));
    expect(&get(&app, "/cds-services", Some(&good)).await, 200);
    let wrong = sign(&pair, &format!("{PUBLIC}{PATIENT_VIEW}"));
    expect(&get(&app, "/cds-services", Some(&wrong)).await, 401);
}

#[tokio::test]
async fn feedback_accepts_the_service_or_the_feedback_url_as_audience() {
    let (app, _g, pair) = trusted().await;
    let path = "/cds-services/willis-rls-patient-view/feedback";
    let body = json!({"feedback": [{"card": "c1", "outcome": "overridden",
        "outcomeTimestamp": "2026-06-15T10:00:00Z"}]});
    for aud in [format!("{PUBLIC}{PATIENT_VIEW}"), format!("{PUBLIC}{path}")] {
        let token = sign(&pair, &aud);
        expect(&post(&app, path, Some(&token), body.clone()).await, 200);
    }
    expect(&post(&app, path, None, body).await, 401);
}
