//! The fair queue in front of the [`budget`](crate::budget) ledger: a call that may not go yet
//! waits its turn instead of failing. Each organisation has its own queue, so an organisation
//! whose budget is spent holds up no other. Inside it, each client (a program: its process, not
//! its socket, see [`client`](crate::client)) has a lane of its own calls, first come first
//! served, and the lanes take turns: a script with 500 calls waiting on ten connections holds
//! another program's one call back by at most one call per other client waiting, never behind
//! its whole backlog. Waiting calls are counted per organisation and per client, so one program
//! cannot fill every queue. A caller that gives up (its client hung up) leaves.
//!
//! When the app's minute is what binds, the organisations take turns at it (the ledger says whose
//! turn it is; a call told to wait for one waits until a turn has passed).
//!
//! In a practice, a call let through here also takes its place in the practice's shared budget
//! ([`tenantry_core::rates`]) before it goes, holding its local place meanwhile: every member
//! machine's gateway counts against the same windows and the same five calls in progress.
//!
//! Nothing here panics while the state's mutex is held, and a poisoned mutex is used as it is:
//! a permit is released while a response unwinds, and a panic there would abort the process.

use crate::budget::{Ledger, Limits, Problem, Remaining, Verdict};
use shared::Shared;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tenantry_core::rates::{Observed, SharedRates, Slot};
use tokio::sync::Notify;

/// Calls one organisation may have waiting; past that the queue answers 429 at once, so
/// runaway scripts cannot grow the gateway's memory without bound.
pub const MAX_WAITING: usize = 1000;
/// Calls one client may have waiting, for all organisations together: one program cannot fill
/// an organisation's queue (nor all of them) for every other.
pub const MAX_WAITING_PER_CLIENT: usize = 250;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub problem: Problem,
    pub retry_after: Duration,
    pub why: Why,
}

/// Why a call was refused rather than queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The organisation's budget for the day is spent, or Xero asked for a wait longer than a
    /// window (`problem` says which limit).
    NotNow,
    /// [`MAX_WAITING`] calls already wait for the organisation.
    QueueFull,
    /// [`MAX_WAITING_PER_CLIENT`] calls from this client already wait.
    ClientBacklog,
}

/// Who a call comes from, for taking turns.
pub type Client = crate::client::ClientKey;

/// One client's calls waiting for one organisation, oldest first.
struct Lane {
    client: Client,
    tickets: VecDeque<u64>,
}

/// One organisation's waiting calls: the lanes in turn order; the next call to go is the first
/// lane's oldest.
#[derive(Default)]
struct Queue {
    lanes: VecDeque<Lane>,
    changed: Arc<Notify>,
}

impl Queue {
    fn len(&self) -> usize {
        self.lanes.iter().map(|l| l.tickets.len()).sum()
    }

    fn join(&mut self, client: Client, ticket: u64) {
        match self.lanes.iter_mut().find(|l| l.client == client) {
            Some(lane) => lane.tickets.push_back(ticket),
            None => self.lanes.push_back(Lane {
                client,
                tickets: VecDeque::from([ticket]),
            }),
        }
    }

    fn next(&self) -> Option<u64> {
        self.lanes.front().and_then(|l| l.tickets.front()).copied()
    }

    /// Takes `ticket` out. A call that went from the head passes the turn: its lane moves to
    /// the back if it has more waiting.
    fn leave(&mut self, ticket: u64, went: bool) {
        let Some(at) = self.lanes.iter().position(|l| l.tickets.contains(&ticket)) else {
            return;
        };
        let lane = &mut self.lanes[at];
        lane.tickets.retain(|t| *t != ticket);
        if lane.tickets.is_empty() {
            self.lanes.remove(at);
        } else if went {
            // Only the head is ever let through.
            debug_assert_eq!(at, 0, "a call went from the head of the queue");
            self.lanes.rotate_left(1);
        }
    }
}

struct State {
    ledger: Ledger,
    queues: HashMap<String, Queue>,
    /// Calls waiting per client, across organisations; a client with none has no entry.
    waiting: HashMap<Client, usize>,
    next_ticket: u64,
    /// Told when a turn at the app's minute may have passed ([`Verdict::AwaitTurn`]).
    app_turn: Arc<Notify>,
}

impl State {
    /// The ledger's verdict for `tenant`, telling those waiting for a turn at the app's minute
    /// when it may have passed.
    fn take(&mut self, tenant: &str) -> Verdict {
        let before = self.ledger.turns_moved();
        let verdict = self.ledger.take(tenant, Instant::now());
        // The call that went is still in its queue: more than it means more wait.
        if matches!(verdict, Verdict::Go { .. })
            && self.queues.get(tenant).is_some_and(|q| q.len() > 1)
        {
            self.ledger.more_waiting(tenant);
        }
        self.told_turns(before);
        verdict
    }

    fn told_turns(&self, before: u64) {
        if self.ledger.turns_moved() != before {
            self.app_turn.notify_waiters();
        }
    }
}

#[derive(Clone)]
pub struct Limiter {
    state: Arc<Mutex<State>>,
    /// In a practice, the budget every member machine shares.
    shared: Option<Shared>,
}

/// One call's place in its organisation's budget, held while it is in progress.
pub struct Permit {
    limiter: Limiter,
    tenant: String,
    window: u64,
    /// Its place in the practice's budget, and what its answer said is left, for the release.
    slot: Option<(Slot, Mutex<Observed>)>,
}

impl Limiter {
    pub fn new(limits: Limits) -> Self {
        Self::shared(limits, None)
    }

    /// A limiter whose calls also take their place in `rates`, a practice's shared budget.
    pub fn shared(limits: Limits, rates: Option<SharedRates>) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                ledger: Ledger::new(limits),
                queues: HashMap::new(),
                waiting: HashMap::new(),
                next_ticket: 0,
                app_turn: Arc::new(Notify::new()),
            })),
            shared: rates.map(|rates| Shared::new(rates, limits)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Never a panic here: this runs in `Drop`, also while a response unwinds.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits for `client`'s turn and the organisation's budget; refused only when its day is
    /// spent, its queue is full, or the client already has its most calls waiting.
    pub async fn acquire(&self, tenant: &str, client: Client) -> Result<Permit, Refusal> {
        let (ticket, changed, app_turn) = {
            let mut s = self.lock();
            s.next_ticket += 1;
            let ticket = s.next_ticket;
            let full = |why| {
                Err(Refusal {
                    problem: Problem::Concurrent,
                    retry_after: Duration::from_secs(1),
                    why,
                })
            };
            if s.waiting.get(&client).copied().unwrap_or(0) >= MAX_WAITING_PER_CLIENT {
                return full(Why::ClientBacklog);
            }
            let q = s.queues.entry(tenant.to_owned()).or_default();
            if q.len() >= MAX_WAITING {
                return full(Why::QueueFull);
            }
            q.join(client, ticket);
            let changed = q.changed.clone();
            *s.waiting.entry(client).or_default() += 1;
            (ticket, changed, s.app_turn.clone())
        };
        // Leaves the queue however this ends: granted, refused, or dropped while waiting.
        let mut place = Place {
            limiter: self,
            tenant,
            client,
            ticket,
            went: false,
        };
        loop {
            let notified = changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let turn = app_turn.notified();
            tokio::pin!(turn);
            turn.as_mut().enable();
            let verdict = {
                let mut s = self.lock();
                let first = s.queues.get(tenant).and_then(Queue::next) == Some(ticket);
                if first {
                    s.take(tenant)
                } else {
                    Verdict::AwaitRelease
                }
            };
            match verdict {
                Verdict::Go { window } => {
                    place.went = true;
                    drop(place);
                    let mut permit = Permit {
                        limiter: self.clone(),
                        tenant: tenant.to_owned(),
                        window,
                        slot: None,
                    };
                    if let Some(shared) = &self.shared {
                        // Dropping the permit on a refusal gives its local place back.
                        let slot = shared.turn(tenant).await?;
                        permit.slot = slot.map(|s| (s, Mutex::new(Observed::default())));
                    }
                    return Ok(permit);
                }
                Verdict::Refuse {
                    problem,
                    retry_after,
                } => {
                    return Err(Refusal {
                        problem,
                        retry_after,
                        why: Why::NotNow,
                    });
                }
                Verdict::AwaitRelease => notified.await,
                Verdict::AwaitTurn => {
                    tokio::select! {
                        () = notified => {}
                        () = turn => {}
                    }
                }
                Verdict::WaitUntil(until) => {
                    tokio::select! {
                        () = notified => {}
                        () = tokio::time::sleep_until(until.into()) => {}
                    }
                }
            }
        }
    }

    /// What Xero last said was left of the organisation's day.
    pub fn day_left(&self, tenant: &str) -> Option<u32> {
        self.lock().ledger.day_left(tenant)
    }

    fn wake(s: &State, tenant: &str) {
        if let Some(q) = s.queues.get(tenant) {
            q.changed.notify_waiters();
        }
    }
}

struct Place<'a> {
    limiter: &'a Limiter,
    tenant: &'a str,
    client: Client,
    ticket: u64,
    /// The call was let through (rather than refused or given up).
    went: bool,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        let mut s = self.limiter.lock();
        if let Some(n) = s.waiting.get_mut(&self.client) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                s.waiting.remove(&self.client);
            }
        }
        if let Some(q) = s.queues.get_mut(self.tenant) {
            q.leave(self.ticket, self.went);
            if q.lanes.is_empty() {
                // Nobody waits: the map holds only organisations in use, and this one waits
                // for no turn at the app's minute.
                s.queues.remove(self.tenant);
                let before = s.ledger.turns_moved();
                s.ledger.forget(self.tenant);
                s.told_turns(before);
            } else {
                // The next in line may go now (or, if this one gave up, move up).
                q.changed.notify_waiters();
            }
        }
    }
}

impl Permit {
    /// The answer's `X-…-Remaining` headers.
    pub fn observe(&self, remaining: Remaining) {
        let mut s = self.limiter.lock();
        s.ledger.observe(&self.tenant, self.window, remaining);
        drop(s);
        if let Some((_, observed)) = &self.slot {
            *observed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Observed {
                minute_left: remaining.minute,
                day_left: remaining.day,
                app_left: remaining.app_minute,
            };
        }
    }

    /// Xero answered 429 all the same: this gateway holds back, and so does the practice.
    pub fn throttled(&self, problem: Problem, retry_after: Option<Duration>) {
        let mut s = self.limiter.lock();
        let wait = s
            .ledger
            .throttled(&self.tenant, problem, retry_after, Instant::now());
        drop(s);
        if let (Some(shared), Some(_)) = (&self.limiter.shared, &self.slot) {
            shared.block(&self.tenant, problem, wait);
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut s = self.limiter.lock();
        s.ledger.release(&self.tenant);
        Limiter::wake(&s, &self.tenant);
        drop(s);
        if let (Some(shared), Some((slot, observed))) = (&self.limiter.shared, self.slot.take()) {
            let observed = observed
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            shared.release(slot, observed);
        }
    }
}

mod shared;
#[cfg(test)]
mod tests;
