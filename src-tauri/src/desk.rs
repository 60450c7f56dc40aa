//! The desktop app's state: which profile is open (a real Xero app, the demo, or none yet), the
//! sign-in in progress, and the bridge from engine changes to UI events. Commands stay thin by
//! calling in here; everything about tokens happens in tenantry-core.

use crate::ipc::{AppMode, ConnectResult, ConnectView, IpcError, Settings, SettingsView};
use crate::tray::TrayMenu;
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tauri::{AppHandle, Emitter, Manager};
use tenantry_core::config::{Config, RedirectMode};
use tenantry_core::login::{Link, PendingLogin, parse_link, redirect_uri};
use tenantry_core::model::{LoginId, LoginState};
use tenantry_core::profile::Profile;
use tenantry_core::watch::{
    Attention, KeepAliveSchedule, Level, RunVerdict, due_notices, login_level,
};
use tenantry_core::{Engine, EngineError, LoginOutcome};
use tenantry_tests::demo::Demo;
use tenantry_tests::fake_xero::FakeXero;
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;

pub const EVENT_CHANGED: &str = "tenantry:changed";
pub const EVENT_CONNECT_FINISHED: &str = "tenantry:connect-finished";
pub const EVENT_LINK_IGNORED: &str = "tenantry:deep-link-ignored";
/// Open the window on one login (a notification's click, the tray's attention item).
pub const EVENT_SHOW_LOGIN: &str = "tenantry:show-login";

/// Where the app was told to look (command-line flags; the environment is read by the core).
#[derive(Debug, Clone)]
pub struct Launch {
    pub profile: String,
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub demo: bool,
    /// `--demo-size LOGINSxORGS`: a demo with generated logins (to see the window at scale).
    pub demo_size: Option<(usize, usize)>,
    /// `--hidden`: start in the tray without a window (how start-at-login launches the app).
    pub hidden: bool,
    /// The length of "a minute" for the background loop's pacing. Debug builds accept
    /// `--test-minute-ms` so a test sees hours of back-off in seconds; release builds do not.
    pub minute: std::time::Duration,
}

impl Launch {
    pub fn new(profile: String) -> Self {
        Self {
            profile,
            config: None,
            data_dir: None,
            demo: false,
            demo_size: None,
            hidden: false,
            minute: std::time::Duration::from_secs(60),
        }
    }
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
    /// Read when the window is closed (configuration `close_to_tray`).
    pub close_to_tray: AtomicBool,
    /// Stops the background loop of the profile open before, when another one opens.
    watching: Mutex<CancellationToken>,
    /// Since when keep-alive has not reached Xero (for the "cannot reach Xero" notice).
    unreachable_since: Mutex<Option<DateTime<Utc>>>,
}

impl Desk {
    pub fn new(launch: Launch) -> Self {
        Self {
            launch,
            open: RwLock::new(None),
            connecting: Mutex::new(None),
            refreshing: Mutex::new(HashSet::new()),
            close_to_tray: AtomicBool::new(true),
            watching: Mutex::new(CancellationToken::new()),
            unreachable_since: Mutex::new(None),
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
        let watching = CancellationToken::new();
        let previous = std::mem::replace(
            &mut *self.watching.lock().expect("watch lock"),
            watching.clone(),
        );
        previous.cancel();
        self.close_to_tray
            .store(engine.config().close_to_tray, Ordering::SeqCst);
        let mut changes = engine.subscribe();
        let handle = app.clone();
        let stop = watching.clone();
        tauri::async_runtime::spawn(async move {
            // A lagging receiver only means several changes happened: one update covers them.
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    change = changes.recv() => match change {
                        Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            let _ = handle.emit(EVENT_CHANGED, ());
                            handle.state::<Desk>().watch_over(&handle).await;
                        }
                        Err(_) => break,
                    },
                }
            }
        });
        // Another process (a CLI run) may change logins too; SQLite says so cheaply.
        let watched = engine.clone();
        let handle = app.clone();
        let stop = watching.clone();
        tauri::async_runtime::spawn(async move {
            let mut seen = watched.external_changes().ok();
            while !stop.is_cancelled() {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                let now = watched.external_changes().ok();
                if now != seen {
                    seen = now;
                    let _ = handle.emit(EVENT_CHANGED, ());
                    handle.state::<Desk>().watch_over(&handle).await;
                }
            }
        });
        let handle = app.clone();
        let minute = self.launch.minute;
        tauri::async_runtime::spawn(async move {
            tokio::select! {
                _ = watching.cancelled() => {}
                _ = background(handle, engine, minute) => {}
            }
        });
        let _ = app.emit(EVENT_CHANGED, ());
    }

    /// Brings the tray and the notifications up to date with the logins.
    pub async fn watch_over(&self, app: &AppHandle) {
        let Ok(engine) = self.engine().await else {
            return;
        };
        let Ok(logins) = engine.logins() else {
            return;
        };
        let config = engine.config();
        let now = engine.now();
        if let Some(menu) = app.try_state::<TrayMenu>() {
            crate::tray::show(app, &menu, &Attention::of(&logins, now, config.notify_days));
        }
        let since = *self.unreachable_since.lock().expect("watch lock");
        let said = engine.notices_said().unwrap_or_default();
        for notice in due_notices(&logins, now, config.notify_days, since, &said) {
            // Recorded first: a notification daemon that fails must not make it repeat each minute.
            if engine.record_notice(&notice.key).is_ok() {
                crate::notices::say(app, &notice);
            }
        }
    }

    /// "Refresh all" (the tray and the header button), marking each login as refreshing meanwhile.
    pub async fn refresh_all(&self, app: &AppHandle) {
        let Ok(engine) = self.engine().await else {
            return;
        };
        let marked: Vec<LoginId> = engine
            .logins()
            .unwrap_or_default()
            .into_iter()
            .filter(|l| l.state != LoginState::NeedsReconnect)
            .map(|l| l.id)
            .collect();
        for id in &marked {
            self.set_refreshing(id.as_str(), true);
        }
        let _ = app.emit(EVENT_CHANGED, ());
        match engine.refresh_all().await {
            Ok(results) => {
                // A login that needs a reconnect was left unmarked and fails without asking Xero;
                // the window already says so.
                for (login, result) in results {
                    match result {
                        Ok(_) | Err(EngineError::NeedsReconnect { .. }) => {}
                        Err(e) => {
                            tracing::warn!(login = %login.id, code = e.code(), "refresh all: one login failed")
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "refresh all could not list the logins"),
        }
        for id in &marked {
            self.set_refreshing(id.as_str(), false);
        }
        let _ = app.emit(EVENT_CHANGED, ());
    }

    /// The login most in need of a human: needing a reconnect first, then failing ones.
    pub async fn first_needing_attention(&self) -> Option<LoginId> {
        let engine = self.engine().await.ok()?;
        let (now, days) = (engine.now(), engine.config().notify_days);
        engine
            .logins()
            .ok()?
            .into_iter()
            .map(|l| (login_level(&l, now, days), l.id))
            .filter(|(level, _)| *level != Level::Fine)
            .max_by_key(|(level, _)| *level)
            .map(|(_, id)| id)
    }

    /// Shows the window scrolled to one login.
    pub fn show_login(&self, app: &AppHandle, login: &LoginId) {
        show_window(app);
        let _ = app.emit(EVENT_SHOW_LOGIN, login.as_str());
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
            Ok(Link::Login(login)) => {
                let known = match self.engine().await {
                    Ok(engine) => engine
                        .logins()
                        .unwrap_or_default()
                        .iter()
                        .any(|l| l.id == login),
                    Err(_) => false,
                };
                return if known {
                    self.show_login(app, &login)
                } else {
                    show_window(app);
                    ignore("names no login of this profile")
                };
            }
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
                notify_days: c.notify_days,
                close_to_tray: c.close_to_tray,
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
        config.notify_days = input.notify_days;
        config.close_to_tray = input.close_to_tray;
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

fn finish(app: &AppHandle, outcome: Result<LoginOutcome, EngineError>) {
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

/// Shows, restores and focuses the main window (it may be hidden in the tray).
pub fn show_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// The app's background loop while a profile is open: keep-alive at start and hourly (backing
/// off while Xero cannot be reached), and every minute refreshing logins in use ahead of expiry
/// and bringing the tray and notifications up to date. Each keep-alive run is logged.
async fn background(app: AppHandle, engine: Engine, minute: std::time::Duration) {
    let scale = |wait: chrono::Duration| minute.mul_f64(wait.num_seconds().max(0) as f64 / 60.0);
    let mut schedule = KeepAliveSchedule::default();
    let mut next_run = tokio::time::Instant::now();
    loop {
        if tokio::time::Instant::now() >= next_run {
            let days = engine.config().keepalive_days;
            let wait = match engine.keepalive(chrono::Duration::days(days.into())).await {
                Ok(reports) => {
                    let verdict = RunVerdict::of(&reports);
                    let wait = schedule.after_run(verdict, engine.now());
                    let note = match verdict {
                        RunVerdict::Offline => format!(
                            "; Xero could not be reached, next try in {} min",
                            wait.num_minutes()
                        ),
                        _ => String::new(),
                    };
                    engine.record_keepalive_run(&reports, false, &note);
                    wait
                }
                Err(e) => {
                    tracing::warn!(error = %e, "keep-alive could not run");
                    tenantry_core::watch::OFFLINE_FIRST_RETRY
                }
            };
            *app.state::<Desk>()
                .unreachable_since
                .lock()
                .expect("watch lock") = schedule.unreachable_since();
            next_run = tokio::time::Instant::now() + scale(wait);
        }
        match engine
            .refresh_in_use(chrono::Duration::minutes(30), chrono::Duration::minutes(5))
            .await
        {
            Ok(results) => {
                for (login, result) in results {
                    if let Err(e) = result {
                        tracing::warn!(%login, code = e.code(), "refreshing a login in use failed");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not list logins in use"),
        }
        app.state::<Desk>().watch_over(&app).await;
        let until_run = next_run.saturating_duration_since(tokio::time::Instant::now());
        tokio::time::sleep(until_run.min(minute)).await;
    }
}

pub fn login_id(raw: &str) -> Result<LoginId, IpcError> {
    LoginId::new(raw).map_err(|e| IpcError::new("unknown_login", e.to_string()))
}
