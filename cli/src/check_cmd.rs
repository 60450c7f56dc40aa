//! `tenantry check`: confirm every login (or one) and its organisations at Xero now, say what
//! changed and what needs a person, and exit 0 only when all of it is healthy.

use crate::orgs_cmd::{OrgJson, print_table};
use crate::{Failure, exit, render, verdict};
use serde::Serialize;
use tenantry_core::engine::select_login;
use tenantry_core::health::{LoginHealth, OrgState, login_fix};
use tenantry_core::{CheckOutcome, Engine, LoginCheck, LoginStatus};

#[derive(Serialize)]
struct CheckJson<'a> {
    /// True when every checked login and every organisation it reaches is healthy.
    healthy: bool,
    logins: Vec<LoginCheckJson<'a>>,
    organisations: Vec<OrgJson<'a>>,
}

#[derive(Serialize)]
struct LoginCheckJson<'a> {
    id: &'a str,
    email: &'a str,
    name: &'a str,
    /// The login's health after the check.
    state: LoginHealth,
    /// `checked`, `needs_reconnect` or `failed`.
    outcome: &'static str,
    message: Option<&'a str>,
    checked_at: Option<chrono::DateTime<chrono::Utc>>,
    organisations: Option<usize>,
    added: Vec<Named<'a>>,
    removed: Vec<Named<'a>>,
    calls: usize,
    fix: Option<String>,
}

#[derive(Serialize)]
struct Named<'a> {
    tenant_id: &'a str,
    name: &'a str,
}

pub async fn run(engine: &Engine, login: Option<&str>, json: bool) -> Result<u8, Failure> {
    let logins = engine.logins().await?;
    let only = match login {
        Some(selector) => Some(select_login(&logins, selector)?.id),
        None => None,
    };
    let total = if only.is_some() { 1 } else { logins.len() };
    let progress = render::Progress::per_login(engine, "Checking with Xero", total);
    let checks = engine.check(only.as_ref()).await;
    progress.stop();
    let checks = checks?;
    // What the store says now that the check has written what it found.
    let overview = engine.overview().await?;
    let now = overview.at;
    let mut orgs = overview.organisations;
    if let Some(only) = &only {
        orgs.retain(|o| o.logins.iter().any(|r| &r.login_id == only));
    }
    // A login removed meanwhile (by another process) has nothing left to serve.
    let healths: Vec<LoginHealth> = checks
        .iter()
        .map(|c| {
            overview
                .logins
                .iter()
                .find(|s: &&LoginStatus| s.login.id == c.login.id)
                .map_or(LoginHealth::NeedsReconnect, |s| s.health)
        })
        .collect();
    let status = verdict::worst_of([
        verdict::checks(&checks),
        verdict::logins(healths.iter().copied()),
        verdict::organisations(&orgs),
    ]);
    if json {
        let logins = checks
            .iter()
            .zip(&healths)
            .map(|(c, &state)| login_json(c, state))
            .collect();
        let report = CheckJson {
            healthy: status == exit::OK,
            logins,
            organisations: orgs.iter().map(OrgJson::new).collect(),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("serialisable")
        );
        return Ok(status);
    }
    if checks.is_empty() {
        println!("No logins yet. Run: tenantry connect");
        return Ok(exit::OK);
    }
    println!(
        "Checked {} login{} at Xero ({} calls).",
        checks.len(),
        if checks.len() == 1 { "" } else { "s" },
        checks.iter().map(|c| c.calls).sum::<usize>()
    );
    for (c, &health) in checks.iter().zip(&healths) {
        print_login(c, health);
    }
    let problems: Vec<_> = orgs
        .into_iter()
        .filter(|o| o.state != OrgState::Connected)
        .collect();
    if problems.is_empty() {
        println!("Every organisation is connected.");
    } else {
        println!("\nOrganisations that need attention:");
        print_table(&problems, engine.config().daily_call_limit());
        println!("{}", render::zone_note(now));
    }
    Ok(status)
}

fn print_login(c: &LoginCheck, health: LoginHealth) {
    let email = &c.login.email;
    match &c.outcome {
        CheckOutcome::Checked {
            organisations,
            added,
            removed,
        } => {
            let mut line = format!("{email}: {organisations} organisations");
            for o in added {
                line.push_str(&format!("; {} added", o.name));
            }
            for o in removed {
                line.push_str(&format!(
                    "; {} disconnected at Xero (kept in the list, marked)",
                    o.name
                ));
            }
            println!("{line}");
            if health != LoginHealth::Connected
                && let Some(fix) = login_fix(&c.login, health)
            {
                anstream::println!(
                    "    {}; fix: {}",
                    render::paint(
                        &health.as_str().replace('_', " "),
                        render::login_tone(health)
                    ),
                    fix.command()
                );
            }
        }
        CheckOutcome::NeedsReconnect { reason } => anstream::println!(
            "{email}: {} ({reason}). Run: tenantry connect --reconnect {email}",
            render::paint("needs reconnecting", render::Tone::Bad)
        ),
        CheckOutcome::Failed { message, .. } => anstream::println!(
            "{email}: {} ({message}); run `tenantry check` again later",
            render::paint("could not be checked", render::Tone::Warn)
        ),
    }
}

fn named(list: &[tenantry_core::model::Organisation]) -> Vec<Named<'_>> {
    list.iter()
        .map(|o| Named {
            tenant_id: &o.tenant_id,
            name: &o.name,
        })
        .collect()
}

fn login_json(c: &LoginCheck, state: LoginHealth) -> LoginCheckJson<'_> {
    let (outcome, message, organisations, added, removed) = match &c.outcome {
        CheckOutcome::Checked {
            organisations,
            added,
            removed,
        } => (
            "checked",
            None,
            Some(*organisations),
            named(added),
            named(removed),
        ),
        CheckOutcome::NeedsReconnect { reason } => (
            "needs_reconnect",
            Some(reason.as_str()),
            None,
            vec![],
            vec![],
        ),
        CheckOutcome::Failed { message, .. } => {
            ("failed", Some(message.as_str()), None, vec![], vec![])
        }
    };
    LoginCheckJson {
        id: c.login.id.as_str(),
        email: &c.login.email,
        name: &c.login.name,
        state,
        outcome,
        message,
        checked_at: c.login.checked_at,
        organisations,
        added,
        removed,
        calls: c.calls,
        fix: login_fix(&c.login, state).map(|f| f.command()),
    }
}
