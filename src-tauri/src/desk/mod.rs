//! The desktop app's state: which profile is open (a real Xero app, the demo, or none yet), the
//! sign-in in progress ([`connecting`]), and which logins a refresh started from the window is
//! running for. It holds no policy: the engine does the work, and the core's [`Keeper`] watches
//! over the open profile; this relays what the keeper publishes to the window (events), to the
//! tray (the lookout) and to the notifications (the notices), which each subscribe here.

mod connecting;
mod opening;
mod settings;

use crate::ipc::{AppMode, IpcError, UiEvent};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tauri::AppHandle;
use tenantry_core::model::{LoginId, LoginState};
use tenantry_core::profile::Profile;
use tenantry_core::secret::Secret;
use tenantry_core::watch::{Keeper, Lookout, Notice, first_needing_attention};
use tenantry_core::{Engine, EngineError, ErrorCode};
use tokio::sync::{RwLock, mpsc, watch};

pub use connecting::Connecting;
pub use settings::settings_view;

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
    /// The length of "a minute" for the keeper's pacing. Debug builds accept
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

/// What keeps the demo's fake Xero running while the demo is open; nothing without the demo.
#[cfg(feature = "demo")]
type DemoRun = tenantry_demo::Demo;
#[cfg(not(feature = "demo"))]
type DemoRun = std::convert::Infallible;

/// An open profile.
pub struct Open {
    pub mode: AppMode,
    pub profile: Profile,
    pub engine: Engine,
    /// Watches over the profile until another one opens (dropping it stops it).
    _keeper: Keeper,
    /// The gateway and token agent, while Settings' "Serve the Xero API to local programs" is on.
    _gateway: Option<tenantry_gateway::Hosted>,
    _demo: Option<DemoRun>,
}

/// What the tray and the notifications follow, for the app's whole life (whichever profile is
/// open).
pub struct Relays {
    pub lookout: watch::Receiver<Lookout>,
    pub notices: mpsc::UnboundedReceiver<Notice>,
}

pub struct Desk {
    pub launch: Launch,
    open: RwLock<Option<Open>>,
    connecting: Mutex<Option<Connecting>>,
    refreshing: Mutex<HashSet<String>>,
    /// Read when the window is closed (configuration `close_to_tray`).
    pub close_to_tray: AtomicBool,
    lookout: watch::Sender<Lookout>,
    notices: mpsc::UnboundedSender<Notice>,
    /// Why the last start could not open what it was asked to (no keychain, a broken
    /// configuration): the window shows it, with its fix, instead of a welcome.
    problem: Mutex<Option<IpcError>>,
    /// The file vault's passphrase, as typed in the window (else `TENANTRY_PASSPHRASE` is used).
    passphrase: Mutex<Option<Secret>>,
}

impl Desk {
    pub fn new(launch: Launch) -> (Self, Relays) {
        let (lookout, following) = watch::channel(Lookout::default());
        let (notices, to_say) = mpsc::unbounded_channel();
        let desk = Self {
            launch,
            open: RwLock::new(None),
            connecting: Mutex::new(None),
            refreshing: Mutex::new(HashSet::new()),
            close_to_tray: AtomicBool::new(true),
            lookout,
            notices,
            problem: Mutex::new(None),
            passphrase: Mutex::new(None),
        };
        let relays = Relays {
            lookout: following,
            notices: to_say,
        };
        (desk, relays)
    }

    /// The gateway and its token agent for `engine`, when the profile says to serve them; a port
    /// already taken (a `tenantry gateway` running) is logged, and the app goes on without.
    async fn serve_gateway(
        &self,
        profile: &Profile,
        engine: &Engine,
    ) -> Option<tenantry_gateway::Hosted> {
        let config = engine.config();
        if !config.serve_gateway {
            return None;
        }
        // The gateway of the profile open before lets go of the port a moment after it is dropped.
        let mut tries = 0;
        loop {
            // The key is kept in the vault the engine already opened: with a file vault, opening
            // it again would derive its key (a fifth of a second of scrypt) a second time.
            let started = tenantry_gateway::Hosted::start(
                engine.clone(),
                &profile.paths.data_dir,
                config.gateway_port,
            )
            .await;
            match started {
                Ok(hosted) => {
                    tracing::info!(url = %hosted.serving.url(), "serving the Xero API to local programs");
                    return Some(hosted);
                }
                Err(tenantry_gateway::HostError::Gateway(
                    tenantry_gateway::GatewayError::PortInUse { .. },
                )) if tries < 20 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "not serving the Xero API");
                    return None;
                }
            }
        }
    }

    /// Makes `engine` the open profile, with a keeper watching over it and its lookout and
    /// notices relayed until another profile opens.
    async fn install(
        &self,
        app: &AppHandle,
        mode: AppMode,
        profile: Profile,
        engine: Engine,
        demo: Option<DemoRun>,
    ) {
        self.close_to_tray
            .store(engine.config().close_to_tray, Ordering::SeqCst);
        // The profile open before (its gateway holds the port and the agent's socket) goes first.
        drop(self.open.write().await.take());
        let (keeper, notices) = Keeper::start(engine.clone(), self.launch.minute);
        let gateway = self.serve_gateway(&profile, &engine).await;
        relay(app, keeper.lookout(), self.lookout.clone());
        relay_notices(notices, self.notices.clone());
        *self.open.write().await = Some(Open {
            mode,
            profile,
            engine,
            _keeper: keeper,
            _gateway: gateway,
            _demo: demo,
        });
        UiEvent::Changed.emit(app);
    }

    /// The open profile's engine.
    pub async fn engine(&self) -> Result<Engine, IpcError> {
        self.open
            .read()
            .await
            .as_ref()
            .map(|o| o.engine.clone())
            .ok_or_else(|| {
                IpcError::new(
                    ErrorCode::Config,
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

    /// The open profile, or the launch's profile as configured (the first-run screen).
    pub async fn profile(&self) -> Result<Profile, IpcError> {
        if let Some(open) = self.open.read().await.as_ref() {
            return Ok(open.profile.clone());
        }
        self.load_profile()
    }

    fn load_profile(&self) -> Result<Profile, IpcError> {
        Ok(Profile::load_with(
            &self.launch.profile,
            self.launch.config.as_deref(),
            self.launch.data_dir.as_deref(),
        )?)
    }

    /// "Refresh all" (the tray and the header button), marking each login as refreshing meanwhile.
    pub async fn refresh_all(&self, app: &AppHandle) {
        let Ok(engine) = self.engine().await else {
            return;
        };
        let marked: Vec<LoginId> = engine
            .logins()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|l| l.state != LoginState::NeedsReconnect)
            .map(|l| l.id)
            .collect();
        for id in &marked {
            self.set_refreshing(id.as_str(), true);
        }
        UiEvent::Changed.emit(app);
        match engine.refresh_all().await {
            Ok(results) => {
                // A login that needs a reconnect was left unmarked and fails without asking Xero;
                // the window already says so.
                for (login, result) in results {
                    match result {
                        Ok(_) | Err(EngineError::NeedsReconnect { .. }) => {}
                        Err(e) => {
                            tracing::warn!(login = %login.id, code = ?e.code(), "refresh all: one login failed")
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "refresh all could not list the logins"),
        }
        for id in &marked {
            self.set_refreshing(id.as_str(), false);
        }
        UiEvent::Changed.emit(app);
    }

    /// Shows the window on the login most in need of a human, if any.
    pub async fn show_attention(&self, app: &AppHandle) {
        crate::window::show(app);
        let Ok(engine) = self.engine().await else {
            return;
        };
        let logins = engine.logins().await.unwrap_or_default();
        if let Some(login) =
            first_needing_attention(&logins, engine.now(), engine.config().notify_days)
        {
            self.show_login(app, &login);
        }
    }

    /// Shows the window scrolled to one login.
    pub fn show_login(&self, app: &AppHandle, login: &LoginId) {
        crate::window::show(app);
        UiEvent::ShowLogin(login.to_string()).emit(app);
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

/// Relays a keeper's lookout into the app's: a new revision tells the window to fetch again.
/// Ends when the keeper stops.
fn relay(app: &AppHandle, mut from: watch::Receiver<Lookout>, to: watch::Sender<Lookout>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut revision = from.borrow().revision;
        while from.changed().await.is_ok() {
            let lookout = from.borrow_and_update().clone();
            if lookout.revision != revision {
                revision = lookout.revision;
                UiEvent::Changed.emit(&app);
            }
            to.send_if_modified(|shown| {
                let changed = shown.attention != lookout.attention;
                *shown = lookout;
                changed
            });
        }
    });
}

/// Relays a keeper's notices to whoever says them. Ends when the keeper stops.
fn relay_notices(mut from: mpsc::UnboundedReceiver<Notice>, to: mpsc::UnboundedSender<Notice>) {
    tauri::async_runtime::spawn(async move {
        while let Some(notice) = from.recv().await {
            if to.send(notice).is_err() {
                return;
            }
        }
    });
}

/// A login id from the window, checked once.
pub fn login_id(raw: &str) -> Result<LoginId, IpcError> {
    LoginId::new(raw).map_err(|e| IpcError::new(ErrorCode::UnknownLogin, e.to_string()))
}
