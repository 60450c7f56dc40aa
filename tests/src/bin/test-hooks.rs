//! `test-hooks --tenantry PATH --expect honoured|ignored`: whether a `tenantry` binary honours the
//! test-only hooks, the crash harness's pause points (`TENANTRY_TEST_PAUSE_AT`) and the test clock
//! (`TENANTRY_TEST_CLOCK_OFFSET_SECS`). Debug builds must honour them (the crash and keep-alive
//! tests rely on it); release builds must ignore them. `scripts/bench.sh` runs it on both, so the
//! check is seen to fail as well as pass. Prints one JSON object; exits 1 on a mismatch.
//!
//! Run it under a private keyring: the fixture signs a user in for real.

use anyhow::{Context, bail};
use clap::Parser;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tenantry_tests::bench::{Fixture, Vault};

#[derive(Parser)]
struct Args {
    /// The `tenantry` binary to check.
    #[arg(long)]
    tenantry: PathBuf,
    /// What the binary must do with the hooks: `honoured` (debug) or `ignored` (release).
    #[arg(long)]
    expect: String,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let honoured = match args.expect.as_str() {
        "honoured" => true,
        "ignored" => false,
        other => bail!("--expect takes honoured or ignored, not {other}"),
    };
    let fx = Fixture::new(1, 1, chrono::Duration::minutes(30), Vault::Keychain).await?;
    let result = async {
        let paused = pause_point_honoured(&fx, &args.tenantry).await?;
        let clock = test_clock_honoured(&fx, &args.tenantry).await?;
        anyhow::Ok((paused, clock))
    }
    .await;
    fx.forget();
    let (paused, clock) = result?;
    let word = |h: bool| if h { "honoured" } else { "ignored" };
    println!(
        "{}",
        serde_json::json!({ "pause_point": word(paused), "test_clock": word(clock) })
    );
    if paused != honoured || clock != honoured {
        bail!(
            "{} must have {} the test hooks",
            args.tenantry.display(),
            args.expect
        );
    }
    Ok(())
}

/// A refresh told to pause before writing its intent: a binary that honours it stops there (and
/// says so in the pause file); one that ignores it refreshes and exits.
async fn pause_point_honoured(fx: &Fixture, tenantry: &Path) -> anyhow::Result<bool> {
    let marker = fx.data_dir().join("paused");
    let mut command = tokio::process::Command::from(fx.cli(tenantry));
    command
        .args(["refresh", fx.logins[0].as_str()])
        .env("TENANTRY_TEST_PAUSE_AT", "before_intent")
        .env("TENANTRY_TEST_PAUSE_FILE", &marker)
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true);
    let mut child = command.spawn().context("run tenantry refresh")?;
    for _ in 0..200 {
        if marker.exists() {
            child.kill().await?;
            return Ok(true);
        }
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("`tenantry refresh` failed ({status}) with the pause point set");
            }
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("`tenantry refresh` neither paused nor finished within 20 s")
}

/// A token asked for with the clock moved an hour on: a binary that honours the offset sees the
/// 30-minute token expired and refreshes it; one that ignores it hands out the cached token.
async fn test_clock_honoured(fx: &Fixture, tenantry: &Path) -> anyhow::Result<bool> {
    let before = fx.fake.total_refresh_calls();
    let mut command = tokio::process::Command::from(fx.cli(tenantry));
    let ran = command
        .args(["token", &fx.tenants[0][0]])
        .env("TENANTRY_TEST_CLOCK_OFFSET_SECS", "3600")
        .output()
        .await
        .context("run tenantry token")?;
    if !ran.status.success() {
        bail!(
            "`tenantry token` failed with the clock offset set: {}",
            String::from_utf8_lossy(&ran.stderr)
        );
    }
    Ok(fx.fake.total_refresh_calls() > before)
}
