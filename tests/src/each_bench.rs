//! `tenantry-bench each`: `tenantry each --all --all-pages` over many organisations of many
//! logins against the fake Xero with Xero's limits and 100 ms answers, timed end to end (the
//! process started, tokens read, every page of every organisation fetched and printed) against
//! the bound Xero's limits set. An organisation's pages come one after another (each is asked for
//! once the one before has said there is more), and Xero lets every organisation have 5 calls in
//! progress and the app 10,000 a minute, so all organisations can be read at once: the bound is
//! PAGES answers in a row. A 429 from Xero, more than 5 calls in progress for one organisation,
//! or an organisation not answered exactly once with every page, fails the run.

use crate::bench::{Fixture, Spread, Vault, ms};
use crate::gateway_bench::{XeroSaw, xero_saw};
use anyhow::{bail, ensure};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use tenantry_fake_xero::Options;

/// The fake's answer time: what a Xero call takes, roughly.
const LATENCY: Duration = Duration::from_millis(100);

pub async fn each(
    tenantry: &Path,
    logins: usize,
    orgs_each: usize,
    pages: usize,
    runs: usize,
) -> anyhow::Result<Value> {
    let options = Options {
        api_latency: LATENCY,
        ..Options::default()
    };
    let fx = Fixture::with_options(logins, orgs_each, Vault::Keychain, options).await?;
    let tenants: Vec<String> = fx.tenants.iter().flatten().cloned().collect();
    // Full pages of 100: Xero's `pagination` says which is the last.
    fx.fake.with(|w| {
        for t in &tenants {
            let contacts = (0..pages * 100)
                .map(|n| json!({"ContactID": format!("{t}-{n}"), "Name": format!("Contact {n}")}))
                .collect();
            w.contacts.insert(t.clone(), contacts);
        }
    });
    let mut walls = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let out = fx
            .cli(tenantry)
            .args(["each", "--all", "--all-pages", "--format", "ndjson"])
            .args(["--", "GET", "/api.xro/2.0/Contacts"])
            .stdin(std::process::Stdio::null())
            .output()?;
        walls.push(ms(started.elapsed()));
        ensure!(
            out.status.success(),
            "tenantry each failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut answered = std::collections::BTreeMap::new();
        for line in String::from_utf8(out.stdout)?.lines() {
            let reply: Value = serde_json::from_str(line)?;
            let records = reply["body"]["Contacts"].as_array().map_or(0, Vec::len);
            ensure!(
                reply["ok"] == true && reply["pages"] == pages && records == pages * 100,
                "an organisation was not read whole: {line:.300}"
            );
            *answered
                .entry(reply["tenant_id"].as_str().unwrap_or("").to_owned())
                .or_insert(0) += 1;
        }
        ensure!(
            answered.len() == tenants.len() && answered.values().all(|n| *n == 1),
            "{} organisations, {} answered (each must be once)",
            tenants.len(),
            answered.len()
        );
    }
    let XeroSaw {
        refused,
        most_in_flight,
        accepted,
        ..
    } = xero_saw(&fx, &tenants);
    fx.forget();
    if refused > 0 || most_in_flight > 5 {
        bail!("Xero's limits were broken: {refused} refused, {most_in_flight} in progress at once");
    }
    let calls: f64 = accepted.iter().sum();
    let bound = ms(LATENCY) * pages as f64;
    let wall = Spread::of(walls);
    Ok(json!({
        "scenario": "each", "logins": logins, "organisations": tenants.len(),
        "pages_each": pages, "runs": runs, "latency_ms": ms(LATENCY),
        "calls_to_xero": calls, "xero_429s": refused, "max_in_flight": most_in_flight,
        "wall_ms": wall, "bound_ms": bound, "median_over_bound": wall.median / bound,
    }))
}
