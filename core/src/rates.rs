//! Xero's limits held for a whole practice: in practice mode every member machine's gateway
//! takes each call's place in the practice database before sending it (one statement: the
//! organisation's and the app's windows counted, a slot for the call in progress), so the
//! practice together stays inside one organisation's budget, not one per machine.
//!
//! The windows and slots live in the database (`rate_windows`, `rate_slots`, and the functions
//! `rate_take`, `rate_release`, `rate_block` of schema step 4) and run on the database server's
//! clock, the one clock all machines share. A call in progress holds a slot on a lease its
//! process renews every [`RENEW_EVERY`]; a machine that dies stops renewing, and its calls stop
//! counting within [`LEASE`].
//!
//! The gateway's own ledger stays in front (its fair turns, and a machine's calls never past the
//! limits on their own): this is the practice's count behind it. If the database cannot be
//! reached, the gateway goes on with its own ledger alone and says so in its log.

use crate::store::StoreError;
use crate::store::postgres::RateBook;
use std::sync::Arc;
use std::time::Duration;

/// How long a slot outlives its holder's last renewal.
pub const LEASE: Duration = Duration::from_secs(5);
/// How often a process renews the leases of its calls in progress.
pub const RENEW_EVERY: Duration = Duration::from_secs(1);

/// The limits a call is taken against, as the gateway's ledger holds them; `minute` and `day`
/// are the windows' lengths with the ledger's margin already added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub concurrent: u32,
    pub per_minute: u32,
    pub per_day: u32,
    pub app_per_minute: u32,
    pub minute: Duration,
    pub day: Duration,
}

/// Which of Xero's limits holds a call back, as `X-Rate-Limit-Problem` names them: the
/// gateway's ledger and the practice's shared budget speak of the same four.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Concurrent,
    Minute,
    Day,
    AppMinute,
}

impl Limit {
    /// Xero's word for it, which the database keeps too.
    pub fn header_value(self) -> &'static str {
        match self {
            Self::Concurrent => "concurrent",
            Self::Minute => "minute",
            Self::Day => "day",
            Self::AppMinute => "appminute",
        }
    }

    /// Xero's `X-Rate-Limit-Problem` value (any case); an unknown one is read as the minute's.
    pub fn from_header(value: &str) -> Self {
        match value.trim().to_ascii_lowercase().as_str() {
            "concurrent" => Self::Concurrent,
            "day" | "daily" => Self::Day,
            "appminute" | "app_minute" | "app-minute" => Self::AppMinute,
            _ => Self::Minute,
        }
    }
}

/// A call's place in the practice's budget, held while it is in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub id: i64,
    /// The organisation (tenant id, lower case).
    pub scope: String,
    /// The minute windows (the organisation's, the app's) it was counted in.
    pub window: i64,
    pub app_window: i64,
}

/// What the practice's budget says of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// Send it; it is counted, and in progress until its slot is released.
    Go(Slot),
    /// Not yet: `wait` is how long (a window's end, a 429's block); `None` until some call in
    /// progress ends.
    Wait {
        limit: Limit,
        wait: Option<Duration>,
    },
    /// The organisation's day is spent across the practice, for `retry_after` more.
    Refuse { limit: Limit, retry_after: Duration },
}

/// An answer's `X-MinLimit-Remaining`, `X-DayLimit-Remaining` and `X-AppMinLimit-Remaining`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Observed {
    pub minute_left: Option<u32>,
    pub day_left: Option<u32>,
    pub app_left: Option<u32>,
}

/// The practice's shared budget, on a database connection of its own (the store's is busy with
/// everything else): cheap to clone.
#[derive(Clone)]
pub struct SharedRates {
    book: Arc<RateBook>,
}

impl SharedRates {
    pub(crate) fn new(book: RateBook) -> Self {
        Self {
            book: Arc::new(book),
        }
    }

    /// May a call to `tenant` go now? If so it is counted and holds a slot.
    pub async fn take(&self, tenant: &str, limits: RateLimits) -> Result<Taken, StoreError> {
        let (book, scope) = (self.book.clone(), tenant.to_lowercase());
        blocking(move || book.take(&scope, &limits, LEASE)).await
    }

    /// A call has ended, with what its answer said of the budgets left.
    pub async fn release(
        &self,
        slot: Slot,
        observed: Observed,
        limits: RateLimits,
    ) -> Result<(), StoreError> {
        let book = self.book.clone();
        blocking(move || book.release(&slot, observed, &limits)).await
    }

    /// Xero answered 429 naming `limit`: the practice holds back for `wait`.
    pub async fn block(
        &self,
        tenant: &str,
        limit: Limit,
        wait: Duration,
        limits: RateLimits,
    ) -> Result<(), StoreError> {
        let (book, scope) = (self.book.clone(), tenant.to_lowercase());
        blocking(move || book.block(&scope, limit, wait, &limits)).await
    }

    /// Renews this process's leases every [`RENEW_EVERY`] until `stop` ends, then frees its
    /// slots (calls cut short by the stop are not in progress any more).
    pub fn keep_leases(&self, stop: impl std::future::Future<Output = ()> + Send + 'static) {
        let book = self.book.clone();
        tokio::spawn(async move {
            tokio::pin!(stop);
            loop {
                tokio::select! {
                    () = &mut stop => break,
                    () = tokio::time::sleep(RENEW_EVERY) => {}
                }
                let renewing = book.clone();
                if let Err(e) = blocking(move || renewing.renew(LEASE)).await {
                    tracing::warn!(error = %e, "the practice's call leases could not be renewed");
                }
            }
            let leaving = book.clone();
            if let Err(e) = blocking(move || leaving.leave()).await {
                tracing::warn!(error = %e, "the practice's call slots were left to their leases");
            }
        });
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("blocking task does not panic")
}

#[cfg(test)]
mod tests {
    use super::Limit;

    #[test]
    fn every_limit_reads_back_from_its_word() {
        for limit in [
            Limit::Concurrent,
            Limit::Minute,
            Limit::Day,
            Limit::AppMinute,
        ] {
            assert_eq!(Limit::from_header(limit.header_value()), limit);
        }
        assert_eq!(Limit::from_header("something new"), Limit::Minute);
    }
}
