//! `tenantry each`: one read sent to many organisations through a gateway, a result per
//! organisation (JSON, NDJSON, CSV picked by JSONPath), Xero's pages followed, failures reported
//! with their reasons and the exit status, bad input refused before anything is sent.

use super::*;
use tenantry_fake_xero::Options;

const ORGANISATION: &str = "/api.xro/2.0/Organisation";
const CONTACTS: &str = "/api.xro/2.0/Contacts";

#[tokio::test]
async fn one_read_reaches_each_organisation_once_and_follows_xeros_pages() {
    let test = "one_read_reaches_each_organisation_once_and_follows_xeros_pages";
    let Some((it, cli)) = connected(test, Options::default()).await else {
        return;
    };
    let sent = |path: &str| it.fake.recorded(path).len();

    let all = cli.run(&["each", "--all", "--", "GET", ORGANISATION]).await;
    assert_eq!(all.status, 0, "{all:?}");
    let results: Vec<serde_json::Value> = serde_json::from_str(&all.stdout).unwrap();
    let names: Vec<&str> = results
        .iter()
        .map(|r| r["organisation"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Ben's Practice",
            "Harbour Cafe Ltd",
            "Kiwi Plumbing",
            "Shared Books Trust",
            "Southern Farms"
        ],
        "every organisation of both logins once, by name: {all:?}"
    );
    for r in &results {
        assert_eq!(r["status"], 200, "{r}");
        assert_eq!(
            r["body"]["Organisations"][0]["Name"], r["organisation"],
            "each answered as itself"
        );
        assert_eq!(
            r["tenant_id"].as_str().unwrap(),
            it.tenant(r["organisation"].as_str().unwrap())
        );
    }
    assert_eq!(sent(ORGANISATION), 5, "one call each");

    // 250 contacts in Harbour: three pages of 100, joined; none in Southern Farms.
    let harbour = it.tenant("Harbour Cafe Ltd");
    it.fake.with(|w| {
        w.contacts.insert(
            harbour.clone(),
            (0..250)
                .map(|n| serde_json::json!({"Name": format!("Contact {n:03}"), "ContactID": n.to_string()}))
                .collect(),
        )
    });
    let paged = cli
        .run(&[
            "each",
            "Harbour Cafe Ltd",
            "southern farms",
            "--all-pages",
            "--format",
            "csv",
            "--pick",
            "$.Contacts[*].Name",
            "--",
            "GET",
            CONTACTS,
        ])
        .await;
    assert_eq!(paged.status, 0, "{paged:?}");
    let lines: Vec<&str> = paged.stdout.lines().collect();
    assert_eq!(
        lines[0], "organisation,tenant_id,status,$.Contacts[*].Name",
        "{paged:?}"
    );
    assert_eq!(
        lines.len(),
        1 + 250 + 1,
        "a row per contact, and Southern Farms' empty one"
    );
    assert_eq!(
        lines[1],
        format!("Harbour Cafe Ltd,{harbour},200,Contact 000")
    );
    assert_eq!(
        lines[250],
        format!("Harbour Cafe Ltd,{harbour},200,Contact 249")
    );
    assert!(lines[251].starts_with("Southern Farms,"), "{}", lines[251]);
    assert_eq!(
        sent(CONTACTS),
        3 + 1,
        "Harbour's three pages, and Southern Farms' one"
    );

    // A login Xero has revoked: its organisations fail with their reasons, line by line.
    it.fake.revoke_user(BEN);
    let ben = cli
        .run(&[
            "each",
            "--login",
            BEN,
            "--format",
            "ndjson",
            "--",
            "GET",
            ORGANISATION,
        ])
        .await;
    assert_eq!(ben.status, 1, "not every organisation answered: {ben:?}");
    let lines: Vec<serde_json::Value> = ben
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        3,
        "Ben's three organisations, once each: {ben:?}"
    );
    let failed: Vec<&serde_json::Value> = lines.iter().filter(|l| l["ok"] == false).collect();
    assert!(
        !failed.is_empty() && failed.iter().all(|l| l["error"].is_string()),
        "the failures carry their reasons: {ben:?}"
    );
    assert!(
        ben.stderr
            .contains(&format!("{} of 3 organisations failed", failed.len())),
        "{ben:?}"
    );

    let before = sent(ORGANISATION) + sent(CONTACTS);
    for (args, status, says) in [
        (
            vec![
                "each",
                "Harbour Cafe Ltd",
                "Nowhere Ltd",
                "--",
                "GET",
                ORGANISATION,
            ],
            4,
            "Nowhere Ltd",
        ),
        (
            vec!["each", "--all", "--", "PUT", CONTACTS],
            2,
            "reads only",
        ),
        (
            vec!["each", "--", "GET", ORGANISATION],
            2,
            "name the organisations",
        ),
        (
            vec!["each", "--all", "--", "GET", "/connections"],
            2,
            "not one of Xero's API paths",
        ),
        (
            vec![
                "each",
                "--all",
                "--format",
                "csv",
                "--pick",
                "$.Contacts[",
                "--",
                "GET",
                CONTACTS,
            ],
            2,
            "is not a JSONPath",
        ),
        (
            vec![
                "each",
                "--all",
                "--pick",
                "$.Contacts[*].Name",
                "--",
                "GET",
                CONTACTS,
            ],
            2,
            "add --format csv",
        ),
    ] {
        let ran = cli.run(&args).await;
        assert!(
            ran.status == status && ran.stderr.contains(says),
            "{args:?}: exit {status} saying {says:?}: {ran:?}"
        );
    }
    assert_eq!(
        sent(ORGANISATION) + sent(CONTACTS),
        before,
        "bad input sends nothing, to any organisation"
    );
}
