//! Confirming the truth at Xero (`tenantry check`, the window's "Check with Xero", the app's daily
//! look): for each login, a valid access token (refreshed only if it needs to be) and Xero's
//! `/connections`, which is tenantless and so cheap against Xero's per-organisation limits. What
//! changed since the last look is recorded as events; an organisation Xero stopped listing is
//! marked disconnected, not dropped.

use super::refresh::Mode;
use super::{Engine, Inner};
use crate::error::{EngineError, ErrorCode};
use crate::model::{EventKind, Login, LoginId, LoginState, Organisation};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// What a check found for one login.
#[derive(Debug, Clone)]
pub struct LoginCheck {
    /// The login as stored after the check.
    pub login: Login,
    pub outcome: CheckOutcome,
    /// Calls asked of Xero for it, at most: token refreshes and `/connections` reads (a refresh
    /// another process had just made is counted though it cost nothing).
    pub calls: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CheckOutcome {
    /// Xero answered; these organisations appeared or went since the last look.
    Checked {
        organisations: usize,
        added: Vec<Organisation>,
        removed: Vec<Organisation>,
    },
    /// Only a person signing in again can make it work.
    NeedsReconnect { reason: String },
    /// Xero could not be asked, or refused for a reason that may pass.
    Failed { code: ErrorCode, message: String },
}

/// One check run in words for the activity log.
pub fn check_summary(checks: &[LoginCheck]) -> String {
    let count = |f: fn(&CheckOutcome) -> bool| checks.iter().filter(|c| f(&c.outcome)).count();
    let changed: (usize, usize) = checks.iter().fold((0, 0), |(a, r), c| match &c.outcome {
        CheckOutcome::Checked { added, removed, .. } => (a + added.len(), r + removed.len()),
        _ => (a, r),
    });
    format!(
        "checked {} logins at Xero ({} calls): {} answered, {} need reconnecting, {} failed; {} organisations added, {} disconnected",
        checks.len(),
        checks.iter().map(|c| c.calls).sum::<usize>(),
        count(|o| matches!(o, CheckOutcome::Checked { .. })),
        count(|o| matches!(o, CheckOutcome::NeedsReconnect { .. })),
        count(|o| matches!(o, CheckOutcome::Failed { .. })),
        changed.0,
        changed.1,
    )
}

impl Engine {
    /// Checks every login (or only `only`) at Xero, a few at a time, and records the run.
    pub async fn check(&self, only: Option<&LoginId>) -> Result<Vec<LoginCheck>, EngineError> {
        let mut logins = self.logins().await?;
        if let Some(only) = only {
            logins.retain(|l| &l.id == only);
        }
        let checks = self
            .for_each(logins, |inner, login, limit| async move {
                let (outcome, calls) = inner.check_login(&login, limit).await;
                let id = login.id.clone();
                let login = match inner.db.run(move |s| s.login(&id)).await {
                    Ok(Some(after)) => after,
                    _ => login,
                };
                LoginCheck {
                    login,
                    outcome,
                    calls,
                }
            })
            .await;
        self.inner
            .event(None, EventKind::CheckRun, None, check_summary(&checks))
            .await;
        Ok(checks)
    }
}

impl Inner {
    /// One login's check; `limit` bounds the requests in flight across the run.
    async fn check_login(
        self: &Arc<Self>,
        login: &Login,
        limit: Arc<Semaphore>,
    ) -> (CheckOutcome, usize) {
        if login.state == LoginState::NeedsReconnect {
            // Xero already refused it: asking again cannot help and only looks like an attack.
            let reason = login.last_error.clone().unwrap_or_default();
            return (CheckOutcome::NeedsReconnect { reason }, 0);
        }
        let mut calls = 0;
        let result = self.look(&login.id, limit, &mut calls).await;
        let outcome = match result {
            Ok((organisations, added, removed)) => CheckOutcome::Checked {
                organisations,
                added,
                removed,
            },
            Err(EngineError::NeedsReconnect { reason, .. }) => {
                CheckOutcome::NeedsReconnect { reason }
            }
            Err(e) => {
                let message = e.to_string();
                self.event(
                    Some(&login.id),
                    EventKind::CheckFailed,
                    None,
                    format!("checking at Xero failed: {message}"),
                )
                .await;
                CheckOutcome::Failed {
                    code: e.code(),
                    message,
                }
            }
        };
        (outcome, calls)
    }

    /// A fresh token, then `/connections` (once more after a 401 with a replaced token).
    async fn look(
        self: &Arc<Self>,
        login: &LoginId,
        limit: Arc<Semaphore>,
        calls: &mut usize,
    ) -> Result<(usize, Vec<Organisation>, Vec<Organisation>), EngineError> {
        let slot = self.slot(login);
        let tokens = match slot.fresh(self.clock.now()) {
            Some(tokens) => tokens,
            None => {
                *calls += 1;
                self.spawn_refresh(login.clone(), Mode::IfStale, Some(limit.clone()))
                    .await?
            }
        };
        let _permit = limit.acquire().await.expect("semaphore open");
        *calls += 1;
        let (synced, retried) = self.sync_retrying(login, &tokens).await?;
        if retried {
            *calls += 2;
        }
        Ok((
            synced.all.len(),
            synced.changes.added,
            synced.changes.removed,
        ))
    }
}
