//! The engine's error type, shaped by what the caller does next. `code()` is the stable string
//! the CLI's exit statuses and the UI branch on; messages are for people and may change.

use crate::config::ConfigError;
use crate::lock::LockError;
use crate::login::ListenError;
use crate::model::LoginId;
use crate::store::StoreError;
use crate::token::TokenResponseError;
use crate::vault::VaultError;
use crate::xero::XeroError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(
        "no connected login reaches an organisation named `{selector}`{}; run `tenantry orgs` to list them",
        did_you_mean(suggestions)
    )]
    UnknownOrganisation {
        selector: String,
        suggestions: Vec<String>,
    },
    #[error("no login matches `{0}`; run `tenantry status` to list them")]
    UnknownLogin(String),
    #[error("`{selector}` matches several: {}; be more specific", candidates.join(", "))]
    Ambiguous {
        selector: String,
        candidates: Vec<String>,
    },
    /// A human must sign in again (invalid_grant, or no token set in the keychain).
    #[error("login {login} needs reconnecting: {reason}")]
    NeedsReconnect { login: LoginId, reason: String },
    #[error(
        "Xero's client id is not set; set `client_id` in the configuration (a Xero app of type \"Auth code with PKCE\")"
    )]
    NoClientId,
    #[error(transparent)]
    Xero(#[from] XeroError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Listen(#[from] ListenError),
    #[error("Xero's answer could not be used: {0}")]
    TokenResponse(#[from] TokenResponseError),
    #[error(
        "the sign-in did not include an id_token; make sure the `openid` scope is allowed for the app"
    )]
    NoIdToken,
    #[error("Xero returned tokens for a different user than the sign-in named; nothing was stored")]
    IdentityMismatch,
}

fn did_you_mean(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!(" (did you mean \"{one}\"?)"),
        many => format!(
            " (did you mean one of: {}?)",
            many.iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl EngineError {
    /// An unknown organisation with no suggestions (the caller passed a tenant id).
    pub fn unknown_organisation(selector: &str) -> Self {
        Self::UnknownOrganisation {
            selector: selector.into(),
            suggestions: Vec::new(),
        }
    }

    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownOrganisation { .. } => "unknown_organisation",
            Self::UnknownLogin(_) => "unknown_login",
            Self::Ambiguous { .. } => "ambiguous",
            Self::NeedsReconnect { .. } | Self::Xero(XeroError::NeedsReconnect) => {
                "needs_reconnect"
            }
            Self::NoClientId | Self::Config(_) | Self::Xero(XeroError::ClientRejected) => "config",
            Self::Xero(XeroError::RateLimited { .. }) => "rate_limited",
            Self::Xero(XeroError::ConnectionGone) => "connection_gone",
            Self::Xero(e) if e.is_transient() => "unreachable",
            Self::Xero(_) | Self::TokenResponse(_) | Self::NoIdToken | Self::IdentityMismatch => {
                "xero_rejected"
            }
            Self::Vault(_) => "keychain",
            Self::Store(_) | Self::Lock(_) => "storage",
            Self::Listen(ListenError::Cancelled) => "cancelled",
            Self::Listen(_) => "login_failed",
        }
    }
}
