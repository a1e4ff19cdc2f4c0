//! Verifying the JSON Web Token a calling EHR sends with every CDS Hooks call
//! (`Authorization: Bearer <JWT>`), against the issuers trusted by
//! `willis serve --cds-trust FILE`.
//!
//! The checks run in the order CDS Hooks asks for, and each refusal has its
//! own [`JwtError`]:
//!
//! 1. the header value is `Bearer <token>` (scheme in any case);
//! 2. the JOSE header parses; `alg` is ES384 or RS384 (`none`, every HMAC and
//!    anything else refused before any key is looked at); `typ`, if given, is
//!    `JWT`; `kid` is present; `crit` is refused (no extension is understood);
//! 3. `iss` (read from the still unverified payload) is a trusted issuer;
//! 4. a `jku` in the header is exactly that issuer's `jwks_url` (a key URL
//!    named only by the token is never fetched; keys embedded in the header,
//!    `jwk`/`x5c`/`x5u`, are ignored);
//! 5. the key named by `kid` comes from the trust file or the issuer's
//!    `jwks_url` (fetched, cached, refetched on key rotation), and its type
//!    fits `alg`;
//! 6. the signature is right;
//! 7. `aud` names one of the service's URLs (a single trailing slash is the
//!    only difference forgiven);
//! 8. `exp` and `iat` are present, `now <= exp + leeway`, `iat <= now +
//!    leeway`, `nbf` (if given) `<= now + leeway`, and the token lives no
//!    longer than [`MAX_LIFETIME_SECONDS`];
//! 9. `jti` is present and was not seen before from that issuer.
//!
//! Every time check uses the `now` handed to [`Verifier::verify`]; the wall
//! clock only ages the key cache. Nothing here logs, and no error text holds
//! the token or any part of it other than its `alg`, `iss` and `kid`.
//!
//! Bounds: tokens up to 16 KiB; `jti` up to 256 characters; fetched key sets
//! up to 256 KiB, within [`KeyFetchPolicy::timeout`]; the replay cache holds
//! at most [`REPLAY_CACHE_CAPACITY`] live `jti` values and refuses new tokens
//! ([`JwtError::ReplayCacheFull`]) rather than grow past it. An entry lives
//! until its token's `exp` + leeway, so at most about
//! [`MAX_LIFETIME_SECONDS`] + 2 × leeway.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The clock skew allowed between the EHR and Willis, either way, in seconds.
pub const LEEWAY_SECONDS: i64 = 60;

/// The longest lifetime (`exp - iat`) accepted, in seconds. EHRs issue CDS
/// Hooks tokens for a few minutes; an hour is generous, and it bounds how long
/// a `jti` must be remembered.
pub const MAX_LIFETIME_SECONDS: i64 = 3600;

/// How many unexpired `jti` values the replay cache holds (about 200 bytes
/// each: some 20 MB at most). Enough for a sustained 25 calls per second with
/// hour-long tokens, or 300 per second with five-minute ones.
pub const REPLAY_CACHE_CAPACITY: usize = 100_000;

const MAX_TOKEN_BYTES: usize = 16 * 1024;
const MAX_JTI_CHARS: usize = 256;
const MAX_KEY_SET_BYTES: usize = 256 * 1024;
/// How much of an `alg`, `iss` or `kid` an error message repeats.
const MAX_SHOWN_CHARS: usize = 100;

const RSA_MIN_BITS: usize = 2048;
/// ring verifies RSA signatures up to this size.
const RSA_MAX_BITS: usize = 8192;
const P384_COORDINATE_BYTES: usize = 48;

/// JWK members that hold private or secret key material.
const SECRET_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
/// The public JWK members a trust file may give (RFC 7517, 7518).
const PUBLIC_MEMBERS: &[&str] = &[
    "kty", "kid", "use", "key_ops", "alg", "crv", "x", "y", "n", "e", "x5u", "x5c", "x5t",
    "x5t#S256",
];

// ---------------------------------------------------------------------------
// The trust file
// ---------------------------------------------------------------------------

/// The issuers a `--cds-trust` file names, each with its keys inline (`jwks`)
/// or at a URL (`jwks_url`).
#[derive(Debug, Clone)]
pub struct Trust {
    issuers: Vec<Issuer>,
}

#[derive(Debug, Clone)]
struct Issuer {
    iss: String,
    keys: KeySource,
}

#[derive(Debug, Clone)]
enum KeySource {
    Inline(Arc<KeySet>),
    Url(KeySetUrl),
}

/// A `jwks_url` from the trust file, already checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct KeySetUrl {
    text: String,
    /// `http://127.0.0.1`, `http://[::1]` or `http://localhost`: fetched
    /// directly, never through a proxy.
    loopback: bool,
}

/// Keys by `kid`.
#[derive(Debug, Default)]
struct KeySet {
    keys: HashMap<String, Arc<VerifyingKey>>,
}

impl KeySet {
    fn get(&self, kid: &str) -> Option<Arc<VerifyingKey>> {
        self.keys.get(kid).cloned()
    }
}

/// A public key and the one algorithm it verifies.
struct VerifyingKey {
    alg: Algorithm,
    key: DecodingKey,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustFile {
    issuers: Vec<IssuerEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerEntry {
    iss: String,
    #[serde(default)]
    jwks: Option<Value>,
    #[serde(default)]
    jwks_url: Option<String>,
}

impl Trust {
    /// Reads and checks a trust file; errors name the file and the field.
    pub fn from_file(path: &Path) -> Result<Trust, TrustError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            TrustError(format!(
                "{}: cannot read the trust file: {e}",
                path.display()
            ))
        })?;
        Trust::from_json(&text).map_err(|e| TrustError(format!("{}: {}", path.display(), e.0)))
    }

    /// Parses the text of a trust file.
    pub fn from_json(text: &str) -> Result<Trust, TrustError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let file: TrustFile = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." {
                TrustError(inner.to_string())
            } else {
                TrustError(format!("{path}: {inner}"))
            }
        })?;
        de.end().map_err(|e| TrustError(e.to_string()))?;

        if file.issuers.is_empty() {
            return Err(TrustError(
                "issuers: the list is empty; name at least one EHR to trust".into(),
            ));
        }
        let mut issuers: Vec<Issuer> = Vec::with_capacity(file.issuers.len());
        for (index, entry) in file.issuers.into_iter().enumerate() {
            let at = format!("issuers[{index}]");
            let issuer = check_issuer(entry, &at)?;
            if let Some(first) = issuers.iter().position(|i| i.iss == issuer.iss) {
                return Err(TrustError(format!(
                    "{at}.iss: {} is already listed as issuers[{first}]",
                    issuer.iss
                )));
            }
            issuers.push(issuer);
        }
        Ok(Trust { issuers })
    }

    /// The trusted issuers (`iss` values), in the file's order.
    pub fn issuer_names(&self) -> impl Iterator<Item = &str> {
        self.issuers.iter().map(|i| i.iss.as_str())
    }
}

fn check_issuer(entry: IssuerEntry, at: &str) -> Result<Issuer, TrustError> {
    if entry.iss.trim().is_empty() {
        return Err(TrustError(format!(
            "{at}.iss: empty; give the EHR's issuer URL"
        )));
    }
    let keys = match (entry.jwks, entry.jwks_url) {
        (Some(_), Some(_)) => {
            return Err(TrustError(format!(
                "{at}: give either jwks (the keys) or jwks_url (where to fetch them), not both"
            )))
        }
        (None, None) => {
            return Err(TrustError(format!(
                "{at}: give jwks (the keys) or jwks_url (where to fetch them)"
            )))
        }
        (Some(jwks), None) => {
            let set = inline_key_set(&jwks, &format!("{at}.jwks")).map_err(TrustError)?;
            KeySource::Inline(Arc::new(set))
        }
        (None, Some(url)) => KeySource::Url(
            key_set_url(&url).map_err(|e| TrustError(format!("{at}.jwks_url: {e}")))?,
        ),
    };
    Ok(Issuer {
        iss: entry.iss,
        keys,
    })
}

fn key_set_url(text: &str) -> Result<KeySetUrl, String> {
    let url = reqwest::Url::parse(text).map_err(|e| format!("{text} is not a URL ({e})"))?;
    let loopback = url.host_str().is_some_and(|host| {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(format!(
            "{text}: keys must be fetched over https (plain http only for 127.0.0.1 or localhost)"
        ))
        }
        other => return Err(format!("{text}: the scheme {other} is not https")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{text}: no host"));
    }
    Ok(KeySetUrl {
        text: text.to_string(),
        loopback,
    })
}

/// A key set from the trust file: every key must be usable, or the file is refused.
fn inline_key_set(jwks: &Value, at: &str) -> Result<KeySet, String> {
    let object = jwks
        .as_object()
        .ok_or_else(|| format!("{at}: not a JWK set (an object with \"keys\")"))?;
    if let Some(unknown) = object.keys().find(|k| k.as_str() != "keys") {
        return Err(format!("{at}: unknown field `{unknown}`, expected `keys`"));
    }
    let keys = object
        .get("keys")
        .ok_or_else(|| format!("{at}.keys: missing"))?
        .as_array()
        .ok_or_else(|| format!("{at}.keys: not a list"))?;
    if keys.is_empty() {
        return Err(format!("{at}.keys: the list is empty"));
    }
    let mut set = KeySet::default();
    for (index, value) in keys.iter().enumerate() {
        let key_at = format!("{at}.keys[{index}]");
        let (kid, key) = public_key(value, &key_at, Strictness::TrustFile)?;
        if set.keys.contains_key(&kid) {
            return Err(format!(
                "{key_at}.kid: {kid} is used by another key of this set"
            ));
        }
        set.keys.insert(kid, Arc::new(key));
    }
    Ok(set)
}

/// A key set fetched from a `jwks_url`. Keys Willis cannot use (other curves,
/// encryption keys, secrets, repeated `kid`s) are left out; the set itself
/// must be JSON with a `keys` list.
fn fetched_key_set(body: &[u8]) -> Result<KeySet, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON ({e})"))?;
    let keys = value
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("the answer is not a JWK set (no \"keys\" list)")?;
    let mut set = KeySet::default();
    let mut repeated = HashSet::new();
    for value in keys {
        if let Ok((kid, key)) = public_key(value, "key", Strictness::Fetched) {
            if set.keys.insert(kid.clone(), Arc::new(key)).is_some() {
                repeated.insert(kid);
            }
        }
    }
    // A kid naming two keys is ambiguous: neither is used.
    for kid in repeated {
        set.keys.remove(&kid);
    }
    Ok(set)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Strictness {
    /// Unknown members refused: the file is ours.
    TrustFile,
    /// Unknown members ignored: the set is the EHR's, and may carry more.
    Fetched,
}

/// Checks one JWK and makes its verifying key; errors start with `at`.
fn public_key(
    value: &Value,
    at: &str,
    strictness: Strictness,
) -> Result<(String, VerifyingKey), String> {
    let jwk = value
        .as_object()
        .ok_or_else(|| format!("{at}: not a JWK (an object)"))?;
    for name in jwk.keys() {
        if SECRET_MEMBERS.contains(&name.as_str()) {
            return Err(format!(
                "{at}.{name}: private key material; give only the public key (and treat this key as exposed)"
            ));
        }
        if strictness == Strictness::TrustFile && !PUBLIC_MEMBERS.contains(&name.as_str()) {
            return Err(format!("{at}: unknown field `{name}`"));
        }
    }
    let kid = match jwk.get("kid") {
        Some(Value::String(kid)) if !kid.is_empty() => kid.clone(),
        Some(_) => return Err(format!("{at}.kid: must be a non-empty text")),
        None => return Err(format!("{at}.kid: missing; tokens name their key by kid")),
    };
    match jwk.get("use") {
        None => {}
        Some(Value::String(u)) if u == "sig" => {}
        Some(_) => return Err(format!("{at}.use: must be \"sig\" (a signing key)")),
    }
    if let Some(ops) = jwk.get("key_ops") {
        let verifies = ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("verify")));
        if !verifies {
            return Err(format!("{at}.key_ops: must include \"verify\""));
        }
    }
    let kty = member_text(jwk, "kty", at)?;
    let (alg, key) = match kty {
        "EC" => (Algorithm::ES384, ec_p384_key(jwk, at)?),
        "RSA" => (Algorithm::RS384, rsa_key(jwk, at)?),
        "oct" => {
            return Err(format!(
                "{at}.kty: symmetric keys are refused (CDS Hooks forbids HMAC); use EC P-384 or RSA"
            ))
        }
        other => {
            return Err(format!(
                "{at}.kty: {} is not accepted; use EC (P-384) or RSA",
                shown(other)
            ))
        }
    };
    if let Some(declared) = jwk.get("alg") {
        let wanted = algorithm_name(alg);
        if declared.as_str() != Some(wanted) {
            return Err(format!("{at}.alg: a {kty} key here verifies {wanted} only"));
        }
    }
    Ok((kid, VerifyingKey { alg, key }))
}

fn ec_p384_key(jwk: &Map<String, Value>, at: &str) -> Result<DecodingKey, String> {
    let crv = member_text(jwk, "crv", at)?;
    if crv != "P-384" {
        return Err(format!(
            "{at}.crv: {} is not accepted; EC keys must be P-384 (ES384)",
            shown(crv)
        ));
    }
    for coordinate in ["x", "y"] {
        let bytes = member_base64(jwk, coordinate, at)?;
        if bytes.len() != P384_COORDINATE_BYTES {
            return Err(format!(
                "{at}.{coordinate}: {} bytes; a P-384 coordinate has {P384_COORDINATE_BYTES}",
                bytes.len()
            ));
        }
    }
    DecodingKey::from_ec_components(member_text(jwk, "x", at)?, member_text(jwk, "y", at)?)
        .map_err(|e| format!("{at}: not a usable EC key ({e})"))
}

fn rsa_key(jwk: &Map<String, Value>, at: &str) -> Result<DecodingKey, String> {
    let modulus = member_base64(jwk, "n", at)?;
    let bits = bit_length(&modulus);
    if bits < RSA_MIN_BITS {
        return Err(format!(
            "{at}.n: a {bits}-bit RSA key is too weak; at least {RSA_MIN_BITS} bits"
        ));
    }
    if bits > RSA_MAX_BITS {
        return Err(format!(
            "{at}.n: a {bits}-bit RSA key is larger than the {RSA_MAX_BITS} bits supported"
        ));
    }
    let exponent = member_base64(jwk, "e", at)?;
    if bit_length(&exponent) < 2
        || exponent.len() > 4
        || exponent.last().is_some_and(|b| b % 2 == 0)
    {
        return Err(format!("{at}.e: not a usable RSA public exponent"));
    }
    DecodingKey::from_rsa_components(member_text(jwk, "n", at)?, member_text(jwk, "e", at)?)
        .map_err(|e| format!("{at}: not a usable RSA key ({e})"))
}

fn member_text<'a>(jwk: &'a Map<String, Value>, name: &str, at: &str) -> Result<&'a str, String> {
    match jwk.get(name) {
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(format!("{at}.{name}: must be a text")),
        None => Err(format!("{at}.{name}: missing")),
    }
}

fn member_base64(jwk: &Map<String, Value>, name: &str, at: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(member_text(jwk, name, at)?)
        .map_err(|_| format!("{at}.{name}: not base64url (without padding)"))
}

/// Bits of a big-endian unsigned number.
fn bit_length(big_endian: &[u8]) -> usize {
    match big_endian.iter().position(|&b| b != 0) {
        None => 0,
        Some(first) => {
            (big_endian.len() - first - 1) * 8 + (8 - big_endian[first].leading_zeros() as usize)
        }
    }
}

/// A trust file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TrustError(pub String);

// ---------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------

/// The claims of a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub sub: Option<String>,
    pub jti: String,
    pub tenant: Option<String>,
}

/// Why a call was refused. The text never contains the token; at most its
/// `alg`, `iss` or `kid`, shortened and without control characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("no bearer token")]
    Missing,
    #[error("the token is malformed: {0}")]
    Malformed(String),
    #[error("the algorithm {0} is refused; ES384 or RS384 only")]
    AlgorithmRefused(String),
    #[error("the token's header has no {0}")]
    MissingHeader(&'static str),
    #[error("the token has no {0} claim")]
    MissingClaim(&'static str),
    #[error("the issuer {0} is not trusted")]
    UnknownIssuer(String),
    #[error("the token's jku is not the key URL trusted for {0}")]
    JkuNotTrusted(String),
    #[error("no key {kid} for the issuer {iss}")]
    UnknownKey { iss: String, kid: String },
    #[error("the key {kid} does not verify {alg}")]
    KeyMismatch { kid: String, alg: String },
    #[error("the keys of {iss} are unavailable: {reason}")]
    KeysUnavailable { iss: String, reason: String },
    #[error("the signature does not match")]
    BadSignature,
    #[error("the token is not meant for this service (aud)")]
    WrongAudience,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet (iat or nbf in the future)")]
    NotYetValid,
    #[error("the token lives longer than {MAX_LIFETIME_SECONDS} seconds (exp - iat)")]
    LifetimeTooLong,
    #[error("the token was used before (jti)")]
    Replayed,
    #[error("too many tokens in use at once; try again shortly")]
    ReplayCacheFull,
}

/// How keys at a `jwks_url` are fetched and kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyFetchPolicy {
    /// A fetched key set is used this long before being fetched again.
    pub max_age: Duration,
    /// An unknown `kid` (the EHR rotated its keys) refetches the set, but not
    /// sooner than this after the previous fetch.
    pub min_refetch_interval: Duration,
    /// After a failed fetch, calls are refused this long without trying again.
    pub failure_backoff: Duration,
    /// The whole fetch, connecting to the last byte.
    pub timeout: Duration,
}

impl Default for KeyFetchPolicy {
    fn default() -> KeyFetchPolicy {
        KeyFetchPolicy {
            max_age: Duration::from_secs(600),
            min_refetch_interval: Duration::from_secs(60),
            failure_backoff: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
        }
    }
}

/// Verifies tokens; holds the trusted issuers, a cache of fetched key sets and
/// the `jti` values seen (until they expire). Cheap to share behind an `Arc`.
pub struct Verifier {
    issuers: HashMap<String, Issuer>,
    remotes: HashMap<String, Remote>,
    http: Result<reqwest::Client, String>,
    http_loopback: Result<reqwest::Client, String>,
    policy: KeyFetchPolicy,
    replay: Mutex<ReplayCache>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("issuers", &self.issuers.keys().collect::<Vec<_>>())
            .field("key_urls", &self.remotes.keys().collect::<Vec<_>>())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    pub fn new(trust: Trust) -> Verifier {
        let mut remotes = HashMap::new();
        for issuer in &trust.issuers {
            if let KeySource::Url(url) = &issuer.keys {
                remotes
                    .entry(url.text.clone())
                    .or_insert_with(|| Remote::new(url.clone()));
            }
        }
        Verifier {
            issuers: trust
                .issuers
                .into_iter()
                .map(|issuer| (issuer.iss.clone(), issuer))
                .collect(),
            remotes,
            http: http_client(true),
            http_loopback: http_client(false),
            policy: KeyFetchPolicy::default(),
            replay: Mutex::new(ReplayCache::new(REPLAY_CACHE_CAPACITY)),
        }
    }

    /// The same verifier with another key fetching policy (tests shorten it).
    pub fn with_key_fetch_policy(mut self, policy: KeyFetchPolicy) -> Verifier {
        self.policy = policy;
        self
    }

    /// The same verifier with room for `capacity` live `jti` values instead of
    /// [`REPLAY_CACHE_CAPACITY`].
    pub fn with_replay_capacity(mut self, capacity: usize) -> Verifier {
        self.replay = Mutex::new(ReplayCache::new(capacity));
        self
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
        let token = bearer_token(authorization)?;
        let parts = TokenParts::split(token)?;
        let header = JoseHeader::parse(parts.header)?;
        let payload = json_object(parts.payload, "payload")?;

        let iss = optional_text(&payload, "iss")?.ok_or(JwtError::MissingClaim("iss"))?;
        let issuer = self
            .issuers
            .get(iss)
            .ok_or_else(|| JwtError::UnknownIssuer(shown(iss)))?;
        let key = self.key_for(issuer, &header).await?;
        if key.alg != header.alg {
            return Err(JwtError::KeyMismatch {
                kid: shown(&header.kid),
                alg: algorithm_name(header.alg).to_string(),
            });
        }
        let signed = &token[..parts.header.len() + 1 + parts.payload.len()];
        match jsonwebtoken::crypto::verify(parts.signature, signed.as_bytes(), &key.key, key.alg) {
            Ok(true) => {}
            Ok(false) | Err(_) => return Err(JwtError::BadSignature),
        }

        check_audience(&payload, audiences)?;
        let expires = check_times(&payload, now.timestamp())?;
        let jti = match optional_text(&payload, "jti")? {
            None => return Err(JwtError::MissingClaim("jti")),
            Some("") => return Err(JwtError::Malformed("jti is empty".into())),
            Some(jti) if jti.chars().count() > MAX_JTI_CHARS => {
                return Err(JwtError::Malformed(format!(
                    "jti is longer than {MAX_JTI_CHARS} characters"
                )))
            }
            Some(jti) => jti,
        };
        let claims = Claims {
            iss: iss.to_string(),
            sub: optional_text(&payload, "sub")?.map(str::to_string),
            jti: jti.to_string(),
            tenant: optional_text(&payload, "tenant")?.map(str::to_string),
        };
        lock(&self.replay).remember(
            &claims.iss,
            &claims.jti,
            expires + LEEWAY_SECONDS,
            now.timestamp(),
        )?;
        Ok(claims)
    }

    async fn key_for(
        &self,
        issuer: &Issuer,
        header: &JoseHeader,
    ) -> Result<Arc<VerifyingKey>, JwtError> {
        let unknown_key = || JwtError::UnknownKey {
            iss: shown(&issuer.iss),
            kid: shown(&header.kid),
        };
        match &issuer.keys {
            KeySource::Inline(set) => {
                if header.jku.is_some() {
                    return Err(JwtError::JkuNotTrusted(shown(&issuer.iss)));
                }
                set.get(&header.kid).ok_or_else(unknown_key)
            }
            KeySource::Url(url) => {
                if header.jku.as_deref().is_some_and(|jku| jku != url.text) {
                    return Err(JwtError::JkuNotTrusted(shown(&issuer.iss)));
                }
                let Some(remote) = self.remotes.get(&url.text) else {
                    // Verifier::new makes a Remote for every jwks_url.
                    return Err(JwtError::KeysUnavailable {
                        iss: shown(&issuer.iss),
                        reason: "no key cache for its jwks_url".into(),
                    });
                };
                match self.remote_key(remote, &header.kid).await {
                    Lookup::Found(key) => Ok(key),
                    Lookup::NotInSet => Err(unknown_key()),
                    Lookup::Unavailable(reason) => Err(JwtError::KeysUnavailable {
                        iss: shown(&issuer.iss),
                        reason,
                    }),
                }
            }
        }
    }

    /// The key `kid` from a `jwks_url`: from the cache, or fetched when the
    /// cache is old or does not know the `kid` (once per
    /// `min_refetch_interval`).
    async fn remote_key(&self, remote: &Remote, kid: &str) -> Lookup {
        if let Some(answer) = lock(&remote.state).settled(kid, &self.policy, Instant::now()) {
            return answer;
        }
        // One fetch at a time per URL; whoever waited looks again first.
        let _turn = remote.fetching.lock().await;
        if let Some(answer) = lock(&remote.state).settled(kid, &self.policy, Instant::now()) {
            return answer;
        }
        let fetched = self.fetch_key_set(&remote.url).await;
        let mut state = lock(&remote.state);
        let finished = Instant::now();
        state.last_attempt = Some(finished);
        match fetched {
            Ok(set) => {
                let key = set.get(kid);
                state.keys = Some(Arc::new(set));
                state.fetched_at = Some(finished);
                state.last_failure = None;
                key.map_or(Lookup::NotInSet, Lookup::Found)
            }
            Err(reason) => {
                state.last_failure = Some(reason.clone());
                Lookup::Unavailable(reason)
            }
        }
    }

    async fn fetch_key_set(&self, url: &KeySetUrl) -> Result<KeySet, String> {
        let client = if url.loopback {
            &self.http_loopback
        } else {
            &self.http
        };
        let client = client.as_ref().map_err(Clone::clone)?;
        let mut response = client
            .get(&url.text)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(self.policy.timeout)
            .send()
            .await
            .map_err(|e| fetch_failure(&url.text, &e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("{} answered {status}", url.text));
        }
        if response
            .content_length()
            .is_some_and(|length| length > MAX_KEY_SET_BYTES as u64)
        {
            return Err(format!(
                "{}: the key set is larger than {MAX_KEY_SET_BYTES} bytes",
                url.text
            ));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| fetch_failure(&url.text, &e))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_KEY_SET_BYTES {
                return Err(format!(
                    "{}: the key set is larger than {MAX_KEY_SET_BYTES} bytes",
                    url.text
                ));
            }
        }
        fetched_key_set(&body).map_err(|e| format!("{}: {e}", url.text))
    }
}

fn fetch_failure(url: &str, error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "timed out".to_string()
    } else if error.is_connect() {
        "cannot connect".to_string()
    } else {
        error_chain(error)
    };
    format!("{url}: {what}")
}

/// An error and its causes, one after the other.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The client for `jwks_url` fetches: no redirects (a key set is fetched
/// from the listed URL or not at all), the system proxy only when `proxy`.
fn http_client(proxy: bool) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5));
    if !proxy {
        builder = builder.no_proxy();
    }
    builder
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))
}

/// A `jwks_url`'s cached keys and the state of its fetches.
struct Remote {
    url: KeySetUrl,
    state: Mutex<RemoteState>,
    fetching: tokio::sync::Mutex<()>,
}

impl Remote {
    fn new(url: KeySetUrl) -> Remote {
        Remote {
            url,
            state: Mutex::new(RemoteState::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }
}

#[derive(Default)]
struct RemoteState {
    keys: Option<Arc<KeySet>>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
    /// Why the last attempt failed, if it did.
    last_failure: Option<String>,
}

/// What a `jwks_url` says about a `kid`.
enum Lookup {
    Found(Arc<VerifyingKey>),
    NotInSet,
    /// Why the key set could not be had.
    Unavailable(String),
}

impl RemoteState {
    /// The answer without fetching, or `None` when a fetch is due.
    fn settled(&self, kid: &str, policy: &KeyFetchPolicy, now: Instant) -> Option<Lookup> {
        let fresh = self
            .fetched_at
            .is_some_and(|at| now.saturating_duration_since(at) < policy.max_age);
        if fresh {
            if let Some(key) = self.keys.as_ref().and_then(|set| set.get(kid)) {
                return Some(Lookup::Found(key));
            }
        }
        let since_attempt = self
            .last_attempt
            .map(|at| now.saturating_duration_since(at))?;
        match &self.last_failure {
            Some(reason) if since_attempt < policy.failure_backoff => {
                Some(Lookup::Unavailable(reason.clone()))
            }
            Some(_) => None,
            None if fresh && since_attempt < policy.min_refetch_interval => Some(Lookup::NotInSet),
            None => None,
        }
    }
}

/// Each issuer's `jti` values, remembered until their token's `exp` + leeway.
struct ReplayCache {
    capacity: usize,
    seen: HashSet<(String, String)>,
    /// The same entries, soonest forgotten first.
    by_expiry: BinaryHeap<Reverse<(i64, String, String)>>,
}

impl ReplayCache {
    fn new(capacity: usize) -> ReplayCache {
        ReplayCache {
            capacity,
            seen: HashSet::new(),
            by_expiry: BinaryHeap::new(),
        }
    }

    fn remember(&mut self, iss: &str, jti: &str, until: i64, now: i64) -> Result<(), JwtError> {
        self.forget_expired(now);
        let entry = (iss.to_string(), jti.to_string());
        if self.seen.contains(&entry) {
            return Err(JwtError::Replayed);
        }
        if self.seen.len() >= self.capacity {
            return Err(JwtError::ReplayCacheFull);
        }
        self.by_expiry
            .push(Reverse((until, entry.0.clone(), entry.1.clone())));
        self.seen.insert(entry);
        Ok(())
    }

    fn forget_expired(&mut self, now: i64) {
        while let Some(Reverse((until, _, _))) = self.by_expiry.peek() {
            if *until >= now {
                break;
            }
            if let Some(Reverse((_, iss, jti))) = self.by_expiry.pop() {
                self.seen.remove(&(iss, jti));
            }
        }
    }
}

/// A lock whose holder panicked is still usable: every update here leaves
/// the data consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---------------------------------------------------------------------------
// Reading the token
// ---------------------------------------------------------------------------

fn bearer_token(authorization: Option<&str>) -> Result<&str, JwtError> {
    let value = authorization.ok_or(JwtError::Missing)?.trim();
    if value.is_empty() {
        return Err(JwtError::Missing);
    }
    let not_bearer =
        || JwtError::Malformed("the Authorization header is not `Bearer <token>`".into());
    let (scheme, token) = value.split_once(' ').ok_or_else(not_bearer)?;
    let token = token.trim_start();
    if !scheme.eq_ignore_ascii_case("bearer")
        || token.is_empty()
        || token.contains(char::is_whitespace)
    {
        return Err(not_bearer());
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(JwtError::Malformed(format!(
            "longer than {MAX_TOKEN_BYTES} bytes"
        )));
    }
    Ok(token)
}

struct TokenParts<'a> {
    header: &'a str,
    payload: &'a str,
    signature: &'a str,
}

impl<'a> TokenParts<'a> {
    fn split(token: &'a str) -> Result<TokenParts<'a>, JwtError> {
        let parts: Vec<&str> = token.split('.').collect();
        match parts[..] {
            [header, payload, signature] => Ok(TokenParts {
                header,
                payload,
                signature,
            }),
            [_, _, _, _, _] => Err(JwtError::Malformed(
                "an encrypted token (JWE); a signed JWT is expected".into(),
            )),
            _ => Err(JwtError::Malformed(
                "not a JWT (three base64url parts separated by dots)".into(),
            )),
        }
    }
}

/// The JOSE header fields the verifier acts on.
struct JoseHeader {
    alg: Algorithm,
    kid: String,
    jku: Option<String>,
}

impl JoseHeader {
    fn parse(encoded: &str) -> Result<JoseHeader, JwtError> {
        let header = json_object(encoded, "header")?;
        let alg = match header.get("alg") {
            None => return Err(JwtError::MissingHeader("alg")),
            Some(Value::String(alg)) => match alg.as_str() {
                "ES384" => Algorithm::ES384,
                "RS384" => Algorithm::RS384,
                other => return Err(JwtError::AlgorithmRefused(shown(other))),
            },
            Some(_) => return Err(JwtError::Malformed("alg is not a text".into())),
        };
        match header.get("typ") {
            None => {}
            Some(Value::String(typ)) if typ.eq_ignore_ascii_case("JWT") => {}
            Some(_) => return Err(JwtError::Malformed("typ is not JWT".into())),
        }
        if header.contains_key("crit") {
            return Err(JwtError::Malformed(
                "crit names extensions this service does not support".into(),
            ));
        }
        let kid = match header.get("kid") {
            None => return Err(JwtError::MissingHeader("kid")),
            Some(Value::String(kid)) if !kid.is_empty() => kid.clone(),
            Some(_) => return Err(JwtError::Malformed("kid is not a non-empty text".into())),
        };
        let jku = match header.get("jku") {
            None => None,
            Some(Value::String(jku)) => Some(jku.clone()),
            Some(_) => return Err(JwtError::Malformed("jku is not a text".into())),
        };
        Ok(JoseHeader { alg, kid, jku })
    }
}

/// A base64url part holding a JSON object.
fn json_object(encoded: &str, part: &str) -> Result<Map<String, Value>, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| JwtError::Malformed(format!("the {part} is not base64url")))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(JwtError::Malformed(format!(
            "the {part} is not a JSON object"
        ))),
    }
}

fn optional_text<'a>(
    claims: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, JwtError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(JwtError::Malformed(format!("{name} is not a text"))),
    }
}

/// `aud`, a text or a list of texts, must name one of `audiences`.
fn check_audience(claims: &Map<String, Value>, audiences: &[&str]) -> Result<(), JwtError> {
    let named: Vec<&str> = match claims.get("aud") {
        None | Some(Value::Null) => return Err(JwtError::MissingClaim("aud")),
        Some(Value::String(aud)) => vec![aud],
        Some(Value::Array(list)) => list
            .iter()
            .map(|aud| {
                aud.as_str().ok_or_else(|| {
                    JwtError::Malformed("aud lists something other than text".into())
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(JwtError::Malformed(
                "aud is neither a text nor a list of texts".into(),
            ))
        }
    };
    let same = |a: &str, b: &str| without_trailing_slash(a) == without_trailing_slash(b);
    if named
        .iter()
        .any(|aud| audiences.iter().any(|ours| same(aud, ours)))
    {
        Ok(())
    } else {
        Err(JwtError::WrongAudience)
    }
}

fn without_trailing_slash(url: &str) -> &str {
    url.strip_suffix('/').unwrap_or(url)
}

/// Checks `exp`, `iat` and `nbf` against `now` (seconds); returns `exp`.
fn check_times(claims: &Map<String, Value>, now: i64) -> Result<i64, JwtError> {
    let exp = numeric_date(claims, "exp")?.ok_or(JwtError::MissingClaim("exp"))?;
    let iat = numeric_date(claims, "iat")?.ok_or(JwtError::MissingClaim("iat"))?;
    if now > exp.saturating_add(LEEWAY_SECONDS) {
        return Err(JwtError::Expired);
    }
    if iat > now.saturating_add(LEEWAY_SECONDS) {
        return Err(JwtError::NotYetValid);
    }
    if let Some(nbf) = numeric_date(claims, "nbf")? {
        if nbf > now.saturating_add(LEEWAY_SECONDS) {
            return Err(JwtError::NotYetValid);
        }
    }
    if exp < iat {
        return Err(JwtError::Malformed("exp is before iat".into()));
    }
    if exp - iat > MAX_LIFETIME_SECONDS {
        return Err(JwtError::LifetimeTooLong);
    }
    Ok(exp)
}

/// A NumericDate claim in whole seconds (fractions dropped).
fn numeric_date(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, JwtError> {
    let not_a_date = || JwtError::Malformed(format!("{name} is not a number of seconds"));
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => match number.as_i64() {
            Some(seconds) => Ok(Some(seconds)),
            None => {
                let seconds = number.as_f64().ok_or_else(not_a_date)?.floor();
                // Far beyond any real date, but inside i64 either way.
                if seconds.is_finite() && seconds.abs() < 1e15 {
                    Ok(Some(seconds as i64))
                } else {
                    Err(not_a_date())
                }
            }
        },
        Some(_) => Err(not_a_date()),
    }
}

fn algorithm_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::ES384 => "ES384",
        Algorithm::RS384 => "RS384",
        _ => "another algorithm",
    }
}

/// An `alg`, `iss` or `kid` fit to repeat in a message: shortened, without
/// control characters.
fn shown(text: &str) -> String {
    let mut shown: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_SHOWN_CHARS)
        .collect();
    if text.chars().count() > MAX_SHOWN_CHARS {
        shown.push('…');
    }
    shown
}
