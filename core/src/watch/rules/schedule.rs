//! When keep-alive runs next: hourly while Xero answers, backing off from a minute to fifteen while
//! a run reaches no Xero.

use crate::engine::{KeepAliveOutcome, KeepAliveReport};
use crate::error::ErrorCode;
use chrono::{DateTime, Duration, Utc};

/// How often the app runs keep-alive while Xero answers.
pub const KEEPALIVE_INTERVAL: Duration = Duration::hours(1);
/// The first retry after a run that could not reach Xero; doubled per failed run.
pub const OFFLINE_FIRST_RETRY: Duration = Duration::minutes(1);
/// The longest wait while offline, so the app notices the network is back within this.
pub const OFFLINE_MAX_RETRY: Duration = Duration::minutes(15);

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
                KeepAliveOutcome::Failed { code, .. } if *code == ErrorCode::Unreachable => {
                    unreachable += 1
                }
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::{at, report};
    use super::*;

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
            code: ErrorCode::Unreachable,
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
}
