//! `tenantry each [ORG…|--all|--problems|--login L] -- GET PATH`: one read sent to many
//! organisations through the gateway's budgets (the running gateway, else one of this process's
//! own), a result per organisation as JSON, NDJSON or CSV columns picked by JSONPath, and a
//! progress bar at a terminal. Every organisation named must exist before anything is sent.

use crate::args::{EachArgs, EachFormat};
use crate::{Failure, exit};
use futures_util::StreamExt;
use serde_json_path::JsonPath;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use tenantry_core::Engine;
use tenantry_core::fanout::{self, Selection};
use tenantry_core::profile::Profile;
use tenantry_gateway::call::{Caller, Upstream, api_path};
use tenantry_gateway::each::Reply;

pub async fn run(engine: &Engine, profile: &Profile, args: EachArgs) -> Result<u8, Failure> {
    let usage = |message: String| Failure::new(exit::USAGE, format!("{message} Nothing was sent."));
    let (path, query) = read_call(&args.call).map_err(usage)?;
    let picks = args
        .pick
        .iter()
        .map(|p| {
            JsonPath::parse(p).map_err(|e| {
                format!("--pick `{p}` is not a JSONPath ({e}); e.g. '$.Invoices[*].Total'.")
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(usage)?;
    match (args.format, picks.is_empty()) {
        (EachFormat::Csv, true) => {
            return Err(usage(
                "--format csv needs at least one --pick (a column each).".into(),
            ));
        }
        (EachFormat::Json | EachFormat::Ndjson, false) => {
            return Err(usage("--pick makes CSV columns: add --format csv.".into()));
        }
        _ => {}
    }
    let selection = if args.all {
        Selection::All
    } else if args.problems {
        Selection::Problems
    } else if let Some(login) = &args.login {
        Selection::Login(engine.resolve_login(login).await?.id)
    } else if !args.orgs.is_empty() {
        let mut tenants = Vec::new();
        for org in &args.orgs {
            tenants.push(engine.resolve_organisation(org).await?);
        }
        Selection::Tenants(tenants)
    } else {
        return Err(usage(
            "name the organisations to read, or give --all, --problems or --login LOGIN.".into(),
        ));
    };
    let overview = engine.overview().await?;
    let targets = fanout::targets(&overview.organisations, &selection);
    if targets.is_empty() {
        eprintln!("No organisation matches; nothing was sent.");
        return Ok(exit::OK);
    }

    let caller = Caller::new(Upstream::new(engine.clone(), &profile.paths.data_dir));
    let progress = progress_bar(targets.len());
    let total = targets.len();
    let mut stream = std::pin::pin!(tenantry_gateway::each::each(
        &caller,
        "each",
        targets,
        &path,
        &query,
        args.all_pages
    ));
    let mut done: Vec<(usize, Reply)> = Vec::with_capacity(total);
    while let Some((i, reply)) = stream.next().await {
        if let Some(bar) = &progress {
            bar.inc(1);
        }
        if args.format == EachFormat::Ndjson {
            let line = serde_json::to_string(&reply).expect("a reply serialises");
            match &progress {
                Some(bar) => bar.suspend(|| println!("{line}")),
                None => println!("{line}"),
            }
        }
        done.push((i, reply));
    }
    // Every call's row is in the call log before the process ends.
    caller.settle().await;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    done.sort_by_key(|(i, _)| *i);
    let replies: Vec<Reply> = done.into_iter().map(|(_, r)| r).collect();
    match args.format {
        EachFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&replies).expect("replies serialise")
        ),
        EachFormat::Ndjson => {}
        EachFormat::Csv => print!("{}", csv(&replies, &args.pick, &picks)),
    }
    let failed: Vec<String> = replies
        .iter()
        .filter(|r| !r.ok)
        .map(|r| {
            format!(
                "{} ({})",
                r.organisation,
                r.error.as_deref().unwrap_or("failed")
            )
        })
        .collect();
    if failed.is_empty() {
        return Ok(exit::OK);
    }
    Err(Failure::new(
        exit::FAILURE,
        format!(
            "{} of {total} organisations failed: {}",
            failed.len(),
            failed.join("; ")
        ),
    ))
}

/// `GET PATH?QUERY` after `--`: the checked path and its query.
fn read_call(call: &[String]) -> Result<(String, BTreeMap<String, String>), String> {
    let [method, target] = call else {
        return Err(format!(
            "after `--` give GET and Xero's path, e.g. `-- GET /api.xro/2.0/Invoices`; got `{}`.",
            call.join(" ")
        ));
    };
    if !method.eq_ignore_ascii_case("GET") {
        return Err(format!(
            "`each` sends reads only (GET), not {method}; a write goes to one organisation with `tenantry call`."
        ));
    }
    let (path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    let path = api_path(path)?;
    let mut query = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(raw_query.as_bytes()) {
        if query.insert(k.to_string(), v.to_string()).is_some() {
            return Err(format!(
                "the query names `{k}` twice; give each parameter once."
            ));
        }
    }
    Ok((path, query))
}

/// A bar on stderr, at a terminal only.
fn progress_bar(len: usize) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} organisations {elapsed}")
            .expect("a valid template"),
    );
    Some(bar)
}

/// A row per picked value: the picks' values side by side (the first value of each, then the
/// second…), so `$.Invoices[*].InvoiceNumber` and `$.Invoices[*].Total` make a row per invoice.
/// An organisation with no value (or that failed) still has one row, its cells empty.
fn csv(replies: &[Reply], named: &[String], picks: &[JsonPath]) -> String {
    let mut header = vec!["organisation", "tenant_id", "status"];
    header.extend(named.iter().map(String::as_str));
    let mut rows = Vec::new();
    for reply in replies {
        let columns: Vec<Vec<String>> = picks
            .iter()
            .map(|p| {
                if !reply.ok {
                    return Vec::new();
                }
                p.query(&reply.body)
                    .all()
                    .into_iter()
                    .map(|v| match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        let height = columns.iter().map(Vec::len).max().unwrap_or(0).max(1);
        for n in 0..height {
            let mut row = vec![
                reply.organisation.clone(),
                reply.tenant_id.clone(),
                reply.status.to_string(),
            ];
            row.extend(
                columns
                    .iter()
                    .map(|c| c.get(n).cloned().unwrap_or_default()),
            );
            rows.push(row);
        }
    }
    tenantry_core::report::csv::document(&header, &rows, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_is_get_and_a_path_of_xeros_with_its_query() {
        let (path, query) = read_call(&[
            "get".into(),
            "/api.xro/2.0/Invoices?where=Status%3D%3D%22PAID%22&page=2".into(),
        ])
        .unwrap();
        assert_eq!(path, "/api.xro/2.0/Invoices");
        assert_eq!(query["where"], "Status==\"PAID\"");
        assert_eq!(query["page"], "2");
        assert!(
            read_call(&["PUT".into(), "/api.xro/2.0/Contacts".into()])
                .unwrap_err()
                .contains("reads only")
        );
        assert!(read_call(&["GET".into(), "/connections".into()]).is_err());
        assert!(read_call(&["GET".into()]).is_err());
        assert!(
            read_call(&["GET".into(), "/api.xro/2.0/X?a=1&a=2".into()])
                .unwrap_err()
                .contains("twice")
        );
    }

    #[test]
    fn picked_values_stand_side_by_side_a_row_each() {
        let reply = |name: &str, ok: bool, body: serde_json::Value| Reply {
            organisation: name.into(),
            tenant_id: format!("t-{name}"),
            status: if ok { 200 } else { 403 },
            ok,
            pages: 1,
            body,
            error: None,
        };
        let replies = [
            reply(
                "A",
                true,
                serde_json::json!({"Invoices": [{"InvoiceNumber": "INV-1", "Total": 10.5}, {"InvoiceNumber": "=2", "Total": 3}]}),
            ),
            reply("B", true, serde_json::json!({"Invoices": []})),
            reply(
                "C",
                false,
                serde_json::json!({"Detail": "AuthenticationUnsuccessful"}),
            ),
        ];
        let named = [
            "$.Invoices[*].InvoiceNumber".to_owned(),
            "$.Invoices[*].Total".to_owned(),
        ];
        let picks: Vec<JsonPath> = named.iter().map(|p| JsonPath::parse(p).unwrap()).collect();
        assert_eq!(
            csv(&replies, &named, &picks),
            "organisation,tenant_id,status,$.Invoices[*].InvoiceNumber,$.Invoices[*].Total\r\n\
             A,t-A,200,INV-1,10.5\r\n\
             A,t-A,200,'=2,3\r\n\
             B,t-B,200,,\r\n\
             C,t-C,403,,\r\n"
        );
    }
}
