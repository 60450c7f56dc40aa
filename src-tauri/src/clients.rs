//! The Clients view's data: every organisation once, with its own state (core's
//! `organisation_statuses`), the login it goes through, when Xero last confirmed it and the one
//! action that fixes it; and what a "Check with Xero" found. None of it can carry a token.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tenantry_core::Fix;
use tenantry_core::health::{OrgState, OrgStatus};
use tenantry_core::{CheckOutcome, LoginCheck};
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ClientView {
    pub tenant_id: String,
    pub name: String,
    pub tenant_type: String,
    pub state: OrgState,
    pub reason: Option<String>,
    /// The login its token comes from (when connected), else the one to fix.
    pub through_id: String,
    pub through_email: String,
    /// How many logins reach (or reached) it.
    pub logins: u32,
    #[ts(type = "string | null")]
    pub checked_at: Option<DateTime<Utc>>,
    #[ts(type = "string")]
    pub last_seen_at: DateTime<Utc>,
    pub fix: Option<Fix>,
    /// What Xero last said (through the gateway, in the past day) was left of its 5,000 calls.
    pub calls_left_today: Option<u32>,
}

impl ClientView {
    pub fn new(o: OrgStatus) -> Self {
        Self {
            calls_left_today: o.calls_left_today,
            tenant_id: o.tenant_id,
            name: o.name,
            tenant_type: o.tenant_type,
            state: o.state,
            reason: o.reason,
            through_id: o.through.to_string(),
            through_email: o.through_email,
            logins: o.logins.len() as u32,
            checked_at: o.checked_at,
            last_seen_at: o.last_seen_at,
            fix: o.fix,
        }
    }
}

/// What one "Check with Xero" found, in numbers and one sentence.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct CheckView {
    pub logins: u32,
    pub calls: u32,
    pub need_reconnecting: u32,
    pub failed: u32,
    /// Organisations Xero stopped listing during this check.
    pub disconnected: Vec<String>,
    /// Organisations Xero started listing during this check.
    pub added: Vec<String>,
}

impl CheckView {
    pub fn new(checks: &[LoginCheck]) -> Self {
        let mut view = Self {
            logins: checks.len() as u32,
            calls: checks.iter().map(|c| c.calls as u32).sum(),
            need_reconnecting: 0,
            failed: 0,
            disconnected: Vec::new(),
            added: Vec::new(),
        };
        for check in checks {
            match &check.outcome {
                CheckOutcome::Checked { added, removed, .. } => {
                    view.added.extend(added.iter().map(|o| o.name.clone()));
                    view.disconnected
                        .extend(removed.iter().map(|o| o.name.clone()));
                }
                CheckOutcome::NeedsReconnect { .. } => view.need_reconnecting += 1,
                CheckOutcome::Failed { .. } => view.failed += 1,
            }
        }
        view
    }
}
