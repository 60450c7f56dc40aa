//! The fair queue in front of the [`budget`](crate::budget) ledger: a call that may not go yet
//! waits its turn instead of failing. Each organisation has its own first-come, first-served
//! queue, so no client jumps another's place and an organisation whose budget is spent holds up
//! no other organisation. A waiting caller that gives up (its client hung up) leaves the queue.

use crate::budget::{Ledger, Limits, Problem, Remaining, Verdict};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Calls one organisation may have waiting; past that the queue answers 429 at once, so a
/// runaway script cannot grow the gateway's memory without bound.
pub const MAX_WAITING: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub problem: Problem,
    pub retry_after: Duration,
    /// The queue was full rather than the budget spent.
    pub queue_full: bool,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<u64>,
    changed: Arc<Notify>,
}

struct State {
    ledger: Ledger,
    queues: HashMap<String, Queue>,
    next_ticket: u64,
}

#[derive(Clone)]
pub struct Limiter {
    state: Arc<Mutex<State>>,
}

/// One call's place in its organisation's budget, held while it is in progress.
pub struct Permit {
    limiter: Limiter,
    tenant: String,
    window: u64,
}

impl Limiter {
    pub fn new(limits: Limits) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                ledger: Ledger::new(limits),
                queues: HashMap::new(),
                next_ticket: 0,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("limiter lock")
    }

    /// Waits for the organisation's turn and budget; refused only when its day is spent or
    /// its queue is full.
    pub async fn acquire(&self, tenant: &str) -> Result<Permit, Refusal> {
        let (ticket, changed) = {
            let mut s = self.lock();
            s.next_ticket += 1;
            let ticket = s.next_ticket;
            let q = s.queues.entry(tenant.to_owned()).or_default();
            if q.waiting.len() >= MAX_WAITING {
                return Err(Refusal {
                    problem: Problem::Concurrent,
                    retry_after: Duration::from_secs(1),
                    queue_full: true,
                });
            }
            q.waiting.push_back(ticket);
            (ticket, q.changed.clone())
        };
        // Leaves the queue however this ends: granted, refused, or dropped while waiting.
        let place = Place {
            limiter: self,
            tenant,
            ticket,
        };
        loop {
            let notified = changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let verdict = {
                let mut s = self.lock();
                let first = s
                    .queues
                    .get(tenant)
                    .and_then(|q| q.waiting.front())
                    .is_some_and(|t| *t == ticket);
                if first {
                    s.ledger.take(tenant, Instant::now())
                } else {
                    Verdict::AwaitRelease
                }
            };
            match verdict {
                Verdict::Go { window } => {
                    drop(place);
                    return Ok(Permit {
                        limiter: self.clone(),
                        tenant: tenant.to_owned(),
                        window,
                    });
                }
                Verdict::Refuse {
                    problem,
                    retry_after,
                } => {
                    return Err(Refusal {
                        problem,
                        retry_after,
                        queue_full: false,
                    });
                }
                Verdict::AwaitRelease => notified.await,
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
    ticket: u64,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        let mut s = self.limiter.lock();
        if let Some(q) = s.queues.get_mut(self.tenant) {
            q.waiting.retain(|t| *t != self.ticket);
            if q.waiting.is_empty() {
                // Nobody waits: the map holds only organisations in use.
                s.queues.remove(self.tenant);
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
    }

    /// Xero answered 429 all the same.
    pub fn throttled(&self, problem: Problem, retry_after: Option<Duration>) {
        let mut s = self.limiter.lock();
        s.ledger
            .throttled(&self.tenant, problem, retry_after, Instant::now());
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut s = self.limiter.lock();
        s.ledger.release(&self.tenant);
        Limiter::wake(&s, &self.tenant);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            concurrent: 2,
            per_minute: 1000,
            per_day: 5000,
            app_per_minute: 10_000,
            minute: Duration::from_secs(60),
        }
    }

    #[tokio::test]
    async fn waiting_calls_go_in_the_order_they_came_as_calls_finish() {
        let limiter = Limiter::new(limits());
        let a = limiter.acquire("t").await.unwrap();
        let b = limiter.acquire("t").await.unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for i in 0..4 {
            let (limiter, order) = (limiter.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let permit = limiter.acquire("t").await.unwrap();
                order.lock().unwrap().push(i);
                tokio::time::sleep(Duration::from_millis(5)).await;
                drop(permit);
            }));
            // Let each one queue before the next.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let other = tokio::time::timeout(Duration::from_secs(1), limiter.acquire("u")).await;
        assert!(
            other.is_ok(),
            "another organisation is not held up by this one's queue"
        );
        drop((a, b));
        for w in waiting {
            w.await.unwrap();
        }
        assert_eq!(
            *order.lock().unwrap(),
            vec![0, 1, 2, 3],
            "first come, first served"
        );
    }

    #[tokio::test]
    async fn a_caller_that_gives_up_leaves_the_queue() {
        let limiter = Limiter::new(Limits {
            concurrent: 1,
            ..limits()
        });
        let held = limiter.acquire("t").await.unwrap();
        let gave_up = tokio::time::timeout(Duration::from_millis(20), limiter.acquire("t")).await;
        assert!(gave_up.is_err(), "it had to wait");
        drop(held);
        let next = tokio::time::timeout(Duration::from_secs(1), limiter.acquire("t")).await;
        assert!(
            next.is_ok(),
            "a caller that left does not keep the head of the queue"
        );
    }
}
