//! The gateway's benchmarks (`tenantry-bench gateway-agent|gateway-overhead|gateway-budgets`),
//! against a real `tenantry gateway` process: what the agent saves a cold `tenantry token`, what
//! the gateway adds to a call, and how many clients share Xero's budgets. Figures are reported;
//! only exact properties (a 429 from Xero, more than 5 in progress) fail a run.

use crate::bench::{Fixture, Spread, Vault, ms};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tenantry_fake_xero::Options;

/// A `tenantry gateway --port 0` on a fixture, killed when dropped.
pub struct RunningGateway {
    child: std::process::Child,
    pub url: String,
    pub key: String,
    /// Where its token agent listens (the data directory: no XDG_RUNTIME_DIR is given).
    pub socket: PathBuf,
}

impl RunningGateway {
    pub fn start(fx: &Fixture, tenantry: &Path) -> anyhow::Result<Self> {
        Self::start_with(fx, tenantry, fx.cli(tenantry))
    }

    /// As [`RunningGateway::start`], from a prepared `tenantry` command (extra environment).
    pub fn start_with(
        fx: &Fixture,
        tenantry: &Path,
        command: std::process::Command,
    ) -> anyhow::Result<Self> {
        Self::launch(fx.cli(tenantry), command, fx.data_dir())
    }

    /// Starts `serve` (a `tenantry` command on some profile) as `tenantry gateway`, after `key`
    /// (the same profile's command) has made and printed its key; the profile's data is in
    /// `data_dir`.
    pub fn launch(
        mut key: std::process::Command,
        mut command: std::process::Command,
        data_dir: &Path,
    ) -> anyhow::Result<Self> {
        let key = key
            .args(["gateway", "--print-key"])
            .env_remove("XDG_RUNTIME_DIR")
            .output()?;
        if !key.status.success() {
            bail!(
                "gateway --print-key failed: {}",
                String::from_utf8_lossy(&key.stderr)
            );
        }
        let mut child = command
            .args(["gateway", "--port", "0"])
            .env_remove("XDG_RUNTIME_DIR")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let mut url = String::new();
        std::io::BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut url)?;
        let socket = data_dir.join("agent.sock");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            if Instant::now() > deadline {
                bail!("the agent never listened at {}", socket.display());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(Self {
            child,
            url: url.trim().to_owned(),
            key: String::from_utf8(key.stdout)?.trim().to_owned(),
            socket,
        })
    }
}

impl Drop for RunningGateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn timed(command: &mut std::process::Command) -> anyhow::Result<f64> {
    let started = Instant::now();
    let status = command.status()?;
    let wall = ms(started.elapsed());
    if !status.success() {
        bail!("{command:?} failed");
    }
    Ok(wall)
}

/// A cold `tenantry token` answered by the agent, against a fresh process doing one socket
/// round trip (`agent-floor`), `secret-tool lookup`, and `tenantry token` reading the keychain.
pub async fn agent(tenantry: &Path, runs: usize) -> anyhow::Result<Value> {
    let fx = Fixture::new(1, 1, chrono::Duration::minutes(30), Vault::Keychain).await?;
    let tenant = fx.tenants[0][0].clone();
    let gw = RunningGateway::start(&fx, tenantry)?;
    let quiet = |mut c: std::process::Command| {
        c.stdout(std::process::Stdio::null());
        c
    };
    let mut via_agent = quiet(fx.cli(tenantry));
    via_agent
        .args(["token", &tenant])
        .env_remove("XDG_RUNTIME_DIR");
    let mut keychain = quiet(fx.cli(tenantry));
    keychain
        .args(["token", &tenant])
        .env_remove("XDG_RUNTIME_DIR")
        .env("TENANTRY_AGENT", "off");
    let floor_bin = tenantry
        .parent()
        .context("the binaries' directory")?
        .join("agent-floor");
    let mut floor = quiet(std::process::Command::new(floor_bin));
    floor.arg(&gw.socket).arg(&tenant);
    let mut lookup = quiet(std::process::Command::new("secret-tool"));
    lookup
        .args(["lookup", "service", &fx.config.keychain_service])
        .args(["username", fx.logins[0].as_str()]);
    // The binary's own start, beside the smallest program's: what no fast path can take off.
    let mut version = quiet(std::process::Command::new(tenantry));
    version.arg("--version");
    let mut true_ = quiet(std::process::Command::new("true"));
    let commands = [
        &mut via_agent,
        &mut floor,
        &mut lookup,
        &mut keychain,
        &mut version,
        &mut true_,
    ];
    for c in commands {
        for _ in 0..3 {
            timed(c)?;
        }
    }
    let mut samples = [(); 6].map(|()| Vec::new());
    for _ in 0..runs {
        // Alternating, so all six see the same machine state.
        samples[0].push(timed(&mut via_agent)?);
        samples[1].push(timed(&mut floor)?);
        samples[2].push(timed(&mut lookup)?);
        samples[3].push(timed(&mut keychain)?);
        samples[4].push(timed(&mut version)?);
        samples[5].push(timed(&mut true_)?);
    }
    drop(gw);
    fx.forget();
    let [a, f, l, k, v, t] = samples.map(Spread::of);
    Ok(json!({
        "scenario": "gateway_agent", "runs": runs,
        "token_via_agent_ms": a, "socket_round_trip_floor_ms": f,
        "secret_tool_lookup_ms": l, "token_from_keychain_ms": k,
        "version_ms": v, "true_ms": t,
        "agent_ratio_to_floor": a.median / f.median,
        "keychain_ratio_to_agent": k.median / a.median,
    }))
}

/// The same GET through the gateway, through a second gateway whose call log is off
/// (`call_log_days = 0`, the same profile otherwise), and straight to the fake Xero, in turn, one
/// request at a time: what the gateway adds, and what its call log adds. The calls go round 25
/// organisations, so the run stays inside Xero's 60 a minute for each (a call over it would wait,
/// and time the wait, not the gateway).
pub async fn overhead(tenantry: &Path, requests: usize) -> anyhow::Result<Value> {
    const ORGS: usize = 25;
    let fx = Fixture::new(1, ORGS, chrono::Duration::minutes(30), Vault::Keychain).await?;
    let tenants = fx.tenants[0].clone();
    let gw = RunningGateway::start(&fx, tenantry)?;
    let quiet_config = fx.dir.path().join("no-call-log.toml");
    let (text, _) = tenantry_core::config::set(
        &std::fs::read_to_string(&fx.config_file)?,
        "call_log_days",
        "0",
    )?;
    std::fs::write(&quiet_config, text)?;
    let quiet = {
        let mut command = fx.cli(tenantry);
        command.env("TENANTRY_CONFIG", &quiet_config);
        RunningGateway::start_with(&fx, tenantry, command)?
    };
    let token = fx.engine.access_token_for(&tenants[0]).await?;
    let http = reqwest::Client::new();
    let through = |tenant: &str| {
        http.get(format!("{}/api.xro/2.0/Organisation", gw.url))
            .bearer_auth(&gw.key)
            .header("xero-tenant-id", tenant)
    };
    let unlogged = |tenant: &str| {
        http.get(format!("{}/api.xro/2.0/Organisation", quiet.url))
            .bearer_auth(&quiet.key)
            .header("xero-tenant-id", tenant)
    };
    let direct = |tenant: &str| {
        http.get(format!("{}api.xro/2.0/Organisation", fx.fake.url()))
            .bearer_auth(token.access_token.expose())
            .header("xero-tenant-id", tenant)
    };
    // Both paths count against the fake's limits; the gateway's ledger holds its own half.
    fx.fake.with(|w| w.options.limits.per_minute = 1000);
    let warm_up = ORGS;
    let requests = requests.min(55 * ORGS - warm_up);
    let (mut gateway, mut no_log, mut straight) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..requests + warm_up {
        let tenant = &tenants[i % ORGS];
        for (sample, request) in [
            (&mut gateway, through(tenant)),
            (&mut no_log, unlogged(tenant)),
            (&mut straight, direct(tenant)),
        ] {
            let started = Instant::now();
            let answer = request.send().await?;
            let ok = answer.status().is_success();
            answer.bytes().await?;
            let wall = ms(started.elapsed());
            if !ok {
                bail!("a call failed");
            }
            if i >= warm_up {
                sample.push(wall);
            }
        }
    }
    // The log is written off the calls' path: every call must be in it all the same.
    let logged = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let n = fx
                .engine
                .calls(tenantry_core::calls::CallFilter {
                    limit: usize::MAX / 2,
                    ..Default::default()
                })
                .await
                .map(|c| c.len())
                .unwrap_or(0);
            if n >= requests + warm_up {
                return n;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or(0);
    drop(gw);
    drop(quiet);
    fx.forget();
    if logged != requests + warm_up {
        bail!(
            "the call log holds {logged} calls, not the {}",
            requests + warm_up
        );
    }
    let (g, n, d) = (
        Spread::of(gateway.clone()),
        Spread::of(no_log.clone()),
        Spread::of(straight.clone()),
    );
    let p99 = |s: &[f64]| Spread::percentile(s, 0.99);
    Ok(json!({
        "scenario": "gateway_overhead", "requests": requests,
        "through_gateway_ms": g, "without_call_log_ms": n, "straight_ms": d,
        "added_p50_ms": g.median - d.median,
        "added_p99_ms": p99(&gateway) - p99(&straight),
        "call_log_p50_ms": g.median - n.median,
        "calls_logged": logged,
    }))
}

/// CLIENTS client processes (`tenantry-bench gateway-client`) calling ORGS organisations through
/// one gateway for SECONDS, against a fake Xero with Xero's limits and 100 ms per call: Xero's
/// 429s (must be 0), the most in progress at once (must be at most 5), and each organisation's
/// accepted calls against its budget for the run.
pub async fn budgets(
    tenantry: &Path,
    seconds: u64,
    clients: usize,
    orgs: usize,
    minute_ms: u64,
) -> anyhow::Result<Value> {
    let options = Options {
        api_latency: Duration::from_millis(100),
        limits: tenantry_fake_xero::Limits {
            minute: Duration::from_millis(minute_ms),
            ..Default::default()
        },
        ..Options::default()
    };
    let fx = Fixture::with_options(1, orgs, Vault::Keychain, options).await?;
    let tenants = fx.tenants[0].clone();
    let minute = minute_ms.to_string();
    // Debug builds only honour a shorter minute (the smoke run); a release gateway keeps Xero's.
    let gw = {
        let mut fxcli = fx.cli(tenantry);
        fxcli.env("TENANTRY_TEST_RATE_MINUTE_MS", &minute);
        RunningGateway::start_with(&fx, tenantry, fxcli)?
    };
    let me = std::env::current_exe()?;
    let mut children = Vec::new();
    for i in 0..clients {
        // Each client starts at a different organisation and goes round them all.
        let mut order = tenants.clone();
        order.rotate_left(i % tenants.len());
        children.push(
            std::process::Command::new(&me)
                .args(["gateway-client", "--url", &gw.url, "--key", &gw.key])
                .arg("--tenants")
                .arg(order.join(","))
                .arg("--seconds")
                .arg(seconds.to_string())
                .stdout(std::process::Stdio::piped())
                .spawn()?,
        );
    }
    let mut statuses: std::collections::BTreeMap<String, u64> = Default::default();
    let mut served_per_client = Vec::new();
    for child in children {
        let out = child.wait_with_output()?;
        let seen: std::collections::BTreeMap<String, u64> = serde_json::from_slice(&out.stdout)?;
        served_per_client.push(seen.get("200").copied().unwrap_or(0) as f64);
        for (status, n) in seen {
            *statuses.entry(status).or_default() += n;
        }
    }
    let budget_per_org = 60.0 * (seconds as f64 * 1000.0 / minute_ms as f64);
    let XeroSaw {
        refused,
        most_in_flight,
        accepted,
        rows,
    } = xero_saw(&fx, &tenants);
    drop(gw);
    fx.forget();
    if refused > 0 || most_in_flight > 5 {
        bail!("Xero's limits were broken: {refused} refused, {most_in_flight} in progress at once");
    }
    let spread = Spread::of(accepted.clone());
    let per_client = Spread::of(served_per_client);
    Ok(json!({
        "scenario": "gateway_budgets", "seconds": seconds, "clients": clients, "orgs": orgs,
        "minute_ms": minute_ms, "xero_429s": refused, "max_in_flight": most_in_flight,
        "client_statuses": statuses, "accepted_per_org": spread,
        "share_of_budget_min": spread.min / budget_per_org,
        "fairness_min_over_max": spread.min / spread.max,
        "served_per_client": per_client,
        "client_fairness_min_over_max": per_client.min / per_client.max,
        "rows": rows,
    }))
}

/// What the fake Xero counted of its limits for `tenants`: 429s, the most calls in progress for
/// one organisation, the calls each accepted, and a row per organisation for the report.
pub struct XeroSaw {
    pub refused: u64,
    pub most_in_flight: u32,
    pub accepted: Vec<f64>,
    pub rows: Vec<Value>,
}

pub fn xero_saw(fx: &Fixture, tenants: &[String]) -> XeroSaw {
    let mut saw = XeroSaw {
        refused: 0,
        most_in_flight: 0,
        accepted: Vec::new(),
        rows: Vec::new(),
    };
    for t in tenants {
        let stats = fx.fake.with(|w| w.limit_stats(t));
        saw.refused += stats.refused.values().sum::<u64>();
        saw.most_in_flight = saw.most_in_flight.max(stats.max_in_flight);
        saw.accepted.push(stats.accepted as f64);
        saw.rows.push(
            json!({"tenant": t, "accepted": stats.accepted, "max_in_flight": stats.max_in_flight}),
        );
    }
    saw
}

/// One client of [`budgets`]: GETs through the gateway, going round its organisations, until
/// SECONDS have passed; prints how many answers of each status it had.
pub async fn client(
    url: &str,
    key: &str,
    tenants: &[String],
    seconds: u64,
) -> anyhow::Result<Value> {
    let http = reqwest::Client::new();
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut seen: std::collections::BTreeMap<String, u64> = Default::default();
    let mut i = 0;
    while Instant::now() < until {
        // A call still waiting its turn when the run ends is given up (the gateway takes it out
        // of its queue): the run's calls are those sent within it.
        let sent = http
            .get(format!("{url}/api.xro/2.0/Organisation"))
            .bearer_auth(key)
            .header("xero-tenant-id", &tenants[i % tenants.len()])
            .send();
        let Ok(answer) = tokio::time::timeout_at(until.into(), sent).await else {
            break;
        };
        let answer = answer?;
        *seen
            .entry(answer.status().as_u16().to_string())
            .or_default() += 1;
        answer.bytes().await?;
        i += 1;
    }
    Ok(serde_json::to_value(seen)?)
}

/// A long MCP session: `tenantry mcp` driven by the official MCP Python SDK client
/// (tests/clients/mcp_session.py, PYTHON from scripts/lib/setup-sdks.sh) reading one organisation
/// of each of two logins every second for SECONDS, against access tokens that live LIFETIME
/// seconds (standing for Xero's 30 minutes). Every call must answer, and each login must be
/// refreshed about once per lifetime: never twice for one, never missing one.
pub async fn mcp(
    tenantry: &Path,
    python: &str,
    seconds: u64,
    lifetime: u64,
) -> anyhow::Result<Value> {
    let fx = Fixture::new(
        2,
        1,
        chrono::Duration::seconds(lifetime as i64),
        Vault::Keychain,
    )
    .await?;
    let users: Vec<String> = fx
        .fake
        .with(|w| w.users().iter().map(|u| u.email.clone()).collect());
    let before: Vec<usize> = users.iter().map(|u| fx.fake.refresh_calls(u)).collect();
    let mut session = std::process::Command::new(python);
    session
        .arg(format!(
            "{}/clients/mcp_session.py",
            env!("CARGO_MANIFEST_DIR")
        ))
        .arg(tenantry)
        .arg(seconds.to_string())
        .arg("1")
        .args([&fx.tenants[0][0], &fx.tenants[1][0]]);
    // The environment `tenantry` gets from the fixture: its profile, data and keychain service.
    let probe = fx.cli(tenantry);
    for (k, v) in probe.get_envs() {
        match v {
            Some(v) => session.env(k, v),
            None => session.env_remove(k),
        };
    }
    // No gateway may answer on the default port for this run: the session's own in-process one
    // is what is measured.
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || session.output()).await??;
    let wall = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "the MCP session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let seen: Value = serde_json::from_slice(&out.stdout)?;
    let refreshes: Vec<usize> = users
        .iter()
        .zip(&before)
        .map(|(u, b)| fx.fake.refresh_calls(u) - b)
        .collect();
    fx.forget();
    let reads = seen["reads"].as_array().map_or(0, Vec::len);
    let failed = seen["failed"].as_array().map_or(0, Vec::len);
    let lifetimes = wall / lifetime as f64;
    // A token is refreshed once less than a tenth of its life is left (core::token), so a login
    // spends between lifetimes and lifetimes / 0.9 of them, give or take the one it started on.
    let (fewest, most) = (
        (lifetimes.floor() as usize).saturating_sub(1),
        (lifetimes / 0.9).ceil() as usize + 1,
    );
    if failed > 0 || reads == 0 {
        bail!("{failed} MCP calls failed ({reads} answered): {seen}");
    }
    if let Some(bad) = refreshes.iter().find(|r| !(fewest..=most).contains(*r)) {
        bail!(
            "a login was refreshed {bad} times over {lifetimes:.1} lifetimes ({fewest}..={most})"
        );
    }
    Ok(json!({
        "scenario": "gateway_mcp", "seconds": seconds, "access_lifetime_s": lifetime,
        "session_wall_s": wall, "lifetimes": lifetimes,
        "equivalent_minutes_of_xero_tokens": lifetimes * 30.0,
        "calls_answered": reads, "calls_failed": failed,
        "refreshes_per_login": refreshes,
        "refreshes_per_lifetime": refreshes.iter().map(|r| *r as f64 / lifetimes).collect::<Vec<_>>(),
    }))
}
