//! Verifying the JSON Web Token a calling EHR sends with every CDS Hooks call
//! (`Authorization: Bearer <JWT>`), against the issuers trusted by
//! `willis serve --cds-trust FILE`.
//!
//! (Skeleton: the interface the CDS services are written against.)

use std::path::Path;

use chrono::{DateTime, Utc};

/// The issuers a `--cds-trust` file names, each with its keys inline (`jwks`)
/// or at a URL (`jwks_url`).
#[derive(Debug, Clone)]
pub struct Trust {}

impl Trust {
    /// Reads and checks a trust file; errors name the field.
    pub fn from_file(path: &Path) -> Result<Trust, TrustError> {
        let _ = path;
        unimplemented!("skeleton")
    }

    /// Parses the text of a trust file.
    pub fn from_json(text: &str) -> Result<Trust, TrustError> {
        let _ = text;
        unimplemented!("skeleton")
    }
}

/// A trust file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TrustError(pub String);

/// The claims of a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub sub: Option<String>,
    pub jti: String,
    pub tenant: Option<String>,
}

/// Why a call was refused. The text never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("no bearer token")]
    Missing,
    #[error("the token is malformed: {0}")]
    Malformed(String),
}

/// Verifies tokens; holds the trusted issuers, a cache of fetched key sets and
/// the `jti` values seen (until they expire). Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Verifier {}

impl Verifier {
    pub fn new(trust: Trust) -> Verifier {
        let _ = trust;
        Verifier {}
    }

    /// Checks the `Authorization` header's value (`Bearer <JWT>`): algorithm,
    /// issuer, key, signature, audience (one of `audiences`), `exp`/`iat` with
    /// a small leeway around `now`, and that the `jti` was not seen before.
    pub async fn verify(
        &self,
        authorization: Option<&str>,
        audiences: &[&str],
        now: DateTime<Utc>,
    ) -> Result<Claims, JwtError> {
        let _ = (authorization, audiences, now);
        unimplemented!("skeleton")
    }
}
