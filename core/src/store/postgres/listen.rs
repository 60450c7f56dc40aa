//! Hearing every machine's changes as they commit: a connection of its own `LISTEN`s on the
//! channel the schema's triggers notify (`tenantry_changes`, sent at commit), so a window shows
//! another machine's work at once instead of polling the database. One thread per feed, since
//! the sync client blocks while it waits.
//!
//! A notification wakes the feed only when this schema's change counter moved: notifications are
//! per database, and two practices may share one (each its own schema). A connection that broke
//! is replaced, with a wake-up after, since changes made meanwhile were not heard.

use super::{PostgresStore, connect};
use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const CHANNEL: &str = "tenantry_changes";
const APPLICATION: &str = "tenantry listen";
/// How often the thread looks whether its feed was dropped, while nothing is heard.
const STOP_CHECK: Duration = Duration::from_millis(500);
/// How long a quiet connection goes before it is asked whether it is still there: a dropped link
/// is otherwise silent (the client reads its socket only when something arrives).
const QUIET_CHECK: Duration = Duration::from_secs(15);
const RECONNECT_FIRST: Duration = Duration::from_millis(500);
const RECONNECT_MAX: Duration = Duration::from_secs(30);

/// Wakes when the practice's data may have changed (any machine, this one included), and once
/// each time it (re)connects. Dropping it ends its thread and connection within half a second.
pub struct ChangeFeed {
    woken: mpsc::Receiver<()>,
}

impl ChangeFeed {
    /// Waits for the next change. Several changes while nobody waited are one wake-up: the
    /// caller re-reads everything it shows anyway.
    pub async fn changed(&mut self) {
        // The sender lives as long as its thread, which ends only once this is dropped.
        let _ = self.woken.recv().await;
    }
}

impl PostgresStore {
    /// Starts listening for changes on a connection of the feed's own. Never fails: a database
    /// that cannot be reached now is tried again with a growing wait, and the feed wakes once it
    /// is reached (what changed before is for the caller to read then).
    pub fn listen(&self) -> ChangeFeed {
        let (wake, woken) = mpsc::channel(1);
        let (mut target, server) = (self.target.clone(), self.server.clone());
        // Named apart, so a database administrator sees which sessions only listen.
        target.config.application_name(APPLICATION);
        std::thread::Builder::new()
            .name("tenantry-listen".into())
            .spawn(move || listen_until_dropped(&target, &server, &wake))
            .expect("start the change listener's thread");
        ChangeFeed { woken }
    }
}

fn listen_until_dropped(target: &connect::Target, server: &str, wake: &mpsc::Sender<()>) {
    let mut retry = RECONNECT_FIRST;
    while !wake.is_closed() {
        match connect::open(target, server).and_then(|mut c| {
            c.batch_execute(&format!("LISTEN {CHANNEL}"))
                .map_err(|e| connect::store_error(e, server))?;
            Ok(c)
        }) {
            Ok(mut client) => {
                retry = RECONNECT_FIRST;
                // The counter is read before the wake-up, so a change the caller makes after it
                // wakes is a change from this reading. Whatever committed before (while the link
                // was down, or before the feed first listened) went unheard: the caller reads
                // it on this wake-up.
                let seen = counter(&mut client);
                let _ = wake.try_send(());
                hear(&mut client, wake, seen);
                tracing::debug!(server, "the change listener's connection ended");
                std::thread::spawn(move || drop(client));
            }
            Err(e) => {
                tracing::debug!(server, error = %e, "the change listener cannot reach the database");
                let until = Instant::now() + retry;
                while Instant::now() < until && !wake.is_closed() {
                    std::thread::sleep(STOP_CHECK.min(until - Instant::now()));
                }
                retry = (retry * 2).min(RECONNECT_MAX);
            }
        }
    }
}

/// Passes notifications on until the connection breaks or the feed is dropped.
fn hear(client: &mut Client, wake: &mpsc::Sender<()>, mut seen: Option<i64>) {
    let mut last_heard = Instant::now();
    while !wake.is_closed() {
        let heard = client.notifications().timeout_iter(STOP_CHECK).next();
        match heard {
            Ok(Some(_)) => {
                // Take the rest of a burst at once: one look covers them all.
                if client.notifications().iter().count().is_err() {
                    return;
                }
                let now = counter(client);
                if now.is_none() {
                    return;
                }
                if now != seen {
                    seen = now;
                    let _ = wake.try_send(());
                }
                last_heard = Instant::now();
            }
            Err(_) => return,
            Ok(None) if client.is_closed() => return,
            Ok(None) if last_heard.elapsed() >= QUIET_CHECK => {
                if client.is_valid(Duration::from_secs(5)).is_err() {
                    return;
                }
                last_heard = Instant::now();
            }
            Ok(None) => {}
        }
    }
}

/// This schema's change counter, None when the connection failed.
fn counter(client: &mut Client) -> Option<i64> {
    client
        .query_one("SELECT last_value FROM changes", &[])
        .ok()
        .and_then(|row| row.try_get(0).ok())
}

#[cfg(test)]
mod tests {
    use super::super::Scratch;
    use super::*;
    use crate::store::Store;
    use chrono::Utc;

    /// Waits up to `within` for the feed; whether it woke.
    fn woke(runtime: &tokio::runtime::Runtime, feed: &mut ChangeFeed, within: Duration) -> bool {
        runtime.block_on(async { tokio::time::timeout(within, feed.changed()).await.is_ok() })
    }

    #[test]
    fn another_machines_change_wakes_the_feed_and_a_cut_connection_is_replaced() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let scratch = Scratch::new("listen");
        let other_practice = Scratch::new("listen_other");
        let mut admin = super::super::scratch::admin(&super::super::scratch::server_url());
        let listening = |admin: &mut Client| -> i64 {
            admin
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
                    &[&APPLICATION],
                )
                .unwrap()
                .get(0)
        };
        let mut feed = scratch.store().listen();
        // The listener connects on its own thread: wait until it listens.
        let started = Instant::now();
        while listening(&mut admin) == 0 && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            woke(&runtime, &mut feed, Duration::from_secs(5)),
            "a feed wakes once it listens: what changed before is for its caller to read"
        );
        let other_machine = PostgresStore::connect(scratch.url()).unwrap();

        other_machine
            .record_calls_left("t1", 4999, Utc::now())
            .unwrap();
        assert!(
            woke(&runtime, &mut feed, Duration::from_secs(5)),
            "a change another machine committed must wake the feed"
        );
        other_practice
            .store()
            .record_calls_left("t1", 4998, Utc::now())
            .unwrap();
        assert!(
            !woke(&runtime, &mut feed, Duration::from_millis(1500)),
            "another practice on the same database (another schema) is not this one's change"
        );

        let cut = admin
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                &[&APPLICATION],
            )
            .unwrap()
            .get::<_, i64>(0);
        assert_eq!(cut, 1, "the feed listens on one connection of its own");
        assert!(
            woke(&runtime, &mut feed, Duration::from_secs(10)),
            "a replaced connection wakes the feed: changes meanwhile went unheard"
        );
        other_machine
            .record_calls_left("t1", 4997, Utc::now())
            .unwrap();
        assert!(
            woke(&runtime, &mut feed, Duration::from_secs(5)),
            "and the replacement hears the next change"
        );

        drop(feed);
        std::thread::sleep(Duration::from_secs(1));
        let left = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                &[&APPLICATION],
            )
            .unwrap()
            .get::<_, i64>(0);
        assert_eq!(left, 0, "a dropped feed closes its connection");
    }
}
