//! Which desktop notifications are due now: a login needing a reconnect, a failing login near its
//! deadline, Xero unreachable for a day, each at most once a day; and each egress mark passed
//! this month (80 % and 100 % of a budget or the allowance), once.

use super::attention::{deadline_near, plural};
use crate::model::{Event, EventKind, Login, LoginId, LoginState};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

/// A notice is said at most once per this, per login (and once for "Xero unreachable").
pub const NOTICE_REPEAT: Duration = Duration::days(1);
/// How long Xero must stay unreachable before the user is told.
pub const UNREACHABLE_NOTICE_AFTER: Duration = Duration::days(1);

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
        let lapsed = login.state != LoginState::NeedsReconnect && now >= login.refresh_deadline();
        let (key, title, body) = match login.state {
            _ if lapsed => (
                format!("reconnect:{}", login.id),
                format!("Reconnect {who}"),
                format!(
                    "Its refresh token went unused for 60 days and Xero dropped it on {}. Its organisations are unreachable until you sign in again.",
                    crate::when::local_date(login.refresh_deadline())
                ),
            ),
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

/// The egress marks this month's `egress` events say were passed (by whichever process met them:
/// a `tenantry gateway`, the window's own, another machine's in a practice) and not yet shown:
/// each once. `events` newest first, as the store gives them.
pub fn egress_notices(
    events: &[Event],
    now: DateTime<Utc>,
    last_said: &HashMap<String, DateTime<Utc>>,
) -> Vec<Notice> {
    let (month_start, _) = crate::usage::Month::of(now).bounds();
    events
        .iter()
        .filter(|e| e.kind == EventKind::Egress && e.at >= month_start)
        .map(|e| (format!("egress-shown:{}", e.id), e))
        .filter(|(key, _)| !last_said.contains_key(key))
        .map(|(key, e)| Notice {
            key,
            login: None,
            title: if e.detail.contains("refuses further calls") {
                "Xero egress budget used up".into()
            } else {
                "Xero egress this month".into()
            },
            body: e.detail.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{at, login};
    use super::*;

    fn event(id: i64, kind: EventKind, when: &str, detail: &str) -> Event {
        Event {
            id,
            at: at(when),
            login_id: None,
            kind,
            tenant_id: None,
            detail: detail.into(),
            login_name: None,
            login_email: None,
            by: None,
        }
    }

    #[test]
    fn each_egress_mark_of_this_month_is_shown_once() {
        let now = at("2026-12-07T12:00:00Z");
        let events = [
            event(
                9,
                EventKind::Egress,
                "2026-12-07T11:00:00Z",
                "100% of the app's egress budget of 5 GB this month is used; the gateway refuses further calls until the month ends; raise it with `tenantry config set egress_budget_gb GB`",
            ),
            event(8, EventKind::Refreshed, "2026-12-07T10:00:00Z", "refreshed"),
            event(
                7,
                EventKind::Egress,
                "2026-12-03T10:00:00Z",
                "80% of the app's egress budget of 5 GB this month is used; raise it with `tenantry config set egress_budget_gb GB`",
            ),
            event(
                3,
                EventKind::Egress,
                "2026-11-28T10:00:00Z",
                "80% of last month's",
            ),
        ];
        let due = egress_notices(&events, now, &HashMap::new());
        assert_eq!(
            due.iter().map(|n| n.key.as_str()).collect::<Vec<_>>(),
            ["egress-shown:9", "egress-shown:7"],
            "this month's marks, not another kind of event nor last month's"
        );
        assert_eq!(due[0].title, "Xero egress budget used up");
        assert!(due[0].body.contains("egress_budget_gb"), "the fix is said");
        assert_eq!(due[1].title, "Xero egress this month");
        let said = HashMap::from([("egress-shown:9".to_owned(), now)]);
        assert_eq!(
            egress_notices(&events, now, &said)
                .iter()
                .map(|n| n.key.as_str())
                .collect::<Vec<_>>(),
            ["egress-shown:7"],
            "once each"
        );
    }

    #[test]
    fn a_login_past_its_deadline_needs_reconnecting_though_xero_has_not_said_so_yet() {
        let now = at("2026-11-28T12:00:00Z");
        let lapsed = login("f", LoginState::Connected, "2026-09-28T11:00:00Z");
        let notices = due_notices(&[lapsed], now, 7, None, &HashMap::new());
        assert_eq!(
            notices.iter().map(|n| n.key.as_str()).collect::<Vec<_>>(),
            ["reconnect:f"],
            "61 days unused: only signing in again helps, and the person must hear it"
        );
        assert!(notices[0].body.contains("60 days"), "{}", notices[0].body);
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
