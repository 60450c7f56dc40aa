//! Help a newcomer can use, `login`/`logout`, granted and missing scopes in `status`, colour
//! only on a terminal, progress and summaries, and the papercuts (a closed pipe, `--limit 0`,
//! an unknown `log --login`).

use super::*;

#[tokio::test]
async fn the_cli_helps_and_its_papercuts_are_gone() {
    let Some(it) = keychain_instance("the_cli_helps_and_its_papercuts_are_gone").await else {
        return;
    };
    let cli = Tenantry::for_instance(&it);
    it.fake.approve_as(Some(ANN));
    let login = cli.run(&["login"]).await;
    assert_eq!(login.status, 0, "`login` is `connect`: {login:?}");

    // Granted scopes are shown; one the configuration asks for later is named with its fix.
    let asked = cli
        .run(&[
            "config",
            "set",
            "scopes",
            "accounting.settings.read,accounting.contacts",
        ])
        .await;
    assert_eq!(asked.status, 0, "{asked:?}");
    let status = cli.run(&["status"]).await;
    assert!(
        status.stdout.contains("scopes: offline_access")
            && status.stdout.contains(
                "not granted: accounting.contacts (the configuration asks for it); fix: tenantry connect --reconnect ann@example.com"
            ),
        "status names the scope the consent lacks and how to get it: {status:?}"
    );
    let json = cli.run(&["status", "--json"]).await;
    assert_eq!(
        jq(".logins[0].missing_scopes[0]", &json.stdout).await,
        "accounting.contacts"
    );

    let help = cli.run(&["--help"]).await;
    assert!(
        help.stdout.contains("Keeps Xero logins connected")
            && help.stdout.contains("Global options")
            && help.stdout.contains("Exit statuses"),
        "a real description, the global options under their own heading: {help:?}"
    );
    for command in ["token", "exec", "status", "orgs", "config"] {
        let help = cli.run(&[command, "--help"]).await;
        assert!(
            help.stdout.contains("Examples:"),
            "`{command} --help` ends with examples: {help:?}"
        );
    }

    // A reader that has gone: the read end is closed before tenantry writes a byte.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut orgs = cli.command(&["orgs"]);
    orgs.stdout(writer);
    let closed = run(orgs).await;
    assert_ne!(closed.status, 101, "a closed pipe is no panic: {closed:?}");
    assert!(
        !closed.stderr.contains("panicked"),
        "and prints nothing about it: {closed:?}"
    );
    let quiet_head = tokio::process::Command::new("bash")
        .args([
            "-c",
            "\"$1\" orgs | head -1 >/dev/null; echo \"${PIPESTATUS[0]}\"",
            "bash",
        ])
        .arg(tenantry_bin())
        .env("TENANTRY_CONFIG", &cli.config)
        .env("TENANTRY_DATA_DIR", &cli.data)
        .output()
        .await
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&quiet_head.stderr).contains("panicked"),
        "`tenantry orgs | head -1` is quiet"
    );

    // Colour only where a person looks: never into a pipe (nor the log), on request always.
    let piped = cli.run(&["status"]).await;
    assert!(
        !piped.stdout.contains('\u{1b}'),
        "no escape codes into a pipe: {piped:?}"
    );
    let mut forced = cli.command(&["status"]);
    forced.env("CLICOLOR_FORCE", "1");
    let forced = run(forced).await;
    assert!(
        forced.stdout.contains("\u{1b}[") && forced.stdout.contains("connected"),
        "CLICOLOR_FORCE colours the states: {forced:?}"
    );
    let mut logged = cli.command(&["refresh", "--all"]);
    logged.env("TENANTRY_LOG", "debug");
    let logged = run(logged).await;
    assert_eq!(logged.status, 0, "{logged:?}");
    assert!(
        !logged.stderr.is_empty() && !logged.stderr.contains('\u{1b}'),
        "the log into a pipe is plain, and no progress bar is drawn there: {logged:?}"
    );
    assert!(
        logged
            .stdout
            .ends_with("Refreshed 1 of 1 logins; 0 need reconnecting, 0 failed.\n"),
        "refresh --all ends with a summary line: {logged:?}"
    );

    let limit = cli.run(&["log", "--limit", "0"]).await;
    assert_eq!(limit.status, 2, "--limit 0 is refused: {limit:?}");
    let nobody = cli.run(&["log", "--login", "nobody@example.com"]).await;
    assert_eq!(
        nobody.status, 4,
        "an unknown login is exit 4 here as everywhere: {nobody:?}"
    );

    let logout = cli.run(&["logout", ANN, "--yes"]).await;
    assert_eq!(logout.status, 0, "`logout` is `remove`: {logout:?}");
    let history = cli.run(&["log", "--login", ANN, "--json"]).await;
    assert_eq!(
        history.status, 0,
        "a removed login's history is still found by its email: {history:?}"
    );
    assert_eq!(jq(".[0].kind", &history.stdout).await, "removed");
}
