//! Opening a profile the way the CLI and the desktop app do: resolve its paths, load its
//! configuration, open its vault (the OS keychain, or the opt-in file vault), open the engine on
//! the system clock.

use crate::clock::SystemClock;
use crate::config::{Config, ConfigError, ProfilePaths, VaultChoice};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::secret::Secret;
use crate::vault::{FileVault, KeychainVault, TokenVault, VaultError};
use std::path::{Path, PathBuf};
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

    /// As [`Profile::load_with`], for a command that needs the profile to exist already (all but
    /// those that make one: connect, `config set`, the demo). A misspelt profile, or a `--config`
    /// file that is not there, is an error naming what exists, never an empty healthy profile.
    pub fn load_existing(
        name: &str,
        config_override: Option<&Path>,
        data_override: Option<&Path>,
    ) -> Result<Self, EngineError> {
        let profile = Self::load_with(name, config_override, data_override)?;
        if let Some(path) = crate::config::config_named(config_override)
            && !path.exists()
        {
            return Err(ConfigError::MissingFile { path }.into());
        }
        if !profile.paths.exist() {
            return Err(ConfigError::UnknownProfile {
                name: name.to_owned(),
                config: profile.paths.config_file.clone(),
                data: profile.paths.data_dir.clone(),
                known: crate::config::known_profiles(),
            }
            .into());
        }
        Ok(profile)
    }

    /// Where this profile's file vault keeps its files (`vault = "file"`).
    pub fn vault_dir(&self) -> PathBuf {
        self.paths.data_dir.join("vault")
    }

    /// Whether the file vault has been made (its key file exists): a new one is given its
    /// passphrase twice.
    pub fn file_vault_exists(&self) -> bool {
        FileVault::exists(&self.vault_dir())
    }

    /// Where this profile's tokens are kept, in words, for `status`, `doctor` and the window.
    pub fn vault_description(&self) -> String {
        match self.config.vault {
            VaultChoice::Keychain => "the system keychain".to_owned(),
            VaultChoice::File => format!("the file vault at {}", self.vault_dir().display()),
        }
    }

    /// The profile's vault: the OS keychain, or the file vault opened with `passphrase` (else
    /// `TENANTRY_PASSPHRASE`). Opening the file vault stretches the passphrase, so it runs on a
    /// blocking thread, like every vault call.
    pub async fn vault(
        &self,
        passphrase: Option<Secret>,
    ) -> Result<Arc<dyn TokenVault>, EngineError> {
        match self.config.vault {
            VaultChoice::Keychain => Ok(Arc::new(KeychainVault::platform(
                &self.config.keychain_service,
            ))),
            VaultChoice::File => {
                let passphrase = passphrase
                    .or_else(crate::vault::passphrase_from_env)
                    .ok_or(VaultError::NoPassphrase)?;
                let dir = self.vault_dir();
                let vault = tokio::task::spawn_blocking(move || FileVault::open(&dir, &passphrase))
                    .await
                    .expect("opening the file vault does not panic")?;
                Ok(Arc::new(vault))
            }
        }
    }

    /// The profile's vault, once it has answered (a read of an entry no login has, on a
    /// blocking thread): the desktop asks at start, so a missing keychain (or a file vault without
    /// its passphrase) is said at once, not as failures later. The vault it returns is the one to
    /// open the engine on: a file vault's passphrase is stretched once, not twice.
    pub async fn check_vault(
        &self,
        passphrase: Option<Secret>,
    ) -> Result<Arc<dyn TokenVault>, EngineError> {
        let vault = self.vault(passphrase).await?;
        let probed = vault.clone();
        tokio::task::spawn_blocking(move || crate::vault::probe(probed.as_ref()))
            .await
            .expect("the vault probe does not panic")?;
        Ok(vault)
    }

    /// The engine over the profile's vault and the system clock (a file vault's passphrase
    /// from `TENANTRY_PASSPHRASE`).
    pub async fn open_engine(&self) -> Result<Engine, EngineError> {
        self.open_engine_with(None).await
    }

    /// As [`Profile::open_engine`], with the file vault's passphrase given (asked on a terminal).
    pub async fn open_engine_with(
        &self,
        passphrase: Option<Secret>,
    ) -> Result<Engine, EngineError> {
        self.open_engine_on(self.vault(passphrase).await?).await
    }

    /// The engine over a vault already opened (by [`Profile::check_vault`]).
    pub async fn open_engine_on(&self, vault: Arc<dyn TokenVault>) -> Result<Engine, EngineError> {
        Engine::open(self.config.clone(), &self.paths.data_dir, vault, clock()).await
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
