//! `tenantry call`: one call to Xero through the gateway's budgets, Xero's answer on stdout; a
//! write previewed and sent only with `--yes` or once the organisation's name is typed at a real
//! terminal (a pty, through util-linux's `script`), to the organisation named exactly.

use super::*;
use tenantry_fake_xero::Options;

const CONTACTS: &str = "/api.xro/2.0/Contacts";

/// `tenantry ARGS` at a terminal: `script` gives it a pty, and `typed` is what the person types.
async fn at_terminal(cli: &Tenantry, args: &[&str], typed: &str) -> Ran {
    let quoted: Vec<String> = std::iter::once(tenantry_bin().display().to_string())
        .chain(args.iter().map(|a| (*a).to_owned()))
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    let mut cmd = tokio::process::Command::new("script");
    cmd.args(["-qec", &quoted.join(" "), "/dev/null"]);
    // The environment `cli.command` gives tenantry: its profile and keychain.
    for (k, v) in cli.command(&[]).as_std().get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("run script");
    let mut stdin = child.stdin.take().unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stdin, typed.as_bytes())
        .await
        .unwrap();
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("tenantry call ends at a terminal")
        .unwrap();
    drop(stdin);
    Ran {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test]
async fn a_read_answers_as_xero_and_a_write_is_sent_only_when_confirmed() {
    let test = "a_read_answers_as_xero_and_a_write_is_sent_only_when_confirmed";
    let Some((it, cli)) = connected(test, Options::default()).await else {
        return;
    };
    let harbour = it.tenant("Harbour Cafe Ltd");
    let written = || {
        it.fake
            .with(|w| w.contacts.values().map(Vec::len).sum::<usize>())
    };
    let dir = test_dir();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let body = file(
        "contact.json",
        r#"{"Contacts": [{"Name": "Typed At A Terminal"}]}"#,
    );

    let prefix = &harbour[..14];
    let read = cli
        .run(&["call", prefix, "GET", "/api.xro/2.0/Organisation"])
        .await;
    assert_eq!(
        read.status, 0,
        "a read may name its organisation by an id prefix: {read:?}"
    );
    let answer: serde_json::Value = serde_json::from_str(&read.stdout).unwrap();
    assert_eq!(answer["Organisations"][0]["Name"], "Harbour Cafe Ltd");

    let write = ["call", "Harbour Cafe Ltd", "PUT", CONTACTS, "--body", &body];
    let unconfirmed = cli.run(&write).await;
    assert_eq!(unconfirmed.status, 2, "{unconfirmed:?}");
    for said in [
        format!("organisation  Harbour Cafe Ltd ({harbour})"),
        format!("call          PUT {CONTACTS}"),
        r#"body          Contacts: 1 (Name "Typed At A Terminal")"#.to_owned(),
        "nothing was sent".to_owned(),
    ] {
        assert!(
            unconfirmed.stderr.contains(&said),
            "without a terminal or --yes: the preview, and nothing sent ({said}): {unconfirmed:?}"
        );
    }

    let by_prefix = cli
        .run(&["call", prefix, "PUT", CONTACTS, "--body", &body, "--yes"])
        .await;
    assert_eq!(
        by_prefix.status, 4,
        "a write goes to no guess: an id prefix names no organisation: {by_prefix:?}"
    );
    let loose = cli
        .run(&["call", "Harbour", "PUT", CONTACTS, "--body", &body, "--yes"])
        .await;
    assert!(
        loose.status == 4 && loose.stderr.contains("Harbour Cafe Ltd"),
        "nor part of a name, which is refused with the near names: {loose:?}"
    );

    let not_json = file("not.json", "{\"Contacts\": [");
    for (args, says) in [
        (
            vec![
                "call",
                "Harbour Cafe Ltd",
                "PUT",
                CONTACTS,
                "--body",
                &not_json,
                "--yes",
            ],
            "is not JSON",
        ),
        (
            vec![
                "call",
                "Harbour Cafe Ltd",
                "PUT",
                "/connections",
                "--body",
                &body,
                "--yes",
            ],
            "is not one of Xero's API paths",
        ),
        (
            vec![
                "call",
                "Harbour Cafe Ltd",
                "GET",
                "/api.xro/2.0/../connections",
            ],
            "`.` or `..` segment",
        ),
        (
            vec!["call", "Harbour Cafe Ltd", "FETCH", CONTACTS],
            "not a method Xero's APIs take",
        ),
        (
            vec![
                "call",
                "Harbour Cafe Ltd",
                "GET",
                CONTACTS,
                "--query",
                "page",
            ],
            "is not NAME=VALUE",
        ),
        (
            vec!["call", "Harbour Cafe Ltd", "GET", CONTACTS, "--body", &body],
            "a GET sends no body",
        ),
    ] {
        let ran = cli.run(&args).await;
        assert!(
            ran.status == 2 && ran.stderr.contains(says) && ran.stderr.contains("Nothing was sent"),
            "{args:?}: exit 2 saying {says:?}: {ran:?}"
        );
    }
    assert_eq!(written(), 0, "nothing reached Xero");

    let declined = at_terminal(&cli, &write, "Southern Farms\n").await;
    assert!(
        declined.status == 130 && declined.stdout.contains("nothing was sent"),
        "another name typed cancels: {declined:?}"
    );
    assert_eq!(written(), 0, "and sends nothing");
    let typed = at_terminal(&cli, &write, "harbour cafe ltd\n").await;
    assert!(
        typed.status == 0
            && typed
                .stdout
                .contains(&format!("Wrote to Harbour Cafe Ltd ({harbour})")),
        "the organisation's name typed sends it: {typed:?}"
    );
    assert_eq!(written(), 1);

    let yes = cli
        .run(&["call", &harbour, "PUT", CONTACTS, "--body", &body, "--yes"])
        .await;
    assert_eq!(yes.status, 0, "{yes:?}");
    let answer: serde_json::Value = serde_json::from_str(&yes.stdout).unwrap();
    assert_eq!(answer["Contacts"][0]["Name"], "Typed At A Terminal");
    assert_eq!(
        it.fake.with(|w| w.contacts.get(&harbour).map(Vec::len)),
        Some(2),
        "both writes landed in the organisation named, and nowhere else"
    );
    assert_eq!(written(), 2);
}
