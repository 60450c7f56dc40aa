//! `tenantry report access`: who can reach which client, a row per login and organisation, with
//! the organisations only one login reaches marked, as a table with a summary, CSV (as
//! spreadsheets open it), JSON or Markdown; `tenantry report scopes`: the logins holding scopes
//! Xero is retiring. The reports are the core's ([`tenantry_core::report`]); this only words
//! them.

use crate::args::ReportFormat;
use crate::{Failure, exit};
use tenantry_core::Engine;
use tenantry_core::report::access::{self, AccessReport, COLUMNS, Only};

pub async fn access(
    engine: &Engine,
    format: ReportFormat,
    excel: bool,
    login: Option<&str>,
    only_routes: bool,
) -> Result<u8, Failure> {
    if excel && format != ReportFormat::Csv {
        return Err(Failure::new(
            exit::USAGE,
            "--excel is for --format csv (it adds the byte-order mark Excel needs to read UTF-8)",
        ));
    }
    let login = match login {
        Some(selector) => Some(engine.resolve_login(selector).await?.id),
        None => None,
    };
    let report = engine.access_report(&Only { login, only_routes }).await?;
    match format {
        ReportFormat::Csv => print!("{}", access::csv(&report, excel)),
        ReportFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("serialisable")
        ),
        ReportFormat::Md => {
            let rows: Vec<Vec<String>> = report.rows.iter().map(access::cells).collect();
            print!("{}", markdown(&rows));
        }
        ReportFormat::Human => human(&report),
    }
    Ok(exit::OK)
}

/// A Markdown table: `|` and line breaks in a cell would break its row.
fn markdown(rows: &[Vec<String>]) -> String {
    let cell = |c: &str| c.replace('|', "\\|").replace(['\n', '\r'], " ");
    let mut out = format!(
        "| {} |\n|{}\n",
        COLUMNS.join(" | "),
        "---|".repeat(COLUMNS.len())
    );
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

fn human(report: &AccessReport) {
    let mut login = None;
    for row in &report.rows {
        if login != Some(&row.login_email) {
            println!("{}", row.login_email);
            login = Some(&row.login_email);
        }
        let only = if row.only_route { "  only route" } else { "" };
        println!(
            "  {:<36} {:<16} {}{only}",
            crate::render::truncate(&row.organisation, 36),
            row.state.as_str(),
            row.tenant_id
        );
    }
    let s = &report.summary;
    println!();
    println!(
        "{} login{}, {} organisation{}, {} reachable through one login only.",
        s.logins,
        plural(s.logins),
        s.organisations,
        plural(s.organisations),
        s.single_route
    );
    for line in &s.by_login {
        println!(
            "  {}: reaches {}, the only route to {}",
            line.login_email, line.reaches, line.only_routes
        );
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub async fn scopes(engine: &Engine, json: bool) -> Result<u8, Failure> {
    let report = engine.scopes_report().await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("serialisable")
        );
        return Ok(exit::OK);
    }
    let mut to_move = 0;
    for login in &report {
        if login.retiring.is_empty() {
            println!("{}: no scope Xero is retiring", login.login_email);
            continue;
        }
        to_move += 1;
        println!(
            "{}: consent again for the granular scopes",
            login.login_email
        );
        for r in &login.retiring {
            println!("  {} -> {}", r.scope, r.replaced_by.join(", "));
        }
    }
    println!();
    println!(
        "{to_move} of {} login{} hold{} broad scopes Xero is retiring; every login must consent \
         again by September 2027 (its tokens are not upgraded).",
        report.len(),
        plural(report.len()),
        if to_move == 1 { "s" } else { "" }
    );
    Ok(exit::OK)
}
