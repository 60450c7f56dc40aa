//! What the engine keeps per login in memory: the cached token set (so a fresh token costs no
//! I/O), the flight mutex that makes refreshes of one login single-file in this process, and the
//! backoff after transient failures.

use crate::token::TokenSet;
use crate::xero::XeroError;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, AtomicI64};
use std::sync::{Arc, RwLock};

#[derive(Default)]
pub(super) struct Slot {
    cached: RwLock<Option<Arc<TokenSet>>>,
    /// Held for the whole refresh: one flight per login in this process. Guards the backoff.
    pub(super) flight: tokio::sync::Mutex<Backoff>,
    /// A background retry is scheduled for this login.
    pub(super) retrying: AtomicBool,
    /// When this process last recorded a caller's use of the login (ms since the epoch).
    pub(super) use_noted: AtomicI64,
}

/// Transient failures so far, and until when a caller is served without asking Xero again.
#[derive(Default)]
pub(super) struct Backoff {
    pub(super) failures: u32,
    pub(super) not_before: Option<DateTime<Utc>>,
    pub(super) last: Option<XeroError>,
}

impl Slot {
    /// The cached token set, if its access token is fresh at `now`.
    pub(super) fn fresh(&self, now: DateTime<Utc>) -> Option<Arc<TokenSet>> {
        self.cached
            .read()
            .expect("slot lock")
            .as_ref()
            .filter(|t| t.is_fresh_at(now))
            .cloned()
    }

    /// The cached token set, if its access token has not expired at `now` (fresh or not).
    pub(super) fn unexpired(&self, now: DateTime<Utc>) -> Option<Arc<TokenSet>> {
        self.cached
            .read()
            .expect("slot lock")
            .as_ref()
            .filter(|t| now < t.expires_at)
            .cloned()
    }

    pub(super) fn set(&self, tokens: Option<Arc<TokenSet>>) {
        *self.cached.write().expect("slot lock") = tokens;
    }
}
