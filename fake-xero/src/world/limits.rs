//! Xero's API limits (FACTS.md §6), counted in fixed windows as Xero does: per tenant 5 calls in
//! progress, 60 a minute and 5,000 a day; per app 10,000 a minute across every tenant. A call
//! over a limit is refused with 429, `X-Rate-Limit-Problem` naming the limit and (for the minute
//! and day limits) `Retry-After`. Every answer carries the three `X-…-Remaining` headers.
//!
//! The limits and the minute's length are [`Limits`] in the fake's options, Xero's by default,
//! so tests can run a "minute" of a few seconds against the same rules.

use super::World;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

/// Xero's documented limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub concurrent: u32,
    pub per_minute: u32,
    pub per_day: u32,
    pub app_per_minute: u32,
    /// The length of a "minute" window (Xero: 60 s; tests shorten it).
    pub minute: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            concurrent: 5,
            per_minute: 60,
            per_day: 5000,
            app_per_minute: 10_000,
            minute: std::time::Duration::from_secs(60),
        }
    }
}

/// A fixed window: opened by the first call after the previous one ended.
#[derive(Debug, Default, Clone, Copy)]
struct Window {
    start: Option<DateTime<Utc>>,
    count: u32,
}

impl Window {
    fn roll(&mut self, now: DateTime<Utc>, length: Duration) {
        if self.start.is_none_or(|s| now - s >= length) {
            self.start = Some(now);
            self.count = 0;
        }
    }

    /// Whole seconds until the window ends (at least 1), for `Retry-After`.
    fn seconds_left(&self, now: DateTime<Utc>, length: Duration) -> i64 {
        let end = self.start.unwrap_or(now) + length;
        ((end - now).num_milliseconds() + 999)
            .div_euclid(1000)
            .max(1)
    }
}

#[derive(Debug, Default, Clone)]
pub(super) struct TenantCounts {
    minute: Window,
    day: Window,
    in_flight: u32,
}

/// What the fake saw of one tenant's limits, for tests: most calls in progress at once, calls
/// accepted, and 429s by problem.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LimitStats {
    pub max_in_flight: u32,
    pub accepted: u64,
    pub refused: HashMap<&'static str, u64>,
}

#[derive(Debug, Default)]
pub(super) struct RateState {
    tenants: HashMap<String, TenantCounts>,
    app: Window,
    stats: HashMap<String, LimitStats>,
}

pub enum ApiVerdict {
    Go,
    Limited {
        problem: &'static str,
        retry_after: Option<i64>,
    },
}

/// The three `X-…-Remaining` values an answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    pub minute: u32,
    pub day: u32,
    pub app_minute: u32,
}

impl World {
    /// Counts an API call against the tenant's and the app's limits; a call admitted is in
    /// progress until [`World::release`].
    pub fn admit(&mut self, tenant: &str) -> ApiVerdict {
        let now = self.now();
        let limits = self.options.limits;
        let minute = Duration::from_std(limits.minute).expect("a short window");
        let state = &mut self.rate;
        let t = state.tenants.entry(tenant.to_owned()).or_default();
        let stats = state.stats.entry(tenant.to_owned()).or_default();
        t.minute.roll(now, minute);
        t.day.roll(now, Duration::days(1));
        state.app.roll(now, minute);
        let refused = if t.in_flight >= limits.concurrent {
            Some(("concurrent", None))
        } else if t.minute.count >= limits.per_minute {
            Some(("minute", Some(t.minute.seconds_left(now, minute))))
        } else if t.day.count >= limits.per_day {
            Some(("day", Some(t.day.seconds_left(now, Duration::days(1)))))
        } else if state.app.count >= limits.app_per_minute {
            Some(("appminute", Some(state.app.seconds_left(now, minute))))
        } else {
            None
        };
        if let Some((problem, retry_after)) = refused {
            *stats.refused.entry(problem).or_default() += 1;
            return ApiVerdict::Limited {
                problem,
                retry_after,
            };
        }
        t.minute.count += 1;
        t.day.count += 1;
        t.in_flight += 1;
        state.app.count += 1;
        stats.accepted += 1;
        stats.max_in_flight = stats.max_in_flight.max(t.in_flight);
        ApiVerdict::Go
    }

    pub fn release(&mut self, tenant: &str) {
        if let Some(t) = self.rate.tenants.get_mut(tenant) {
            t.in_flight = t.in_flight.saturating_sub(1);
        }
    }

    pub fn remaining(&self, tenant: &str) -> Remaining {
        let limits = self.options.limits;
        let t = self.rate.tenants.get(tenant).cloned().unwrap_or_default();
        Remaining {
            minute: limits.per_minute.saturating_sub(t.minute.count),
            day: limits.per_day.saturating_sub(t.day.count),
            app_minute: limits.app_per_minute.saturating_sub(self.rate.app.count),
        }
    }

    /// What the fake saw of a tenant's limits so far.
    pub fn limit_stats(&self, tenant: &str) -> LimitStats {
        self.rate.stats.get(tenant).cloned().unwrap_or_default()
    }
}
