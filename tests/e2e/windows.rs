//! What only Windows does, run on Windows (under Wine in every `./scripts/test.sh`, by
//! scripts/lib/windows.sh): the Credential Manager's chunked layout, the token agent over its
//! named pipe, `exec`'s exit codes, `on_event` hooks through `cmd`, `token --format cmd` read back
//! by `cmd.exe`, `keepalive --install` through `schtasks`, sign-in through the platform's browser
//! opener, the profile's folders under `%APPDATA%` and `%LOCALAPPDATA%`, and the demo as a Windows
//! user first tries it. docs/PLATFORMS.md says what Wine proves of each and what only a real
//! Windows can.

use crate::running_gateway::Gateway;
use crate::util::*;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tenantry_core::model::LoginId;
use tenantry_core::vault::{KeychainVault, TokenVault, platform_store};
use tenantry_fake_xero::{Options, Seed};

/// A folder both this Windows process and the Linux programs Wine starts can reach, as
/// (Windows path, Linux path): scripts/lib/windows.sh names it in `TENANTRY_WINE_HOST_DIR` (a
/// Linux path, which Wine's `Z:` drive shows). None off Wine (a real Windows runs no Linux program).
fn host_dir() -> Option<(PathBuf, String)> {
    let unix = std::env::var("TENANTRY_WINE_HOST_DIR").ok()?;
    Some((
        PathBuf::from(format!("Z:{}", unix.replace('/', "\\"))),
        unix,
    ))
}

/// The instance's `tenantry`, with Ann signed in, its tokens in the Credential Manager.
async fn signed_in(test: &str, options: Options) -> Option<(Instance, Tenantry)> {
    keyring_available(test).then_some(())?;
    let it = instance_with(options, VaultKind::Keychain).await;
    let cli = Tenantry::connected(&it, &[ANN]).await;
    Some((it, cli))
}

#[test]
fn a_token_set_longer_than_one_credential_is_chunked_rotated_and_deleted() {
    if !keyring_available("a_token_set_longer_than_one_credential_is_chunked_rotated_and_deleted") {
        return;
    }
    let service = format!("tenantry-test-{}", uuid::Uuid::new_v4().simple());
    let vault = KeychainVault::platform(&service);
    let login = LoginId::new("chunky").unwrap();
    let store = platform_store().unwrap();
    let raw = |user: &str| match keyring_core::Entry::new_in_store(&store, &service, user)
        .unwrap()
        .get_password()
    {
        Ok(text) => Some(text),
        Err(keyring_core::Error::NoEntry) => None,
        Err(e) => panic!("reading {user}: {e}"),
    };
    // A Xero token set (a 1,400-character access token, an id token) is far past one entry's
    // 2,560 bytes of UTF-16.
    let first = crate::keychain::tokens("first");
    vault.store(&login, &first).unwrap();
    let head = raw("chunky").expect("the head entry is under the login's name");
    let parts = |head: &str| -> Vec<String> {
        let mut fields = head
            .strip_prefix("chunked:v1:")
            .expect("a chunked head")
            .split(':');
        let generation = fields.next().unwrap().to_owned();
        let count: usize = fields.next().unwrap().parse().unwrap();
        (0..count)
            .map(|i| format!("chunky.{generation}.{i}"))
            .collect()
    };
    let old = parts(&head);
    assert!(old.len() >= 2, "more than one entry: {head}");
    for name in &old {
        assert!(raw(name).is_some(), "{name} is in the Credential Manager");
    }
    assert_eq!(vault.load(&login).unwrap().as_ref(), Some(&first));

    // A rotation writes a new generation, moves the head, and deletes the old chunks.
    let second = crate::keychain::tokens("second");
    vault.store(&login, &second).unwrap();
    let new = parts(&raw("chunky").unwrap());
    assert_ne!(new, old, "a new generation");
    for name in &old {
        assert_eq!(raw(name), None, "the old generation's {name} is gone");
    }
    // A fresh adapter (another process) reads the rotated set back whole.
    assert_eq!(
        KeychainVault::platform(&service)
            .load(&login)
            .unwrap()
            .as_ref(),
        Some(&second)
    );

    vault.delete(&login).unwrap();
    assert_eq!(raw("chunky"), None, "the head is deleted");
    for name in &new {
        assert_eq!(raw(name), None, "and every chunk: {name}");
    }
    assert_eq!(vault.load(&login).unwrap(), None);
}

#[tokio::test]
async fn the_token_agent_answers_over_its_named_pipe_and_without_it_the_keychain_does() {
    let test = "the_token_agent_answers_over_its_named_pipe_and_without_it_the_keychain_does";
    let Some((it, cli)) = signed_in(test, Options::default()).await else {
        return;
    };
    // The same data folder (so the same pipe) with another keychain service, which holds no
    // tokens: only the agent can answer it. (Not asked before the gateway runs: finding no
    // tokens, it would mark the login as needing a reconnect in the data they share.)
    let mut elsewhere = it.config.clone();
    elsewhere.keychain_service = format!("{}-empty", it.config.keychain_service);
    let other_config = it.dir.path().join("elsewhere.toml");
    elsewhere.save(&other_config).unwrap();
    let blind = Tenantry {
        config: other_config,
        data: cli.data.clone(),
        passphrase: None,
    };
    let token = |agent: &'static str| {
        let mut cmd = blind.command(&["token", "Kiwi Plumbing", "--format", "json"]);
        cmd.env("TENANTRY_AGENT", agent);
        run(cmd)
    };
    let gateway = Gateway::start(&cli, &[]).await;
    // The gateway itself serves the API under Wine: a keyed call reaches the fake Xero.
    let organisation = gateway
        .get(
            &reqwest::Client::new(),
            "/api.xro/2.0/Organisation",
            "Kiwi Plumbing",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(organisation.status(), 200, "{organisation:?}");

    // The agent's pipe opens beside the gateway's listener: give it a moment.
    let mut answered = token("on").await;
    for _ in 0..50 {
        if answered.status == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        answered = token("on").await;
    }
    assert_eq!(
        answered.status, 0,
        "tenantry.exe token is answered by the running gateway's agent: {answered:?}"
    );
    let json: serde_json::Value = serde_json::from_str(&answered.stdout).unwrap();
    assert_eq!(json["tenant_id"], it.tenant("Kiwi Plumbing"));
    assert_eq!(json["login"]["email"], ANN);
    // exec is answered by the agent too.
    let mut exec = blind.command(&[
        "exec",
        "Kiwi Plumbing",
        "--",
        "cmd",
        "/C",
        "echo",
        "%XERO_TENANT_ID%",
    ]);
    exec.env("TENANTRY_AGENT", "on");
    let exec = run(exec).await;
    assert_eq!(exec.status, 0, "{exec:?}");
    assert_eq!(exec.stdout.trim(), it.tenant("Kiwi Plumbing"));

    gateway.stop().await;
    // With the gateway gone nothing answers on the pipe, and the CLI reads the keychain itself.
    let mut fallback = cli.command(&["token", "Kiwi Plumbing"]);
    fallback.env("TENANTRY_AGENT", "on");
    let fallback = run(fallback).await;
    assert_eq!(fallback.status, 0, "{fallback:?}");
    assert!(
        !fallback.stderr.contains("agent"),
        "no agent, so nothing to say about one: {fallback:?}"
    );
    // And the run that only the agent could answer fails the same way with the agent skipped.
    // (Last: its empty keychain marks the login as needing a reconnect in the shared data.)
    let skipped = token("off").await;
    assert_eq!(
        skipped.status, 3,
        "the same run told to skip the agent reads its empty keychain: {skipped:?}"
    );
}

#[tokio::test]
async fn exec_passes_the_child_s_exit_code_and_127_for_a_program_not_found() {
    let Some((it, cli)) = signed_in(
        "exec_passes_the_child_s_exit_code_and_127_for_a_program_not_found",
        Options::default(),
    )
    .await
    else {
        return;
    };
    let found = cli
        .run(&[
            "exec",
            "Kiwi Plumbing",
            "--",
            "cmd",
            "/C",
            "if defined XERO_ACCESS_TOKEN echo %XERO_TENANT_ID%",
        ])
        .await;
    assert_eq!(found.status, 0, "{found:?}");
    assert_eq!(
        found.stdout.trim(),
        it.tenant("Kiwi Plumbing"),
        "cmd sees both variables"
    );
    let failing = cli
        .run(&["exec", "Kiwi Plumbing", "--", "cmd", "/C", "exit 7"])
        .await;
    assert_eq!(
        failing.status, 7,
        "the child's exit code passes through: {failing:?}"
    );
    let missing = cli
        .run(&["exec", "Kiwi Plumbing", "--", "no-such-program-tenantry"])
        .await;
    assert_eq!(missing.status, 127, "{missing:?}");
    assert!(
        missing.stderr.contains("no-such-program-tenantry"),
        "it names what it could not find: {missing:?}"
    );
}

#[tokio::test]
async fn a_hook_runs_through_cmd_and_an_organisation_named_a_and_calc_runs_nothing() {
    let test = "a_hook_runs_through_cmd_and_an_organisation_named_a_and_calc_runs_nothing";
    if !keyring_available(test) {
        return;
    }
    let mut seed = Seed::standard();
    seed.tenants
        .iter_mut()
        .find(|t| t.name == "Kiwi Plumbing")
        .unwrap()
        .name = "A & calc".into();
    let it = instance_with(
        Options {
            seed,
            ..Options::default()
        },
        VaultKind::Keychain,
    )
    .await;
    let cli = Tenantry::for_instance(&it);
    let heard = it.dir.path().join("heard.txt");
    // Were %TENANTRY_ORG% expanded raw, cmd would read `echo …|A & calc>>"…"`: a pipe into a
    // program named A, then calc with the file as its output, and no line for the organisation.
    let hook = format!(
        "echo %TENANTRY_EVENT%^|%TENANTRY_ORG%>>\"{}\"",
        heard.display()
    );
    let set = cli.run(&["config", "set", "on_event", &hook]).await;
    assert_eq!(set.status, 0, "{set:?}");
    it.fake.approve_as(Some(ANN));
    let connect = cli.run(&["connect"]).await;
    assert_eq!(connect.status, 0, "{connect:?}");
    let lines = std::fs::read_to_string(&heard).expect("the hook ran through cmd");
    let lines: Vec<&str> = lines.lines().map(str::trim_end).collect();
    assert!(
        lines.contains(&"organisation_added|A _ calc"),
        "the name reaches cmd with its & made harmless: {lines:?}"
    );
    // cmd leaves a variable that is not set as its own name.
    assert!(
        lines.contains(&"connected|%TENANTRY_ORG%"),
        "an event without an organisation: {lines:?}"
    );
    assert_eq!(
        lines.len(),
        4,
        "one line per event, nothing else: {lines:?}"
    );
}

#[tokio::test]
async fn token_format_cmd_is_read_back_by_cmd_exe_as_the_readme_shows() {
    let Some((it, cli)) = signed_in(
        "token_format_cmd_is_read_back_by_cmd_exe_as_the_readme_shows",
        Options::default(),
    )
    .await
    else {
        return;
    };
    let plain = cli.run(&["token", "Kiwi Plumbing"]).await;
    assert_eq!(plain.status, 0, "{plain:?}");
    // The README's line, in a batch file (where `%L` is written `%%L`), with `tenantry` on PATH
    // as an install puts it.
    let script = it.dir.path().join("read-token.cmd");
    std::fs::write(
        &script,
        "@echo off\r\nfor /f \"delims=\" %%L in ('tenantry token \"Kiwi Plumbing\" --format cmd') do call %%L\r\necho %XERO_TENANT_ID% %XERO_ACCESS_TOKEN%\r\n",
    )
    .unwrap();
    let bin_dir = tenantry_bin().parent().unwrap().to_owned();
    let path = format!(
        "{};{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = tokio::process::Command::new("cmd");
    cmd.arg("/C")
        .arg(&script)
        .env("PATH", path)
        .env("TENANTRY_CONFIG", &cli.config)
        .env("TENANTRY_DATA_DIR", &cli.data);
    let read = run(cmd).await;
    assert_eq!(read.status, 0, "{read:?}");
    let words: Vec<&str> = read.stdout.split_whitespace().collect();
    assert_eq!(
        words,
        [it.tenant("Kiwi Plumbing").as_str(), plain.stdout.trim()],
        "cmd.exe set exactly the tenant id and the token: {read:?}"
    );
}

#[tokio::test]
async fn keepalive_install_hands_schtasks_the_task_tenantry_wrote() {
    let Some((_it, cli)) = signed_in(
        "keepalive_install_hands_schtasks_the_task_tenantry_wrote",
        Options::default(),
    )
    .await
    else {
        return;
    };
    let shown = cli.run(&["keepalive", "--print"]).await;
    assert_eq!(shown.status, 0, "{shown:?}");
    let name = shown
        .stdout
        .lines()
        .find_map(|l| l.split("/TN \"").nth(1)?.split('"').next())
        .expect("--print names the task")
        .to_owned();
    assert!(name.starts_with("Tenantry\\"), "{name}");
    let installed = cli.run(&["keepalive", "--install"]).await;
    assert_eq!(installed.status, 0, "{installed:?}");
    assert!(installed.stdout.contains(&name), "{installed:?}");
    // Wine's Task Scheduler keeps each task as a file under system32\Tasks.
    let windir = std::env::var("WINDIR").unwrap_or_else(|_| r"C:\windows".into());
    let file = Path::new(&windir)
        .join("system32")
        .join("Tasks")
        .join(&name);
    let stored = std::fs::read(&file)
        .unwrap_or_else(|e| panic!("the task is stored at {}: {e}", file.display()));
    let text = if stored.starts_with(&[0xFF, 0xFE]) {
        let units: Vec<u16> = stored[2..]
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(&stored).into_owned()
    };
    assert!(
        text.contains("Tenantry keep-alive") && text.contains("<Task"),
        "the stored task is the one Tenantry wrote: {text}"
    );
    let removed = cli.run(&["keepalive", "--uninstall"]).await;
    assert_eq!(removed.status, 0, "{removed:?}");
    assert!(!file.exists(), "--uninstall deletes the task");
}

#[tokio::test]
async fn sign_in_opens_the_whole_address_through_the_platform_opener() {
    let test = "sign_in_opens_the_whole_address_through_the_platform_opener";
    let Some((_, unix)) = host_dir() else {
        eprintln!("SKIPPED {test}: not under scripts/lib/windows.sh (no TENANTRY_WINE_HOST_DIR)");
        return;
    };
    if !keyring_available(test) {
        return;
    }
    let it = instance_with(Options::default(), VaultKind::Keychain).await;
    let cli = Tenantry::for_instance(&it);
    it.fake.approve_as(Some(ANN));
    // No $BROWSER: the `open` crate's opener, which under Wine is winebrowser, which
    // scripts/lib/windows.sh points at a script that notes the address and follows it.
    let mut connect = cli.command(&["connect"]);
    connect.env_remove("BROWSER");
    let ran = run(connect).await;
    assert_eq!(ran.status, 0, "{ran:?}");
    let opened = std::fs::read_to_string(format!("Z:{}\\opened.txt", unix.replace('/', "\\")))
        .expect("the opener was used");
    let url = opened
        .lines()
        .find(|l| l.contains(&it.config.client_id))
        .unwrap_or_else(|| panic!("no address for this sign-in among {opened}"));
    let printed = ran
        .stdout
        .lines()
        .chain(ran.stderr.lines())
        .find_map(|l| l.split_whitespace().find(|w| w.starts_with("http")))
        .expect("connect prints the address");
    assert_eq!(url, printed, "the whole address, every & kept");
    for part in ["response_type=code", "code_challenge=", "state=", "scope="] {
        assert!(
            url.contains(&format!("&{part}")) || url.contains(&format!("?{part}")),
            "{url}"
        );
    }
}

#[tokio::test]
async fn the_demo_lives_under_appdata_and_every_command_uses_it() {
    if !keyring_available("the_demo_lives_under_appdata_and_every_command_uses_it") {
        return;
    }
    // The profile's own folders: no TENANTRY_CONFIG or TENANTRY_DATA_DIR, as a user runs it.
    let tenantry = |args: &[&str]| {
        let mut cmd = tokio::process::Command::new(tenantry_bin());
        cmd.args(args)
            .env_remove("TENANTRY_CONFIG")
            .env_remove("TENANTRY_DATA_DIR")
            .env_remove("TENANTRY_PROFILE")
            .env("BROWSER", browser())
            .stdin(std::process::Stdio::null());
        cmd
    };
    let appdata = PathBuf::from(std::env::var("APPDATA").unwrap());
    let local = PathBuf::from(std::env::var("LOCALAPPDATA").unwrap());
    let path = run(tenantry(&["--profile", "demo", "config", "path"])).await;
    assert_eq!(path.status, 0, "{path:?}");
    assert_eq!(
        PathBuf::from(path.stdout.trim()),
        appdata.join("app.tenantry.desktop").join("demo.toml"),
        "the configuration roams, in %APPDATA%"
    );

    let port = free_ports()[0].to_string();
    let mut demo = tenantry(&["demo", "--port", &port, "--auto-approve", ANN])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines =
        tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(demo.stdout.take().unwrap()));
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the demo starts")
        .unwrap()
        .unwrap_or_default();
    assert!(first.starts_with("Fake Xero running at"), "{first}");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let connect = run(tenantry(&["--profile", "demo", "connect"])).await;
    assert_eq!(connect.status, 0, "{connect:?}");
    assert!(
        local
            .join("app.tenantry.desktop")
            .join("demo")
            .join("tenantry.db")
            .exists(),
        "the data stays on this machine, in %LOCALAPPDATA%"
    );
    for args in [
        &["--profile", "demo", "status"][..],
        &["--profile", "demo", "orgs"],
        &["--profile", "demo", "token", "Shared Books Trust"],
        &["--profile", "demo", "check"],
    ] {
        let ran = run(tenantry(args)).await;
        assert_eq!(ran.status, 0, "{args:?}: {ran:?}");
    }
    let orgs = run(tenantry(&["--profile", "demo", "orgs"])).await;
    assert!(orgs.stdout.contains("Shared Books Trust"), "{orgs:?}");
    demo.start_kill().unwrap();
    let _ = demo.wait().await;
}
