//! What each login and each organisation needs, as people see it: derived from what is stored and
//! the time, by pure functions, so the CLI, the window and the notices say the same thing.
//!
//! A login's stored state says what Xero last answered; its health adds the clock (a login 4 days
//! from Xero's 60-day deadline is `expiring`, one past it `lapsed`). An organisation's state
//! follows from its rows (one per login that reaches it): reachable through any working login is
//! `connected`; otherwise a transient failure is `error`, logins that all need a human are
//! `needs_reconnect`, and a tenant Xero no longer lists for any login is `disconnected`.

use crate::model::{Login, LoginState, ReasonCode};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

mod organisations;

pub use organisations::{OrgRow, OrgState, OrgStatus, organisation_statuses};

/// A login's health: its stored state read against the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum LoginHealth {
    Connected,
    /// Within `notify_days` of the 60-day deadline: refreshing it is failing or has not happened.
    Expiring,
    /// Past the 60-day deadline: Xero has dropped its refresh token.
    Lapsed,
    /// Xero refused its refresh token (or its tokens are gone): only signing in again helps.
    NeedsReconnect,
    /// The last call to Xero failed for a reason that may pass.
    Error,
}

impl LoginHealth {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::Expiring => "expiring",
            Self::Lapsed => "lapsed",
            Self::NeedsReconnect => "needs_reconnect",
            Self::Error => "error",
        }
    }

    /// Only a person signing in again can make it work.
    pub fn needs_human(self) -> bool {
        matches!(self, Self::NeedsReconnect | Self::Lapsed)
    }

    /// Its access token can be handed out (and counted down).
    pub fn usable(self) -> bool {
        matches!(self, Self::Connected | Self::Expiring | Self::Error)
    }
}

/// The step that fixes a login in this health: signing in again when only a person can help,
/// a refresh when it is failing or its deadline is near.
pub fn login_fix(login: &Login, health: LoginHealth) -> Option<crate::fix::Fix> {
    use crate::fix::Fix;
    let (id, email) = (login.id.clone(), login.email.clone());
    match health {
        LoginHealth::Connected => None,
        LoginHealth::NeedsReconnect | LoginHealth::Lapsed => {
            Some(Fix::Reconnect { login: id, email })
        }
        LoginHealth::Expiring | LoginHealth::Error => Some(Fix::Retry { login: id, email }),
    }
}

/// Whole days left before `deadline`, counted down from `now` (negative once past).
pub fn days_left(deadline: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (deadline - now).num_days()
}

pub fn login_health(login: &Login, now: DateTime<Utc>, notify_days: u32) -> LoginHealth {
    let deadline = login.refresh_deadline();
    // A Custom Connection has no refresh token, so no 60-day deadline to lapse by.
    let custom = login.id.is_custom_connection();
    if login.state == LoginState::NeedsReconnect {
        LoginHealth::NeedsReconnect
    } else if custom {
        if login.state == LoginState::Error {
            LoginHealth::Error
        } else {
            LoginHealth::Connected
        }
    } else if now >= deadline {
        LoginHealth::Lapsed
    } else if deadline - now <= Duration::days(notify_days.into()) {
        LoginHealth::Expiring
    } else if login.state == LoginState::Error {
        LoginHealth::Error
    } else {
        LoginHealth::Connected
    }
}

/// Why a login is not simply connected, in words for a person (no command of any front end).
pub fn login_reason(login: &Login, health: LoginHealth, now: DateTime<Utc>) -> Option<String> {
    let deadline = login.refresh_deadline().format("%Y-%m-%d %H:%M UTC");
    let failing = login
        .last_error
        .as_deref()
        .map(|e| format!("; the last refresh failed: {e}"))
        .unwrap_or_default();
    match health {
        LoginHealth::Connected => None,
        LoginHealth::NeedsReconnect => Some(
            login
                .last_error
                .clone()
                .unwrap_or_else(|| "Xero no longer accepts its refresh token".into()),
        ),
        LoginHealth::Lapsed => Some(format!(
            "its refresh token went unused for 60 days and Xero dropped it at {deadline}"
        )),
        LoginHealth::Expiring => Some(format!(
            "Xero drops it at {deadline} ({} days) unless it is refreshed{failing}",
            days_left(login.refresh_deadline(), now)
        )),
        LoginHealth::Error => login.last_error.clone(),
    }
}

/// How many of the app's connections this profile's logins hold: one per login and organisation
/// it reaches (Xero counts each user's connection to a tenant), not counting the disconnected.
/// Xero counts every user of the app, so other machines' logins may hold more.
pub fn connections_used(orgs: &[crate::model::Organisation]) -> usize {
    orgs.iter().filter(|o| o.disconnected_at.is_none()).count()
}

/// Whether one more organisation would pass the configured cap.
pub fn at_connection_limit(used: usize, limit: Option<u32>) -> bool {
    limit.is_some_and(|limit| used >= limit as usize)
}

/// The scopes the configuration asks for that Xero did not grant this login (granular scopes,
/// required for apps created since 2 March 2026, make this common): calls needing them fail
/// until the login consents again.
pub fn missing_scopes(login: &Login, wanted: &[String]) -> Vec<String> {
    wanted
        .iter()
        .filter(|s| !login.scopes.contains(s))
        .cloned()
        .collect()
}

/// The reason as a stable code for scripts: the deadline's for `expiring`/`lapsed`, else what
/// the last failure stored. A login needing a person whose row predates stored codes is
/// `refresh_token_refused`, what Xero's `invalid_grant` means; an old failing row `unreachable`.
pub fn login_reason_code(login: &Login, health: LoginHealth) -> Option<ReasonCode> {
    match health {
        LoginHealth::Connected => None,
        LoginHealth::Expiring => Some(ReasonCode::Expiring),
        LoginHealth::Lapsed => Some(ReasonCode::Lapsed),
        LoginHealth::NeedsReconnect => {
            Some(login.reason_code.unwrap_or(ReasonCode::RefreshTokenRefused))
        }
        LoginHealth::Error => Some(login.reason_code.unwrap_or(ReasonCode::Unreachable)),
    }
}

/// The calls left today that still mean something at `now`: those Xero said in the past 24
/// hours (its day is a fixed window of its own, so an older count is stale).
pub fn calls_left_today(
    seen: std::collections::HashMap<String, (u32, DateTime<Utc>)>,
    now: DateTime<Utc>,
) -> std::collections::HashMap<String, u32> {
    seen.into_iter()
        .filter(|(_, (_, at))| now - *at < Duration::hours(24))
        .map(|(tenant, (left, _))| (tenant, left))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LoginId;
    use crate::store::fixtures::{at, issued, login};

    #[test]
    fn calls_left_are_shown_only_while_xero_s_day_they_belong_to_may_still_run() {
        let now = at("2026-03-02T09:00:00Z");
        let seen = std::collections::HashMap::from([
            ("fresh".to_owned(), (4200, at("2026-03-02T08:00:00Z"))),
            ("stale".to_owned(), (10, at("2026-03-01T08:59:00Z"))),
        ]);
        let shown = calls_left_today(seen, now);
        assert_eq!(shown.get("fresh"), Some(&4200), "said an hour ago");
        assert_eq!(
            shown.get("stale"),
            None,
            "said over a day ago: its window has reset"
        );
    }

    #[test]
    fn a_custom_connection_never_lapses_but_can_need_a_person() {
        let mut l = login("a");
        l.id = LoginId::custom_connection("CUSTOMAPP1").unwrap();
        l.refresh_issued_at = at("2026-01-01T00:00:00Z");
        let now = at("2026-12-01T00:00:00Z");
        assert_eq!(
            login_health(&l, now, 7),
            LoginHealth::Connected,
            "no refresh token, no 60-day deadline: a year on it is still connected"
        );
        l.state = LoginState::NeedsReconnect;
        assert_eq!(
            login_health(&l, now, 7),
            LoginHealth::NeedsReconnect,
            "a refused secret still needs a person"
        );
        assert_eq!(l.id.custom_client_id(), Some("CUSTOMAPP1"));
        assert!(
            LoginId::custom_connection("bad/id").is_err()
                && !LoginId::new("1c3d2a6e-8a3b-4f0e-9d8c-000000000a11")
                    .unwrap()
                    .is_custom_connection(),
            "a client id is letters and digits; a user's UUID is never a custom connection"
        );
    }

    #[test]
    fn the_cap_is_reached_when_one_more_would_pass_it() {
        assert!(!at_connection_limit(24, Some(25)), "one left");
        assert!(at_connection_limit(25, Some(25)), "none left");
        assert!(
            !at_connection_limit(10_000, None),
            "no cap configured, no warning"
        );
        let mut gone = crate::store::fixtures::org("a", "t-1");
        gone.disconnected_at = Some(at("2026-12-01T00:00:00Z"));
        let orgs = [gone, crate::store::fixtures::org("a", "t-2")];
        assert_eq!(
            connections_used(&orgs),
            1,
            "a connection Xero removed no longer counts"
        );
    }

    #[test]
    fn scopes_asked_for_but_not_granted_are_named() {
        let mut l = login("a");
        l.scopes = vec!["openid".into(), "accounting.settings.read".into()];
        let wanted = ["openid".into(), "accounting.contacts".into()];
        assert_eq!(
            missing_scopes(&l, &wanted),
            ["accounting.contacts"],
            "only what the configuration asks for and the consent lacks"
        );
    }

    #[test]
    fn reason_codes_follow_health_then_what_was_stored() {
        let mut l = login("a");
        assert_eq!(
            login_reason_code(&l, LoginHealth::Connected),
            None,
            "nothing to explain"
        );
        assert_eq!(
            login_reason_code(&l, LoginHealth::Lapsed),
            Some(ReasonCode::Lapsed),
            "the deadline explains a lapse whatever failed before"
        );
        l.reason_code = Some(ReasonCode::TokensMissing);
        assert_eq!(
            login_reason_code(&l, LoginHealth::NeedsReconnect),
            Some(ReasonCode::TokensMissing),
            "the stored code of the failure"
        );
        l.reason_code = None;
        assert_eq!(
            login_reason_code(&l, LoginHealth::Error),
            Some(ReasonCode::Unreachable),
            "a row from before codes were kept still gets one"
        );
    }

    const NOTIFY: u32 = 7;

    #[test]
    fn a_login_s_health_reads_its_state_against_the_60_day_deadline() {
        let now = at("2026-03-01T12:00:00Z");
        let table = [
            (
                "2026-02-20T12:00:00Z",
                LoginState::Connected,
                LoginHealth::Connected,
            ),
            (
                "2026-01-05T12:00:00Z",
                LoginState::Connected,
                LoginHealth::Expiring,
            ),
            (
                "2026-01-05T12:00:00Z",
                LoginState::Error,
                LoginHealth::Expiring,
            ),
            (
                "2025-12-31T12:00:00Z",
                LoginState::Connected,
                LoginHealth::Lapsed,
            ),
            (
                "2025-12-31T11:00:00Z",
                LoginState::Error,
                LoginHealth::Lapsed,
            ),
            (
                "2026-02-20T12:00:00Z",
                LoginState::Error,
                LoginHealth::Error,
            ),
            (
                "2026-02-20T12:00:00Z",
                LoginState::NeedsReconnect,
                LoginHealth::NeedsReconnect,
            ),
            (
                "2025-11-01T12:00:00Z",
                LoginState::NeedsReconnect,
                LoginHealth::NeedsReconnect,
            ),
        ];
        for (refreshed, state, want) in table {
            let l = issued("a", refreshed, state);
            assert_eq!(
                login_health(&l, now, NOTIFY),
                want,
                "refreshed {refreshed}, stored {state:?}: a login one day past its deadline is \
                 not connected, and one 4 days from it is not silently healthy"
            );
        }
        let lapsed = issued("a", "2025-12-31T12:00:00Z", LoginState::Connected);
        assert!(
            login_reason(&lapsed, LoginHealth::Lapsed, now)
                .unwrap()
                .contains("2026-03-01 12:00 UTC"),
            "a lapsed login says when Xero dropped it"
        );
    }
}
