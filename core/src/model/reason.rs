//! Why a login is not connected, as a stable code: what scripts branch on (`status --json`'s
//! `reason_code`) instead of the English beside it.

use serde::{Deserialize, Serialize};

/// Why a login is not connected, as a stable code for scripts (`status --json`'s `reason_code`),
/// beside the English `last_error`. Stored with the state when a refresh fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// `invalid_grant`: the refresh token was revoked or used by another copy of the tokens.
    RefreshTokenRefused,
    /// The refresh token went unused for 60 days and Xero dropped it.
    RefreshTokenExpired,
    /// An earlier refresh's answer was lost more than 30 minutes ago (past Xero's grace).
    AnswerLost,
    /// The token set is missing from the vault (deleted by hand, or the keychain was reset).
    TokensMissing,
    /// Xero could not be reached or answered unexpectedly.
    Unreachable,
    /// Xero's rate limit.
    RateLimited,
    /// Xero refused the request (a configuration matter such as the client id).
    XeroRejected,
    /// The keychain or file vault could not be used.
    Vault,
    /// The data directory or database could not be used.
    Storage,
    /// A Custom Connection's client id and secret were refused (`invalid_client`).
    CredentialsRefused,
    /// Within `notify_days` of the 60-day deadline (derived, never stored).
    Expiring,
    /// Past the 60-day deadline (derived, never stored).
    Lapsed,
}

impl ReasonCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RefreshTokenRefused => "refresh_token_refused",
            Self::RefreshTokenExpired => "refresh_token_expired",
            Self::AnswerLost => "answer_lost",
            Self::TokensMissing => "tokens_missing",
            Self::Unreachable => "unreachable",
            Self::RateLimited => "rate_limited",
            Self::XeroRejected => "xero_rejected",
            Self::Vault => "vault",
            Self::Storage => "storage",
            Self::CredentialsRefused => "credentials_refused",
            Self::Expiring => "expiring",
            Self::Lapsed => "lapsed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::RefreshTokenRefused,
            Self::RefreshTokenExpired,
            Self::AnswerLost,
            Self::TokensMissing,
            Self::Unreachable,
            Self::RateLimited,
            Self::XeroRejected,
            Self::Vault,
            Self::Storage,
            Self::CredentialsRefused,
            Self::Expiring,
            Self::Lapsed,
        ]
        .into_iter()
        .find(|c| c.as_str() == raw)
    }
}
