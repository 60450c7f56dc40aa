//! Tests of `budget`.

use super::*;

fn small() -> Limits {
    Limits {
        concurrent: 2,
        per_minute: 3,
        per_day: 5,
        app_per_minute: 100,
        minute: Duration::from_secs(10),
    }
}

fn go(v: Verdict) -> bool {
    matches!(v, Verdict::Go { .. })
}

#[test]
fn calls_in_progress_are_capped_and_a_release_makes_room() {
    let mut l = Ledger::new(small());
    let now = Instant::now();
    assert!(
        go(l.take("a", now)) && go(l.take("a", now)),
        "two may be in progress"
    );
    assert_eq!(
        l.take("a", now),
        Verdict::AwaitRelease,
        "a third waits for one"
    );
    assert!(
        go(l.take("b", now)),
        "another organisation's calls are its own"
    );
    l.release("a");
    assert!(
        go(l.take("a", now)),
        "a finished call makes room for the next"
    );
}

#[test]
fn the_minute_budget_waits_until_the_window_has_surely_ended_at_xero() {
    let limits = small();
    let mut l = Ledger::new(limits);
    let t0 = Instant::now();
    for _ in 0..3 {
        assert!(go(l.take("a", t0)));
        l.release("a");
    }
    let Verdict::WaitUntil(until) = l.take("a", t0) else {
        panic!("a fourth call in the minute waits");
    };
    assert_eq!(
        until,
        t0 + limits.minute + limits.margin(),
        "until Xero's window has ended, with the margin for its later start"
    );
    assert!(go(l.take("a", until)), "and then goes, in the new window");
}

#[test]
fn a_spent_day_is_refused_with_when_to_come_back() {
    let mut l = Ledger::new(Limits {
        per_minute: 100,
        ..small()
    });
    let t0 = Instant::now();
    for _ in 0..5 {
        assert!(go(l.take("a", t0)));
        l.release("a");
    }
    match l.take("a", t0 + Duration::from_secs(3600)) {
        Verdict::Refuse {
            problem: Problem::Day,
            retry_after,
        } => assert!(
            retry_after > Duration::from_secs(22 * 3600),
            "about a day less the hour gone: {retry_after:?}"
        ),
        other => panic!("waiting hours is not what a script wants: {other:?}"),
    }
}

#[test]
fn xero_s_headers_raise_the_counts_to_what_other_programs_spent() {
    let mut l = Ledger::new(small());
    let t0 = Instant::now();
    let Verdict::Go { window } = l.take("a", t0) else {
        panic!()
    };
    l.release("a");
    l.observe(
        "a",
        window,
        Remaining {
            minute: Some(0),
            day: Some(2),
            app_minute: None,
        },
    );
    assert_eq!(l.day_left("a"), Some(2), "shown as calls left today");
    assert!(
        matches!(l.take("a", t0), Verdict::WaitUntil(_)),
        "Xero says the minute is spent, so it is"
    );
    // An answer from an older window never lowers the new one's budget.
    let later = t0 + small().minute + small().margin();
    assert!(go(l.take("a", later)));
    l.release("a");
    l.observe(
        "a",
        window,
        Remaining {
            minute: Some(0),
            ..Default::default()
        },
    );
    assert!(
        go(l.take("a", later)),
        "the old window's count is not the new one's"
    );
}

#[test]
fn a_429_blocks_the_tenant_for_its_retry_after_and_the_app_limit_blocks_all() {
    let mut l = Ledger::new(small());
    let t0 = Instant::now();
    l.throttled("a", Problem::Minute, Some(Duration::from_secs(4)), t0);
    assert_eq!(
        l.take("a", t0),
        Verdict::WaitUntil(t0 + Duration::from_secs(4)),
        "honoured"
    );
    assert!(
        go(l.take("a", t0 + Duration::from_secs(4))),
        "and goes once it has passed: Xero's window ended then, whatever the ledger's said"
    );
    assert!(go(l.take("b", t0)), "only that organisation waits");
    l.throttled("b", Problem::AppMinute, Some(Duration::from_secs(2)), t0);
    assert_eq!(
        l.take("c", t0),
        Verdict::WaitUntil(t0 + Duration::from_secs(2)),
        "the app's limit holds for every organisation"
    );
}

#[test]
fn a_retry_after_too_large_for_the_clock_is_read_as_a_day() {
    let mut l = Ledger::new(small());
    let t0 = Instant::now();
    l.throttled(
        "a",
        Problem::Minute,
        Some(Duration::from_secs(u64::MAX)),
        t0,
    );
    assert_eq!(
        l.take("a", t0),
        Verdict::Refuse {
            problem: Problem::Minute,
            retry_after: LONGEST_WAIT
        },
        "no overflow, no wait longer than any Xero asks for, and a caller told so rather \
         than held for it"
    );
    l.throttled("b", Problem::AppMinute, Some(Duration::MAX), t0);
    assert_eq!(
        l.take("c", t0),
        Verdict::Refuse {
            problem: Problem::AppMinute,
            retry_after: LONGEST_WAIT
        }
    );
}

#[test]
fn problem_names_read_as_xero_writes_them() {
    for (text, problem) in [
        ("minute", Problem::Minute),
        ("Day", Problem::Day),
        ("concurrent", Problem::Concurrent),
        ("AppMinute", Problem::AppMinute),
        ("something new", Problem::Minute),
    ] {
        assert_eq!(Problem::from_header(text), problem, "{text}");
    }
}

/// 30 organisations each wanting their whole minute (10 here) of an app minute of 60: asked in
/// the same order every window, each asking again at once after a call goes (as a queue's next
/// call does). The first window goes to whoever asked first; after it, every organisation has
/// asked and waits, and the app's calls go round them: each has 2 of the next window's 60,
/// rather than the first six organisations taking it all again.
#[test]
fn when_the_app_s_minute_binds_the_organisations_take_turns_at_it() {
    let limits = Limits {
        concurrent: 100,
        per_minute: 10,
        per_day: 5000,
        app_per_minute: 60,
        minute: Duration::from_secs(10),
    };
    let mut l = Ledger::new(limits);
    let tenants: Vec<String> = (0..30).map(|i| format!("org-{i:02}")).collect();
    let window = |l: &mut Ledger, at: Instant| {
        let mut had = vec![0u32; tenants.len()];
        // Round after round, each organisation asks until it is told to wait.
        loop {
            let mut any = false;
            for (i, t) in tenants.iter().enumerate() {
                while let Verdict::Go { .. } = l.take(t, at) {
                    l.more_waiting(t);
                    l.release(t);
                    had[i] += 1;
                    any = true;
                }
            }
            if !any {
                return had;
            }
        }
    };
    let t0 = Instant::now();
    let first = window(&mut l, t0);
    assert_eq!(first.iter().sum::<u32>(), 60);
    assert_eq!(
        first.iter().filter(|n| **n > 0).count(),
        6,
        "the first window's calls go to those who asked before it was spent: {first:?}"
    );
    let next = window(&mut l, t0 + limits.minute + limits.margin());
    assert_eq!(next, vec![2; 30], "each organisation 2 of the window's 60");
}
