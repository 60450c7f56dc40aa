//! `tenantry demo`: runs the built-in fake Xero on loopback and points a `demo` profile at it, so
//! every command can be tried without a Xero app. The fake keeps its state in memory, so each run
//! starts the demo profile afresh (only ever a demo profile: a real one is never touched).

use crate::{Failure, exit};
use std::net::SocketAddr;
use std::path::Path;
use tenantry_core::config::{Config, ProfilePaths};
use tenantry_core::profile::Profile;
use tenantry_core::vault::{KeychainVault, TokenVault};
use tenantry_tests::fake_xero::{FakeXero, Options};

pub const DEMO_CLIENT_ID: &str = "TENANTRYDEMO00000000000000000000";

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
    let paths = ProfilePaths::resolve(profile, config_override)
        .map_err(|e| Failure::new(exit::CONFIG, e.to_string()))?;
    let existing = Config::load(&paths.config_file).ok();
    if let Some(config) = existing.as_ref().filter(|_| paths.config_file.exists())
        && config.client_id != DEMO_CLIENT_ID
    {
        return Err(Failure::new(
            exit::CONFIG,
            format!(
                "{} belongs to a real profile, not a demo one; run `tenantry --profile demo demo` to keep them apart",
                paths.config_file.display()
            ),
        ));
    }
    let fake = FakeXero::start_on(
        SocketAddr::from(([127, 0, 0, 1], port)),
        Options {
            client_id: Some(DEMO_CLIENT_ID.into()),
            auto_approve: auto_approve.clone(),
            ..Options::default()
        },
    )
    .await
    .map_err(|e| {
        Failure::new(
            exit::FAILURE,
            format!("cannot start the fake Xero on port {port} ({e}); choose another with --port"),
        )
    })?;
    let config = Config {
        client_id: DEMO_CLIENT_ID.into(),
        keychain_service: "tenantry-demo".into(),
        xero: fake.endpoints(),
        ..existing.unwrap_or_default()
    };
    reset(&paths, &config);
    config
        .save(&paths.config_file)
        .map_err(|e| Failure::new(exit::CONFIG, e.to_string()))?;

    let flag = if profile == "demo" {
        "--profile demo".to_string()
    } else {
        format!("--profile {profile}")
    };
    println!(
        "Fake Xero running at {} (this computer only). Profile `{profile}` points at it:",
        fake.url()
    );
    println!("  configuration: {}", paths.config_file.display());
    println!("  data:          {}", paths.data_dir.display());
    println!();
    println!("In another terminal, try:");
    println!(
        "  tenantry {flag} connect          # sign in as a test user{}",
        if auto_approve.is_some() {
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
    wait_for_stop().await;
    Ok(exit::OK)
}

/// The fake's state does not survive a restart, so tokens from an earlier demo run are dead:
/// delete them and the demo's metadata.
fn reset(paths: &ProfilePaths, config: &Config) {
    if let Ok(profile_engine) = (Profile {
        name: "demo".into(),
        paths: paths.clone(),
        config: config.clone(),
    })
    .open_engine()
        && let (Ok(logins), Ok(vault)) = (
            profile_engine.logins(),
            KeychainVault::platform(&config.keychain_service),
        )
    {
        for login in logins {
            let _ = vault.delete(&login.id);
        }
    }
    for name in ["tenantry.db", "tenantry.db-wal", "tenantry.db-shm"] {
        let _ = std::fs::remove_file(paths.data_dir.join(name));
    }
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
