//! One picture of the profile, read from the store at once: every login's status with its fix,
//! every organisation's (with what Xero last said was left of its day and what its answers
//! weighed this month), the app's connections and
//! the practice seat. `tenantry status`, `orgs` and `check`, the window and MCP each map it to
//! their own shape; none derives a state of its own. Reading is one trip to the store; the rest is
//! [`overview`], pure.

use super::{Engine, PracticeSeat};
use crate::error::EngineError;
use crate::fix::Fix;
use crate::health::{
    LoginHealth, OrgStatus, at_connection_limit, calls_left_today, connections_used, days_left,
    login_fix, login_health, login_reason, login_reason_code, missing_scopes,
    organisation_statuses,
};
use crate::model::{Login, LoginId, Organisation, ReasonCode};
use crate::usage::EgressCount;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The profile as every front end shows it.
#[derive(Debug, Clone)]
pub struct Overview {
    /// The time it was read at, against which each state was judged.
    pub at: DateTime<Utc>,
    pub logins: Vec<LoginStatus>,
    /// One per organisation, in the store's order.
    pub organisations: Vec<OrgStatus>,
    /// The store's rows: one per login and organisation it reaches (or reached).
    pub rows: Vec<Organisation>,
    pub connections: Connections,
    /// Practice mode's database and who this machine acts as; None for a local profile.
    pub practice: Option<PracticeSeat>,
}

/// A login's status, judged against the clock.
#[derive(Debug, Clone)]
pub struct LoginStatus {
    pub login: Login,
    pub health: LoginHealth,
    /// Why it is not simply connected, in words for a person.
    pub reason: Option<String>,
    pub reason_code: Option<ReasonCode>,
    pub fix: Option<Fix>,
    /// Scopes the configuration asks for that this login was not granted.
    pub missing_scopes: Vec<String>,
    /// Xero's 60-day deadline and the whole days left to it; None for a custom connection,
    /// which has no refresh token to lapse.
    pub refresh_deadline: Option<DateTime<Utc>>,
    pub days_left: Option<i64>,
    /// How many organisations it reaches (not counting those Xero no longer lists).
    pub organisations: usize,
}

/// The app's connections as this profile sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connections {
    pub used: usize,
    /// The cap `connection_limit` configures, if any.
    pub limit: Option<u32>,
    /// One more organisation would pass the cap.
    pub at_limit: bool,
}

impl Overview {
    /// The organisations with what Xero last said was left of their day, fewest first (those the
    /// gateway has not heard of today are left out).
    pub fn calls_left_fewest_first(&self) -> Vec<&OrgStatus> {
        let mut heard: Vec<&OrgStatus> = self
            .organisations
            .iter()
            .filter(|o| o.calls_left_today.is_some())
            .collect();
        heard.sort_by(|a, b| {
            a.calls_left_today
                .cmp(&b.calls_left_today)
                .then_with(|| a.name.cmp(&b.name))
        });
        heard
    }

    /// The organisations that downloaded anything this month, largest first.
    pub fn egress_largest_first(&self) -> Vec<&OrgStatus> {
        let mut some: Vec<&OrgStatus> = self
            .organisations
            .iter()
            .filter(|o| o.egress_this_month.calls > 0)
            .collect();
        some.sort_by(|a, b| {
            b.egress_this_month
                .wire
                .cmp(&a.egress_this_month.wire)
                .then_with(|| a.name.cmp(&b.name))
        });
        some
    }
}

impl Engine {
    /// The profile as it stands: one read of the store.
    pub async fn overview(&self) -> Result<Overview, EngineError> {
        let now = self.now();
        let month = crate::usage::Month::of(now);
        let (from, until) = (month.first_day(), month.next_first_day());
        let (logins, rows, calls, egress) = self
            .inner
            .db
            .run(move |s| {
                Ok((
                    s.logins()?,
                    s.organisations()?,
                    s.calls_left()?,
                    s.egress_by_tenant(from, until)?,
                ))
            })
            .await?;
        let config = self.config();
        let heard = calls_left_today(calls, now);
        Ok(overview(
            Read {
                logins,
                rows,
                calls_left: heard,
                egress,
            },
            now,
            (
                config.notify_days,
                &config.all_scopes(),
                config.connection_cap(),
            ),
            self.practice().cloned(),
        ))
    }
}

/// What the store holds for an overview.
pub struct Read {
    pub logins: Vec<Login>,
    pub rows: Vec<Organisation>,
    /// Each organisation's calls left today (tenant id, lower case), heard in the past day.
    pub calls_left: HashMap<String, u32>,
    /// Each organisation's egress this month (tenant id, lower case).
    pub egress: HashMap<String, EgressCount>,
}

/// The overview of what was read, judged at `now` with the configuration's `notify_days`,
/// wanted scopes and connection cap.
pub fn overview(
    read: Read,
    now: DateTime<Utc>,
    (notify_days, wanted, limit): (u32, &[String], Option<u32>),
    practice: Option<PracticeSeat>,
) -> Overview {
    let counts = count_by_login(&read.rows);
    let logins = read
        .logins
        .into_iter()
        .map(|login| {
            let health = login_health(&login, now, notify_days);
            let custom = login.id.is_custom_connection();
            let deadline = (!custom).then(|| login.refresh_deadline());
            LoginStatus {
                health,
                reason: login_reason(&login, health, now),
                reason_code: login_reason_code(&login, health),
                fix: login_fix(&login, health),
                missing_scopes: missing_scopes(&login, wanted),
                refresh_deadline: deadline,
                days_left: deadline.map(|d| days_left(d, now)),
                organisations: counts.get(&login.id).copied().unwrap_or(0),
                login,
            }
        })
        .collect::<Vec<_>>();
    let plain: Vec<Login> = logins.iter().map(|l| l.login.clone()).collect();
    let organisations = organisation_statuses(&plain, &read.rows, now, notify_days)
        .into_iter()
        .map(|mut o| {
            let tenant = o.tenant_id.to_lowercase();
            o.calls_left_today = read.calls_left.get(&tenant).copied();
            o.egress_this_month = read.egress.get(&tenant).copied().unwrap_or_default();
            o
        })
        .collect();
    let used = connections_used(&read.rows);
    Overview {
        at: now,
        logins,
        organisations,
        rows: read.rows,
        connections: Connections {
            used,
            limit,
            at_limit: at_connection_limit(used, limit),
        },
        practice,
    }
}

/// How many live organisations each login reaches, in one pass (a lookup per login would be
/// quadratic: 1,000 logins × 10,000 organisations).
fn count_by_login(rows: &[Organisation]) -> HashMap<LoginId, usize> {
    let mut counts = HashMap::new();
    for org in rows.iter().filter(|o| o.disconnected_at.is_none()) {
        *counts.entry(org.login_id.clone()).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::{login, org};

    #[test]
    fn one_read_gives_each_login_its_fix_and_each_organisation_its_calls_left() {
        let now: DateTime<Utc> = "2026-12-07T09:00:00Z".parse().unwrap();
        let mut failing = login("b");
        failing.state = crate::model::LoginState::NeedsReconnect;
        let mut gone = org("a", "t-gone");
        gone.disconnected_at = Some(now);
        let read = Read {
            logins: vec![login("a"), failing],
            rows: vec![org("a", "t-1"), org("a", "T-2"), gone, org("b", "t-1")],
            calls_left: HashMap::from([("t-2".to_owned(), 12)]),
            egress: HashMap::from([(
                "t-2".to_owned(),
                EgressCount {
                    calls: 2,
                    wire: 30,
                    decoded: 90,
                },
            )]),
        };
        let o = overview(read, now, (5, &[], Some(3)), None);
        let a = &o.logins[0];
        assert_eq!(a.organisations, 2, "its live organisations only");
        let b = &o.logins[1];
        assert!(
            matches!(&b.fix, Some(Fix::Reconnect { email, .. }) if email == &b.login.email),
            "a login that needs a person says so, as data: {:?}",
            b.fix
        );
        let t2 = o
            .organisations
            .iter()
            .find(|s| s.tenant_id == "T-2")
            .unwrap();
        assert_eq!(
            t2.calls_left_today,
            Some(12),
            "matched whatever the case of the id"
        );
        assert_eq!(o.calls_left_fewest_first().len(), 1);
        assert_eq!(
            t2.egress_this_month.decoded, 90,
            "egress too, whatever the case"
        );
        assert_eq!(
            o.egress_largest_first().len(),
            1,
            "only those that downloaded"
        );
        assert_eq!(
            o.connections,
            Connections {
                used: 3,
                limit: Some(3),
                at_limit: true
            }
        );
    }
}
