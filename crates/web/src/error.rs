//! Errors as HTTP answers. API calls get `{"error": "..."}` with the status;
//! pages get a short HTML page with the message beside a way back. Internal
//! failures are logged (without request bodies) and answered with a generic
//! message, so nothing about the database leaks to the caller.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use willis_app::AppError;

/// An error of the JSON API.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "sign in first: send Authorization: Bearer TOKEN (from POST /api/v1/login)",
        )
    }

    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn internal(context: &str, error: &dyn std::fmt::Display) -> ApiError {
        eprintln!("willis serve: {context}: {error}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "something went wrong on the server; nothing was changed",
        )
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        let status = status_of(&e);
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            return ApiError::internal("application", &e);
        }
        ApiError::new(status, e.to_string())
    }
}

/// The status an application error answers with.
pub fn status_of(e: &AppError) -> StatusCode {
    use willis_store::StoreError;
    match e {
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Journal(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Store(s) => match s {
            StoreError::NameTaken { .. } => StatusCode::CONFLICT,
            StoreError::EmptyName { .. } | StoreError::OutOfRange { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            StoreError::NoWriteAccess { .. }
            | StoreError::NoShareAccess { .. }
            | StoreError::NoRevokeAccess { .. } => StatusCode::FORBIDDEN,
            StoreError::UnknownEntry(_)
            | StoreError::UnknownShare(_)
            | StoreError::UnknownPerson(_)
            | StoreError::UnknownUser(_) => StatusCode::NOT_FOUND,
            StoreError::AlreadySuperseded { .. } | StoreError::NotEmpty => StatusCode::CONFLICT,
            StoreError::OtherPerson { .. }
            | StoreError::TombstoneWithoutTarget
            | StoreError::DateMismatch { .. }
            | StoreError::InvalidPayload { .. }
            | StoreError::BackupFormat { .. }
            | StoreError::BadBackupEntry { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        },
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response();
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            // Every limit's window; clients back off at least this long.
            let wait = crate::security::ATTEMPT_WINDOW.as_secs();
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, wait.into());
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
