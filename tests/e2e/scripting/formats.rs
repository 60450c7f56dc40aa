//! `tenantry token --format` for every consumer, `--login`, tenant-id prefixes and near misses,
//! and `exec`'s environment and exit statuses.

use super::*;

use tenantry_fake_xero::SHARED_TENANT;

#[tokio::test]
async fn every_token_format_is_read_back_by_the_tool_it_targets() {
    let Some(it) =
        keychain_instance("every_token_format_is_read_back_by_the_tool_it_targets").await
    else {
        return;
    };
    let cli = Tenantry::connected(&it, &[ANN, BEN]).await;
    let kiwi = it.tenant("Kiwi Plumbing");
    let plain = cli.run(&["token", "Kiwi Plumbing"]).await;
    assert_eq!(plain.status, 0, "{plain:?}");
    let token = plain.stdout.trim().to_owned();
    let formatted = |format: &'static str| {
        let cli = &cli;
        async move {
            let ran = cli
                .run(&["token", "Kiwi Plumbing", "--format", format])
                .await;
            assert_eq!(ran.status, 0, "--format {format}: {ran:?}");
            ran.stdout
        }
    };

    let json = formatted("json").await;
    assert_eq!(
        jq(".access_token", &json).await,
        token,
        "json: the same fresh token"
    );
    assert_eq!(jq(".tenant_id", &json).await, kiwi);
    assert!(
        jq(".expires_at", &json).await.ends_with('Z'),
        "json: the expiry in UTC"
    );
    assert_eq!(
        cli.run(&["token", "Kiwi Plumbing", "--json"]).await.stdout,
        json,
        "--json is `--format json`"
    );

    let expected = |expiry: &str| format!("{token} {kiwi} {expiry}");
    let expiry = jq(".expires_at", &json).await;
    let env = formatted("env").await;
    assert_eq!(
        shell(
            "sh",
            "eval \"$1\"; printf '%s %s %s' \"$XERO_ACCESS_TOKEN\" \"$XERO_TENANT_ID\" \"$XERO_ACCESS_TOKEN_EXPIRES_AT\"",
            &env
        )
        .await,
        expected(&expiry),
        "env: a POSIX shell's eval sets all three variables exactly"
    );
    let fish = formatted("fish").await;
    assert_eq!(
        shell(
            "fish",
            "echo $argv[1] | source; printf '%s %s %s' $XERO_ACCESS_TOKEN $XERO_TENANT_ID $XERO_ACCESS_TOKEN_EXPIRES_AT",
            &fish
        )
        .await,
        expected(&expiry),
        "fish: `| source` sets all three variables exactly"
    );
    let pwsh = formatted("powershell").await;
    assert!(
        pwsh.starts_with(&format!("$env:XERO_ACCESS_TOKEN = '{token}'")),
        "powershell: $env: assignments (pwsh is not in Debian; quoting is unit-tested): {pwsh}"
    );
    let cmd = formatted("cmd").await;
    assert!(
        cmd.starts_with(&format!("set \"XERO_ACCESS_TOKEN={token}\"")),
        "cmd: set lines: {cmd}"
    );

    // The header, as curl sends it to the fake Xero's API: accepted as this organisation's.
    let header = formatted("header").await;
    assert_eq!(header.trim(), format!("Authorization: Bearer {token}"));
    assert_eq!(
        organisation_status(&it, header.trim(), &kiwi).await,
        "200",
        "header: Xero's API accepts the header exactly as printed"
    );

    let cred = formatted("exec-credential").await;
    assert_eq!(jq(".kind", &cred).await, "ExecCredential");
    assert_eq!(
        jq(".apiVersion", &cred).await,
        "client.authentication.k8s.io/v1"
    );
    assert_eq!(jq(".status.token", &cred).await, token);
    assert_eq!(
        jq(".status.expirationTimestamp", &cred).await,
        expiry,
        "exec-credential: the expiry a credential-plugin host caches by"
    );

    let bad = cli
        .run(&["token", "Kiwi Plumbing", "--format", "yaml"])
        .await;
    assert_eq!(bad.status, 2, "an unknown format is a usage error: {bad:?}");
    assert!(
        bad.stderr.contains("exec-credential"),
        "and lists the formats"
    );

    // --login for the organisation two logins reach, and a login that does not reach one.
    let through_ben = cli
        .run(&["token", "Shared Books Trust", "--login", BEN, "--json"])
        .await;
    assert_eq!(through_ben.status, 0, "{through_ben:?}");
    assert_eq!(
        jq(".login.email", &through_ben.stdout).await,
        BEN,
        "--login chooses whose token"
    );
    let not_reached = cli.run(&["token", "Kiwi Plumbing", "--login", BEN]).await;
    assert_eq!(
        not_reached.status, 4,
        "a login that does not reach it: {not_reached:?}"
    );
    assert!(
        not_reached
            .stderr
            .contains("ben@example.com does not reach")
            && not_reached.stderr.contains("tenantry orgs"),
        "says whose and what to run"
    );
    assert!(
        not_reached.stdout.is_empty(),
        "and never prints another login's token"
    );

    // A unique prefix of a tenant id, as logins take; a shared prefix is ambiguous.
    let by_prefix = cli.run(&["token", &kiwi[..13]]).await;
    assert_eq!(by_prefix.stdout.trim(), token, "{by_prefix:?}");
    let shared_prefix = cli.run(&["token", "5e6f7a8b"]).await;
    assert_eq!(
        shared_prefix.status, 4,
        "a prefix of several ids: {shared_prefix:?}"
    );
    let near = cli.run(&["token", "Harbor Cafe Ltd"]).await;
    assert!(
        near.stderr.contains("did you mean \"Harbour Cafe Ltd\""),
        "a spelling variant is suggested: {near:?}"
    );

    // exec: the expiry too, through a chosen login; 127 and 126 as shells report them.
    let exec = cli
        .run(&[
            "exec",
            SHARED_TENANT,
            "--login",
            BEN,
            "--",
            "sh",
            "-c",
            "printf '%s' \"$XERO_ACCESS_TOKEN_EXPIRES_AT\"",
        ])
        .await;
    assert_eq!(exec.status, 0, "{exec:?}");
    assert!(
        exec.stdout.ends_with('Z') && exec.stdout.len() == 20,
        "exec sets XERO_ACCESS_TOKEN_EXPIRES_AT in UTC: {exec:?}"
    );
    let missing = cli
        .run(&["exec", "Kiwi Plumbing", "--", "no-such-program-here"])
        .await;
    assert_eq!(missing.status, 127, "not found is 127: {missing:?}");
    let not_runnable = it.dir.path().join("notes.txt");
    std::fs::write(&not_runnable, "not a program").unwrap();
    let cannot = cli
        .run(&[
            "exec",
            "Kiwi Plumbing",
            "--",
            not_runnable.to_str().unwrap(),
        ])
        .await;
    assert_eq!(cannot.status, 126, "not runnable is 126: {cannot:?}");
}
