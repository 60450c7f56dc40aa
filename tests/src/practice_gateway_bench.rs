//! `tenantry-bench gateway-practice`: Xero's limits held for a whole practice. MACHINES member
//! machines (each its own configuration, data directory and keychain service, joined with an
//! invitation code as people join) on one practice database, each running `tenantry gateway`
//! with CLIENTS client processes calling the same ORGS organisations for SECONDS, against a fake
//! Xero with Xero's limits and 100 ms per call. Exact properties fail a run (a 429 from Xero, more
//! than 5 in progress for an organisation across the practice); the share of each organisation's
//! budget used and what the shared budget costs a call are reported.

use crate::bench::{Fixture, Spread, Vault, ms};
use crate::gateway_bench::{RunningGateway, XeroSaw, xero_saw};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tenantry_fake_xero::Options;

/// What to run.
pub struct Run {
    pub machines: usize,
    pub clients: usize,
    pub orgs: usize,
    pub seconds: u64,
    /// The length of Xero's minute (debug gateways only take a shorter one: the smoke run).
    pub minute_ms: u64,
}

/// One member machine's profile.
struct Member {
    config: PathBuf,
    data: PathBuf,
}

impl Member {
    fn cli(&self, tenantry: &Path) -> Command {
        let mut command = Command::new(tenantry);
        command
            .env("TENANTRY_CONFIG", &self.config)
            .env("TENANTRY_DATA_DIR", &self.data)
            .env_remove("TENANTRY_PROFILE")
            .stdin(std::process::Stdio::null());
        command
    }
}

/// The fixture's machine, and MACHINES − 1 more that join its practice with codes it makes.
fn members(fx: &Fixture, tenantry: &Path, machines: usize) -> anyhow::Result<Vec<Member>> {
    let mut members = vec![Member {
        config: fx.config_file.clone(),
        data: fx.data_dir().to_owned(),
    }];
    for m in 1..machines {
        let data = fx.data_dir().join(format!("BOX-{m}"));
        std::fs::create_dir_all(&data)?;
        let config = tenantry_core::config::Config {
            machine_name: Some(format!("BOX-{m}")),
            keychain_service: format!("{}-box-{m}", fx.config.keychain_service),
            ..fx.config.clone()
        };
        let file = data.join("config.toml");
        config.save(&file)?;
        let member = Member { config: file, data };
        let invite = members[0]
            .cli(tenantry)
            .args(["practice", "invite"])
            .output()?;
        let code = String::from_utf8(invite.stdout)?;
        let joined = member
            .cli(tenantry)
            .args(["practice", "join", code.trim()])
            .output()?;
        if !joined.status.success() {
            bail!(
                "BOX-{m} could not join: {}",
                String::from_utf8_lossy(&joined.stderr)
            );
        }
        members.push(member);
    }
    Ok(members)
}

pub async fn gateway_practice(tenantry: &Path, run: &Run) -> anyhow::Result<Value> {
    let options = Options {
        api_latency: Duration::from_millis(100),
        limits: tenantry_fake_xero::Limits {
            minute: Duration::from_millis(run.minute_ms),
            ..Default::default()
        },
        ..Options::default()
    };
    let fx = Fixture::with_options(1, run.orgs, Vault::Practice, options).await?;
    let tenants = fx.tenants[0].clone();
    let members = members(&fx, tenantry, run.machines)?;
    let minute = run.minute_ms.to_string();
    let mut gateways = Vec::new();
    for member in &members {
        let mut serve = member.cli(tenantry);
        serve.env("TENANTRY_TEST_RATE_MINUTE_MS", &minute);
        gateways.push(RunningGateway::launch(
            member.cli(tenantry),
            serve,
            &member.data,
        )?);
    }

    let me = std::env::current_exe()?;
    let mut children = Vec::new();
    for (g, gw) in gateways.iter().enumerate() {
        for c in 0..run.clients {
            // Each client starts at a different organisation and goes round them all.
            let mut order = tenants.clone();
            order.rotate_left((g * run.clients + c) % tenants.len());
            children.push(
                tokio::process::Command::new(&me)
                    .args(["gateway-client", "--url", &gw.url, "--key", &gw.key])
                    .arg("--tenants")
                    .arg(order.join(","))
                    .arg("--seconds")
                    .arg(run.seconds.to_string())
                    .stdout(std::process::Stdio::piped())
                    .spawn()?,
            );
        }
    }
    // Meanwhile, what the shared budget costs a call: a take (on the call's path) and a release
    // (after it), as a gateway makes them, on an organisation of its own, every 50 ms (the app's
    // minute is shared with the run); beside each, its floor: one read of the practice database
    // through the engine's store (the same thread hop and one round trip).
    let rates = fx
        .engine
        .shared_rates()
        .context("the fixture is a practice")?;
    let limits = tenantry_core::rates::RateLimits {
        concurrent: 5,
        per_minute: 1_000_000,
        per_day: 1_000_000,
        app_per_minute: 10_000,
        minute: Duration::from_millis(run.minute_ms),
        day: Duration::from_secs(24 * 3600),
    };
    let until = Instant::now() + Duration::from_secs(run.seconds);
    let engine = fx.engine.clone();
    let probe = tokio::spawn(async move {
        let mut costs = Vec::new();
        while Instant::now() < until {
            let read = Instant::now();
            engine.external_changes().await?;
            let floor = ms(read.elapsed());
            let started = Instant::now();
            let taken = rates.take("probe", limits).await?;
            let tenantry_core::rates::Taken::Go(slot) = taken else {
                bail!("the probe's organisation was held back: {taken:?}");
            };
            let took = started.elapsed();
            rates.release(slot, Default::default(), limits).await?;
            costs.push((ms(took), ms(started.elapsed()), floor));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::Ok(costs)
    });

    let mut statuses: std::collections::BTreeMap<String, u64> = Default::default();
    for child in children {
        let out = child.wait_with_output().await?;
        let seen: std::collections::BTreeMap<String, u64> = serde_json::from_slice(&out.stdout)?;
        for (status, n) in seen {
            *statuses.entry(status).or_default() += n;
        }
    }
    let costs = probe.await??;
    let column = |i: usize| -> Vec<f64> {
        costs
            .iter()
            .map(|c| [c.0, c.1, c.2][i])
            .collect::<Vec<f64>>()
    };
    let p99 = |sample: &[f64]| Spread::percentile(sample, 0.99);
    let (take, both, floor) = (column(0), column(1), column(2));
    let shared_cost = json!({
        "take_ms": Spread::of(take.clone()), "take_p99_ms": p99(&take),
        "take_and_release_ms": Spread::of(both.clone()), "take_and_release_p99_ms": p99(&both),
        "floor_read_ms": Spread::of(floor.clone()), "floor_read_p99_ms": p99(&floor),
    });

    // The windows the run opened: each lasts the minute and the gateway's margin.
    let window_ms = run.minute_ms + (run.minute_ms / 40).clamp(250, 1500);
    let windows = (run.seconds * 1000).div_ceil(window_ms);
    let budget_per_org = 60.0 * windows as f64;
    let XeroSaw {
        refused,
        most_in_flight,
        accepted,
        rows,
    } = xero_saw(&fx, &tenants);
    drop(gateways);
    fx.forget();
    if refused > 0 || most_in_flight > 5 {
        bail!(
            "Xero's limits were broken across the practice: {refused} refused, {most_in_flight} in progress at once"
        );
    }
    let spread = Spread::of(accepted);
    Ok(json!({
        "scenario": "gateway_practice", "machines": run.machines, "clients_each": run.clients,
        "orgs": run.orgs, "seconds": run.seconds, "minute_ms": run.minute_ms, "windows": windows,
        "xero_429s": refused, "max_in_flight": most_in_flight, "client_statuses": statuses,
        "accepted_per_org": spread, "share_of_budget_min": spread.min / budget_per_org,
        "shared_budget_cost": shared_cost,
        "rows": rows,
    }))
}
