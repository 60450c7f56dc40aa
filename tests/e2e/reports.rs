//! `tenantry report access` through the CLI, against the fake with 3 logins and 10 organisations
//! (two of them reached by two logins each): the CSV as Python's `csv` module reads it, the
//! only routes, a formula in an organisation's name neutralised, the summary, the filters, and
//! bad input refused.

use crate::util::*;
use tenantry_fake_xero::{Options, Seed};

/// The standard three users with three more organisations: one shared by Ann and Cara, one with
/// a comma in its name (Ben's), and one whose name a spreadsheet would run as a formula (Cara's).
fn ten_organisations() -> Seed {
    let mut seed = Seed::standard();
    let add = |seed: &mut Seed, id: &str, name: &str, users: &[&str]| {
        seed.tenants.push(tenantry_fake_xero::seed::Tenant {
            id: id.into(),
            name: name.into(),
            tenant_type: "ORGANISATION".into(),
        });
        for user in seed
            .users
            .iter_mut()
            .filter(|u| users.contains(&u.email.as_str()))
        {
            user.tenants.push(id.into());
        }
    };
    add(
        &mut seed,
        "5e6f7a8b-0008-4c5d-9e0f-aa0000000008",
        "Two Routes Ltd",
        &[ANN, CARA],
    );
    add(
        &mut seed,
        "5e6f7a8b-0009-4c5d-9e0f-aa0000000009",
        "Smith, Jones & Co",
        &[BEN],
    );
    add(
        &mut seed,
        "5e6f7a8b-0010-4c5d-9e0f-aa0000000010",
        "=HYPERLINK(\"http://evil.example\",\"Pay\")",
        &[CARA],
    );
    seed
}

/// Rows of a CSV file as Python's `csv` module reads them (the byte-order mark taken off).
fn python_rows(csv: &std::path::Path) -> Vec<serde_json::Value> {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import csv, json, sys; print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8-sig')))))",
        ])
        .arg(csv)
        .output()
        .expect("python3 (setup installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn the_access_report_names_every_route_and_the_clients_one_login_alone_reaches() {
    let test = "the_access_report_names_every_route_and_the_clients_one_login_alone_reaches";
    if !keyring_available(test) {
        return;
    }
    let it = instance_with(
        Options {
            seed: ten_organisations(),
            ..Options::default()
        },
        VaultKind::Keychain,
    )
    .await;
    let cli = Tenantry::connected(&it, &[ANN, BEN, CARA]).await;

    let ran = cli
        .run(&["report", "access", "--format", "csv", "--excel"])
        .await;
    assert_eq!(ran.status, 0, "{ran:?}");
    assert!(
        ran.stdout.starts_with('\u{feff}'),
        "the byte-order mark Excel needs"
    );
    let file = it.dir.path().join("access.csv");
    std::fs::write(&file, &ran.stdout).unwrap();
    let rows = python_rows(&file);
    assert_eq!(
        rows.len(),
        12,
        "a row per login and organisation: {rows:#?}"
    );
    let only: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r["only_route"] == "true")
        .map(|r| {
            (
                r["login_email"].as_str().unwrap(),
                r["organisation"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        only.len(),
        8,
        "every organisation but the two shared ones: {only:?}"
    );
    for shared in ["Shared Books Trust", "Two Routes Ltd"] {
        let routes: Vec<&serde_json::Value> = rows
            .iter()
            .filter(|r| r["organisation"] == shared)
            .collect();
        assert_eq!(routes.len(), 2, "{shared}");
        assert!(
            routes.iter().all(|r| r["only_route"] == "false"),
            "{shared}"
        );
    }
    assert!(
        rows.iter()
            .any(|r| r["organisation"] == "Smith, Jones & Co"),
        "a comma inside a quoted cell reads back whole"
    );
    let formula = rows
        .iter()
        .find(|r| r["organisation"].as_str().unwrap().contains("HYPERLINK"))
        .unwrap();
    assert_eq!(
        formula["organisation"], "'=HYPERLINK(\"http://evil.example\",\"Pay\")",
        "a name a spreadsheet would run arrives as text"
    );
    let harbour = rows
        .iter()
        .find(|r| r["organisation"] == "Harbour Cafe Ltd")
        .unwrap();
    assert_eq!(harbour["login_email"], ANN);
    assert_eq!(harbour["tenant_id"], it.tenant("Harbour Cafe Ltd"));
    assert_eq!(harbour["state"], "connected");
    assert!(
        harbour["scopes"]
            .as_str()
            .unwrap()
            .contains("offline_access")
    );
    assert!(!harbour["last_confirmed"].as_str().unwrap().is_empty());

    let json = cli.run(&["report", "access", "--format", "json"]).await;
    assert_eq!(json.status, 0, "{json:?}");
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["summary"]["logins"], 3);
    assert_eq!(report["summary"]["organisations"], 10);
    assert_eq!(report["summary"]["single_route"], 8);

    let human = cli.run(&["report", "access"]).await;
    assert!(
        human
            .stdout
            .contains("3 logins, 10 organisations, 8 reachable through one login only.")
            && human
                .stdout
                .contains("ann@example.com: reaches 4, the only route to 2"),
        "{}",
        human.stdout
    );

    let ann = cli
        .run(&[
            "report",
            "access",
            "--only-routes",
            "--login",
            ANN,
            "--format",
            "md",
        ])
        .await;
    assert_eq!(ann.status, 0, "{ann:?}");
    let lines: Vec<&str> = ann.stdout.lines().skip(2).collect();
    assert_eq!(
        lines.len(),
        2,
        "Harbour Cafe Ltd and Kiwi Plumbing: {}",
        ann.stdout
    );
    assert!(
        lines
            .iter()
            .all(|l| l.contains(ANN) && l.contains("| true |"))
    );

    let wrong = cli
        .run(&["report", "access", "--format", "json", "--excel"])
        .await;
    assert_eq!(wrong.status, 2, "{wrong:?}");
    assert!(wrong.stderr.contains("--format csv"), "{}", wrong.stderr);
    let nobody = cli
        .run(&["report", "access", "--login", "zed@example.com"])
        .await;
    assert_ne!(nobody.status, 0);
    assert!(
        nobody.stderr.contains("zed@example.com"),
        "{}",
        nobody.stderr
    );
}

/// Logins that consented to a broad scope Xero is retiring are named with the granular scopes
/// that replace it.
#[tokio::test]
async fn the_scopes_report_names_the_logins_holding_retiring_scopes() {
    let test = "the_scopes_report_names_the_logins_holding_retiring_scopes";
    if !keyring_available(test) {
        return;
    }
    let mut it = instance_with(Options::default(), VaultKind::Keychain).await;
    it.config.scopes = vec!["accounting.transactions.read".into()];
    let cli = Tenantry::connected(&it, &[ANN]).await;
    let ran = cli.run(&["report", "scopes", "--json"]).await;
    assert_eq!(ran.status, 0, "{ran:?}");
    let report: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let ann = &report[0];
    assert_eq!(ann["login_email"], ANN);
    assert_eq!(ann["retiring"][0]["scope"], "accounting.transactions.read");
    assert_eq!(
        ann["retiring"][0]["replaced_by"],
        serde_json::json!([
            "accounting.invoices.read",
            "accounting.payments.read",
            "accounting.banktransactions.read",
            "accounting.manualjournals.read"
        ])
    );
    let human = cli.run(&["report", "scopes"]).await;
    assert!(
        human
            .stdout
            .contains("1 of 1 login holds broad scopes Xero is retiring"),
        "{}",
        human.stdout
    );

    // One consent moves Ann to the granular scopes, and keeps her organisations.
    let orgs_before = cli.run(&["orgs", "--json"]).await.stdout;
    it.fake.approve_as(Some(ANN));
    let moved = cli
        .run(&["connect", "--reconnect", ANN, "--migrate-scopes"])
        .await;
    assert_eq!(moved.status, 0, "{moved:?}");
    let after = cli.run(&["report", "scopes", "--json"]).await;
    let after: serde_json::Value = serde_json::from_str(&after.stdout).unwrap();
    assert_eq!(after[0]["retiring"], serde_json::json!([]), "{after}");
    let granted = after[0]["granted"].as_array().unwrap();
    assert!(granted.contains(&serde_json::json!("accounting.banktransactions.read")));
    assert!(!granted.contains(&serde_json::json!("accounting.transactions.read")));
    let orgs_after = cli.run(&["orgs", "--json"]).await.stdout;
    assert_eq!(
        organisations(&orgs_after),
        organisations(&orgs_before),
        "her organisations kept"
    );
    let alone = cli.run(&["connect", "--migrate-scopes"]).await;
    assert_eq!(alone.status, 2, "it needs --reconnect LOGIN: {alone:?}");
}

/// The tenant ids `orgs --json` lists.
fn organisations(json: &str) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let list = value
        .get("organisations")
        .unwrap_or(&value)
        .as_array()
        .expect("a list of organisations");
    let mut ids: Vec<String> = list
        .iter()
        .map(|o| o["tenant_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

pub(crate) const T1: &str = "5e6f7a8b-0101-4c5d-9e0f-aa0000000101";
pub(crate) const T2: &str = "5e6f7a8b-0102-4c5d-9e0f-aa0000000102";
pub(crate) const T3: &str = "5e6f7a8b-0103-4c5d-9e0f-aa0000000103";
pub(crate) const T4: &str = "5e6f7a8b-0104-4c5d-9e0f-aa0000000104";
pub(crate) const T5: &str = "5e6f7a8b-0105-4c5d-9e0f-aa0000000105";

/// Ann (leaving) reaches four organisations, three of them only through her (Ben reaches the
/// fourth); Cara takes over, and may consent to Ann's three besides her own.
/// The organisations the next consent at the fake grants: those of `tenants` the user reaches.
pub(crate) fn grant_only(it: &Instance, tenants: &[&str]) {
    let only: Vec<String> = tenants.iter().map(|t| (*t).to_owned()).collect();
    it.fake.with(|w| w.grant_only = Some(only));
}

pub(crate) fn leaver() -> Seed {
    let mut seed = Seed::default();
    for (id, name) in [
        (T1, "Alpha Ltd"),
        (T2, "Bravo Ltd"),
        (T3, "Charlie Ltd"),
        (T4, "Delta Shared"),
        (T5, "Cara's Own"),
    ] {
        seed.tenants.push(tenantry_fake_xero::Tenant {
            id: id.into(),
            name: name.into(),
            tenant_type: "ORGANISATION".into(),
        });
    }
    let standard = Seed::standard();
    let person = |email: &str, tenants: &[&str]| {
        let mut user = standard
            .users
            .iter()
            .find(|u| u.email == email)
            .unwrap()
            .clone();
        user.tenants = tenants.iter().map(|t| (*t).to_owned()).collect();
        user
    };
    seed.users = vec![
        person(ANN, &[T1, T2, T3, T4]),
        person(BEN, &[T4]),
        person(CARA, &[T1, T2, T3, T5]),
    ];
    seed
}

#[tokio::test]
async fn a_leaver_s_clients_are_handed_over_before_the_login_is_removed() {
    let test = "a_leaver_s_clients_are_handed_over_before_the_login_is_removed";
    if !keyring_available(test) {
        return;
    }
    let it = instance_with(
        Options {
            seed: leaver(),
            ..Options::default()
        },
        VaultKind::Keychain,
    )
    .await;
    let grant = |tenants: &[&str]| grant_only(&it, tenants);
    grant(&[T1, T2, T3, T4]);
    let cli = Tenantry::connected(&it, &[ANN, BEN]).await;
    grant(&[T5]);
    it.fake.approve_as(Some(CARA));
    assert_eq!(cli.run(&["connect"]).await.status, 0, "Cara, her own only");
    let ann_id = it.fake.with(|w| w.user(ANN).unwrap().id.clone());

    // Killed while Cara's sign-in waits in the browser (nobody approves): nothing changes.
    it.fake.approve_as(None);
    let mut waiting = cli
        .command(&["handover", ANN, CARA, "--yes"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    waiting.start_kill().unwrap();
    let _ = waiting.wait().await;

    // Cara consents to two of Ann's three in one sign-in: Ann is kept.
    grant(&[T1, T2]);
    it.fake.approve_as(Some(CARA));
    let first = cli.run(&["handover", ANN, CARA, "--yes"]).await;
    assert_eq!(first.status, 3, "one still missing: {first:?}");
    assert!(
        first.stdout.contains("missing  Charlie Ltd")
            && first.stderr.contains("run `tenantry handover"),
        "{first:?}"
    );
    assert!(
        !it.fake.with(|w| w.connections_of(&ann_id)).is_empty(),
        "Ann is not removed while Charlie Ltd would be lost"
    );
    let wrong = cli
        .run(&["handover", ANN, CARA, "--yes", "--force", "Alpha Ltd"])
        .await;
    assert_eq!(wrong.status, 2, "{wrong:?}");
    assert!(
        wrong.stderr.contains("would also be lost: Charlie Ltd"),
        "{wrong:?}"
    );

    // Run again: it continues with the third, then removes Ann and revokes her at Xero.
    grant(&[T3]);
    let second = cli.run(&["handover", ANN, CARA, "--yes"]).await;
    assert_eq!(second.status, 0, "{second:?}");
    assert!(
        it.fake.with(|w| w.connections_of(&ann_id)).is_empty(),
        "revoked at Xero: her connections are gone"
    );
    let report = cli.run(&["report", "access", "--format", "json"]).await;
    let report: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    let rows = report["rows"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["login_email"] != ANN), "Ann is gone");
    for tenant in [T1, T2, T3, T4] {
        assert!(
            rows.iter()
                .any(|r| r["tenant_id"] == tenant && r["state"] == "connected"),
            "no organisation lost: {tenant}"
        );
    }
    let log = cli.run(&["log", "--json", "--limit", "50"]).await;
    let steps = log.stdout.matches("\"handover\"").count();
    assert!(steps >= 4, "each step is an event: {}", log.stdout);
}
