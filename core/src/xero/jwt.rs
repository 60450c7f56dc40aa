//! JWTs from Xero: id_tokens are verified in full (they decide which login a token set belongs
//! to); access tokens are only read for `xero_userid` and `authentication_event_id`, since they
//! are meant for Xero's API, not for us, and may not even be JWTs at another provider.

use super::XeroError;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use std::collections::HashMap;
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

#[derive(Default)]
pub(super) struct JwksCache {
    keys: Mutex<HashMap<String, DecodingKey>>,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

impl JwksCache {
    async fn fetch(&self, http: &reqwest::Client, url: &url::Url) -> Result<(), XeroError> {
        let jwks: Jwks = http
            .get(url.clone())
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| XeroError::Transient(format!("cannot fetch the signing keys: {e}")))?
            .json()
            .await
            .map_err(|e| XeroError::Transient(format!("unreadable signing keys: {e}")))?;
        let mut keys = self.keys.lock().await;
        keys.clear();
        for jwk in jwks.keys {
            if let (Some(kid), "RSA", Some(n), Some(e)) = (jwk.kid, jwk.kty.as_str(), jwk.n, jwk.e)
                && let Ok(key) = DecodingKey::from_rsa_components(&n, &e)
            {
                keys.insert(kid, key);
            }
        }
        Ok(())
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
        // A key id we have not seen may be a rotation at Xero: fetch the key set once more.
        if !self.keys.lock().await.contains_key(&kid) {
            self.fetch(http, jwks_url).await?;
        }
        let keys = self.keys.lock().await;
        let key = keys
            .get(&kid)
            .ok_or_else(|| invalid("signed by an unknown key"))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.validate_exp = false; // checked below against the injected clock
        validation.validate_nbf = false;
        validation.set_required_spec_claims(&["iss", "aud", "exp", "sub"]);
        let data = jsonwebtoken::decode::<IdClaims>(token, key, &validation).map_err(|e| {
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
