//! The refresh protocol's decisions, as pure functions of what the caller asked, what the journal
//! and the vault hold, and the time: must this caller refresh, was an earlier refresh abandoned,
//! what does Xero's answer mean, how long to back off. The I/O around them is in `mod.rs`.

use super::Mode;
use crate::engine::ROTATION_GRACE;
use crate::engine::slot::Backoff;
use crate::model::{REFRESH_TOKEN_LIFETIME, ReasonCode};
use crate::store::RefreshIntent;
use crate::token::TokenSet;
use crate::xero::XeroError;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// The longest wait after repeated transient failures.
pub(super) const MAX_BACKOFF: Duration = Duration::minutes(5);

/// What to do before taking the cross-process lock, from this process's own state alone.
#[derive(Debug)]
pub(super) enum Early {
    /// Give the caller this token set: someone in this process just refreshed, or Xero is being
    /// left alone during a backoff and the token still works.
    Serve(Arc<TokenSet>),
    /// Give the caller the last failure: backing off, and no token that still works.
    Fail(XeroError),
    /// Take the lock and look at the vault.
    Proceed,
}

/// The decision a caller makes holding only the login's flight mutex. `fresh` and `unexpired`
/// are the cached token set if its access token is fresh, resp. not yet expired, at `now`.
pub(super) fn before_lock(
    mode: &Mode,
    fresh: Option<Arc<TokenSet>>,
    unexpired: Option<Arc<TokenSet>>,
    backoff: &Backoff,
    now: DateTime<Utc>,
) -> Early {
    match mode {
        Mode::Rejected(fingerprint) => match fresh {
            // A caller ahead of us already replaced the rejected token.
            Some(tokens) if tokens.access_token.fingerprint() != *fingerprint => {
                Early::Serve(tokens)
            }
            _ => Early::Proceed,
        },
        Mode::IfStale => {
            if let Some(tokens) = fresh {
                return Early::Serve(tokens); // a caller ahead of us in this process refreshed
            }
            match (&backoff.not_before, &backoff.last) {
                // Do not hammer Xero: serve a token that still works, else the last error.
                (Some(until), Some(last)) if now < *until => match unexpired {
                    Some(tokens) => Early::Serve(tokens),
                    None => Early::Fail(last.clone()),
                },
                _ => Early::Proceed,
            }
        }
        Mode::Force | Mode::Ahead(_) | Mode::Recover => Early::Proceed,
    }
}

/// What the journal says about this login, read against the vault's token set.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Journal {
    /// No refresh is outstanding.
    Clear,
    /// A refresh got as far as storing its new tokens (the vault's refresh token is no longer
    /// the one it spent) and was interrupted before its bookkeeping: finish that, nothing more.
    Stored(RefreshIntent),
    /// A refresh spent the vault's refresh token and its answer may have been lost: Xero may
    /// have rotated. Refresh again at once with the same token, within Xero's grace.
    AnswerLost(RefreshIntent),
}

pub(super) fn read_journal(intent: Option<RefreshIntent>, current: &TokenSet) -> Journal {
    match intent {
        None => Journal::Clear,
        Some(intent) if intent.refresh_token_fingerprint != current.refresh_token.fingerprint() => {
            Journal::Stored(intent)
        }
        Some(intent) => Journal::AnswerLost(intent),
    }
}

/// Whether this caller must ask Xero, holding both locks, with `current` in the vault. An answer
/// possibly lost always must (the grace is running out); otherwise it depends on what was asked.
/// A refresh another process made while we waited makes it unnecessary.
pub(super) fn must_refresh(
    mode: &Mode,
    answer_lost: bool,
    current: &TokenSet,
    now: DateTime<Utc>,
) -> bool {
    answer_lost
        || match mode {
            Mode::Force => true,
            Mode::IfStale => !current.is_fresh_at(now),
            Mode::Rejected(fingerprint) => current.access_token.fingerprint() == *fingerprint,
            Mode::Ahead(window) => current.expires_at - now <= *window,
            // Only an intent still there once we hold the lock was abandoned; one gone by then
            // was in flight in another process, and costs no refresh here.
            Mode::Recover => false,
        }
}

/// Why Xero refused the refresh token (`invalid_grant`), in words for the person who must sign
/// in again: an answer lost beyond the grace, a token unused for 60 days, or anything else.
pub(super) fn why_refused(
    now: DateTime<Utc>,
    started_at: DateTime<Utc>,
    refresh_issued_at: DateTime<Utc>,
) -> (&'static str, ReasonCode) {
    if now - started_at > ROTATION_GRACE {
        (
            "the answer to an earlier refresh was lost more than 30 minutes ago, and Xero no longer accepts the previous refresh token; sign in again",
            ReasonCode::AnswerLost,
        )
    } else if now - refresh_issued_at > REFRESH_TOKEN_LIFETIME {
        (
            "its refresh token went unused for 60 days and Xero dropped it; sign in again",
            ReasonCode::RefreshTokenExpired,
        )
    } else {
        (
            "Xero no longer accepts its refresh token (it was revoked, or used by another copy of these tokens); sign in again",
            ReasonCode::RefreshTokenRefused,
        )
    }
}

/// How long to leave Xero alone after the `failures`-th transient failure in a row: as Xero
/// says for a 429, else 2 s doubling up to [`MAX_BACKOFF`].
pub(super) fn backoff_wait(failures: u32, error: &XeroError) -> Duration {
    match error {
        XeroError::RateLimited { retry_after, .. } => {
            Duration::from_std(*retry_after).unwrap_or(MAX_BACKOFF)
        }
        _ => Duration::seconds(1 << failures.min(9)).min(MAX_BACKOFF),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const NOW: &str = "2026-03-01T10:00:00Z";

    /// A token set issued at `issued` with Xero's 30-minute access token.
    fn tokens(access: &str, refresh: &str, issued: &str) -> Arc<TokenSet> {
        Arc::new(TokenSet {
            access_token: Secret::new(access),
            refresh_token: Secret::new(refresh),
            id_token: None,
            issued_at: t(issued),
            expires_at: t(issued) + Duration::minutes(30),
            scopes: vec![],
            refresh_issued_at: t(issued),
        })
    }

    fn intent(spent: &str) -> RefreshIntent {
        RefreshIntent {
            login_id: crate::model::LoginId::new("u").unwrap(),
            started_at: t(NOW),
            refresh_token_fingerprint: Secret::new(spent).fingerprint(),
            pid: 1,
        }
    }

    fn transient() -> XeroError {
        XeroError::Transient("timed out".into())
    }

    #[test]
    fn before_the_lock_a_fresh_token_is_served_and_a_backoff_spares_xero() {
        let fresh = tokens("a1", "r1", "2026-03-01T09:50:00Z");
        let served = |e: Early| match e {
            Early::Serve(t) => t.access_token.expose().to_owned(),
            other => panic!("expected a token, got {other:?}"),
        };
        let calm = Backoff::default();
        assert_eq!(
            served(before_lock(
                &Mode::IfStale,
                Some(fresh.clone()),
                None,
                &calm,
                t(NOW)
            )),
            "a1",
            "a caller that queued behind a refresh takes its result"
        );
        let backing_off = Backoff {
            failures: 1,
            not_before: Some(t(NOW) + Duration::seconds(2)),
            last: Some(transient()),
        };
        let stale = tokens("a0", "r0", "2026-03-01T09:30:30Z");
        assert_eq!(
            served(before_lock(
                &Mode::IfStale,
                None,
                Some(stale),
                &backing_off,
                t(NOW)
            )),
            "a0",
            "during a backoff a token that has not expired is still worth serving"
        );
        assert!(
            matches!(
                before_lock(&Mode::IfStale, None, None, &backing_off, t(NOW)),
                Early::Fail(XeroError::Transient(_))
            ),
            "during a backoff with nothing usable the caller gets the last error at once"
        );
        let over = Backoff {
            not_before: Some(t(NOW) - Duration::seconds(1)),
            ..backing_off
        };
        assert!(
            matches!(
                before_lock(&Mode::IfStale, None, None, &over, t(NOW)),
                Early::Proceed
            ),
            "once the backoff is over, Xero is asked again"
        );
        assert!(
            matches!(
                before_lock(&Mode::Force, Some(fresh.clone()), None, &calm, t(NOW)),
                Early::Proceed
            ),
            "\"Refresh now\" refreshes even a fresh token"
        );
        let rejected = Mode::Rejected(Secret::new("a1").fingerprint());
        assert!(
            matches!(
                before_lock(&rejected, Some(fresh.clone()), None, &calm, t(NOW)),
                Early::Proceed
            ),
            "the token Xero rejected must be replaced"
        );
        let replaced = tokens("a2", "r2", "2026-03-01T09:59:00Z");
        assert_eq!(
            served(before_lock(&rejected, Some(replaced), None, &calm, t(NOW))),
            "a2",
            "but only once however many callers saw the same 401"
        );
    }

    #[test]
    fn the_journal_tells_an_unrecorded_store_from_a_lost_answer() {
        let vault = tokens("a2", "r2", "2026-03-01T09:59:00Z");
        assert_eq!(read_journal(None, &vault), Journal::Clear);
        assert_eq!(
            read_journal(Some(intent("r1")), &vault),
            Journal::Stored(intent("r1")),
            "the vault no longer holds the token the intent spent: the new set was stored"
        );
        assert_eq!(
            read_journal(Some(intent("r2")), &vault),
            Journal::AnswerLost(intent("r2")),
            "the vault still holds the spent token: Xero may have rotated without us seeing it"
        );
    }

    #[test]
    fn who_must_refresh_under_the_lock() {
        let now = t(NOW);
        let fresh = tokens("a1", "r1", "2026-03-01T09:50:00Z");
        let stale = tokens("a0", "r0", "2026-03-01T09:30:30Z");
        let table: [(Mode, bool, &Arc<TokenSet>, bool, &str); 9] = [
            (
                Mode::IfStale,
                false,
                &fresh,
                false,
                "another process refreshed while we waited",
            ),
            (Mode::IfStale, false, &stale, true, "still stale"),
            (
                Mode::IfStale,
                true,
                &fresh,
                true,
                "a lost answer is retried however fresh the token",
            ),
            (Mode::Force, false, &fresh, true, "forced"),
            (
                Mode::Recover,
                false,
                &stale,
                false,
                "recovery only finishes what was abandoned",
            ),
            (
                Mode::Recover,
                true,
                &fresh,
                true,
                "an abandoned refresh is finished",
            ),
            (
                Mode::Ahead(Duration::minutes(5)),
                false,
                &fresh,
                false,
                "20 min left is not within 5",
            ),
            (
                Mode::Ahead(Duration::minutes(25)),
                false,
                &fresh,
                true,
                "20 min left is within 25",
            ),
            (
                Mode::Rejected(Secret::new("a9").fingerprint()),
                false,
                &fresh,
                false,
                "the vault's token is not the rejected one: someone replaced it",
            ),
        ];
        for (mode, lost, current, want, why) in table {
            assert_eq!(
                must_refresh(&mode, lost, current, now),
                want,
                "{mode:?}: {why}"
            );
        }
    }

    #[test]
    fn a_refusal_is_explained_by_what_most_likely_caused_it() {
        let now = t(NOW);
        let (words, code) = why_refused(now, now - Duration::minutes(31), now - Duration::days(1));
        assert!(
            words.contains("more than 30 minutes ago") && code == ReasonCode::AnswerLost,
            "an intent older than the grace explains the refusal"
        );
        let (words, code) = why_refused(now, now, now - Duration::days(61));
        assert!(
            words.contains("60 days") && code == ReasonCode::RefreshTokenExpired,
            "a refresh token older than 60 days"
        );
        let (words, code) = why_refused(now, now, now - Duration::days(1));
        assert!(
            words.contains("revoked") && code == ReasonCode::RefreshTokenRefused,
            "otherwise it was revoked or spent elsewhere"
        );
    }

    #[test]
    fn backoff_doubles_to_five_minutes_and_honours_retry_after() {
        let waits: Vec<i64> = (1..=10)
            .map(|n| backoff_wait(n, &transient()).num_seconds())
            .collect();
        assert_eq!(
            waits,
            [2, 4, 8, 16, 32, 64, 128, 256, 300, 300],
            "doubling from 2 s, never longer than 5 minutes"
        );
        let limited = XeroError::RateLimited {
            retry_after: std::time::Duration::from_secs(30),
            problem: None,
        };
        assert_eq!(
            backoff_wait(1, &limited),
            Duration::seconds(30),
            "Xero's Retry-After is what we wait"
        );
    }
}
