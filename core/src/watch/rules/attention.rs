//! How bad things are at a glance: each login's level, the worst of them, and the login most in
//! need of a human (the tray's colour, its summary, and where its attention item leads).

use crate::model::{Login, LoginId};
use chrono::{DateTime, Duration, Utc};

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
    use crate::health::{LoginHealth as H, login_health};
    match login_health(login, now, notify_days) {
        H::NeedsReconnect | H::Lapsed => Level::Action,
        H::Error | H::Expiring => Level::Warning,
        H::Connected => Level::Fine,
    }
}

/// The login most in need of a human: one needing a reconnect before one that is failing.
pub fn first_needing_attention(
    logins: &[Login],
    now: DateTime<Utc>,
    notify_days: u32,
) -> Option<LoginId> {
    logins
        .iter()
        .map(|l| (login_level(l, now, notify_days), &l.id))
        .filter(|(level, _)| *level != Level::Fine)
        .max_by_key(|(level, _)| *level)
        .map(|(_, id)| id.clone())
}

pub(super) fn deadline_near(login: &Login, now: DateTime<Utc>, notify_days: u32) -> bool {
    login.refresh_deadline() - now <= Duration::days(notify_days.into())
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{at, login};
    use super::*;
    use crate::model::LoginState;

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
    fn the_login_needing_a_human_most_is_shown_first() {
        let now = at("2026-11-28T12:00:00Z");
        let fine = login("a", LoginState::Connected, "2026-11-20T00:00:00Z");
        let failing = login("c", LoginState::Error, "2026-11-27T00:00:00Z");
        let lost = login("d", LoginState::NeedsReconnect, "2026-11-01T00:00:00Z");
        assert_eq!(
            first_needing_attention(std::slice::from_ref(&fine), now, 7),
            None
        );
        assert_eq!(
            first_needing_attention(&[fine, failing.clone(), lost.clone()], now, 7),
            Some(lost.id),
            "a login Xero refused outranks one whose refreshes are failing"
        );
        assert_eq!(
            first_needing_attention(std::slice::from_ref(&failing), now, 7),
            Some(failing.id)
        );
    }
}
