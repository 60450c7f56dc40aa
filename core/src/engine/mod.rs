//! The engine: hands out valid access tokens and keeps every login alive. One module per duty:
//!
//! - [`tokens`]: a valid access token for an organisation, from the login that reaches it.
//! - [`refresh`]: the crash-safe, single-flight refresh protocol and its pure decisions.
//! - [`directory`]: which logins reach which tenant, and the selectors people type.
//! - [`check`]: confirming each login and its organisations at Xero (`/connections`).
//! - [`fleet`]: runs over every login (keep-alive, refresh-all, refreshing logins in use).
//! - [`signin`]: connecting a login through the browser (loopback or deep link).
//! - [`organisations`]: listing, testing and disconnecting organisations; removing a login.
//! - [`overview`]: the profile as every front end shows it, from one read of the store.
//! - [`db`]: the store and the vault, called off the async workers.
//!
//! The protocol itself is drawn in docs/ARCHITECTURE.md.

mod calls;
mod check;
mod custom;
mod db;
mod directory;
mod fleet;
mod handover;
mod mode;
mod organisations;
mod overview;
mod refresh;
mod reports;
mod select;
mod signin;
mod slot;
mod tokens;
mod usage;

pub use check::{CheckOutcome, LoginCheck, check_summary};
pub use fleet::{KeepAliveOutcome, KeepAliveReport, keepalive_summary};
pub use overview::{Connections, LoginStatus, Overview};
#[cfg(test)]
pub(crate) use overview::{Read as OverviewRead, overview as judge_overview};
pub use select::{MIN_ID_PREFIX, Naming, looks_like_tenant_id, select_login, select_organisation};
pub use signin::{LinkSignIn, LoginOutcome, LoopbackSignIn};
pub use tokens::AccessGrant;

use crate::clock::Clock;
use crate::config::Config;
use crate::error::EngineError;
use crate::model::{Event, EventKind, Login, LoginId, Organisation};
use crate::vault::TokenVault;
use crate::xero::XeroClient;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast;

/// How long Xero keeps accepting a refresh token after rotating it (FACTS §2.1).
pub const ROTATION_GRACE: Duration = Duration::minutes(30);
/// Token requests in flight at once for keep-alive and refresh-all: well under Xero's limits, and
/// quick for 1,000 logins.
pub const KEEPALIVE_CONCURRENCY: usize = 8;
/// How long a sign-in waits for the browser.
pub const LOGIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// What changed, for a UI that updates itself instead of polling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Login(LoginId),
    Organisations,
}

/// Wakes when another machine of the practice commits a change (see [`Engine::change_feed`]).
pub struct Changes(crate::store::postgres::ChangeFeed);

impl Changes {
    /// Returns once something changed since the last call (at once the first time).
    pub async fn changed(&mut self) {
        self.0.changed().await;
    }
}

/// What a front end is told as each login's part of a run over many ends.
pub type LoginDone = Arc<dyn Fn(&Login) + Send + Sync>;

/// A practice's store, sealed token sets and locks, all in its database, opened only once this
/// machine's practice key (in `machine_vault`) is checked against it.
async fn open_practice(
    config: &Config,
    machine_vault: Arc<dyn TokenVault>,
    clock: &Arc<dyn Clock>,
) -> Result<mode::Practice, EngineError> {
    let (kept, now) = (config.clone(), clock.now());
    let member =
        db::blocking(move || crate::practice::open(&kept, machine_vault.as_ref(), now)).await?;
    let seat = PracticeSeat {
        server: member.store.server().to_owned(),
        identity: member.identity.clone(),
        key_id: member.key.id(),
    };
    member.store.act_as(&member.identity);
    let sealed = Arc::new(crate::vault::SealedVault::new(
        member.store.clone(),
        member.key,
    ));
    Ok(mode::Practice::new(member.store, sealed, seat))
}

/// A machine's place in a practice, for status lines and Settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticeSeat {
    /// `host:port/database`.
    pub server: String,
    pub identity: crate::model::practice::Identity,
    /// The practice key this machine holds (a member that joined with another needs to rejoin).
    pub key_id: String,
}

#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    /// The vault the engine was opened with: the profile's keychain or file vault. In a practice
    /// it holds the practice key and Tenantry's own secrets (the gateway key), the token sets
    /// being the database's.
    machine_vault: Arc<dyn TokenVault>,
    mode: mode::Mode,
    db: db::Db,
    /// The `on_event` hooks' queue, when a command is configured.
    hooks: Option<crate::hooks::Hooks>,
    /// Told as each login's part of a run over many (refresh-all, keep-alive, check) ends.
    progress: std::sync::RwLock<Option<LoginDone>>,
    xero: XeroClient,
    clock: Arc<dyn Clock>,
    slots: RwLock<HashMap<LoginId, Arc<slot::Slot>>>,
    directory: directory::Directory,
    changes: broadcast::Sender<Change>,
    /// Long-running hosts (the desktop app) retry failed refreshes in the background, so an
    /// answer lost mid-rotation is recovered within Xero's grace even if nobody asks for a token.
    background_retries: AtomicBool,
}

impl Engine {
    /// Opens a profile's engine: the store in `data_dir`, the given vault and clock.
    pub async fn open(
        config: Config,
        data_dir: &Path,
        vault: Arc<dyn TokenVault>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, EngineError> {
        config.validate()?;
        let machine_vault = vault.clone();
        let (store, vault, mode): (Arc<dyn crate::store::Store>, Arc<dyn TokenVault>, _) =
            match config.database_url {
                None => {
                    let dir = data_dir.to_owned();
                    let store = db::blocking(move || crate::store::open(None, &dir)).await?;
                    let lock_dir = data_dir.join("locks");
                    (store, vault, mode::Mode::Local { lock_dir })
                }
                Some(_) => {
                    let practice = open_practice(&config, vault, &clock).await?;
                    (
                        practice.store.clone(),
                        practice.sealed.clone(),
                        mode::Mode::Practice(Box::new(practice)),
                    )
                }
            };
        let xero = XeroClient::with_timeout(
            config.xero.clone(),
            config.client_id.clone(),
            std::time::Duration::from_secs(config.timeout_secs),
        );
        let db = db::Db::new(store, vault);
        let hooks = config
            .on_event
            .clone()
            .map(|command| db.hooks(command, clock.clone()));
        let inner = Inner {
            config,
            machine_vault,
            mode,
            db,
            hooks,
            progress: std::sync::RwLock::new(None),
            xero,
            clock,
            slots: RwLock::default(),
            directory: directory::Directory::default(),
            changes: broadcast::channel(256).0,
            background_retries: AtomicBool::new(false),
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The vault this engine was opened with (the keychain, or the file vault already unlocked):
    /// where Tenantry's own secrets such as the gateway key live, so a host reuses it rather than
    /// opening the vault (and with a file vault, deriving its key) a second time.
    pub fn machine_vault(&self) -> Arc<dyn TokenVault> {
        self.inner.machine_vault.clone()
    }

    /// Practice mode's database and who this machine acts as; None for a local profile.
    pub fn practice(&self) -> Option<&PracticeSeat> {
        self.inner.mode.seat()
    }

    /// In a practice, the budget of Xero's limits every member machine's gateway shares; None
    /// for a local profile.
    pub fn shared_rates(&self) -> Option<crate::rates::SharedRates> {
        self.inner.mode.shared_rates()
    }

    /// Calls `done` as each login's part of a run over many logins ends (for a progress bar);
    /// None stops it.
    pub fn on_login_done(&self, done: Option<LoginDone>) {
        *self.inner.progress.write().expect("progress lock") = done;
    }

    /// Waits for the `on_event` hooks queued so far (each stopped after 10 s): what a short-lived
    /// process does before it exits, so a hook for its last event still runs.
    pub async fn settle_hooks(&self) {
        if let Some(hooks) = &self.inner.hooks {
            hooks.settle().await;
        }
    }

    /// Retry failed refreshes in the background (with the same backoff) until they succeed or
    /// need a human. For long-running hosts; a CLI run instead recovers at its next start.
    pub fn enable_background_retries(&self) {
        self.inner.background_retries.store(true, Ordering::SeqCst);
    }

    /// Changes when another process (a CLI run, a second window) has written to this profile's
    /// store since the last call; the desktop app checks it to stay current without polling data.
    pub async fn external_changes(&self) -> Result<i64, EngineError> {
        Ok(self.inner.db.run(|s| s.data_version()).await?)
    }

    /// Everyone who has joined the practice, and when each was last seen; empty for a local
    /// profile.
    pub async fn practice_members(
        &self,
    ) -> Result<Vec<crate::model::practice::Member>, EngineError> {
        self.inner.mode.members().await
    }

    /// In a practice, wakes as any machine's (or process's) writes commit: the database's own
    /// notifications, so a window shows them at once. None for a local profile, whose SQLite file
    /// says so only when asked ([`Engine::external_changes`]).
    pub fn change_feed(&self) -> Option<Changes> {
        self.inner.mode.change_feed().map(Changes)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.inner.changes.subscribe()
    }

    pub async fn logins(&self) -> Result<Vec<Login>, EngineError> {
        Ok(self.inner.db.run(|s| s.logins()).await?)
    }

    pub async fn organisations(&self) -> Result<Vec<Organisation>, EngineError> {
        Ok(self.inner.db.run(|s| s.organisations()).await?)
    }

    /// A login the activity log knows by exact id or email, listed or removed.
    pub async fn logged_login(&self, selector: &str) -> Result<Option<LoginId>, EngineError> {
        let selector = selector.to_owned();
        Ok(self
            .inner
            .db
            .run(move |s| s.logged_login(&selector))
            .await?)
    }

    pub async fn events(
        &self,
        login: Option<&LoginId>,
        limit: usize,
    ) -> Result<Vec<Event>, EngineError> {
        let login = login.cloned();
        Ok(self
            .inner
            .db
            .run(move |s| s.events(login.as_ref(), limit))
            .await?)
    }

    /// The newest event of a kind (e.g. when the scheduler last ran keep-alive).
    pub async fn last_event(&self, kind: EventKind) -> Result<Option<Event>, EngineError> {
        Ok(self.inner.db.run(move |s| s.last_event(kind)).await?)
    }

    /// When each desktop notice was last said.
    pub async fn notices_said(&self) -> Result<HashMap<String, DateTime<Utc>>, EngineError> {
        Ok(self.inner.db.run(|s| s.notices_said()).await?)
    }

    /// Records that a notice was said now.
    pub async fn record_notice(&self, key: &str) -> Result<(), EngineError> {
        let (key, now) = (key.to_owned(), self.now());
        Ok(self
            .inner
            .db
            .run(move |s| s.record_notice(&key, now))
            .await?)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Notes what Xero said was left of an organisation's calls for the day (the gateway reads
    /// `X-DayLimit-Remaining` from each answer). A note that cannot be written is logged only.
    pub async fn record_calls_left(&self, tenant_id: &str, day_left: u32) {
        let (tenant, now) = (tenant_id.to_owned(), self.now());
        let noted = self
            .inner
            .db
            .run(move |s| s.record_calls_left(&tenant, day_left, now))
            .await;
        match noted {
            // The window shows it beside each client.
            Ok(()) => self.inner.changed(Change::Organisations),
            Err(e) => tracing::debug!(error = %e, "could not note the calls left today"),
        }
    }

    /// Each organisation's calls left today (tenant id, lower case), as Xero last said them in
    /// the past 24 hours: Xero's day is a window of its own, so an older count says nothing.
    pub async fn calls_left_today(&self) -> Result<HashMap<String, u32>, EngineError> {
        let now = self.now();
        let all = self.inner.db.run(|s| s.calls_left()).await?;
        Ok(crate::health::calls_left_today(all, now))
    }
}

impl Inner {
    fn slot(&self, login: &LoginId) -> Arc<slot::Slot> {
        // Read-mostly: every token request looks its slot up; only a new login adds one.
        if let Some(slot) = self.slots.read().expect("slots lock").get(login) {
            return slot.clone();
        }
        self.slots
            .write()
            .expect("slots lock")
            .entry(login.clone())
            .or_default()
            .clone()
    }

    /// Appends to the activity log; a log that cannot be written must not fail the work it
    /// describes.
    async fn event(
        &self,
        login: Option<&LoginId>,
        kind: EventKind,
        tenant: Option<&str>,
        detail: String,
    ) {
        let (login, tenant, now) = (login.cloned(), tenant.map(str::to_owned), self.clock.now());
        let added = self
            .db
            .run(move |s| s.add_event(now, login.as_ref(), kind, tenant.as_deref(), &detail))
            .await;
        if let Err(e) = added {
            tracing::warn!(error = %e, "could not record an event");
        }
    }

    fn changed(&self, change: Change) {
        // Nobody listening (a CLI run) is fine.
        let _ = self.changes.send(change);
    }
}

#[cfg(test)]
impl Engine {
    /// An engine over a fresh store in `dir`, with an in-memory vault and the system clock, for
    /// unit tests of the engine and of what watches it.
    pub(crate) async fn for_test(dir: &Path) -> Engine {
        let config = Config {
            client_id: "CID".into(),
            ..Default::default()
        };
        let vault = Arc::new(crate::vault::MemoryVault::new());
        Engine::open(config, dir, vault, Arc::new(crate::clock::SystemClock))
            .await
            .unwrap()
    }

    /// Writes a login's row and its organisations straight to the store.
    pub(crate) async fn store_for_test(&self, login: Login, organisations: Vec<Organisation>) {
        self.inner
            .db
            .run(move |s| {
                s.upsert_login(&login)?;
                s.replace_organisations(&login.id, &organisations, chrono::Utc::now())?;
                Ok(())
            })
            .await
            .unwrap();
    }
}
