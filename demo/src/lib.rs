//! The demo: the fake Xero on loopback plus a `demo` profile pointing at it, shared by
//! `tenantry demo` and the desktop app's "Try the demo". The fake keeps its state in memory, so
//! each start resets the demo profile (and only ever a demo profile: a real one is refused).

use crate::fake_xero::{FakeXero, Options};
use std::net::SocketAddr;
use std::path::Path;
use tenantry_core::config::{Config, ProfilePaths};
use tenantry_core::profile::Profile;
use tenantry_core::vault::{KeychainVault, TokenVault};

/// The demo's client id: a profile with this id is a demo profile.
pub const DEMO_CLIENT_ID: &str = "TENANTRYDEMO00000000000000000000";

pub struct Demo {
    pub fake: FakeXero,
    pub profile: Profile,
}

/// Starts the fake on `127.0.0.1:port` (0: any free port) with `seed`'s users and organisations,
/// and (re)writes the profile's configuration to point at it.
pub async fn start(
    profile: &str,
    config_override: Option<&Path>,
    data_override: Option<&Path>,
    port: u16,
    auto_approve: Option<String>,
    seed: crate::fake_xero::Seed,
) -> Result<Demo, String> {
    let paths = ProfilePaths::resolve_with(profile, config_override, data_override)
        .map_err(|e| e.to_string())?;
    let existing = match Config::load(&paths.config_file) {
        Ok(config) if paths.config_file.exists() && config.client_id != DEMO_CLIENT_ID => {
            return Err(format!(
                "{} belongs to a real profile, not a demo one; use another profile for the demo (e.g. --profile demo)",
                paths.config_file.display()
            ));
        }
        Ok(config) => config,
        Err(_) => Config::default(),
    };
    let options = Options {
        client_id: Some(DEMO_CLIENT_ID.into()),
        auto_approve,
        seed,
        ..Options::default()
    };
    let fake = FakeXero::start_on(SocketAddr::from(([127, 0, 0, 1], port)), options)
        .await
        .map_err(|e| {
            format!("cannot start the fake Xero on port {port} ({e}); choose another port")
        })?;
    let config = Config {
        client_id: DEMO_CLIENT_ID.into(),
        keychain_service: "tenantry-demo".into(),
        xero: fake.endpoints(),
        ..existing
    };
    reset(&paths, &config);
    config.save(&paths.config_file).map_err(|e| e.to_string())?;
    Ok(Demo {
        fake,
        profile: Profile {
            name: profile.to_owned(),
            paths,
            config,
        },
    })
}

/// Tokens from an earlier demo run are dead (the fake forgot them): delete them and the metadata.
fn reset(paths: &ProfilePaths, config: &Config) {
    let profile = Profile {
        name: "demo".into(),
        paths: paths.clone(),
        config: config.clone(),
    };
    if let Ok(engine) = profile.open_engine() {
        let vault = KeychainVault::platform(&config.keychain_service);
        for login in engine.logins().unwrap_or_default() {
            let _ = vault.delete(&login.id);
        }
    }
    for name in ["tenantry.db", "tenantry.db-wal", "tenantry.db-shm"] {
        let _ = std::fs::remove_file(paths.data_dir.join(name));
    }
}
