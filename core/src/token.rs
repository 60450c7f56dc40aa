//! A login's token set and the pure rules about it: when it is fresh, when its refresh token dies,
//! and how a token-endpoint response becomes a token set.

use crate::secret::Secret;
use chrono::{DateTime, Duration, Utc};

/// Refresh at most this long before the access token expires, so a request started now cannot
/// outlive its token.
pub const EARLY_REFRESH: Duration = Duration::seconds(60);

/// Everything Xero gave one login. Lives in the vault only; metadata copies the dates.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenSet {
    pub access_token: Secret,
    /// What gets the next access token: the refresh token Xero rotates, or, for a Custom
    /// Connection (which has none), the app's client secret, kept in the vault the same way.
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

    /// Builds the next token set from the token endpoint's answer. Servers may omit `scope`
    /// (keep the previous or requested scopes) and may not rotate the refresh token (keep the old
    /// one and its issue date).
    pub fn from_answer(
        answer: TokenAnswer,
        now: DateTime<Utc>,
        previous: Option<&TokenSet>,
        requested_scopes: &[String],
    ) -> Result<Self, TokenResponseError> {
        let (refresh_token, refresh_issued_at) = match (answer.refresh_token, previous) {
            (Some(new), _) => (new, now),
            (None, Some(prev)) => (prev.refresh_token.clone(), prev.refresh_issued_at),
            (None, None) => return Err(TokenResponseError::MissingRefreshToken),
        };
        let scopes = match answer.scopes {
            Some(scopes) => scopes,
            None => previous
                .map(|p| p.scopes.clone())
                .unwrap_or_else(|| requested_scopes.to_vec()),
        };
        let lifetime = answer.expires_in.clamp(1, 24 * 3600);
        Ok(Self {
            access_token: answer.access_token,
            refresh_token,
            id_token: answer
                .id_token
                .or_else(|| previous.and_then(|p| p.id_token.clone())),
            issued_at: now,
            expires_at: now + Duration::seconds(lifetime),
            scopes,
            refresh_issued_at,
        })
    }
}

/// What the token endpoint answered, already checked (a Bearer token, an access token, a
/// lifetime) by the Xero client, every token in a [`Secret`].
#[derive(Debug)]
pub struct TokenAnswer {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub id_token: Option<Secret>,
    /// Seconds from receipt.
    pub expires_in: i64,
    /// What was granted; Xero sends it, the OpenAPI schema and some servers omit it.
    pub scopes: Option<Vec<String>>,
}

/// Why a token-endpoint answer cannot be used. Messages never quote the answer (it may hold
/// tokens).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenResponseError {
    #[error("the token endpoint's answer is not the expected JSON ({0})")]
    Malformed(String),
    #[error("the token endpoint answered with token type `{0}`, not Bearer")]
    NotBearer(String),
    #[error("the token endpoint sent no refresh token: the `offline_access` scope was not granted")]
    MissingRefreshToken,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn answer(access: &str, refresh: Option<&str>, scopes: Option<&[&str]>) -> TokenAnswer {
        TokenAnswer {
            access_token: Secret::new(access),
            refresh_token: refresh.map(Secret::new),
            id_token: None,
            expires_in: 1800,
            scopes: scopes.map(|s| s.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn a_first_answer_starts_the_access_and_refresh_clocks_now() {
        let set = TokenSet::from_answer(
            answer("a", Some("r"), Some(&["email", "openid"])),
            now(),
            None,
            &[],
        )
        .unwrap();
        assert_eq!(
            set.expires_at - now(),
            Duration::minutes(30),
            "expires_in is seconds from receipt"
        );
        assert_eq!(
            set.scopes,
            ["email", "openid"],
            "the granted scopes are kept"
        );
        assert_eq!(
            set.refresh_issued_at,
            now(),
            "a new refresh token starts its 60 days now"
        );
    }

    #[test]
    fn missing_scope_and_unrotated_refresh_token_keep_the_previous_values() {
        let first = TokenSet::from_answer(
            answer("a1", Some("r1"), None),
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
        let second =
            TokenSet::from_answer(answer("a2", None, None), later, Some(&first), &[]).unwrap();
        assert_eq!(
            second.refresh_token, first.refresh_token,
            "a server that does not rotate keeps the old token valid"
        );
        assert_eq!(
            second.refresh_issued_at,
            now(),
            "and its 60-day clock keeps running from its own issue"
        );
        assert_eq!(
            TokenSet::from_answer(answer("a", None, None), now(), None, &[]),
            Err(TokenResponseError::MissingRefreshToken),
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
