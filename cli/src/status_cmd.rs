//! `tenantry status`: every login's health (its stored state read against the clock by
//! `tenantry_core::health`), as a table or the JSON documented in docs/CLI.md, and the exit
//! status a cron job branches on.

use crate::render::{self, local_date, local_time, truncate};
use crate::{Failure, exit};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use tenantry_core::Engine;
use tenantry_core::config::Config;
use tenantry_core::health::{
    LoginHealth, at_connection_limit, connections_used, days_left, login_health, login_reason,
    login_reason_code, missing_scopes,
};
use tenantry_core::model::{Login, LoginId, Organisation, ReasonCode};
use tenantry_core::profile::Profile;

/// One login's status line, shared by the table and the JSON.
#[derive(Debug, Serialize)]
pub struct LoginStatus {
    pub id: String,
    pub name: String,
    pub email: String,
    /// `user` (signed in through the browser) or `custom_connection` (client id and secret).
    pub kind: &'static str,
    /// `connected`, `expiring`, `lapsed`, `needs_reconnect` or `error`.
    pub state: LoginHealth,
    /// Why it is not connected, in words.
    pub reason: Option<String>,
    pub last_error: Option<String>,
    /// The reason as a stable code (docs/CLI.md lists them); scripts branch on this, never on
    /// the words.
    pub reason_code: Option<ReasonCode>,
    /// The scopes Xero granted this login's consent.
    pub scopes: Vec<String>,
    /// Scopes the configuration asks for that this login was not granted.
    pub missing_scopes: Vec<String>,
    pub access_expires_at: DateTime<Utc>,
    /// None for a custom connection, which has no refresh token to lapse.
    pub refresh_deadline: Option<DateTime<Utc>>,
    pub refresh_days_left: Option<i64>,
    pub last_refresh_at: Option<DateTime<Utc>>,
    /// When Xero's `/connections` last answered for it.
    pub checked_at: Option<DateTime<Utc>>,
    pub organisations: usize,
    /// The command that fixes this login's problem, if it has one.
    pub fix: Option<String>,
    /// Which vault holds its tokens: `keychain` or `file`.
    pub vault: &'static str,
}

impl LoginStatus {
    /// `organisations`: how many organisations this login reaches (see [`count_by_login`]).
    pub fn new(
        login: &Login,
        organisations: usize,
        vault: &'static str,
        now: DateTime<Utc>,
        config: &Config,
    ) -> Self {
        let notify_days = config.notify_days;
        let health = login_health(login, now, notify_days);
        let deadline = login.refresh_deadline();
        let custom = login.id.is_custom_connection();
        Self {
            id: login.id.to_string(),
            name: login.name.clone(),
            email: login.email.clone(),
            kind: if custom { "custom_connection" } else { "user" },
            state: health,
            reason: login_reason(login, health, now),
            last_error: login.last_error.clone(),
            reason_code: login_reason_code(login, health),
            scopes: login.scopes.clone(),
            missing_scopes: missing_scopes(login, &config.all_scopes()),
            access_expires_at: login.access_expires_at,
            refresh_deadline: (!custom).then_some(deadline),
            refresh_days_left: (!custom).then(|| days_left(deadline, now)),
            last_refresh_at: login.last_refresh_at,
            checked_at: login.checked_at,
            organisations,
            fix: login_fix(health, &login.email),
            vault,
        }
    }
}

/// The command that fixes a login in this health.
pub fn login_fix(health: LoginHealth, email: &str) -> Option<String> {
    match health {
        LoginHealth::Connected => None,
        LoginHealth::NeedsReconnect | LoginHealth::Lapsed => {
            Some(format!("tenantry connect --reconnect {email}"))
        }
        LoginHealth::Expiring | LoginHealth::Error => Some(format!("tenantry refresh {email}")),
    }
}

/// The exit status for these logins' health: a person first, then a failure that may pass.
pub fn health_exit(states: impl IntoIterator<Item = LoginHealth>) -> u8 {
    states.into_iter().fold(exit::OK, |worst, h| match h {
        LoginHealth::NeedsReconnect | LoginHealth::Lapsed | LoginHealth::Expiring => {
            exit::NEEDS_HUMAN
        }
        LoginHealth::Error if worst != exit::NEEDS_HUMAN => exit::UNREACHABLE,
        _ => worst,
    })
}

/// The app's connections as this profile sees them.
#[derive(Serialize)]
struct Connections {
    used: usize,
    limit: Option<u32>,
}

#[derive(Serialize)]
struct StatusJson<'a> {
    /// True when every login is connected.
    healthy: bool,
    connections: Connections,
    /// Which vault this profile keeps its tokens in: `keychain` or `file`.
    vault: &'static str,
    logins: &'a [LoginStatus],
    /// What Xero last said (through the gateway, in the past day) was left of each
    /// organisation's 5,000 calls, fewest first.
    calls_left_today: Vec<CallsLeftJson>,
}

#[derive(Serialize)]
struct CallsLeftJson {
    tenant_id: String,
    name: String,
    calls_left: u32,
}

/// Each organisation the gateway has heard of today with its calls left, fewest first.
fn calls_left_list(orgs: &[Organisation], left: &HashMap<String, u32>) -> Vec<CallsLeftJson> {
    let mut list: Vec<CallsLeftJson> = left
        .iter()
        .map(|(tenant, n)| CallsLeftJson {
            tenant_id: tenant.clone(),
            name: orgs
                .iter()
                .find(|o| o.tenant_id.eq_ignore_ascii_case(tenant))
                .map_or_else(|| tenant.clone(), |o| o.name.clone()),
            calls_left: *n,
        })
        .collect();
    list.sort_by(|a, b| a.calls_left.cmp(&b.calls_left).then(a.name.cmp(&b.name)));
    list
}

/// How many live organisations each login reaches, in one pass (a lookup per login would make
/// `status` quadratic: 1,000 logins × 10,000 organisations).
pub fn count_by_login(orgs: &[Organisation]) -> HashMap<&LoginId, usize> {
    let mut counts = HashMap::new();
    for org in orgs.iter().filter(|o| o.disconnected_at.is_none()) {
        *counts.entry(&org.login_id).or_default() += 1;
    }
    counts
}

pub async fn run(
    engine: &Engine,
    profile: &Profile,
    json: bool,
    check: bool,
) -> Result<u8, Failure> {
    let checked = if check {
        let total = engine.logins().await?.len();
        let progress = render::Progress::per_login(engine, "Checking with Xero", total);
        let checks = engine.check(None).await;
        progress.stop();
        crate::check_cmd::exit_for_checks(&checks?)
    } else {
        exit::OK
    };
    let logins = engine.logins().await?;
    let orgs = engine.organisations().await?;
    let calls_left = engine.calls_left_today().await?;
    let counts = count_by_login(&orgs);
    let now = engine.now();
    let config = engine.config();
    let vault = profile.config.vault.name();
    let rows: Vec<LoginStatus> = logins
        .iter()
        .map(|l| {
            let orgs = counts.get(&l.id).copied().unwrap_or(0);
            LoginStatus::new(l, orgs, vault, now, config)
        })
        .collect();
    if json {
        let report = StatusJson {
            calls_left_today: calls_left_list(&orgs, &calls_left),
            healthy: rows.iter().all(|r| r.state == LoginHealth::Connected),
            connections: Connections {
                used: connections_used(&orgs),
                limit: config.connection_limit,
            },
            vault,
            logins: &rows,
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("serialisable")
        );
    } else if rows.is_empty() {
        println!("No logins yet. Run: tenantry connect");
    } else {
        print_table(&rows, now);
        println!(
            "{}",
            connections_line(connections_used(&orgs), config.connection_limit)
        );
        let fewest = calls_left_list(&orgs, &calls_left);
        if !fewest.is_empty() {
            let shown: Vec<String> = fewest
                .iter()
                .take(3)
                .map(|c| format!("{} {}", c.name, c.calls_left))
                .collect();
            let more = fewest.len().saturating_sub(3);
            println!(
                "Xero calls left today (as the gateway last heard), fewest first: {}{}.",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
        println!("Tokens are kept in {}.", profile.vault_description());
        println!("{}", render::zone_note(now));
    }
    Ok(health_exit(rows.iter().map(|r| r.state)).max(checked))
}

/// "23 of 25 connections", with what it means when the cap is near or reached.
pub fn connections_line(used: usize, limit: Option<u32>) -> String {
    match limit {
        None => format!(
            "{used} connections (set connection_limit to the app's tier cap to be warned before it)."
        ),
        Some(limit) if at_connection_limit(used, Some(limit)) => format!(
            "{used} of {limit} connections: the app's cap is reached; Xero will connect no other organisation until one is disconnected or the app moves to a higher tier."
        ),
        Some(limit) => format!("{used} of {limit} connections."),
    }
}

fn print_table(rows: &[LoginStatus], now: DateTime<Utc>) {
    println!(
        "{:<28} {:<16} {:<17} {:<24} {:<17} {:>4}",
        "LOGIN", "STATE", "ACCESS TOKEN", "REFRESH DEADLINE", "LAST REFRESH", "ORGS"
    );
    for r in rows {
        // A login that needs a person has no token to count down, nor a deadline to trust.
        let (access, deadline) = if r.state.needs_human() {
            ("-".to_string(), "-".to_string())
        } else {
            let access = if r.access_expires_at > now {
                local_time(r.access_expires_at)
            } else {
                "expired".into()
            };
            let deadline = match (r.refresh_deadline, r.refresh_days_left) {
                (Some(at), Some(days)) => format!("{} ({days} days)", local_date(at)),
                _ => "none (custom conn.)".into(),
            };
            (access, deadline)
        };
        // Padded before it is painted: the escape codes take no columns.
        let state = format!("{:<16}", r.state.as_str().replace('_', " "));
        anstream::println!(
            "{:<28} {} {:<17} {:<24} {:<17} {:>4}",
            truncate(&r.email, 28),
            render::paint(&state, render::login_tone(r.state)),
            access,
            deadline,
            r.last_refresh_at
                .map(local_time)
                .unwrap_or_else(|| "never".into()),
            r.organisations
        );
        if let Some(reason) = &r.reason {
            println!("    {reason}");
        }
        if let Some(fix) = &r.fix {
            println!("    fix: {fix}");
        }
        println!("    scopes: {}", r.scopes.join(" "));
        if !r.missing_scopes.is_empty() {
            println!(
                "    not granted: {} (the configuration asks for it); fix: tenantry connect --reconnect {} and allow it",
                r.missing_scopes.join(" "),
                r.email
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_exits_for_the_worst_login_a_person_first() {
        use LoginHealth as H;
        let table = [
            (vec![H::Connected, H::Connected], exit::OK),
            (vec![H::Connected, H::Expiring], exit::NEEDS_HUMAN),
            (vec![H::Lapsed], exit::NEEDS_HUMAN),
            (vec![H::Error, H::Connected], exit::UNREACHABLE),
            (
                vec![H::Error, H::NeedsReconnect, H::Error],
                exit::NEEDS_HUMAN,
            ),
            (vec![], exit::OK),
        ];
        for (states, want) in table {
            assert_eq!(
                health_exit(states.clone()),
                want,
                "{states:?}: a cron job must not read a lapsing login as healthy"
            );
        }
    }
}
