//! `tenantry status`: every login's health (its stored state read against the clock by
//! `tenantry_core::health`), as a table or the JSON documented in docs/CLI.md, and the exit
//! status a cron job branches on.

use crate::render::{self, local_date, local_time, truncate};
use crate::usage_cmd::bytes_text;
use crate::{Failure, exit, verdict};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tenantry_core::health::{LoginHealth, at_connection_limit};
use tenantry_core::model::ReasonCode;
use tenantry_core::profile::Profile;
use tenantry_core::{Engine, LoginStatus, Overview};

/// One login's status line, as the table and `status --json` give it (docs/CLI.md).
#[derive(Debug, Serialize)]
pub struct LoginJson<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    /// `user` (signed in through the browser) or `custom_connection` (client id and secret).
    pub kind: &'static str,
    /// `connected`, `expiring`, `lapsed`, `needs_reconnect` or `error`.
    pub state: LoginHealth,
    /// Why it is not connected, in words.
    pub reason: Option<&'a str>,
    pub last_error: Option<&'a str>,
    /// The reason as a stable code (docs/CLI.md lists them); scripts branch on this, never on
    /// the words.
    pub reason_code: Option<ReasonCode>,
    /// The scopes Xero granted this login's consent.
    pub scopes: &'a [String],
    /// Scopes the configuration asks for that this login was not granted.
    pub missing_scopes: &'a [String],
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

impl<'a> LoginJson<'a> {
    pub fn new(s: &'a LoginStatus, vault: &'static str) -> Self {
        let l = &s.login;
        Self {
            id: l.id.as_str(),
            name: &l.name,
            email: &l.email,
            kind: if l.id.is_custom_connection() {
                "custom_connection"
            } else {
                "user"
            },
            state: s.health,
            reason: s.reason.as_deref(),
            last_error: l.last_error.as_deref(),
            reason_code: s.reason_code,
            scopes: &l.scopes,
            missing_scopes: &s.missing_scopes,
            access_expires_at: l.access_expires_at,
            refresh_deadline: s.refresh_deadline,
            refresh_days_left: s.days_left,
            last_refresh_at: l.last_refresh_at,
            checked_at: l.checked_at,
            organisations: s.organisations,
            fix: s.fix.as_ref().map(|f| f.command()),
            vault,
        }
    }
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
    logins: Vec<LoginJson<'a>>,
    /// What Xero last said (through the gateway, in the past day) was left of each
    /// organisation's calls, fewest first.
    calls_left_today: Vec<CallsLeftJson<'a>>,
    /// What Xero's APIs sent back for each organisation this month (UTC) through the gateway,
    /// largest first (`tenantry usage` has the rest).
    egress_this_month: Vec<EgressJson<'a>>,
}

#[derive(Serialize)]
struct EgressJson<'a> {
    tenant_id: &'a str,
    name: &'a str,
    #[serde(flatten)]
    egress: tenantry_core::usage::EgressCount,
}

#[derive(Serialize)]
struct CallsLeftJson<'a> {
    tenant_id: &'a str,
    name: &'a str,
    calls_left: u32,
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
        verdict::checks(&checks?)
    } else {
        exit::OK
    };
    let overview = engine.overview().await?;
    let vault = profile.config.vault.name();
    let fewest: Vec<CallsLeftJson> = overview
        .calls_left_fewest_first()
        .into_iter()
        .filter_map(|o| {
            Some(CallsLeftJson {
                tenant_id: &o.tenant_id,
                name: &o.name,
                calls_left: o.calls_left_today?,
            })
        })
        .collect();
    let egress = overview.egress_largest_first();
    if json {
        let report = StatusJson {
            healthy: overview
                .logins
                .iter()
                .all(|l| l.health == LoginHealth::Connected),
            connections: Connections {
                used: overview.connections.used,
                limit: overview.connections.limit,
            },
            vault,
            logins: overview
                .logins
                .iter()
                .map(|l| LoginJson::new(l, vault))
                .collect(),
            calls_left_today: fewest,
            egress_this_month: egress
                .iter()
                .map(|o| EgressJson {
                    tenant_id: &o.tenant_id,
                    name: &o.name,
                    egress: o.egress_this_month,
                })
                .collect(),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("serialisable")
        );
    } else if overview.logins.is_empty() {
        println!("No logins yet. Run: tenantry connect");
    } else {
        print_table(&overview);
        println!(
            "{}",
            connections_line(overview.connections.used, overview.connections.limit)
        );
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
        if !egress.is_empty() {
            let total: u64 = egress.iter().map(|o| o.egress_this_month.wire).sum();
            let shown: Vec<String> = egress
                .iter()
                .take(3)
                .map(|o| format!("{} {}", o.name, bytes_text(o.egress_this_month.wire)))
                .collect();
            let more = egress.len().saturating_sub(3);
            println!(
                "Downloaded from Xero this month: {} ({}{}); `tenantry usage` for more.",
                bytes_text(total),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
        println!("Tokens are kept in {}.", profile.vault_description());
        println!("{}", render::zone_note(overview.at));
    }
    Ok(verdict::worst_of([
        verdict::logins(overview.logins.iter().map(|l| l.health)),
        checked,
    ]))
}

/// "23 of 25 connections", with what it means when the cap is near or reached.
pub fn connections_line(used: usize, limit: Option<u32>) -> String {
    match limit {
        None => format!(
            "{used} connections (set the app's tier, tenantry config set tier …, to be warned before its cap)."
        ),
        Some(limit) if at_connection_limit(used, Some(limit)) => format!(
            "{used} of {limit} connections: the app's cap is reached; Xero will connect no other organisation until one is disconnected or the app moves to a higher tier."
        ),
        Some(limit) => format!("{used} of {limit} connections."),
    }
}

fn print_table(overview: &Overview) {
    let now = overview.at;
    println!(
        "{:<28} {:<16} {:<17} {:<24} {:<17} {:>4}",
        "LOGIN", "STATE", "ACCESS TOKEN", "REFRESH DEADLINE", "LAST REFRESH", "ORGS"
    );
    for r in &overview.logins {
        let l = &r.login;
        // A login that needs a person has no token to count down, nor a deadline to trust.
        let (access, deadline) = if r.health.needs_human() {
            ("-".to_string(), "-".to_string())
        } else {
            let access = if l.access_expires_at > now {
                local_time(l.access_expires_at)
            } else {
                "expired".into()
            };
            let deadline = match (r.refresh_deadline, r.days_left) {
                (Some(at), Some(days)) => format!("{} ({days} days)", local_date(at)),
                _ => "none (custom conn.)".into(),
            };
            (access, deadline)
        };
        // Padded before it is painted: the escape codes take no columns.
        let state = format!("{:<16}", r.health.as_str().replace('_', " "));
        anstream::println!(
            "{:<28} {} {:<17} {:<24} {:<17} {:>4}",
            truncate(&l.email, 28),
            render::paint(&state, render::login_tone(r.health)),
            access,
            deadline,
            l.last_refresh_at
                .map(local_time)
                .unwrap_or_else(|| "never".into()),
            r.organisations
        );
        if let Some(reason) = &r.reason {
            println!("    {reason}");
        }
        if let Some(fix) = &r.fix {
            println!("    fix: {}", fix.command());
        }
        println!("    scopes: {}", l.scopes.join(" "));
        if !r.missing_scopes.is_empty() {
            println!(
                "    not granted: {} (the configuration asks for it); fix: tenantry connect --reconnect {} and allow it",
                r.missing_scopes.join(" "),
                l.email
            );
        }
    }
}
