//! Opening what the launch asked for (the demo, the configured profile, or the first-run page),
//! and what the window shows when that fails: the problem, kept until a retry succeeds, and the
//! file vault's passphrase typed in the window.

use super::Desk;
use crate::ipc::{AppMode, IpcError, UiEvent};
use tauri::AppHandle;
use tenantry_core::ErrorCode;
use tenantry_core::secret::Secret;

impl Desk {
    /// Opens what the launch asked for: the demo, the configured profile, or nothing (first run),
    /// and remembers why it could not.
    pub async fn start(&self, app: &AppHandle) -> Result<(), IpcError> {
        let opened = if self.launch.demo {
            self.open_demo(app).await
        } else {
            self.open_launch(app).await
        };
        self.note_start(app, &opened);
        opened
    }

    /// Starts the demo (the first-run page's button), and remembers why it could not.
    pub async fn start_demo(&self, app: &AppHandle) -> Result<(), IpcError> {
        let opened = self.open_demo(app).await;
        self.note_start(app, &opened);
        opened
    }

    /// The passphrase typed in the window, if any.
    pub fn passphrase(&self) -> Option<Secret> {
        self.passphrase.lock().expect("passphrase lock").clone()
    }

    /// The problem screen's "Unlock": keeps the passphrase and opens the launch again with it.
    /// A wrong one is forgotten again, and the screen says so.
    pub async fn unlock(&self, app: &AppHandle, passphrase: Secret) -> Result<(), IpcError> {
        *self.passphrase.lock().expect("passphrase lock") = Some(passphrase);
        let opened = self.start(app).await;
        if opened.is_err() {
            *self.passphrase.lock().expect("passphrase lock") = None;
        }
        opened
    }

    /// Whether the problem shown asks for the passphrase of a file vault not made yet, which the
    /// window then asks for twice. Looked at only while that problem stands.
    pub fn asks_for_new_vault(&self) -> bool {
        let asking = self
            .problem()
            .is_some_and(|p| p.code == ErrorCode::Passphrase);
        asking && self.load_profile().is_ok_and(|p| !p.file_vault_exists())
    }

    /// Why the last start failed, if it did.
    pub fn problem(&self) -> Option<IpcError> {
        self.problem.lock().expect("problem lock").clone()
    }

    fn note_start(&self, app: &AppHandle, opened: &Result<(), IpcError>) {
        if let Err(e) = opened {
            tracing::error!(code = ?e.code, "{}", e.message);
        }
        *self.problem.lock().expect("problem lock") = opened.as_ref().err().cloned();
        UiEvent::Changed.emit(app);
    }

    async fn open_launch(&self, app: &AppHandle) -> Result<(), IpcError> {
        let profile = self.load_profile()?;
        // Before the welcome, too: signing in would fail at its very end, storing the tokens.
        let vault = profile.check_vault(self.passphrase()).await?;
        if profile.config.client_id.is_empty() {
            *self.open.write().await = None;
            return Ok(());
        }
        #[cfg(feature = "demo")]
        let mode = if tenantry_demo::is_demo(&profile.config) {
            AppMode::Demo
        } else {
            AppMode::Xero
        };
        #[cfg(not(feature = "demo"))]
        let mode = AppMode::Xero;
        let engine = profile.open_engine_on(vault).await?;
        self.install(app, mode, profile, engine, None).await;
        Ok(())
    }

    /// Starts the built-in fake Xero with a demo profile and its test users signed in, so the
    /// window shows real logins, organisations, a refresh and a login that needs a human at once.
    #[cfg(feature = "demo")]
    async fn open_demo(&self, app: &AppHandle) -> Result<(), IpcError> {
        let profile = match self.launch.profile.as_str() {
            "default" => "demo",
            other => other,
        };
        let seed = match self.launch.demo_size {
            Some((logins, orgs)) => tenantry_demo::Seed::generated(logins, orgs),
            None => tenantry_demo::Seed::standard(),
        };
        let spec = tenantry_demo::DemoSpec {
            profile,
            config_override: self.launch.config.as_deref(),
            data_override: self.launch.data_dir.as_deref(),
            port: 0,
            auto_approve: None,
            seed,
        };
        let (demo, engine) = match tenantry_demo::start_seeded(spec).await {
            Ok(started) => started,
            // `tenantry demo` (or another window) runs this profile's demo: open it as it is,
            // rather than point the profile at a second fake under it.
            Err(tenantry_demo::DemoError::AlreadyRunning { url }) => {
                tracing::info!(%url, "joining the demo already running for this profile");
                let profile = tenantry_core::profile::Profile::load_with(
                    profile,
                    self.launch.config.as_deref(),
                    self.launch.data_dir.as_deref(),
                )?;
                let engine = profile.open_engine().await?;
                self.install(app, AppMode::Demo, profile, engine, None)
                    .await;
                return Ok(());
            }
            Err(tenantry_demo::DemoError::Setup(reason)) => {
                return Err(IpcError::new(ErrorCode::Config, reason));
            }
            Err(tenantry_demo::DemoError::Engine(e)) => return Err(e.into()),
        };
        let profile = demo.profile.clone();
        self.install(app, AppMode::Demo, profile, engine, Some(demo))
            .await;
        Ok(())
    }

    #[cfg(not(feature = "demo"))]
    async fn open_demo(&self, _app: &AppHandle) -> Result<(), IpcError> {
        Err(IpcError::new(
            ErrorCode::Config,
            "this build of Tenantry has no demo; enter a Client ID in Settings",
        ))
    }
}
