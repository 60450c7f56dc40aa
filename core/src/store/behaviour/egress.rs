//! The store's behaviour for egress counts (`crate::usage`): rows that only grow, read back by
//! day and summed per organisation, on both backends.

use super::Store;
use crate::usage::{EgressCount, EgressKey};
use std::collections::HashMap;

pub(in crate::store) fn egress_counts_add_up_per_key_and_read_back_by_day(store: &dyn Store) {
    let key = |day: &str, tenant: &str, path: &str| EgressKey {
        day: day.parse().unwrap(),
        tenant_id: tenant.into(),
        program: "python3".into(),
        path: path.into(),
    };
    let n = |calls, wire, decoded| EgressCount {
        calls,
        wire,
        decoded,
    };
    store
        .add_egress(&[
            (key("2026-11-30", "t1", "/a"), n(1, 10, 30)),
            (key("2026-12-01", "T1", "/a"), n(1, 100, 300)),
        ])
        .unwrap();
    // A second machine or a later batch adds to the same rows.
    store
        .add_egress(&[
            (
                key("2026-12-01", "t1", "/a"),
                n(2, 5_000_000_000, 6_000_000_000),
            ),
            (key("2026-12-02", "t2", "/b"), n(1, 7, 7)),
        ])
        .unwrap();
    let december = store
        .egress("2026-12-01".parse().unwrap(), "2027-01-01".parse().unwrap())
        .unwrap();
    assert_eq!(
        december,
        vec![
            (
                key("2026-12-01", "t1", "/a"),
                n(3, 5_000_000_100, 6_000_000_300)
            ),
            (key("2026-12-02", "t2", "/b"), n(1, 7, 7)),
        ],
        "one row per day, organisation (any case), program and path; past 4 GiB too"
    );
    assert_eq!(
        store
            .egress("2026-11-01".parse().unwrap(), "2026-12-01".parse().unwrap())
            .unwrap()
            .len(),
        1
    );
    // Summed per organisation by the database, for the overview and the gateway's budgets.
    let december = |from: &str, until: &str| {
        store
            .egress_by_tenant(from.parse().unwrap(), until.parse().unwrap())
            .unwrap()
    };
    assert_eq!(
        december("2026-12-01", "2027-01-01"),
        HashMap::from([
            ("t1".to_owned(), n(3, 5_000_000_100, 6_000_000_300)),
            ("t2".to_owned(), n(1, 7, 7)),
        ])
    );
    assert_eq!(
        december("2026-11-01", "2027-01-01")["t1"],
        n(4, 5_000_000_110, 6_000_000_330),
        "both months' rows of one organisation, added"
    );
    assert!(december("2027-01-01", "2027-02-01").is_empty());
}
