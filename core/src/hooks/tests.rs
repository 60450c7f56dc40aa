//! Tests of `hooks`.

use super::*;
use crate::model::LoginId;

fn event(kind: EventKind, tenant: Option<&str>) -> Event {
    Event {
        id: 1,
        at: "2026-12-02T10:00:00Z".parse().unwrap(),
        login_id: Some(LoginId::new("a").unwrap()),
        kind,
        tenant_id: tenant.map(str::to_owned),
        detail: "access token valid until 10:30".into(),
        login_name: Some("Ann Bookkeeper".into()),
        login_email: Some("ann@example.com".into()),
        by: None,
    }
}

#[test]
fn a_hook_hears_what_happened_and_whose_never_a_token() {
    let vars = environment(&event(EventKind::Refreshed, None), None);
    assert_eq!(
        vars.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        [
            "TENANTRY_EVENT",
            "TENANTRY_LOGIN",
            "TENANTRY_DETAIL",
            "TENANTRY_AT"
        ],
        "no organisation for a login's event"
    );
    assert_eq!(vars[1].1, "ann@example.com", "people by email");
    let vars = environment(
        &event(EventKind::Disconnected, Some("t-1")),
        Some("Kiwi Plumbing"),
    );
    assert!(
        vars.contains(&("TENANTRY_ORG", "Kiwi Plumbing".into()))
            && vars.contains(&("TENANTRY_TENANT_ID", "t-1".into())),
        "an organisation's event names it: {vars:?}"
    );
}

#[test]
fn summaries_and_the_hook_s_own_failures_run_no_hook() {
    for kind in EventKind::ALL {
        let expected = !matches!(
            kind,
            EventKind::KeepAliveRun
                | EventKind::ScheduledRun
                | EventKind::CheckRun
                | EventKind::CheckFailed
                | EventKind::HookFailed
        );
        assert_eq!(hooked(kind), expected, "{kind:?}");
    }
}

#[tokio::test]
async fn a_failing_hook_is_said_with_its_own_words_never_its_command() {
    // In the platform's shell: `sh -c`, or `cmd /C` (whose status reads "exit code").
    let (command, status) = if cfg!(windows) {
        ("echo nope 1>&2 & exit 3", "exit code: 3")
    } else {
        ("echo nope >&2; exit 3", "exit status: 3")
    };
    let failed = run(command, &[], "{}").await.unwrap_err();
    assert!(
        failed.contains(status) && failed.contains("nope"),
        "the status and the hook's first words: {failed}"
    );
    assert!(
        !failed.contains("echo"),
        "the command line is not repeated into events everyone reads: {failed}"
    );
    assert!(run("exit 0", &[], "{}").await.is_ok());
}

#[test]
fn free_text_for_cmd_keeps_nothing_cmd_could_parse() {
    for hostile in [
        "A & calc",
        "A | calc",
        "A\" & calc & \"",
        "%PATH%",
        "!PATH!",
        "A ^& calc",
        "x > C:\\evil.txt",
        "(calc)",
        "line\r\ncalc",
        "tab\tcalc",
    ] {
        let safe = for_cmd(hostile);
        assert!(
            !safe.contains([
                '&', '|', '"', '%', '!', '^', '<', '>', '(', ')', '\r', '\n', '\t', '\\'
            ]),
            "{hostile:?} became {safe:?}"
        );
    }
    assert_eq!(for_cmd("Smith & Sons"), "Smith _ Sons");
    assert_eq!(
        for_cmd("Café Ōtautahi Ltd, ann@example.com"),
        "Café Ōtautahi Ltd, ann@example.com",
        "ordinary names, in any script, pass as they are"
    );
}

#[test]
fn secrets_of_the_running_process_are_withheld_from_hooks() {
    for secret in [
        "XERO_ACCESS_TOKEN",
        "TENANTRY_PASSPHRASE",
        "TENANTRY_CLIENT_SECRET",
        "PGPASSWORD",
        "GITHUB_TOKEN",
        "my_api_secret",
        "DB_PASSWORD",
        "AGE_PASSPHRASE",
    ] {
        assert!(withheld(secret), "{secret}");
    }
    for kept in ["PATH", "HOME", "TENANTRY_PROFILE", "TOKEN_FILE", "LANG"] {
        assert!(!withheld(kept), "{kept}");
    }
}

#[test]
fn the_event_on_stdin_is_exact_json() {
    let mut e = event(EventKind::OrganisationAdded, Some("t-1"));
    e.detail = "added \"A & calc\"".into();
    let read: serde_json::Value = serde_json::from_str(&stdin_json(&e, Some("A & calc"))).unwrap();
    assert_eq!(read["organisation"], "A & calc", "the name exactly");
    assert_eq!(read["detail"], "added \"A & calc\"");
    assert_eq!(read["event"], "organisation_added");
    assert_eq!(read["tenant_id"], "t-1");
    assert_eq!(read["login"], "ann@example.com");
}

#[cfg(unix)]
#[tokio::test]
async fn sh_hands_a_hostile_name_to_the_hook_as_data() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let out = dir.path().join("out");
    let name = format!(
        "A; touch {} & echo $(touch {})",
        marker.display(),
        marker.display()
    );
    let vars = vec![("TENANTRY_ORG", name.clone())];
    let command = format!(
        "printf '%s' \"$TENANTRY_ORG\" > {o}; echo $TENANTRY_ORG >> {o}; cat >> {o}",
        o = out.display()
    );
    run(&command, &vars, "{\"organisation\":\"x\"}")
        .await
        .unwrap();
    assert!(!marker.exists(), "no part of the name was run");
    let seen = std::fs::read_to_string(&out).unwrap();
    assert!(
        seen.starts_with(&name) && seen.contains("{\"organisation\":\"x\"}"),
        "the hook got the name as text, and the event on stdin: {seen}"
    );
}
