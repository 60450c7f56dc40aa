//! The refresh protocol (the sequence is drawn in docs/ARCHITECTURE.md):
//! 1. A caller whose cached access token is fresh never gets here (see `tokens`).
//! 2. The refresh runs in a spawned task, so a cancelled caller cannot abort it halfway, behind
//!    the login's async mutex (one flight per login per process) and then the login's lock (one
//!    flight per login across processes: an OS file lock, or in a practice a PostgreSQL advisory
//!    lock; see `engine::locks`).
//! 3. Under both locks the vault is read again: another process may already have refreshed.
//! 4. A journal intent (refresh-token fingerprint, start time) is written before the token
//!    endpoint is called; the new token set goes into the keychain before anyone uses it; then the
//!    metadata is updated and the intent cleared (in a practice the set, the metadata and the
//!    intent's end commit in one transaction). These steps are [`exchange`]'s.
//! 5. An intent left behind (crash, lost answer, timeout) means Xero may have rotated the refresh
//!    token without us seeing the new one. Xero accepts the previous refresh token for 30 minutes,
//!    so any process that sees the intent refreshes again at once with the token still in the
//!    vault; [`Engine::recover`] does this at start-up.
//! 6. `invalid_grant` marks the login "needs reconnect" and is never retried; transient failures
//!    back off (2 s doubling to 5 min, or Retry-After) and keep serving a not-yet-expired token.
//!
//! Every decision is a pure function in [`decide`]; this module does the I/O between them, and
//! [`record`] what each outcome leaves in the store.

mod decide;
mod exchange;
mod record;

use super::mode::Held;
use super::slot::Slot;
use super::{Engine, Inner};
use crate::error::EngineError;
use crate::model::{Login, LoginId, LoginState, ReasonCode};
use crate::store::RefreshIntent;
use crate::token::TokenSet;
use crate::xero::XeroError;
use chrono::Duration;
use decide::{Early, Journal};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::Semaphore;

/// Why a refresh is asked for; decides whether it happens (see [`decide::must_refresh`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Mode {
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

/// A limit on concurrent token requests that a refresh takes only around the request itself
/// (keep-alive and refresh-all pass theirs; a caller's own refresh passes none).
pub(super) type Gate = Option<Arc<Semaphore>>;

impl Engine {
    /// Refreshes one login now, whatever its access token's age ("Refresh now").
    pub async fn refresh_login(&self, login: &LoginId) -> Result<Login, EngineError> {
        self.inner.refresh_now(login, None).await
    }

    /// Finishes refreshes whose answer may have been lost (crash, timeout): run at start-up.
    /// Within Xero's 30-minute grace the refresh token in the vault still works.
    pub async fn recover(&self) -> Vec<(LoginId, Result<(), EngineError>)> {
        let intents = match self.inner.db.run(|s| s.refresh_intents()).await {
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
}

impl Inner {
    /// Refreshes whatever the access token's age, and returns the login as stored after it.
    pub(super) async fn refresh_now(
        self: &Arc<Self>,
        login: &LoginId,
        gate: Gate,
    ) -> Result<Login, EngineError> {
        self.spawn_refresh(login.clone(), Mode::Force, gate).await?;
        let id = login.clone();
        self.db
            .run(move |s| s.login(&id))
            .await?
            .ok_or_else(|| EngineError::LoginGone(login.clone()))
    }

    /// Runs the refresh in its own task: a caller that is cancelled (timeout, closed window) stops
    /// waiting, but the refresh runs to the end and stores what Xero returned.
    pub(super) async fn spawn_refresh(
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
                let id = login.clone();
                if !matches!(
                    self.db.run(move |s| s.refresh_intent(&id)).await,
                    Ok(Some(_))
                ) {
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

    /// One refresh attempt: the flight mutex, the early decision, the file lock, the protocol,
    /// and the backoff it leaves behind.
    async fn refresh(
        &self,
        login: &LoginId,
        mode: Mode,
        gate: Gate,
    ) -> Result<Arc<TokenSet>, EngineError> {
        let slot = self.slot(login);
        let mut backoff = slot.flight.lock().await;
        let now = self.clock.now();
        match decide::before_lock(&mode, slot.fresh(now), slot.unexpired(now), &backoff, now) {
            Early::Serve(tokens) => return Ok(tokens),
            Early::Fail(last) => return Err(last.into()),
            Early::Proceed => {}
        }
        if mode == Mode::IfStale
            && slot.unexpired(now).is_none()
            && let Some(stored) = self.stored_if_fresh(login, now).await
        {
            slot.set(Some(stored.clone()));
            return Ok(stored);
        }
        let lock = self.mode.acquire(login).await?;
        let result = self.refresh_locked(login, &mode, &slot, gate, &lock).await;
        drop(lock);
        match &result {
            Ok(_) => *backoff = Default::default(),
            Err(EngineError::Xero(e)) if e.is_transient() => {
                backoff.failures += 1;
                backoff.not_before = Some(now + decide::backoff_wait(backoff.failures, e));
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

    /// The part of the protocol that runs while holding both locks.
    async fn refresh_locked(
        &self,
        login: &LoginId,
        mode: &Mode,
        slot: &Slot,
        gate: Gate,
        held: &Held,
    ) -> Result<Arc<TokenSet>, EngineError> {
        let intent = self.refuse_known_reconnect(login).await?;
        let current = Arc::new(self.vault_tokens(login, slot).await?);
        let now = self.clock.now();
        let intent = match decide::read_journal(intent, &current) {
            Journal::Stored(interrupted) => {
                self.finish_interrupted(login, &current, interrupted)
                    .await?;
                None
            }
            Journal::AnswerLost(intent) => Some(intent),
            Journal::Clear => None,
        };
        if !decide::must_refresh(mode, intent.is_some(), &current, now) {
            slot.set(Some(current.clone())); // another process refreshed while we waited
            return Ok(current);
        }
        let started_at = intent.as_ref().map_or(now, |i| i.started_at);
        self.begin(login, &current, started_at).await?;
        match self.ask_xero(login, &current, gate).await {
            Ok(answer) => {
                let lost_before = intent.is_some();
                self.keep_answer(login, slot, &current, answer, (lost_before, held))
                    .await
            }
            // A Custom Connection's secret refused: only a person with the app's new secret helps.
            Err(XeroError::ClientRejected) if login.is_custom_connection() => {
                let reason = "Xero refused this custom connection's client id and secret (invalid_client): the secret was changed or the connection removed; connect it again with its current secret (tenantry connect --custom-connection)";
                Err(self
                    .needs_reconnect(
                        login,
                        slot,
                        (reason.into(), ReasonCode::CredentialsRefused),
                        true,
                    )
                    .await?)
            }
            Err(XeroError::NeedsReconnect) => {
                let (reason, code) =
                    decide::why_refused(now, started_at, current.refresh_issued_at);
                Err(self
                    .needs_reconnect(login, slot, (reason.into(), code), true)
                    .await?)
            }
            Err(e) => {
                // The intent stays: the request may have reached Xero and rotated the token, and
                // the next attempt (by any process) must retry within the 30-minute grace.
                let code = ReasonCode::from(e.code());
                self.record_failure(login, e.to_string(), code).await?;
                Err(e.into())
            }
        }
    }

    /// Xero has already said no to this login: asking again cannot help and only looks like an
    /// attack. Otherwise returns the journal's intent for the login, if any.
    async fn refuse_known_reconnect(
        &self,
        login: &LoginId,
    ) -> Result<Option<RefreshIntent>, EngineError> {
        let id = login.clone();
        let (known, intent) = self
            .db
            .run(move |s| Ok((s.login(&id)?, s.refresh_intent(&id)?)))
            .await?;
        if let Some(known) = known
            && known.state == LoginState::NeedsReconnect
        {
            let reason = known
                .last_error
                .unwrap_or_else(|| "Xero no longer accepts its refresh token".into());
            return Err(EngineError::NeedsReconnect {
                login: login.clone(),
                email: known.email,
                reason,
            });
        }
        Ok(intent)
    }

    /// In a practice, a process with nothing of the login in memory (a cold `tenantry token`)
    /// reads what is stored before taking the lock, which costs it a connection of its own and
    /// two round trips: a fresh access token with no refresh under way is what the locked path
    /// would serve (`decide::must_refresh`), and serving it needs no lock, since a refresh does
    /// not revoke it at Xero and a practice commits a refresh's end in one transaction. Anything
    /// else (a refresh under way or abandoned, a stale or missing token, a login needing a
    /// reconnect, a read that failed) takes the locked path, which reads again under the lock
    /// and says what is wrong. Locally the lock is a file's, cheaper than the read.
    async fn stored_if_fresh(
        &self,
        login: &LoginId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<Arc<TokenSet>> {
        // A practice's only: a local profile's lock costs less than the read.
        self.mode.seat()?;
        if !matches!(self.refuse_known_reconnect(login).await, Ok(None)) {
            return None;
        }
        let stored = self.db.load(login).await.ok()??;
        (!decide::must_refresh(&Mode::IfStale, false, &stored, now)).then(|| Arc::new(stored))
    }

    /// The token set in the vault. None there means deleted by hand or a keychain reset: only
    /// signing in again brings them back, and the status says so too, not just this caller.
    async fn vault_tokens(&self, login: &LoginId, slot: &Slot) -> Result<TokenSet, EngineError> {
        match self.db.load(login).await? {
            Some(tokens) => Ok(tokens),
            None => {
                let reason = "its tokens are missing from the keychain (deleted, or the keychain was reset); sign in again";
                Err(self
                    .needs_reconnect(
                        login,
                        slot,
                        (reason.into(), ReasonCode::TokensMissing),
                        false,
                    )
                    .await?)
            }
        }
    }
}
