//! The CLI as scripts drive it: every `token --format` read back by the tool it targets (sh,
//! fish, jq, curl against the fake Xero's API), `--login` and tenant-id prefixes, `exec`'s
//! environment and exit statuses, `config get|set|unset|keys`, help and aliases, and the
//! papercuts (a closed pipe, `--limit 0`, an unknown `log --login`).

use crate::util::*;
use tenantry_fake_xero::SHARED_TENANT;

/// Runs `script` in `shell` with `input` as `$1` (sh) or `$argv[1]` (fish); its stdout.
async fn shell(shell: &str, script: &str, input: &str) -> String {
    // sh takes the word after the script as $0; fish's $argv starts with it.
    let zeroth = (shell == "sh").then_some(shell);
    let out = tokio::process::Command::new(shell)
        .args(["-c", script])
        .args(zeroth)
        .arg(input)
        .output()
        .await
        .unwrap_or_else(|e| panic!("{shell} must be installed (scripts/setup.sh): {e}"));
    assert!(
        out.status.success(),
        "{shell} ran `{script}`: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn jq(filter: &str, json: &str) -> String {
    let mut child = tokio::process::Command::new("jq")
        .args(["-r", filter])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("jq must be installed (scripts/setup.sh)");
    use tokio::io::AsyncWriteExt;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(json.as_bytes()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success(), "jq {filter} parses: {json}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[cfg(unix)]
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
    let api = it
        .config
        .xero
        .api_url
        .join("api.xro/2.0/Organisation")
        .unwrap();
    let curl = tokio::process::Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            header.trim(),
        ])
        .args(["-H", &format!("xero-tenant-id: {kiwi}"), api.as_str()])
        .output()
        .await
        .expect("curl (scripts/setup.sh installs it)");
    assert_eq!(
        String::from_utf8_lossy(&curl.stdout),
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

#[cfg(unix)]
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

#[tokio::test]
async fn config_get_set_unset_cover_every_documented_key() {
    let dir = test_dir();
    let config = dir.path().join("tenantry.toml");
    std::fs::write(
        &config,
        "# our practice's app\nclient_id = \"ABC123\" # from developer.xero.com\n",
    )
    .unwrap();
    let cli = Tenantry {
        config: config.clone(),
        data: dir.path().join("data"),
        passphrase: None,
    };

    let early = cli
        .run(&["config", "set", "redirect_mode", "deep_link"])
        .await;
    assert_eq!(
        early.status, 6,
        "deep_link without a bounce page: {early:?}"
    );
    assert!(
        early.stderr.contains("bounce_url") && early.stderr.contains("nothing was written"),
        "names the key it needs first"
    );
    for (key, value) in [
        ("bounce_url", "https://example.com/bounce.html"),
        ("redirect_mode", "deep_link"),
        ("notify_days", "10"),
        ("xero.api_url", "http://127.0.0.1:5999/"),
    ] {
        let set = cli.run(&["config", "set", key, value]).await;
        assert_eq!(set.status, 0, "config set {key}: {set:?}");
        let got = cli.run(&["config", "get", key]).await;
        assert_eq!(got.stdout.trim(), value, "config get {key} reads it back");
    }
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("# our practice's app") && text.contains("# from developer.xero.com"),
        "edits keep the file's comments:\n{text}"
    );
    let unset = cli.run(&["config", "unset", "redirect_mode"]).await;
    assert_eq!(unset.status, 0, "{unset:?}");
    assert_eq!(
        cli.run(&["config", "get", "redirect_mode"])
            .await
            .stdout
            .trim(),
        "loopback",
        "the default applies again"
    );
    let not_set = cli.run(&["config", "get", "xero.authorize_url"]).await;
    assert!(
        not_set.stdout.starts_with("https://login.xero.com/"),
        "get shows a default in effect: {not_set:?}"
    );
    let unknown = cli.run(&["config", "get", "api_url"]).await;
    assert_eq!(unknown.status, 2, "{unknown:?}");
    assert!(
        unknown.stderr.contains("did you mean `xero.api_url`"),
        "a section's key is suggested by its full name"
    );
    let keys = cli.run(&["config", "keys"]).await;
    for key in tenantry_core::config::KEYS {
        assert!(
            keys.stdout.contains(key.name),
            "`config keys` lists {}",
            key.name
        );
    }

    std::fs::write(&config, "[xero]\nclient_id = \"ABC123\"\n").unwrap();
    let misplaced = cli.run(&["status"]).await;
    assert_eq!(misplaced.status, 6, "{misplaced:?}");
    assert!(
        misplaced.stderr.contains("above `[xero]`"),
        "a top-level key under [xero] gets the move that fixes it: {misplaced:?}"
    );
}

#[cfg(unix)]
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
}

/// What fish offers for `line`, through the registration `tenantry completions fish` prints.
async fn fish_completes(cli: &Tenantry, registration: &str, line: &str) -> Vec<String> {
    let out = tokio::process::Command::new("fish")
        .args(["-c", &format!("{registration}\ncomplete -C '{line}'")])
        .env("TENANTRY_CONFIG", &cli.config)
        .env("TENANTRY_DATA_DIR", &cli.data)
        .env_remove("TENANTRY_PROFILE")
        .output()
        .await
        .expect("fish must be installed (scripts/setup.sh)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_owned())
        .collect()
}

#[cfg(unix)]
#[tokio::test]
async fn completion_offers_this_profile_s_organisations_and_logins_by_name() {
    let Some(it) =
        keychain_instance("completion_offers_this_profile_s_organisations_and_logins_by_name")
            .await
    else {
        return;
    };
    let cli = Tenantry::connected(&it, &[ANN, BEN]).await;
    let fish = cli.run(&["completions", "fish"]).await;
    assert_eq!(fish.status, 0, "{fish:?}");
    assert_eq!(
        fish_completes(&cli, &fish.stdout, "tenantry token Ki").await,
        ["Kiwi Plumbing"],
        "an organisation by the start of its name, from this profile's store"
    );
    assert_eq!(
        fish_completes(&cli, &fish.stdout, "tenantry token 5e6f7a8b-0002").await,
        [it.tenant("Kiwi Plumbing")],
        "or by its tenant id"
    );
    assert_eq!(
        fish_completes(&cli, &fish.stdout, "tenantry refresh b").await,
        [BEN],
        "a login by email"
    );
    assert_eq!(
        fish_completes(&cli, &fish.stdout, "tenantry exec Harbour --login a").await,
        [ANN],
        "--login takes a login"
    );
    assert!(
        fish_completes(&cli, &fish.stdout, "tenantry tok")
            .await
            .contains(&"token".to_string()),
        "commands complete too"
    );
    for shell in ["bash", "zsh"] {
        let reg = cli.run(&["completions", shell]).await;
        assert!(
            reg.status == 0 && reg.stdout.contains("COMPLETE="),
            "{shell}: a registration that calls tenantry back: {reg:?}"
        );
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_connection_cap_is_shown_warned_of_and_named_when_xero_refuses() {
    let test = "the_connection_cap_is_shown_warned_of_and_named_when_xero_refuses";
    if !keyring_available(test) {
        return;
    }
    // The app's tier allows 3 connections; Ann's consent takes all three.
    let it = instance_with(
        tenantry_fake_xero::Options {
            connection_limit: Some(3),
            ..Default::default()
        },
        VaultKind::Keychain,
    )
    .await;
    let cli = Tenantry::for_instance(&it);
    assert_eq!(
        cli.run(&["config", "set", "connection_limit", "4"])
            .await
            .status,
        0
    );
    it.fake.approve_as(Some(ANN));
    assert_eq!(cli.run(&["connect"]).await.status, 0);
    let status = cli.run(&["status"]).await;
    assert!(
        status.stdout.contains("3 of 4 connections."),
        "status shows how near the cap is: {status:?}"
    );
    let json = cli.run(&["status", "--json"]).await;
    assert_eq!(jq(".connections.used", &json.stdout).await, "3");
    assert_eq!(jq(".connections.limit", &json.stdout).await, "4");

    // At the cap (as configured), Ben's sign-in is warned of before the browser opens; Xero
    // sends the browser to its connectionLimit page, and the wait, cancelled, names the cap.
    assert_eq!(
        cli.run(&["config", "set", "connection_limit", "3"])
            .await
            .status,
        0
    );
    it.fake.approve_as(Some(BEN));
    let mut connect = cli.command(&["connect"]);
    connect
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = connect.spawn().unwrap();
    let pid = child.id().unwrap();
    until_fake(&it, "the browser sent to the connectionLimit page", |w| {
        w.last_redirect
            .as_deref()
            .is_some_and(|r| r.ends_with("/connectionLimit"))
    })
    .await;
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "cancelled: {stderr}");
    assert!(
        stderr.contains("Warning: 3 of 3 connections: the app's cap is reached")
            && stderr.contains("connection limit (3 of 3)")
            && stderr.contains("tenantry disconnect"),
        "warned before the browser, and the refusal named with its fixes: {stderr}"
    );
    assert_eq!(
        it.fake.with(|w| w.connection_count()),
        3,
        "Xero connected nothing past its cap"
    );

    // A reconnect adds no connection, so it still works at the cap.
    it.fake.approve_as(Some(ANN));
    let again = cli.run(&["connect", "--reconnect", ANN]).await;
    assert_eq!(again.status, 0, "{again:?}");
}

/// Waits (at most 20 s) until the fake's world satisfies `done`.
async fn until_fake(it: &Instance, what: &str, done: impl Fn(&tenantry_fake_xero::World) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !it.fake.with(|w| done(w)) {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_reconnect_adds_a_scope_and_a_mistyped_one_is_refused_before_the_browser() {
    let Some(it) = keychain_instance(
        "a_reconnect_adds_a_scope_and_a_mistyped_one_is_refused_before_the_browser",
    )
    .await
    else {
        return;
    };
    let cli = Tenantry::connected(&it, &[ANN]).await;
    let typo = cli
        .run(&[
            "connect",
            "--reconnect",
            ANN,
            "--scope",
            "accounting.invoice",
        ])
        .await;
    assert_eq!(typo.status, 2, "{typo:?}");
    assert!(
        typo.stderr.contains("did you mean `accounting.invoices`")
            && !typo.stderr.contains("/identity/connect/authorize"),
        "refused with the scope meant, before any sign-in address: {typo:?}"
    );
    let added = cli
        .run(&[
            "connect",
            "--reconnect",
            ANN,
            "--scope",
            "accounting.invoices",
        ])
        .await;
    assert_eq!(added.status, 0, "{added:?}");
    assert!(
        added.stderr.contains("accounting.invoices")
            && added.stdout.contains("Scopes granted:")
            && added.stdout.contains("accounting.invoices"),
        "the sign-in asked for it and Xero granted it: {added:?}"
    );
    let json = cli.run(&["status", "--json"]).await;
    assert!(
        jq(".logins[0].scopes | join(\" \")", &json.stdout)
            .await
            .contains("accounting.invoices"),
        "the login keeps the added scope: {}",
        json.stdout
    );
    // The identity check still holds: signing in as someone else adds nothing to Ann.
    it.fake.approve_as(Some(BEN));
    let wrong = cli
        .run(&[
            "connect",
            "--reconnect",
            ANN,
            "--scope",
            "accounting.contacts",
        ])
        .await;
    assert_eq!(wrong.status, 3, "a reconnect as another person: {wrong:?}");
}
