//! The CDS Hooks JWT verifier (`willis_web::cds::jwt`): each way a calling
//! EHR's token can be right or wrong, and each way a trust file can be.
//!
//! Times are fixed (`T0`), never today's: tokens are signed relative to `T0`
//! and verified with `now` built from it.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P384_SHA384_FIXED_SIGNING};
use serde_json::{json, Value};
use willis_web::cds::jwt::{
    Claims, JwtError, KeyFetchPolicy, Trust, Verifier, LEEWAY_SECONDS, MAX_LIFETIME_SECONDS,
};

/// 2030-03-17T17:46:40Z.
const T0: i64 = 1_900_000_000;
const ISS: &str = "https://ehr.example.org";
const OTHER_ISS: &str = "https://other-ehr.example.org";
const AUD: &str = "https://willis.example.org/cds-services/willis-rls-patient-view";

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).expect("a fixed time in range")
}

fn now() -> DateTime<Utc> {
    at(T0)
}

// ---------------------------------------------------------------------------
// Keys and tokens
// ---------------------------------------------------------------------------

/// A signing key and its public JWK.
struct TestKey {
    alg: Algorithm,
    kid: String,
    encoding: EncodingKey,
    jwk: Value,
}

/// A fresh P-384 key pair.
fn ec_key(kid: &str) -> TestKey {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    // Uncompressed point: 0x04, x (48 bytes), y (48 bytes).
    let point = pair.public_key().as_ref();
    assert_eq!(point.len(), 97);
    TestKey {
        alg: Algorithm::ES384,
        kid: kid.to_string(),
        encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
        jwk: json!({
            "kty": "EC", "crv": "P-384", "kid": kid, "use": "sig", "alg": "ES384",
            "x": URL_SAFE_NO_PAD.encode(&point[1..49]),
            "y": URL_SAFE_NO_PAD.encode(&point[49..97]),
        }),
    }
}

/// The committed test-only RSA 2048 key (tests/fixtures/jwt).
fn rsa_key() -> TestKey {
    let der = include_bytes!("fixtures/jwt/rsa2048-private-pkcs1.der");
    let jwk: Value =
        serde_json::from_str(include_str!("fixtures/jwt/rsa2048-public.jwk.json")).unwrap();
    TestKey {
        alg: Algorithm::RS384,
        kid: jwk["kid"].as_str().unwrap().to_string(),
        encoding: EncodingKey::from_rsa_der(der),
        jwk,
    }
}

/// Claims valid at `T0` for `AUD`, five minutes long.
fn claims(jti: &str) -> Value {
    json!({
        "iss": ISS,
        "aud": AUD,
        "iat": T0,
        "exp": T0 + 300,
        "jti": jti,
        "sub": "client-app-7",
        "tenant": "clinic-2",
    })
}

fn sign(key: &TestKey, claims: &Value) -> String {
    let mut header = Header::new(key.alg);
    header.kid = Some(key.kid.clone());
    encode(&header, claims, &key.encoding).unwrap()
}

fn sign_with_header(key: &TestKey, header: Header, claims: &Value) -> String {
    encode(&header, claims, &key.encoding).unwrap()
}

/// A token whose header and payload are given as JSON and whose signature is
/// the given bytes (for tokens no library would make).
fn hand_built(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

fn trust_json(issuers: Value) -> Trust {
    Trust::from_json(&json!({ "issuers": issuers }).to_string()).unwrap()
}

/// A verifier trusting `ISS` with the given keys inline.
fn verifier_with(keys: &[&TestKey]) -> Verifier {
    let jwks: Vec<Value> = keys.iter().map(|k| k.jwk.clone()).collect();
    Verifier::new(trust_json(
        json!([{ "iss": ISS, "jwks": { "keys": jwks } }]),
    ))
}

async fn verify_at(
    verifier: &Verifier,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Claims, JwtError> {
    verifier
        .verify(Some(&format!("Bearer {token}")), &[AUD], now)
        .await
}

async fn verify(verifier: &Verifier, token: &str) -> Result<Claims, JwtError> {
    verify_at(verifier, token, now()).await
}

/// Verifies, expects a refusal, and checks its text repeats no part of the
/// token (its alg, iss and kid aside, which are short and not parts).
async fn refused(verifier: &Verifier, token: &str) -> JwtError {
    refused_at(verifier, token, now()).await
}

async fn refused_at(verifier: &Verifier, token: &str, now: DateTime<Utc>) -> JwtError {
    let error = verify_at(verifier, token, now)
        .await
        .expect_err("the token should be refused");
    let text = error.to_string();
    for part in token.split('.').filter(|part| part.len() >= 8) {
        assert!(!text.contains(part), "{text:?} repeats part of the token");
    }
    error
}

// ---------------------------------------------------------------------------
// Valid tokens
// ---------------------------------------------------------------------------

#[tokio::test]
async fn valid_es384_token_gives_its_claims() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let claims = verify(&verifier, &sign(&key, &claims("jti-1")))
        .await
        .unwrap();
    assert_eq!(
        claims,
        Claims {
            iss: ISS.into(),
            sub: Some("client-app-7".into()),
            jti: "jti-1".into(),
            tenant: Some("clinic-2".into()),
        }
    );
}

#[tokio::test]
async fn valid_rs384_token_is_accepted() {
    let key = rsa_key();
    let verifier = verifier_with(&[&key]);
    let claims = verify(&verifier, &sign(&key, &claims("jti-rsa")))
        .await
        .unwrap();
    assert_eq!(claims.jti, "jti-rsa");
}

#[tokio::test]
async fn both_keys_of_an_issuer_verify_their_own_tokens() {
    let ec = ec_key("ec-1");
    let rsa = rsa_key();
    let verifier = verifier_with(&[&ec, &rsa]);
    verify(&verifier, &sign(&ec, &claims("a"))).await.unwrap();
    verify(&verifier, &sign(&rsa, &claims("b"))).await.unwrap();
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let token = sign(&key, &claims("jti-1"));
    let header = format!("bEaReR {token}");
    verifier.verify(Some(&header), &[AUD], now()).await.unwrap();
}

#[tokio::test]
async fn typ_may_be_absent() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut header = Header::new(Algorithm::ES384);
    header.typ = None;
    header.kid = Some("ec-1".into());
    verify(&verifier, &sign_with_header(&key, header, &claims("j")))
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------
// Times
// ---------------------------------------------------------------------------

#[tokio::test]
async fn expired_token_is_refused() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut c = claims("j");
    c["iat"] = json!(T0 - 400);
    c["exp"] = json!(T0 - LEEWAY_SECONDS - 1);
    assert_eq!(refused(&verifier, &sign(&key, &c)).await, JwtError::Expired);
}

#[tokio::test]
async fn token_issued_in_the_future_is_not_yet_valid() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut c = claims("j");
    c["iat"] = json!(T0 + LEEWAY_SECONDS + 1);
    c["exp"] = json!(T0 + 600);
    assert_eq!(
        refused(&verifier, &sign(&key, &c)).await,
        JwtError::NotYetValid
    );
}

#[tokio::test]
async fn nbf_in_the_future_is_not_yet_valid() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut c = claims("j");
    c["nbf"] = json!(T0 + LEEWAY_SECONDS + 1);
    assert_eq!(
        refused(&verifier, &sign(&key, &c)).await,
        JwtError::NotYetValid
    );
}

#[tokio::test]
async fn expiry_just_inside_the_leeway_is_accepted() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut c = claims("j");
    c["iat"] = json!(T0 - 400);
    c["exp"] = json!(T0 - LEEWAY_SECONDS);
    verify(&verifier, &sign(&key, &c)).await.unwrap();
}

#[tokio::test]
async fn issue_time_just_inside_the_leeway_is_accepted() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut c = claims("j");
    c["iat"] = json!(T0 + LEEWAY_SECONDS);
    c["exp"] = json!(T0 + LEEWAY_SECONDS + 300);
    verify(&verifier, &sign(&key, &c)).await.unwrap();
}

#[tokio::test]
async fn fractional_times_are_accepted() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut c = claims("j");
    c["iat"] = json!(T0 as f64 + 0.25);
    c["exp"] = json!(T0 as f64 + 300.5);
    verify(&verifier, &sign(&key, &c)).await.unwrap();
}

#[tokio::test]
async fn token_living_longer_than_the_limit_is_refused() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut c = claims("j");
    c["exp"] = json!(T0 + MAX_LIFETIME_SECONDS + 1);
    assert_eq!(
        refused(&verifier, &sign(&key, &c)).await,
        JwtError::LifetimeTooLong
    );
    c["exp"] = json!(T0 + MAX_LIFETIME_SECONDS);
    verify(&verifier, &sign(&key, &c)).await.unwrap();
}

#[tokio::test]
async fn time_that_is_not_a_number_is_malformed() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut c = claims("j");
    c["exp"] = json!("tomorrow");
    assert!(matches!(
        refused(&verifier, &sign(&key, &c)).await,
        JwtError::Malformed(_)
    ));
}

// ---------------------------------------------------------------------------
// Audience, issuer, replay
// ---------------------------------------------------------------------------

#[tokio::test]
async fn wrong_audience_is_refused() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    for aud in [
        "https://willis.example.org/cds-services/willis-rls-order-select",
        "https://WILLIS.example.org/cds-services/willis-rls-patient-view",
        "https://willis.example.org/cds-services/willis-rls-patient-view/extra",
        "",
    ] {
        let mut c = claims("j");
        c["aud"] = json!(aud);
        assert_eq!(
            refused(&verifier, &sign(&key, &c)).await,
            JwtError::WrongAudience,
            "{aud}"
        );
    }
}

#[tokio::test]
async fn audience_differing_only_by_a_trailing_slash_is_accepted() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut c = claims("j");
    c["aud"] = json!(format!("{AUD}/"));
    verify(&verifier, &sign(&key, &c)).await.unwrap();
}

#[tokio::test]
async fn audience_as_an_array_needs_one_match() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut c = claims("j1");
    c["aud"] = json!(["https://elsewhere.example.org", AUD]);
    verify(&verifier, &sign(&key, &c)).await.unwrap();

    let mut c = claims("j2");
    c["aud"] = json!(["https://elsewhere.example.org"]);
    assert_eq!(
        refused(&verifier, &sign(&key, &c)).await,
        JwtError::WrongAudience
    );
}

#[tokio::test]
async fn any_of_the_services_audiences_is_accepted() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let token = sign(&key, &claims("j"));
    let audiences = ["https://willis.example.org/cds-services", AUD];
    verifier
        .verify(Some(&format!("Bearer {token}")), &audiences, now())
        .await
        .unwrap();
}

#[tokio::test]
async fn unknown_issuer_is_refused() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut c = claims("j");
    c["iss"] = json!("https://intruder.example.net");
    assert_eq!(
        refused(&verifier, &sign(&key, &c)).await,
        JwtError::UnknownIssuer("https://intruder.example.net".into())
    );
}

#[tokio::test]
async fn issuer_in_a_message_is_shortened_and_on_one_line() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut c = claims("j");
    c["iss"] = json!(format!(
        "https://intruder.example.net/\n{}",
        "x".repeat(500)
    ));
    let text = refused(&verifier, &sign(&key, &c)).await.to_string();
    assert!(!text.contains('\n') && text.chars().count() < 200, "{text}");
}

#[tokio::test]
async fn replayed_jti_is_refused_and_a_new_one_passes() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let token = sign(&key, &claims("once"));
    verify(&verifier, &token).await.unwrap();
    assert_eq!(refused(&verifier, &token).await, JwtError::Replayed);
    // Re-signed with the same jti: still a replay.
    assert_eq!(
        refused(&verifier, &sign(&key, &claims("once"))).await,
        JwtError::Replayed
    );
    verify(&verifier, &sign(&key, &claims("twice")))
        .await
        .unwrap();
}

#[tokio::test]
async fn same_jti_from_another_issuer_is_not_a_replay() {
    let ours = ec_key("ec-1");
    let theirs = ec_key("ec-2");
    let verifier = Verifier::new(trust_json(json!([
        { "iss": ISS, "jwks": { "keys": [ours.jwk] } },
        { "iss": OTHER_ISS, "jwks": { "keys": [theirs.jwk] } },
    ])));
    verify(&verifier, &sign(&ours, &claims("shared")))
        .await
        .unwrap();
    let mut c = claims("shared");
    c["iss"] = json!(OTHER_ISS);
    verify(&verifier, &sign(&theirs, &c)).await.unwrap();
}

#[tokio::test]
async fn refused_token_does_not_use_up_its_jti() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut c = claims("j");
    c["aud"] = json!("https://elsewhere.example.org");
    assert_eq!(
        refused(&verifier, &sign(&key, &c)).await,
        JwtError::WrongAudience
    );
    verify(&verifier, &sign(&key, &claims("j"))).await.unwrap();
}

#[tokio::test]
async fn full_replay_cache_refuses_until_entries_expire() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]).with_replay_capacity(2);
    verify(&verifier, &sign(&key, &claims("a"))).await.unwrap();
    verify(&verifier, &sign(&key, &claims("b"))).await.unwrap();
    assert_eq!(
        refused(&verifier, &sign(&key, &claims("c"))).await,
        JwtError::ReplayCacheFull
    );
    // After a and b's exp + leeway they are forgotten, and there is room again.
    let later = T0 + 300 + LEEWAY_SECONDS + 1;
    let mut c = claims("c");
    c["iat"] = json!(later);
    c["exp"] = json!(later + 300);
    verify_at(&verifier, &sign(&key, &c), at(later))
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------
// Algorithms, signatures, keys
// ---------------------------------------------------------------------------

#[tokio::test]
async fn alg_none_is_refused() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let header = json!({ "alg": "none", "typ": "JWT", "kid": "ec-1" });
    let token = hand_built(&header, &claims("j"), b"");
    assert_eq!(
        refused(&verifier, &token).await,
        JwtError::AlgorithmRefused("none".into())
    );
}

#[tokio::test]
async fn alg_is_refused_before_the_issuer_is_looked_up() {
    let verifier = verifier_with(&[&ec_key("ec-1")]);
    let header = json!({ "alg": "none", "kid": "ec-1" });
    let mut c = claims("j");
    c["iss"] = json!("https://intruder.example.net");
    let token = hand_built(&header, &c, b"");
    assert_eq!(
        refused(&verifier, &token).await,
        JwtError::AlgorithmRefused("none".into())
    );
}

#[tokio::test]
async fn hmac_signed_with_the_public_key_is_refused() {
    // The classic confusion: an HMAC "signed" with the public JWK's text,
    // hoping the verifier uses the public key as an HMAC secret.
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let secret = EncodingKey::from_secret(key.jwk.to_string().as_bytes());
    let mut header = Header::new(Algorithm::HS384);
    header.kid = Some("ec-1".into());
    let token = encode(&header, &claims("j"), &secret).unwrap();
    assert_eq!(
        refused(&verifier, &token).await,
        JwtError::AlgorithmRefused("HS384".into())
    );
}

#[tokio::test]
async fn other_algorithms_are_refused() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    for alg in ["HS256", "ES256", "RS256", "PS384", "EdDSA", "NONE"] {
        let header = json!({ "alg": alg, "typ": "JWT", "kid": "ec-1" });
        let token = hand_built(&header, &claims("j"), &[7u8; 96]);
        assert_eq!(
            refused(&verifier, &token).await,
            JwtError::AlgorithmRefused(alg.into())
        );
    }
}

#[tokio::test]
async fn tampered_payload_fails_the_signature() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let token = sign(&key, &claims("j"));
    let parts: Vec<&str> = token.split('.').collect();
    let mut c = claims("j");
    c["sub"] = json!("someone-else");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(c.to_string()),
        parts[2]
    );
    assert_eq!(refused(&verifier, &forged).await, JwtError::BadSignature);
}

#[tokio::test]
async fn signature_by_another_key_with_the_same_kid_is_refused() {
    let trusted = ec_key("ec-1");
    let impostor = ec_key("ec-1");
    let verifier = verifier_with(&[&trusted]);
    assert_eq!(
        refused(&verifier, &sign(&impostor, &claims("j"))).await,
        JwtError::BadSignature
    );
}

#[tokio::test]
async fn garbled_signature_is_refused() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let token = sign(&key, &claims("j"));
    let (signed, _) = token.rsplit_once('.').unwrap();
    for signature in ["", "AAAA", "not*base64"] {
        assert_eq!(
            refused(&verifier, &format!("{signed}.{signature}")).await,
            JwtError::BadSignature
        );
    }
}

#[tokio::test]
async fn unknown_kid_is_refused() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut stranger = ec_key("ec-9");
    stranger.kid = "ec-9".into();
    assert_eq!(
        refused(&verifier, &sign(&stranger, &claims("j"))).await,
        JwtError::UnknownKey {
            iss: ISS.into(),
            kid: "ec-9".into()
        }
    );
}

#[tokio::test]
async fn kid_of_a_key_of_another_type_is_refused() {
    // RS384 naming the EC key: the EC key never verifies RS384.
    let ec = ec_key("ec-1");
    let mut rsa = rsa_key();
    rsa.kid = "ec-1".into();
    let verifier = verifier_with(&[&ec]);
    assert_eq!(
        refused(&verifier, &sign(&rsa, &claims("j"))).await,
        JwtError::KeyMismatch {
            kid: "ec-1".into(),
            alg: "RS384".into()
        }
    );
}

#[tokio::test]
async fn jku_is_refused_for_an_issuer_with_inline_keys() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut header = Header::new(Algorithm::ES384);
    header.kid = Some("ec-1".into());
    header.jku = Some("https://intruder.example.net/jwks.json".into());
    assert_eq!(
        refused(&verifier, &sign_with_header(&key, header, &claims("j"))).await,
        JwtError::JkuNotTrusted(ISS.into())
    );
}

#[tokio::test]
async fn missing_claims_are_named() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    for name in ["jti", "exp", "iat", "aud", "iss"] {
        let mut c = claims("j");
        c.as_object_mut().unwrap().remove(name);
        assert_eq!(
            refused(&verifier, &sign(&key, &c)).await,
            JwtError::MissingClaim(name),
            "{name}"
        );
    }
}

#[tokio::test]
async fn missing_kid_is_refused() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let header = Header::new(Algorithm::ES384);
    assert_eq!(
        refused(&verifier, &sign_with_header(&key, header, &claims("j"))).await,
        JwtError::MissingHeader("kid")
    );
}

#[tokio::test]
async fn typ_other_than_jwt_is_refused() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let mut header = Header::new(Algorithm::ES384);
    header.kid = Some("ec-1".into());
    header.typ = Some("at+jwt".into());
    assert!(matches!(
        refused(&verifier, &sign_with_header(&key, header, &claims("j"))).await,
        JwtError::Malformed(_)
    ));
}

#[tokio::test]
async fn crit_header_is_refused() {
    let verifier = verifier_with(&[&ec_key("ec-1")]);
    let header = json!({ "alg": "ES384", "kid": "ec-1", "crit": ["b64"], "b64": false });
    let token = hand_built(&header, &claims("j"), &[0u8; 96]);
    assert!(matches!(
        refused(&verifier, &token).await,
        JwtError::Malformed(_)
    ));
}

// ---------------------------------------------------------------------------
// The Authorization header
// ---------------------------------------------------------------------------

#[tokio::test]
async fn missing_authorization_is_refused() {
    let verifier = verifier_with(&[&ec_key("ec-1")]);
    assert_eq!(
        verifier.verify(None, &[AUD], now()).await,
        Err(JwtError::Missing)
    );
    assert_eq!(
        verifier.verify(Some("  "), &[AUD], now()).await,
        Err(JwtError::Missing)
    );
}

#[tokio::test]
async fn garbled_authorization_is_malformed() {
    let key = ec_key("ec-1");
    let verifier = verifier_with(&[&key]);
    let token = sign(&key, &claims("j"));
    let header_part = token.split('.').next().unwrap();
    let garbled = [
        format!("Basic {token}"),
        "Bearer".to_string(),
        "Bearer ".to_string(),
        token.clone(),
        format!("Bearer {token} extra"),
        "Bearer a.b".to_string(),
        "Bearer a.b.c.d".to_string(),
        "Bearer a.b.c.d.e".to_string(),
        "Bearer !!!.e30.AAAA".to_string(),
        format!("Bearer {header_part}.bm90IGpzb24.AAAA"),
        format!("Bearer {}", "a".repeat(20_000)),
        "Bearer e30.e30.AAAA".to_string(),
    ];
    for value in &garbled {
        let error = verifier
            .verify(Some(value), &[AUD], now())
            .await
            .expect_err(value);
        assert!(
            matches!(
                error,
                JwtError::Malformed(_) | JwtError::Missing | JwtError::MissingHeader(_)
            ),
            "{value}: {error:?}"
        );
        let text = error.to_string();
        for part in value.split(['.', ' ']).filter(|p| p.len() >= 8) {
            assert!(!text.contains(part), "{text:?} repeats the token");
        }
    }
}

// ---------------------------------------------------------------------------
// Keys fetched from a jwks_url
// ---------------------------------------------------------------------------

/// A tiny JWKS server on loopback: serves whatever set it is given and
/// counts the fetches.
struct KeyServer {
    url: String,
    keys: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
    status: Arc<Mutex<u16>>,
}

impl KeyServer {
    async fn start(keys: Vec<Value>) -> KeyServer {
        use axum::extract::State;
        use axum::http::StatusCode;
        use axum::routing::get;

        #[derive(Clone)]
        struct Served {
            keys: Arc<Mutex<Value>>,
            fetches: Arc<AtomicUsize>,
            status: Arc<Mutex<u16>>,
        }
        async fn jwks(State(served): State<Served>) -> (StatusCode, axum::Json<Value>) {
            served.fetches.fetch_add(1, Ordering::SeqCst);
            let status = *served.status.lock().unwrap();
            let body = served.keys.lock().unwrap().clone();
            (StatusCode::from_u16(status).unwrap(), axum::Json(body))
        }

        let served = Served {
            keys: Arc::new(Mutex::new(json!({ "keys": keys }))),
            fetches: Arc::new(AtomicUsize::new(0)),
            status: Arc::new(Mutex::new(200)),
        };
        let app = axum::Router::new()
            .route("/jwks.json", get(jwks))
            .with_state(served.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        KeyServer {
            url: format!("http://{address}/jwks.json"),
            keys: served.keys,
            fetches: served.fetches,
            status: served.status,
        }
    }

    fn serve(&self, keys: Vec<Value>) {
        *self.keys.lock().unwrap() = json!({ "keys": keys });
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    fn trust(&self) -> Trust {
        trust_json(json!([{ "iss": ISS, "jwks_url": self.url }]))
    }
}

#[tokio::test]
async fn keys_from_a_jwks_url_verify_and_are_cached() {
    let key = ec_key("ec-1");
    let server = KeyServer::start(vec![key.jwk.clone()]).await;
    let verifier = Verifier::new(server.trust());
    verify(&verifier, &sign(&key, &claims("a"))).await.unwrap();
    verify(&verifier, &sign(&key, &claims("b"))).await.unwrap();
    assert_eq!(server.fetches(), 1, "the second call uses the cached set");
}

#[tokio::test]
async fn jku_equal_to_the_trusted_url_is_accepted() {
    let key = rsa_key();
    let server = KeyServer::start(vec![key.jwk.clone()]).await;
    let verifier = Verifier::new(server.trust());
    let mut header = Header::new(Algorithm::RS384);
    header.kid = Some(key.kid.clone());
    header.jku = Some(server.url.clone());
    verify(&verifier, &sign_with_header(&key, header, &claims("j")))
        .await
        .unwrap();
}

#[tokio::test]
async fn jku_not_on_the_list_is_refused_and_never_fetched() {
    let key = ec_key("ec-1");
    let server = KeyServer::start(vec![key.jwk.clone()]).await;
    let elsewhere = KeyServer::start(vec![key.jwk.clone()]).await;
    let verifier = Verifier::new(server.trust());
    let mut header = Header::new(Algorithm::ES384);
    header.kid = Some("ec-1".into());
    header.jku = Some(elsewhere.url.clone());
    assert_eq!(
        refused(&verifier, &sign_with_header(&key, header, &claims("j"))).await,
        JwtError::JkuNotTrusted(ISS.into())
    );
    assert_eq!(elsewhere.fetches(), 0);
    assert_eq!(server.fetches(), 0);
}

#[tokio::test]
async fn unreachable_jwks_url_means_keys_unavailable() {
    // A port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let trust =
        trust_json(json!([{ "iss": ISS, "jwks_url": format!("http://{address}/jwks.json") }]));
    let verifier = Verifier::new(trust);
    let key = ec_key("ec-1");
    for jti in ["a", "b"] {
        let error = refused(&verifier, &sign(&key, &claims(jti))).await;
        assert!(
            matches!(&error, JwtError::KeysUnavailable { iss, .. } if iss == ISS),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn jwks_url_answering_an_error_means_keys_unavailable() {
    let key = ec_key("ec-1");
    let server = KeyServer::start(vec![key.jwk.clone()]).await;
    *server.status.lock().unwrap() = 500;
    let verifier = Verifier::new(server.trust());
    let error = refused(&verifier, &sign(&key, &claims("j"))).await;
    assert!(
        matches!(&error, JwtError::KeysUnavailable { reason, .. } if reason.contains("500")),
        "{error:?}"
    );
}

#[tokio::test]
async fn jwks_url_answering_something_else_than_a_key_set_means_keys_unavailable() {
    let key = ec_key("ec-1");
    let server = KeyServer::start(vec![]).await;
    *server.keys.lock().unwrap() = json!(["not", "a", "key", "set"]);
    let verifier = Verifier::new(server.trust());
    assert!(matches!(
        refused(&verifier, &sign(&key, &claims("j"))).await,
        JwtError::KeysUnavailable { .. }
    ));
}

#[tokio::test]
async fn concurrent_first_calls_fetch_the_keys_once() {
    let key = ec_key("ec-1");
    let server = KeyServer::start(vec![key.jwk.clone()]).await;
    let verifier = Arc::new(Verifier::new(server.trust()));
    let calls: Vec<_> = (0..10)
        .map(|n| {
            let verifier = Arc::clone(&verifier);
            let token = sign(&key, &claims(&format!("jti-{n}")));
            tokio::spawn(async move { verify(&verifier, &token).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(server.fetches(), 1);
}

#[tokio::test]
async fn rotated_key_is_found_by_refetching() {
    let old = ec_key("2030-01");
    let new = ec_key("2030-02");
    let server = KeyServer::start(vec![old.jwk.clone()]).await;
    let verifier = Verifier::new(server.trust()).with_key_fetch_policy(KeyFetchPolicy {
        min_refetch_interval: Duration::ZERO,
        ..KeyFetchPolicy::default()
    });
    verify(&verifier, &sign(&old, &claims("a"))).await.unwrap();
    server.serve(vec![new.jwk.clone()]);
    verify(&verifier, &sign(&new, &claims("b"))).await.unwrap();
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn unknown_kid_refetches_at_most_once_a_minute() {
    let old = ec_key("2030-01");
    let new = ec_key("2030-02");
    let server = KeyServer::start(vec![old.jwk.clone()]).await;
    let verifier = Verifier::new(server.trust());
    verify(&verifier, &sign(&old, &claims("a"))).await.unwrap();
    server.serve(vec![old.jwk.clone(), new.jwk.clone()]);
    // Just fetched: the new kid is unknown until the minute is over.
    for jti in ["b", "c", "d"] {
        assert_eq!(
            refused(&verifier, &sign(&new, &claims(jti))).await,
            JwtError::UnknownKey {
                iss: ISS.into(),
                kid: "2030-02".into()
            }
        );
    }
    assert_eq!(server.fetches(), 1);
    // Known kids keep working meanwhile.
    verify(&verifier, &sign(&old, &claims("e"))).await.unwrap();
}

#[tokio::test]
async fn old_key_set_is_fetched_again() {
    let key = ec_key("ec-1");
    let server = KeyServer::start(vec![key.jwk.clone()]).await;
    let verifier = Verifier::new(server.trust()).with_key_fetch_policy(KeyFetchPolicy {
        max_age: Duration::ZERO,
        ..KeyFetchPolicy::default()
    });
    verify(&verifier, &sign(&key, &claims("a"))).await.unwrap();
    verify(&verifier, &sign(&key, &claims("b"))).await.unwrap();
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn unusable_keys_in_a_fetched_set_are_left_out() {
    let good = ec_key("good");
    let mut with_secret = ec_key("with-secret");
    with_secret.jwk["d"] = json!("c2VjcmV0");
    let server = KeyServer::start(vec![
        json!({ "kty": "oct", "kid": "hmac", "k": "c2VjcmV0" }),
        json!({ "kty": "EC", "crv": "P-256", "kid": "p256", "x": "AAAA", "y": "AAAA" }),
        with_secret.jwk.clone(),
        good.jwk.clone(),
    ])
    .await;
    let verifier = Verifier::new(server.trust());
    verify(&verifier, &sign(&good, &claims("a"))).await.unwrap();
    assert!(matches!(
        refused(&verifier, &sign(&with_secret, &claims("b"))).await,
        JwtError::UnknownKey { .. }
    ));
}

// ---------------------------------------------------------------------------
// Trust files
// ---------------------------------------------------------------------------

fn trust_error(file: Value) -> String {
    Trust::from_json(&file.to_string())
        .expect_err("the trust file should be refused")
        .to_string()
}

fn ec_jwk() -> Value {
    ec_key("ec-1").jwk
}

#[test]
fn trust_file_with_both_kinds_of_issuer_is_read() {
    let trust = trust_json(json!([
        { "iss": ISS, "jwks": { "keys": [ec_jwk(), rsa_key().jwk] } },
        { "iss": OTHER_ISS, "jwks_url": "https://other-ehr.example.org/.well-known/jwks.json" },
    ]));
    assert_eq!(trust.issuer_names().collect::<Vec<_>>(), [ISS, OTHER_ISS]);
}

#[test]
fn trust_file_is_read_from_disk_and_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trust.json");
    std::fs::write(
        &path,
        json!({ "issuers": [{ "iss": ISS, "jwks": { "keys": [ec_jwk()] } }] }).to_string(),
    )
    .unwrap();
    Trust::from_file(&path).unwrap();

    std::fs::write(&path, r#"{"issuers": []}"#).unwrap();
    let error = Trust::from_file(&path).unwrap_err().to_string();
    assert!(
        error.contains("trust.json") && error.contains("issuers"),
        "{error}"
    );

    let missing = Trust::from_file(Path::new("/nonexistent/trust.json"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("/nonexistent/trust.json"), "{missing}");
}

#[test]
fn empty_issuer_list_is_refused() {
    let error = trust_error(json!({ "issuers": [] }));
    assert!(error.starts_with("issuers:"), "{error}");
}

#[test]
fn missing_issuer_list_is_refused() {
    let error = trust_error(json!({}));
    assert!(error.contains("issuers"), "{error}");
}

#[test]
fn unknown_fields_are_refused_and_named() {
    let error = trust_error(
        json!({ "issuers": [{ "iss": ISS, "jwks_url": "https://a.example/j" }], "extra": 1 }),
    );
    assert!(error.contains("`extra`"), "{error}");

    let error = trust_error(json!({ "issuers": [
        { "iss": ISS, "jwks_url": "https://a.example/j" },
        { "iss": OTHER_ISS, "jwks_url": "https://b.example/j", "jku": "x" },
    ] }));
    assert!(
        error.starts_with("issuers[1]") && error.contains("`jku`"),
        "{error}"
    );

    let mut jwk = ec_jwk();
    jwk["colour"] = json!("blue");
    let error = trust_error(json!({ "issuers": [{ "iss": ISS, "jwks": { "keys": [jwk] } }] }));
    assert!(
        error.starts_with("issuers[0].jwks.keys[0]") && error.contains("`colour`"),
        "{error}"
    );
}

#[test]
fn issuer_needs_exactly_one_key_source() {
    let both = trust_error(json!({ "issuers": [
        { "iss": ISS, "jwks": { "keys": [ec_jwk()] }, "jwks_url": "https://a.example/j" },
    ] }));
    assert!(
        both.starts_with("issuers[0]:") && both.contains("not both"),
        "{both}"
    );

    let neither = trust_error(json!({ "issuers": [
        { "iss": ISS, "jwks_url": "https://a.example/j" },
        { "iss": OTHER_ISS },
    ] }));
    assert!(
        neither.starts_with("issuers[1]:") && neither.contains("jwks_url"),
        "{neither}"
    );
}

#[test]
fn empty_or_repeated_iss_is_refused() {
    let error =
        trust_error(json!({ "issuers": [{ "iss": " ", "jwks_url": "https://a.example/j" }] }));
    assert!(error.starts_with("issuers[0].iss:"), "{error}");

    let error = trust_error(json!({ "issuers": [
        { "iss": ISS, "jwks_url": "https://a.example/j" },
        { "iss": ISS, "jwks_url": "https://b.example/j" },
    ] }));
    assert!(
        error.starts_with("issuers[1].iss:") && error.contains("issuers[0]"),
        "{error}"
    );
}

#[test]
fn jwks_url_must_be_https_except_on_loopback() {
    let error = trust_error(json!({ "issuers": [
        { "iss": ISS, "jwks_url": "https://a.example/j" },
        { "iss": OTHER_ISS, "jwks_url": "http://ehr.example.org/jwks.json" },
    ] }));
    assert!(
        error.starts_with("issuers[1].jwks_url:") && error.contains("https"),
        "{error}"
    );

    for url in [
        "ftp://ehr.example.org/jwks.json",
        "not a url",
        "file:///etc/jwks.json",
    ] {
        let error = trust_error(json!({ "issuers": [{ "iss": ISS, "jwks_url": url }] }));
        assert!(error.starts_with("issuers[0].jwks_url:"), "{url}: {error}");
    }
    for url in [
        "http://127.0.0.1:8080/jwks.json",
        "http://localhost/jwks.json",
        "http://[::1]:9000/jwks.json",
    ] {
        Trust::from_json(&json!({ "issuers": [{ "iss": ISS, "jwks_url": url }] }).to_string())
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

fn key_error(jwk: Value) -> String {
    trust_error(json!({ "issuers": [{ "iss": ISS, "jwks": { "keys": [ec_jwk(), jwk] } }] }))
}

#[test]
fn private_key_material_is_refused() {
    let mut jwk = ec_jwk();
    jwk["kid"] = json!("ec-2");
    jwk["d"] = json!("c2VjcmV0");
    let error = key_error(jwk);
    assert!(
        error.starts_with("issuers[0].jwks.keys[1].d:") && error.contains("private"),
        "{error}"
    );

    let mut rsa = rsa_key().jwk;
    rsa["p"] = json!("c2VjcmV0");
    let error = key_error(rsa);
    assert!(error.starts_with("issuers[0].jwks.keys[1].p:"), "{error}");
}

#[test]
fn symmetric_keys_are_refused() {
    let error = key_error(json!({ "kty": "oct", "kid": "h" }));
    assert!(
        error.starts_with("issuers[0].jwks.keys[1].kty:") && error.contains("HMAC"),
        "{error}"
    );
}

#[test]
fn curves_other_than_p384_are_refused() {
    let mut jwk = ec_jwk();
    jwk["kid"] = json!("ec-2");
    jwk["crv"] = json!("P-256");
    let error = key_error(jwk);
    assert!(
        error.starts_with("issuers[0].jwks.keys[1].crv:") && error.contains("P-384"),
        "{error}"
    );

    let mut jwk = ec_jwk();
    jwk["kid"] = json!("ec-3");
    jwk["x"] = json!(URL_SAFE_NO_PAD.encode([1u8; 32]));
    let error = key_error(jwk);
    assert!(error.starts_with("issuers[0].jwks.keys[1].x:"), "{error}");
}

#[test]
fn short_rsa_keys_are_refused() {
    let mut jwk = rsa_key().jwk;
    jwk["n"] = json!(URL_SAFE_NO_PAD.encode([0xC5u8; 128])); // 1024 bits
    let error = key_error(jwk);
    assert!(
        error.starts_with("issuers[0].jwks.keys[1].n:") && error.contains("1024"),
        "{error}"
    );
}

#[test]
fn other_key_types_are_refused() {
    let error = key_error(json!({ "kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": "AAAA" }));
    assert!(error.starts_with("issuers[0].jwks.keys[1].kty:"), "{error}");
}

#[test]
fn keys_need_a_unique_kid() {
    let mut jwk = ec_jwk();
    jwk.as_object_mut().unwrap().remove("kid");
    let error = key_error(jwk);
    assert!(error.starts_with("issuers[0].jwks.keys[1].kid:"), "{error}");

    let error = key_error(ec_jwk());
    assert!(
        error.starts_with("issuers[0].jwks.keys[1].kid:") && error.contains("ec-1"),
        "{error}"
    );
}

#[test]
fn key_alg_and_use_must_fit() {
    let mut jwk = rsa_key().jwk;
    jwk["alg"] = json!("RS256");
    let error = key_error(jwk);
    assert!(
        error.starts_with("issuers[0].jwks.keys[1].alg:") && error.contains("RS384"),
        "{error}"
    );

    let mut jwk = rsa_key().jwk;
    jwk["use"] = json!("enc");
    let error = key_error(jwk);
    assert!(error.starts_with("issuers[0].jwks.keys[1].use:"), "{error}");
}

#[test]
fn empty_key_set_is_refused() {
    let error = trust_error(json!({ "issuers": [{ "iss": ISS, "jwks": { "keys": [] } }] }));
    assert!(error.starts_with("issuers[0].jwks.keys:"), "{error}");
    let error = trust_error(json!({ "issuers": [{ "iss": ISS, "jwks": [] }] }));
    assert!(error.starts_with("issuers[0].jwks:"), "{error}");
}

#[test]
fn malformed_json_is_refused_with_its_position() {
    let error = Trust::from_json("{\"issuers\": [").unwrap_err().to_string();
    assert!(error.contains("line 1"), "{error}");
}
