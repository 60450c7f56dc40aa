//! The Xero client: token endpoint (PKCE code exchange, refresh), revocation, connections, the
//! Organisation call, and id_token verification.
//!
//! Every endpoint comes from configuration, so the same code talks to Xero, to the project's fake
//! Xero on loopback, or to any compliant OpenID provider. Redirects are never followed (a token
//! request must not be replayed somewhere else) and every call has a timeout. Failures are
//! classified by what the caller does next ([`XeroError`]); no error message quotes a token.

mod jwt;

pub use jwt::{AccessClaims, IdClaims, access_claims};

use crate::config::XeroEndpoints;
use crate::model::{LoginId, Organisation, parse_xero_datetime};
use crate::secret::Secret;
use crate::token::TokenResponse;
use chrono::{DateTime, Utc};
use reqwest::{Response, StatusCode};
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
    jwks: jwt::JwksCache,
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
        Self {
            http: std::sync::OnceLock::new(),
            timeout,
            endpoints,
            client_id: client_id.into(),
            jwks: jwt::JwksCache::default(),
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
        verifier: &Secret,
    ) -> Result<TokenResponse, XeroError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("client_id", &self.client_id),
            ("code", code.expose()),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier.expose()),
        ];
        self.token_request(&form).await
    }

    /// Spends `refresh_token` for a new token set. Xero rotates the refresh token.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenResponse, XeroError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", &self.client_id),
            ("refresh_token", refresh_token.expose()),
        ];
        self.token_request(&form).await
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<TokenResponse, XeroError> {
        let response = self
            .http()
            .post(self.endpoints.token_url.clone())
            .form(form)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if status == StatusCode::OK {
            let body = response.bytes().await.map_err(transport)?;
            return TokenResponse::parse(&body).map_err(|e| XeroError::Transient(e.to_string()));
        }
        Err(oauth_error(response).await)
    }

    /// Revokes a refresh token: Xero then removes all of that user's connections to the app.
    pub async fn revoke(&self, refresh_token: &Secret) -> Result<(), XeroError> {
        let form = [
            ("token", refresh_token.expose()),
            ("token_type_hint", "refresh_token"),
            ("client_id", &self.client_id),
        ];
        let response = self
            .http()
            .post(self.endpoints.revocation_url.clone())
            .form(&form)
            .send()
            .await
            .map_err(transport)?;
        if response.status().is_success() {
            return Ok(());
        }
        Err(oauth_error(response).await)
    }

    /// The user's connections; with `auth_event_id`, only those that one consent added.
    pub async fn connections(
        &self,
        access_token: &Secret,
        auth_event_id: Option<&str>,
    ) -> Result<Vec<Connection>, XeroError> {
        let mut request = self
            .http()
            .get(self.api("connections"))
            .bearer_auth(access_token.expose());
        if let Some(id) = auth_event_id {
            request = request.query(&[("authEventId", id)]);
        }
        let response = api_result(request.send().await.map_err(transport)?).await?;
        response
            .json()
            .await
            .map_err(|e| XeroError::Transient(format!("unreadable connections list: {e}")))
    }

    /// Disconnects one organisation (by connection id, not tenant id).
    pub async fn delete_connection(
        &self,
        access_token: &Secret,
        connection_id: &str,
    ) -> Result<(), XeroError> {
        let url = self.api(&format!("connections/{connection_id}"));
        let response = self
            .http()
            .delete(url)
            .bearer_auth(access_token.expose())
            .send()
            .await
            .map_err(transport)?;
        api_result(response).await.map(drop)
    }

    /// `GET /api.xro/2.0/Organisation` for one tenant: proves the connection works end to end.
    pub async fn organisation(
        &self,
        access_token: &Secret,
        tenant_id: &str,
    ) -> Result<OrganisationInfo, XeroError> {
        let response = self
            .http()
            .get(self.api("api.xro/2.0/Organisation"))
            .bearer_auth(access_token.expose())
            .header("xero-tenant-id", tenant_id)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(transport)?;
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Body {
            organisations: Vec<Org>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Org {
            name: String,
            legal_name: Option<String>,
            country_code: Option<String>,
            organisation_type: Option<String>,
        }
        let body: Body =
            api_result(response).await?.json().await.map_err(|e| {
                XeroError::Transient(format!("unreadable Organisation answer: {e}"))
            })?;
        let org = body
            .organisations
            .into_iter()
            .next()
            .ok_or_else(|| XeroError::Transient("empty Organisation answer".into()))?;
        Ok(OrganisationInfo {
            name: org.name,
            legal_name: org.legal_name,
            country_code: org.country_code,
            organisation_type: org.organisation_type,
        })
    }

    /// Verifies an id_token: RS256 signature against the JWKS, issuer, audience (our client id),
    /// expiry at `now`, and the nonce when one was sent.
    pub async fn verify_id_token(
        &self,
        id_token: &Secret,
        nonce: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<IdClaims, XeroError> {
        self.jwks
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

fn transport(e: reqwest::Error) -> XeroError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off"
    } else {
        "network error"
    };
    let host = e
        .url()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    XeroError::Transient(format!("{what} talking to {host}"))
}

fn retry_after(response: &Response) -> Duration {
    let secs = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(60);
    Duration::from_secs(secs.clamp(1, 24 * 3600))
}

/// 429 and 5xx mean the same for every endpoint: wait (as told), then try again.
fn throttled_or_down(response: &Response) -> Option<XeroError> {
    let status = response.status();
    if status == StatusCode::TOO_MANY_REQUESTS {
        let problem = response
            .headers()
            .get("x-rate-limit-problem")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        return Some(XeroError::RateLimited {
            retry_after: retry_after(response),
            problem,
        });
    }
    status
        .is_server_error()
        .then(|| XeroError::Transient(format!("Xero answered HTTP {}", status.as_u16())))
}

/// Classifies a non-success answer from the token or revocation endpoint.
async fn oauth_error(response: Response) -> XeroError {
    if let Some(e) = throttled_or_down(&response) {
        return e;
    }
    let status = response.status();
    #[derive(Deserialize)]
    struct OAuthError {
        error: String,
        error_description: Option<String>,
    }
    let body = response.bytes().await.unwrap_or_default();
    match serde_json::from_slice::<OAuthError>(&body) {
        Ok(e) if e.error == "invalid_grant" => XeroError::NeedsReconnect,
        Ok(e) if e.error == "invalid_client" => XeroError::ClientRejected,
        Ok(e) => XeroError::Rejected {
            code: e.error.chars().take(40).collect(),
            description: e.error_description.map(|d| d.chars().take(200).collect()),
        },
        Err(_) => XeroError::Transient(format!(
            "Xero answered HTTP {} with an unexpected body",
            status.as_u16()
        )),
    }
}

/// Passes a success through and classifies API failures.
async fn api_result(response: Response) -> Result<Response, XeroError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    if let Some(e) = throttled_or_down(&response) {
        return Err(e);
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Problem {
        detail: Option<String>,
    }
    let detail = response
        .bytes()
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<Problem>(&b).ok())
        .and_then(|p| p.detail)
        .map(|d| d.chars().take(120).collect::<String>())
        .unwrap_or_default();
    Err(match status {
        StatusCode::FORBIDDEN if detail.starts_with("AuthenticationUnsuccessful") => {
            XeroError::ConnectionGone
        }
        StatusCode::UNAUTHORIZED => XeroError::Unauthorized(if detail.is_empty() {
            "HTTP 401".into()
        } else {
            detail
        }),
        StatusCode::NOT_FOUND => XeroError::NotFound,
        _ => XeroError::Rejected {
            code: format!("HTTP {}", status.as_u16()),
            description: (!detail.is_empty()).then_some(detail),
        },
    })
}
