//! The middle of the refresh protocol, under both locks: the intent written, the refresh token
//! spent at Xero, and the answer kept (in a practice in one transaction with the metadata and the
//! intent's end; locally in the keychain first, then SQLite).

use super::Gate;
use super::record::note_event;
use crate::engine::mode::Held;
use crate::engine::slot::Slot;
use crate::engine::{Change, Inner};
use crate::error::EngineError;
use crate::model::{EventKind, LoginId, ReasonCode};
use crate::pause;
use crate::store::RefreshIntent;
use crate::token::TokenSet;
use crate::xero::{TokenAnswer, XeroError, access_claims};
use chrono::{DateTime, Utc};
use std::sync::Arc;

impl Inner {
    /// Writes the intent before the token endpoint is called.
    pub(super) async fn begin(
        &self,
        login: &LoginId,
        current: &TokenSet,
        started_at: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        pause::reached("before_intent");
        let intent = RefreshIntent {
            login_id: login.clone(),
            started_at,
            refresh_token_fingerprint: current.refresh_token.fingerprint(),
            pid: std::process::id(),
        };
        self.db.run(move |s| s.begin_refresh(&intent)).await?;
        pause::reached("after_intent");
        tracing::debug!(login = %login, token = %current.refresh_token.fingerprint(), "refreshing");
        Ok(())
    }

    /// Spends the refresh token. Only the request itself waits for the caller's limit: the
    /// keychain and SQLite work around it then overlaps other logins' requests instead of
    /// holding a slot.
    pub(super) async fn ask_xero(
        &self,
        login: &LoginId,
        current: &TokenSet,
        gate: Gate,
    ) -> Result<TokenAnswer, XeroError> {
        let _permit = match &gate {
            Some(gate) => Some(gate.acquire().await.expect("semaphore open")),
            None => None,
        };
        match login.custom_client_id() {
            // A Custom Connection asks again with its secret; nothing rotates.
            Some(client_id) => {
                self.xero
                    .client_credentials(client_id, &current.refresh_token)
                    .await
            }
            None => self.xero.refresh(&current.refresh_token).await,
        }
    }

    /// Xero rotated: the new set is kept before anyone can use its access token (in a practice
    /// with the metadata and the journal's end, in one transaction; locally in the keychain, then
    /// the metadata and the journal follow).
    pub(super) async fn keep_answer(
        &self,
        login: &LoginId,
        slot: &Slot,
        current: &Arc<TokenSet>,
        answer: TokenAnswer,
        (after_lost_answer, held): (bool, &Held),
    ) -> Result<Arc<TokenSet>, EngineError> {
        let now = self.clock.now();
        let next = TokenSet::from_answer(answer, now, Some(current), &self.config.all_scopes())?;
        if let Some(uid) = access_claims(next.access_token.expose()).and_then(|c| c.xero_userid)
            && uid != login.as_str()
        {
            return Err(EngineError::IdentityMismatch); // never file one user's tokens under another
        }
        pause::reached("after_reply");
        let detail = format!(
            "access token valid until {}{}",
            next.expires_at.format("%H:%M:%S UTC"),
            if after_lost_answer {
                " (after an earlier attempt lost its answer)"
            } else {
                ""
            }
        );
        // A practice commits the new set, the metadata and the journal's end as one; locally the
        // keychain takes the set first and SQLite the rest after.
        let kept = match held.keep_at_once(&next, now, &detail).await {
            Some(kept) => kept.map(|()| true),
            None => self.db.keep(login, &next).await.map(|()| false),
        };
        let all_kept = match kept {
            Ok(all_kept) => all_kept,
            Err(e) => {
                // Xero has rotated, but the new set could not be kept. The old refresh token
                // stays and the intent in the journal, so the next attempt within Xero's grace
                // spends the old token again and recovers.
                if held.in_practice() {
                    self.note_unkept(login, e.to_string()).await;
                } else {
                    self.record_failure(login, e.to_string(), ReasonCode::Vault)
                        .await?;
                }
                return Err(e.into());
            }
        };
        let next = Arc::new(next);
        slot.set(Some(next.clone()));
        pause::reached("after_keychain");
        if all_kept {
            pause::reached("after_metadata");
            self.changed(Change::Login(login.clone()));
            return Ok(next);
        }
        let (id, expires_at, issued) = (login.clone(), next.expires_at, next.refresh_issued_at);
        self.db
            .run(move |s| {
                s.record_refresh(&id, expires_at, issued, now)?;
                note_event(s, now, &id, EventKind::Refreshed, &detail);
                pause::reached("after_metadata");
                s.end_refresh(&id)
            })
            .await?;
        self.changed(Change::Login(login.clone()));
        Ok(next)
    }
}
