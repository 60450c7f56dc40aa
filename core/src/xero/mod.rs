//! The Xero client: the token endpoint (PKCE code exchange, refresh) and revocation through the
//! `oauth2` crate ([`oauth`]), the API calls Tenantry makes ([`api`]), and id_token verification
//! ([`jwt`]).
//!
//! Every endpoint comes from configuration, so the same code talks to Xero, to the project's fake
//! Xero on loopback, or to any compliant OpenID provider. Redirects are never followed (a token
//! request must not be replayed somewhere else) and every call has a timeout. Failures are
//! classified by what the caller does next ([`XeroError`]); no error message quotes a token.

mod api;
mod jwt;
pub mod oauth;
pub mod scopes;
mod transport;

pub use crate::token::TokenAnswer;
pub use jwt::{AccessClaims, IdClaims, access_claims};

use crate::config::XeroEndpoints;
use crate::model::{LoginId, Organisation, parse_xero_datetime};
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use oauth2::PkceCodeVerifier;
use serde::Deserialize;
use std::time::Duration;

/// How long one call to Xero may take by default before it counts as failed (and is retried
/// later); `timeout_secs` in the configuration changes it.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Shaped by what the caller does next.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum XeroError {
    /// `invalid_grant`: the refresh token or code is used, expired or revoked. Only a human
    /// signing in again fixes it; retrying is pointless and is never done.
    #[error(
        "Xero no longer accepts this login's refresh token (invalid_grant); reconnect the login"
    )]
    NeedsReconnect,
    /// `invalid_client`: the configured client id is wrong or the app was deleted.
    #[error(
        "Xero does not recognise the client id (invalid_client); check `client_id` in the configuration"
    )]
    ClientRejected,
    /// Any other OAuth error from the token or revocation endpoint.
    #[error("Xero refused the request ({code}{}); check the app's settings at Xero", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Rejected {
        code: String,
        description: Option<String>,
    },
    /// Network trouble, a timeout, Xero 5xx, or an answer that could not be understood.
    /// Nothing was lost; try again later.
    #[error("Xero could not be reached or answered unexpectedly ({0}); Tenantry will try again")]
    Transient(String),
    /// 429: wait `retry_after` before calling again.
    #[error("Xero's rate limit was reached ({}); retry after {} s", problem.as_deref().unwrap_or("limit"), retry_after.as_secs())]
    RateLimited {
        retry_after: Duration,
        problem: Option<String>,
    },
    /// 403 `AuthenticationUnsuccessful`: this organisation's connection is gone (disconnected,
    /// deleted or reset). Refresh the login's organisations.
    #[error(
        "the organisation is no longer connected to this login (AuthenticationUnsuccessful); reconnect it in Xero if it is still needed"
    )]
    ConnectionGone,
    /// 401 on an API call: the access token expired early, was revoked, or lacks a scope. The
    /// engine refreshes once and retries once before passing this on.
    #[error(
        "Xero rejected the access token ({0}) even after a refresh; reconnect the login if this persists"
    )]
    Unauthorized(String),
    #[error("Xero has no such connection")]
    NotFound,
    /// The id_token failed verification: the sign-in cannot be trusted and is discarded.
    #[error("the sign-in could not be verified ({0}); try connecting again")]
    InvalidIdToken(String),
}

impl XeroError {
    /// Whether a later retry may succeed without a human.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_) | Self::RateLimited { .. })
    }
}

/// A connection as `GET /connections` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    pub id: String,
    pub tenant_id: String,
    #[serde(default)]
    pub auth_event_id: Option<String>,
    #[serde(default)]
    pub tenant_type: Option<String>,
    #[serde(default)]
    pub tenant_name: Option<String>,
    #[serde(default)]
    pub created_date_utc: Option<String>,
    #[serde(default)]
    pub updated_date_utc: Option<String>,
}

impl Connection {
    /// The organisation this connection gives `login`, with Xero's zone-less dates read as UTC.
    pub fn into_organisation(self, login: &LoginId, now: DateTime<Utc>) -> Organisation {
        let created = self
            .created_date_utc
            .as_deref()
            .and_then(parse_xero_datetime)
            .unwrap_or(now);
        let updated = self
            .updated_date_utc
            .as_deref()
            .and_then(parse_xero_datetime)
            .unwrap_or(created);
        Organisation {
            login_id: login.clone(),
            name: self.tenant_name.unwrap_or_else(|| self.tenant_id.clone()),
            connection_id: self.id,
            tenant_id: self.tenant_id,
            tenant_type: self.tenant_type.unwrap_or_else(|| "ORGANISATION".into()),
            auth_event_id: self.auth_event_id,
            created_at: created,
            updated_at: updated,
            last_seen_at: now,
            disconnected_at: None,
        }
    }
}

/// What the Organisation endpoint says about a tenant: enough to show "this connection works".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrganisationInfo {
    pub name: String,
    pub legal_name: Option<String>,
    pub country_code: Option<String>,
    pub organisation_type: Option<String>,
}

pub struct XeroClient {
    /// Built on first use: building it loads the system's CA certificates (about 50 ms), which a
    /// `tenantry token` run that finds a fresh token in the keychain never needs.
    http: std::sync::OnceLock<reqwest::Client>,
    timeout: Duration,
    endpoints: XeroEndpoints,
    client_id: String,
    oauth: oauth::OAuthClient,
    keys: jwt::KeySet,
}

impl XeroClient {
    pub fn new(endpoints: XeroEndpoints, client_id: impl Into<String>) -> Self {
        Self::with_timeout(endpoints, client_id, CALL_TIMEOUT)
    }

    pub fn with_timeout(
        endpoints: XeroEndpoints,
        client_id: impl Into<String>,
        timeout: Duration,
    ) -> Self {
        let client_id = client_id.into();
        Self {
            http: std::sync::OnceLock::new(),
            timeout,
            oauth: oauth::client(&endpoints, &client_id),
            endpoints,
            client_id,
            keys: jwt::KeySet::default(),
        }
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(CONNECT_TIMEOUT.min(self.timeout))
                .timeout(self.timeout)
                .user_agent(concat!("tenantry/", env!("CARGO_PKG_VERSION")))
                .build()
                .expect("the HTTP client configuration is valid")
        })
    }

    pub fn endpoints(&self) -> &XeroEndpoints {
        &self.endpoints
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Exchanges an authorization code (PKCE, no client secret).
    pub async fn exchange_code(
        &self,
        code: &Secret,
        redirect_uri: &str,
        verifier: PkceCodeVerifier,
    ) -> Result<TokenAnswer, XeroError> {
        let http = transport::OAuthHttp(self.http().clone());
        oauth::exchange_code(&self.oauth, &http, code, redirect_uri, verifier).await
    }

    /// Spends `refresh_token` for a new token set. Xero rotates the refresh token.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenAnswer, XeroError> {
        let http = transport::OAuthHttp(self.http().clone());
        oauth::refresh(&self.oauth, &http, refresh_token).await
    }

    /// A Custom Connection's access token for its client id and secret (no refresh token).
    pub async fn client_credentials(
        &self,
        client_id: &str,
        secret: &Secret,
    ) -> Result<TokenAnswer, XeroError> {
        let http = transport::OAuthHttp(self.http().clone());
        oauth::client_credentials(&self.endpoints, client_id, secret, &http).await
    }

    /// Revokes a refresh token: Xero then removes all of that user's connections to the app.
    pub async fn revoke(&self, refresh_token: &Secret) -> Result<(), XeroError> {
        let http = transport::OAuthHttp(self.http().clone());
        oauth::revoke(&http, &self.endpoints, &self.client_id, refresh_token).await
    }

    /// Verifies an id_token: RS256 signature against the issuer's key set, issuer, audience (our
    /// client id), expiry at `now`, and the nonce when one was sent.
    pub async fn verify_id_token(
        &self,
        id_token: &Secret,
        nonce: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<IdClaims, XeroError> {
        self.keys
            .verify(
                self.http(),
                &self.endpoints.jwks_url,
                id_token.expose(),
                &self.endpoints.issuer,
                &self.client_id,
                nonce,
                now,
            )
            .await
    }

    fn api(&self, path: &str) -> url::Url {
        let mut base = self.endpoints.api_url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        base.join(path).expect("API paths are valid")
    }
}
