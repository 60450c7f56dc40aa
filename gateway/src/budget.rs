//! Xero's limits as one ledger for every local client (FACTS.md §6): per organisation 5 calls in
//! progress, 60 a minute and 5,000 a day; per app 10,000 a minute. Pure: the caller passes the
//! time in, and asks before each call whether it may go now, must wait until when, or must be
//! refused (the day's budget is spent: waiting hours is not what a script wants).
//!
//! Xero counts fixed windows that start at a tenant's first call and "reset at different times
//! for each tenant"; it does not say when. The ledger opens its own window at the first call it
//! sends, which Xero receives a moment later, so its window would close a moment before Xero's:
//! it keeps each window open a little longer ([`Limits::margin`]) to stay inside Xero's. Each
//! answer's `X-MinLimit-Remaining`, `X-DayLimit-Remaining` and `X-AppMinLimit-Remaining` correct
//! the counts upwards (calls some other program made), and a 429 blocks the tenant for its
//! `Retry-After`. When the app's minute is what binds, its calls go to the organisations in turn
//! ([`turns`]).

mod turns;

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Xero's documented limits, and the length of its "minute".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub concurrent: u32,
    pub per_minute: u32,
    pub per_day: u32,
    pub app_per_minute: u32,
    pub minute: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            concurrent: 5,
            per_minute: 60,
            per_day: tenantry_core::config::DAILY_LIMIT,
            app_per_minute: 10_000,
            minute: Duration::from_secs(60),
        }
    }
}

/// The longest wait the ledger accepts from anyone: Xero's own `Retry-After`s are at most the
/// rest of a day. A larger one (a broken or hostile answer, up to `u64::MAX` seconds) would
/// overflow the clock's arithmetic; it is read as a day.
pub const LONGEST_WAIT: Duration = Duration::from_secs(24 * 3600);

impl Limits {
    /// How much longer than Xero's own the ledger keeps a window open: a fortieth of a minute
    /// (1.5 s of Xero's 60 s), between 250 ms and 1.5 s. The floor matters only for the
    /// shortened minutes of the tests: on a loaded machine a call can take longer than 50 ms to
    /// reach the fake, whose window then rolls later than the gateway's (seen: 5 calls of a new
    /// window refused as the last of the old one).
    pub fn margin(&self) -> Duration {
        (self.minute / 40).clamp(Duration::from_millis(250), Duration::from_millis(1500))
    }
}

/// Which of Xero's limits stops a call: the core's word for it, which the practice's shared
/// budget uses too.
pub use tenantry_core::rates::Limit as Problem;

/// What the ledger says of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send it now; it is counted, and in progress until released. `window` identifies the
    /// minute window it was counted in, so its answer's headers correct that window only.
    Go { window: u64 },
    /// A call in progress must finish first.
    AwaitRelease,
    /// Nothing can go before this time (a window ends, or a 429's `Retry-After` runs out).
    WaitUntil(Instant),
    /// The app's minute binds, and another organisation that has had fewer of its calls goes
    /// first: wait until a turn passes ([`Ledger::turns_moved`] moves).
    AwaitTurn,
    /// The organisation's day is spent: answer 429 now, saying when to come back.
    Refuse {
        problem: Problem,
        retry_after: Duration,
    },
}

#[derive(Debug, Clone, Copy, Default)]
struct Window {
    start: Option<Instant>,
    count: u32,
    /// Bumped at each new window.
    id: u64,
}

impl Window {
    fn roll(&mut self, now: Instant, length: Duration) {
        if self.start.is_none_or(|s| now >= s + length) {
            self.start = Some(now);
            self.count = 0;
            self.id += 1;
        }
    }

    fn end(&self, length: Duration) -> Option<Instant> {
        self.start.map(|s| s + length)
    }
}

#[derive(Debug, Clone, Default)]
struct Tenant {
    minute: Window,
    day: Window,
    in_flight: u32,
    /// Until when a 429 blocks the tenant, and which limit it named.
    blocked_until: Option<(Instant, Problem)>,
    /// What Xero last said of the day's budget (`X-DayLimit-Remaining`).
    day_left: Option<u32>,
}

/// The three `X-…-Remaining` headers of one answer (each may be missing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Remaining {
    pub minute: Option<u32>,
    pub day: Option<u32>,
    pub app_minute: Option<u32>,
}

impl Remaining {
    pub fn from_headers(headers: &reqwest::header::HeaderMap) -> Self {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
        };
        Self {
            minute: number("x-minlimit-remaining"),
            day: number("x-daylimit-remaining"),
            app_minute: number("x-appminlimit-remaining"),
        }
    }
}

/// Every organisation's budget and the app's.
#[derive(Debug)]
pub struct Ledger {
    limits: Limits,
    tenants: HashMap<String, Tenant>,
    app: Window,
    app_blocked_until: Option<Instant>,
    turns: turns::AppTurns,
}

/// Waits out a block that ends within a window (a call waits its turn), refuses one that ends
/// later (a script is told when to come back rather than held for hours).
fn wait_or_refuse(until: Instant, now: Instant, patience: Duration, problem: Problem) -> Verdict {
    let wait = until.saturating_duration_since(now);
    if wait > patience {
        Verdict::Refuse {
            problem,
            retry_after: wait,
        }
    } else {
        Verdict::WaitUntil(until)
    }
}

impl Ledger {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            tenants: HashMap::new(),
            app: Window::default(),
            app_blocked_until: None,
            turns: turns::AppTurns::default(),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// May a call to `tenant` go now? If so, it is counted.
    pub fn take(&mut self, tenant: &str, now: Instant) -> Verdict {
        let limits = self.limits;
        let minute = limits.minute + limits.margin();
        let day = Duration::from_secs(24 * 3600) + limits.margin();
        self.app.roll(now, minute);
        let t = self.tenants.entry(tenant.to_owned()).or_default();
        t.minute.roll(now, minute);
        t.day.roll(now, day);
        // Held by its own limits, the organisation does not wait for the app's turn.
        if let Some((until, problem)) = t.blocked_until.filter(|(u, _)| *u > now) {
            self.turns.leave(tenant);
            return wait_or_refuse(until, now, minute, problem);
        }
        if let Some(until) = self.app_blocked_until.filter(|u| *u > now) {
            return wait_or_refuse(until, now, minute, Problem::AppMinute);
        }
        if t.day.count >= limits.per_day {
            self.turns.leave(tenant);
            let end = t.day.end(day).unwrap_or(now);
            return Verdict::Refuse {
                problem: Problem::Day,
                retry_after: end.saturating_duration_since(now),
            };
        }
        if t.in_flight >= limits.concurrent {
            self.turns.leave(tenant);
            return Verdict::AwaitRelease;
        }
        if t.minute.count >= limits.per_minute {
            self.turns.leave(tenant);
            return Verdict::WaitUntil(t.minute.end(minute).unwrap_or(now));
        }
        if self.app.count >= limits.app_per_minute {
            self.turns.wait(tenant, self.app.id);
            return Verdict::WaitUntil(self.app.end(minute).unwrap_or(now));
        }
        if !self.turns.may_go(tenant, self.app.id) {
            return Verdict::AwaitTurn;
        }
        self.turns.went(tenant, self.app.id);
        t.minute.count += 1;
        t.day.count += 1;
        t.in_flight += 1;
        self.app.count += 1;
        Verdict::Go {
            window: t.minute.id,
        }
    }

    /// `tenant` has more calls waiting after one went: still in line for the app's turns.
    pub fn more_waiting(&mut self, tenant: &str) {
        self.turns.more(tenant, self.app.id);
    }

    /// Nothing of `tenant` waits any more: it waits for no turn.
    pub fn forget(&mut self, tenant: &str) {
        self.turns.leave(tenant);
    }

    /// Moves each time a turn at the app's minute may have passed: calls told
    /// [`Verdict::AwaitTurn`] look again.
    pub fn turns_moved(&self) -> u64 {
        self.turns.moved()
    }

    /// A call counted by [`Ledger::take`] has finished.
    pub fn release(&mut self, tenant: &str) {
        if let Some(t) = self.tenants.get_mut(tenant) {
            t.in_flight = t.in_flight.saturating_sub(1);
        }
    }

    /// An answer's headers, for a call counted in minute window `window`: Xero's counts include
    /// calls other programs made, so the ledger's counts only ever rise to meet them.
    pub fn observe(&mut self, tenant: &str, window: u64, remaining: Remaining) {
        let limits = self.limits;
        let Some(t) = self.tenants.get_mut(tenant) else {
            return;
        };
        if let Some(day) = remaining.day {
            t.day_left = Some(day);
            t.day.count = t.day.count.max(limits.per_day.saturating_sub(day));
        }
        if t.minute.id != window {
            // Answered after the ledger's window moved on: its counts are the old window's.
            return;
        }
        if let Some(minute) = remaining.minute {
            t.minute.count = t.minute.count.max(limits.per_minute.saturating_sub(minute));
        }
        if let Some(app) = remaining.app_minute {
            self.app.count = self
                .app
                .count
                .max(limits.app_per_minute.saturating_sub(app));
        }
    }

    /// Xero answered 429 all the same (another program, or its window ran ahead of the
    /// ledger's): nothing more goes to that tenant (or, for the app's limit, anywhere) until
    /// `Retry-After` has passed. Returns how long that is.
    pub fn throttled(
        &mut self,
        tenant: &str,
        problem: Problem,
        retry_after: Option<Duration>,
        now: Instant,
    ) -> Duration {
        let limits = self.limits;
        // A 429 for calls in progress says nothing of when; a moment lets one finish.
        let wait = retry_after
            .unwrap_or(match problem {
                Problem::Concurrent => Duration::from_millis(100),
                _ => limits.minute,
            })
            .min(LONGEST_WAIT);
        let until = now.checked_add(wait).unwrap_or(now);
        if problem == Problem::AppMinute {
            self.app_blocked_until = Some(self.app_blocked_until.map_or(until, |u| u.max(until)));
            return wait;
        }
        let t = self.tenants.entry(tenant.to_owned()).or_default();
        if t.blocked_until.is_none_or(|(u, _)| u < until) {
            t.blocked_until = Some((until, problem));
        }
        // Xero's window ends when its Retry-After does: the ledger's window is spent until then
        // and rolls over then (not at the end of a window of its own that may run later).
        let ends_then = |w: &mut Window, length: Duration, full: u32| {
            if let Some(start) = until.checked_sub(length) {
                w.start = Some(start);
            }
            w.count = full;
        };
        match problem {
            Problem::Minute => ends_then(
                &mut t.minute,
                limits.minute + limits.margin(),
                limits.per_minute,
            ),
            Problem::Day => {
                ends_then(
                    &mut t.day,
                    Duration::from_secs(24 * 3600) + limits.margin(),
                    limits.per_day,
                );
                t.day_left = Some(0);
            }
            Problem::Concurrent | Problem::AppMinute => {}
        }
        wait
    }

    /// What Xero last said was left of the organisation's day, if it has answered a call.
    pub fn day_left(&self, tenant: &str) -> Option<u32> {
        self.tenants.get(tenant).and_then(|t| t.day_left)
    }

    /// Calls in progress to the organisation.
    pub fn in_flight(&self, tenant: &str) -> u32 {
        self.tenants.get(tenant).map_or(0, |t| t.in_flight)
    }
}

#[cfg(test)]
mod tests;
