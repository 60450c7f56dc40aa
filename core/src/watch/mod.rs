//! Watching over logins while a long-running host (the desktop app) has a profile open: the
//! [`Keeper`] runs keep-alive at start and hourly (backing off while Xero cannot be reached),
//! refreshes logins in use ahead of expiry every minute, notices what other processes (a CLI run)
//! wrote, and decides which notifications are due, each at most once a day however often the
//! app restarts. It publishes what a shell shows ([`Lookout`], over a `tokio::sync::watch`) and
//! the notices to say; the shell draws and says them and holds no policy. The rules it applies
//! are pure functions in [`rules`].

mod rules;

pub use rules::{
    Attention, KEEPALIVE_INTERVAL, KeepAliveSchedule, Level, NOTICE_REPEAT, Notice,
    OFFLINE_FIRST_RETRY, OFFLINE_MAX_RETRY, RunVerdict, UNREACHABLE_NOTICE_AFTER, due_notices,
    egress_notices, first_needing_attention, login_level,
};

use crate::engine::Engine;
use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// How many of the newest events are looked through for egress marks to say.
const EVENTS_LOOKED_AT: usize = 200;
/// How often another process's writes are looked for: a constant-cost query.
const EXTERNAL_POLL: std::time::Duration = std::time::Duration::from_secs(2);
/// Logins some caller used within this are refreshed ahead when their token expires within
/// [`AHEAD`], so the next call does not wait for a refresh.
const IN_USE: Duration = Duration::minutes(30);
const AHEAD: Duration = Duration::minutes(5);
/// How often every login is checked at Xero (`/connections`), besides once at start after the
/// first keep-alive run: a client that disconnected the app shows within a day.
pub const CHECK_INTERVAL: Duration = Duration::days(1);

/// What a shell shows of the watch: the tray's summary, since when Xero has been unreachable,
/// and a revision that moves whenever the logins may have changed (this process or another).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lookout {
    pub attention: Attention,
    pub unreachable_since: Option<DateTime<Utc>>,
    pub revision: u64,
}

/// The running watch over one open profile. Dropping it (or [`Keeper::stop`]) ends every task it
/// started.
pub struct Keeper {
    lookout: watch::Receiver<Lookout>,
    stop: CancellationToken,
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// The keeper's state shared by its tasks.
struct Shared {
    engine: Engine,
    lookout: watch::Sender<Lookout>,
    notices: mpsc::UnboundedSender<Notice>,
    unreachable_since: Mutex<Option<DateTime<Utc>>>,
    /// One look at a time: the minute's tick and a change both look, and two looks that read the
    /// said notices before either records its own would both say the same notice.
    looking: tokio::sync::Mutex<()>,
}

impl Keeper {
    /// Starts watching over `engine`'s logins (inside a tokio runtime). `minute` is the length
    /// of a minute for the loop's pacing (a test passes milliseconds to see hours of back-off in
    /// seconds). Returns the keeper and the notices to say, each already recorded as said.
    pub fn start(
        engine: Engine,
        minute: std::time::Duration,
    ) -> (Self, mpsc::UnboundedReceiver<Notice>) {
        let (lookout, watching) = watch::channel(Lookout::default());
        let (notices, to_say) = mpsc::unbounded_channel();
        let stop = CancellationToken::new();
        engine.enable_background_retries();
        let shared = Arc::new(Shared {
            engine,
            lookout,
            notices,
            unreachable_since: Mutex::new(None),
            looking: tokio::sync::Mutex::new(()),
        });
        spawn_until(&stop, recover(shared.clone()));
        spawn_until(&stop, follow_changes(shared.clone()));
        spawn_until(&stop, follow_other_processes(shared.clone()));
        spawn_until(&stop, keep_alive(shared, minute));
        let keeper = Self {
            lookout: watching,
            stop,
        };
        (keeper, to_say)
    }

    /// What to show, updated as it changes.
    pub fn lookout(&self) -> watch::Receiver<Lookout> {
        self.lookout.clone()
    }

    pub fn stop(&self) {
        self.stop.cancel();
    }
}

fn spawn_until(stop: &CancellationToken, work: impl Future<Output = ()> + Send + 'static) {
    let stop = stop.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = work => {}
        }
    });
}

/// Finishes refreshes a crash left unfinished, while Xero's grace lasts.
async fn recover(shared: Arc<Shared>) {
    for (login, result) in shared.engine.recover().await {
        if let Err(e) = result {
            tracing::warn!(%login, error = %e, "recovering an interrupted refresh failed");
        }
    }
}

/// Every change this process's engine makes moves the revision.
async fn follow_changes(shared: Arc<Shared>) {
    let mut changes = shared.engine.subscribe();
    loop {
        match changes.recv().await {
            // A lagging receiver only means several changes happened: one update covers them.
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                shared.changed().await;
            }
            Err(_) => return,
        }
    }
}

/// Another process (a CLI run) or, in a practice, another machine may change logins too. A
/// practice's database says so as each change commits; SQLite's `data_version` says so cheaply
/// when asked, every 2 s.
async fn follow_other_processes(shared: Arc<Shared>) {
    if let Some(mut feed) = shared.engine.change_feed() {
        loop {
            feed.changed().await;
            shared.changed().await;
        }
    }
    let mut seen = shared.engine.external_changes().await.ok();
    loop {
        tokio::time::sleep(EXTERNAL_POLL).await;
        let now = shared.engine.external_changes().await.ok();
        if now != seen {
            seen = now;
            shared.changed().await;
        }
    }
}

/// Keep-alive at start and on its schedule, the check at Xero after the first run and daily, and
/// every minute the logins in use refreshed ahead and the lookout and notices brought up to
/// date. Each keep-alive run and each check is logged.
async fn keep_alive(shared: Arc<Shared>, minute: std::time::Duration) {
    let engine = &shared.engine;
    let scale = |wait: Duration| minute.mul_f64(wait.num_seconds().max(0) as f64 / 60.0);
    let mut schedule = KeepAliveSchedule::default();
    let mut next_run = tokio::time::Instant::now();
    let mut next_check = tokio::time::Instant::now();
    loop {
        if tokio::time::Instant::now() >= next_run {
            let wait = run_keepalive(engine, &mut schedule).await;
            *shared.unreachable_since.lock().expect("watch lock") = schedule.unreachable_since();
            next_run = tokio::time::Instant::now() + scale(wait);
        }
        if tokio::time::Instant::now() >= next_check {
            if let Err(e) = engine.check(None).await {
                tracing::warn!(error = %e, "the check at Xero could not run");
            }
            next_check = tokio::time::Instant::now() + scale(CHECK_INTERVAL);
        }
        match engine.refresh_in_use(IN_USE, AHEAD).await {
            Ok(results) => {
                for (login, result) in results {
                    if let Err(e) = result {
                        tracing::warn!(%login, code = ?e.code(), "refreshing a login in use failed");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not list logins in use"),
        }
        shared.look().await;
        let until_run = next_run.saturating_duration_since(tokio::time::Instant::now());
        tokio::time::sleep(until_run.min(minute)).await;
    }
}

/// One keep-alive run, logged; returns how long until the next.
async fn run_keepalive(engine: &Engine, schedule: &mut KeepAliveSchedule) -> Duration {
    let days = engine.config().keepalive_days;
    match engine.keepalive(Duration::days(days.into())).await {
        Ok(reports) => {
            let verdict = RunVerdict::of(&reports);
            let wait = schedule.after_run(verdict, engine.now());
            let note = match verdict {
                RunVerdict::Offline => format!(
                    "; Xero could not be reached, next try in {} min",
                    wait.num_minutes()
                ),
                RunVerdict::Done | RunVerdict::Partial => String::new(),
            };
            engine.record_keepalive_run(&reports, false, &note).await;
            wait
        }
        Err(e) => {
            tracing::warn!(error = %e, "keep-alive could not run");
            OFFLINE_FIRST_RETRY
        }
    }
}

impl Shared {
    /// The logins may have changed: move the revision, then look again.
    async fn changed(&self) {
        self.lookout.send_modify(|l| l.revision += 1);
        self.look().await;
    }

    /// Brings the lookout up to date and hands over the notices now due, each recorded as said
    /// first: a notification daemon that fails must not make it repeat every minute.
    async fn look(&self) {
        let _one_look = self.looking.lock().await;
        let engine = &self.engine;
        let Ok(logins) = engine.logins().await else {
            return;
        };
        let (now, days) = (engine.now(), engine.config().notify_days);
        let since = *self.unreachable_since.lock().expect("watch lock");
        let attention = Attention::of(&logins, now, days);
        self.lookout.send_if_modified(|l| {
            let changed = l.attention != attention || l.unreachable_since != since;
            l.attention = attention;
            l.unreachable_since = since;
            changed
        });
        let said = engine.notices_said().await.unwrap_or_default();
        // The newest events are enough: a month has a handful of marks among them.
        let events = engine
            .events(None, EVENTS_LOOKED_AT)
            .await
            .unwrap_or_default();
        let mut due = due_notices(&logins, now, days, since, &said);
        due.extend(egress_notices(&events, now, &said));
        for notice in due {
            if engine.record_notice(&notice.key).await.is_ok() {
                let _ = self.notices.send(notice);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LoginState;
    use crate::store::fixtures::login;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn looks_that_overlap_say_a_notice_once() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::for_test(dir.path()).await;
        let mut lost = login("cara");
        lost.state = LoginState::NeedsReconnect;
        engine.store_for_test(lost, Vec::new()).await;
        let (notices, mut said) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            engine,
            lookout: watch::channel(Lookout::default()).0,
            notices,
            unreachable_since: Mutex::new(None),
            looking: tokio::sync::Mutex::new(()),
        });
        // The minute's tick and a change, at once, as in the desktop app.
        let looks: Vec<_> = (0..8)
            .map(|_| {
                let shared = shared.clone();
                tokio::spawn(async move { shared.look().await })
            })
            .collect();
        for look in looks {
            look.await.unwrap();
        }
        drop(shared);
        let mut keys = Vec::new();
        while let Some(notice) = said.recv().await {
            keys.push(notice.key);
        }
        assert_eq!(
            keys.len(),
            1,
            "eight overlapping looks say the reconnect notice once: {keys:?}"
        );
    }
}
