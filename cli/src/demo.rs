//! `tenantry demo`: runs the built-in fake Xero with a `demo` profile pointing at it, so every
//! command can be tried without a Xero app.

use crate::{Failure, exit};
use std::path::Path;

pub async fn run(
    profile: &str,
    config_override: Option<&Path>,
    port: u16,
    auto_approve: Option<String>,
) -> Result<u8, Failure> {
    let profile = if profile == "default" {
        "demo"
    } else {
        profile
    };
    let approving = auto_approve.is_some();
    let started = tenantry_demo::start(tenantry_demo::DemoSpec {
        profile,
        config_override,
        data_override: None,
        port,
        auto_approve,
        seed: tenantry_demo::Seed::standard(),
    })
    .await;
    let demo = match started {
        // One demo per profile: the desktop app's (or another terminal's) is the one to use.
        Err(tenantry_demo::DemoError::AlreadyRunning { url }) => {
            println!(
                "A demo is already running for profile `{profile}` (fake Xero at {url}, started by the desktop app or another `tenantry demo`); use it:"
            );
            println!("  tenantry --profile {profile} status");
            println!("Stop that one first to start a fresh demo here.");
            return Ok(exit::OK);
        }
        started => started?,
    };
    let paths = &demo.profile.paths;
    let flag = format!("--profile {profile}");
    println!(
        "Fake Xero running at {} (this computer only). Profile `{profile}` points at it:",
        demo.fake.url()
    );
    println!("  configuration: {}", paths.config_file.display());
    println!("  data:          {}", paths.data_dir.display());
    println!();
    println!("In another terminal, try:");
    println!(
        "  tenantry {flag} connect          # sign in as a test user{}",
        if approving {
            " (approved automatically)"
        } else {
            " (pick one on the fake's page)"
        }
    );
    println!("  tenantry {flag} status");
    println!("  tenantry {flag} orgs");
    println!("  tenantry {flag} token \"Kiwi Plumbing\"");
    println!();
    println!("Press Ctrl-C to stop. The demo's tokens stop working when the fake stops.");
    crate::stop::requested().await;
    Ok(exit::OK)
}
