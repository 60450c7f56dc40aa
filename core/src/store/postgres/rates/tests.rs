//! The shared budget's functions on the suite's PostgreSQL server, with two books on one schema
//! standing for two machines of a practice.

use super::super::Scratch;
use super::*;

const TENANT: &str = "7e1d6c5a-0000-4000-8000-000000000001";
const OTHER: &str = "7e1d6c5a-0000-4000-8000-000000000002";
const LEASE: Duration = Duration::from_secs(30);

fn limits() -> RateLimits {
    RateLimits {
        concurrent: 5,
        per_minute: 60,
        per_day: 5000,
        app_per_minute: 10_000,
        minute: Duration::from_secs(60),
        day: Duration::from_secs(24 * 3600),
    }
}

fn two_machines(scratch: &Scratch) -> (RateBook, RateBook) {
    let a = scratch.store().rate_book("A".into());
    let b = PostgresStore::connect(scratch.url())
        .unwrap()
        .rate_book("B".into());
    (a, b)
}

fn go(taken: Taken) -> Slot {
    match taken {
        Taken::Go(slot) => slot,
        other => panic!("expected to go, got {other:?}"),
    }
}

#[test]
fn five_calls_in_progress_across_the_practice_and_a_sixth_waits_for_one_to_end() {
    let scratch = Scratch::new("rates_concurrent");
    let (a, b) = two_machines(&scratch);
    let mut held = Vec::new();
    for i in 0..5 {
        let book = if i % 2 == 0 { &a } else { &b };
        held.push(go(book.take(TENANT, &limits(), LEASE).unwrap()));
    }
    assert_eq!(
        b.take(TENANT, &limits(), LEASE).unwrap(),
        Taken::Wait {
            limit: Limit::Concurrent,
            wait: None
        },
        "five in progress on two machines together: a sixth on either waits"
    );
    assert!(
        matches!(a.take(OTHER, &limits(), LEASE).unwrap(), Taken::Go(_)),
        "another organisation's calls are its own"
    );
    a.release(&held.remove(0), Observed::default(), &limits())
        .unwrap();
    go(b.take(TENANT, &limits(), LEASE).unwrap());
}

#[test]
fn a_machine_that_dies_holding_slots_holds_them_only_until_its_lease_ends() {
    let scratch = Scratch::new("rates_lease");
    let (a, b) = two_machines(&scratch);
    let short = Duration::from_millis(600);
    for _ in 0..5 {
        go(a.take(TENANT, &limits(), short).unwrap());
    }
    // B renews its own leases; A (dead) renews nothing.
    let started = std::time::Instant::now();
    assert!(matches!(
        b.take(TENANT, &limits(), LEASE).unwrap(),
        Taken::Wait {
            limit: Limit::Concurrent,
            ..
        }
    ));
    std::thread::sleep(short + Duration::from_millis(100));
    b.renew(LEASE).unwrap();
    let slot = go(b.take(TENANT, &limits(), short).unwrap());
    assert!(started.elapsed() < Duration::from_secs(3));

    // A live holder that renews keeps its slot past the first lease.
    for _ in 0..4 {
        go(b.take(TENANT, &limits(), short).unwrap());
    }
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(b.renew(short).unwrap(), 5, "B's five slots renewed");
    std::thread::sleep(Duration::from_millis(400));
    assert!(
        matches!(
            a.take(TENANT, &limits(), LEASE).unwrap(),
            Taken::Wait {
                limit: Limit::Concurrent,
                ..
            }
        ),
        "renewed leases still count"
    );
    assert_eq!(b.leave().unwrap(), 5, "a stopping process frees its slots");
    let _ = slot;
    go(a.take(TENANT, &limits(), LEASE).unwrap());
}

#[test]
fn the_minute_and_the_day_are_counted_for_the_practice() {
    let scratch = Scratch::new("rates_windows");
    let (a, b) = two_machines(&scratch);
    let tight = RateLimits {
        concurrent: 100,
        per_minute: 3,
        per_day: 5,
        minute: Duration::from_millis(700),
        ..limits()
    };
    go(a.take(TENANT, &tight, LEASE).unwrap());
    go(b.take(TENANT, &tight, LEASE).unwrap());
    go(a.take(TENANT, &tight, LEASE).unwrap());
    let Taken::Wait {
        limit: Limit::Minute,
        wait: Some(wait),
    } = b.take(TENANT, &tight, LEASE).unwrap()
    else {
        panic!("the window's three calls are spent by the two machines together");
    };
    assert!(wait <= tight.minute, "until the window ends: {wait:?}");
    std::thread::sleep(wait + Duration::from_millis(20));
    go(b.take(TENANT, &tight, LEASE).unwrap());
    go(a.take(TENANT, &tight, LEASE).unwrap());
    std::thread::sleep(tight.minute + Duration::from_millis(20));
    let Taken::Refuse {
        limit: Limit::Day,
        retry_after,
    } = a.take(TENANT, &tight, LEASE).unwrap()
    else {
        panic!("five calls are the day's");
    };
    assert!(
        retry_after > Duration::from_secs(23 * 3600),
        "{retry_after:?}"
    );
}

#[test]
fn the_app_s_minute_binds_across_organisations() {
    let scratch = Scratch::new("rates_app");
    let (a, b) = two_machines(&scratch);
    let app = RateLimits {
        app_per_minute: 2,
        ..limits()
    };
    go(a.take(TENANT, &app, LEASE).unwrap());
    go(b.take(OTHER, &app, LEASE).unwrap());
    assert!(matches!(
        a.take("7e1d6c5a-0000-4000-8000-000000000003", &app, LEASE)
            .unwrap(),
        Taken::Wait {
            limit: Limit::AppMinute,
            wait: Some(_)
        }
    ));
}

#[test]
fn xero_s_remaining_counts_and_its_429s_hold_every_machine_back() {
    let scratch = Scratch::new("rates_observe");
    let (a, b) = two_machines(&scratch);
    let slot = go(a.take(TENANT, &limits(), LEASE).unwrap());
    // Xero says 2 calls are left of the minute: a program outside the practice made 57.
    a.release(
        &slot,
        Observed {
            minute_left: Some(2),
            day_left: Some(4000),
            app_left: None,
        },
        &limits(),
    )
    .unwrap();
    go(b.take(TENANT, &limits(), LEASE).unwrap());
    go(b.take(TENANT, &limits(), LEASE).unwrap());
    assert!(matches!(
        b.take(TENANT, &limits(), LEASE).unwrap(),
        Taken::Wait {
            limit: Limit::Minute,
            ..
        }
    ));

    b.block(OTHER, Limit::Minute, Duration::from_secs(20), &limits())
        .unwrap();
    let Taken::Wait {
        limit: Limit::Minute,
        wait: Some(wait),
    } = a.take(OTHER, &limits(), LEASE).unwrap()
    else {
        panic!("B's 429 holds A back too");
    };
    assert!(wait > Duration::from_secs(18) && wait <= Duration::from_secs(20));

    a.block(TENANT, Limit::AppMinute, Duration::from_secs(5), &limits())
        .unwrap();
    assert!(
        matches!(
            b.take("7e1d6c5a-0000-4000-8000-000000000003", &limits(), LEASE)
                .unwrap(),
            Taken::Wait {
                limit: Limit::AppMinute,
                ..
            }
        ),
        "the app's 429 holds back every organisation"
    );
}
