//! What crosses the IPC boundary: view types for the web UI, generated into TypeScript
//! (`ui/src/bindings/`, by `cargo test`; CI fails if the checked-in files drift). None of these
//! types can carry a token.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_core::EngineError;
use tenantry_core::model::{Event, Login, LoginState, Organisation};
use ts_rs::TS;

/// Errors cross IPC as a stable code (the UI branches on it) and a sentence for people.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct IpcError {
    pub code: String,
    pub message: String,
}

impl From<EngineError> for IpcError {
    fn from(e: EngineError) -> Self {
        Self {
            code: e.code().into(),
            message: e.to_string(),
        }
    }
}

impl IpcError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AppMode {
    /// No Xero app configured yet: the first-run screen.
    Unconfigured,
    /// Running against the built-in fake Xero.
    Demo,
    /// Running against the configured Xero app.
    Xero,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct LoginView {
    pub id: String,
    pub name: String,
    pub email: String,
    /// `connected`, `needs_reconnect` or `error`.
    pub state: String,
    pub last_error: Option<String>,
    #[ts(type = "string")]
    pub access_expires_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub refresh_deadline: DateTime<Utc>,
    #[ts(type = "string | null")]
    pub last_refresh_at: Option<DateTime<Utc>>,
    /// A refresh started from this window is in flight.
    pub refreshing: bool,
}

impl LoginView {
    pub fn new(login: &Login, refreshing: bool) -> Self {
        Self {
            id: login.id.to_string(),
            name: login.name.clone(),
            email: login.email.clone(),
            state: match login.state {
                LoginState::Connected => "connected",
                LoginState::NeedsReconnect => "needs_reconnect",
                LoginState::Error => "error",
            }
            .into(),
            last_error: login.last_error.clone(),
            access_expires_at: login.access_expires_at,
            refresh_deadline: login.refresh_deadline(),
            last_refresh_at: login.last_refresh_at,
            refreshing,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct OrgView {
    pub login_id: String,
    pub tenant_id: String,
    pub name: String,
    pub tenant_type: String,
    #[ts(type = "string")]
    pub connected_since: DateTime<Utc>,
    /// Also reachable through another login.
    pub shared: bool,
}

impl OrgView {
    pub fn list(orgs: &[Organisation]) -> Vec<Self> {
        // How many logins reach each organisation, in one pass: asking per row is quadratic.
        let mut reach: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for o in orgs {
            *reach.entry(o.tenant_id.as_str()).or_default() += 1;
        }
        orgs.iter()
            .map(|o| Self {
                login_id: o.login_id.to_string(),
                tenant_id: o.tenant_id.clone(),
                name: o.name.clone(),
                tenant_type: o.tenant_type.clone(),
                connected_since: o.created_at,
                shared: reach.get(o.tenant_id.as_str()).copied().unwrap_or(0) > 1,
            })
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ConnectView {
    pub authorize_url: String,
    pub reconnect_email: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Overview {
    pub mode: AppMode,
    pub logins: Vec<LoginView>,
    pub organisations: Vec<OrgView>,
    pub connecting: Option<ConnectView>,
}

/// Sent as the `tenantry:connect-finished` event.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ConnectResult {
    pub login_name: Option<String>,
    pub login_email: Option<String>,
    /// Names of the organisations this consent added.
    pub added: Vec<String>,
    /// Set when a reconnect of this login (its email) came back signed in as someone else.
    pub intended_email: Option<String>,
    pub error: Option<IpcError>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct OrgTest {
    pub name: String,
    pub legal_name: Option<String>,
    pub country_code: Option<String>,
    pub organisation_type: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct EventView {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    pub kind: String,
    pub login_id: Option<String>,
    pub login_email: Option<String>,
    pub tenant_id: Option<String>,
    pub detail: String,
}

impl EventView {
    pub fn new(e: &Event, logins: &[Login]) -> Self {
        Self {
            id: e.id,
            at: e.at,
            kind: e.kind.as_str().into(),
            login_id: e.login_id.as_ref().map(|l| l.to_string()),
            login_email: e
                .login_id
                .as_ref()
                .and_then(|id| logins.iter().find(|l| &l.id == id))
                .map(|l| l.email.clone()),
            tenant_id: e.tenant_id.clone(),
            detail: e.detail.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Settings {
    pub client_id: String,
    pub redirect_ports: Vec<u16>,
    pub scopes: Vec<String>,
    pub keepalive_days: u32,
    /// `loopback` or `deep_link`.
    pub redirect_mode: String,
    pub bounce_url: Option<String>,
    /// Warn this many days before a failing login lapses.
    pub notify_days: u32,
    /// Closing the window keeps Tenantry in the tray.
    pub close_to_tray: bool,
}

/// Start at login: whether it is on, and whether to offer it (once, on first run).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AutostartView {
    pub enabled: bool,
    pub offer: bool,
}

/// Settings plus what the user needs to register at Xero and where things live.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SettingsView {
    pub settings: Settings,
    /// The exact redirect URIs to register at Xero.
    pub redirect_uris: Vec<String>,
    pub data_dir: String,
    pub config_file: String,
    pub mode: AppMode,
}
