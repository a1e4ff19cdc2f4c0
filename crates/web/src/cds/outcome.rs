//! Error answers of the CDS routes: a FHIR `OperationOutcome` (CDS Hooks 3.0
//! asks for one; 2.0 clients only read the status).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// A refused call: the status and one issue.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: StatusCode,
    /// The FHIR issue type (`invalid`, `required`, `security`, `not-found`, …).
    pub code: &'static str,
    pub diagnostics: String,
    /// The request field at fault (`context.patientId`), if one is.
    pub field: Option<String>,
}

impl Outcome {
    pub fn new(status: StatusCode, code: &'static str, diagnostics: impl Into<String>) -> Outcome {
        Outcome {
            status,
            code,
            diagnostics: diagnostics.into(),
            field: None,
        }
    }

    /// A 400 about one field of the request; the text starts with its name.
    pub fn bad_field(field: impl Into<String>, message: impl std::fmt::Display) -> Outcome {
        let field = field.into();
        Outcome {
            status: StatusCode::BAD_REQUEST,
            code: "invalid",
            diagnostics: format!("{field}: {message}"),
            field: Some(field),
        }
    }

    /// A 400 for a field that must be present.
    pub fn missing(field: impl Into<String>, what: &str) -> Outcome {
        let mut o = Outcome::bad_field(field, format!("required ({what})"));
        o.code = "required";
        o
    }

    pub fn unknown_service(id: &str) -> Outcome {
        Outcome::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!(
                "there is no CDS service {id:?}; see GET /cds-services for the services offered"
            ),
        )
    }

    pub fn to_json(&self) -> Value {
        let mut issue = json!({
            "severity": "error",
            "code": self.code,
            "diagnostics": self.diagnostics,
        });
        if let Some(field) = &self.field {
            issue["expression"] = json!([field]);
        }
        json!({ "resourceType": "OperationOutcome", "issue": [issue] })
    }
}

impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        let body = self.to_json().to_string();
        let mut r = (self.status, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}
