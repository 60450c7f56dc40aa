//! The call log's behaviour on both backends.

use super::super::Store;
use super::super::fixtures::at;
use crate::calls::{CallFilter, CallRecord};

fn call(when: &str, program: &str, tenant: &str, status: u16) -> CallRecord {
    CallRecord {
        at: at(when),
        program: program.into(),
        tool: (program == "tenantry").then(|| "xero_get".into()),
        tenant_id: tenant.into(),
        method: "GET".into(),
        path: "/api.xro/2.0/Invoices?where&page".into(),
        status,
        bytes: 1234,
        duration_ms: 87,
        by: None,
        organisation: None,
    }
}

pub(in crate::store) fn calls_read_newest_first_filtered_and_are_forgotten_when_old(
    store: &dyn Store,
) {
    let calls = [
        call("2026-12-01T09:00:00Z", "python3", "aaaa", 200),
        call("2026-12-02T09:00:00Z", "tenantry", "bbbb", 200),
        call("2026-12-03T09:00:00Z", "Python3", "bbbb", 429),
        call("2026-12-04T09:00:00Z", "curl", "aaaa", 404),
    ];
    store.add_calls(&calls).unwrap();
    let read = |filter: CallFilter| -> Vec<(String, u16)> {
        store
            .calls(&filter)
            .unwrap()
            .into_iter()
            .map(|c| (c.program, c.status))
            .collect()
    };
    let all = CallFilter {
        limit: 10,
        ..CallFilter::default()
    };
    assert_eq!(
        read(all.clone()),
        [
            ("curl".into(), 404),
            ("Python3".into(), 429),
            ("tenantry".into(), 200),
            ("python3".into(), 200)
        ],
        "newest first"
    );
    let back = &store.calls(&all).unwrap()[2];
    assert_eq!(
        (back, back.by.is_none()),
        (&calls[1], true),
        "a row reads back as it was written"
    );
    assert_eq!(
        read(CallFilter {
            program: Some("PYTHON3".into()),
            ..all.clone()
        }),
        [("Python3".into(), 429), ("python3".into(), 200)],
        "a program in any case"
    );
    assert_eq!(
        read(CallFilter {
            tenant_id: Some("aaaa".into()),
            since: Some(at("2026-12-02T00:00:00Z")),
            ..all.clone()
        }),
        [("curl".into(), 404)]
    );
    assert_eq!(
        read(CallFilter {
            limit: 1,
            ..all.clone()
        })
        .len(),
        1
    );
    assert_eq!(store.forget_calls(at("2026-12-03T00:00:00Z")).unwrap(), 2);
    assert_eq!(read(all).len(), 2, "the two older are forgotten");
}
