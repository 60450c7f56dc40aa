//! A login's token set and the pure rules about it: when it is fresh, when its refresh token dies,
//! and how a token-endpoint response becomes a token set.

use crate::secret::Secret;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

/// Refresh at most this long before the access token expires, so a request started now cannot
/// outlive its token.
pub const EARLY_REFRESH: Duration = Duration::seconds(60);

/// Everything Xero gave one login. Lives in the vault only; metadata copies the dates.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenSet {
    pub access_token: Secret,
    pub refresh_token: Secret,
    pub id_token: Option<Secret>,
    /// When this access token was received: with `expires_at`, gives its lifetime.
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub scopes: Vec<String>,
    /// When the current refresh token was issued (Xero rotates it on every refresh).
    pub refresh_issued_at: DateTime<Utc>,
}

impl TokenSet {
    /// Fresh means usable for a while yet. The early margin is a tenth of the token's lifetime,
    /// capped at [`EARLY_REFRESH`]: 60 s for Xero's 30-minute tokens, and still sensible for the
    /// 2-second tokens a load test asks the fake for (a fixed 60 s would refresh on every call).
    pub fn is_fresh_at(&self, now: DateTime<Utc>) -> bool {
        let lifetime = self.expires_at - self.issued_at;
        let margin = (lifetime / 10).clamp(Duration::zero(), EARLY_REFRESH);
        now + margin < self.expires_at
    }

    /// How old the refresh token is at `now`: keep-alive refreshes those past a threshold.
    pub fn refresh_age_at(&self, now: DateTime<Utc>) -> Duration {
        now - self.refresh_issued_at
    }

    /// Builds the next token set from a token-endpoint response. Servers may omit `scope` (keep
    /// the previous or requested scopes) and may not rotate the refresh token (keep the old one
    /// and its issue date).
    pub fn from_response(
        response: TokenResponse,
        now: DateTime<Utc>,
        previous: Option<&TokenSet>,
        requested_scopes: &[String],
    ) -> Result<Self, TokenResponseError> {
        let (refresh_token, refresh_issued_at) = match (response.refresh_token, previous) {
            (Some(new), _) => (Secret::new(new), now),
            (None, Some(prev)) => (prev.refresh_token.clone(), prev.refresh_issued_at),
            (None, None) => return Err(TokenResponseError::MissingRefreshToken),
        };
        let scopes = match response.scope {
            Some(scope) => scope.split_whitespace().map(str::to_owned).collect(),
            None => previous
                .map(|p| p.scopes.clone())
                .unwrap_or_else(|| requested_scopes.to_vec()),
        };
        let lifetime = response.expires_in.clamp(1, 24 * 3600);
        Ok(Self {
            access_token: Secret::new(response.access_token),
            refresh_token,
            id_token: response
                .id_token
                .map(Secret::new)
                .or_else(|| previous.and_then(|p| p.id_token.clone())),
            issued_at: now,
            expires_at: now + Duration::seconds(lifetime),
            scopes,
            refresh_issued_at,
        })
    }
}

/// The token endpoint's JSON, as received. Field values are only ever moved into [`Secret`]s.
#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub expires_in: i64,
    pub token_type: String,
    /// Space-separated; Xero sends it, the OpenAPI schema and some servers omit it.
    pub scope: Option<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("id_token", &self.id_token.as_ref().map(|_| "<redacted>"))
            .field("expires_in", &self.expires_in)
            .field("token_type", &self.token_type)
            .field("scope", &self.scope)
            .finish()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenResponseError {
    #[error("the token endpoint's answer is not the expected JSON ({0})")]
    Malformed(String),
    #[error("the token endpoint answered with token type `{0}`, not Bearer")]
    NotBearer(String),
    #[error("the token endpoint sent no refresh token: the `offline_access` scope was not granted")]
    MissingRefreshToken,
}

impl TokenResponse {
    /// Parses a token-endpoint body. Pure and total: any byte string gives a value or a typed
    /// error whose message never quotes the body (it may hold tokens).
    pub fn parse(body: &[u8]) -> Result<Self, TokenResponseError> {
        let parsed: Self = serde_json::from_slice(body).map_err(|e| {
            // serde's message names the field and position, never the value.
            TokenResponseError::Malformed(format!("{} at column {}", e.classify_name(), e.column()))
        })?;
        if !parsed.token_type.eq_ignore_ascii_case("bearer") {
            return Err(TokenResponseError::NotBearer(
                parsed.token_type.chars().take(20).collect(),
            ));
        }
        if parsed.access_token.is_empty() {
            return Err(TokenResponseError::Malformed("empty access_token".into()));
        }
        Ok(parsed)
    }
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "missing or mistyped field",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn response(body: &str) -> Result<TokenResponse, TokenResponseError> {
        TokenResponse::parse(body.as_bytes())
    }

    #[test]
    fn parses_xeros_recorded_shape() {
        let r = response(r#"{"id_token":"i","access_token":"a","expires_in":1800,"token_type":"Bearer","refresh_token":"r","scope":"email profile openid offline_access"}"#).unwrap();
        let set = TokenSet::from_response(r, now(), None, &[]).unwrap();
        assert_eq!(
            set.expires_at - now(),
            Duration::minutes(30),
            "expires_in is seconds from receipt"
        );
        assert_eq!(
            set.scopes,
            ["email", "profile", "openid", "offline_access"],
            "scope is space-separated"
        );
        assert_eq!(
            set.refresh_issued_at,
            now(),
            "a new refresh token starts its 60 days now"
        );
    }

    #[test]
    fn bad_bodies_are_typed_errors_that_do_not_quote_the_body() {
        let table = [
            ("<html>oops</html>", "not JSON"),
            ("{\"access_token\":\"SECRETVALUE\"", "truncated"),
            (
                "{\"access_token\":\"SECRETVALUE\",\"expires_in\":\"soon\",\"token_type\":\"Bearer\"}",
                "mistyped",
            ),
            (
                "{\"access_token\":\"SECRETVALUE\",\"expires_in\":1,\"token_type\":\"mac\"}",
                "Bearer",
            ),
            ("", "truncated"),
        ];
        for (body, want) in table {
            let err = response(body)
                .err()
                .unwrap_or_else(|| panic!("`{body}` must be rejected"));
            let msg = err.to_string();
            assert!(
                msg.contains(want),
                "`{body}` -> `{msg}` should say `{want}` so the user knows what went wrong"
            );
            assert!(
                !msg.contains("SECRETVALUE"),
                "error messages reach logs, so they must not quote tokens"
            );
        }
    }

    #[test]
    fn missing_scope_and_unrotated_refresh_token_keep_the_previous_values() {
        let first = TokenSet::from_response(
            response(r#"{"access_token":"a1","expires_in":1800,"token_type":"Bearer","refresh_token":"r1"}"#).unwrap(),
            now(),
            None,
            &["openid".to_string()],
        )
        .unwrap();
        assert_eq!(
            first.scopes,
            ["openid"],
            "without `scope`, the requested scopes are what was granted"
        );
        let later = now() + Duration::hours(1);
        let second = TokenSet::from_response(
            response(r#"{"access_token":"a2","expires_in":1800,"token_type":"bearer"}"#).unwrap(),
            later,
            Some(&first),
            &[],
        )
        .unwrap();
        assert_eq!(
            second.refresh_token, first.refresh_token,
            "a server that does not rotate keeps the old token valid"
        );
        assert_eq!(
            second.refresh_issued_at,
            now(),
            "and its 60-day clock keeps running from its own issue"
        );
        assert!(
            TokenSet::from_response(
                response(r#"{"access_token":"a","expires_in":1,"token_type":"Bearer"}"#).unwrap(),
                now(),
                None,
                &[]
            )
            .is_err(),
            "a first token set without a refresh token cannot be kept alive, so it is refused"
        );
    }

    #[test]
    fn freshness_margin_scales_with_lifetime() {
        let set = |secs| TokenSet {
            access_token: Secret::new("a"),
            refresh_token: Secret::new("r"),
            id_token: None,
            issued_at: now(),
            expires_at: now() + Duration::seconds(secs),
            scopes: vec![],
            refresh_issued_at: now(),
        };
        let xero = set(1800);
        assert!(
            xero.is_fresh_at(now() + Duration::seconds(1739)),
            "30-min token is fresh until 60 s before expiry"
        );
        assert!(
            !xero.is_fresh_at(now() + Duration::seconds(1740)),
            "and stale within the last 60 s"
        );
        let short = set(2);
        assert!(
            short.is_fresh_at(now() + Duration::milliseconds(1700)),
            "a 2 s token stays usable for most of its life"
        );
        assert!(
            !short.is_fresh_at(now() + Duration::seconds(2)),
            "and is stale once expired"
        );
    }
}
