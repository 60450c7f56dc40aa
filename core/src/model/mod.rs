//! The domain's nouns: logins (one Xero user, one token set) and the organisations they reach.
//!
//! A login is keyed by Xero's `xero_userid`: tokens are per user per app, so two logins are two
//! token sets even when they reach the same organisation, and the two are never merged.

pub mod practice;
mod reason;
pub use reason::ReasonCode;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// A Xero user's id (`xero_userid` claim). Validated once, at construction. Shared, not copied:
/// it is cloned on every token request, which must not allocate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LoginId(Arc<str>);

impl LoginId {
    /// The login of a Custom Connection app: its client id, prefixed so that it can never be a
    /// Xero user's id (those are UUIDs) and stays a valid file name for its lock.
    pub fn custom_connection(client_id: &str) -> Result<Self, InvalidLoginId> {
        if client_id.is_empty() || !client_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(InvalidLoginId(client_id.chars().take(40).collect()));
        }
        Self::new(format!("{CUSTOM_CONNECTION_PREFIX}{client_id}"))
    }

    /// The client id, when this is a Custom Connection's login.
    pub fn custom_client_id(&self) -> Option<&str> {
        self.0.strip_prefix(CUSTOM_CONNECTION_PREFIX)
    }

    pub fn is_custom_connection(&self) -> bool {
        self.custom_client_id().is_some()
    }

    pub fn new(raw: impl Into<String>) -> Result<Self, InvalidLoginId> {
        let raw = raw.into();
        let ok = !raw.is_empty()
            && raw.len() <= 128
            && raw
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '/' && c != '\\');
        if ok {
            Ok(Self(raw.into()))
        } else {
            Err(InvalidLoginId(raw.chars().take(40).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "`{0}` is not a usable user id (expected 1-128 printable ASCII characters without slashes)"
)]
pub struct InvalidLoginId(String);

impl TryFrom<String> for LoginId {
    type Error = InvalidLoginId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<LoginId> for String {
    fn from(value: LoginId) -> Self {
        value.0.to_string()
    }
}

impl fmt::Display for LoginId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a Custom Connection's login id starts (see [`LoginId::custom_connection`]).
pub const CUSTOM_CONNECTION_PREFIX: &str = "custom-";

/// What a login needs next, as the UI and CLI show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum LoginState {
    /// The token set works (or will after an ordinary refresh).
    Connected,
    /// Xero said `invalid_grant`: only a human signing in again can fix it.
    NeedsReconnect,
    /// The last refresh failed for a reason that may pass (network, Xero 5xx, locked keychain).
    Error,
}

impl LoginState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::NeedsReconnect => "needs_reconnect",
            Self::Error => "error",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "connected" => Some(Self::Connected),
            "needs_reconnect" => Some(Self::NeedsReconnect),
            "error" => Some(Self::Error),
            _ => None,
        }
    }
}

/// A login's metadata. The token set itself lives only in the vault.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Login {
    pub id: LoginId,
    pub name: String,
    pub email: String,
    pub state: LoginState,
    /// The reason for `Error` / `NeedsReconnect`, in words for a human. Never contains a token.
    pub last_error: Option<String>,
    /// The same reason as a code, for scripts (None for rows written before codes were kept).
    pub reason_code: Option<ReasonCode>,
    pub access_expires_at: DateTime<Utc>,
    /// When the current refresh token was issued; Xero drops it 60 days later if unused.
    pub refresh_issued_at: DateTime<Utc>,
    pub last_refresh_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    pub connected_at: DateTime<Utc>,
    /// When Xero's `/connections` last answered for this login (sign-in, `check`, a sync).
    pub checked_at: Option<DateTime<Utc>>,
}

/// Xero lets an unused refresh token live 60 days.
pub const REFRESH_TOKEN_LIFETIME: chrono::Duration = chrono::Duration::days(60);

impl Login {
    /// The day Xero forgets this login unless it is refreshed first.
    pub fn refresh_deadline(&self) -> DateTime<Utc> {
        self.refresh_issued_at + REFRESH_TOKEN_LIFETIME
    }
}

/// Each organisation's name by its tenant id (lower case), for output that names what a row of
/// counts or calls keeps only the id of.
pub fn names_by_tenant(
    organisations: Vec<Organisation>,
) -> std::collections::HashMap<String, String> {
    organisations
        .into_iter()
        .map(|o| (o.tenant_id.to_lowercase(), o.name))
        .collect()
}

/// An organisation (Xero tenant) reached through one login's connection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Organisation {
    pub login_id: LoginId,
    /// The connection id: what `DELETE /connections/{id}` takes (not the tenant id).
    pub connection_id: String,
    /// The value of the `xero-tenant-id` header.
    pub tenant_id: String,
    pub name: String,
    pub tenant_type: String,
    pub auth_event_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When Xero's `/connections` last listed it for this login.
    pub last_seen_at: DateTime<Utc>,
    /// When a look at `/connections` found it gone (the client disconnected the app at Xero).
    /// The row stays, so the organisation is shown with its fix instead of silently vanishing.
    pub disconnected_at: Option<DateTime<Utc>>,
}

/// What happened to a login, for the activity log ("why did this org drop?").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Connected,
    Refreshed,
    RefreshFailed,
    NeedsReconnect,
    OrganisationAdded,
    OrganisationRemoved,
    Disconnected,
    Removed,
    KeepAlive,
    Recovered,
    /// A keep-alive run in the app or a manual `tenantry keepalive` (no login; the detail sums it up).
    KeepAliveRun,
    /// A keep-alive run started by the platform's scheduler (`keepalive --install`).
    ScheduledRun,
    /// A check of every login at Xero (`tenantry check`, the window's daily look).
    CheckRun,
    /// Checking one login at Xero failed for a reason that may pass.
    CheckFailed,
    /// The configured `on_event` command failed or ran too long (the detail says which).
    HookFailed,
    /// The month's egress reached 80 % or 100 % of a budget or of the tier's allowance (no
    /// login; the organisation when it is its own budget); said once each a month.
    Egress,
    /// A step of handing a login's organisations over to another (`tenantry handover`): the
    /// leaving login's, the detail naming both and what was done.
    Handover,
}

impl EventKind {
    pub const ALL: [EventKind; 17] = [
        Self::Connected,
        Self::Refreshed,
        Self::RefreshFailed,
        Self::NeedsReconnect,
        Self::OrganisationAdded,
        Self::OrganisationRemoved,
        Self::Disconnected,
        Self::Removed,
        Self::KeepAlive,
        Self::Recovered,
        Self::KeepAliveRun,
        Self::ScheduledRun,
        Self::CheckRun,
        Self::CheckFailed,
        Self::HookFailed,
        Self::Egress,
        Self::Handover,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::Refreshed => "refreshed",
            Self::RefreshFailed => "refresh_failed",
            Self::NeedsReconnect => "needs_reconnect",
            Self::OrganisationAdded => "organisation_added",
            Self::OrganisationRemoved => "organisation_removed",
            Self::Disconnected => "disconnected",
            Self::Removed => "removed",
            Self::KeepAlive => "keep_alive",
            Self::Recovered => "recovered",
            Self::KeepAliveRun => "keep_alive_run",
            Self::ScheduledRun => "scheduled_run",
            Self::CheckRun => "check_run",
            Self::CheckFailed => "check_failed",
            Self::HookFailed => "hook_failed",
            Self::Egress => "egress",
            Self::Handover => "handover",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// One line of the event log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub login_id: Option<LoginId>,
    pub kind: EventKind,
    pub tenant_id: Option<String>,
    /// Human-readable detail. Never contains a token, code or verifier.
    pub detail: String,
    /// Who the login was when the event was written: kept with the event, so the history of a
    /// removed login still names its person.
    pub login_name: Option<String>,
    pub login_email: Option<String>,
    /// Practice mode: the person and machine that caused it ("Ann on LAPTOP-2"); None locally.
    pub by: Option<String>,
}

/// Parses Xero's connection timestamps. Xero sends them without a zone and with 7 fractional
/// digits (`2019-12-07T18:46:19.5165400`), which RFC 3339 parsers reject; they are UTC.
/// Timestamps that do carry a zone are accepted too, so another compliant server works.
pub fn parse_xero_datetime(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(with_zone) = DateTime::parse_from_rfc3339(raw) {
        return Some(with_zone.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Timelike};

    #[test]
    fn xero_dates_parse_as_utc() {
        let table = [
            (
                "2019-12-07T18:46:19.5165400",
                Some((2019, 12, 7, 18, 46, 19, 516_540_000)),
            ),
            ("2019-12-07T18:46:19", Some((2019, 12, 7, 18, 46, 19, 0))),
            (
                "2019-12-07T18:46:19.5165400Z",
                Some((2019, 12, 7, 18, 46, 19, 516_540_000)),
            ),
            (
                "2019-12-07T20:46:19+02:00",
                Some((2019, 12, 7, 18, 46, 19, 0)),
            ),
            ("07/12/2019", None),
            ("", None),
        ];
        for (raw, want) in table {
            let got = parse_xero_datetime(raw).map(|d| {
                (
                    d.year(),
                    d.month(),
                    d.day(),
                    d.hour(),
                    d.minute(),
                    d.second(),
                    d.nanosecond(),
                )
            });
            assert_eq!(
                got, want,
                "`{raw}`: Xero's zone-less 7-digit dates are UTC; junk is rejected"
            );
        }
    }

    #[test]
    fn login_ids_are_validated_once() {
        assert!(
            LoginId::new("1c3d2a6e-8a3b-4f0e-9d8c-1f2e3d4c5b6a").is_ok(),
            "a GUID is a Xero user id"
        );
        assert!(
            LoginId::new("auth0|123").is_ok(),
            "other OpenID providers' `sub` values work too"
        );
        for bad in ["", "a b", "x/../y", "a\\b", "é", &"a".repeat(129)] {
            assert!(
                LoginId::new(bad).is_err(),
                "`{bad}` would be unsafe as a keychain or lock-file name"
            );
        }
    }

    #[test]
    fn event_kinds_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(
                EventKind::parse(kind.as_str()),
                Some(kind),
                "stored kinds must read back"
            );
        }
    }
}
