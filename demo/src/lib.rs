//! The demo: the fake Xero on loopback plus a `demo` profile pointing at it, shared by
//! `tenantry demo` and the desktop app's "Try the demo". The fake keeps its state in memory, so
//! each start resets the demo profile (and only ever a demo profile: a real one is refused).
//!
//! This crate is product code behind the CLI's and the desktop app's `demo` feature; the fake it
//! runs is built without its test-only controls.

pub mod browser;

use std::net::SocketAddr;
use std::path::Path;
use tenantry_core::config::{Config, ProfilePaths, XeroEndpoints};
use tenantry_core::profile::Profile;
use tenantry_core::vault::{KeychainVault, TokenVault};
use tenantry_core::{Engine, EngineError};
pub use tenantry_fake_xero::{FakeXero, Options, Seed};

/// The demo's client id: a profile with this id is a demo profile.
pub const DEMO_CLIENT_ID: &str = "TENANTRYDEMO00000000000000000000";

/// A running demo: the fake (stopped when this is dropped) and the profile pointing at it.
pub struct Demo {
    pub fake: FakeXero,
    pub profile: Profile,
}

/// Where the demo runs and what it holds.
pub struct DemoSpec<'a> {
    pub profile: &'a str,
    pub config_override: Option<&'a Path>,
    pub data_override: Option<&'a Path>,
    /// The fake's port on 127.0.0.1 (0: any free port).
    pub port: u16,
    /// Sign in automatically as this test user instead of showing the fake's sign-in page.
    pub auto_approve: Option<String>,
    pub seed: Seed,
}

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The fake or the demo profile could not be set up (a port in use, a real profile's name).
    #[error("{0}")]
    Setup(String),
    /// The profile already points at a demo whose fake answers (the desktop app's, or another
    /// `tenantry demo`): join it rather than reset it under the one running.
    #[error("a demo is already running at {url} for this profile")]
    AlreadyRunning { url: url::Url },
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Whether a profile's configuration is the demo's (and so may be reset at will).
pub fn is_demo(config: &Config) -> bool {
    config.client_id == DEMO_CLIENT_ID
}

/// The endpoints of a fake Xero, for a configuration.
pub fn endpoints(fake: &FakeXero) -> XeroEndpoints {
    XeroEndpoints::under(fake.url())
}

/// The fake Xero a demo profile points at, if it answers: a demo some other process runs. One
/// demo per profile, so `tenantry demo` and the desktop app's `--demo` share it instead of
/// rewriting the profile to their own fake under each other.
pub async fn running(paths: &ProfilePaths) -> Option<url::Url> {
    let config = Config::load(&paths.config_file).ok()?;
    if !paths.config_file.exists() || !is_demo(&config) {
        return None;
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(2))
        .build()
        .ok()?;
    let answer = client.get(config.xero.jwks_url.clone()).send().await.ok()?;
    answer.status().is_success().then_some(config.xero.api_url)
}

/// Starts the fake with the spec's users and organisations, and (re)writes the profile's
/// configuration to point at it; [`DemoError::AlreadyRunning`] if a demo runs for it already.
pub async fn start(spec: DemoSpec<'_>) -> Result<Demo, DemoError> {
    let paths = ProfilePaths::resolve_with(spec.profile, spec.config_override, spec.data_override)
        .map_err(|e| DemoError::Setup(e.to_string()))?;
    if let Some(url) = running(&paths).await {
        return Err(DemoError::AlreadyRunning { url });
    }
    let existing = match Config::load(&paths.config_file) {
        Ok(config) if paths.config_file.exists() && !is_demo(&config) => {
            return Err(DemoError::Setup(format!(
                "{} belongs to a real profile, not a demo one; use another profile for the demo (e.g. --profile demo)",
                paths.config_file.display()
            )));
        }
        Ok(config) => config,
        Err(_) => Config::default(),
    };
    let options = Options {
        client_id: Some(DEMO_CLIENT_ID.into()),
        auto_approve: spec.auto_approve,
        seed: spec.seed,
        ..Options::default()
    };
    let port = spec.port;
    let fake = FakeXero::start_on(SocketAddr::from(([127, 0, 0, 1], port)), options)
        .await
        .map_err(|e| {
            DemoError::Setup(format!(
                "cannot start the fake Xero on port {port} ({e}); choose another port"
            ))
        })?;
    let config = Config {
        client_id: DEMO_CLIENT_ID.into(),
        keychain_service: "tenantry-demo".into(),
        xero: endpoints(&fake),
        ..existing
    };
    let profile = Profile {
        name: spec.profile.to_owned(),
        paths,
        config,
    };
    reset(&profile).await;
    profile
        .config
        .save(&profile.paths.config_file)
        .map_err(|e| DemoError::Setup(e.to_string()))?;
    Ok(Demo { fake, profile })
}

/// Starts the demo and signs every seeded user in, then shows what a refresh and a problem look
/// like: the first user refreshed, and the third's grant revoked at the fake so that login needs
/// reconnecting (which the user can try). From then on the fake shows its sign-in page, as Xero
/// would. Returns the demo and its engine.
pub async fn start_seeded(spec: DemoSpec<'_>) -> Result<(Demo, Engine), DemoError> {
    let users: Vec<String> = spec.seed.users.iter().map(|u| u.email.clone()).collect();
    let demo = start(spec).await?;
    let engine = demo.profile.open_engine().await?;
    for user in &users {
        browser::sign_in(&engine, &demo.fake, user).await?;
    }
    let logins = engine.logins().await?;
    if let Some(ann) = logins.iter().find(|l| l.email == "ann@example.com") {
        engine.refresh_login(&ann.id).await?;
    }
    if let Some(cara) = logins.iter().find(|l| l.email == "cara@example.com") {
        demo.fake.revoke_user(&cara.email);
        // Fails by design: the login now needs reconnecting.
        let _ = engine.refresh_login(&cara.id).await;
    }
    demo.fake.approve_as(None);
    Ok((demo, engine))
}

/// Tokens from an earlier demo run are dead (the fake forgot them): delete them and the metadata.
async fn reset(profile: &Profile) {
    if let Ok(engine) = profile.open_engine().await {
        let service = profile.config.keychain_service.clone();
        let logins = engine.logins().await.unwrap_or_default();
        drop(engine);
        let deleting = tokio::task::spawn_blocking(move || {
            let vault = KeychainVault::platform(&service);
            for login in logins {
                if let Err(e) = vault.delete(&login.id) {
                    tracing::debug!(error = %e, "could not delete an old demo token set");
                }
            }
        });
        let _ = deleting.await;
    }
    for name in ["tenantry.db", "tenantry.db-wal", "tenantry.db-shm"] {
        let _ = std::fs::remove_file(profile.paths.data_dir.join(name));
    }
}
