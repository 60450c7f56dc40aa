//! Tests of `access`.

use super::*;
use crate::engine::{OverviewRead, judge_overview};
use crate::store::fixtures::{at, login, org};

/// Ann reaches a, b and shared; Ben reaches shared and c; Cara reached d, which Xero has since
/// disconnected, and reaches e.
fn overview() -> Overview {
    let mut rows = vec![
        org("ann", "a"),
        org("ann", "b"),
        org("ann", "shared"),
        org("ben", "shared"),
        org("ben", "c"),
        org("cara", "d"),
        org("cara", "e"),
    ];
    rows[1].name = "=HYPERLINK(\"http://x\",\"b\")".into();
    rows[5].disconnected_at = Some(at("2026-03-01T11:00:00Z"));
    let read = OverviewRead {
        logins: vec![login("ann"), login("ben"), login("cara")],
        rows,
        calls_left: HashMap::from([("c".to_owned(), 4321)]),
        egress: HashMap::new(),
    };
    judge_overview(read, at("2026-03-02T10:00:00Z"), (7, &[], None), None)
}

fn event(login: &str, kind: EventKind, tenant: Option<&str>, by: &str) -> Event {
    Event {
        id: 1,
        at: at("2026-03-01T10:00:00Z"),
        login_id: Some(LoginId::new(login).unwrap()),
        kind,
        tenant_id: tenant.map(str::to_owned),
        detail: String::new(),
        login_name: None,
        login_email: None,
        by: Some(by.into()),
    }
}

#[test]
fn a_row_per_login_and_organisation_marks_the_only_routes() {
    let report = access(&overview(), &[], &Only::default());
    let got: Vec<(&str, &str, bool)> = report
        .rows
        .iter()
        .map(|r| (r.login_id.as_str(), r.tenant_id.as_str(), r.only_route))
        .collect();
    assert_eq!(
        got,
        [
            ("ann", "b", true),
            ("ann", "a", true),
            ("ann", "shared", false),
            ("ben", "c", true),
            ("ben", "shared", false),
            ("cara", "d", false),
            ("cara", "e", true),
        ],
        "by login, then name; shared has two routes, and a disconnected one is none"
    );
    let c = report.rows.iter().find(|r| r.tenant_id == "c").unwrap();
    assert_eq!(c.calls_left_today, Some(4321));
    assert_eq!(c.login_email, "ben@example.com");
    assert_eq!(c.scopes, ["openid", "offline_access"]);
    assert_eq!(
        report.summary,
        Summary {
            logins: 3,
            organisations: 6,
            single_route: 4,
            by_login: vec![
                LoginLine {
                    login_email: "ann@example.com".into(),
                    reaches: 3,
                    only_routes: 2
                },
                LoginLine {
                    login_email: "ben@example.com".into(),
                    reaches: 2,
                    only_routes: 1
                },
                LoginLine {
                    login_email: "cara@example.com".into(),
                    reaches: 1,
                    only_routes: 1
                },
            ],
        }
    );
}

#[test]
fn a_login_s_rows_or_the_only_routes_alone_keep_the_whole_summary() {
    let ben = Only {
        login: Some(LoginId::new("ben").unwrap()),
        only_routes: false,
    };
    let report = access(&overview(), &[], &ben);
    assert_eq!(report.rows.len(), 2);
    assert!(report.rows.iter().all(|r| r.login_id == "ben"));
    assert_eq!(
        report.summary.organisations, 6,
        "the practice's whole picture"
    );
    let only = Only {
        login: None,
        only_routes: true,
    };
    let report = access(&overview(), &[], &only);
    assert_eq!(report.rows.len(), 4);
    assert!(report.rows.iter().all(|r| r.only_route));
}

#[test]
fn who_connected_an_organisation_is_its_own_event_else_the_login_s_sign_in() {
    let events = [
        event(
            "ann",
            EventKind::OrganisationAdded,
            Some("b"),
            "Ben on DESK-B",
        ),
        event("ann", EventKind::Refreshed, None, "Cara on DESK-C"),
        event("ann", EventKind::Connected, None, "Ann on DESK-A"),
    ];
    let report = access(&overview(), &events, &Only::default());
    let by = |tenant: &str| {
        report
            .rows
            .iter()
            .find(|r| r.login_id == "ann" && r.tenant_id == tenant)
            .unwrap()
            .connected_by
            .clone()
    };
    assert_eq!(by("b").as_deref(), Some("Ben on DESK-B"));
    assert_eq!(by("a").as_deref(), Some("Ann on DESK-A"));
    let ben = report.rows.iter().find(|r| r.login_id == "ben").unwrap();
    assert_eq!(ben.connected_by, None, "no event says");
}

#[test]
fn the_cells_follow_the_columns() {
    let report = access(&overview(), &[], &Only::default());
    let row = report.rows.iter().find(|r| r.tenant_id == "c").unwrap();
    let cells = cells(row);
    assert_eq!(cells.len(), COLUMNS.len());
    assert_eq!(cells[0], "ben@example.com");
    assert_eq!(cells[4], "openid offline_access");
    assert_eq!(cells[5], "2026-03-01T10:00:00Z");
    assert_eq!(cells[8], "connected");
    assert_eq!(cells[9], "4321");
    assert_eq!(cells[11], "true");
}
