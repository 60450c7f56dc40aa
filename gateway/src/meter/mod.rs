//! The egress meter: the bytes of every answer the gateway passes on from Xero's APIs, on the
//! wire and decoded, per organisation, program and API path, written to the store as they end;
//! and the month's budgets held against them.
//!
//! A call's count is noted when its answer's body ends (or the client leaves mid-way: what was
//! passed on counts), and a writer task adds what has been noted to the store in one transaction,
//! straight away when idle and in batches under load, so a kill loses at most the answers noted
//! and not yet committed: a few milliseconds' worth, not a period's.
//!
//! The month's wire totals are kept in memory for the budget check before each call: the store's
//! (every process's and, in a practice, every machine's), read at start, after writes at most
//! once a second and every few seconds when idle, plus what this gateway noted since. A mark
//! passed (80 % or 100 % of a budget or of the allowance) is said by the writer, once a month.
//!
//! Decoding costs a gzip inflate of each compressed answer into a counter, so the gateway asks
//! Xero only for encodings it can measure ([`measurable`]).

mod tally;

pub(crate) use tally::{Tally, measurable};

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tenantry_core::Engine;
use tenantry_core::usage::budget::{self, Budgets, Mark, Spent};
use tenantry_core::usage::{EgressCount, EgressKey, Month};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How often the totals are read back from the store: after writes, and when idle (another
/// process or machine may be downloading).
const SYNC_AFTER_WRITES: Duration = Duration::from_secs(1);
const SYNC_WHEN_IDLE: Duration = Duration::from_secs(5);

pub(crate) struct Meter {
    /// Counts noted and not yet in the store.
    pending: Mutex<HashMap<EgressKey, EgressCount>>,
    totals: Mutex<Totals>,
    /// Marks passed, for the writer to say.
    marks: Mutex<Vec<(Month, Mark)>>,
    budgets: Budgets,
    wake: Notify,
}

/// A month's wire bytes: the app's and each organisation's (lower case).
#[derive(Debug, Default)]
struct Totals {
    month: Option<Month>,
    app: u64,
    by_tenant: HashMap<String, u64>,
}

impl Totals {
    /// Adds an answer's wire bytes, starting afresh when the month has turned; the marks passed.
    fn add(&mut self, budgets: &Budgets, month: Month, tenant: &str, wire: u64) -> Vec<Mark> {
        if self.month != Some(month) {
            *self = Totals {
                month: Some(month),
                ..Totals::default()
            };
        }
        let organisation = self.by_tenant.entry(tenant.to_owned()).or_default();
        let (app_before, organisation_before) = (self.app, *organisation);
        *organisation += wire;
        self.app += wire;
        budget::passed(
            budgets,
            tenant,
            (app_before, self.app),
            (organisation_before, *organisation),
        )
    }

    fn spent(&self, budgets: &Budgets, month: Month, tenant: &str) -> Option<Spent> {
        if self.month != Some(month) {
            return budget::spent(budgets, 0, 0);
        }
        let organisation = self.by_tenant.get(tenant).copied().unwrap_or_default();
        budget::spent(budgets, self.app, organisation)
    }
}

impl Meter {
    pub(crate) fn new(budgets: Budgets) -> Self {
        Self {
            pending: Mutex::default(),
            totals: Mutex::default(),
            marks: Mutex::default(),
            budgets,
            wake: Notify::new(),
        }
    }

    pub(crate) fn note(&self, key: EgressKey, count: EgressCount) {
        let month = Month::of_day(key.day);
        let mut pending = self.pending.lock().expect("meter lock");
        let passed = self.totals.lock().expect("meter lock").add(
            &self.budgets,
            month,
            &key.tenant_id,
            count.wire,
        );
        pending.entry(key).or_default().add(count);
        drop(pending);
        if !passed.is_empty() {
            self.marks
                .lock()
                .expect("meter lock")
                .extend(passed.into_iter().map(|m| (month, m)));
        }
        self.wake.notify_one();
    }

    /// The budget this month has used up, if a call for `tenant` (lower case) may not go.
    pub(crate) fn spent(&self, tenant: &str, now: DateTime<Utc>) -> Option<Spent> {
        self.totals
            .lock()
            .expect("meter lock")
            .spent(&self.budgets, Month::of(now), tenant)
    }

    fn take(&self) -> Vec<(EgressKey, EgressCount)> {
        std::mem::take(&mut *self.pending.lock().expect("meter lock"))
            .into_iter()
            .collect()
    }

    /// The totals made again from the store's, plus what is noted and not yet written.
    async fn sync(&self, engine: &Engine) {
        let month = Month::of(engine.now());
        let stored = match engine.egress_by_tenant(month).await {
            Ok(t) => t,
            Err(e) => {
                tracing::debug!(error = %e, "could not read the month's egress");
                return;
            }
        };
        // The writer is the only one to write, and it waits for this: nothing pending now is
        // in what was read.
        let pending = self.pending.lock().expect("meter lock");
        let mut totals = self.totals.lock().expect("meter lock");
        *totals = Totals {
            month: Some(month),
            app: stored.values().map(|c| c.wire).sum(),
            by_tenant: stored.into_iter().map(|(t, c)| (t, c.wire)).collect(),
        };
        for (key, count) in pending.iter() {
            if Month::of_day(key.day) == month {
                totals.app += count.wire;
                *totals.by_tenant.entry(key.tenant_id.clone()).or_default() += count.wire;
            }
        }
    }

    /// Writes what is noted, and says the marks passed, until `stop`, then what is left.
    pub(crate) fn keep_writing(self: &Arc<Self>, engine: Engine, stop: CancellationToken) {
        let meter = self.clone();
        tokio::spawn(async move {
            meter.sync(&engine).await;
            let mut synced = Instant::now();
            loop {
                let stopping = tokio::select! {
                    () = stop.cancelled() => true,
                    () = meter.wake.notified() => false,
                    () = tokio::time::sleep(SYNC_WHEN_IDLE) => false,
                };
                let noted = meter.take();
                if !noted.is_empty()
                    && let Err(e) = engine.record_egress(noted.clone()).await
                {
                    // Kept for the next write: a busy or unreachable store loses no count.
                    tracing::warn!(error = %e, "could not write the egress counts; trying again");
                    {
                        let mut pending = meter.pending.lock().expect("meter lock");
                        for (key, count) in noted {
                            pending.entry(key).or_default().add(count);
                        }
                    }
                    if !stopping {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
                let marks = std::mem::take(&mut *meter.marks.lock().expect("meter lock"));
                for (month, mark) in marks {
                    if let Err(e) = engine.say_egress_mark(month, mark).await {
                        tracing::warn!(error = %e, "could not note an egress mark");
                    }
                }
                if stopping {
                    return;
                }
                if synced.elapsed() >= SYNC_AFTER_WRITES {
                    meter.sync(&engine).await;
                    synced = Instant::now();
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenantry_core::usage::GB;
    use tenantry_core::usage::budget::Scope;

    fn key(day: &str, tenant: &str) -> EgressKey {
        EgressKey {
            day: day.parse().unwrap(),
            tenant_id: tenant.into(),
            program: "p".into(),
            path: "/a".into(),
        }
    }

    fn wire(n: u64) -> EgressCount {
        EgressCount {
            calls: 1,
            wire: n,
            decoded: n,
        }
    }

    #[test]
    fn calls_are_refused_once_a_budget_is_used_and_marks_are_queued_once() {
        let meter = Meter::new(Budgets {
            app: Some(10 * GB),
            organisation: Some(2 * GB),
            allowance: None,
        });
        let now = "2026-12-07T10:00:00Z".parse().unwrap();
        meter.note(key("2026-12-07", "a"), wire(GB));
        assert!(meter.spent("a", now).is_none());
        meter.note(key("2026-12-07", "a"), wire(GB));
        let spent = meter.spent("a", now).unwrap();
        assert_eq!(spent.scope, Scope::Organisation);
        assert!(
            meter.spent("b", now).is_none(),
            "another organisation still goes"
        );
        let marks = meter.marks.lock().unwrap().clone();
        assert_eq!(
            marks.iter().map(|(_, m)| m.percent).collect::<Vec<_>>(),
            vec![80, 100],
            "the organisation's 80 % and 100 %, each once"
        );
        // A new month starts afresh.
        let next = "2027-01-01T00:00:01Z".parse().unwrap();
        assert!(meter.spent("a", next).is_none());
        meter.note(key("2027-01-01", "a"), wire(1));
        assert!(meter.spent("a", next).is_none());
    }
}
