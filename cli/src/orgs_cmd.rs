//! `tenantry orgs`: every organisation with its own state (from `tenantry_core::health`), the
//! login it goes through, when Xero last confirmed it, and the one step that fixes it; as a table
//! or the JSON documented in docs/CLI.md.

use crate::render::{self, local_time, truncate};
use crate::usage_cmd::bytes_text;
use crate::{Failure, verdict};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tenantry_core::Engine;
use tenantry_core::health::{OrgRow, OrgState, OrgStatus};
use tenantry_core::usage::EgressCount;

/// One organisation as `orgs --json` prints it.
#[derive(Debug, Serialize)]
pub struct OrgJson<'a> {
    pub tenant_id: &'a str,
    pub name: &'a str,
    #[serde(rename = "type")]
    pub tenant_type: &'a str,
    /// `connected`, `needs_reconnect`, `disconnected` or `error`.
    pub state: OrgState,
    pub reason: Option<&'a str>,
    /// The login a token for it comes from (or the one to fix).
    pub through: Through<'a>,
    /// When Xero last confirmed its state (the newest look of its logins).
    pub checked_at: Option<DateTime<Utc>>,
    pub last_seen_at: DateTime<Utc>,
    /// The earliest date any login connected it.
    pub connected_since: DateTime<Utc>,
    /// The command that fixes it, if it needs one.
    pub fix: Option<String>,
    /// What Xero last said (through the gateway, in the past day) was left of its day's calls.
    pub calls_left_today: Option<u32>,
    /// What Xero's APIs sent back for it this month (UTC) through the gateway: calls, and bytes
    /// on the wire and decoded.
    pub egress_this_month: EgressCount,
    pub logins: Vec<OrgLoginJson<'a>>,
}

#[derive(Debug, Serialize)]
pub struct Through<'a> {
    pub id: &'a str,
    pub email: &'a str,
}

#[derive(Debug, Serialize)]
pub struct OrgLoginJson<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    /// This login's way to the organisation: `connected`, `needs_reconnect`, `disconnected` or
    /// `error`.
    pub state: OrgState,
    pub connection_id: &'a str,
    pub connected_since: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub disconnected_at: Option<DateTime<Utc>>,
    pub checked_at: Option<DateTime<Utc>>,
}

impl<'a> OrgJson<'a> {
    pub fn new(o: &'a OrgStatus) -> Self {
        Self {
            tenant_id: &o.tenant_id,
            name: &o.name,
            tenant_type: &o.tenant_type,
            state: o.state,
            reason: o.reason.as_deref(),
            through: Through {
                id: o.through.as_str(),
                email: &o.through_email,
            },
            checked_at: o.checked_at,
            last_seen_at: o.last_seen_at,
            connected_since: o.connected_since,
            fix: o.fix.as_ref().map(|f| f.command()),
            calls_left_today: o.calls_left_today,
            egress_this_month: o.egress_this_month,
            logins: o.logins.iter().map(OrgLoginJson::new).collect(),
        }
    }
}

impl<'a> OrgLoginJson<'a> {
    fn new(r: &'a OrgRow) -> Self {
        Self {
            id: r.login_id.as_str(),
            email: &r.email,
            name: &r.name,
            state: r.state,
            connection_id: &r.connection_id,
            connected_since: r.connected_since,
            last_seen_at: r.last_seen_at,
            disconnected_at: r.disconnected_at,
            checked_at: r.checked_at,
        }
    }
}

/// The command line's words for an organisation's fix.
pub async fn run(
    engine: &Engine,
    filter: Option<&str>,
    problems: bool,
    json: bool,
) -> Result<u8, Failure> {
    let overview = engine.overview().await?;
    let mut list = overview.organisations;
    if let Some(f) = filter {
        let f = f.to_lowercase();
        list.retain(|o| o.name.to_lowercase().contains(&f) || o.tenant_id.contains(&f));
    }
    if problems {
        list.retain(|o| o.state != OrgState::Connected);
    }
    if json {
        let out: Vec<OrgJson> = list.iter().map(OrgJson::new).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&out).expect("serialisable")
        );
    } else if list.is_empty() {
        println!(
            "{}",
            if problems {
                "No organisation has a problem."
            } else if filter.is_some() {
                "No organisation matches."
            } else {
                "No organisations yet. Run: tenantry connect"
            }
        );
    } else {
        print_table(&list, engine.config().daily_call_limit());
        println!("{}", render::zone_note(overview.at));
    }
    Ok(verdict::organisations(&list))
}

/// The table, with each organisation's calls left out of `per_day` (the tier's day).
pub fn print_table(list: &[OrgStatus], per_day: u32) {
    println!(
        "{:<30} {:<15} {:<28} {:<17} TENANT ID",
        "ORGANISATION", "STATE", "THROUGH", "LAST CHECKED"
    );
    for o in list {
        let more = o.logins.len().saturating_sub(1);
        let through = if more > 0 {
            format!("{} +{more}", truncate(&o.through_email, 24))
        } else {
            truncate(&o.through_email, 28)
        };
        // Padded before it is painted: the escape codes take no columns.
        let state = format!("{:<15}", o.state.as_str().replace('_', " "));
        anstream::println!(
            "{:<30} {} {:<28} {:<17} {}",
            truncate(&o.name, 30),
            crate::render::paint(&state, crate::render::org_tone(o.state)),
            through,
            o.checked_at
                .map(local_time)
                .unwrap_or_else(|| "never".into()),
            o.tenant_id,
        );
        if let Some(reason) = &o.reason {
            println!("    {reason}");
        }
        if let Some(fix) = &o.fix {
            println!("    fix: {}", fix.command());
        }
        if let Some(left) = o.calls_left_today {
            println!(
                "    {left} of Xero's {} calls left today",
                render::grouped(u64::from(per_day))
            );
        }
        let egress = o.egress_this_month;
        if egress.calls > 0 {
            println!(
                "    {} downloaded this month in {} calls ({} decoded)",
                bytes_text(egress.wire),
                render::grouped(egress.calls),
                bytes_text(egress.decoded)
            );
        }
    }
}
