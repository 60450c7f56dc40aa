//! Xero's per-tenant API limits (FACTS.md): 60 calls a minute, 5,000 a day and 5 at once, each
//! refused with 429 and the problem named, as `X-Rate-Limit-Problem` does.

use super::World;
use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Default, Clone)]
pub(super) struct RateWindow {
    minute_start: Option<DateTime<Utc>>,
    minute_count: u32,
    day_start: Option<DateTime<Utc>>,
    day_count: u32,
    in_flight: u32,
}

pub const MINUTE_LIMIT: u32 = 60;
pub const DAY_LIMIT: u32 = 5000;
pub const CONCURRENT_LIMIT: u32 = 5;

pub enum ApiVerdict {
    Go,
    Limited {
        problem: &'static str,
        retry_after: Option<i64>,
    },
}

impl World {
    /// Counts an API call against the tenant's limits (60/min, 5,000/day, 5 at once).
    pub fn admit(&mut self, tenant: &str) -> ApiVerdict {
        let now = self.now();
        let w = self.rate.entry(tenant.to_owned()).or_default();
        if w.minute_start
            .is_none_or(|s| now - s >= Duration::minutes(1))
        {
            w.minute_start = Some(now);
            w.minute_count = 0;
        }
        if w.day_start.is_none_or(|s| now - s >= Duration::days(1)) {
            w.day_start = Some(now);
            w.day_count = 0;
        }
        if w.in_flight >= CONCURRENT_LIMIT {
            return ApiVerdict::Limited {
                problem: "concurrent",
                retry_after: None,
            };
        }
        if w.minute_count >= MINUTE_LIMIT {
            let wait = Duration::minutes(1) - (now - w.minute_start.expect("set above"));
            return ApiVerdict::Limited {
                problem: "minute",
                retry_after: Some(wait.num_seconds().max(1)),
            };
        }
        if w.day_count >= DAY_LIMIT {
            let wait = Duration::days(1) - (now - w.day_start.expect("set above"));
            return ApiVerdict::Limited {
                problem: "day",
                retry_after: Some(wait.num_seconds().max(1)),
            };
        }
        w.minute_count += 1;
        w.day_count += 1;
        w.in_flight += 1;
        ApiVerdict::Go
    }

    pub fn release(&mut self, tenant: &str) {
        if let Some(w) = self.rate.get_mut(tenant) {
            w.in_flight = w.in_flight.saturating_sub(1);
        }
    }

    pub fn remaining(&self, tenant: &str) -> (u32, u32) {
        let w = self.rate.get(tenant).cloned().unwrap_or_default();
        (
            MINUTE_LIMIT.saturating_sub(w.minute_count),
            DAY_LIMIT.saturating_sub(w.day_count),
        )
    }
}
