//! The practice's shared call budget on PostgreSQL (see [`crate::rates`]): each operation is one
//! call of a function of schema step 4, one round trip, on a connection of this book's own (the
//! store's connection serves everything else and would queue calls behind it). A connection the
//! server or the network dropped is replaced on the next call.

use super::{PostgresStore, connect};
use crate::rates::{Limit, Observed, RateLimits, Slot, Taken};
use crate::store::{Result, StoreError};
use postgres::Client;
use std::sync::Mutex;
use std::time::Duration;

/// One process's handle on the shared budget; its calls' slots are held as `holder`.
pub struct RateBook {
    target: connect::Target,
    server: String,
    holder: String,
    client: Mutex<Option<Client>>,
}

impl PostgresStore {
    /// A handle on the practice's shared budget for this process, holding slots as `holder`
    /// (unique to the process: its leases are renewed and freed together).
    pub fn rate_book(&self, holder: String) -> RateBook {
        RateBook {
            target: self.target.clone(),
            server: self.server.clone(),
            holder,
            client: Mutex::new(None),
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn left(n: Option<u32>) -> Option<i32> {
    n.map(count)
}

impl RateBook {
    fn with_client<T>(
        &self,
        f: impl FnOnce(&mut Client) -> std::result::Result<T, postgres::Error>,
    ) -> Result<T> {
        let mut held = self
            .client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if held.as_ref().is_none_or(Client::is_closed) {
            *held = Some(connect::open(&self.target, &self.server)?);
        }
        let client = held.as_mut().expect("connected above");
        let result = f(client);
        if client.is_closed() {
            *held = None;
        }
        result.map_err(|e| connect::store_error(e, &self.server))
    }

    /// May a call to `scope` (a tenant id, lower case) go now? If so it is counted and holds a
    /// slot on a lease of `lease`.
    pub fn take(&self, scope: &str, limits: &RateLimits, lease: Duration) -> Result<Taken> {
        let row = self.with_client(|c| {
            c.query_one(
                "SELECT verdict, slot, window_id, app_window_id, problem, wait_ms
                 FROM rate_take($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    &scope,
                    &self.holder,
                    &count(limits.concurrent),
                    &count(limits.per_minute),
                    &count(limits.per_day),
                    &count(limits.app_per_minute),
                    &ms(limits.minute),
                    &ms(limits.day),
                    &ms(lease),
                ],
            )
        })?;
        let bad = |e: postgres::Error| StoreError::Other(format!("{}: {e}", self.server));
        let verdict: String = row.try_get(0).map_err(bad)?;
        let limit = row
            .try_get::<_, Option<String>>(4)
            .map_err(bad)?
            .map(|w| Limit::from_header(&w));
        let wait = row
            .try_get::<_, Option<i64>>(5)
            .map_err(bad)?
            .map(|ms| Duration::from_millis(u64::try_from(ms).unwrap_or(0)));
        Ok(match verdict.as_str() {
            "go" => Taken::Go(Slot {
                id: row.try_get(1).map_err(bad)?,
                scope: scope.to_owned(),
                window: row.try_get(2).map_err(bad)?,
                app_window: row.try_get(3).map_err(bad)?,
            }),
            "refuse" => Taken::Refuse {
                limit: limit.unwrap_or(Limit::Day),
                retry_after: wait.unwrap_or_default(),
            },
            _ => Taken::Wait {
                limit: limit.unwrap_or(Limit::Concurrent),
                wait,
            },
        })
    }

    /// A call has ended: frees its slot and raises the counts to what its answer said is left.
    pub fn release(&self, slot: &Slot, observed: Observed, limits: &RateLimits) -> Result<()> {
        self.with_client(|c| {
            c.execute(
                "SELECT rate_release($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    &slot.id,
                    &slot.scope,
                    &slot.window,
                    &slot.app_window,
                    &left(observed.minute_left),
                    &left(observed.day_left),
                    &left(observed.app_left),
                    &count(limits.per_minute),
                    &count(limits.per_day),
                    &count(limits.app_per_minute),
                ],
            )
        })?;
        Ok(())
    }

    /// Xero answered 429 naming `limit`: nothing goes to `scope` (or, for the app's minute,
    /// anywhere) in the practice for `wait`.
    pub fn block(
        &self,
        scope: &str,
        limit: Limit,
        wait: Duration,
        limits: &RateLimits,
    ) -> Result<()> {
        self.with_client(|c| {
            c.execute(
                "SELECT rate_block($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &scope,
                    &limit.header_value(),
                    &ms(wait),
                    &ms(limits.minute),
                    &ms(limits.day),
                    &count(limits.per_minute),
                    &count(limits.per_day),
                ],
            )
        })?;
        Ok(())
    }

    /// Extends the lease of every slot this process holds to `lease` from now.
    pub fn renew(&self, lease: Duration) -> Result<u64> {
        self.with_client(|c| {
            c.execute(
                "UPDATE rate_slots SET lease_until = clock_timestamp() + $2::BIGINT * INTERVAL '1 millisecond'
                 WHERE holder = $1",
                &[&self.holder, &ms(lease)],
            )
        })
    }

    /// Frees every slot this process holds (it is stopping).
    pub fn leave(&self) -> Result<u64> {
        self.with_client(|c| c.execute("DELETE FROM rate_slots WHERE holder = $1", &[&self.holder]))
    }
}

impl Drop for RateBook {
    fn drop(&mut self) {
        // Closing blocks on the client's own runtime, which must not happen on an async worker.
        let held = self.client.get_mut().map(Option::take).unwrap_or(None);
        if let Some(client) = held {
            std::thread::spawn(move || drop(client));
        }
    }
}

#[cfg(test)]
mod tests;
