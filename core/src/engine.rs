//! The engine: hands out valid access tokens and keeps every login alive.
//!
//! The refresh protocol (see docs/ARCHITECTURE.md for the sequence):
//! 1. A caller whose cached access token is fresh gets it at once (no lock, no I/O).
//! 2. Otherwise the refresh runs in a spawned task, so a cancelled caller cannot abort it halfway,
//!    behind the login's async mutex (one flight per login per process) and then the login's OS
//!    file lock (one flight per login across processes).
//! 3. Under both locks the vault is read again: another process may already have refreshed.
//! 4. A journal intent (refresh-token fingerprint, start time) is written before the token
//!    endpoint is called; the new token set goes into the keychain before anyone uses it; then the
//!    metadata is updated and the intent cleared.
//! 5. An intent left behind (crash, lost answer, timeout) means Xero may have rotated the refresh
//!    token without us seeing the new one. Xero accepts the previous refresh token for 30 minutes,
//!    so any process that sees the intent refreshes again at once with the token still in the
//!    vault; [`Engine::recover`] does this at start-up.
//! 6. `invalid_grant` marks the login "needs reconnect" and is never retried; transient failures
//!    back off (1 s doubling to 5 min, or Retry-After) and keep serving a not-yet-expired token.

use crate::clock::Clock;
use crate::config::Config;
use crate::error::EngineError;
use crate::lock::LoginLock;
use crate::login::{CallbackListener, PendingLogin, Pkce, authorize_url};
use crate::model::{
    Event, EventKind, Login, LoginId, LoginState, Organisation, REFRESH_TOKEN_LIFETIME,
};
use crate::secret::Secret;
use crate::store::{RefreshIntent, Store};
use crate::token::TokenSet;
use crate::vault::TokenVault;
use crate::xero::{XeroClient, XeroError, access_claims};
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::{Semaphore, broadcast};
use tokio_util::sync::CancellationToken;

/// How long Xero keeps accepting a refresh token after rotating it (FACTS §2.1).
pub const ROTATION_GRACE: Duration = Duration::minutes(30);
/// Token requests in flight at once for keep-alive and refresh-all: well under Xero's limits, and
/// quick for 1,000 logins.
pub const KEEPALIVE_CONCURRENCY: usize = 8;
const MAX_BACKOFF: Duration = Duration::minutes(5);
/// A limit on concurrent token requests that a refresh takes only around the request itself
/// (keep-alive and refresh-all pass theirs; a caller's own refresh passes none).
type Gate = Option<Arc<Semaphore>>;
/// A login's use is written to the store at most this often per process.
const USE_NOTE_EVERY: Duration = Duration::minutes(1);
/// How long a sign-in waits for the browser.
pub const LOGIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// A valid access token for one organisation, and whose it is.
#[derive(Debug, Clone)]
pub struct AccessGrant {
    pub login_id: LoginId,
    /// Lower case, as the directory keeps it.
    pub tenant_id: Arc<str>,
    pub access_token: Secret,
    pub expires_at: DateTime<Utc>,
}

/// What changed, for a UI that updates itself instead of polling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Login(LoginId),
    Organisations,
}

/// The result of a sign-in.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub login: Login,
    /// The organisations this consent added (by `authEventId`, or newly seen ones).
    pub added: Vec<Organisation>,
    pub organisations: Vec<Organisation>,
    /// Set when a reconnect of this login came back signed in as someone else. The intended
    /// login is untouched; the one that signed in is stored as its own login.
    pub expected_other: Option<Login>,
    /// Set when the login was stored but its organisations could not be listed.
    pub organisations_error: Option<String>,
}

/// What keep-alive did for one login.
#[derive(Debug, Clone)]
pub struct KeepAliveReport {
    pub login: Login,
    pub outcome: KeepAliveOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeepAliveOutcome {
    /// Refreshed: the 60-day clock starts again.
    Refreshed { deadline: DateTime<Utc> },
    /// Young enough; nothing to do.
    NotDue { deadline: DateTime<Utc> },
    /// A human must reconnect it.
    NeedsReconnect { reason: String },
    /// The refresh failed and may succeed later.
    Failed { code: &'static str, message: String },
}

#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    lock_dir: PathBuf,
    store: Store,
    vault: Arc<dyn TokenVault>,
    xero: XeroClient,
    clock: Arc<dyn Clock>,
    slots: RwLock<HashMap<LoginId, Arc<Slot>>>,
    /// tenant id → logins reaching it, healthy ones first. Rebuilt from the store on change.
    directory: RwLock<HashMap<Arc<str>, Arc<[LoginId]>>>,
    changes: broadcast::Sender<Change>,
    /// Long-running hosts (the desktop app) retry failed refreshes in the background, so an
    /// answer lost mid-rotation is recovered within Xero's grace even if nobody asks for a token.
    background_retries: AtomicBool,
}

#[derive(Default)]
struct Slot {
    cached: RwLock<Option<Arc<TokenSet>>>,
    /// Held for the whole refresh: one flight per login in this process. Guards the backoff.
    flight: tokio::sync::Mutex<Backoff>,
    /// A background retry is scheduled for this login.
    retrying: AtomicBool,
    /// When this process last recorded a caller's use of the login (ms since the epoch).
    use_noted: AtomicI64,
}

#[derive(Default)]
struct Backoff {
    failures: u32,
    not_before: Option<DateTime<Utc>>,
    last: Option<XeroError>,
}

impl Slot {
    fn fresh(&self, now: DateTime<Utc>) -> Option<Arc<TokenSet>> {
        self.cached
            .read()
            .expect("slot lock")
            .as_ref()
            .filter(|t| t.is_fresh_at(now))
            .cloned()
    }

    fn unexpired(&self, now: DateTime<Utc>) -> Option<Arc<TokenSet>> {
        self.cached
            .read()
            .expect("slot lock")
            .as_ref()
            .filter(|t| now < t.expires_at)
            .cloned()
    }

    fn set(&self, tokens: Option<Arc<TokenSet>>) {
        *self.cached.write().expect("slot lock") = tokens;
    }
}

#[derive(Clone, PartialEq, Eq)]
enum Mode {
    /// Refresh only if the access token is stale or an earlier refresh may have lost its answer.
    IfStale,
    /// Refresh regardless (keep-alive, "Refresh now").
    Force,
    /// Xero answered 401 to the access token with this fingerprint although our clock says it is
    /// valid (revoked early, or our clock is behind): replace it, unless a caller already did.
    Rejected(String),
    /// Refresh if the access token expires within this (a login callers are using, refreshed
    /// ahead so their next call does not wait). Checked again under the lock, so a refresh
    /// another process just made is not repeated.
    Ahead(Duration),
    /// Finish a refresh found in the journal, and nothing else. Its owner holds the login's lock
    /// until it ends it, so an entry still there once we hold the lock was abandoned (a crash);
    /// one gone by then was simply in flight in another process, and costs no refresh here.
    Recover,
}

/// Runs a blocking call (keychain, SQLite) off the async worker threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("blocking task does not panic")
}

impl Engine {
    /// Opens a profile's engine: the store in `data_dir`, the given vault and clock.
    pub fn open(
        config: Config,
        data_dir: &Path,
        vault: Arc<dyn TokenVault>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, EngineError> {
        config.validate()?;
        let store = Store::open(&data_dir.join("tenantry.db"))?;
        let xero = XeroClient::with_timeout(
            config.xero.clone(),
            config.client_id.clone(),
            std::time::Duration::from_secs(config.timeout_secs),
        );
        let inner = Inner {
            config,
            lock_dir: data_dir.join("locks"),
            store,
            vault,
            xero,
            clock,
            slots: RwLock::default(),
            directory: RwLock::default(),
            changes: broadcast::channel(256).0,
            background_retries: AtomicBool::new(false),
        };
        inner.reload_directory()?;
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Retry failed refreshes in the background (with the same backoff) until they succeed or
    /// need a human. For long-running hosts; a CLI run instead recovers at its next start.
    pub fn enable_background_retries(&self) {
        self.inner.background_retries.store(true, Ordering::SeqCst);
    }

    /// Changes when another process (a CLI run, a second window) has written to this profile's
    /// store since the last call; the desktop app checks it to stay current without polling data.
    pub fn external_changes(&self) -> Result<i64, EngineError> {
        Ok(self.inner.store.data_version()?)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.inner.changes.subscribe()
    }

    pub fn logins(&self) -> Result<Vec<Login>, EngineError> {
        Ok(self.inner.store.logins()?)
    }

    pub fn organisations(&self) -> Result<Vec<Organisation>, EngineError> {
        Ok(self.inner.store.organisations()?)
    }

    pub fn events(&self, login: Option<&LoginId>, limit: usize) -> Result<Vec<Event>, EngineError> {
        Ok(self.inner.store.events(login, limit)?)
    }

    /// A login by email (case-insensitive), user id, or unique prefix of either.
    pub fn resolve_login(&self, selector: &str) -> Result<Login, EngineError> {
        let logins = self.logins()?;
        let wanted = selector.to_lowercase();
        if let Some(exact) = logins
            .iter()
            .find(|l| l.id.as_str() == selector || l.email.to_lowercase() == wanted)
        {
            return Ok(exact.clone());
        }
        let matches: Vec<&Login> = logins
            .iter()
            .filter(|l| {
                !wanted.is_empty()
                    && (l.id.as_str().starts_with(selector)
                        || l.email.to_lowercase().starts_with(&wanted))
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(EngineError::UnknownLogin(selector.into())),
            many => Err(EngineError::Ambiguous {
                selector: selector.into(),
                candidates: many.iter().map(|l| l.email.clone()).collect(),
            }),
        }
    }

    /// An organisation's tenant id from its tenant id or its name (case-insensitive, unique).
    pub fn resolve_organisation(&self, selector: &str) -> Result<String, EngineError> {
        let orgs = self.organisations()?;
        if orgs
            .iter()
            .any(|o| o.tenant_id.eq_ignore_ascii_case(selector))
        {
            return Ok(selector.to_lowercase());
        }
        let mut tenants: Vec<&Organisation> = orgs
            .iter()
            .filter(|o| o.name.eq_ignore_ascii_case(selector))
            .collect();
        tenants.dedup_by(|a, b| a.tenant_id == b.tenant_id);
        match tenants.as_slice() {
            [one] => Ok(one.tenant_id.clone()),
            [] => {
                let wanted = selector.to_lowercase();
                let mut suggestions: Vec<String> = orgs
                    .iter()
                    .filter(|o| o.name.to_lowercase().contains(&wanted))
                    .map(|o| o.name.clone())
                    .collect();
                suggestions.dedup();
                suggestions.truncate(5);
                Err(EngineError::UnknownOrganisation {
                    selector: selector.into(),
                    suggestions,
                })
            }
            many => Err(EngineError::Ambiguous {
                selector: selector.into(),
                candidates: many
                    .iter()
                    .map(|o| format!("{} ({})", o.name, o.tenant_id))
                    .collect(),
            }),
        }
    }

    /// A valid access token for the organisation, from a login that reaches it (a healthy one
    /// first when two do). Never another login's token.
    pub async fn access_token_for(&self, tenant_id: &str) -> Result<AccessGrant, EngineError> {
        let (tenant, candidates) = self.inner.candidates(tenant_id)?;
        let mut first_error = None;
        for login in candidates.iter() {
            match self.inner.token_for_login(login).await {
                Ok(tokens) => {
                    return Ok(AccessGrant {
                        login_id: login.clone(),
                        tenant_id: tenant,
                        access_token: tokens.access_token.clone(),
                        expires_at: tokens.expires_at,
                    });
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| EngineError::unknown_organisation(tenant_id)))
    }

    /// Refreshes one login now, whatever its access token's age ("Refresh now").
    pub async fn refresh_login(&self, login: &LoginId) -> Result<Login, EngineError> {
        self.inner.refresh_now(login, None).await
    }

    /// Finishes refreshes whose answer may have been lost (crash, timeout): run at start-up.
    /// Within Xero's 30-minute grace the refresh token in the vault still works.
    pub async fn recover(&self) -> Vec<(LoginId, Result<(), EngineError>)> {
        let intents = match self.inner.store.refresh_intents() {
            Ok(intents) => intents,
            Err(e) => return vec![(LoginId::new("journal").expect("valid id"), Err(e.into()))],
        };
        let mut results = Vec::new();
        for intent in intents {
            let outcome = self
                .inner
                .spawn_refresh(intent.login_id.clone(), Mode::Recover, None)
                .await
                .map(drop);
            results.push((intent.login_id, outcome));
        }
        results
    }

    /// Refreshes every login whose refresh token is older than `older_than`, a few at a time.
    pub async fn keepalive(
        &self,
        older_than: Duration,
    ) -> Result<Vec<KeepAliveReport>, EngineError> {
        let now = self.inner.clock.now();
        self.for_each_login(move |inner, login, limit| async move {
            let deadline = login.refresh_deadline();
            let outcome = if login.state == LoginState::NeedsReconnect {
                KeepAliveOutcome::NeedsReconnect {
                    reason: login.last_error.clone().unwrap_or_default(),
                }
            } else if now - login.refresh_issued_at < older_than {
                KeepAliveOutcome::NotDue { deadline }
            } else {
                match inner
                    .spawn_refresh(login.id.clone(), Mode::Force, Some(limit))
                    .await
                {
                    Ok(tokens) => {
                        let deadline = tokens.refresh_issued_at + REFRESH_TOKEN_LIFETIME;
                        let detail = format!(
                            "refreshed by keep-alive; next deadline {}",
                            deadline.format("%Y-%m-%d")
                        );
                        inner.event(Some(&login.id), EventKind::KeepAlive, None, &detail);
                        KeepAliveOutcome::Refreshed { deadline }
                    }
                    Err(EngineError::NeedsReconnect { reason, .. }) => {
                        KeepAliveOutcome::NeedsReconnect { reason }
                    }
                    Err(e) => KeepAliveOutcome::Failed {
                        code: e.code(),
                        message: e.to_string(),
                    },
                }
            };
            let login = inner.store.login(&login.id).ok().flatten().unwrap_or(login);
            KeepAliveReport { login, outcome }
        })
        .await
    }

    /// Refreshes every login now, a few at a time ("Refresh all", `tenantry refresh --all`),
    /// in the order of [`Engine::logins`]. A login that needs a human fails at once, without
    /// asking Xero.
    pub async fn refresh_all(
        &self,
    ) -> Result<Vec<(Login, Result<Login, EngineError>)>, EngineError> {
        self.for_each_login(|inner, login, limit| async move {
            let result = inner.refresh_now(&login.id, Some(limit)).await;
            (login, result)
        })
        .await
    }

    /// Runs `work` on every login in its own task; `work` hands the shared semaphore to the
    /// refresh, which holds a permit only while it asks Xero, so at most
    /// [`KEEPALIVE_CONCURRENCY`] requests are in flight.
    async fn for_each_login<T, Fut>(
        &self,
        work: impl Fn(Arc<Inner>, Login, Arc<Semaphore>) -> Fut,
    ) -> Result<Vec<T>, EngineError>
    where
        Fut: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let requests = Arc::new(Semaphore::new(KEEPALIVE_CONCURRENCY));
        // Twice as many logins in hand as requests in flight, so that while some wait for Xero
        // others read or write the keychain (which may serve one call at a time) instead of
        // holding a request slot; bounded, so 1,000 logins are not 1,000 open lock files.
        let in_hand = Arc::new(Semaphore::new(2 * KEEPALIVE_CONCURRENCY));
        let tasks: Vec<_> = self
            .logins()?
            .into_iter()
            .map(|login| {
                let (inner, requests, in_hand) =
                    (self.inner.clone(), requests.clone(), in_hand.clone());
                let work = work(inner, login, requests);
                tokio::spawn(async move {
                    let _in_hand = in_hand.acquire_owned().await.expect("semaphore open");
                    work.await
                })
            })
            .collect();
        let mut results = Vec::with_capacity(tasks.len());
        for task in tasks {
            results.push(task.await.expect("a login's task does not panic"));
        }
        Ok(results)
    }

    /// Refreshes, ahead of expiry, the logins some caller (this process or another) got a token
    /// for within `used_within` whose access token expires within `expiring_within`, so the
    /// next call finds a fresh token. Logins nobody uses are left to keep-alive.
    pub async fn refresh_in_use(
        &self,
        used_within: Duration,
        expiring_within: Duration,
    ) -> Result<Vec<(LoginId, Result<(), EngineError>)>, EngineError> {
        let now = self.inner.clock.now();
        let used: HashSet<LoginId> = self
            .inner
            .store
            .used_since(now - used_within)?
            .into_iter()
            .collect();
        let mut results = Vec::new();
        for login in self.logins()? {
            if used.contains(&login.id)
                && login.state != LoginState::NeedsReconnect
                && login.access_expires_at - now <= expiring_within
            {
                let outcome = self
                    .inner
                    .spawn_refresh(login.id.clone(), Mode::Ahead(expiring_within), None)
                    .await
                    .map(drop);
                results.push((login.id, outcome));
            }
        }
        Ok(results)
    }

    /// Records one keep-alive run in the activity log: who ran it and what it did, and a note
    /// (such as when the next try is) appended to the detail.
    pub fn record_keepalive_run(&self, reports: &[KeepAliveReport], scheduled: bool, note: &str) {
        let count =
            |f: fn(&KeepAliveOutcome) -> bool| reports.iter().filter(|r| f(&r.outcome)).count();
        let refreshed = count(|o| matches!(o, KeepAliveOutcome::Refreshed { .. }));
        let not_due = count(|o| matches!(o, KeepAliveOutcome::NotDue { .. }));
        let reconnect = count(|o| matches!(o, KeepAliveOutcome::NeedsReconnect { .. }));
        let failed = count(|o| matches!(o, KeepAliveOutcome::Failed { .. }));
        let detail = format!(
            "keep-alive run{}: {refreshed} refreshed, {not_due} not due, {reconnect} need reconnecting, {failed} failed{note}",
            if scheduled { " (scheduled)" } else { "" }
        );
        let kind = if scheduled {
            EventKind::ScheduledRun
        } else {
            EventKind::KeepAliveRun
        };
        self.inner.event(None, kind, None, &detail);
    }

    /// The newest event of a kind (e.g. when the scheduler last ran keep-alive).
    pub fn last_event(&self, kind: EventKind) -> Result<Option<Event>, EngineError> {
        Ok(self.inner.store.last_event(kind)?)
    }

    /// When each desktop notice was last said, and recording one.
    pub fn notices_said(&self) -> Result<HashMap<String, DateTime<Utc>>, EngineError> {
        Ok(self.inner.store.notices_said()?)
    }

    pub fn record_notice(&self, key: &str) -> Result<(), EngineError> {
        Ok(self
            .inner
            .store
            .record_notice(key, self.inner.clock.now())?)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Starts a sign-in: binds the loopback listener and builds the authorize URL. Pass the
    /// login being reconnected, if any, so a sign-in as someone else can be reported.
    pub async fn begin_login(
        &self,
        reconnect: Option<LoginId>,
    ) -> Result<PendingLogin, EngineError> {
        let config = &self.inner.config;
        if config.client_id.is_empty() {
            return Err(EngineError::NoClientId);
        }
        let listener = CallbackListener::bind(&config.redirect_ports).await?;
        let redirect = listener.redirect_uri();
        Ok(self.pending(Some(listener), redirect, reconnect))
    }

    /// Starts a sign-in whose callback arrives some other way than the loopback listener (the
    /// deep-link mode's bounce page); finish it with [`Engine::complete_login_from_callback`].
    pub fn begin_login_without_listener(
        &self,
        reconnect: Option<LoginId>,
        redirect_uri: &str,
    ) -> Result<PendingLogin, EngineError> {
        if self.inner.config.client_id.is_empty() {
            return Err(EngineError::NoClientId);
        }
        Ok(self.pending(None, redirect_uri.to_owned(), reconnect))
    }

    fn pending(
        &self,
        listener: Option<CallbackListener>,
        redirect_uri: String,
        reconnect: Option<LoginId>,
    ) -> PendingLogin {
        let config = &self.inner.config;
        let pkce = Pkce::generate();
        let url = authorize_url(
            &config.xero.authorize_url,
            &config.client_id,
            &redirect_uri,
            &config.all_scopes(),
            &pkce,
        );
        PendingLogin::new(listener, redirect_uri, pkce, url, reconnect)
    }

    /// Finishes a listener-less sign-in with the callback's query string (`code=…&state=…`).
    /// The state must match; the pending login is consumed either way.
    pub async fn complete_login_from_callback(
        &self,
        pending: PendingLogin,
        query: &str,
    ) -> Result<LoginOutcome, EngineError> {
        let PendingLogin {
            pkce,
            redirect_uri,
            expected,
            ..
        } = pending;
        let code = crate::login::parse_callback(query, &pkce.state, &self.inner.config.xero.issuer)
            .map_err(|e| EngineError::Listen(crate::login::ListenError::Callback(e)))?;
        self.inner
            .finish_login(code, &redirect_uri, &pkce, expected)
            .await
    }

    /// Waits for the browser's callback, then exchanges the code, identifies the login from the
    /// verified id_token, stores its token set and lists its organisations.
    pub async fn complete_login(
        &self,
        pending: PendingLogin,
        cancel: CancellationToken,
    ) -> Result<LoginOutcome, EngineError> {
        let PendingLogin {
            listener,
            pkce,
            redirect_uri,
            expected,
            ..
        } = pending;
        let issuer = self.inner.config.xero.issuer.clone();
        let listener = listener.ok_or(EngineError::Listen(crate::login::ListenError::Cancelled))?;
        let code = listener
            .wait(&pkce.state, &issuer, LOGIN_TIMEOUT, cancel)
            .await?;
        self.inner
            .finish_login(code, &redirect_uri, &pkce, expected)
            .await
    }

    /// Lists the login's organisations at Xero again and records what changed.
    pub async fn sync_organisations(
        &self,
        login: &LoginId,
    ) -> Result<Vec<Organisation>, EngineError> {
        let tokens = self.inner.token_for_login(login).await?;
        let first = self.inner.sync_organisations(login, &tokens, None).await;
        let result = match first {
            Err(EngineError::Xero(XeroError::Unauthorized(_))) => {
                let tokens = self
                    .inner
                    .replace_rejected_access(login, &tokens.access_token)
                    .await?;
                self.inner.sync_organisations(login, &tokens, None).await
            }
            other => other,
        };
        result.map(|(all, _)| all)
    }

    /// Calls the Organisation endpoint for a tenant through its login: proves the connection works.
    pub async fn test_organisation(
        &self,
        tenant_id: &str,
    ) -> Result<crate::xero::OrganisationInfo, EngineError> {
        let grant = self.access_token_for(tenant_id).await?;
        let xero = &self.inner.xero;
        let mut result = xero.organisation(&grant.access_token, tenant_id).await;
        if let Err(XeroError::Unauthorized(_)) = result {
            let tokens = self
                .inner
                .replace_rejected_access(&grant.login_id, &grant.access_token)
                .await?;
            result = xero.organisation(&tokens.access_token, tenant_id).await;
        }
        match result {
            Err(XeroError::ConnectionGone) => {
                // The connection is gone at Xero: bring the list up to date so the UI shows it.
                let _ = self.sync_organisations(&grant.login_id).await;
                Err(XeroError::ConnectionGone.into())
            }
            other => Ok(other?),
        }
    }

    /// Disconnects one organisation from one login at Xero (`DELETE /connections/{id}`).
    pub async fn disconnect(
        &self,
        login: &LoginId,
        tenant_id: &str,
    ) -> Result<Organisation, EngineError> {
        let org = self
            .inner
            .store
            .organisations_of(login)?
            .into_iter()
            .find(|o| o.tenant_id.eq_ignore_ascii_case(tenant_id))
            .ok_or_else(|| EngineError::unknown_organisation(tenant_id))?;
        let tokens = self.inner.token_for_login(login).await?;
        match self
            .inner
            .xero
            .delete_connection(&tokens.access_token, &org.connection_id)
            .await
        {
            Ok(()) | Err(XeroError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        self.inner
            .store
            .remove_organisation(login, &org.tenant_id)?;
        self.inner.event(
            Some(login),
            EventKind::Disconnected,
            Some(&org.tenant_id),
            &format!("disconnected {}", org.name),
        );
        self.inner.reload_directory()?;
        let _ = self.inner.changes.send(Change::Organisations);
        Ok(org)
    }

    /// Removes a login: revokes its refresh token at Xero (which drops all its connections),
    /// deletes its keychain entry, then its metadata.
    pub async fn remove_login(&self, login: &LoginId) -> Result<(), EngineError> {
        let inner = &self.inner;
        let slot = inner.slot(login);
        let _flight = slot.flight.lock().await;
        let _lock = LoginLock::acquire(&inner.lock_dir, login).await?;
        let vault = inner.vault.clone();
        let id = login.clone();
        if let Some(tokens) = blocking(move || vault.load(&id)).await? {
            match inner.xero.revoke(&tokens.refresh_token).await {
                // Already dead at Xero: nothing left to revoke.
                Ok(()) | Err(XeroError::NeedsReconnect) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let vault = inner.vault.clone();
        let id = login.clone();
        blocking(move || vault.delete(&id)).await?;
        slot.set(None);
        inner.store.delete_login(login)?;
        inner.event(
            Some(login),
            EventKind::Removed,
            None,
            "login removed; its refresh token was revoked at Xero",
        );
        inner.reload_directory()?;
        let _ = inner.changes.send(Change::Login(login.clone()));
        Ok(())
    }
}

impl Inner {
    fn slot(&self, login: &LoginId) -> Arc<Slot> {
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

    fn event(&self, login: Option<&LoginId>, kind: EventKind, tenant: Option<&str>, detail: &str) {
        if let Err(e) = self
            .store
            .add_event(self.clock.now(), login, kind, tenant, detail)
        {
            tracing::warn!(error = %e, "could not record an event");
        }
    }

    fn reload_directory(&self) -> Result<(), EngineError> {
        let healthy: HashMap<LoginId, bool> = self
            .store
            .logins()?
            .into_iter()
            .map(|l| (l.id, l.state != LoginState::NeedsReconnect))
            .collect();
        let mut map: HashMap<Arc<str>, Vec<LoginId>> = HashMap::new();
        for org in self.store.organisations()? {
            map.entry(org.tenant_id.to_lowercase().into())
                .or_default()
                .push(org.login_id);
        }
        let directory = map
            .into_iter()
            .map(|(tenant, mut logins)| {
                logins.sort_by_key(|l| !healthy.get(l).copied().unwrap_or(false));
                (tenant, Arc::from(logins))
            })
            .collect();
        *self.directory.write().expect("directory lock") = directory;
        Ok(())
    }

    /// The tenant id as the directory keeps it, and the logins that reach it. Allocates nothing
    /// when the id is already lower case (as Xero writes them).
    fn candidates(&self, tenant_id: &str) -> Result<(Arc<str>, Arc<[LoginId]>), EngineError> {
        let lookup = |dir: &HashMap<Arc<str>, Arc<[LoginId]>>| {
            dir.get_key_value(tenant_id)
                .or_else(|| dir.get_key_value(tenant_id.to_lowercase().as_str()))
                .map(|(tenant, logins)| (tenant.clone(), logins.clone()))
        };
        if let Some(found) = lookup(&self.directory.read().expect("directory lock")) {
            return Ok(found);
        }
        // Another process (a CLI run, the desktop app) may have connected it since we loaded.
        self.reload_directory()?;
        lookup(&self.directory.read().expect("directory lock"))
            .ok_or_else(|| EngineError::unknown_organisation(tenant_id))
    }

    /// After Xero answered 401 to `rejected`: a replacement, refreshed at most once however many
    /// callers saw the same 401. The caller retries its call once with it, never in a loop.
    async fn replace_rejected_access(
        self: &Arc<Self>,
        login: &LoginId,
        rejected: &Secret,
    ) -> Result<Arc<TokenSet>, EngineError> {
        tracing::info!(login = %login, "Xero rejected an unexpired access token; refreshing once");
        self.spawn_refresh(login.clone(), Mode::Rejected(rejected.fingerprint()), None)
            .await
    }

    async fn token_for_login(
        self: &Arc<Self>,
        login: &LoginId,
    ) -> Result<Arc<TokenSet>, EngineError> {
        let slot = self.slot(login);
        let now = self.clock.now();
        let tokens = match slot.fresh(now) {
            Some(tokens) => tokens,
            None => {
                self.spawn_refresh(login.clone(), Mode::IfStale, None)
                    .await?
            }
        };
        self.note_use(&slot, login, now).await;
        Ok(tokens)
    }

    /// Records that a caller is using this login (at most once a minute per process), so the
    /// app can refresh it ahead of expiry. Losing the note costs only that head start.
    async fn note_use(self: &Arc<Self>, slot: &Slot, login: &LoginId, now: DateTime<Utc>) {
        let now_ms = now.timestamp_millis();
        let noted = slot.use_noted.load(Ordering::Relaxed);
        if now_ms - noted < USE_NOTE_EVERY.num_milliseconds()
            || slot
                .use_noted
                .compare_exchange(noted, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let (inner, login) = (self.clone(), login.clone());
        if let Err(e) = blocking(move || inner.store.record_use(&login, now)).await {
            tracing::debug!(error = %e, "could not note a token's use");
        }
    }

    /// Refreshes whatever the access token's age, and returns the login as stored after it.
    async fn refresh_now(
        self: &Arc<Self>,
        login: &LoginId,
        gate: Gate,
    ) -> Result<Login, EngineError> {
        self.spawn_refresh(login.clone(), Mode::Force, gate).await?;
        self.store
            .login(login)?
            .ok_or_else(|| EngineError::UnknownLogin(login.to_string()))
    }

    /// Runs the refresh in its own task: a caller that is cancelled (timeout, closed window) stops
    /// waiting, but the refresh runs to the end and stores what Xero returned.
    async fn spawn_refresh(
        self: &Arc<Self>,
        login: LoginId,
        mode: Mode,
        gate: Gate,
    ) -> Result<Arc<TokenSet>, EngineError> {
        let inner = self.clone();
        tokio::spawn(async move {
            let result = inner.refresh(&login, mode, gate).await;
            if matches!(&result, Err(EngineError::Xero(e)) if e.is_transient()) {
                inner.schedule_retry(login);
            }
            result
        })
        .await
        .expect("refresh task does not panic")
    }

    /// Keeps retrying a login whose refresh failed transiently, paced by its backoff, until the
    /// journal intent is gone (success, or a definite "needs reconnect").
    fn schedule_retry(self: Arc<Self>, login: LoginId) {
        let slot = self.slot(&login);
        if !self.background_retries.load(Ordering::SeqCst)
            || slot.retrying.swap(true, Ordering::SeqCst)
        {
            return;
        }
        tokio::spawn(async move {
            loop {
                let not_before = slot.flight.lock().await.not_before;
                let wait = not_before.map_or(Duration::seconds(1), |at| at - self.clock.now());
                tokio::time::sleep(wait.to_std().unwrap_or_default()).await;
                if !matches!(self.store.refresh_intent(&login), Ok(Some(_))) {
                    break;
                }
                match self.refresh(&login, Mode::IfStale, None).await {
                    Err(EngineError::Xero(e)) if e.is_transient() => continue,
                    _ => break,
                }
            }
            slot.retrying.store(false, Ordering::SeqCst);
        });
    }

    async fn refresh(
        &self,
        login: &LoginId,
        mode: Mode,
        gate: Gate,
    ) -> Result<Arc<TokenSet>, EngineError> {
        let slot = self.slot(login);
        let mut backoff = slot.flight.lock().await;
        let now = self.clock.now();
        if let Mode::Rejected(fingerprint) = &mode
            && let Some(tokens) = slot.fresh(now)
            && tokens.access_token.fingerprint() != *fingerprint
        {
            return Ok(tokens); // a caller ahead of us already replaced the rejected token
        }
        if mode == Mode::IfStale {
            if let Some(tokens) = slot.fresh(now) {
                return Ok(tokens); // a caller ahead of us in this process just refreshed
            }
            if let (Some(until), Some(last)) = (backoff.not_before, &backoff.last)
                && now < until
            {
                // Do not hammer Xero: serve a token that still works, else the last error.
                return slot.unexpired(now).ok_or_else(|| last.clone().into());
            }
        }
        let _lock = LoginLock::acquire(&self.lock_dir, login).await?;
        let result = self.refresh_locked(login, &mode, &slot, gate).await;
        match &result {
            Ok(_) => *backoff = Backoff::default(),
            Err(EngineError::Xero(e)) if e.is_transient() => {
                backoff.failures += 1;
                let wait = match e {
                    XeroError::RateLimited { retry_after, .. } => {
                        Duration::from_std(*retry_after).unwrap_or(MAX_BACKOFF)
                    }
                    _ => Duration::seconds(1 << backoff.failures.min(9)).min(MAX_BACKOFF),
                };
                backoff.not_before = Some(now + wait);
                backoff.last = Some(e.clone());
                if mode == Mode::IfStale
                    && let Some(still_valid) = slot.unexpired(now)
                {
                    return Ok(still_valid);
                }
            }
            Err(_) => {}
        }
        result
    }

    /// Marks the login as needing a human (state, event, directory, listeners) and returns the
    /// error to give the caller; fails only if the store cannot record it.
    fn needs_reconnect(
        &self,
        login: &LoginId,
        slot: &Slot,
        reason: String,
    ) -> Result<EngineError, EngineError> {
        self.store
            .set_login_state(login, LoginState::NeedsReconnect, Some(&reason))?;
        self.event(Some(login), EventKind::NeedsReconnect, None, &reason);
        slot.set(None);
        self.reload_directory()?;
        let _ = self.changes.send(Change::Login(login.clone()));
        Ok(EngineError::NeedsReconnect {
            login: login.clone(),
            reason,
        })
    }

    /// The part of the protocol that runs while holding both locks.
    async fn refresh_locked(
        &self,
        login: &LoginId,
        mode: &Mode,
        slot: &Slot,
        gate: Gate,
    ) -> Result<Arc<TokenSet>, EngineError> {
        // Xero has already said no: asking again cannot help and only looks like an attack.
        if let Some(known) = self.store.login(login)?
            && known.state == LoginState::NeedsReconnect
        {
            let reason = known
                .last_error
                .unwrap_or_else(|| "Xero no longer accepts its refresh token".into());
            return Err(EngineError::NeedsReconnect {
                login: login.clone(),
                reason,
            });
        }
        let vault = self.vault.clone();
        let id = login.clone();
        let Some(current) = blocking(move || vault.load(&id)).await? else {
            // Deleted by hand, or a keychain reset: only signing in again brings them back. Say so
            // in the status too, not just to this caller.
            let reason = "its tokens are missing from the keychain (deleted, or the keychain was reset); sign in again";
            return Err(self.needs_reconnect(login, slot, reason.into())?);
        };
        let current = Arc::new(current);
        let now = self.clock.now();
        let mut intent = self.store.refresh_intent(login)?;
        if let Some(pending) = &intent
            && pending.refresh_token_fingerprint != current.refresh_token.fingerprint()
        {
            // An interrupted refresh got as far as storing its tokens: finish its bookkeeping.
            self.store.record_refresh(
                login,
                current.expires_at,
                current.refresh_issued_at,
                pending.started_at,
            )?;
            self.store.end_refresh(login)?;
            self.event(
                Some(login),
                EventKind::Recovered,
                None,
                "completed a refresh that was interrupted after its tokens were stored",
            );
            intent = None;
        }
        let must_refresh = intent.is_some()
            || match mode {
                Mode::Force => true,
                Mode::IfStale => !current.is_fresh_at(now),
                Mode::Rejected(fingerprint) => current.access_token.fingerprint() == *fingerprint,
                Mode::Ahead(window) => current.expires_at - now <= *window,
                Mode::Recover => false,
            };
        if !must_refresh {
            slot.set(Some(current.clone())); // another process refreshed while we waited
            return Ok(current);
        }
        let started_at = intent.as_ref().map_or(now, |i| i.started_at);
        crate::pause::reached("before_intent");
        self.store.begin_refresh(&RefreshIntent {
            login_id: login.clone(),
            started_at,
            refresh_token_fingerprint: current.refresh_token.fingerprint(),
            pid: std::process::id(),
        })?;
        crate::pause::reached("after_intent");
        tracing::debug!(login = %login, token = %current.refresh_token.fingerprint(), "refreshing");
        let answer = {
            // Only the request itself waits for the caller's limit: the keychain and SQLite work
            // around it then overlaps other logins' requests instead of holding a slot.
            let _permit = match &gate {
                Some(gate) => Some(gate.acquire().await.expect("semaphore open")),
                None => None,
            };
            self.xero.refresh(&current.refresh_token).await
        };
        match answer {
            Ok(response) => {
                let now = self.clock.now();
                let next = TokenSet::from_response(
                    response,
                    now,
                    Some(&current),
                    &self.config.all_scopes(),
                )?;
                if let Some(uid) =
                    access_claims(next.access_token.expose()).and_then(|c| c.xero_userid)
                    && uid != login.as_str()
                {
                    return Err(EngineError::IdentityMismatch); // never file one user's tokens under another
                }
                let vault = self.vault.clone();
                let id = login.clone();
                let stored = next.clone();
                crate::pause::reached("after_reply");
                // The keychain holds the new refresh token before anyone can use the new access token.
                if let Err(e) = blocking(move || vault.store(&id, &stored)).await {
                    // Xero has rotated, but the new set could not be kept. The old refresh token
                    // stays in the vault and the intent in the journal, so the next attempt
                    // within Xero's grace spends the old token again and recovers.
                    self.store
                        .set_login_state(login, LoginState::Error, Some(&e.to_string()))?;
                    self.event(Some(login), EventKind::RefreshFailed, None, &e.to_string());
                    let _ = self.changes.send(Change::Login(login.clone()));
                    return Err(e.into());
                }
                let next = Arc::new(next);
                slot.set(Some(next.clone()));
                crate::pause::reached("after_keychain");
                self.store
                    .record_refresh(login, next.expires_at, next.refresh_issued_at, now)?;
                let recovered = if intent.is_some() {
                    " (after an earlier attempt lost its answer)"
                } else {
                    ""
                };
                self.event(
                    Some(login),
                    EventKind::Refreshed,
                    None,
                    &format!(
                        "access token valid until {}{recovered}",
                        next.expires_at.format("%H:%M:%S UTC")
                    ),
                );
                crate::pause::reached("after_metadata");
                self.store.end_refresh(login)?;
                let _ = self.changes.send(Change::Login(login.clone()));
                Ok(next)
            }
            Err(XeroError::NeedsReconnect) => {
                let reason = if now - started_at > ROTATION_GRACE {
                    "the answer to an earlier refresh was lost more than 30 minutes ago, and Xero no longer accepts the previous refresh token; sign in again".to_string()
                } else if now - current.refresh_issued_at > REFRESH_TOKEN_LIFETIME {
                    "its refresh token went unused for 60 days and Xero dropped it; sign in again"
                        .to_string()
                } else {
                    "Xero no longer accepts its refresh token (it was revoked, or used by another copy of these tokens); sign in again".to_string()
                };
                self.store.end_refresh(login)?;
                Err(self.needs_reconnect(login, slot, reason)?)
            }
            Err(e) => {
                // The intent stays: the request may have reached Xero and rotated the token, and the
                // next attempt (by any process) must retry within the 30-minute grace.
                self.store
                    .set_login_state(login, LoginState::Error, Some(&e.to_string()))?;
                self.event(Some(login), EventKind::RefreshFailed, None, &e.to_string());
                let _ = self.changes.send(Change::Login(login.clone()));
                Err(e.into())
            }
        }
    }

    async fn finish_login(
        &self,
        code: Secret,
        redirect_uri: &str,
        pkce: &Pkce,
        expected: Option<LoginId>,
    ) -> Result<LoginOutcome, EngineError> {
        let response = self
            .xero
            .exchange_code(&code, redirect_uri, &pkce.verifier)
            .await?;
        let id_token = response
            .id_token
            .clone()
            .map(Secret::new)
            .ok_or(EngineError::NoIdToken)?;
        let now = self.clock.now();
        let claims = self
            .xero
            .verify_id_token(&id_token, Some(&pkce.nonce), now)
            .await?;
        let login_id = LoginId::new(claims.user_id()).map_err(|_| EngineError::IdentityMismatch)?;
        let tokens = TokenSet::from_response(response, now, None, &self.config.all_scopes())?;
        let access = access_claims(tokens.access_token.expose()).unwrap_or_default();
        if access
            .xero_userid
            .as_deref()
            .is_some_and(|uid| uid != login_id.as_str())
        {
            return Err(EngineError::IdentityMismatch);
        }
        let expected_other = match expected {
            Some(wanted) if wanted != login_id => self.store.login(&wanted)?,
            _ => None,
        };
        // Store under this login's locks: another process may be refreshing it right now.
        let slot = self.slot(&login_id);
        {
            let _flight = slot.flight.lock().await;
            let _lock = LoginLock::acquire(&self.lock_dir, &login_id).await?;
            let vault = self.vault.clone();
            let id = login_id.clone();
            let stored = tokens.clone();
            blocking(move || vault.store(&id, &stored)).await?;
            let previous = self.store.login(&login_id)?;
            self.store.upsert_login(&Login {
                id: login_id.clone(),
                name: claims.display_name(),
                email: claims.email.clone().unwrap_or_default(),
                state: LoginState::Connected,
                last_error: None,
                access_expires_at: tokens.expires_at,
                refresh_issued_at: tokens.refresh_issued_at,
                last_refresh_at: previous.as_ref().and_then(|p| p.last_refresh_at),
                scopes: tokens.scopes.clone(),
                connected_at: previous.as_ref().map_or(now, |p| p.connected_at),
            })?;
            self.store.end_refresh(&login_id)?; // any interrupted refresh is moot now
            slot.set(Some(Arc::new(tokens.clone())));
            let detail = match (&previous, &expected_other) {
                (_, Some(other)) => format!(
                    "signed in as {} while reconnecting {}",
                    claims.email.as_deref().unwrap_or(""),
                    other.email
                ),
                (Some(_), None) => "reconnected".to_string(),
                (None, None) => "connected".to_string(),
            };
            self.event(Some(&login_id), EventKind::Connected, None, &detail);
        }
        let (organisations, added, organisations_error) = match self
            .sync_organisations(
                &login_id,
                &tokens,
                access.authentication_event_id.as_deref(),
            )
            .await
        {
            Ok((all, added)) => (all, added, None),
            Err(e) => (Vec::new(), Vec::new(), Some(e.to_string())),
        };
        let login = self
            .store
            .login(&login_id)?
            .expect("the login was just stored");
        let _ = self.changes.send(Change::Login(login_id));
        Ok(LoginOutcome {
            login,
            added,
            organisations,
            expected_other,
            organisations_error,
        })
    }

    /// Replaces the login's organisations with Xero's list; returns (all, added by this consent).
    async fn sync_organisations(
        &self,
        login: &LoginId,
        tokens: &TokenSet,
        auth_event: Option<&str>,
    ) -> Result<(Vec<Organisation>, Vec<Organisation>), EngineError> {
        let now = self.clock.now();
        let current: Vec<Organisation> = self
            .xero
            .connections(&tokens.access_token, None)
            .await?
            .into_iter()
            .map(|c| c.into_organisation(login, now))
            .collect();
        let changes = self.store.replace_organisations(login, &current)?;
        for org in &changes.added {
            self.event(
                Some(login),
                EventKind::OrganisationAdded,
                Some(&org.tenant_id),
                &format!("{} is reachable", org.name),
            );
        }
        for org in &changes.removed {
            self.event(
                Some(login),
                EventKind::OrganisationRemoved,
                Some(&org.tenant_id),
                &format!("{} is no longer connected at Xero", org.name),
            );
        }
        // Which organisations did this consent add? Xero tags each connection with the
        // authentication event that made it; other providers do not, so fall back to "new to us".
        let added = match auth_event {
            Some(event) if current.iter().any(|o| o.auth_event_id.is_some()) => current
                .iter()
                .filter(|o| o.auth_event_id.as_deref() == Some(event))
                .cloned()
                .collect(),
            _ => changes.added,
        };
        self.reload_directory()?;
        let _ = self.changes.send(Change::Organisations);
        Ok((current, added))
    }
}
