//! Each organisation's state from its rows (one per login that reaches it): the best way through
//! wins, and a tenant Xero no longer lists for any login is `disconnected`, kept with its fix.

use super::{LoginHealth, login_health, login_reason};
use crate::fix::Fix;
use crate::model::{Login, LoginId, Organisation};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// An organisation's state, and each of its rows' (one per login that reaches it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum OrgState {
    Connected,
    /// Reachable only through logins that need a human.
    NeedsReconnect,
    /// Xero's `/connections` no longer lists it for any login that reached it.
    Disconnected,
    /// Its logins' last calls to Xero failed for a reason that may pass.
    Error,
}

impl OrgState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::NeedsReconnect => "needs_reconnect",
            Self::Disconnected => "disconnected",
            Self::Error => "error",
        }
    }

    /// A person must act (reconnect, or remove it from the list).
    pub fn needs_human(self) -> bool {
        matches!(self, Self::NeedsReconnect | Self::Disconnected)
    }
}

/// One login's row of an organisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgRow {
    pub login_id: LoginId,
    pub name: String,
    pub email: String,
    pub state: OrgState,
    pub connection_id: String,
    pub connected_since: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub disconnected_at: Option<DateTime<Utc>>,
    /// When Xero's `/connections` last answered for this login.
    pub checked_at: Option<DateTime<Utc>>,
}

/// An organisation with every login that reaches (or reached) it, and what it needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgStatus {
    pub tenant_id: String,
    pub name: String,
    pub tenant_type: String,
    pub state: OrgState,
    /// Why it is not connected, in words for a person.
    pub reason: Option<String>,
    /// The login a token for it comes from (when connected), else the one to fix.
    pub through: LoginId,
    pub through_email: String,
    /// When Xero last confirmed the organisation's state (the newest look of its logins).
    pub checked_at: Option<DateTime<Utc>>,
    /// When Xero last listed it for any login.
    pub last_seen_at: DateTime<Utc>,
    /// The earliest date any login connected it.
    pub connected_since: DateTime<Utc>,
    pub fix: Option<Fix>,
    /// What Xero last said (through the gateway, in the past day) was left of its day's calls;
    /// filled in by the engine's overview, which reads what the gateway noted.
    pub calls_left_today: Option<u32>,
    /// What Xero's APIs sent back for it this month (UTC) through the gateway; filled in by the
    /// engine's overview.
    pub egress_this_month: crate::usage::EgressCount,
    pub logins: Vec<OrgRow>,
}

/// A row's state: its own disconnection first, then its login's health.
fn row_state(org: &Organisation, health: Option<LoginHealth>) -> OrgState {
    if org.disconnected_at.is_some() {
        return OrgState::Disconnected;
    }
    match health {
        Some(h) if h.needs_human() => OrgState::NeedsReconnect,
        Some(LoginHealth::Error) => OrgState::Error,
        Some(_) => OrgState::Connected,
        // A row whose login is gone cannot be served.
        None => OrgState::NeedsReconnect,
    }
}

/// The organisation's state from its rows: the best way through wins (connected, then a
/// failure that may pass, then a login a human can reconnect, then gone at Xero).
fn best(rows: &[OrgRow]) -> usize {
    let rank = |s: OrgState| match s {
        OrgState::Connected => 0,
        OrgState::Error => 1,
        OrgState::NeedsReconnect => 2,
        OrgState::Disconnected => 3,
    };
    (0..rows.len())
        .min_by_key(|&i| rank(rows[i].state))
        .expect("an organisation has at least one row")
}

/// Every organisation (one entry per tenant, in the store's order) with its state and fix.
/// Linear in the rows: logins are looked up by hash, not scanned.
pub fn organisation_statuses(
    logins: &[Login],
    orgs: &[Organisation],
    now: DateTime<Utc>,
    notify_days: u32,
) -> Vec<OrgStatus> {
    let by_id: HashMap<&LoginId, (&Login, LoginHealth, Option<String>)> = logins
        .iter()
        .map(|l| {
            let health = login_health(l, now, notify_days);
            (&l.id, (l, health, login_reason(l, health, now)))
        })
        .collect();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut grouped: Vec<(&Organisation, Vec<OrgRow>)> = Vec::new();
    for org in orgs {
        let login = by_id.get(&org.login_id);
        let row = OrgRow {
            login_id: org.login_id.clone(),
            name: login.map(|l| l.0.name.clone()).unwrap_or_default(),
            email: login.map(|l| l.0.email.clone()).unwrap_or_default(),
            state: row_state(org, login.map(|l| l.1)),
            connection_id: org.connection_id.clone(),
            connected_since: org.created_at,
            last_seen_at: org.last_seen_at,
            disconnected_at: org.disconnected_at,
            checked_at: login.and_then(|l| l.0.checked_at),
        };
        match index.get(org.tenant_id.as_str()) {
            Some(&at) => grouped[at].1.push(row),
            None => {
                index.insert(&org.tenant_id, grouped.len());
                grouped.push((org, vec![row]));
            }
        }
    }
    grouped
        .into_iter()
        .map(|(org, rows)| {
            let chosen = &rows[best(&rows)];
            let state = chosen.state;
            let reason = match state {
                OrgState::Connected => None,
                OrgState::Disconnected => Some(format!(
                    "Xero no longer lists it for {} (last seen {})",
                    chosen.email,
                    chosen.last_seen_at.format("%Y-%m-%d")
                )),
                OrgState::NeedsReconnect | OrgState::Error => by_id
                    .get(&chosen.login_id)
                    .and_then(|l| l.2.clone())
                    .map(|why| format!("{}: {why}", chosen.email)),
            };
            let (login, email) = (chosen.login_id.clone(), chosen.email.clone());
            let fix = match state {
                OrgState::Connected => None,
                OrgState::NeedsReconnect => Some(Fix::Reconnect { login, email }),
                OrgState::Disconnected => Some(Fix::ReconnectOrRemove {
                    login,
                    email,
                    tenant_id: org.tenant_id.clone(),
                }),
                OrgState::Error => Some(Fix::Retry { login, email }),
            };
            OrgStatus {
                tenant_id: org.tenant_id.clone(),
                name: org.name.clone(),
                tenant_type: org.tenant_type.clone(),
                state,
                reason,
                through: chosen.login_id.clone(),
                through_email: chosen.email.clone(),
                checked_at: rows.iter().filter_map(|r| r.checked_at).max(),
                last_seen_at: rows.iter().map(|r| r.last_seen_at).max().expect("a row"),
                connected_since: rows.iter().map(|r| r.connected_since).min().expect("a row"),
                fix,
                calls_left_today: None,
                egress_this_month: Default::default(),
                logins: rows,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LoginState;
    use crate::store::fixtures::{at, issued, org};

    const NOTIFY: u32 = 7;

    #[test]
    fn an_organisation_takes_the_best_way_through_its_logins() {
        let now = at("2026-03-01T12:00:00Z");
        let fresh = "2026-02-28T12:00:00Z";
        let ok = issued("ok", fresh, LoginState::Connected);
        let dead = issued("dead", fresh, LoginState::NeedsReconnect);
        let flaky = issued("flaky", fresh, LoginState::Error);
        let lapsed = issued("old", "2025-12-01T12:00:00Z", LoginState::Connected);
        let mut gone = org("ok", "gone");
        gone.disconnected_at = Some(now);
        let orgs = [
            org("ok", "shared"),
            org("dead", "shared"),
            org("dead", "only-dead"),
            org("old", "only-lapsed"),
            org("flaky", "flaky-or-dead"),
            org("dead", "flaky-or-dead"),
            gone,
            org("dead", "gone-or-dead"),
        ];
        let mut gone_too = org("ok", "gone-or-dead");
        gone_too.disconnected_at = Some(now);
        let mut orgs = orgs.to_vec();
        orgs.push(gone_too);
        let statuses = organisation_statuses(&[ok, dead, flaky, lapsed], &orgs, now, NOTIFY);
        let state = |tenant: &str| {
            let s = statuses.iter().find(|s| s.tenant_id == tenant).unwrap();
            (s.state, s.through.to_string())
        };
        assert_eq!(
            state("shared"),
            (OrgState::Connected, "ok".into()),
            "one working login is enough, and the token comes through it"
        );
        assert_eq!(
            state("only-dead"),
            (OrgState::NeedsReconnect, "dead".into()),
            "reachable only through a login that needs a human"
        );
        assert_eq!(
            state("only-lapsed"),
            (OrgState::NeedsReconnect, "old".into()),
            "a lapsed login needs a human as much as a refused one"
        );
        assert_eq!(
            state("flaky-or-dead"),
            (OrgState::Error, "flaky".into()),
            "not only through logins that need a human: the failure may pass"
        );
        assert_eq!(
            state("gone"),
            (OrgState::Disconnected, "ok".into()),
            "Xero no longer lists it for the login that reached it"
        );
        assert_eq!(
            state("gone-or-dead"),
            (OrgState::NeedsReconnect, "dead".into()),
            "not disconnected while a login that may still reach it needs reconnecting"
        );
        let gone = statuses.iter().find(|s| s.tenant_id == "gone").unwrap();
        assert_eq!(
            gone.fix,
            Some(Fix::ReconnectOrRemove {
                login: LoginId::new("ok").unwrap(),
                email: "ok@example.com".into(),
                tenant_id: "gone".into(),
            }),
            "a disconnected organisation is kept with its fix"
        );
        assert_eq!(
            statuses.len(),
            6,
            "one entry per tenant, however many logins reach it"
        );
    }
}
