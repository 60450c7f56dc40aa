//! JWTs from Xero: id_tokens are verified in full (they decide which login a token set belongs
//! to) against the issuer's key set (`jsonwebtoken::jwk::JwkSet`, cached for a day, refetched on
//! an unknown key id at most once a minute); access tokens are only read for `xero_userid` and
//! `authentication_event_id`, since they are meant for Xero's API, not for us, and may not even be
//! JWTs at another provider.

use super::XeroError;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::Mutex;

/// Clock skew tolerated on `exp`.
const LEEWAY_SECS: i64 = 120;

/// The id_token claims Tenantry uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    #[serde(default)]
    pub xero_userid: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    pub exp: i64,
}

impl IdClaims {
    /// Xero's stable user id; `sub` at providers that do not send `xero_userid`.
    pub fn user_id(&self) -> &str {
        self.xero_userid.as_deref().unwrap_or(&self.sub)
    }

    pub fn display_name(&self) -> String {
        let name = [self.given_name.as_deref(), self.family_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if name.is_empty() {
            self.preferred_username
                .clone()
                .or_else(|| self.email.clone())
                .unwrap_or_default()
        } else {
            name
        }
    }
}

/// The access-token claims Tenantry reads (unverified: Xero verifies its own tokens).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct AccessClaims {
    #[serde(default)]
    pub xero_userid: Option<String>,
    #[serde(default)]
    pub authentication_event_id: Option<String>,
}

/// Reads an access token's claims; `None` for opaque (non-JWT) access tokens.
pub fn access_claims(access_token: &str) -> Option<AccessClaims> {
    jsonwebtoken::dangerous::insecure_decode_claims(access_token).ok()
}

/// How long a fetched key set is trusted before it is fetched again: Xero rotates its signing
/// keys rarely, but a key it withdrew must not be trusted forever.
pub(super) const KEYS_TTL: Duration = Duration::hours(24);
/// An unknown key id refetches the set at most this often: a rotation at Xero is picked up at
/// once, but forged tokens with made-up key ids cannot make us hammer Xero's key endpoint.
pub(super) const REFETCH_AFTER: Duration = Duration::seconds(60);

/// The issuer's signing keys as last fetched.
#[derive(Default)]
pub(super) struct KeySet {
    cached: Mutex<Option<Fetched>>,
}

struct Fetched {
    keys: JwkSet,
    at: DateTime<Utc>,
}

/// Whether to fetch the key set before looking for `kid`: none yet, or too old to trust, or the
/// key is unknown and the set was fetched long enough ago that Xero may have rotated since.
pub(super) fn fetch_due(
    fetched_at: Option<DateTime<Utc>>,
    kid_known: bool,
    now: DateTime<Utc>,
) -> bool {
    match fetched_at {
        None => true,
        Some(at) if now - at >= KEYS_TTL => true,
        Some(_) if kid_known => false,
        Some(at) => now - at >= REFETCH_AFTER,
    }
}

/// Whether a published key may verify an RS256 id_token: an RSA key whose `use`, if given, is
/// signing and whose `alg`, if given, is RS256 (RFC 7517 §4.2, §4.4).
pub(super) fn usable_for_rs256(jwk: &Jwk) -> bool {
    matches!(jwk.algorithm, AlgorithmParameters::RSA(_))
        && jwk
            .common
            .public_key_use
            .as_ref()
            .is_none_or(|u| *u == PublicKeyUse::Signature)
        && jwk
            .common
            .key_algorithm
            .is_none_or(|a| a == KeyAlgorithm::RS256)
}

/// Reads a JWKS document key by key: a key of a kind this build cannot read (a new `kty`) is
/// skipped rather than failing the keys it can.
fn parse_key_set(body: &[u8]) -> Result<JwkSet, XeroError> {
    #[derive(Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let document: Document = serde_json::from_slice(body)
        .map_err(|_| XeroError::Transient("the signing keys are not a JWKS document".into()))?;
    let keys = document
        .keys
        .into_iter()
        .filter_map(|key| serde_json::from_value::<Jwk>(key).ok())
        .collect();
    Ok(JwkSet { keys })
}

impl KeySet {
    async fn fetch(&self, http: &reqwest::Client, url: &url::Url) -> Result<JwkSet, XeroError> {
        let body = http
            .get(url.clone())
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| XeroError::Transient(format!("cannot fetch the signing keys: {e}")))?
            .bytes()
            .await
            .map_err(|e| XeroError::Transient(format!("cannot fetch the signing keys: {e}")))?;
        parse_key_set(&body)
    }

    /// The key `kid` names, fetching the set first when [`fetch_due`] says so.
    async fn key(
        &self,
        http: &reqwest::Client,
        url: &url::Url,
        kid: &str,
        now: DateTime<Utc>,
    ) -> Result<DecodingKey, XeroError> {
        let invalid = |why: &str| XeroError::InvalidIdToken(why.to_owned());
        let mut cached = self.cached.lock().await;
        let known = cached.as_ref().is_some_and(|c| c.keys.find(kid).is_some());
        if fetch_due(cached.as_ref().map(|c| c.at), known, now) {
            let keys = self.fetch(http, url).await?;
            *cached = Some(Fetched { keys, at: now });
        }
        let jwk = cached
            .as_ref()
            .and_then(|c| c.keys.find(kid))
            .ok_or_else(|| invalid("signed by an unknown key"))?;
        if !usable_for_rs256(jwk) {
            return Err(invalid(
                "signed by a key not published for RS256 signatures",
            ));
        }
        DecodingKey::from_jwk(jwk).map_err(|_| invalid("signed by an unreadable key"))
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn verify(
        &self,
        http: &reqwest::Client,
        jwks_url: &url::Url,
        token: &str,
        issuer: &str,
        audience: &str,
        nonce: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<IdClaims, XeroError> {
        let invalid = |why: &str| XeroError::InvalidIdToken(why.to_owned());
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("not a signed JWT"))?;
        if header.alg != Algorithm::RS256 {
            return Err(invalid("not signed with RS256"));
        }
        let kid = header.kid.ok_or_else(|| invalid("no key id"))?;
        let key = self.key(http, jwks_url, &kid, now).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.validate_exp = false; // checked below against the injected clock
        validation.validate_nbf = false;
        validation.set_required_spec_claims(&["iss", "aud", "exp", "sub"]);
        let data = jsonwebtoken::decode::<IdClaims>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            match e.kind() {
                K::InvalidSignature => invalid("bad signature"),
                K::InvalidIssuer => invalid("wrong issuer"),
                K::InvalidAudience => invalid("issued for another app"),
                K::MissingRequiredClaim(c) => invalid(&format!("missing claim {c}")),
                _ => invalid("malformed"),
            }
        })?;
        let claims = data.claims;
        if now.timestamp() > claims.exp + LEEWAY_SECS {
            return Err(invalid("expired; check the computer's clock"));
        }
        if let Some(expected) = nonce
            && claims.nonce.as_deref() != Some(expected)
        {
            return Err(invalid("nonce mismatch (a replayed or foreign sign-in)"));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_claims_read_xero_fields_and_tolerate_opaque_tokens() {
        // header {"alg":"RS256"} . payload {"xero_userid":"u1","authentication_event_id":"e1"} . sig
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJ4ZXJvX3VzZXJpZCI6InUxIiwiYXV0aGVudGljYXRpb25fZXZlbnRfaWQiOiJlMSJ9.c2ln";
        let claims = access_claims(token).expect("a JWT access token is readable");
        assert_eq!(claims.xero_userid.as_deref(), Some("u1"));
        assert_eq!(
            claims.authentication_event_id.as_deref(),
            Some("e1"),
            "it tells which organisations a consent added"
        );
        assert_eq!(
            access_claims("opaque-token-from-another-provider"),
            None,
            "opaque tokens are fine, just unreadable"
        );
    }
}

#[cfg(test)]
mod key_set_tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_key_set_is_fetched_when_missing_stale_or_possibly_rotated_but_not_hammered() {
        let now = t("2026-03-02T12:00:00Z");
        assert!(fetch_due(None, false, now), "nothing fetched yet");
        assert!(
            !fetch_due(Some(now - Duration::hours(23)), true, now),
            "a known key in a set fetched today is used as it is"
        );
        assert!(
            fetch_due(Some(now - Duration::hours(24)), true, now),
            "a set a day old has expired, even for a known key"
        );
        assert!(
            fetch_due(Some(now - Duration::seconds(61)), false, now),
            "an unknown key may be a rotation since the last fetch"
        );
        assert!(
            !fetch_due(Some(now - Duration::seconds(5)), false, now),
            "but made-up key ids cannot make us refetch more than once a minute"
        );
    }

    #[test]
    fn only_rsa_signing_keys_for_rs256_are_used_and_unknown_kinds_are_skipped() {
        let set = parse_key_set(
            br#"{"keys":[
              {"kty":"RSA","kid":"plain","n":"AQAB","e":"AQAB"},
              {"kty":"RSA","kid":"sig","use":"sig","alg":"RS256","n":"AQAB","e":"AQAB"},
              {"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"},
              {"kty":"RSA","kid":"ps","alg":"PS256","n":"AQAB","e":"AQAB"},
              {"kty":"EC","kid":"ec","crv":"P-256","x":"AQAB","y":"AQAB"},
              {"kty":"FUTURE","kid":"new"},
              {"kty":"RSA","kid":"broken","n":7},
              "not a key"
            ]}"#,
        )
        .expect("a document with one unknown kind of key still gives the others");
        let usable = |kid: &str| set.find(kid).map(usable_for_rs256);
        assert_eq!(usable("plain"), Some(true), "use and alg are optional");
        assert_eq!(usable("sig"), Some(true));
        assert_eq!(
            usable("enc"),
            Some(false),
            "an encryption key never verifies a signature"
        );
        assert_eq!(
            usable("ps"),
            Some(false),
            "a key published for another algorithm"
        );
        assert_eq!(usable("ec"), Some(false), "not an RSA key");
        assert_ne!(
            usable("new"),
            Some(true),
            "a kind this build does not know never verifies"
        );
        assert_ne!(usable("broken"), Some(true), "nor does a malformed RSA key");
        assert_eq!(
            set.keys.len(),
            7,
            "an entry that is no key at all is skipped, not fatal"
        );
        assert!(
            parse_key_set(b"<html>").is_err(),
            "a page that is not a key set is an error"
        );
    }
}
