//! The fake's RS256 keys. These are test keys generated for this project and published here on
//! purpose: the fake signs with `signing`, and tests forge tokens with `rogue` (a key that is not
//! in the JWKS) to prove the engine rejects them. The rogue key exists only with `test-support`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
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

/// Parsed once. The fake signs with OpenSSL (already linked for TLS) rather than the pure-Rust
/// RSA the engine verifies with: profiling keep-alive over 1,000 logins showed 90% of the
/// process's time in the fake's RS256 signatures, so the fake, not the engine, set the pace.
/// Which library signs does not change the token: RS256 (PKCS#1 v1.5 over SHA-256) is
/// deterministic, and the engine's verification is the check that matters.
static SIGNING_KEY: LazyLock<PKey<Private>> = LazyLock::new(|| parse(SIGNING_PEM));

fn parse(pem: &[u8]) -> PKey<Private> {
    PKey::private_key_from_pem(pem).expect("the embedded test key is a valid RSA PEM")
}

/// Signs with the rogue key under `kid`: a token whose signature cannot verify.
#[cfg(feature = "test-support")]
pub fn sign_rogue(claims: &impl Serialize, kid: &str) -> String {
    sign_with(claims, &parse(ROGUE_PEM), kid)
}

fn sign_with(claims: &impl Serialize, key: &PKey<Private>, kid: &str) -> String {
    let header = serde_json::json!({ "typ": "JWT", "alg": "RS256", "kid": kid });
    let claims = serde_json::to_vec(claims).expect("claims serialise to JSON");
    let mut token = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let mut signer = Signer::new(MessageDigest::sha256(), key).expect("an RSA key signs SHA-256");
    let signature = signer
        .sign_oneshot_to_vec(token.as_bytes())
        .expect("signing with a valid key");
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature));
    token
}

/// The public half, for the fake's own API to check access tokens.
pub fn decoding_key() -> jsonwebtoken::DecodingKey {
    jsonwebtoken::DecodingKey::from_rsa_components(SIGNING_N.trim(), "AQAB")
        .expect("the embedded modulus is valid")
}
