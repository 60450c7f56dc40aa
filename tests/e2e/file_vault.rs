//! The file vault end to end, through the real `tenantry` binary: tokens kept encrypted in the
//! data directory under a passphrase (`TENANTRY_PASSPHRASE`, or asked on a terminal), a wrong or
//! missing passphrase refused with exit 7 and nothing changed, a damaged file named with its fix.
//! Its crash trials are in crash.rs; its own unit tests in core's vault/file.

use crate::util::*;
#[cfg(unix)]
use std::path::Path;
use tenantry_core::secret::Secret;
use tenantry_core::xero::XeroClient;

#[tokio::test]
async fn tokens_live_encrypted_in_the_file_vault_and_a_wrong_passphrase_changes_nothing() {
    let it = instance_with(Default::default(), VaultKind::File).await;
    it.fake.approve_as(Some(ANN));
    let cli = Tenantry::for_instance(&it);
    let ran = cli.run(&["connect"]).await;
    assert_eq!(
        ran.status, 0,
        "a sign-in stores its tokens in the file vault: {ran:?}"
    );

    let vault_dir = it.dir.path().join("vault");
    let status = cli.run(&["status"]).await;
    assert!(
        status.stdout.contains(&format!(
            "Tokens are kept in the file vault at {}",
            vault_dir.display()
        )),
        "status says which vault holds the logins: {status:?}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&cli.run(&["status", "--json"]).await.stdout).unwrap();
    assert_eq!(json["vault"], "file");
    assert_eq!(json["logins"][0]["vault"], "file", "and for each login");

    let harbour = it.tenant("Harbour Cafe Ltd");
    let token = cli.run(&["token", &harbour]).await;
    assert_eq!(token.status, 0, "{token:?}");
    let access = token.stdout.trim().to_owned();
    XeroClient::new(it.config.xero.clone(), CLIENT_ID)
        .organisation(&Secret::new(&access), &harbour)
        .await
        .expect("the token from the file vault works at Xero's API");

    // On disk: the owner's only, and no token readable (another process reads it back only
    // through the passphrase).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&vault_dir), 0o700);
        for (path, _) in snapshot(&vault_dir) {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
    for (path, bytes) in snapshot(it.dir.path()) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&access),
            "{} holds the access token in the clear",
            path.display()
        );
    }
    let doctor = cli.run(&["doctor"]).await;
    assert!(
        doctor.stdout.contains("and the passphrase opens it"),
        "doctor checks the vault opens: {doctor:?}"
    );

    // A wrong passphrase: exit 7, said, and not one byte of the profile changed.
    let before = snapshot(it.dir.path());
    let wrong = Tenantry {
        passphrase: Some("not the passphrase".into()),
        ..Tenantry::for_instance(&it)
    };
    for command in [&["token", &harbour][..], &["status"], &["refresh", ANN]] {
        let ran = wrong.run(command).await;
        assert_eq!(
            ran.status, 7,
            "the vault's exit code, as for a locked keychain: {ran:?}"
        );
        assert!(
            ran.stderr
                .contains("the passphrase does not open the file vault")
                && ran.stderr.contains("nothing was changed"),
            "the message names the problem: {ran:?}"
        );
    }
    // None at all, and no terminal to ask on (a cron job): exit 7, and what to set.
    let none = Tenantry {
        passphrase: None,
        ..Tenantry::for_instance(&it)
    };
    let ran = none.run(&["token", &harbour]).await;
    assert_eq!(ran.status, 7, "{ran:?}");
    assert!(ran.stderr.contains("set TENANTRY_PASSPHRASE"), "{ran:?}");
    assert_eq!(
        snapshot(it.dir.path()),
        before,
        "a refused passphrase must leave the vault and the database as they were"
    );
}

#[tokio::test]
async fn a_damaged_vault_file_is_named_and_a_reconnect_replaces_it() {
    let it = instance_with(Default::default(), VaultKind::File).await;
    let ann = it.connect(ANN).await.login;
    let cli = Tenantry::for_instance(&it);
    let file = it.dir.path().join("vault").join(format!("{}.age", ann.id));
    let mut bytes = std::fs::read(&file).expect("the login's vault file");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&file, bytes).unwrap();

    let harbour = it.tenant("Harbour Cafe Ltd");
    let ran = cli.run(&["token", &harbour]).await;
    assert_ne!(
        ran.status, 0,
        "a damaged entry cannot give a token: {ran:?}"
    );
    assert!(
        ran.stderr.contains("damaged") && ran.stderr.contains("reconnect"),
        "the message names the damage and its fix: {ran:?}"
    );
    it.fake.approve_as(Some(ANN));
    let again = cli.run(&["connect", "--reconnect", ANN]).await;
    assert_eq!(
        again.status, 0,
        "reconnecting writes a new entry: {again:?}"
    );
    assert_eq!(cli.run(&["token", &harbour]).await.status, 0);

    // The key file damaged: no retyping helps, and the message says what does.
    std::fs::write(it.dir.path().join("vault/identity.age"), b"damaged").unwrap();
    let ran = cli.run(&["status"]).await;
    assert_eq!(ran.status, 7, "{ran:?}");
    assert!(
        ran.stderr.contains("key file is damaged") && ran.stderr.contains("backup"),
        "{ran:?}"
    );
}

/// A person at a terminal is asked (twice, for a new vault); a mismatch creates nothing.
#[cfg(unix)]
#[tokio::test]
async fn on_a_terminal_the_passphrase_is_asked_for() {
    let it = instance_with(Default::default(), VaultKind::Memory).await;
    let mut config = it.config.clone();
    config.vault = tenantry_core::config::VaultChoice::File;
    let path = it.dir.path().join("terminal.toml");
    config.save(&path).unwrap();
    let data = it.dir.path().join("terminal-data");
    // util-linux's `script` gives the command a terminal of its own and types what it is fed.
    let at_terminal = |typed: &str| {
        let command = format!(
            "env -u TENANTRY_PASSPHRASE TENANTRY_CONFIG='{}' TENANTRY_DATA_DIR='{}' '{}' status",
            path.display(),
            data.display(),
            tenantry_bin().display()
        );
        let mut child = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("script (util-linux)");
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        for line in typed.lines() {
            std::thread::sleep(std::time::Duration::from_millis(300)); // after its prompt
            writeln!(stdin, "{line}").unwrap();
        }
        drop(stdin);
        child.wait_with_output().unwrap()
    };
    let key = data.join("vault/identity.age");
    let out = at_terminal("first try\nsecond try");
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(7), "{said}");
    assert!(said.contains("New passphrase for the file vault"), "{said}");
    assert!(
        said.contains("the two passphrases differ; nothing was created"),
        "{said}"
    );
    assert!(!key.exists(), "a mismatch makes no vault");
    assert!(
        !said.contains("first try"),
        "the passphrase is not echoed: {said}"
    );

    let out = at_terminal("chosen one\nchosen one");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(key.exists(), "the vault was made");
    let out = at_terminal("chosen one");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("Passphrase for the file vault") && !said.contains("New passphrase"),
        "an existing vault is asked once: {said}"
    );
}
