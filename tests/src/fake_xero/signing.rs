//! The fake's RS256 keys. These are test keys generated for this project and published here on
//! purpose: the fake signs with `signing`, and tests forge tokens with `rogue` (a key that is not
//! in the JWKS) to prove the engine rejects them.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

pub const KEY_ID: &str = "fake-xero-1";
pub const ROGUE_KEY_ID: &str = "rogue-1";
const SIGNING_PEM: &[u8] = include_bytes!("keys/signing.pem");
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

/// Parsed once: reading the PEM into a key on every signature cost more than the signature.
static SIGNING_KEY: std::sync::LazyLock<EncodingKey> = std::sync::LazyLock::new(|| {
    EncodingKey::from_rsa_pem(SIGNING_PEM).expect("the embedded test key is a valid RSA PEM")
});

/// Signs with the rogue key under `kid`: a token whose signature cannot verify.
pub fn sign_rogue(claims: &impl Serialize, kid: &str) -> String {
    let key =
        EncodingKey::from_rsa_pem(ROGUE_PEM).expect("the embedded test key is a valid RSA PEM");
    sign_with(claims, &key, kid)
}

fn sign_with(claims: &impl Serialize, key: &EncodingKey, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    header.typ = Some("JWT".into());
    jsonwebtoken::encode(&header, claims, key).expect("signing with a valid key")
}

/// The public half, for the fake's own API to check access tokens.
pub fn decoding_key() -> jsonwebtoken::DecodingKey {
    jsonwebtoken::DecodingKey::from_rsa_components(SIGNING_N.trim(), "AQAB")
        .expect("the embedded modulus is valid")
}
