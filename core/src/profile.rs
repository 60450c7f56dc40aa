//! Opening a profile the way the CLI and the desktop app do: resolve its paths, load its
//! configuration, connect to the OS keychain, open the engine on the system clock.

use crate::clock::SystemClock;
use crate::config::{Config, ProfilePaths};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::vault::KeychainVault;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub paths: ProfilePaths,
    pub config: Config,
}

impl Profile {
    /// Resolves and loads `name`'s configuration (`config_override` wins over the environment).
    pub fn load(name: &str, config_override: Option<&Path>) -> Result<Self, EngineError> {
        Self::load_with(name, config_override, None)
    }

    /// As [`Profile::load`], with an explicit data directory (the desktop app's `--data-dir`).
    pub fn load_with(
        name: &str,
        config_override: Option<&Path>,
        data_override: Option<&Path>,
    ) -> Result<Self, EngineError> {
        let paths = ProfilePaths::resolve_with(name, config_override, data_override)?;
        let config = Config::load(&paths.config_file)?;
        Ok(Self {
            name: name.to_owned(),
            paths,
            config,
        })
    }

    /// The engine over the OS keychain and the system clock.
    /// Whether this profile's keychain answers, asked on a blocking thread: the desktop asks at
    /// start, so a missing or locked keychain is said at once, not as failures later.
    pub async fn check_keychain(&self) -> Result<(), EngineError> {
        let vault = KeychainVault::platform(&self.config.keychain_service);
        tokio::task::spawn_blocking(move || crate::vault::probe(&vault))
            .await
            .expect("the keychain probe does not panic")
            .map_err(EngineError::from)
    }

    pub async fn open_engine(&self) -> Result<Engine, EngineError> {
        let vault = KeychainVault::platform(&self.config.keychain_service);
        Engine::open(
            self.config.clone(),
            &self.paths.data_dir,
            Arc::new(vault),
            clock(),
        )
        .await
    }
}

/// The system clock. Debug builds only: `TENANTRY_TEST_CLOCK_OFFSET_SECS` moves it, so the
/// end-to-end tests can run the real binaries days ahead (keep-alive thresholds, 60-day lapses)
/// against a fake Xero moved the same way. Release builds ignore the variable.
fn clock() -> Arc<dyn crate::clock::Clock> {
    #[cfg(debug_assertions)]
    if let Some(secs) = std::env::var("TENANTRY_TEST_CLOCK_OFFSET_SECS")
        .ok()
        .and_then(|v| v.parse::<i64>().ok())
    {
        let clock = crate::clock::OffsetClock::new();
        clock.advance(chrono::Duration::seconds(secs));
        return Arc::new(clock);
    }
    Arc::new(SystemClock)
}
