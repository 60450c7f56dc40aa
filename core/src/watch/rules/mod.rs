//! The watch's rules: how bad things are at a glance (the tray), when the next keep-alive run is
//! due (backing off while Xero is unreachable), and which desktop notifications are due now.
//! Pure: the caller passes the logins, the time and what it already said, so every rule is
//! tested without a window, a network or a clock.

mod attention;
mod notices;
mod schedule;

pub use attention::{Attention, Level, first_needing_attention, login_level};
pub use notices::{NOTICE_REPEAT, Notice, UNREACHABLE_NOTICE_AFTER, due_notices, egress_notices};
pub use schedule::{
    KEEPALIVE_INTERVAL, KeepAliveSchedule, OFFLINE_FIRST_RETRY, OFFLINE_MAX_RETRY, RunVerdict,
};

#[cfg(test)]
mod fixtures {
    use crate::engine::{KeepAliveOutcome, KeepAliveReport};
    use crate::model::{Login, LoginId, LoginState};
    use chrono::{DateTime, Duration, Utc};

    pub fn at(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    pub fn login(id: &str, state: LoginState, refreshed: &str) -> Login {
        Login {
            id: LoginId::new(id).unwrap(),
            name: id.into(),
            email: format!("{id}@example.com"),
            state,
            last_error: (state != LoginState::Connected).then(|| "invalid_grant".into()),
            reason_code: None,
            access_expires_at: at(refreshed) + Duration::minutes(30),
            refresh_issued_at: at(refreshed),
            last_refresh_at: Some(at(refreshed)),
            scopes: vec![],
            connected_at: at(refreshed),
            checked_at: None,
        }
    }

    pub fn report(outcome: KeepAliveOutcome) -> KeepAliveReport {
        KeepAliveReport {
            login: login("x", LoginState::Connected, "2026-11-01T00:00:00Z"),
            outcome,
        }
    }
}
