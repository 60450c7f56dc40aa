//! Watching over logins between requests: how bad things are at a glance (the tray), when the
//! next keep-alive run is due (backing off while Xero is unreachable), and which desktop
//! notifications are due now. Pure: the caller passes the logins, the time and what it already
//! said, so every rule is tested without a window, a network or a clock.

use crate::engine::{KeepAliveOutcome, KeepAliveReport};
use crate::model::{Login, LoginId, LoginState};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

/// How often the app runs keep-alive while Xero answers.
pub const KEEPALIVE_INTERVAL: Duration = Duration::hours(1);
/// The first retry after a run that could not reach Xero; doubled per failed run.
pub const OFFLINE_FIRST_RETRY: Duration = Duration::minutes(1);
/// The longest wait while offline, so the app notices the network is back within this.
pub const OFFLINE_MAX_RETRY: Duration = Duration::minutes(15);
/// A notice is said at most once per this, per login (and once for "Xero unreachable").
pub const NOTICE_REPEAT: Duration = Duration::days(1);
/// How long Xero must stay unreachable before the user is told.
pub const UNREACHABLE_NOTICE_AFTER: Duration = Duration::days(1);

/// The worst state among the logins, for the tray icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Level {
    /// Every login is connected (or there are none).
    #[default]
    Fine,
    /// Something failed that may fix itself, or a deadline is near.
    Warning,
    /// A human must reconnect a login.
    Action,
}

/// The tray's summary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attention {
    pub level: Level,
    pub logins: usize,
    /// Logins that need a reconnect, or whose refresh keeps failing with a deadline near.
    pub needing_attention: usize,
}

impl Attention {
    pub fn of(logins: &[Login], now: DateTime<Utc>, notify_days: u32) -> Self {
        let mut attention = Self {
            logins: logins.len(),
            ..Self::default()
        };
        for login in logins {
            let level = login_level(login, now, notify_days);
            attention.level = attention.level.max(level);
            if level != Level::Fine {
                attention.needing_attention += 1;
            }
        }
        attention
    }

    /// One line for the tray's tooltip and menu.
    pub fn summary(&self) -> String {
        match (self.logins, self.needing_attention) {
            (0, _) => "No logins connected".into(),
            (n, 0) => format!("All {n} login{} connected", plural(n)),
            (_, 1) => "1 login needs attention".into(),
            (_, k) => format!("{k} logins need attention"),
        }
    }
}

/// One login's state for the tray: [`Level::Action`] when it needs a reconnect, a warning when
/// its refresh failed or its deadline is within `notify_days`.
pub fn login_level(login: &Login, now: DateTime<Utc>, notify_days: u32) -> Level {
    match login.state {
        LoginState::NeedsReconnect => Level::Action,
        LoginState::Error => Level::Warning,
        LoginState::Connected if deadline_near(login, now, notify_days) => Level::Warning,
        LoginState::Connected => Level::Fine,
    }
}

fn deadline_near(login: &Login, now: DateTime<Utc>, notify_days: u32) -> bool {
    login.refresh_deadline() - now <= Duration::days(notify_days.into())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// When the next keep-alive run is due: every hour while Xero answers; while it cannot be
/// reached, after 1, 2, 4 … minutes up to 15, so the app resumes soon after the network returns
/// without hammering a network that is down.
#[derive(Debug, Clone, Default)]
pub struct KeepAliveSchedule {
    offline_runs: u32,
    unreachable_since: Option<DateTime<Utc>>,
}

/// What one run amounted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunVerdict {
    /// Every login that was due was refreshed or needs a human; nothing to retry soon.
    Done,
    /// At least one due login could not reach Xero, and none was refreshed: the network is down.
    Offline,
    /// Some refreshes failed for other reasons (the engine retries those itself).
    Partial,
}

impl RunVerdict {
    pub fn of(reports: &[KeepAliveReport]) -> Self {
        let (mut unreachable, mut reached, mut failed) = (0, 0, 0);
        for report in reports {
            match &report.outcome {
                KeepAliveOutcome::Failed { code, .. } if *code == "unreachable" => unreachable += 1,
                KeepAliveOutcome::Failed { .. } => failed += 1,
                KeepAliveOutcome::Refreshed { .. } => reached += 1,
                // Usually known before the run, without asking Xero: says nothing either way.
                KeepAliveOutcome::NeedsReconnect { .. } | KeepAliveOutcome::NotDue { .. } => {}
            }
        }
        if unreachable > 0 && reached == 0 {
            Self::Offline
        } else if unreachable + failed > 0 {
            Self::Partial
        } else {
            Self::Done
        }
    }
}

impl KeepAliveSchedule {
    /// Records a run's verdict and returns how long to wait before the next one.
    pub fn after_run(&mut self, verdict: RunVerdict, now: DateTime<Utc>) -> Duration {
        if verdict == RunVerdict::Offline {
            self.unreachable_since.get_or_insert(now);
            let wait = OFFLINE_FIRST_RETRY * 2_i32.saturating_pow(self.offline_runs.min(10));
            self.offline_runs += 1;
            wait.min(OFFLINE_MAX_RETRY)
        } else {
            self.offline_runs = 0;
            self.unreachable_since = None;
            KEEPALIVE_INTERVAL
        }
    }

    /// Since when keep-alive has not reached Xero, if it has not.
    pub fn unreachable_since(&self) -> Option<DateTime<Utc>> {
        self.unreachable_since
    }
}

/// A desktop notification that is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Identifies what is said, for "at most once a day": `<kind>:<login id>`.
    pub key: String,
    /// The login a click opens (`tenantry://login/<id>`); `None` opens the window.
    pub login: Option<LoginId>,
    pub title: String,
    pub body: String,
}

/// The notices due now. `last_said` maps a notice key to when it was last shown.
pub fn due_notices(
    logins: &[Login],
    now: DateTime<Utc>,
    notify_days: u32,
    unreachable_since: Option<DateTime<Utc>>,
    last_said: &HashMap<String, DateTime<Utc>>,
) -> Vec<Notice> {
    let quiet = |key: &str| {
        last_said
            .get(key)
            .is_some_and(|at| now - *at < NOTICE_REPEAT)
    };
    let mut notices = Vec::new();
    for login in logins {
        let who = if login.email.is_empty() {
            &login.name
        } else {
            &login.email
        };
        let (key, title, body) = match login.state {
            LoginState::NeedsReconnect => (
                format!("reconnect:{}", login.id),
                format!("Reconnect {who}"),
                format!(
                    "Xero no longer accepts this login ({}). Its organisations are unreachable until you sign in again.",
                    login.last_error.as_deref().unwrap_or("sign-in withdrawn")
                ),
            ),
            LoginState::Error if deadline_near(login, now, notify_days) => {
                let left = (login.refresh_deadline() - now).num_days().max(0);
                (
                    format!("deadline:{}", login.id),
                    format!("{who} lapses in {left} day{}", plural(left as usize)),
                    format!(
                        "Refreshing it failed ({}). Unless a refresh succeeds by {}, you will have to sign in again.",
                        login.last_error.as_deref().unwrap_or("no answer"),
                        login.refresh_deadline().format("%-d %B")
                    ),
                )
            }
            _ => continue,
        };
        if !quiet(&key) {
            notices.push(Notice {
                key,
                login: Some(login.id.clone()),
                title,
                body,
            });
        }
    }
    if let Some(since) = unreachable_since
        && now - since >= UNREACHABLE_NOTICE_AFTER
        && !quiet(UNREACHABLE_KEY)
    {
        notices.push(Notice {
            key: UNREACHABLE_KEY.into(),
            login: None,
            title: "Tenantry cannot reach Xero".into(),
            body: format!(
                "Keep-alive has not reached Xero since {}. Check this computer's internet connection; logins lapse 60 days after their last refresh.",
                since.format("%-d %B %H:%M UTC")
            ),
        });
    }
    notices
}

const UNREACHABLE_KEY: &str = "unreachable";

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    fn login(id: &str, state: LoginState, refreshed: &str) -> Login {
        Login {
            id: LoginId::new(id).unwrap(),
            name: id.into(),
            email: format!("{id}@example.com"),
            state,
            last_error: (state != LoginState::Connected).then(|| "invalid_grant".into()),
            access_expires_at: at(refreshed) + Duration::minutes(30),
            refresh_issued_at: at(refreshed),
            last_refresh_at: Some(at(refreshed)),
            scopes: vec![],
            connected_at: at(refreshed),
        }
    }

    fn report(outcome: KeepAliveOutcome) -> KeepAliveReport {
        KeepAliveReport {
            login: login("x", LoginState::Connected, "2026-11-01T00:00:00Z"),
            outcome,
        }
    }

    #[test]
    fn the_tray_shows_the_worst_login() {
        let now = at("2026-11-28T12:00:00Z");
        let fine = login("a", LoginState::Connected, "2026-11-20T00:00:00Z");
        // Refreshed 55 days ago: 5 days left, inside a 7-day warning window.
        let aging = login("b", LoginState::Connected, "2026-10-04T12:00:00Z");
        let failing = login("c", LoginState::Error, "2026-11-27T00:00:00Z");
        let lost = login("d", LoginState::NeedsReconnect, "2026-11-01T00:00:00Z");
        assert_eq!(Attention::of(&[], now, 7).summary(), "No logins connected");
        let one = Attention::of(std::slice::from_ref(&fine), now, 7);
        assert_eq!(
            (one.level, one.summary().as_str()),
            (Level::Fine, "All 1 login connected"),
            "a connected login far from its deadline needs nothing"
        );
        let near = Attention::of(&[fine.clone(), aging.clone()], now, 7);
        assert_eq!(
            (near.level, near.needing_attention),
            (Level::Warning, 1),
            "a login 5 days from lapsing is a warning when the window is 7 days"
        );
        assert_eq!(
            Attention::of(&[fine.clone(), aging.clone()], now, 3).level,
            Level::Fine,
            "and not when the window is 3"
        );
        let worst = Attention::of(&[fine, aging, failing, lost], now, 7);
        assert_eq!(
            (worst.level, worst.needing_attention),
            (Level::Action, 3),
            "needing a human outranks every warning, and each problem login counts once"
        );
        assert_eq!(worst.summary(), "3 logins need attention");
    }

    #[test]
    fn keep_alive_backs_off_while_offline_and_resumes_hourly() {
        let mut schedule = KeepAliveSchedule::default();
        let t0 = at("2026-11-28T12:00:00Z");
        let waits: Vec<i64> = (0..7)
            .map(|i| {
                schedule
                    .after_run(RunVerdict::Offline, t0 + Duration::minutes(i))
                    .num_minutes()
            })
            .collect();
        assert_eq!(
            waits,
            [1, 2, 4, 8, 15, 15, 15],
            "retries double from a minute and stop growing at 15, so a returning network is noticed within 15 minutes"
        );
        assert_eq!(
            schedule.unreachable_since(),
            Some(t0),
            "offline since the first failed run, not the latest"
        );
        assert_eq!(
            schedule.after_run(RunVerdict::Done, t0 + Duration::hours(1)),
            KEEPALIVE_INTERVAL,
            "once Xero answers, runs go back to hourly"
        );
        assert_eq!(schedule.unreachable_since(), None);
        assert_eq!(
            schedule.after_run(RunVerdict::Offline, t0 + Duration::hours(2)),
            OFFLINE_FIRST_RETRY,
            "a new outage starts the back-off afresh"
        );
    }

    #[test]
    fn a_run_is_offline_only_when_nothing_reached_xero() {
        let deadline = at("2027-01-01T00:00:00Z");
        let unreachable = || KeepAliveOutcome::Failed {
            code: "unreachable",
            message: "timed out".into(),
        };
        assert_eq!(
            RunVerdict::of(&[
                report(unreachable()),
                report(KeepAliveOutcome::NotDue { deadline })
            ]),
            RunVerdict::Offline
        );
        assert_eq!(
            RunVerdict::of(&[
                report(unreachable()),
                report(KeepAliveOutcome::Refreshed { deadline })
            ]),
            RunVerdict::Partial,
            "one login reaching Xero means the network is up"
        );
        assert_eq!(
            RunVerdict::of(&[report(KeepAliveOutcome::NotDue { deadline })]),
            RunVerdict::Done,
            "a run with nothing due is not offline"
        );
        assert_eq!(
            RunVerdict::of(&[
                report(unreachable()),
                report(KeepAliveOutcome::NeedsReconnect {
                    reason: "invalid_grant".into()
                })
            ]),
            RunVerdict::Offline,
            "a login already needing a human was not asked about, so it proves no connection"
        );
    }

    #[test]
    fn notices_fire_for_what_needs_a_human_at_most_once_a_day() {
        let now = at("2026-11-28T12:00:00Z");
        let lost = login("d", LoginState::NeedsReconnect, "2026-11-01T00:00:00Z");
        // Failing, 4 days from its deadline.
        let failing = login("c", LoginState::Error, "2026-10-03T12:00:00Z");
        // Failing but 50 days left: the engine's retries have time; no notice.
        let failing_early = login("e", LoginState::Error, "2026-11-18T12:00:00Z");
        // Connected but close: keep-alive will refresh it; no notice.
        let aging = login("b", LoginState::Connected, "2026-10-03T12:00:00Z");
        let logins = [lost, failing, failing_early, aging];
        let mut said = HashMap::new();
        let first = due_notices(&logins, now, 7, None, &said);
        let keys: Vec<&str> = first.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(
            keys,
            ["reconnect:d", "deadline:c"],
            "only a needed reconnect and a failing refresh near its deadline are worth a notification"
        );
        assert_eq!(first[1].title, "c@example.com lapses in 4 days");
        assert!(
            first[1].body.contains("2 December"),
            "the body names the deadline: {}",
            first[1].body
        );
        for notice in &first {
            said.insert(notice.key.clone(), now);
        }
        assert!(
            due_notices(&logins, now + Duration::hours(23), 7, None, &said).is_empty(),
            "nothing is repeated within a day"
        );
        assert_eq!(
            due_notices(&logins, now + Duration::hours(24), 7, None, &said).len(),
            2,
            "and both are said again a day later if still true"
        );
    }

    #[test]
    fn xero_unreachable_for_a_day_is_said_once() {
        let now = at("2026-11-28T12:00:00Z");
        let since = now - Duration::hours(23);
        assert!(
            due_notices(&[], now, 7, Some(since), &HashMap::new()).is_empty(),
            "23 hours offline is not yet worth interrupting anyone"
        );
        let later = now + Duration::hours(1);
        let notices = due_notices(&[], later, 7, Some(since), &HashMap::new());
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].login, None, "the click opens the window");
        let said = HashMap::from([(notices[0].key.clone(), later)]);
        assert!(due_notices(&[], later + Duration::hours(2), 7, Some(since), &said).is_empty());
    }
}
