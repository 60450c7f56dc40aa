//! The fake's RS256 keys. These are test keys generated for this project and published here on
//! purpose: the fake signs with `signing`, and tests forge tokens with `rogue` (a key that is not
//! in the JWKS) to prove the engine rejects them. The rogue key exists only with `test-support`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use std::sync::LazyLock;

pub const KEY_ID: &str = "fake-xero-1";
#[cfg(feature = "test-support")]
pub const ROGUE_KEY_ID: &str = "rogue-1";
const SIGNING_PEM: &[u8] = include_bytes!("keys/signing.pem");
#[cfg(feature = "test-support")]
const ROGUE_PEM: &[u8] = include_bytes!("keys/rogue.pem");
const SIGNING_N: &str = include_str!("keys/signing.n");

/// The JWKS document the fake publishes.
pub fn jwks() -> serde_json::Value {
    serde_json::json!({ "keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": KEY_ID, "e": "AQAB", "n": SIGNING_N.trim(),
    }]})
}

pub fn sign(claims: &impl Serialize) -> String {
    sign_with(claims, &SIGNING_KEY, KEY_ID)
}

/// Parsed once. On Linux the fake signs with aws-lc-rs (built in there for rustls, reqwest's TLS)
/// rather than the pure-Rust RSA the engine verifies with: profiling keep-alive over 1,000 logins
/// showed 90% of the process's time in the fake's RS256 signatures, so the fake, not the engine,
/// set the pace. macOS and Windows use the platform's TLS, so there the fake signs with
/// jsonwebtoken's pure-Rust RSA, and the demo builds with nothing to install. Which library signs
/// does not change the token: RS256 (PKCS#1 v1.5 over SHA-256) is deterministic, and a unit test
/// holds the two to the same bytes.
static SIGNING_KEY: LazyLock<Key> = LazyLock::new(|| parse(SIGNING_PEM));

#[cfg(target_os = "linux")]
type Key = aws_lc_rs::signature::RsaKeyPair;
#[cfg(not(target_os = "linux"))]
type Key = jsonwebtoken::EncodingKey;

/// The embedded keys are PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"): the base64 between the armour
/// lines is the DER aws-lc-rs parses.
#[cfg(target_os = "linux")]
fn parse(pem: &[u8]) -> Key {
    let text = std::str::from_utf8(pem).expect("the embedded test key is ASCII");
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("the embedded test key is base64 PEM");
    aws_lc_rs::signature::RsaKeyPair::from_der(&der)
        .expect("the embedded test key is a valid PKCS#1 RSA key")
}

#[cfg(not(target_os = "linux"))]
fn parse(pem: &[u8]) -> Key {
    parse_portable(pem)
}

/// The RS256 signature of `message`, base64url without padding.
#[cfg(target_os = "linux")]
fn rs256(key: &Key, message: &[u8]) -> String {
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        message,
        &mut signature,
    )
    .expect("signing with a valid key");
    URL_SAFE_NO_PAD.encode(signature)
}

#[cfg(not(target_os = "linux"))]
fn rs256(key: &Key, message: &[u8]) -> String {
    rs256_portable(key, message)
}

#[cfg(any(not(target_os = "linux"), test))]
fn parse_portable(pem: &[u8]) -> jsonwebtoken::EncodingKey {
    jsonwebtoken::EncodingKey::from_rsa_pem(pem).expect("the embedded test key is a valid RSA PEM")
}

#[cfg(any(not(target_os = "linux"), test))]
fn rs256_portable(key: &jsonwebtoken::EncodingKey, message: &[u8]) -> String {
    jsonwebtoken::crypto::sign(message, key, jsonwebtoken::Algorithm::RS256)
        .expect("signing with a valid key")
}

/// Signs with the rogue key under `kid`: a token whose signature cannot verify.
#[cfg(feature = "test-support")]
pub fn sign_rogue(claims: &impl Serialize, kid: &str) -> String {
    sign_with(claims, &parse(ROGUE_PEM), kid)
}

fn sign_with(claims: &impl Serialize, key: &Key, kid: &str) -> String {
    let header = serde_json::json!({ "typ": "JWT", "alg": "RS256", "kid": kid });
    let claims = serde_json::to_vec(claims).expect("claims serialise to JSON");
    let mut token = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature = rs256(key, token.as_bytes());
    token.push('.');
    token.push_str(&signature);
    token
}

/// The public half, for the fake's own API to check access tokens.
pub fn decoding_key() -> jsonwebtoken::DecodingKey {
    jsonwebtoken::DecodingKey::from_rsa_components(SIGNING_N.trim(), "AQAB")
        .expect("the embedded modulus is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_signers_make_the_same_signature() {
        // macOS and Windows sign with the portable signer, Linux with aws-lc-rs: the tokens the
        // demo and the tests see must not depend on the platform, and RS256 is deterministic.
        let message = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbm4ifQ";
        let portable = rs256_portable(&parse_portable(SIGNING_PEM), message);
        assert_eq!(
            rs256(&SIGNING_KEY, message),
            portable,
            "the two signers disagree"
        );
        // And the engine's verifier accepts what the portable signer made.
        let verified = jsonwebtoken::crypto::verify(
            &portable,
            message,
            &decoding_key(),
            jsonwebtoken::Algorithm::RS256,
        )
        .expect("verification runs");
        assert!(
            verified,
            "the portable signature does not verify against the published key"
        );
    }
}
