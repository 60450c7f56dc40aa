//! Runs over every login: keep-alive (refresh those whose refresh token is getting old, before
//! Xero's 60-day limit), refresh-all, and refreshing logins in use ahead of expiry. At most
//! [`KEEPALIVE_CONCURRENCY`] token requests are in flight at once, and each login's refresh holds
//! a request slot only while it asks Xero.

use super::refresh::Mode;
use super::{Engine, Inner, KEEPALIVE_CONCURRENCY};
use crate::error::{EngineError, ErrorCode};
use crate::model::{EventKind, Login, LoginId, LoginState, REFRESH_TOKEN_LIFETIME};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::Semaphore;

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
    Failed { code: ErrorCode, message: String },
}

/// What keep-alive must do for a login before asking anyone: nothing (young enough), nothing it
/// can (Xero already refused it), or refresh.
fn due(login: &Login, older_than: Duration, now: DateTime<Utc>) -> Option<KeepAliveOutcome> {
    if login.state == LoginState::NeedsReconnect {
        Some(KeepAliveOutcome::NeedsReconnect {
            reason: login.last_error.clone().unwrap_or_default(),
        })
    } else if login.id.is_custom_connection() || now - login.refresh_issued_at < older_than {
        // A Custom Connection has no refresh token to keep alive.
        Some(KeepAliveOutcome::NotDue {
            deadline: login.refresh_deadline(),
        })
    } else {
        None
    }
}

/// One keep-alive run in words for the activity log; `note` (such as when the next try is) is
/// appended.
pub fn keepalive_summary(reports: &[KeepAliveReport], scheduled: bool, note: &str) -> String {
    let count = |f: fn(&KeepAliveOutcome) -> bool| reports.iter().filter(|r| f(&r.outcome)).count();
    let refreshed = count(|o| matches!(o, KeepAliveOutcome::Refreshed { .. }));
    let not_due = count(|o| matches!(o, KeepAliveOutcome::NotDue { .. }));
    let reconnect = count(|o| matches!(o, KeepAliveOutcome::NeedsReconnect { .. }));
    let failed = count(|o| matches!(o, KeepAliveOutcome::Failed { .. }));
    format!(
        "keep-alive run{}: {refreshed} refreshed, {not_due} not due, {reconnect} need reconnecting, {failed} failed{note}",
        if scheduled { " (scheduled)" } else { "" }
    )
}

impl Engine {
    /// Refreshes every login whose refresh token is older than `older_than`, a few at a time.
    pub async fn keepalive(
        &self,
        older_than: Duration,
    ) -> Result<Vec<KeepAliveReport>, EngineError> {
        let now = self.inner.clock.now();
        self.for_each_login(move |inner, login, limit| async move {
            let outcome = match due(&login, older_than, now) {
                Some(known) => known,
                None => inner.keep_alive(&login.id, limit).await,
            };
            let id = login.id.clone();
            let login = match inner.db.run(move |s| s.login(&id)).await {
                Ok(Some(after)) => after,
                _ => login,
            };
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
        let logins = self.logins().await?;
        Ok(self.for_each(logins, work).await)
    }

    /// [`Engine::for_each_login`] over the given logins.
    pub(super) async fn for_each<T, Fut>(
        &self,
        logins: Vec<Login>,
        work: impl Fn(Arc<Inner>, Login, Arc<Semaphore>) -> Fut,
    ) -> Vec<T>
    where
        Fut: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let requests = Arc::new(Semaphore::new(KEEPALIVE_CONCURRENCY));
        // Twice as many logins in hand as requests in flight, so that while some wait for Xero
        // others read or write the keychain (which may serve one call at a time) instead of
        // holding a request slot; bounded, so 1,000 logins are not 1,000 open lock files.
        let in_hand = Arc::new(Semaphore::new(2 * KEEPALIVE_CONCURRENCY));
        let done = self.inner.progress.read().expect("progress lock").clone();
        let tasks: Vec<_> = logins
            .into_iter()
            .map(|login| {
                let (inner, requests, in_hand) =
                    (self.inner.clone(), requests.clone(), in_hand.clone());
                let (done, shown) = (done.clone(), done.as_ref().map(|_| login.clone()));
                let work = work(inner, login, requests);
                tokio::spawn(async move {
                    let _in_hand = in_hand.acquire_owned().await.expect("semaphore open");
                    let out = work.await;
                    if let (Some(done), Some(login)) = (done, shown) {
                        done(&login);
                    }
                    out
                })
            })
            .collect();
        let mut results = Vec::with_capacity(tasks.len());
        for task in tasks {
            results.push(task.await.expect("a login's task does not panic"));
        }
        results
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
        let (used, logins) = self
            .inner
            .db
            .run(move |s| Ok((s.used_since(now - used_within)?, s.logins()?)))
            .await?;
        let used: HashSet<LoginId> = used.into_iter().collect();
        let mut results = Vec::new();
        for login in logins {
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
    pub async fn record_keepalive_run(
        &self,
        reports: &[KeepAliveReport],
        scheduled: bool,
        note: &str,
    ) {
        let kind = if scheduled {
            EventKind::ScheduledRun
        } else {
            EventKind::KeepAliveRun
        };
        self.inner
            .event(
                None,
                kind,
                None,
                keepalive_summary(reports, scheduled, note),
            )
            .await;
    }
}

impl Inner {
    /// Refreshes one login for keep-alive and logs its new deadline.
    async fn keep_alive(
        self: &Arc<Self>,
        login: &LoginId,
        limit: Arc<Semaphore>,
    ) -> KeepAliveOutcome {
        match self
            .spawn_refresh(login.clone(), Mode::Force, Some(limit))
            .await
        {
            Ok(tokens) => {
                let deadline = tokens.refresh_issued_at + REFRESH_TOKEN_LIFETIME;
                let detail = format!(
                    "refreshed by keep-alive; next deadline {}",
                    deadline.format("%Y-%m-%d")
                );
                self.event(Some(login), EventKind::KeepAlive, None, detail)
                    .await;
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::{at, login};

    #[test]
    fn keep_alive_asks_xero_only_for_logins_old_enough_that_xero_still_accepts() {
        let now = at("2026-04-20T10:00:00Z"); // the fixture's refresh token is 50 days old
        let fresh = login("a");
        assert!(
            due(&fresh, Duration::days(45), now).is_none(),
            "50 days old against a 45-day threshold: refresh"
        );
        assert_eq!(
            due(&fresh, Duration::days(55), now),
            Some(KeepAliveOutcome::NotDue {
                deadline: fresh.refresh_deadline()
            }),
            "not yet old enough"
        );
        let mut lost = login("b");
        lost.state = LoginState::NeedsReconnect;
        lost.last_error = Some("revoked".into());
        assert_eq!(
            due(&lost, Duration::days(45), now),
            Some(KeepAliveOutcome::NeedsReconnect {
                reason: "revoked".into()
            }),
            "Xero already refused it: asking again cannot help"
        );
    }

    #[test]
    fn a_run_is_summed_up_in_one_line() {
        let report = |outcome| KeepAliveReport {
            login: login("a"),
            outcome,
        };
        let deadline = at("2026-05-01T00:00:00Z");
        let reports = [
            report(KeepAliveOutcome::Refreshed { deadline }),
            report(KeepAliveOutcome::NotDue { deadline }),
            report(KeepAliveOutcome::NotDue { deadline }),
            report(KeepAliveOutcome::Failed {
                code: ErrorCode::Unreachable,
                message: "timed out".into(),
            }),
        ];
        assert_eq!(
            keepalive_summary(&reports, true, "; next try in 2 min"),
            "keep-alive run (scheduled): 1 refreshed, 2 not due, 0 need reconnecting, 1 failed; next try in 2 min"
        );
    }
}
