//! `on_event` hooks: each event heard in order, never a token, a bad hook never holding up a
//! refresh.

use super::*;

#[tokio::test]
async fn an_on_event_hook_hears_each_event_and_a_bad_one_never_holds_up_a_refresh() {
    let Some(it) = keychain_instance(
        "an_on_event_hook_hears_each_event_and_a_bad_one_never_holds_up_a_refresh",
    )
    .await
    else {
        return;
    };
    let cli = Tenantry::for_instance(&it);
    let heard = it.dir.path().join("heard.txt");
    let envs = it.dir.path().join("env.txt");
    let hook = format!(
        "printf '%s|%s|%s|%s\\n' \"$TENANTRY_EVENT\" \"$TENANTRY_LOGIN\" \"$TENANTRY_ORG\" \"$TENANTRY_DETAIL\" >> '{}'; env >> '{}'",
        heard.display(),
        envs.display()
    );
    let set = cli.run(&["config", "set", "on_event", &hook]).await;
    assert_eq!(set.status, 0, "{set:?}");
    it.fake.approve_as(Some(ANN));
    assert_eq!(cli.run(&["connect"]).await.status, 0);
    let refreshed = cli.run(&["refresh", ANN]).await;
    assert_eq!(refreshed.status, 0, "{refreshed:?}");
    let disconnected = cli.run(&["disconnect", "Kiwi Plumbing", "--yes"]).await;
    assert_eq!(disconnected.status, 0, "{disconnected:?}");
    let lines = std::fs::read_to_string(&heard).expect("the hook ran");
    let kinds: Vec<&str> = lines
        .lines()
        .map(|l| l.split('|').next().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "connected",
            "organisation_added",
            "organisation_added",
            "organisation_added",
            "refreshed",
            "disconnected"
        ],
        "one run per event, in order, each finished before its process ended:\n{lines}"
    );
    assert!(
        lines.lines().all(|l| l.split('|').nth(1) == Some(ANN)),
        "TENANTRY_LOGIN is the login's email: {lines}"
    );
    assert_eq!(
        lines
            .lines()
            .find(|l| l.starts_with("disconnected|"))
            .and_then(|l| l.split('|').nth(2)),
        Some("Kiwi Plumbing"),
        "TENANTRY_ORG names the organisation"
    );
    let token = cli.run(&["token", "Harbour Cafe Ltd"]).await.stdout;
    let env = std::fs::read_to_string(&envs).unwrap();
    assert!(
        !env.contains(token.trim()) && !env.contains("XERO_ACCESS_TOKEN"),
        "a hook is never given a token"
    );

    // A hook that hangs is stopped after 10 s; the refresh it followed is done and kept.
    let hang = cli.run(&["config", "set", "on_event", "sleep 60"]).await;
    assert_eq!(hang.status, 0, "{hang:?}");
    let started = std::time::Instant::now();
    let refreshed = cli.run(&["refresh", ANN]).await;
    assert_eq!(refreshed.status, 0, "the refresh succeeds: {refreshed:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "the process waits for its hook at most 10 s, never for the hook's 60"
    );
    let failing = cli
        .run(&["config", "set", "on_event", "echo no >&2; exit 4"])
        .await;
    assert_eq!(failing.status, 0, "{failing:?}");
    assert_eq!(cli.run(&["refresh", ANN]).await.status, 0);
    let log: serde_json::Value =
        serde_json::from_str(&cli.run(&["log", "--json", "--limit", "10"]).await.stdout).unwrap();
    let failures: Vec<String> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "hook_failed")
        .map(|e| e["detail"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        failures
            .iter()
            .any(|d| d.contains("more than 10 s and was stopped"))
            && failures
                .iter()
                .any(|d| d.contains("exit status: 4") && d.contains(": no")),
        "each failure is in the log with why: {failures:?}"
    );
    assert_eq!(
        log.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "refreshed")
            .count(),
        3,
        "every refresh was kept, whatever its hook did"
    );

    // doctor names the last failure, and a hook whose program is missing.
    let doctor = cli.run(&["doctor"]).await;
    assert!(
        doctor.stdout.contains("the on_event hook last failed at")
            && doctor.stdout.contains("exit status: 4"),
        "{doctor:?}"
    );
    let missing = cli
        .run(&["config", "set", "on_event", "no-such-hook-program --now"])
        .await;
    assert_eq!(missing.status, 0, "{missing:?}");
    let doctor = cli.run(&["doctor"]).await;
    assert!(
        doctor
            .stdout
            .contains("the on_event hook's program `no-such-hook-program` is not found"),
        "doctor names a hook that cannot run: {doctor:?}"
    );
}

#[tokio::test]
async fn a_hook_reads_the_event_exactly_on_stdin_inherits_no_secret_and_its_command_is_never_logged()
 {
    let test = "a_hook_reads_the_event_exactly_on_stdin_inherits_no_secret_and_its_command_is_never_logged";
    let Some(it) = keychain_instance(test).await else {
        return;
    };
    let cli = Tenantry::for_instance(&it);
    let (events, envs) = (it.dir.path().join("events"), it.dir.path().join("env"));
    // The command's own words must never reach an event: a practice's events are everyone's.
    let hook = format!(
        "cat >> '{}'; env >> '{}'; echo hook-words-7f3a >/dev/null; exit 3",
        events.display(),
        envs.display()
    );
    let set = cli.run(&["config", "set", "on_event", &hook]).await;
    assert_eq!(set.status, 0, "{set:?}");
    it.fake.approve_as(Some(ANN));
    let mut connect = cli.command(&["connect"]);
    connect
        .env("PGPASSWORD", "pg-secret-1")
        .env("DEPLOY_TOKEN", "deploy-token-2")
        .env("ACME_SECRET", "acme-secret-3");
    let connected = run(connect).await;
    assert_eq!(connected.status, 0, "{connected:?}");

    let read = std::fs::read_to_string(&events).expect("the hook read its stdin");
    let seen: Vec<serde_json::Value> = read
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per event"))
        .collect();
    assert_eq!(seen[0]["event"], "connected", "{read}");
    assert_eq!(seen[0]["login"], ANN);
    let mut organisations: Vec<&str> = seen
        .iter()
        .filter(|e| e["event"] == "organisation_added")
        .filter_map(|e| e["organisation"].as_str())
        .collect();
    organisations.sort_unstable();
    assert_eq!(
        organisations,
        ["Harbour Cafe Ltd", "Kiwi Plumbing", "Shared Books Trust"],
        "each organisation by its exact name: {read}"
    );
    let env = std::fs::read_to_string(&envs).unwrap();
    for secret in ["pg-secret-1", "deploy-token-2", "acme-secret-3"] {
        assert!(
            !env.contains(secret),
            "the hook inherited no secret of the process that ran it ({secret})"
        );
    }
    let log: serde_json::Value =
        serde_json::from_str(&cli.run(&["log", "--json", "--limit", "20"]).await.stdout).unwrap();
    let failures: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "hook_failed")
        .filter_map(|e| e["detail"].as_str())
        .collect();
    assert!(!failures.is_empty(), "the failing hook was recorded");
    for detail in failures {
        assert!(
            detail.contains("exit status: 3") && !detail.contains("hook-words-7f3a"),
            "the failure says how, never what the command was: {detail}"
        );
    }
}
