//! Tests of `limiter`.

use super::*;

fn client(pid: u16) -> Client {
    Client::Process(u32::from(pid))
}

/// Queues one call per entry of `clients` on organisation "t", each a moment after the one
/// before; each holds its permit 2 ms once granted. `granted` waits for them all and gives
/// the order (indices into `clients`) they were let through in.
async fn queue_calls(limiter: &Limiter, clients: &[u16]) -> Queued {
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut calls = Vec::new();
    for (i, who) in clients.iter().copied().enumerate() {
        let (limiter, order) = (limiter.clone(), order.clone());
        calls.push(tokio::spawn(async move {
            let permit = limiter.acquire("t", client(who)).await.unwrap();
            order.lock().unwrap().push(i);
            tokio::time::sleep(Duration::from_millis(2)).await;
            drop(permit);
        }));
        // Let each one queue before the next.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Queued { calls, order }
}

struct Queued {
    calls: Vec<tokio::task::JoinHandle<()>>,
    order: Arc<Mutex<Vec<usize>>>,
}

impl Queued {
    async fn granted(self) -> Vec<usize> {
        for call in self.calls {
            call.await.unwrap();
        }
        self.order.lock().unwrap().clone()
    }
}

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
    let a = limiter.acquire("t", client(1)).await.unwrap();
    let b = limiter.acquire("t", client(1)).await.unwrap();
    let waiting = queue_calls(&limiter, &[1, 1, 1, 1]).await;
    let other = tokio::time::timeout(Duration::from_secs(1), limiter.acquire("u", client(1))).await;
    assert!(
        other.is_ok(),
        "another organisation is not held up by this one's queue"
    );
    drop((a, b));
    assert_eq!(
        waiting.granted().await,
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
    let held = limiter.acquire("t", client(1)).await.unwrap();
    let gave_up =
        tokio::time::timeout(Duration::from_millis(20), limiter.acquire("t", client(2))).await;
    assert!(gave_up.is_err(), "it had to wait");
    drop(held);
    let next = tokio::time::timeout(Duration::from_secs(1), limiter.acquire("t", client(3))).await;
    assert!(
        next.is_ok(),
        "a caller that left does not keep the head of the queue"
    );
}

#[tokio::test]
async fn clients_take_turns_so_a_backlog_holds_no_one_else_back() {
    let limiter = Limiter::new(Limits {
        concurrent: 1,
        ..limits()
    });
    let held = limiter.acquire("t", client(9)).await.unwrap();
    // Client 1 queues five calls (0-4), then clients 2 and 3 one each (5, 6).
    let waiting = queue_calls(&limiter, &[1, 1, 1, 1, 1, 2, 3]).await;
    drop(held);
    assert_eq!(
        waiting.granted().await,
        vec![0, 5, 6, 1, 2, 3, 4],
        "the lanes take turns, and each lane is first come, first served: clients 2 and 3 \
         wait for one of client 1's calls, not all five"
    );
}

#[tokio::test]
async fn one_client_cannot_fill_the_queues_for_every_other() {
    let limiter = Limiter::new(Limits {
        concurrent: 1,
        ..limits()
    });
    let held = limiter.acquire("t", client(9)).await.unwrap();
    let held_u = limiter.acquire("u-held", client(9)).await.unwrap();
    let mut waiting = Vec::new();
    for i in 0..MAX_WAITING_PER_CLIENT {
        let limiter = limiter.clone();
        let tenant = if i % 2 == 0 { "t" } else { "u-held" };
        waiting.push(tokio::spawn(async move {
            let _ = limiter.acquire(tenant, client(1)).await;
        }));
    }
    // Both organisations are held, so all of client 1's calls wait.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let refused = limiter.acquire("t", client(1)).await.err();
    assert_eq!(
        refused.map(|r| r.why),
        Some(Why::ClientBacklog),
        "its next call is refused at once, whichever organisation"
    );
    let other =
        tokio::time::timeout(Duration::from_millis(50), limiter.acquire("t", client(2))).await;
    assert!(
        other.is_err(),
        "another program still queues (and waits its turn) rather than being refused"
    );
    drop((held, held_u));
    for w in waiting {
        w.abort();
    }
}

/// Six organisations, each with four calls always waiting, share an app minute of 12 calls (a
/// 300 ms minute): after the first window, which goes to those who asked first, the app's calls
/// go round the organisations, 2 each a window, the calls told to wait for their turn woken as
/// turns pass (none is left waiting: every worker ends).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organisations_take_turns_at_the_app_s_minute() {
    let limits = Limits {
        concurrent: 5,
        per_minute: 100,
        per_day: 5000,
        app_per_minute: 12,
        minute: Duration::from_millis(300),
    };
    let window = limits.minute + limits.margin();
    let limiter = Limiter::new(limits);
    let started = Instant::now();
    let run_for = window * 3 + window / 2;
    let granted = Arc::new(Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for org in 0..6u16 {
        for w in 0..4u16 {
            let (limiter, granted) = (limiter.clone(), granted.clone());
            workers.push(tokio::spawn(async move {
                let tenant = format!("org-{org}");
                while started.elapsed() < run_for {
                    let acquired = tokio::time::timeout(
                        run_for.saturating_sub(started.elapsed()),
                        limiter.acquire(&tenant, client(org * 10 + w)),
                    )
                    .await;
                    let Ok(permit) = acquired else { break };
                    granted.lock().unwrap().push((org, started.elapsed()));
                    drop(permit.unwrap());
                }
            }));
        }
    }
    for w in workers {
        tokio::time::timeout(run_for + Duration::from_secs(2), w)
            .await
            .expect("no call is left waiting for a turn that never comes")
            .unwrap();
    }
    let granted = granted.lock().unwrap().clone();
    // The second and third windows.
    let mut had = [0u32; 6];
    for (org, at) in granted {
        if at >= window && at < window * 3 {
            had[usize::from(org)] += 1;
        }
    }
    assert_eq!(had.iter().sum::<u32>(), 24, "two windows of 12: {had:?}");
    assert_eq!(had, [4; 6], "2 a window each: {had:?}");
}
