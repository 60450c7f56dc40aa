//! The clock port: every decision about expiry takes `now` from here, so tests can jump
//! 30 minutes or 60 days without waiting and the logic stays pure.

use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, Mutex};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that follows the system clock plus an offset the test moves forward.
/// Following real time (rather than freezing) keeps timeouts and JWT `iat` values sane
/// while still letting a test skip ahead by days. Test support: in debug builds (whose
/// `tenantry` honours `TENANTRY_TEST_CLOCK_OFFSET_SECS` for the end-to-end tests) and with the
/// `test-support` feature; a release product build has none.
#[cfg(any(debug_assertions, feature = "test-support"))]
#[derive(Debug, Clone, Default)]
pub struct OffsetClock {
    offset: Arc<Mutex<Duration>>,
}

#[cfg(any(debug_assertions, feature = "test-support"))]
impl OffsetClock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn advance(&self, by: Duration) {
        *self.offset.lock().expect("clock offset lock") += by;
    }

    pub fn offset(&self) -> Duration {
        *self.offset.lock().expect("clock offset lock")
    }
}

#[cfg(any(debug_assertions, feature = "test-support"))]
impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_clock_moves_forward_by_the_advance() {
        let clock = OffsetClock::new();
        let before = clock.now();
        clock.advance(Duration::days(60));
        let gained = clock.now() - before;
        assert!(
            gained >= Duration::days(60) && gained < Duration::days(60) + Duration::seconds(5),
            "advancing by 60 days must move now() by 60 days (plus the real time the test took), got {gained}"
        );
    }
}
