//! A valid token, in process: `access_token_for` on a fresh token against its floor, an
//! uncontended `tokio::sync::Mutex` lock-and-clone of the same token, each with one task and with
//! 64 contending tasks. A counting allocator also reports allocations per call (printed, and
//! written as JSON to `TENANTRY_BENCH_ALLOCS` when set, for scripts/bench.sh).

use criterion::{Criterion, criterion_group, criterion_main};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tenantry_core::Engine;
use tenantry_core::secret::Secret;
use tenantry_tests::bench::{Fixture, Vault};
use tokio::runtime::Runtime;
use tokio::sync::Mutex;

// Counts every allocation (stats_alloc wraps the system allocator; this crate forbids unsafe).
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CONTENDERS: u64 = 64;

struct Subject {
    rt: Runtime,
    _fixture: Fixture,
    engine: Engine,
    tenant: Arc<str>,
    floor: Arc<Mutex<Secret>>,
}

fn subject() -> Subject {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let fixture = rt
        .block_on(Fixture::new(
            1,
            1,
            chrono::Duration::minutes(30),
            Vault::Memory,
        ))
        .expect("fixture");
    let tenant: Arc<str> = fixture.tenants[0][0].as_str().into();
    let token = fixture.vault.load(&fixture.logins[0]).unwrap().unwrap();
    Subject {
        engine: fixture.engine.clone(),
        floor: Arc::new(Mutex::new(token.access_token)),
        tenant,
        rt,
        _fixture: fixture,
    }
}

/// Allocations per call, averaged over many calls on one task.
fn allocations_per_call(s: &Subject) -> (f64, f64) {
    const N: u64 = 10_000;
    let count = |f: &dyn Fn()| {
        let region = Region::new(GLOBAL);
        f();
        let change = region.change();
        (change.allocations + change.reallocations) as f64 / N as f64
    };
    let ours = count(&|| {
        s.rt.block_on(async {
            for _ in 0..N {
                black_box(s.engine.access_token_for(&s.tenant).await.unwrap());
            }
        })
    });
    let floor = count(&|| {
        s.rt.block_on(async {
            for _ in 0..N {
                black_box(s.floor.lock().await.clone());
            }
        })
    });
    (ours, floor)
}

fn benches(c: &mut Criterion) {
    let s = subject();
    let (ours, floor) = allocations_per_call(&s);
    println!("allocations per call: access_token_for {ours:.2}, floor {floor:.2}");
    if let Some(path) = std::env::var_os("TENANTRY_BENCH_ALLOCS") {
        let json = format!("{{\"access_token_for\": {ours}, \"floor\": {floor}}}");
        std::fs::write(path, json).expect("write the allocation report");
    }

    let mut group = c.benchmark_group("valid_token");
    group.bench_function("floor_mutex_clone/1_task", |b| {
        b.iter_custom(|iters| {
            s.rt.block_on(async {
                let started = Instant::now();
                for _ in 0..iters {
                    black_box(s.floor.lock().await.clone());
                }
                started.elapsed()
            })
        })
    });
    group.bench_function("access_token_for/1_task", |b| {
        b.iter_custom(|iters| {
            s.rt.block_on(async {
                let started = Instant::now();
                for _ in 0..iters {
                    black_box(s.engine.access_token_for(&s.tenant).await.unwrap());
                }
                started.elapsed()
            })
        })
    });
    // 64 tasks share the iterations; the figure is wall time per call with all of them running.
    // Both sides clone an `Arc` per call to move into the future: the same overhead for each.
    group.bench_function("floor_mutex_clone/64_tasks", |b| {
        b.iter_custom(|iters| {
            contended(&s, iters, |s| {
                let floor = s.floor.clone();
                move || {
                    let floor = floor.clone();
                    async move {
                        black_box(floor.lock().await.clone());
                    }
                }
            })
        })
    });
    group.bench_function("access_token_for/64_tasks", |b| {
        b.iter_custom(|iters| {
            contended(&s, iters, |s| {
                let (engine, tenant) = (s.engine.clone(), s.tenant.clone());
                move || {
                    let (engine, tenant) = (engine.clone(), tenant.clone());
                    async move {
                        black_box(engine.access_token_for(&tenant).await.unwrap());
                    }
                }
            })
        })
    });
    group.finish();
}

/// Runs `iters` calls spread over 64 tasks and returns the wall time they took together.
fn contended<F, Fut>(s: &Subject, iters: u64, make: impl Fn(&Subject) -> F) -> Duration
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let each = iters.div_ceil(CONTENDERS);
    let calls: Vec<F> = (0..CONTENDERS).map(|_| make(s)).collect();
    s.rt.block_on(async {
        let started = Instant::now();
        let tasks: Vec<_> = calls
            .into_iter()
            .map(|call| {
                tokio::spawn(async move {
                    for _ in 0..each {
                        call().await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        // Scale to the iterations criterion asked for.
        started
            .elapsed()
            .mul_f64(iters as f64 / (each * CONTENDERS) as f64)
    })
}

criterion_group!(valid_token, benches);
criterion_main!(valid_token);
