//! The exit status a command's findings end with, for a cron job to branch on: a person needed
//! first (3), then a failure that may pass (5), else 0. `status`, `orgs` and `check` all judge
//! by these, so one login or organisation is judged the same by each.

use crate::exit;
use tenantry_core::health::{LoginHealth, OrgState, OrgStatus};
use tenantry_core::{CheckOutcome, LoginCheck};

/// The worst of two statuses: a person needed outranks a failure that may pass.
fn worst(a: u8, b: u8) -> u8 {
    match (a, b) {
        (exit::NEEDS_HUMAN, _) | (_, exit::NEEDS_HUMAN) => exit::NEEDS_HUMAN,
        (exit::UNREACHABLE, _) | (_, exit::UNREACHABLE) => exit::UNREACHABLE,
        _ => a.max(b),
    }
}

/// For these logins' health.
pub fn logins(states: impl IntoIterator<Item = LoginHealth>) -> u8 {
    states.into_iter().fold(exit::OK, |sofar, h| {
        let this = match h {
            LoginHealth::NeedsReconnect | LoginHealth::Lapsed | LoginHealth::Expiring => {
                exit::NEEDS_HUMAN
            }
            LoginHealth::Error => exit::UNREACHABLE,
            LoginHealth::Connected => exit::OK,
        };
        worst(sofar, this)
    })
}

/// For these organisations' states.
pub fn organisations<'a>(orgs: impl IntoIterator<Item = &'a OrgStatus>) -> u8 {
    orgs.into_iter().fold(exit::OK, |sofar, o| {
        let this = if o.state.needs_human() {
            exit::NEEDS_HUMAN
        } else if o.state == OrgState::Error {
            exit::UNREACHABLE
        } else {
            exit::OK
        };
        worst(sofar, this)
    })
}

/// For a check's own outcomes (what the stored states do not yet show).
pub fn checks(checks: &[LoginCheck]) -> u8 {
    checks.iter().fold(exit::OK, |sofar, c| {
        let this = match c.outcome {
            CheckOutcome::NeedsReconnect { .. } => exit::NEEDS_HUMAN,
            CheckOutcome::Failed { .. } => exit::UNREACHABLE,
            CheckOutcome::Checked { .. } => exit::OK,
        };
        worst(sofar, this)
    })
}

/// The worst of several verdicts.
pub fn worst_of(verdicts: impl IntoIterator<Item = u8>) -> u8 {
    verdicts.into_iter().fold(exit::OK, worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_exits_for_the_worst_login_a_person_first() {
        use LoginHealth as H;
        let table = [
            (vec![H::Connected, H::Connected], exit::OK),
            (vec![H::Connected, H::Expiring], exit::NEEDS_HUMAN),
            (vec![H::Lapsed], exit::NEEDS_HUMAN),
            (vec![H::Error, H::Connected], exit::UNREACHABLE),
            (
                vec![H::Error, H::NeedsReconnect, H::Error],
                exit::NEEDS_HUMAN,
            ),
            (vec![], exit::OK),
        ];
        for (states, want) in table {
            assert_eq!(
                logins(states.clone()),
                want,
                "{states:?}: a cron job must not read a lapsing login as healthy"
            );
        }
    }

    #[test]
    fn a_person_needed_outranks_a_failure_that_may_pass_in_any_order() {
        assert_eq!(
            worst_of([exit::UNREACHABLE, exit::NEEDS_HUMAN]),
            exit::NEEDS_HUMAN
        );
        assert_eq!(
            worst_of([exit::NEEDS_HUMAN, exit::UNREACHABLE]),
            exit::NEEDS_HUMAN
        );
        assert_eq!(worst_of([exit::OK, exit::UNREACHABLE]), exit::UNREACHABLE);
        assert_eq!(worst_of([]), exit::OK);
    }
}
