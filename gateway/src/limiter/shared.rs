//! A limiter's part in a practice's shared budget ([`tenantry_core::rates`]): a call the
//! gateway's own ledger lets through waits here for its place in the practice database, as it
//! waits for the ledger's own turn; its place is freed, and a 429 shared, off the caller's thread.

use super::{Refusal, Why};
use crate::budget::{Limits, Problem};
use std::time::Duration;
use tenantry_core::rates::{Observed, RateLimits, SharedRates, Slot, Taken};

/// How often a call held back by the practice's calls in progress asks again, at first and at
/// most: a slot is freed by another machine, which cannot wake this one.
const POLL_FIRST: Duration = Duration::from_millis(2);
const POLL_MOST: Duration = Duration::from_millis(25);

#[derive(Clone)]
pub(super) struct Shared {
    rates: SharedRates,
    limits: RateLimits,
}

impl Shared {
    /// The practice's budget in the terms of the gateway's ledger: its windows with the ledger's
    /// margin.
    pub(super) fn new(rates: SharedRates, limits: Limits) -> Self {
        Self {
            rates,
            limits: RateLimits {
                concurrent: limits.concurrent,
                per_minute: limits.per_minute,
                per_day: limits.per_day,
                app_per_minute: limits.app_per_minute,
                minute: limits.minute + limits.margin(),
                day: Duration::from_secs(24 * 3600) + limits.margin(),
            },
        }
    }

    /// Waits for the call's place in the practice's budget, as the ledger's own turn is waited
    /// for: a window's end or a short block waited out, a longer one or a spent day refused.
    /// `None` when the database cannot be reached: the call goes on this gateway's ledger alone.
    pub(super) async fn turn(&self, tenant: &str) -> Result<Option<Slot>, Refusal> {
        let patience = self.limits.minute;
        let mut poll = POLL_FIRST;
        loop {
            match self.rates.take(tenant, self.limits).await {
                Ok(Taken::Go(slot)) => return Ok(Some(slot)),
                Ok(Taken::Refuse { limit, retry_after }) => {
                    return Err(Refusal {
                        problem: limit,
                        retry_after,
                        why: Why::NotNow,
                    });
                }
                Ok(Taken::Wait {
                    limit,
                    wait: Some(wait),
                }) => {
                    if wait > patience {
                        return Err(Refusal {
                            problem: limit,
                            retry_after: wait,
                            why: Why::NotNow,
                        });
                    }
                    tokio::time::sleep(wait).await;
                }
                Ok(Taken::Wait { wait: None, .. }) => {
                    tokio::time::sleep(poll).await;
                    poll = (poll * 2).min(POLL_MOST);
                }
                Err(e) => {
                    tracing::warn!(
                        error = %e,
                        "the practice's shared budget cannot be reached; this call counts on this machine's alone"
                    );
                    return Ok(None);
                }
            }
        }
    }

    /// Frees a finished call's place (a statement to the database, off this thread); if no
    /// runtime is left to do it, its lease ends it within seconds.
    pub(super) fn release(&self, slot: Slot, observed: Observed) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let shared = self.clone();
        runtime.spawn(async move {
            if let Err(e) = shared.rates.release(slot, observed, shared.limits).await {
                tracing::warn!(error = %e, "a call's place in the practice's budget is left to its lease");
            }
        });
    }

    /// Xero answered 429: every machine of the practice holds back for `wait`.
    pub(super) fn block(&self, tenant: &str, problem: Problem, wait: Duration) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (shared, tenant) = (self.clone(), tenant.to_owned());
        runtime.spawn(async move {
            let blocked = shared
                .rates
                .block(&tenant, problem, wait, shared.limits)
                .await;
            if let Err(e) = blocked {
                tracing::warn!(error = %e, "a 429 could not be shared with the practice");
            }
        });
    }
}
