//! CDS Hooks 2.0: Willis answering inside the clinician's EHR.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /cds-services` | discovery ([`discovery`]) |
//! | `POST /cds-services/willis-rls-patient-view` | cards for a patient with RLS ([`cards`]) |
//! | `POST /cds-services/willis-rls-order-select` | a warning on a draft order that can worsen RLS ([`orders`]) |
//! | `POST /cds-services/{id}/feedback` | what the clinician did with a card ([`feedback`]) |
//!
//! Wire semantics are CDS Hooks 2.0; two harmless 3.0 additions are emitted
//! too: `version` in discovery and FHIR `OperationOutcome` error bodies.
//!
//! # Who may call
//!
//! [`CdsAuth`] (from `willis serve --cds-trust FILE` or
//! `--cds-insecure-no-auth`): without either, every CDS route answers 503
//! with an OperationOutcome saying CDS Hooks are not configured. With a trust
//! file, a service or feedback call must carry `Authorization: Bearer <JWT>`
//! whose `aud` is the URL invoked: `{base}/cds-services/{id}` (feedback also
//! accepts `{base}/cds-services/{id}/feedback`), where `{base}` is
//! `--public-url` or `http://{listening address}`. Discovery holds no
//! patient data, so it is answered without a token; a token that is sent is
//! verified all the same (audience `{base}/cds-services`) and a bad one is
//! refused.
//!
//! # CORS
//!
//! `/cds-services/**` allows any origin (`*`), the methods GET, POST and
//! OPTIONS and the headers `Authorization` and `Content-Type`, and answers
//! preflight requests. Any origin is safe here because no cookie is used or
//! allowed (no `Access-Control-Allow-Credentials`): the authority of a call
//! is its bearer JWT alone.
//!
//! # Data and limits
//!
//! A call's body may be up to [`BODY_LIMIT`] (4 MiB: a year of monthly labs,
//! ten medicines and the conditions are well under 200 KiB). Prefetch keys
//! the EHR left out are fetched from its `fhirServer` with the access token
//! it gave ([`prefetch`]), all together within [`prefetch::FETCH_BUDGET`]; a
//! FHIR server that is slow, failing, not https (loopback excepted) or not
//! named gives `{"cards": []}`, never an error.

pub mod cards;
pub mod clinical;
pub mod discovery;
pub mod feedback;
pub mod hook;
pub mod jwt;
pub mod orders;
pub mod outcome;
pub mod prefetch;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::Web;
use outcome::Outcome;

/// The largest CDS Hooks request body.
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Who may call the CDS Hooks services.
#[derive(Debug, Clone, Default)]
pub enum CdsAuth {
    /// Not configured: every call is refused.
    #[default]
    Off,
    /// Calls must carry a JWT from an issuer of the trust file.
    Trusted(Arc<jwt::Verifier>),
    /// Local trials only: no authentication at all.
    InsecureNoAuth,
}

/// The CDS services' own state, one per [`Web`].
#[derive(Debug, Default)]
pub struct Runtime {
    listening: OnceLock<SocketAddr>,
    client: OnceLock<reqwest::Client>,
    feedback: feedback::FeedbackLog,
}

impl Runtime {
    /// Records the address `serve()` listens on (the JWT audience's base
    /// when there is no public URL). The first address set stays.
    pub fn set_listening(&self, addr: SocketAddr) {
        let _ = self.listening.set(addr);
    }

    pub fn listening(&self) -> Option<SocketAddr> {
        self.listening.get().copied()
    }

    /// The feedback received so far (most recent last).
    pub fn feedback(&self) -> &feedback::FeedbackLog {
        &self.feedback
    }

    /// The HTTP client for FHIR servers: no redirects (the access token
    /// must never follow one to another host), built on first use.
    pub fn client(&self) -> &reqwest::Client {
        self.client.get_or_init(|| {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(prefetch::FETCH_BUDGET)
                .build()
                .unwrap_or_default()
        })
    }
}

/// Whether a path belongs to the CDS services (the auth and CSRF middleware
/// let these through: they carry the EHR's JWT, not a Willis token).
pub fn is_cds_path(path: &str) -> bool {
    path == "/cds-services" || path.starts_with("/cds-services/")
}

/// The CDS routes, with their CORS policy and body limit.
pub fn routes() -> Router<Web> {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(600));
    Router::new()
        .route("/cds-services", get(discover))
        .route("/cds-services/{id}", post(call))
        .route("/cds-services/{id}/feedback", post(give_feedback))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::map_response(cross_origin))
        .layer(cors)
}

/// CDS answers are read by the EHR's pages on other origins.
async fn cross_origin(mut response: Response) -> Response {
    response.headers_mut().insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    response
}

/// The base of the JWT audiences: `--public-url` or the listening address.
fn audience_base(web: &Web) -> Option<String> {
    if let Some(public) = &web.config().public_url {
        return Some(public.trim_end_matches('/').to_string());
    }
    web.cds().listening().map(|a| format!("http://{a}"))
}

/// Whether a call may go on: `Ok` or the refusal to send.
async fn admit(
    web: &Web,
    headers: &HeaderMap,
    paths: &[String],
    token_optional: bool,
) -> Result<(), Outcome> {
    let verifier = match &web.config().cds {
        CdsAuth::Off => {
            return Err(Outcome::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not-supported",
                "CDS Hooks are not configured on this server: start it with --cds-trust FILE",
            ))
        }
        CdsAuth::InsecureNoAuth => return Ok(()),
        CdsAuth::Trusted(v) => v,
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""));
    if authorization.is_none() && token_optional {
        return Ok(());
    }
    let Some(base) = audience_base(web) else {
        return Err(Outcome::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "exception",
            "the service's own URL is not known, so no token audience can be checked: set --public-url",
        ));
    };
    let audiences: Vec<String> = paths.iter().map(|p| format!("{base}{p}")).collect();
    let audiences: Vec<&str> = audiences.iter().map(String::as_str).collect();
    match verifier.verify(authorization, &audiences, Utc::now()).await {
        Ok(_) => Ok(()),
        Err(e) => Err(Outcome::new(
            StatusCode::UNAUTHORIZED,
            "security",
            format!("Authorization: {e}"),
        )),
    }
}

/// The body, or an OperationOutcome when it cannot be read (too large).
fn body_of(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Outcome> {
    body.map_err(|e| {
        let status = e.status();
        let text = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!(
                "the request body is larger than {} MiB",
                BODY_LIMIT / 1024 / 1024
            )
        } else {
            format!("the request body cannot be read: {e}")
        };
        Outcome::new(status, "too-costly", text)
    })
}

/// `GET /cds-services`.
async fn discover(State(web): State<Web>, headers: HeaderMap) -> Response {
    if let Err(refused) = admit(&web, &headers, &["/cds-services".into()], true).await {
        return refused.into_response();
    }
    Json(discovery::services()).into_response()
}

/// `POST /cds-services/{id}`.
async fn call(
    State(web): State<Web>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(service) = discovery::Service::by_id(&id) else {
        return Outcome::unknown_service(&id).into_response();
    };
    if let Err(refused) = admit(&web, &headers, &[format!("/cds-services/{id}")], false).await {
        return refused.into_response();
    }
    let body = match body_of(body) {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let request = match hook::HookRequest::parse(&body, service) {
        Ok(r) => r,
        Err(bad) => return bad.into_response(),
    };
    let answer = match service {
        discovery::Service::PatientView => cards::patient_view(&web, request).await,
        discovery::Service::OrderSelect => orders::order_select(&web, request).await,
    };
    Json(answer).into_response()
}

/// `POST /cds-services/{id}/feedback`.
async fn give_feedback(
    State(web): State<Web>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(service) = discovery::Service::by_id(&id) else {
        return Outcome::unknown_service(&id).into_response();
    };
    let paths = [
        format!("/cds-services/{id}"),
        format!("/cds-services/{id}/feedback"),
    ];
    if let Err(refused) = admit(&web, &headers, &paths, false).await {
        return refused.into_response();
    }
    let body = match body_of(body) {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    match feedback::Feedback::parse(&body) {
        Ok(items) => {
            web.cds().feedback().record(service, items, Utc::now());
            Json(serde_json::json!({})).into_response()
        }
        Err(bad) => bad.into_response(),
    }
}
