//! The JSON API of DESIGN.md ("The authenticated JSON API"), `POST
//! /api/v1/assess`, and the OpenAPI 3.1 document generated from these
//! handlers at `/api/v1/openapi.json`.
//!
//! Bodies are the objects of the record format: a lab posted here is the same
//! object as a lab in a `willis-record/1` file, and it is checked by the same
//! code. Errors are `{"error": "..."}` naming the field.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use willis_app::{facts, When};
use willis_core::{
    assess, DiaryFile, HabitsFile, IronTreatmentFile, Knowledge, LabFile, MedicationFile,
    PatientFile, Profile, SleepFile, SymptomsFile,
};
use willis_store::{Access, Backup, Entry, Payload, PersonId, ShareId, Store, TokenId, TokenKind};

use crate::auth::{self, ApiCaller};
use crate::error::{ApiError, ApiResult};
use crate::security::{self, ATTEMPTS_PER_CLIENT, ATTEMPT_WINDOW};
use crate::Web;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Willis API",
        description = "Evidence-based care for restless legs syndrome: the journal, the plan and its renderings. Bodies use the objects of the willis-record/1 format.",
        license(name = "AGPL-3.0-or-later")
    ),
    paths(
        assess_record, signup, login, logout, tokens_list, tokens_create, tokens_revoke,
        people_list, people_create, add_lab, add_medication, add_iron_treatment, add_diary,
        add_condition, put_patient, put_symptoms, put_habits, put_sleep, get_record, get_plan,
        get_entries, letter_html, letter_pdf, reminders_ics, chart_iron, chart_diary,
        share_create, share_revoke, audit, export, import
    ),
    components(schemas(Credentials, TokenAnswer, PersonAnswer, NewPerson, NewShare, ShareAnswer,
        Added, NewApiToken, ApiToken, ErrorBody, ConditionBody)),
    modifiers(&BearerAuth),
    tags((name = "willis"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The routes of the API.
pub fn routes() -> Router<Web> {
    let person = "/api/v1/people/{id}";
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/assess", post(assess_record))
        .route("/api/v1/signup", post(signup))
        .route("/api/v1/login", post(login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/tokens", get(tokens_list).post(tokens_create))
        .route("/api/v1/tokens/{id}", delete(tokens_revoke))
        .route("/api/v1/people", get(people_list).post(people_create))
        .route(&format!("{person}/labs"), post(add_lab))
        .route(&format!("{person}/medications"), post(add_medication))
        .route(
            &format!("{person}/iron-treatments"),
            post(add_iron_treatment),
        )
        .route(&format!("{person}/diary"), post(add_diary))
        .route(&format!("{person}/conditions"), post(add_condition))
        .route(&format!("{person}/patient"), put(put_patient))
        .route(&format!("{person}/symptoms"), put(put_symptoms))
        .route(&format!("{person}/habits"), put(put_habits))
        .route(&format!("{person}/sleep"), put(put_sleep))
        .route(&format!("{person}/record"), get(get_record))
        .route(&format!("{person}/plan"), get(get_plan))
        .route(&format!("{person}/entries"), get(get_entries))
        .route(&format!("{person}/letter.html"), get(letter_html))
        .route(&format!("{person}/letter.pdf"), get(letter_pdf))
        .route(&format!("{person}/reminders.ics"), get(reminders_ics))
        .route(&format!("{person}/charts/iron.svg"), get(chart_iron))
        .route(&format!("{person}/charts/diary.svg"), get(chart_diary))
        .route(&format!("{person}/shares"), post(share_create))
        .route("/api/v1/shares/{id}", delete(share_revoke))
        .route(&format!("{person}/audit"), get(audit))
        .route("/api/v1/export", get(export))
        .route(
            "/api/v1/import",
            post(import).layer(DefaultBodyLimit::max(crate::IMPORT_LIMIT)),
        )
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// An error answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// What was wrong, naming the field.
    pub error: String,
}

/// Parses a JSON body with errors that name the field (`labs` objects are
/// checked again by the record validator on the way in).
fn body<T: DeserializeOwned>(bytes: &Bytes) -> ApiResult<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("the body is not JSON: {inner}"),
            )
        } else if path == "." {
            ApiError::invalid(inner.to_string())
        } else {
            ApiError::invalid(format!("{path}: {inner}"))
        }
    })?;
    de.end().map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("the body is not JSON: {e}"),
        )
    })?;
    Ok(value)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PlanQuery {
    /// The date the plan is made for (default: today); later facts are left out.
    pub as_of: Option<NaiveDate>,
    /// `irlssg-2018` (default), `aasm-2024` or `rlsf-2021`.
    pub guideline: Option<String>,
    /// The journal as it stood at this moment (RFC 3339).
    pub known_at: Option<DateTime<Utc>>,
}

impl PlanQuery {
    pub fn when(&self, web: &Web) -> ApiResult<When> {
        let today = web.today();
        let as_of = self.as_of.unwrap_or(today);
        if as_of > today {
            return Err(ApiError::invalid(format!(
                "as_of: {as_of} is after today ({today}); a plan is made for today or a past date"
            )));
        }
        Ok(When {
            as_of,
            known_at: self.known_at,
        })
    }

    pub fn profile(&self) -> ApiResult<Profile> {
        match &self.guideline {
            None => Ok(Profile::default()),
            Some(g) => g.parse().map_err(|_| {
                ApiError::invalid(format!(
                    "guideline: {g:?} is not a guideline; use irlssg-2018, aasm-2024 or rlsf-2021"
                ))
            }),
        }
    }
}

/// Assess a record (or a FHIR R4 Bundle) without storing anything. For a
/// Bundle, the `Willis-Skipped` header counts the resources (or parts) not
/// used; `willis import --dry-run` lists them with the reasons.
#[utoipa::path(post, path = "/api/v1/assess", tag = "willis",
    params(PlanQuery),
    request_body(content = serde_json::Value, description = "a willis-record/1 object, or a FHIR R4 Bundle"),
    responses((status = 200, description = "a willis-assessment/1 object", body = serde_json::Value),
        (status = 422, description = "the record is not valid", body = ErrorBody)))]
async fn assess_record(
    State(web): State<Web>,
    Query(q): Query<PlanQuery>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "the body is not UTF-8 text"))?;
    let when = q.when(&web)?;
    let profile = q.profile()?;
    let input = willis_app::input::from_json(text, web.today())
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let record = input
        .file
        .validate_on(Knowledge::get(), web.today())
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let assessment = assess(&record, when.as_of, profile);
    let mut response = Json(assessment).into_response();
    if input.source == willis_app::input::Source::Bundle {
        response.headers_mut().insert(
            "willis-skipped",
            axum::http::HeaderValue::from(input.skipped.len()),
        );
    }
    Ok(response)
}

/// A user name and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    username: String,
    password: String,
}

/// A bearer token, shown once.
#[derive(Serialize, ToSchema)]
pub struct TokenAnswer {
    token: String,
}

fn limit(web: &Web, key: String, max: u32) -> ApiResult<()> {
    web.limiter()
        .hit(&key, max, ATTEMPT_WINDOW)
        .map_err(|wait| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "too many attempts; try again in {} minutes",
                    wait.div_ceil(60)
                ),
            )
        })
}

/// Create an account (when sign-up is open) and get a token.
#[utoipa::path(post, path = "/api/v1/signup", tag = "willis", request_body = Credentials,
    responses((status = 201, body = TokenAnswer), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn signup(
    State(web): State<Web>,
    request: axum::extract::Request,
) -> ApiResult<(StatusCode, Json<TokenAnswer>)> {
    let client = security::client(request.extensions());
    let bytes = axum::body::to_bytes(request.into_body(), web.body_limit())
        .await
        .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "the body is too large"))?;
    if !web.config().signup {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "sign-up is turned off on this server; ask its administrator for an account",
        ));
    }
    limit(&web, format!("signup:{client}"), ATTEMPTS_PER_CLIENT)?;
    let c: Credentials = body(&bytes)?;
    let user = crate::pages::account::create_account(&web, &c.username, &c.password, "api").await?;
    let (token, _) = auth::issue(
        &web,
        &user,
        TokenKind::Api,
        "sign-up",
        None,
        Some(Utc::now() + chrono::Duration::days(auth::LOGIN_TOKEN_DAYS)),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(TokenAnswer { token })))
}

/// Sign in and get a bearer token.
#[utoipa::path(post, path = "/api/v1/login", tag = "willis", request_body = Credentials,
    responses((status = 200, body = TokenAnswer), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(web): State<Web>,
    request: axum::extract::Request,
) -> ApiResult<Json<TokenAnswer>> {
    let client = security::client(request.extensions());
    let bytes = axum::body::to_bytes(request.into_body(), web.body_limit())
        .await
        .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "the body is too large"))?;
    limit(&web, format!("login:{client}"), ATTEMPTS_PER_CLIENT)?;
    let c: Credentials = body(&bytes)?;
    let user =
        crate::pages::account::checked_sign_in(&web, &c.username, &c.password, "api").await?;
    let (token, _) = auth::issue(
        &web,
        &user,
        TokenKind::Api,
        "login",
        None,
        Some(Utc::now() + chrono::Duration::days(auth::LOGIN_TOKEN_DAYS)),
    )
    .await?;
    Ok(Json(TokenAnswer { token }))
}

/// End the token (or session) this call is made with.
#[utoipa::path(post, path = "/api/v1/logout", tag = "willis", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(State(web): State<Web>, ApiCaller(c): ApiCaller) -> ApiResult<StatusCode> {
    web.store()
        .revoke_token(c.token.id, Utc::now())
        .await
        .map_err(|e| ApiError::internal("logout", &e))?;
    crate::pages::account::audit_account(&web, Some(c.user.id), "signout", "", "api").await;
    Ok(StatusCode::NO_CONTENT)
}

/// A new API token's name and expiry.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiToken {
    label: String,
    expires_at: Option<DateTime<Utc>>,
}

/// An API token (the secret is shown only when it is created).
#[derive(Serialize, ToSchema)]
pub struct ApiToken {
    id: i64,
    label: String,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

/// The caller's API tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "willis", security(("bearer" = [])),
    responses((status = 200, body = [ApiToken]), (status = 401, body = ErrorBody)))]
async fn tokens_list(
    State(web): State<Web>,
    ApiCaller(c): ApiCaller,
) -> ApiResult<Json<Vec<ApiToken>>> {
    let tokens = web
        .store()
        .tokens_of(c.user.id)
        .await
        .map_err(|e| ApiError::internal("tokens", &e))?;
    Ok(Json(
        tokens
            .into_iter()
            .filter(|t| t.kind == TokenKind::Api)
            .map(|t| ApiToken {
                id: t.id.0,
                label: t.label,
                created_at: t.created_at,
                expires_at: t.expires_at,
                revoked_at: t.revoked_at,
                token: None,
            })
            .collect(),
    ))
}

/// Create a revocable API token.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "willis", security(("bearer" = [])), request_body = NewApiToken,
    responses((status = 201, body = ApiToken), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn tokens_create(
    State(web): State<Web>,
    ApiCaller(c): ApiCaller,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<ApiToken>)> {
    let new: NewApiToken = body(&bytes)?;
    if new
        .expires_at
        .is_some_and(|t| t > Utc::now() + chrono::Duration::days(crate::MAX_EXPIRY_DAYS))
    {
        return Err(ApiError::invalid(format!(
            "expires_at: a token may last at most {} years",
            crate::MAX_EXPIRY_DAYS / 365
        )));
    }
    if new.expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(ApiError::invalid(
            "expires_at: the token would already have expired",
        ));
    }
    let (secret, t) = auth::issue(
        &web,
        &c.user,
        TokenKind::Api,
        &new.label,
        None,
        new.expires_at,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiToken {
            id: t.id.0,
            label: t.label,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: None,
            token: Some(secret),
        }),
    ))
}

/// Revoke one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "willis", security(("bearer" = [])),
    params(("id" = i64, Path, description = "the token's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn tokens_revoke(
    State(web): State<Web>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    crate::pages::account::revoke_own_token(&web, &c.user, TokenId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A person the caller may see.
#[derive(Serialize, ToSchema)]
pub struct PersonAnswer {
    id: i64,
    name: String,
    /// `read` or `write`.
    access: String,
}

/// The people the caller owns or was granted.
#[utoipa::path(get, path = "/api/v1/people", tag = "willis", security(("bearer" = [])),
    responses((status = 200, body = [PersonAnswer]), (status = 401, body = ErrorBody)))]
async fn people_list(
    State(web): State<Web>,
    ApiCaller(c): ApiCaller,
) -> ApiResult<Json<Vec<PersonAnswer>>> {
    let people = web.api().people(c.user.id, Utc::now()).await?;
    Ok(Json(
        people
            .into_iter()
            .map(|(p, a)| PersonAnswer {
                id: p.id.0,
                name: p.display_name,
                access: a.as_str().to_string(),
            })
            .collect(),
    ))
}

/// A new person's name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    name: String,
}

/// Add a person the caller looks after (yourself, a child, a parent).
#[utoipa::path(post, path = "/api/v1/people", tag = "willis", security(("bearer" = [])), request_body = NewPerson,
    responses((status = 201, body = PersonAnswer), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn people_create(
    State(web): State<Web>,
    ApiCaller(c): ApiCaller,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<PersonAnswer>)> {
    let new: NewPerson = body(&bytes)?;
    let p = web
        .api()
        .add_person(c.user.id, &new.name, Utc::now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(PersonAnswer {
            id: p.id.0,
            name: p.display_name,
            access: Access::Write.as_str().to_string(),
        }),
    ))
}

/// What an append stored: the first entry, and all of them (a medicine with
/// a stop date is two entries).
#[derive(Serialize, ToSchema)]
pub struct Added {
    #[schema(value_type = Object)]
    entry: Entry,
    #[schema(value_type = Vec<Object>)]
    entries: Vec<Entry>,
}

async fn append(
    web: &Web,
    caller: &auth::Caller,
    person: i64,
    facts: Vec<facts::Fact>,
) -> ApiResult<Added> {
    let entries = web
        .api()
        .append_many(caller.user.id, PersonId(person), facts, web.clock())
        .await?;
    let entry = entries
        .first()
        .cloned()
        .ok_or_else(|| ApiError::invalid("nothing to store"))?;
    Ok(Added { entry, entries })
}

fn created(added: Added) -> (StatusCode, Json<Added>) {
    (StatusCode::CREATED, Json(added))
}

macro_rules! appender {
    ($name:ident, $path:literal, $ty:ty, $what:literal, |$v:ident, $today:ident| $facts:expr) => {
        #[doc = concat!("Append ", $what, " to the journal.")]
        #[utoipa::path(post, path = $path, tag = "willis", security(("bearer" = [])),
                    params(("id" = i64, Path, description = "the person's id")),
                    request_body(content = serde_json::Value, description = $what),
                    responses((status = 201, body = Added), (status = 401, body = ErrorBody),
                        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
                        (status = 422, body = ErrorBody)))]
        async fn $name(
            State(web): State<Web>,
            ApiCaller(c): ApiCaller,
            Path(id): Path<i64>,
            bytes: Bytes,
        ) -> ApiResult<(StatusCode, Json<Added>)> {
            let $v: $ty = body(&bytes)?;
            let $today = web.today();
            let _ = $today;
            let facts: Vec<facts::Fact> = $facts?;
            Ok(created(append(&web, &c, id, facts).await?))
        }
    };
}

appender!(
    add_lab,
    "/api/v1/people/{id}/labs",
    LabFile,
    "a lab result (a record-format lab object)",
    |v, today| facts::lab(v).map(|f| vec![f])
);
appender!(
    add_medication,
    "/api/v1/people/{id}/medications",
    MedicationFile,
    "a medicine (a record-format medication object)",
    |v, today| facts::medication(v, today)
);
appender!(
    add_iron_treatment,
    "/api/v1/people/{id}/iron-treatments",
    IronTreatmentFile,
    "an infusion or oral iron course (a record-format iron_treatments object)",
    |v, today| facts::iron_treatment(v, today)
);
appender!(
    add_diary,
    "/api/v1/people/{id}/diary",
    DiaryFile,
    "a diary night (a record-format diary object)",
    |v, today| facts::diary(v).map(|f| vec![f])
);

/// A condition: its catalogue name, as a string or `{"name"}`.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ConditionBody {
    Name(String),
    Object { name: String },
}

appender!(
    add_condition,
    "/api/v1/people/{id}/conditions",
    ConditionBody,
    "a condition (a catalogue name such as \"peripheral-neuropathy\", or {\"name\": ...})",
    |v, today| {
        let name = match &v {
            ConditionBody::Name(n) | ConditionBody::Object { name: n } => n,
        };
        facts::condition(name, today).map(|f| vec![f])
    }
);

macro_rules! replacer {
    ($name:ident, $path:literal, $ty:ty, $variant:ident, $what:literal) => {
        #[doc = concat!("Replace ", $what, " (a new journal entry dated today).")]
        #[utoipa::path(put, path = $path, tag = "willis", security(("bearer" = [])),
                    params(("id" = i64, Path, description = "the person's id")),
                    request_body(content = serde_json::Value, description = $what),
                    responses((status = 200, body = Added), (status = 401, body = ErrorBody),
                        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
                        (status = 422, body = ErrorBody)))]
        async fn $name(
            State(web): State<Web>,
            ApiCaller(c): ApiCaller,
            Path(id): Path<i64>,
            bytes: Bytes,
        ) -> ApiResult<Json<Added>> {
            let v: $ty = body(&bytes)?;
            let facts = vec![(web.today(), Payload::$variant(v))];
            Ok(Json(append(&web, &c, id, facts).await?))
        }
    };
}

replacer!(
    put_patient,
    "/api/v1/people/{id}/patient",
    PatientFile,
    Patient,
    "the patient details"
);
replacer!(
    put_symptoms,
    "/api/v1/people/{id}/symptoms",
    SymptomsFile,
    Symptoms,
    "the symptom questionnaire"
);
replacer!(
    put_habits,
    "/api/v1/people/{id}/habits",
    HabitsFile,
    Habits,
    "the habits"
);
replacer!(
    put_sleep,
    "/api/v1/people/{id}/sleep",
    SleepFile,
    Sleep,
    "the sleep answers"
);

/// The person's `willis-record/1` on a date.
#[utoipa::path(get, path = "/api/v1/people/{id}/record", tag = "willis", security(("bearer" = [])),
    params(("id" = i64, Path, description = "the person's id"), PlanQuery),
    responses((status = 200, body = serde_json::Value), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_record(
    State(web): State<Web>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    Query(q): Query<PlanQuery>,
) -> ApiResult<Response> {
    let when = q.when(&web)?;
    let file = web
        .api()
        .record_file(c.user.id, PersonId(id), when, Utc::now())
        .await?;
    Ok(Json(file).into_response())
}

/// The person's plan (`willis-assessment/1`).
#[utoipa::path(get, path = "/api/v1/people/{id}/plan", tag = "willis", security(("bearer" = [])),
    params(("id" = i64, Path, description = "the person's id"), PlanQuery),
    responses((status = 200, body = serde_json::Value), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_plan(
    State(web): State<Web>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    Query(q): Query<PlanQuery>,
) -> ApiResult<Response> {
    let planned = web
        .api()
        .plan(
            c.user.id,
            PersonId(id),
            q.when(&web)?,
            q.profile()?,
            Utc::now(),
        )
        .await?;
    Ok(Json(planned.assessment).into_response())
}

/// The person's journal, corrections and deletions included.
#[utoipa::path(get, path = "/api/v1/people/{id}/entries", tag = "willis", security(("bearer" = [])),
    params(("id" = i64, Path, description = "the person's id")),
    responses((status = 200, body = Vec<Object>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_entries(
    State(web): State<Web>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Entry>>> {
    Ok(Json(
        web.api()
            .entries(c.user.id, PersonId(id), None, Utc::now())
            .await?,
    ))
}

/// Renderings shared by the API and the pages.
pub mod render {
    use super::*;

    pub async fn letter_html(
        web: &Web,
        app: &willis_app::App,
        user: willis_store::UserId,
        id: i64,
        q: &PlanQuery,
    ) -> ApiResult<Response> {
        let content = app
            .letter(
                user,
                PersonId(id),
                q.when(web)?,
                q.profile()?,
                None,
                Utc::now(),
            )
            .await?;
        // The standalone letter carries its own inline styles (it must print
        // as one file); it has no script and posts nowhere.
        Ok((
            [(header::CONTENT_SECURITY_POLICY, crate::security::LETTER_CSP)],
            axum::response::Html(willis_report::letter::html(&content)),
        )
            .into_response())
    }

    pub async fn letter_pdf(
        web: &Web,
        app: &willis_app::App,
        user: willis_store::UserId,
        id: i64,
        q: &PlanQuery,
    ) -> ApiResult<Response> {
        let content = app
            .letter(
                user,
                PersonId(id),
                q.when(web)?,
                q.profile()?,
                None,
                Utc::now(),
            )
            .await?;
        pdf(content).await
    }

    #[cfg(feature = "pdf")]
    async fn pdf(content: willis_report::letter::LetterContent) -> ApiResult<Response> {
        let bytes = tokio::task::spawn_blocking(move || willis_report::letter::pdf(&content))
            .await
            .map_err(|e| ApiError::internal("letter", &e))?
            .map_err(|e| ApiError::internal("letter", &e))?;
        Ok((
            [
                (header::CONTENT_TYPE, "application/pdf"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"willis-letter.pdf\"",
                ),
            ],
            bytes,
        )
            .into_response())
    }

    #[cfg(not(feature = "pdf"))]
    async fn pdf(_: willis_report::letter::LetterContent) -> ApiResult<Response> {
        Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "this server was built without PDF letters; use letter.html and print it",
        ))
    }

    pub async fn reminders(
        web: &Web,
        app: &willis_app::App,
        user: willis_store::UserId,
        id: i64,
        q: &PlanQuery,
    ) -> ApiResult<Response> {
        let ics = app
            .reminders(
                user,
                PersonId(id),
                q.when(web)?,
                q.profile()?,
                365,
                Utc::now(),
            )
            .await?;
        Ok((
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"willis-reminders.ics\"",
                ),
            ],
            ics,
        )
            .into_response())
    }

    pub async fn chart(
        web: &Web,
        app: &willis_app::App,
        user: willis_store::UserId,
        id: i64,
        q: &PlanQuery,
        diary: bool,
    ) -> ApiResult<Response> {
        let (iron, nights) = app
            .charts(user, PersonId(id), q.when(web)?, Utc::now())
            .await?;
        let chart = if diary { nights } else { iron };
        Ok(([(header::CONTENT_TYPE, "image/svg+xml")], chart.svg).into_response())
    }
}

macro_rules! renderer {
    ($name:ident, $path:literal, $what:literal, $ct:literal, |$web:ident, $c:ident, $id:ident, $q:ident| $call:expr) => {
        #[doc = $what]
        #[utoipa::path(get, path = $path, tag = "willis", security(("bearer" = [])),
                    params(("id" = i64, Path, description = "the person's id"), PlanQuery),
                    responses((status = 200, description = $what, content_type = $ct),
                        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
        async fn $name(
            State($web): State<Web>,
            ApiCaller($c): ApiCaller,
            Path($id): Path<i64>,
            Query($q): Query<PlanQuery>,
        ) -> ApiResult<Response> {
            $call.await
        }
    };
}

renderer!(
    letter_html,
    "/api/v1/people/{id}/letter.html",
    "The letter for the doctor (HTML).",
    "text/html",
    |web, c, id, q| render::letter_html(&web, web.api(), c.user.id, id, &q)
);
renderer!(
    letter_pdf,
    "/api/v1/people/{id}/letter.pdf",
    "The letter for the doctor (PDF).",
    "application/pdf",
    |web, c, id, q| render::letter_pdf(&web, web.api(), c.user.id, id, &q)
);
renderer!(
    reminders_ics,
    "/api/v1/people/{id}/reminders.ics",
    "The follow-up as iCalendar events.",
    "text/calendar",
    |web, c, id, q| render::reminders(&web, web.api(), c.user.id, id, &q)
);
renderer!(
    chart_iron,
    "/api/v1/people/{id}/charts/iron.svg",
    "Ferritin and TSAT over time (SVG).",
    "image/svg+xml",
    |web, c, id, q| render::chart(&web, web.api(), c.user.id, id, &q, false)
);
renderer!(
    chart_diary,
    "/api/v1/people/{id}/charts/diary.svg",
    "Diary severity over time (SVG).",
    "image/svg+xml",
    |web, c, id, q| render::chart(&web, web.api(), c.user.id, id, &q, true)
);

/// A share to grant.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShare {
    /// The user who gets access.
    username: String,
    /// `read` or `write`.
    access: String,
    expires_at: Option<DateTime<Utc>>,
}

/// A granted share.
#[derive(Serialize, ToSchema)]
pub struct ShareAnswer {
    id: i64,
}

/// `read` or `write`, with the field named on a bad value.
pub fn parse_access(text: &str) -> ApiResult<Access> {
    match text {
        "read" => Ok(Access::Read),
        "write" => Ok(Access::Write),
        other => Err(ApiError::invalid(format!(
            "access: {other:?} is not an access; use \"read\" or \"write\""
        ))),
    }
}

/// Grant another user read or write access to a person (owner only).
#[utoipa::path(post, path = "/api/v1/people/{id}/shares", tag = "willis", security(("bearer" = [])),
    params(("id" = i64, Path, description = "the person's id")), request_body = NewShare,
    responses((status = 201, body = ShareAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn share_create(
    State(web): State<Web>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<ShareAnswer>)> {
    let new: NewShare = body(&bytes)?;
    let access = parse_access(&new.access)?;
    let share = web
        .api()
        .share(
            c.user.id,
            PersonId(id),
            &auth::normalize_username(&new.username),
            access,
            new.expires_at,
            Utc::now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(ShareAnswer { id: share.id.0 })))
}

/// End a share (owner only).
#[utoipa::path(delete, path = "/api/v1/shares/{id}", tag = "willis", security(("bearer" = [])),
    params(("id" = i64, Path, description = "the share's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn share_revoke(
    State(web): State<Web>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    web.api()
        .revoke_share(c.user.id, ShareId(id), Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who read or changed the person's data, oldest first (owner only).
#[utoipa::path(get, path = "/api/v1/people/{id}/audit", tag = "willis", security(("bearer" = [])),
    params(("id" = i64, Path, description = "the person's id")),
    responses((status = 200, body = Vec<Object>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn audit(
    State(web): State<Web>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<willis_store::AuditRow>>> {
    Ok(Json(
        web.api()
            .audit_log(c.user.id, PersonId(id), Utc::now())
            .await?,
    ))
}

/// The caller's journals as a `willis-backup/1`.
#[utoipa::path(get, path = "/api/v1/export", tag = "willis", security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody)))]
async fn export(State(web): State<Web>, ApiCaller(c): ApiCaller) -> ApiResult<Response> {
    let backup = web.api().export(c.user.id).await?.without_password_hashes();
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"willis-backup.json\"",
        )],
        Json(backup),
    )
        .into_response())
}

/// The people of a backup, added to the caller's journals.
#[utoipa::path(post, path = "/api/v1/import", tag = "willis", security(("bearer" = [])),
    request_body(content = Object, description = "a willis-backup/1"),
    responses((status = 201, body = [PersonAnswer]), (status = 401, body = ErrorBody), (status = 413), (status = 422, body = ErrorBody)))]
async fn import(
    State(web): State<Web>,
    ApiCaller(c): ApiCaller,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Vec<PersonAnswer>>)> {
    let backup: Backup = body(&bytes)?;
    limit(
        &web,
        format!("import:{}", c.user.id),
        security::IMPORTS_PER_USER,
    )?;
    let people = web.api().import_as(c.user.id, &backup, web.clock()).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            people
                .into_iter()
                .map(|p| PersonAnswer {
                    id: p.id.0,
                    name: p.display_name,
                    access: "write".into(),
                })
                .collect(),
        ),
    ))
}
