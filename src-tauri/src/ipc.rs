//! What crosses the IPC boundary: view types for the web UI, the events the UI listens to, and
//! the error every command may return, generated into TypeScript (`ui/src/bindings/`, by `cargo
//! test`; CI fails if the checked-in files drift). The engine's enums (login state, event kind,
//! redirect mode, error code, fix) cross as they are, so the UI compiles against their string
//! unions. None of these types can carry a token.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter};
use tenantry_core::config::RedirectMode;
use tenantry_core::health::LoginHealth;
use tenantry_core::model::{Event, EventKind, Login, LoginState, Organisation};
use tenantry_core::{EngineError, ErrorCode, Fix, LoginStatus};
use ts_rs::TS;

/// Errors cross IPC as a code the UI branches on, a sentence for people, and the step that
/// fixes it (which the UI words for itself).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    pub fix: Option<Fix>,
}

impl From<EngineError> for IpcError {
    fn from(e: EngineError) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
            fix: e.fix(),
        }
    }
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fix: None,
        }
    }
}

/// Every event the backend sends the window, with its payload: the one place event names are
/// written. The UI's listener is typed by this union.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "name", content = "payload")]
#[ts(export)]
pub enum UiEvent {
    /// Logins or organisations changed (here or in another process): fetch the overview again.
    #[serde(rename = "tenantry:changed")]
    Changed,
    /// A sign-in ended, well or not.
    #[serde(rename = "tenantry:connect-finished")]
    ConnectFinished(ConnectResult),
    /// A `tenantry://` link arrived that matches no sign-in in progress and no login here.
    #[serde(rename = "tenantry:deep-link-ignored")]
    LinkIgnored,
    /// Open the window on one login (a notification's click, the tray's attention item).
    #[serde(rename = "tenantry:show-login")]
    ShowLogin(String),
}

impl UiEvent {
    /// Sends the event to the window under its name, with its payload (or `null`).
    pub fn emit(self, app: &AppHandle) {
        let tagged = serde_json::to_value(&self).expect("events serialise");
        let name = tagged["name"].as_str().expect("every event has a name");
        let payload = tagged.get("payload").cloned().unwrap_or_default();
        if let Err(e) = app.emit(name, payload) {
            tracing::debug!(error = %e, event = name, "could not reach the window");
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
    pub state: LoginState,
    /// Its state read against the clock (core's rules): what the card's badge and bar follow.
    pub health: LoginHealth,
    /// Why it is not connected, in words.
    pub reason: Option<String>,
    pub last_error: Option<String>,
    #[ts(type = "string")]
    pub access_expires_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub refresh_deadline: DateTime<Utc>,
    #[ts(type = "string | null")]
    pub last_refresh_at: Option<DateTime<Utc>>,
    /// A refresh started from this window is in flight.
    pub refreshing: bool,
    /// The scopes Xero granted this login's consent.
    pub scopes: Vec<String>,
    /// Scopes the configuration asks for that this login was not granted: reconnect to allow.
    pub missing_scopes: Vec<String>,
    /// A Custom Connection (client id and secret): no refresh token, no 60-day deadline.
    pub custom: bool,
}

impl LoginView {
    /// A login's status from the engine's overview; `refreshing` while the window refreshes it.
    pub fn new(s: &LoginStatus, refreshing: bool) -> Self {
        let login = &s.login;
        Self {
            id: login.id.to_string(),
            name: login.name.clone(),
            email: login.email.clone(),
            state: login.state,
            health: s.health,
            reason: s.reason.clone(),
            last_error: login.last_error.clone(),
            access_expires_at: login.access_expires_at,
            refresh_deadline: login.refresh_deadline(),
            last_refresh_at: login.last_refresh_at,
            refreshing,
            scopes: login.scopes.clone(),
            missing_scopes: s.missing_scopes.clone(),
            custom: login.id.is_custom_connection(),
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
    /// Set when Xero no longer lists it for this login (the client disconnected the app).
    #[ts(type = "string | null")]
    pub disconnected_at: Option<DateTime<Utc>>,
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
                disconnected_at: o.disconnected_at,
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
    /// Why Tenantry could not open what it was started for (no keychain, a broken
    /// configuration); the window shows this, with its fix, instead of anything else.
    pub problem: Option<IpcError>,
    /// The problem asks for the passphrase of a file vault not made yet: ask for it twice.
    pub new_vault: bool,
    pub logins: Vec<LoginView>,
    pub organisations: Vec<OrgView>,
    /// Every organisation once, with its own state: the Clients view.
    pub clients: Vec<crate::clients::ClientView>,
    pub connecting: Option<ConnectView>,
    /// The app's connections this profile holds, and the cap in force (`connection_limit`, else the
    /// tier's), if any.
    pub connections: ConnectionsView,
    /// Practice mode: the shared database and who this machine acts as; None for a local profile.
    pub practice: Option<crate::practice::PracticeView>,
    /// Each organisation's calls a day, as the app's tier (or `daily_limit`) sets them.
    pub calls_per_day: u32,
}

/// "23 of 25 connections" in the window's header.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ConnectionsView {
    pub used: u32,
    pub limit: Option<u32>,
    /// One more organisation would pass the cap: Xero refuses it.
    pub at_limit: bool,
}

/// The payload of [`UiEvent::ConnectFinished`].
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ConnectResult {
    pub login_name: Option<String>,
    pub login_email: Option<String>,
    /// Names of the organisations this consent added.
    pub added: Vec<String>,
    /// How many organisations the login reached already (not added by this consent).
    pub already: u32,
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
    pub kind: EventKind,
    pub login_id: Option<String>,
    pub login_email: Option<String>,
    pub tenant_id: Option<String>,
    pub detail: String,
    /// Practice mode: who caused it, `PERSON on MACHINE`; null in a local profile.
    pub by: Option<String>,
}

impl EventView {
    pub fn new(e: &Event, logins: &[Login]) -> Self {
        Self {
            id: e.id,
            at: e.at,
            kind: e.kind,
            login_id: e.login_id.as_ref().map(|l| l.to_string()),
            // A removed login is named as its events recorded it.
            login_email: e
                .login_id
                .as_ref()
                .and_then(|id| logins.iter().find(|l| &l.id == id))
                .map(|l| l.email.clone())
                .or_else(|| e.login_email.clone()),
            tenant_id: e.tenant_id.clone(),
            detail: e.detail.clone(),
            by: e.by.clone(),
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
    pub redirect_mode: RedirectMode,
    pub bounce_url: Option<String>,
    /// Warn this many days before a failing login lapses.
    pub notify_days: u32,
    /// Closing the window keeps Tenantry in the tray.
    pub close_to_tray: bool,
    /// Serve the Xero API (the gateway and the token agent) to local programs while the app runs.
    pub serve_gateway: bool,
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
    /// The workspace version, for the About line.
    pub version: String,
    /// Where the logins' tokens are kept, in words.
    pub vault: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_cross_under_their_names_with_their_payloads() {
        let shown = serde_json::to_value(UiEvent::ShowLogin("u1".into())).unwrap();
        assert_eq!(
            shown,
            serde_json::json!({"name": "tenantry:show-login", "payload": "u1"}),
            "the UI listens under the name and reads the payload"
        );
        let changed = serde_json::to_value(UiEvent::Changed).unwrap();
        assert_eq!(
            changed,
            serde_json::json!({"name": "tenantry:changed"}),
            "an event without data has no payload"
        );
    }

    #[test]
    fn an_engine_error_crosses_with_its_code_and_fix() {
        let login = tenantry_core::model::LoginId::new("u1").unwrap();
        let error = IpcError::from(EngineError::NeedsReconnect {
            login,
            email: "ann@example.com".into(),
            reason: "revoked".into(),
        });
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({
                "code": "needs_reconnect",
                "message": "ann@example.com needs reconnecting: revoked",
                "fix": {"kind": "reconnect", "login": "u1", "email": "ann@example.com"},
            }),
            "the UI branches on the code and offers the fix"
        );
    }
}
