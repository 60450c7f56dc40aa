//! The desktop app's state: which profile is open (a real Xero app, the demo, or none yet), the
//! sign-in in progress, and the bridge from engine changes to UI events. Commands stay thin by
//! calling in here; everything about tokens happens in tenantry-core.

use crate::ipc::{AppMode, ConnectResult, ConnectView, IpcError, Settings, SettingsView};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;
use tauri::{AppHandle, Emitter};
use tenantry_core::config::{Config, RedirectMode};
use tenantry_core::login::{Link, PendingLogin, parse_link, redirect_uri};
use tenantry_core::model::LoginId;
use tenantry_core::profile::Profile;
use tenantry_core::{Engine, LoginOutcome};
use tenantry_tests::demo::Demo;
use tenantry_tests::fake_xero::FakeXero;
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;

pub const EVENT_CHANGED: &str = "tenantry:changed";
pub const EVENT_CONNECT_FINISHED: &str = "tenantry:connect-finished";
pub const EVENT_LINK_IGNORED: &str = "tenantry:deep-link-ignored";

/// Where the app was told to look (command-line flags; the environment is read by the core).
#[derive(Debug, Clone, Default)]
pub struct Launch {
    pub profile: String,
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub demo: bool,
    /// `--demo-size LOGINSxORGS`: a demo with generated logins (to see the window at scale).
    pub demo_size: Option<(usize, usize)>,
}

pub struct Open {
    pub mode: AppMode,
    pub profile: Profile,
    pub engine: Engine,
    /// Keeps the demo's fake Xero running while the demo is open.
    pub _fake: Option<FakeXero>,
}

pub struct Connecting {
    pub view: ConnectView,
    pub cancel: CancellationToken,
    /// Deep-link mode: the sign-in waiting for its `tenantry://` callback.
    pub awaiting_link: Option<PendingLogin>,
}

pub struct Desk {
    pub launch: Launch,
    pub open: RwLock<Option<Open>>,
    pub connecting: Mutex<Option<Connecting>>,
    pub refreshing: Mutex<HashSet<String>>,
}

impl Desk {
    pub fn new(launch: Launch) -> Self {
        Self {
            launch,
            open: RwLock::new(None),
            connecting: Mutex::new(None),
            refreshing: Mutex::new(HashSet::new()),
        }
    }

    /// Opens what the launch asked for: the demo, the configured profile, or nothing (first run).
    pub async fn start(&self, app: &AppHandle) -> Result<(), IpcError> {
        if self.launch.demo {
            return self.start_demo(app).await;
        }
        let profile = Profile::load_with(
            &self.launch.profile,
            self.launch.config.as_deref(),
            self.launch.data_dir.as_deref(),
        )?;
        if profile.config.client_id.is_empty() {
            *self.open.write().await = None;
            return Ok(());
        }
        let mode = if profile.config.client_id == tenantry_tests::demo::DEMO_CLIENT_ID {
            AppMode::Demo
        } else {
            AppMode::Xero
        };
        self.install(
            app,
            Open {
                mode,
                engine: profile.open_engine()?,
                profile,
                _fake: None,
            },
        )
        .await;
        Ok(())
    }

    /// Starts the built-in fake Xero with a demo profile and signs its three test users in, so the
    /// window shows real logins, organisations, a refresh and a login that needs a human at once.
    pub async fn start_demo(&self, app: &AppHandle) -> Result<(), IpcError> {
        let profile = if self.launch.profile == "default" {
            "demo"
        } else {
            &self.launch.profile
        };
        let seed = match self.launch.demo_size {
            Some((logins, orgs)) => tenantry_tests::fake_xero::Seed::generated(logins, orgs),
            None => tenantry_tests::fake_xero::Seed::standard(),
        };
        let users: Vec<String> = seed.users.iter().map(|u| u.email.clone()).collect();
        let Demo { fake, profile } = tenantry_tests::demo::start(
            profile,
            self.launch.config.as_deref(),
            self.launch.data_dir.as_deref(),
            0,
            None,
            seed,
        )
        .await
        .map_err(|e| IpcError::new("config", e))?;
        let engine = profile.open_engine()?;
        for user in &users {
            tenantry_tests::browser::sign_in(&engine, &fake, user).await?;
        }
        // Show what a refresh and a problem look like: Ann refreshed, and Cara's grant revoked at
        // the fake, so her login needs reconnecting (which the user can try from the window).
        let logins = engine.logins()?;
        if let Some(ann) = logins.iter().find(|l| l.email == "ann@example.com") {
            engine.refresh_login(&ann.id).await?;
        }
        if let Some(cara) = logins.iter().find(|l| l.email == "cara@example.com") {
            fake.revoke_user(&cara.email);
            let _ = engine.refresh_login(&cara.id).await; // fails: needs reconnect
        }
        fake.approve_as(None); // from now on the fake shows its sign-in page, as Xero would
        self.install(
            app,
            Open {
                mode: AppMode::Demo,
                profile,
                engine,
                _fake: Some(fake),
            },
        )
        .await;
        Ok(())
    }

    async fn install(&self, app: &AppHandle, open: Open) {
        let engine = open.engine.clone();
        engine.enable_background_retries();
        *self.open.write().await = Some(open);
        // Finish refreshes a crash left unfinished, then forward every engine change to the UI.
        let recovering = engine.clone();
        tauri::async_runtime::spawn(async move {
            for (login, result) in recovering.recover().await {
                if let Err(e) = result {
                    tracing::warn!(%login, error = %e, "recovering an interrupted refresh failed");
                }
            }
        });
        let mut changes = engine.subscribe();
        let handle = app.clone();
        tauri::async_runtime::spawn(async move {
            // A lagging receiver only means several changes happened: one refresh covers them.
            while let Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) =
                changes.recv().await
            {
                let _ = handle.emit(EVENT_CHANGED, ());
            }
        });
        // Another process (a CLI run) may change logins too; SQLite says so cheaply.
        let watched = engine.clone();
        let handle = app.clone();
        tauri::async_runtime::spawn(async move {
            let mut seen = watched.external_changes().ok();
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                let now = watched.external_changes().ok();
                if now != seen {
                    seen = now;
                    let _ = handle.emit(EVENT_CHANGED, ());
                }
            }
        });
        let keepalive = engine.clone();
        tauri::async_runtime::spawn(async move {
            // Keep logins alive before Xero's 60 days: check at start and every hour.
            loop {
                let days = keepalive.config().keepalive_days;
                if let Err(e) = keepalive
                    .keepalive(chrono::Duration::days(days.into()))
                    .await
                {
                    tracing::warn!(error = %e, "keep-alive failed");
                }
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            }
        });
        let _ = app.emit(EVENT_CHANGED, ());
    }

    pub async fn engine(&self) -> Result<Engine, IpcError> {
        self.open
            .read()
            .await
            .as_ref()
            .map(|o| o.engine.clone())
            .ok_or_else(|| {
                IpcError::new(
                    "config",
                    "no Xero app is set up yet; enter a Client ID in Settings or try the demo",
                )
            })
    }

    pub async fn mode(&self) -> AppMode {
        self.open
            .read()
            .await
            .as_ref()
            .map_or(AppMode::Unconfigured, |o| o.mode)
    }

    /// Starts a sign-in and opens the browser on Xero's page. The result arrives as the
    /// `tenantry:connect-finished` event.
    pub async fn connect(
        &self,
        app: &AppHandle,
        reconnect: Option<String>,
    ) -> Result<ConnectView, IpcError> {
        let engine = self.engine().await?;
        let expected = reconnect
            .as_deref()
            .map(|id| engine.resolve_login(id))
            .transpose()?;
        if let Some(previous) = self.connecting.lock().expect("connect lock").take() {
            previous.cancel.cancel();
        }
        let config = engine.config().clone();
        let expected_id = expected.as_ref().map(|l| l.id.clone());
        let pending = match (&config.redirect_mode, &config.bounce_url) {
            (RedirectMode::DeepLink, Some(bounce)) => {
                engine.begin_login_without_listener(expected_id, bounce.as_str())?
            }
            _ => engine.begin_login(expected_id).await?,
        };
        let view = ConnectView {
            authorize_url: pending.authorize_url().to_string(),
            reconnect_email: expected.map(|l| l.email),
        };
        let cancel = CancellationToken::new();
        let awaiting_link = if config.redirect_mode == RedirectMode::DeepLink {
            Some(pending)
        } else {
            let (engine, cancel, app) = (engine.clone(), cancel.clone(), app.clone());
            tauri::async_runtime::spawn(async move {
                let outcome = engine.complete_login(pending, cancel).await;
                finish(&app, outcome);
            });
            None
        };
        *self.connecting.lock().expect("connect lock") = Some(Connecting {
            view: view.clone(),
            cancel,
            awaiting_link,
        });
        self.open_page_again()?;
        Ok(view)
    }

    pub fn open_page_again(&self) -> Result<(), IpcError> {
        let url = self
            .connecting
            .lock()
            .expect("connect lock")
            .as_ref()
            .map(|c| c.view.authorize_url.clone());
        let url = url.ok_or_else(|| IpcError::new("cancelled", "no sign-in is in progress"))?;
        tenantry_core::browser::open(&url).map_err(|e| {
            IpcError::new(
                "browser",
                format!("could not open a browser ({e}); copy the address into one"),
            )
        })
    }

    pub fn cancel_connect(&self) {
        if let Some(attempt) = self.connecting.lock().expect("connect lock").take() {
            attempt.cancel.cancel();
        }
    }

    pub fn connecting_view(&self) -> Option<ConnectView> {
        self.connecting
            .lock()
            .expect("connect lock")
            .as_ref()
            .map(|c| c.view.clone())
    }

    /// A `tenantry://` link: a sign-in callback is accepted only if its state matches the sign-in
    /// waiting for one; anything else (malformed, unsolicited, replayed) is ignored and logged
    /// without its query, which may carry a code.
    pub async fn deep_link(&self, app: &AppHandle, url: &url::Url) {
        let ignore = |why: &str| {
            tracing::warn!(why, "ignored a tenantry:// link");
            let _ = app.emit(EVENT_LINK_IGNORED, ());
        };
        let (state, query) = match parse_link(url.as_str()) {
            Ok(Link::OAuthCallback { state, query }) => (state, query),
            Err(e) => return ignore(e.code()),
        };
        let pending = {
            let mut connecting = self.connecting.lock().expect("connect lock");
            let matches = connecting
                .as_ref()
                .and_then(|c| c.awaiting_link.as_ref())
                .is_some_and(|p| p.state() == state);
            if matches {
                connecting.take().and_then(|c| c.awaiting_link)
            } else {
                None
            }
        };
        let Some(pending) = pending else {
            return ignore("matches no sign-in in progress");
        };
        let Ok(engine) = self.engine().await else {
            return;
        };
        let outcome = engine.complete_login_from_callback(pending, &query).await;
        finish(app, outcome);
    }

    pub fn settings_view(&self, profile: &Profile, mode: AppMode) -> SettingsView {
        let c = &profile.config;
        SettingsView {
            settings: Settings {
                client_id: if mode == AppMode::Demo {
                    String::new()
                } else {
                    c.client_id.clone()
                },
                redirect_ports: c.redirect_ports.clone(),
                scopes: c.scopes.clone(),
                keepalive_days: c.keepalive_days,
                redirect_mode: match c.redirect_mode {
                    RedirectMode::Loopback => "loopback",
                    RedirectMode::DeepLink => "deep_link",
                }
                .into(),
                bounce_url: c.bounce_url.as_ref().map(|u| u.to_string()),
            },
            redirect_uris: c.redirect_ports.iter().map(|p| redirect_uri(*p)).collect(),
            data_dir: profile.paths.data_dir.display().to_string(),
            config_file: profile.paths.config_file.display().to_string(),
            mode,
        }
    }

    /// Saves settings to the real profile (never the demo's) and opens it.
    pub async fn save_settings(
        &self,
        app: &AppHandle,
        input: Settings,
    ) -> Result<SettingsView, IpcError> {
        let profile = Profile::load_with(
            &self.launch.profile,
            self.launch.config.as_deref(),
            self.launch.data_dir.as_deref(),
        )?;
        let mut config: Config = profile.config.clone();
        config.client_id = input.client_id.trim().to_owned();
        config.redirect_ports = input.redirect_ports;
        config.scopes = input.scopes;
        config.keepalive_days = input.keepalive_days;
        config.redirect_mode = if input.redirect_mode == "deep_link" {
            RedirectMode::DeepLink
        } else {
            RedirectMode::Loopback
        };
        config.bounce_url = match input
            .bounce_url
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => Some(raw.parse().map_err(|_| {
                IpcError::new(
                    "config",
                    format!("configuration key `bounce_url`: `{raw}` is not an https address"),
                )
            })?),
            None => None,
        };
        if config.client_id.is_empty() {
            return Err(IpcError::new(
                "config",
                "configuration key `client_id`: paste the Client ID of your Xero app",
            ));
        }
        config
            .save(&profile.paths.config_file)
            .map_err(|e| IpcError::new("config", e.to_string()))?;
        let profile = Profile { config, ..profile };
        let engine = profile.open_engine()?;
        let view = self.settings_view(&profile, AppMode::Xero);
        self.install(
            app,
            Open {
                mode: AppMode::Xero,
                profile,
                engine,
                _fake: None,
            },
        )
        .await;
        Ok(view)
    }

    pub fn set_refreshing(&self, login: &str, on: bool) {
        let mut set = self.refreshing.lock().expect("refreshing lock");
        if on {
            set.insert(login.to_owned())
        } else {
            set.remove(login)
        };
    }

    pub fn is_refreshing(&self, login: &str) -> bool {
        self.refreshing
            .lock()
            .expect("refreshing lock")
            .contains(login)
    }
}

fn finish(app: &AppHandle, outcome: Result<LoginOutcome, tenantry_core::EngineError>) {
    use tauri::Manager;
    if let Some(desk) = app.try_state::<Desk>() {
        desk.connecting.lock().expect("connect lock").take();
    }
    let result = match outcome {
        Ok(o) => ConnectResult {
            login_name: Some(o.login.name.clone()),
            login_email: Some(o.login.email.clone()),
            added: o.added.iter().map(|org| org.name.clone()).collect(),
            intended_email: o.expected_other.map(|l| l.email),
            error: o
                .organisations_error
                .map(|m| IpcError::new("unreachable", m)),
        },
        Err(e) => ConnectResult {
            login_name: None,
            login_email: None,
            added: Vec::new(),
            intended_email: None,
            error: Some(e.into()),
        },
    };
    let _ = app.emit(EVENT_CONNECT_FINISHED, result);
    let _ = app.emit(EVENT_CHANGED, ());
}

pub fn login_id(raw: &str) -> Result<LoginId, IpcError> {
    LoginId::new(raw).map_err(|e| IpcError::new("unknown_login", e.to_string()))
}
