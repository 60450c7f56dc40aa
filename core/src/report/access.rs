//! Who can reach which client: a row per login and organisation it reaches (or reached), with
//! what a practice asks when someone leaves: is this the organisation's only route? A route is a
//! connection Xero has not dropped; a login that needs signing in again still is one (signing in
//! restores it), a disconnected one is not. Read from the [`Overview`], so it says what `status`
//! and `orgs` say; who connected each one comes from the event log.

use crate::engine::Overview;
use crate::health::OrgState;
use crate::model::{Event, EventKind, LoginId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AccessRow {
    pub login_email: String,
    pub login_id: String,
    pub organisation: String,
    pub tenant_id: String,
    pub tenant_type: String,
    pub scopes: Vec<String>,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub connected_at: DateTime<Utc>,
    /// Who connected it ("Ann on DESK-A") in a practice, where the event log says.
    pub connected_by: Option<String>,
    /// When Xero last confirmed this login's connections.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub last_confirmed: Option<DateTime<Utc>>,
    pub state: OrgState,
    /// What Xero last said was left of the organisation's day, where the gateway heard it.
    pub calls_left_today: Option<u32>,
    /// Bytes Xero's APIs sent back for the organisation this month (UTC), on the wire.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub egress_this_month: u64,
    /// No other login reaches the organisation.
    pub only_route: bool,
}

/// One login's part of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoginLine {
    pub login_email: String,
    /// Organisations it reaches.
    pub reaches: usize,
    /// Of those, the ones no other login reaches: lost if this login went.
    pub only_routes: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub logins: usize,
    pub organisations: usize,
    /// Organisations reachable through one login only.
    pub single_route: usize,
    pub by_login: Vec<LoginLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessReport {
    pub rows: Vec<AccessRow>,
    pub summary: Summary,
}

/// Which rows to keep.
#[derive(Debug, Clone, Default)]
pub struct Only {
    pub login: Option<LoginId>,
    pub only_routes: bool,
}

/// The report, rows by login (as the overview lists them) then organisation name; `events` the
/// newest first, as the store gives them.
pub fn access(overview: &Overview, events: &[Event], only: &Only) -> AccessReport {
    let scopes: HashMap<&LoginId, &[String]> = overview
        .logins
        .iter()
        .map(|l| (&l.login.id, l.login.scopes.as_slice()))
        .collect();
    let order: HashMap<&str, usize> = overview
        .logins
        .iter()
        .enumerate()
        .map(|(i, l)| (l.login.id.as_str(), i))
        .collect();
    let mut rows = Vec::new();
    for org in &overview.organisations {
        let routes = org
            .logins
            .iter()
            .filter(|r| r.state != OrgState::Disconnected)
            .count();
        for row in &org.logins {
            let route = row.state != OrgState::Disconnected;
            rows.push(AccessRow {
                login_email: if row.email.is_empty() {
                    row.name.clone()
                } else {
                    row.email.clone()
                },
                login_id: row.login_id.to_string(),
                organisation: org.name.clone(),
                tenant_id: org.tenant_id.clone(),
                tenant_type: org.tenant_type.clone(),
                scopes: scopes
                    .get(&row.login_id)
                    .map(|s| s.to_vec())
                    .unwrap_or_default(),
                connected_at: row.connected_since,
                connected_by: connected_by(events, &row.login_id, &org.tenant_id),
                last_confirmed: row.checked_at,
                state: row.state,
                calls_left_today: org.calls_left_today,
                egress_this_month: org.egress_this_month.wire,
                only_route: route && routes == 1,
            });
        }
    }
    let at = |r: &AccessRow| {
        order
            .get(r.login_id.as_str())
            .copied()
            .unwrap_or(usize::MAX)
    };
    rows.sort_by(|a, b| {
        at(a).cmp(&at(b)).then_with(|| {
            a.organisation
                .to_lowercase()
                .cmp(&b.organisation.to_lowercase())
        })
    });
    let summary = summary(&rows);
    rows.retain(|r| {
        only.login.as_ref().is_none_or(|l| l.as_str() == r.login_id)
            && (!only.only_routes || r.only_route)
    });
    AccessReport { rows, summary }
}

/// The newest event that says who connected `tenant` through `login`: its own "organisation
/// added" event, else the login's sign-in.
fn connected_by(events: &[Event], login: &LoginId, tenant: &str) -> Option<String> {
    let ours = |e: &&Event| e.login_id.as_ref() == Some(login);
    events
        .iter()
        .filter(ours)
        .find(|e| {
            e.kind == EventKind::OrganisationAdded
                && e.tenant_id
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case(tenant))
        })
        .or_else(|| {
            events
                .iter()
                .filter(ours)
                .find(|e| e.kind == EventKind::Connected)
        })
        .and_then(|e| e.by.clone())
}

/// Counted over every row, before any filter: the practice's whole picture.
fn summary(rows: &[AccessRow]) -> Summary {
    let mut by_login: Vec<LoginLine> = Vec::new();
    for row in rows.iter().filter(|r| r.state != OrgState::Disconnected) {
        match by_login
            .iter_mut()
            .find(|l| l.login_email == row.login_email)
        {
            Some(line) => {
                line.reaches += 1;
                line.only_routes += usize::from(row.only_route);
            }
            None => by_login.push(LoginLine {
                login_email: row.login_email.clone(),
                reaches: 1,
                only_routes: usize::from(row.only_route),
            }),
        }
    }
    let mut organisations: Vec<&str> = rows.iter().map(|r| r.tenant_id.as_str()).collect();
    organisations.sort_unstable();
    organisations.dedup();
    let mut logins: Vec<&str> = rows.iter().map(|r| r.login_id.as_str()).collect();
    logins.sort_unstable();
    logins.dedup();
    Summary {
        logins: logins.len(),
        organisations: organisations.len(),
        single_route: rows.iter().filter(|r| r.only_route).count(),
        by_login,
    }
}

/// The report as CSV ([`csv`](super::csv)): a header of [`COLUMNS`] and a line per row;
/// `excel` begins it with the byte-order mark Excel needs.
pub fn csv(report: &AccessReport, excel: bool) -> String {
    let rows: Vec<Vec<String>> = report.rows.iter().map(cells).collect();
    super::csv::document(&COLUMNS, &rows, excel)
}

/// The report's columns, in its CSV and Markdown forms.
pub const COLUMNS: [&str; 12] = [
    "login_email",
    "organisation",
    "tenant_id",
    "tenant_type",
    "scopes",
    "connected_at",
    "connected_by",
    "last_confirmed",
    "state",
    "calls_left_today",
    "egress_this_month_bytes",
    "only_route",
];

/// A row's cells, in [`COLUMNS`]' order.
pub fn cells(row: &AccessRow) -> Vec<String> {
    let when = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    vec![
        row.login_email.clone(),
        row.organisation.clone(),
        row.tenant_id.clone(),
        row.tenant_type.clone(),
        row.scopes.join(" "),
        when(row.connected_at),
        row.connected_by.clone().unwrap_or_default(),
        row.last_confirmed.map(when).unwrap_or_default(),
        row.state.as_str().to_owned(),
        row.calls_left_today
            .map(|n| n.to_string())
            .unwrap_or_default(),
        row.egress_this_month.to_string(),
        row.only_route.to_string(),
    ]
}

#[cfg(test)]
mod tests;
