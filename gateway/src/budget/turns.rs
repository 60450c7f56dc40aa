//! Turns at the app's minute. Xero's app limit (10,000 calls a minute across every organisation)
//! binds only when many organisations are busy at once; then the calls it allows go fairly: an
//! organisation that has had fewer of the window's calls goes before one that has had more, so
//! one busy organisation cannot take the app's minute from the others, and an organisation that
//! waited through a spent window goes first in the next. Pure, as the ledger is.

use std::collections::{HashMap, HashSet};

#[derive(Debug, Default)]
pub(super) struct AppTurns {
    /// The app's minute window the counts are for.
    window: u64,
    /// Calls each organisation had in it.
    had: HashMap<String, u32>,
    /// Organisations whose next call waits for the app's budget, or for its turn at it.
    waiting: HashSet<String>,
    /// Moves each time a turn may have passed to another organisation (a call went while some
    /// waited, or one stopped waiting): whoever waits for a turn looks again.
    moved: u64,
    /// The last window in which the app's budget was spent: turns are taken in that window and
    /// the next, and not at all while the app's minute is not what binds.
    bound: Option<u64>,
}

impl AppTurns {
    fn roll(&mut self, window: u64) {
        if window != self.window {
            self.window = window;
            self.had.clear();
        }
    }

    fn had(&self, tenant: &str) -> u32 {
        self.had.get(tenant).copied().unwrap_or(0)
    }

    fn active(&self, window: u64) -> bool {
        self.bound.is_some_and(|b| b + 1 >= window)
    }

    /// The app's budget for `window` is spent: `tenant` waits for the next.
    pub(super) fn wait(&mut self, tenant: &str, window: u64) {
        self.bound = Some(window);
        self.waiting.insert(tenant.to_owned());
    }

    /// `tenant` has more calls waiting after one went: while turns are taken, it is still in
    /// line (its next call may not have asked yet).
    pub(super) fn more(&mut self, tenant: &str, window: u64) {
        if self.active(window) {
            self.waiting.insert(tenant.to_owned());
        }
    }

    /// Whether `tenant` may take one of the app's calls in `window` now: no other organisation
    /// waiting for the app has had fewer. If not, it waits for its turn.
    pub(super) fn may_go(&mut self, tenant: &str, window: u64) -> bool {
        self.roll(window);
        if !self.active(window) {
            return true;
        }
        let mine = self.had(tenant);
        let behind = self
            .waiting
            .iter()
            .any(|w| w != tenant && self.had(w) < mine);
        if behind {
            self.waiting.insert(tenant.to_owned());
        }
        !behind
    }

    /// A call to `tenant` went in `window`.
    pub(super) fn went(&mut self, tenant: &str, window: u64) {
        self.roll(window);
        *self.had.entry(tenant.to_owned()).or_default() += 1;
        self.waiting.remove(tenant);
        if !self.waiting.is_empty() {
            self.moved += 1;
        }
    }

    /// `tenant` no longer waits for the app (its own limit holds it, or nothing of it waits).
    pub(super) fn leave(&mut self, tenant: &str) {
        if self.waiting.remove(tenant) {
            self.moved += 1;
        }
    }

    pub(super) fn moved(&self) -> u64 {
        self.moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_turns_are_taken_while_the_app_s_minute_does_not_bind() {
        let mut turns = AppTurns::default();
        turns.went("busy", 1);
        turns.more("busy", 1);
        turns.went("busy", 1);
        assert!(turns.may_go("busy", 1));
        assert!(turns.may_go("other", 1));
        turns.wait("other", 1);
        assert!(!turns.may_go("busy", 1), "bound in window 1");
        turns.went("busy", 2);
        assert!(!turns.may_go("busy", 2), "and the next");
        turns.went("busy", 3);
        assert!(turns.may_go("busy", 3), "but not after");
    }

    #[test]
    fn an_organisation_that_had_fewer_of_the_window_s_calls_goes_first() {
        let mut turns = AppTurns::default();
        for _ in 0..3 {
            assert!(turns.may_go("busy", 1));
            turns.went("busy", 1);
        }
        turns.wait("quiet", 1);
        assert!(
            !turns.may_go("busy", 1),
            "busy has had 3 of the window's calls, quiet (waiting) none"
        );
        let before = turns.moved();
        assert!(turns.may_go("quiet", 1));
        turns.went("quiet", 1);
        assert!(turns.moved() > before, "busy is told to look again");
        for _ in 0..2 {
            assert!(turns.may_go("quiet", 1));
            turns.went("quiet", 1);
        }
        assert!(turns.may_go("busy", 1), "level again: either may go");
    }

    #[test]
    fn who_waited_through_a_spent_window_goes_first_in_the_next() {
        let mut turns = AppTurns::default();
        turns.went("busy", 1);
        turns.wait("late", 1);
        turns.went("busy", 2);
        assert!(
            !turns.may_go("busy", 2),
            "late had none of window 2's calls"
        );
        assert!(turns.may_go("late", 2));
    }

    #[test]
    fn an_organisation_held_by_its_own_limit_keeps_nobody_waiting() {
        let mut turns = AppTurns::default();
        turns.went("busy", 1);
        turns.wait("held", 1);
        assert!(!turns.may_go("busy", 1));
        let before = turns.moved();
        turns.leave("held");
        assert!(turns.moved() > before);
        assert!(turns.may_go("busy", 1), "held waits for its own minute now");
    }
}
