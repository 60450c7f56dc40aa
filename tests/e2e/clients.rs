//! Per-client truth through the CLI, the Monday-morning scenario: 3 logins reaching 42
//! organisations on the fake Xero, then a revoked login, a client that disconnected the app at
//! Xero, a refresh left stuck, and logins expiring and lapsing. Every organisation's state, every
//! exit status and the words people read are asserted; so are names (never bare user ids), a
//! misspelt profile, and one time convention.

use crate::util::*;
use chrono::Duration;
use serde_json::Value;
use tenantry_core::model::EventKind;
use tenantry_core::store;
use tenantry_fake_xero::{Fault, Options, Seed};

const ANNA: &str = "user000@example.com";
const BRUNO: &str = "user001@example.com";
const CLEO: &str = "user002@example.com";

fn json(ran: &Ran) -> Value {
    serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("JSON ({e}): {ran:?}"))
}

/// Organisations by state, from `orgs --json`.
fn count_state(orgs: &Value, state: &str) -> usize {
    orgs.as_array()
        .unwrap()
        .iter()
        .filter(|o| o["state"] == state)
        .count()
}

fn days(n: i64) -> String {
    Duration::days(n).num_seconds().to_string()
}

#[tokio::test]
async fn forty_two_clients_each_show_their_own_truth() {
    let test = "forty_two_clients_each_show_their_own_truth";
    if !keyring_available(test) {
        return;
    }
    let options = Options {
        seed: Seed::generated(3, 14),
        ..Options::default()
    };
    let it = instance_with(options, VaultKind::Keychain).await;
    let cli = Tenantry::for_instance(&it);
    for user in [ANNA, BRUNO, CLEO] {
        it.fake.approve_as(Some(user));
        let ran = cli.run(&["connect"]).await;
        assert_eq!(ran.status, 0, "{ran:?}");
        assert!(
            ran.stdout.contains("already connected: 0, new: 14"),
            "a first consent reaches its 14 clients: {ran:?}"
        );
    }
    let all = cli.run(&["orgs", "--json"]).await;
    assert_eq!(all.status, 0, "all healthy: {all:?}");
    let orgs = json(&all);
    assert_eq!(orgs.as_array().unwrap().len(), 42, "every client is listed");
    assert_eq!(count_state(&orgs, "connected"), 42);
    let first = &orgs[0];
    assert!(
        first["checked_at"].as_str().unwrap().ends_with('Z')
            && first["logins"][0]["state"] == "connected",
        "each entry says when Xero last confirmed it (UTC, `Z`) and each login's own state: {first}"
    );

    // Bruno's refresh token is revoked; one of Anna's clients removes the app inside Xero.
    let bruno_org = it.fake.with(|w| {
        let bruno = w.user(BRUNO).unwrap().id.clone();
        w.connections_of(&bruno)[0].tenant_id.clone()
    });
    it.fake.revoke_user(BRUNO);
    let (anna_id, gone) = it.fake.with(|w| {
        let anna = w.user(ANNA).unwrap().id.clone();
        (anna.clone(), w.connections_of(&anna)[3].clone())
    });
    it.fake.with(|w| w.delete_connection(&anna_id, &gone.id));
    let gone_name = it
        .fake
        .with(|w| w.tenant(&gone.tenant_id).unwrap().name.clone());
    // Bruno's access token is still fresh: only Xero knows yet. `check` asks it.
    it.fake.set_access_lifetime(Duration::minutes(30));
    it.advance(Duration::minutes(31)); // every access token is stale: check must refresh them
    let offset = Duration::minutes(31).num_seconds().to_string();
    let mut check = cli.command(&["check", "--json"]);
    check.env("TENANTRY_TEST_CLOCK_OFFSET_SECS", &offset);
    let checked = run(check).await;
    assert_eq!(
        checked.status, 3,
        "a login and a client need a human: {checked:?}"
    );
    let report = json(&checked);
    assert_eq!(report["healthy"], false);
    let outcome = |email: &str| {
        report["logins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["email"] == email)
            .unwrap()
            .clone()
    };
    assert_eq!(outcome(BRUNO)["outcome"], "needs_reconnect", "{report}");
    assert_eq!(
        outcome(ANNA)["removed"][0]["name"],
        gone_name.as_str(),
        "the client that disconnected is recorded as removed since the last look"
    );
    assert_eq!(outcome(CLEO)["outcome"], "checked");

    let mut orgs_cmd = cli.command(&["orgs", "--json"]);
    orgs_cmd.env("TENANTRY_TEST_CLOCK_OFFSET_SECS", &offset);
    let listed = run(orgs_cmd).await;
    assert_eq!(
        listed.status, 3,
        "orgs exits 3 while a client needs a human"
    );
    let orgs = json(&listed);
    assert_eq!(
        orgs.as_array().unwrap().len(),
        42,
        "none was silently dropped"
    );
    assert_eq!(count_state(&orgs, "needs_reconnect"), 14, "Bruno's 14");
    assert_eq!(count_state(&orgs, "disconnected"), 1, "the one that left");
    assert_eq!(count_state(&orgs, "connected"), 27);
    let left = orgs
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["state"] == "disconnected")
        .unwrap();
    assert!(
        left["fix"]
            .as_str()
            .unwrap()
            .contains("--reconnect user000@example.com")
            && left["fix"]
                .as_str()
                .unwrap()
                .contains("tenantry disconnect"),
        "its fix: reconnect the login that reached it, or remove it from the list: {left}"
    );
    assert!(left["last_seen_at"].as_str().unwrap().ends_with('Z'));

    let mut problems = cli.command(&["orgs", "--problems"]);
    problems.env("TENANTRY_TEST_CLOCK_OFFSET_SECS", &offset);
    let problems = run(problems).await;
    assert_eq!(problems.status, 3);
    let rows = problems
        .stdout
        .lines()
        .filter(|l| l.starts_with("Client "))
        .count();
    assert_eq!(rows, 15, "only the clients with a problem: {problems:?}");
    assert!(
        problems.stdout.contains("Times are local:"),
        "the zone is named once: {problems:?}"
    );

    let token_gone = cli.run(&["token", &gone.tenant_id]).await;
    assert_eq!(
        token_gone.status, 3,
        "no token for a removed connection: {token_gone:?}"
    );
    assert!(
        token_gone.stderr.contains(&gone_name)
            && token_gone.stderr.contains("disconnected at Xero"),
        "{token_gone:?}"
    );
    let token_bruno = cli.run(&["token", &bruno_org]).await;
    assert_eq!(token_bruno.status, 3, "{token_bruno:?}");
    assert!(
        token_bruno
            .stderr
            .contains("user001@example.com needs reconnecting")
            && token_bruno
                .stderr
                .contains("Run: tenantry connect --reconnect user001@example.com")
            && !token_bruno.stderr.contains("2b000000-"),
        "people are named by email, never by Xero user id: {token_bruno:?}"
    );

    // Cleo's refresh is held by a slow Xero; a command about Anna's clients does not wait.
    let asked = it.fake.recorded("/connect/token").len();
    it.fake.inject(Fault::Delay(60_000), 1);
    let mut held = cli.command(&["refresh", CLEO]);
    held.env("TENANTRY_TEST_CLOCK_OFFSET_SECS", &offset);
    let mut held = held.spawn().unwrap();
    let store = store::open(None, it.dir.path()).unwrap();
    assert!(
        wait_until(std::time::Duration::from_secs(20), || {
            store.refresh_intents().unwrap().len() == 1
                && it.fake.recorded("/connect/token").len() > asked
        })
        .await,
        "Cleo's refresh is in flight, and Xero is sitting on it"
    );
    let anna_org = it
        .fake
        .with(|w| w.connections_of(&anna_id)[0].tenant_id.clone());
    let mut token = cli.command(&["token", &anna_org]);
    token.env("TENANTRY_TEST_CLOCK_OFFSET_SECS", &offset);
    let token = run(token).await;
    assert_eq!(token.status, 0, "{token:?}");
    assert!(
        held.try_wait().unwrap().is_none(),
        "Anna's token came while Cleo's refresh was still held"
    );
    held.start_kill().unwrap(); // and the held run dies, leaving its refresh unfinished
    held.wait().await.unwrap();
    let failures_before = cleo_failures(&it).await;
    for args in [&["status"][..], &["orgs"][..], &["token", &anna_org][..]] {
        let mut cmd = cli.command(args);
        cmd.env("TENANTRY_TEST_CLOCK_OFFSET_SECS", &offset);
        let ran = run(cmd).await;
        assert!(
            !ran.stderr.contains("interrupted") && !ran.stderr.contains(CLEO),
            "`{}` does not stop for another login's unfinished refresh: {ran:?}",
            args.join(" ")
        );
    }
    assert_eq!(
        cleo_failures(&it).await,
        failures_before,
        "nor logs failures for a login it did not need"
    );
    let cleo_org = it.fake.with(|w| {
        let cleo = w.user(CLEO).unwrap().id.clone();
        w.connections_of(&cleo)[0].tenant_id.clone()
    });
    let mut recover = cli.command(&["token", &cleo_org]);
    recover.env("TENANTRY_TEST_CLOCK_OFFSET_SECS", &offset);
    let recovered = run(recover).await;
    assert_eq!(
        recovered.status, 0,
        "the login a caller needs finishes its own refresh, within Xero's grace: {recovered:?}"
    );
    assert!(store.refresh_intents().unwrap().is_empty());

    // 54 days on, Anna (last refreshed at the check) has 6 days left: within notify_days (7).
    let status = |offset_days: i64| {
        let mut cmd = cli.command(&["status", "--json"]);
        cmd.env("TENANTRY_TEST_CLOCK_OFFSET_SECS", days(offset_days));
        run(cmd)
    };
    let expiring = status(54).await;
    assert_eq!(
        expiring.status, 3,
        "a login 6 days from lapsing is not healthy: {expiring:?}"
    );
    let logins = json(&expiring);
    assert_eq!(logins["healthy"], false);
    let field = |v: &Value, email: &str, name: &str| {
        v["logins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["email"] == email)
            .unwrap()[name]
            .clone()
    };
    let state = |v: &Value, email: &str| field(v, email, "state");
    assert_eq!(state(&logins, ANNA), "expiring", "{logins}");
    assert_eq!(state(&logins, BRUNO), "needs_reconnect");
    // Scripts branch on the code, never on the English beside it.
    assert_eq!(field(&logins, ANNA, "reason_code"), "expiring");
    assert_eq!(
        field(&logins, BRUNO, "reason_code"),
        "refresh_token_refused",
        "Bruno's refresh token was revoked: Xero's invalid_grant, stored with its code"
    );
    assert!(
        field(&logins, ANNA, "scopes")
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s == "offline_access")),
        "status --json lists the scopes Xero granted: {logins}"
    );
    let lapsed = status(61).await;
    assert_eq!(lapsed.status, 3);
    assert_eq!(
        state(&json(&lapsed), ANNA),
        "lapsed",
        "one day past the deadline"
    );
    assert_eq!(field(&json(&lapsed), ANNA, "reason_code"), "lapsed");
    let mut table = cli.command(&["status"]);
    table.env("TENANTRY_TEST_CLOCK_OFFSET_SECS", days(61));
    let table = run(table).await;
    let anna_line = table.stdout.lines().find(|l| l.starts_with(ANNA)).unwrap();
    assert!(
        anna_line.contains("lapsed") && !anna_line.contains("days)") && anna_line.contains(" - "),
        "a lapsed login shows no countdown and no deadline, only a dash and the reason: {table:?}"
    );
    assert!(table.stdout.contains("Xero dropped it at"), "{table:?}");
}

/// Cleo's `refresh_failed` events.
async fn cleo_failures(it: &Instance) -> usize {
    it.engine
        .events(None, 500)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == EventKind::RefreshFailed && e.login_email.as_deref() == Some(CLEO))
        .count()
}

async fn wait_until(limit: std::time::Duration, mut done: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + limit;
    while std::time::Instant::now() < end {
        if done() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    done()
}

#[tokio::test]
async fn a_misspelt_profile_or_missing_config_file_is_an_error_not_an_empty_healthy_profile() {
    let home = test_dir();
    let (config, data) = (home.path().join("config"), home.path().join("data"));
    let cli = |args: &[&str]| {
        let mut cmd = tokio::process::Command::new(tenantry_bin());
        cmd.args(args)
            .env("XDG_CONFIG_HOME", &config)
            .env("XDG_DATA_HOME", &data)
            .env("HOME", home.path())
            .env_remove("TENANTRY_CONFIG")
            .env_remove("TENANTRY_DATA_DIR")
            .env_remove("TENANTRY_PROFILE")
            .stdin(std::process::Stdio::null());
        run(cmd)
    };
    let made = cli(&["--profile", "demo", "config", "set", "client_id", CLIENT_ID]).await;
    assert_eq!(made.status, 0, "`config set` makes a profile: {made:?}");
    let typo = cli(&["--profile", "dem", "status", "--json"]).await;
    assert_eq!(typo.status, 6, "a typo is a configuration error: {typo:?}");
    assert!(
        typo.stderr.contains("no profile `dem`") && typo.stderr.contains("demo"),
        "it names the profiles that exist: {typo:?}"
    );
    assert!(typo.stdout.is_empty(), "and reports no health at all");
    assert!(
        !config.join("tenantry").join("dem.toml").exists()
            && !data.join("tenantry").join("dem").exists(),
        "and makes nothing"
    );
    let missing = cli(&["--config", "/nonexistent.toml", "status"]).await;
    assert_eq!(missing.status, 6, "{missing:?}");
    assert!(
        missing.stderr.contains("/nonexistent.toml does not exist"),
        "{missing:?}"
    );
    let fine = cli(&["--profile", "demo", "status", "--json"]).await;
    assert_eq!(fine.status, 0, "the profile that exists answers: {fine:?}");

    // A configuration file named with a profile wins over it, and is said to (not silently).
    let own = config.join("tenantry").join("demo.toml");
    let own = own.to_str().unwrap();
    let same = cli(&["--profile", "demo", "--config", own, "status", "--json"]).await;
    assert!(
        same.status == 0 && !same.stderr.contains("note:"),
        "the profile's own file named is no conflict: {same:?}"
    );
    let other = cli(&["--profile", "work", "--config", own, "status", "--json"]).await;
    assert!(
        other.stderr.contains(&format!(
            "tenantry: note: --config names the configuration file {own}, which wins over --profile work; the profile `work` names only the data directory"
        )),
        "{other:?}"
    );
    let mut from_env = tokio::process::Command::new(tenantry_bin());
    from_env
        .args(["--profile", "work", "status", "--json"])
        .env("XDG_CONFIG_HOME", &config)
        .env("XDG_DATA_HOME", &data)
        .env("HOME", home.path())
        .env("TENANTRY_CONFIG", own)
        .env_remove("TENANTRY_DATA_DIR")
        .env_remove("TENANTRY_PROFILE")
        .stdin(std::process::Stdio::null());
    let from_env = run(from_env).await;
    assert!(
        from_env
            .stderr
            .contains("note: TENANTRY_CONFIG names the configuration file")
            && from_env.stderr.contains("drop TENANTRY_CONFIG"),
        "{from_env:?}"
    );
    let scheduled = cli(&[
        "--profile",
        "work",
        "--config",
        own,
        "keepalive",
        "--scheduled",
    ])
    .await;
    assert!(
        !scheduled.stderr.contains("note:"),
        "the keep-alive job's own line names both, and cron would mail a note daily: {scheduled:?}"
    );
}
