//! What each outcome of a refresh leaves in the store: the bookkeeping of a refresh interrupted
//! after storing its tokens, a failure that may pass, and a login that needs a human. Each is one
//! store call (one thread hop, its statements together).

use crate::engine::slot::Slot;
use crate::engine::{Change, Inner};
use crate::error::EngineError;
use crate::model::{EventKind, LoginId, LoginState, ReasonCode};
use crate::store::{RefreshIntent, Store};
use crate::token::TokenSet;
use chrono::{DateTime, Utc};

impl Inner {
    /// An interrupted refresh got as far as storing its tokens: finish its bookkeeping.
    pub(super) async fn finish_interrupted(
        &self,
        login: &LoginId,
        current: &TokenSet,
        interrupted: RefreshIntent,
    ) -> Result<(), EngineError> {
        let (id, expires_at, issued) =
            (login.clone(), current.expires_at, current.refresh_issued_at);
        let now = self.clock.now();
        self.db
            .run(move |s| {
                s.record_refresh(&id, expires_at, issued, interrupted.started_at)?;
                s.end_refresh(&id)?;
                note_event(
                    s,
                    now,
                    &id,
                    EventKind::Recovered,
                    "completed a refresh that was interrupted after its tokens were stored",
                );
                Ok(())
            })
            .await?;
        Ok(())
    }

    /// A refresh that failed for a reason that may pass: the login shows the error meanwhile.
    pub(super) async fn record_failure(
        &self,
        login: &LoginId,
        reason: String,
        code: ReasonCode,
    ) -> Result<(), EngineError> {
        let (id, now) = (login.clone(), self.clock.now());
        self.db
            .run(move |s| {
                s.set_login_state(&id, LoginState::Error, Some((&reason, code)))?;
                note_event(s, now, &id, EventKind::RefreshFailed, &reason);
                Ok(())
            })
            .await?;
        self.changed(Change::Login(login.clone()));
        Ok(())
    }

    /// A practice machine could not keep the set Xero rotated (its link or its lock went): the
    /// event is noted, if the database can be reached, but not the state. The login is every
    /// machine's, and once this one's lock went another may have refreshed it; an error written
    /// now would show a healthy login as failing on every window of the practice.
    pub(super) async fn note_unkept(&self, login: &LoginId, reason: String) {
        let (id, now) = (login.clone(), self.clock.now());
        let noted = self
            .db
            .run(move |s| {
                note_event(s, now, &id, EventKind::RefreshFailed, &reason);
                Ok(())
            })
            .await;
        if noted.is_ok() {
            self.changed(Change::Login(login.clone()));
        }
    }

    /// Marks the login as needing a human (state, event, directory, listeners) and returns the
    /// error to give the caller; fails only if the store cannot record it. `end_intent` when
    /// Xero refused the token the intent spent: that refresh is over.
    pub(super) async fn needs_reconnect(
        &self,
        login: &LoginId,
        slot: &Slot,
        (reason, code): (String, ReasonCode),
        end_intent: bool,
    ) -> Result<EngineError, EngineError> {
        let (id, now, why) = (login.clone(), self.clock.now(), reason.clone());
        let email = self
            .db
            .run(move |s| {
                if end_intent {
                    s.end_refresh(&id)?;
                }
                s.set_login_state(&id, LoginState::NeedsReconnect, Some((&why, code)))?;
                note_event(s, now, &id, EventKind::NeedsReconnect, &why);
                Ok(s.login(&id)?.map(|l| l.email))
            })
            .await?;
        slot.set(None);
        self.directory.invalidate();
        self.changed(Change::Login(login.clone()));
        Ok(EngineError::NeedsReconnect {
            login: login.clone(),
            email: email.unwrap_or_else(|| login.to_string()),
            reason,
        })
    }
}

/// Appends an event inside a larger store call; a log that cannot be written must not fail the
/// protocol step it describes.
pub(super) fn note_event(
    store: &dyn Store,
    at: DateTime<Utc>,
    login: &LoginId,
    kind: EventKind,
    detail: &str,
) {
    if let Err(e) = store.add_event(at, Some(login), kind, None, detail) {
        tracing::warn!(error = %e, "could not record an event");
    }
}
