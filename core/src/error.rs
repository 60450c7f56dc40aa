//! The engine's error type, shaped by what the caller does next, and the two things every caller
//! branches on instead of message text: [`ErrorCode`] (what kind of failure; the CLI's exit
//! status, keep-alive's verdict and the window's handling follow it) and [`Fix`] (the one step
//! that resolves it, which the CLI and the window each put in their own words). Messages are for
//! people, name no command of either front end, and may change.

use crate::config::ConfigError;
pub use crate::fix::Fix;
use crate::lock::LockError;
use crate::login::ListenError;
use crate::model::LoginId;
use crate::practice::PracticeError;
use crate::store::StoreError;
use crate::token::TokenResponseError;
use crate::vault::VaultError;
use crate::xero::XeroError;
use serde::{Deserialize, Serialize};

/// What kind of failure, for code that decides what to do next. Serialised in snake_case, the
/// form the desktop's TypeScript sees as a string union.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No login reaches that organisation (by that name or tenant id).
    UnknownOrganisation,
    /// No login matches that selector.
    UnknownLogin,
    /// The selector matches several; the caller must be more specific.
    Ambiguous,
    /// A human must sign the login in again.
    NeedsReconnect,
    /// The configuration is missing or wrong (client id, a key's value).
    Config,
    /// Xero asked us to wait (429).
    RateLimited,
    /// The organisation's connection is gone at Xero.
    ConnectionGone,
    /// Xero could not be reached or answered unexpectedly; retrying later may work.
    Unreachable,
    /// Xero refused the request for a reason retrying will not change.
    XeroRejected,
    /// The OS keychain is locked, missing or damaged (or the file vault's files are).
    Keychain,
    /// The file vault's passphrase is missing or wrong: ask the user for it.
    Passphrase,
    /// The data directory or database could not be used.
    Storage,
    /// The practice's PostgreSQL database did not answer; retrying later may work.
    DatabaseUnreachable,
    /// Practice mode: this machine has not joined the practice, its practice key is not the
    /// practice's, or a join code is wrong, used or expired. A person acts (join, a new code).
    Practice,
    /// The user (or a newer attempt) cancelled.
    Cancelled,
    /// A sign-in failed (no port free, a refusal in the browser, a bad callback).
    LoginFailed,
    /// The system browser could not be opened.
    Browser,
    /// The operating system refused an integration (start at login, a scheduler).
    Platform,
    /// Removing a login now would lose organisations only it reaches: the login taking over must
    /// consent to them first, or the person names each one that would be lost.
    HandoverIncomplete,
}

impl ErrorCode {
    /// The code as it is serialised (and documented): what `--json`, the gateway's
    /// `X-Tenantry-Error` and MCP's errors carry.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownOrganisation => "unknown_organisation",
            Self::UnknownLogin => "unknown_login",
            Self::Ambiguous => "ambiguous",
            Self::NeedsReconnect => "needs_reconnect",
            Self::Config => "config",
            Self::RateLimited => "rate_limited",
            Self::ConnectionGone => "connection_gone",
            Self::Unreachable => "unreachable",
            Self::XeroRejected => "xero_rejected",
            Self::Keychain => "keychain",
            Self::Passphrase => "passphrase",
            Self::Storage => "storage",
            Self::DatabaseUnreachable => "database_unreachable",
            Self::Practice => "practice",
            Self::Cancelled => "cancelled",
            Self::LoginFailed => "login_failed",
            Self::Browser => "browser",
            Self::Platform => "platform",
            Self::HandoverIncomplete => "handover_incomplete",
        }
    }

    /// Whether a later retry may succeed without a human.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Self::Unreachable | Self::RateLimited | Self::DatabaseUnreachable
        )
    }
}

/// The stored reason for a refresh that failed with this kind of error (the model knows reasons,
/// not errors: the conversion lives here, above both).
impl From<ErrorCode> for crate::model::ReasonCode {
    fn from(code: ErrorCode) -> Self {
        use crate::model::ReasonCode as R;
        use ErrorCode as C;
        match code {
            C::RateLimited => R::RateLimited,
            C::XeroRejected | C::Config => R::XeroRejected,
            C::Keychain | C::Passphrase => R::Vault,
            C::Storage => R::Storage,
            C::NeedsReconnect => R::RefreshTokenRefused,
            _ => R::Unreachable,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(
        "no connected login reaches an organisation named `{selector}`{}",
        did_you_mean(suggestions)
    )]
    UnknownOrganisation {
        selector: String,
        suggestions: Vec<String>,
    },
    #[error("no login matches `{0}`")]
    UnknownLogin(String),
    /// Xero no longer lists the organisation for any login that reached it.
    #[error(
        "{name} is disconnected at Xero: its connection was removed (last seen {} through {email}); reconnect that login and tick {name} on Xero's consent page, or remove it from the list",
        last_seen.format("%Y-%m-%d")
    )]
    OrganisationDisconnected {
        name: String,
        tenant_id: String,
        login: LoginId,
        email: String,
        last_seen: chrono::DateTime<chrono::Utc>,
    },
    #[error("`{selector}` matches several: {}; be more specific", candidates.join(", "))]
    Ambiguous {
        selector: String,
        candidates: Vec<String>,
    },
    /// A human must sign in again (invalid_grant, or no token set in the keychain).
    #[error("{email} needs reconnecting: {reason}")]
    NeedsReconnect {
        login: LoginId,
        /// The login's email (its id when the store no longer has it), for every message.
        email: String,
        reason: String,
    },
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
    Practice(#[from] PracticeError),
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
    /// A Custom Connection's client id is not one (Xero's are letters and digits).
    #[error("`{0}` is not a Xero client id (letters and digits, as developer.xero.com shows it)")]
    CustomClientId(String),
    /// Xero refused a Custom Connection's client id and secret.
    #[error(
        "Xero refused this client id and secret (invalid_client); nothing was stored. Copy both again from the custom connection app at developer.xero.com (generate a new secret if the old one is lost)"
    )]
    CustomConnectionRefused,
    /// A Custom Connection whose token reaches no organisation (it is not yet authorised).
    #[error(
        "this custom connection is not connected to an organisation yet; authorise it at developer.xero.com (the organisation's user accepts the connection), then connect again"
    )]
    CustomConnectionEmpty,
    /// `--login` named a login that does not reach the organisation asked for.
    #[error("{email} does not reach organisation {tenant_id}")]
    NotReachedThrough { email: String, tenant_id: String },
    /// The login went away (removed by another process) while this call was using it.
    #[error("login {0} was removed while this was in progress")]
    LoginGone(LoginId),
    /// A handover's last step refused: removing the leaving login would lose organisations
    /// nobody named (or the names given are not exactly those).
    #[error("{email} is kept: {why}")]
    HandoverIncomplete { email: String, why: String },
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

    /// What kind of failure this is.
    /// The error as one sentence with its fix in the words of a command line: what the CLI,
    /// the gateway and the token agent say.
    pub fn explained(&self) -> String {
        let sentence = format!("{self}.").replace("..", ".");
        match self.fix() {
            Some(fix) => format!("{sentence} {}", fix.command_line()),
            None => sentence,
        }
    }

    pub fn code(&self) -> ErrorCode {
        use ErrorCode as C;
        match self {
            Self::UnknownOrganisation { .. } | Self::NotReachedThrough { .. } => {
                C::UnknownOrganisation
            }
            Self::UnknownLogin(_) | Self::LoginGone(_) => C::UnknownLogin,
            Self::Ambiguous { .. } => C::Ambiguous,
            Self::OrganisationDisconnected { .. } => C::ConnectionGone,
            Self::NeedsReconnect { .. } => C::NeedsReconnect,
            Self::NoClientId
            | Self::Config(_)
            | Self::CustomClientId(_)
            | Self::CustomConnectionRefused
            | Self::CustomConnectionEmpty => C::Config,
            Self::Xero(e) => e.code(),
            Self::TokenResponse(_) | Self::NoIdToken | Self::IdentityMismatch => C::XeroRejected,
            Self::Vault(e) => vault_code(e),
            Self::Store(e) => store_code(e),
            Self::Lock(_) => C::Storage,
            Self::Practice(e) => match e {
                PracticeError::NoDatabase => C::Config,
                PracticeError::Store(e) => store_code(e),
                PracticeError::Vault(e) => vault_code(e),
                _ => C::Practice,
            },
            Self::Listen(ListenError::Cancelled) => C::Cancelled,
            Self::Listen(_) => C::LoginFailed,
            Self::HandoverIncomplete { .. } => C::HandoverIncomplete,
        }
    }

    /// The step that resolves it, when there is one a person can take.
    pub fn fix(&self) -> Option<Fix> {
        match self {
            Self::UnknownOrganisation { .. } | Self::NotReachedThrough { .. } => {
                Some(Fix::ListOrganisations)
            }
            Self::UnknownLogin(_) => Some(Fix::ListLogins),
            Self::NeedsReconnect { login, email, .. } => Some(Fix::Reconnect {
                login: login.clone(),
                email: email.clone(),
            }),
            Self::OrganisationDisconnected {
                login,
                email,
                tenant_id,
                ..
            } => Some(Fix::ReconnectOrRemove {
                login: login.clone(),
                email: email.clone(),
                tenant_id: tenant_id.clone(),
            }),
            Self::NoClientId => Some(Fix::SetClientId),
            Self::Practice(e) => e.fix(),
            _ => None,
        }
    }
}

fn vault_code(e: &VaultError) -> ErrorCode {
    match e {
        VaultError::WrongPassphrase(_) | VaultError::NoPassphrase => ErrorCode::Passphrase,
        VaultError::DatabaseUnreachable(_) => ErrorCode::DatabaseUnreachable,
        VaultError::WrongPracticeKey(_) => ErrorCode::Practice,
        _ => ErrorCode::Keychain,
    }
}

fn store_code(e: &StoreError) -> ErrorCode {
    match e {
        StoreError::Unreachable { .. } => ErrorCode::DatabaseUnreachable,
        // database_url's host, sslmode or sslrootcert (or the server's certificate) must change:
        // no retry will pass, and the data directory is not at fault.
        StoreError::Tls { .. } => ErrorCode::Config,
        _ => ErrorCode::Storage,
    }
}

impl XeroError {
    /// What kind of failure Xero's answer (or its absence) is.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NeedsReconnect => ErrorCode::NeedsReconnect,
            Self::ClientRejected => ErrorCode::Config,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::ConnectionGone => ErrorCode::ConnectionGone,
            Self::Transient(_) => ErrorCode::Unreachable,
            Self::Rejected { .. }
            | Self::Unauthorized(_)
            | Self::NotFound
            | Self::InvalidIdToken(_) => ErrorCode::XeroRejected,
        }
    }
}

#[cfg(test)]
mod tests;
