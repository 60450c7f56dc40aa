//! The store's behaviour, as tests that take any backend: each runs against SQLite in memory and
//! against a fresh schema on the suite's PostgreSQL server (`TENANTRY_TEST_DATABASE_URL`,
//! started by scripts/test.sh), so the two backends cannot drift apart.

use super::fixtures::{at, login, org};
use super::{RefreshIntent, Store};
use crate::model::{EventKind, LoginId, Organisation};

mod calls;
mod egress;
use calls::*;
use egress::*;

/// One `#[test]` per backend for each behaviour.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                super::$name(&crate::store::SqliteStore::in_memory().unwrap());
            })*
        }
        mod postgres {
            $(#[test]
            fn $name() {
                let scratch = crate::store::postgres::Scratch::new(stringify!($name));
                super::$name(scratch.store());
            })*
        }
    };
}

on_both_backends!(
    logins_round_trip_and_upsert_keeps_first_connection_date,
    use_is_noted_per_login_and_only_moves_forward,
    replacing_organisations_reports_the_difference_and_shared_tenants_stay_per_login,
    an_intent_lasts_until_its_refresh_ends,
    events_read_newest_first_and_filter_by_login_and_kind,
    events_keep_who_the_login_was_after_it_is_removed,
    the_latest_count_is_kept_per_tenant_whatever_its_case,
    a_notice_said_again_moves_its_time,
    organisations_sort_and_match_in_any_case,
    a_written_event_reaches_the_tap_with_its_organisation,
    egress_counts_add_up_per_key_and_read_back_by_day,
    calls_read_newest_first_filtered_and_are_forgotten_when_old,
);

pub(super) fn logins_round_trip_and_upsert_keeps_first_connection_date(store: &dyn Store) {
    let mut a = login("a");
    store.upsert_login(&a).unwrap();
    assert_eq!(
        store.login(&a.id).unwrap(),
        Some(a.clone()),
        "a stored login reads back unchanged"
    );
    a.connected_at = at("2027-01-01T00:00:00Z");
    a.name = "Ann B".into();
    store.upsert_login(&a).unwrap();
    let back = store.login(&a.id).unwrap().unwrap();
    assert_eq!(back.name, "Ann B", "reconnecting updates the name");
    assert_eq!(
        back.connected_at,
        at("2026-03-01T10:00:00Z"),
        "but 'connected since' is the first connection"
    );
}

pub(super) fn use_is_noted_per_login_and_only_moves_forward(store: &dyn Store) {
    let a = login("a");
    store.upsert_login(&a).unwrap();
    store.record_use(&a.id, at("2026-03-01T10:05:00Z")).unwrap();
    store.record_use(&a.id, at("2026-03-01T10:01:00Z")).unwrap();
    assert_eq!(
        store.used_since(at("2026-03-01T10:04:00Z")).unwrap(),
        std::slice::from_ref(&a.id),
        "a late note from a slower process must not move the last use back"
    );
    assert!(
        store
            .used_since(at("2026-03-01T10:06:00Z"))
            .unwrap()
            .is_empty(),
        "unused since then"
    );
}

pub(super) fn replacing_organisations_reports_the_difference_and_shared_tenants_stay_per_login(
    store: &dyn Store,
) {
    store.upsert_login(&login("a")).unwrap();
    store.upsert_login(&login("b")).unwrap();
    let a = LoginId::new("a").unwrap();
    let b = LoginId::new("b").unwrap();
    let seen = at("2026-03-02T10:00:00Z");
    let now = at("2026-03-03T10:00:00Z");
    let first = store
        .replace_organisations(&a, &[org("a", "t1"), org("a", "shared")], seen)
        .unwrap();
    assert_eq!(first.added.len(), 2, "both are new");
    store
        .replace_organisations(&b, &[org("b", "shared")], now)
        .unwrap();
    let second = store
        .replace_organisations(&a, &[org("a", "shared"), org("a", "t3")], now)
        .unwrap();
    let tenants =
        |orgs: &[Organisation]| orgs.iter().map(|o| o.tenant_id.clone()).collect::<Vec<_>>();
    assert_eq!(tenants(&second.added), ["t3"], "only the new one is added");
    assert_eq!(
        tenants(&second.removed),
        ["t1"],
        "the dropped one is removed"
    );
    let t1 = store
        .organisations_of(&a)
        .unwrap()
        .into_iter()
        .find(|o| o.tenant_id == "t1")
        .expect("an organisation Xero stopped listing stays in view, marked");
    assert_eq!(
        (t1.disconnected_at, t1.last_seen_at),
        (Some(now), seen),
        "it says when it was found gone and keeps when it was last seen"
    );
    let third = store
        .replace_organisations(&a, &[org("a", "shared"), org("a", "t3")], now)
        .unwrap();
    assert!(
        third.removed.is_empty() && third.added.is_empty(),
        "a second look reports nothing new: the disconnection was reported once"
    );
    let back = store
        .replace_organisations(
            &a,
            &[org("a", "t1"), org("a", "shared"), org("a", "t3")],
            now,
        )
        .unwrap();
    assert_eq!(
        tenants(&back.added),
        ["t1"],
        "a reconnected client counts as added"
    );
    assert!(
        store
            .organisations_of(&a)
            .unwrap()
            .iter()
            .all(|o| o.disconnected_at.is_none()),
        "and is no longer marked"
    );
    let shared: Vec<_> = store
        .organisations()
        .unwrap()
        .into_iter()
        .filter(|o| o.tenant_id == "shared")
        .collect();
    assert_eq!(
        shared.len(),
        2,
        "an organisation reached through two logins is two rows, one per login"
    );
    store.delete_login(&a).unwrap();
    assert!(
        store.organisations_of(&a).unwrap().is_empty(),
        "deleting a login deletes its organisations"
    );
    assert_eq!(
        store.organisations_of(&b).unwrap().len(),
        1,
        "and leaves the other login's alone"
    );
}

pub(super) fn an_intent_lasts_until_its_refresh_ends(store: &dyn Store) {
    let a = LoginId::new("a").unwrap();
    let intent = RefreshIntent {
        login_id: a.clone(),
        started_at: at("2026-03-01T10:00:00Z"),
        refresh_token_fingerprint: "abc".into(),
        pid: 7,
    };
    store.begin_refresh(&intent).unwrap();
    assert_eq!(
        store.refresh_intent(&a).unwrap(),
        Some(intent.clone()),
        "an intent reads back as written"
    );
    assert_eq!(store.refresh_intents().unwrap(), vec![intent]);
    store.end_refresh(&a).unwrap();
    assert_eq!(
        store.refresh_intent(&a).unwrap(),
        None,
        "a finished refresh leaves no intent"
    );
}

pub(super) fn events_read_newest_first_and_filter_by_login_and_kind(store: &dyn Store) {
    let a = LoginId::new("a").unwrap();
    store
        .add_event(
            at("2026-03-01T10:00:00Z"),
            Some(&a),
            EventKind::Refreshed,
            None,
            "ok",
        )
        .unwrap();
    store
        .add_event(
            at("2026-03-01T10:01:00Z"),
            None,
            EventKind::KeepAlive,
            None,
            "run",
        )
        .unwrap();
    let all = store.events(None, 10).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].kind, EventKind::KeepAlive, "newest first");
    assert_eq!(
        store.events(Some(&a), 10).unwrap().len(),
        1,
        "filtering by login"
    );
    assert_eq!(
        store
            .last_event(EventKind::Refreshed)
            .unwrap()
            .map(|e| e.detail),
        Some("ok".into()),
        "the newest of one kind, however many others came after it"
    );
}

pub(super) fn events_keep_who_the_login_was_after_it_is_removed(store: &dyn Store) {
    let ann = login("ann");
    store.upsert_login(&ann).unwrap();
    let when = at("2026-03-01T10:00:00Z");
    store
        .add_event(when, Some(&ann.id), EventKind::Refreshed, None, "ok")
        .unwrap();
    store.delete_login(&ann.id).unwrap();
    store
        .add_event(when, Some(&ann.id), EventKind::Removed, None, "removed")
        .unwrap();
    for event in store.events(Some(&ann.id), 10).unwrap() {
        assert_eq!(
            (event.login_name.as_deref(), event.login_email.as_deref()),
            (Some("Ann Bookkeeper"), Some("ann@example.com")),
            "{:?}: a removed login's history must still name its person, not a UUID",
            event.kind
        );
    }
    for selector in ["ANN@example.com", "ann"] {
        assert_eq!(
            store.logged_login(selector).unwrap(),
            Some(ann.id.clone()),
            "`log --login {selector}` still finds the removed login by email or id"
        );
    }
    assert_eq!(
        store.logged_login("nobody@example.com").unwrap(),
        None,
        "a login the log never saw is unknown, not an empty history"
    );
}

pub(super) fn the_latest_count_is_kept_per_tenant_whatever_its_case(store: &dyn Store) {
    store
        .record_calls_left("ABC", 4990, at("2026-03-01T10:00:00Z"))
        .unwrap();
    store
        .record_calls_left("abc", 4980, at("2026-03-01T10:05:00Z"))
        .unwrap();
    assert_eq!(
        store.calls_left().unwrap().get("abc"),
        Some(&(4980, at("2026-03-01T10:05:00Z"))),
        "one row per organisation, the newest count"
    );
}

pub(super) fn a_notice_said_again_moves_its_time(store: &dyn Store) {
    store
        .record_notice("reconnect:a", at("2026-03-01T10:00:00Z"))
        .unwrap();
    store
        .record_notice("reconnect:a", at("2026-03-02T10:00:00Z"))
        .unwrap();
    assert_eq!(
        store.notices_said().unwrap().get("reconnect:a"),
        Some(&at("2026-03-02T10:00:00Z")),
        "the once-a-day rule counts from the last time it was said"
    );
}

pub(super) fn organisations_sort_and_match_in_any_case(store: &dyn Store) {
    store.upsert_login(&login("a")).unwrap();
    let mut zeta = org("a", "T-ZETA");
    zeta.name = "zeta Ltd".into();
    let mut alpha = org("a", "t-alpha");
    alpha.name = "Alpha Ltd".into();
    let now = at("2026-03-02T10:00:00Z");
    store
        .replace_organisations(&LoginId::new("a").unwrap(), &[zeta, alpha], now)
        .unwrap();
    let names: Vec<String> = store
        .organisations()
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(
        names,
        ["Alpha Ltd", "zeta Ltd"],
        "people read lists alphabetically, whatever the case of the first letter"
    );
    assert_eq!(
        store.organisation_name("t-zeta").unwrap().as_deref(),
        Some("zeta Ltd"),
        "a tenant id is found whatever case it is typed in"
    );
}

pub(super) fn a_written_event_reaches_the_tap_with_its_organisation(store: &dyn Store) {
    use std::sync::{Arc, Mutex};
    store.upsert_login(&login("a")).unwrap();
    let a = LoginId::new("a").unwrap();
    store
        .replace_organisations(&a, &[org("a", "t1")], at("2026-03-02T10:00:00Z"))
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    store.tap_events(Box::new(move |event, name| {
        sink.lock().unwrap().push((event.kind, name))
    }));
    store
        .add_event(
            at("2026-03-02T10:01:00Z"),
            Some(&a),
            EventKind::OrganisationRemoved,
            Some("t1"),
            "gone",
        )
        .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [(EventKind::OrganisationRemoved, Some("Org t1".to_string()))],
        "the on_event hook hears each event once, with the organisation's name"
    );
}

/// Two connections to the same data: what one commits, the other sees, and its data version moves.
fn another_connection_sees_each_commit(a: &dyn Store, b: &dyn Store) {
    let before = b.data_version().unwrap();
    a.upsert_login(&login("ann")).unwrap();
    let after = b.data_version().unwrap();
    assert_ne!(
        before, after,
        "a window watching the data version must notice another process's commit"
    );
    assert_eq!(b.logins().unwrap().len(), 1, "and read what was committed");
}

#[test]
fn sqlite_another_connection_sees_each_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tenantry.db");
    let a = crate::store::SqliteStore::open(&path).unwrap();
    let b = crate::store::SqliteStore::open(&path).unwrap();
    another_connection_sees_each_commit(&a, &b);
}

#[test]
fn postgres_another_connection_sees_each_commit() {
    let scratch = crate::store::postgres::Scratch::new("another_connection");
    let other = crate::store::postgres::PostgresStore::connect(scratch.url()).unwrap();
    another_connection_sees_each_commit(scratch.store(), &other);
}
