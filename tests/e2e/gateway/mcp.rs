//! `tenantry mcp` driven by the official MCP Python SDK over stdio: every organisation of two
//! logins in one session, across access-token expiries, through a gateway; writes only when
//! allowed, only with the code their preview gave, and then naming the organisation written to.

use super::*;
use tenantry_fake_xero::Options;

/// The venv python with the `mcp` package (scripts/lib/setup-sdks.sh); `None`: skip.
pub fn sdk_python(test: &str) -> Option<String> {
    match std::env::var("TENANTRY_SDK_PYTHON") {
        Ok(python) => Some(python),
        Err(_) if std::env::var_os("TENANTRY_REQUIRE_KEYRING").is_some() => {
            panic!(
                "{test}: scripts/test.sh must set TENANTRY_SDK_PYTHON (scripts/lib/setup-sdks.sh)"
            )
        }
        Err(_) => {
            eprintln!("SKIPPED {test}: no SDK venv; run ./scripts/test.sh");
            None
        }
    }
}

pub fn script(name: &str) -> String {
    format!("{}/clients/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub(super) async fn session(
    cli: &Tenantry,
    python: &str,
    rounds: &str,
    pause: &str,
    extra: &[&str],
) -> serde_json::Value {
    let (seen, said) = session_logged(cli, python, (rounds, pause), extra, &[]).await;
    seen.unwrap_or_else(|| panic!("the MCP session ran: {said}"))
}

/// One session, with `env` added to tenantry's environment; what the client saw (`None` when
/// the session failed), and what the client and `tenantry mcp` wrote to stdout and stderr.
pub(super) async fn session_logged(
    cli: &Tenantry,
    python: &str,
    (rounds, pause): (&str, &str),
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Option<serde_json::Value>, String) {
    session_of(
        cli,
        python,
        (rounds, pause),
        &["Harbour Cafe Ltd", "Southern Farms"],
        extra,
        env,
    )
    .await
}

/// As [`session_logged`], reading `orgs` (the first two are also written to).
pub(super) async fn session_of(
    cli: &Tenantry,
    python: &str,
    (rounds, pause): (&str, &str),
    orgs: &[&str],
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Option<serde_json::Value>, String) {
    let mut cmd = tokio::process::Command::new(python);
    cmd.arg(script("mcp_session.py"))
        .arg(tenantry_bin())
        .args([rounds, pause])
        .args(orgs);
    if !extra.is_empty() {
        cmd.arg("--").args(extra);
    }
    // The same environment `cli.command` gives tenantry: its profile and keychain.
    let probe = cli.command(&[]);
    for (k, v) in probe.as_std().get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().await.expect("run the MCP client");
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = out
        .status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).expect("the client's summary"));
    (seen, said)
}

/// The session's one `xero_get_each` over `["all"]` asked each of `every` once, in order, each
/// answered as itself, and no body was cut.
fn each_read_all(seen: &serde_json::Value, every: &[impl AsRef<str>], whose: &str) {
    let every: Vec<&str> = every.iter().map(AsRef::as_ref).collect();
    assert_eq!(
        (
            &seen["each"]["asked"],
            &seen["each"]["answered"],
            &seen["each"]["cut"]
        ),
        (
            &serde_json::json!(every),
            &serde_json::json!(every),
            &serde_json::json!(0)
        ),
        "xero_get_each read {whose} once each, each answering as itself: {seen}"
    );
}

#[tokio::test]
async fn an_assistant_reads_two_logins_organisations_across_token_expiry_and_writes_only_when_allowed()
 {
    let test = "an_assistant_reads_two_logins_organisations_across_token_expiry_and_writes_only_when_allowed";
    let Some(python) = sdk_python(test) else {
        return;
    };
    // 4-second access tokens: the 3 s pauses between rounds outlive them.
    let options = Options {
        access_lifetime: chrono::Duration::seconds(4),
        ..Options::default()
    };
    let Some((it, cli)) = connected(test, options).await else {
        return;
    };
    let refreshes = (it.fake.refresh_calls(ANN), it.fake.refresh_calls(BEN));

    let seen = session(&cli, &python, "3", "3", &[]).await;
    assert_eq!(
        seen["tools"],
        serde_json::json!([
            "connection_status",
            "list_organisations",
            "xero_get",
            "xero_get_each"
        ]),
        "no write tool unless --allow-writes"
    );
    let names: Vec<&str> = seen["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    for org in ["Harbour Cafe Ltd", "Southern Farms", "Shared Books Trust"] {
        assert!(
            names.contains(&org),
            "every organisation of both logins, {org} too: {names:?}"
        );
    }
    assert_eq!(
        seen["failed"],
        serde_json::json!([]),
        "no call failed: {seen}"
    );
    assert_eq!(
        seen["reads"],
        serde_json::json!([
            "Harbour Cafe Ltd",
            "Southern Farms",
            "Harbour Cafe Ltd",
            "Southern Farms",
            "Harbour Cafe Ltd",
            "Southern Farms"
        ]),
        "each organisation answered as itself, Ann's and Ben's, in every round"
    );
    let (ann, ben) = (
        it.fake.refresh_calls(ANN) - refreshes.0,
        it.fake.refresh_calls(BEN) - refreshes.1,
    );
    assert!(
        (1..=3).contains(&ann) && (1..=3).contains(&ben),
        "tokens that expired mid-session were refreshed, about once per lifetime per login (Ann {ann}, Ben {ben})"
    );
    let every = [
        "Ben's Practice",
        "Harbour Cafe Ltd",
        "Kiwi Plumbing",
        "Shared Books Trust",
        "Southern Farms",
    ];
    each_read_all(&seen, &every, "every organisation of both logins");
    assert!(
        seen["each_unknown"]["is_error"] == true
            && seen["each_unknown"]["text"]
                .as_str()
                .unwrap()
                .contains("Nowhere Ltd"),
        "an organisation it does not know fails the whole call, before anything is sent: {seen}"
    );
    assert_eq!(
        seen["writes"]["preview"]["is_error"], true,
        "the write tool is not served: {seen}"
    );
    assert!(
        it.fake.with(|w| w.contacts.is_empty()),
        "and nothing was written"
    );

    let allowed = session(&cli, &python, "1", "0", &["--allow-writes"]).await;
    assert!(
        allowed["tools"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("xero_request")),
        "--allow-writes offers it"
    );
    let harbour = it.tenant("Harbour Cafe Ltd");
    let steps = &allowed["writes"];
    let said = |step: &str| -> (bool, String) {
        let s = &steps[step];
        (
            s["is_error"]
                .as_bool()
                .unwrap_or_else(|| panic!("{step}: {allowed}")),
            s["text"].as_str().unwrap().to_owned(),
        )
    };
    let (error, text) = said("preview");
    assert!(!error, "a write without a code is a preview: {text}");
    let preview: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(preview["sent"], false, "{preview}");
    assert_eq!(preview["preview"]["organisation"], "Harbour Cafe Ltd");
    assert_eq!(preview["preview"]["tenant_id"], harbour.as_str());
    assert_eq!(preview["preview"]["method"], "PUT");
    assert_eq!(preview["preview"]["path"], "/api.xro/2.0/Contacts");
    assert_eq!(
        preview["preview"]["body"],
        r#"Contacts: 1 (Name "Written By MCP")"#
    );
    assert!(
        preview["next"]
            .as_str()
            .unwrap()
            .contains(preview["confirmation"].as_str().unwrap()),
        "it says how to confirm: {preview}"
    );
    for (step, because) in [
        (
            "other_organisation",
            "another write (the organisation differ",
        ),
        ("replayed_after_refusal", "has been used"),
        ("altered_body", "another write (the body differ"),
        ("replayed", "has been used"),
    ] {
        let (error, text) = said(step);
        assert!(
            error && text.contains("confirmation_refused") && text.contains(because),
            "{step}: refused, saying {because:?}: {text}"
        );
    }
    let (error, text) = said("confirmed");
    assert!(
        !error && text.starts_with(&format!("Wrote to Harbour Cafe Ltd ({harbour})")),
        "the previewed write, with its code, is sent and names its organisation: {text}"
    );
    let (error, text) = said("loose_name");
    assert!(
        error && text.contains("Harbour Cafe Ltd"),
        "a write never goes to a guess: a loose name is refused with the near names: {text}"
    );
    let southern = it.tenant("Southern Farms");
    let (here, there) = it.fake.with(|w| {
        (
            w.contacts.get(&harbour).map(Vec::len),
            w.contacts.get(&southern).map_or(0, Vec::len),
        )
    });
    assert_eq!(
        (here, there),
        (Some(1), 0),
        "exactly one write, the confirmed one, reached Xero, and only the named organisation"
    );
}

#[tokio::test]
async fn xero_get_each_reads_twelve_organisations_of_three_logins_in_one_session() {
    let test = "xero_get_each_reads_twelve_organisations_of_three_logins_in_one_session";
    let Some(python) = sdk_python(test) else {
        return;
    };
    if !keyring_available(test) {
        return;
    }
    let options = Options {
        seed: tenantry_fake_xero::Seed::generated(3, 4),
        ..Options::default()
    };
    let it = instance_with(options, VaultKind::Keychain).await;
    let users = [
        "user000@example.com",
        "user001@example.com",
        "user002@example.com",
    ];
    let cli = Tenantry::connected(&it, &users).await;
    let (seen, said) = session_of(
        &cli,
        &python,
        ("0", "0"),
        &["Client 000-00", "Client 002-03"],
        &[],
        &[],
    )
    .await;
    let seen = seen.unwrap_or_else(|| panic!("the MCP session ran: {said}"));
    let every: Vec<String> = (0..3)
        .flat_map(|u| (0..4).map(move |o| format!("Client {u:03}-{o:02}")))
        .collect();
    each_read_all(&seen, &every, "12 organisations of 3 logins");
    let orgs_called = it.fake.recorded("/api.xro/2.0/Organisation").len();
    assert_eq!(orgs_called, 12, "and each was called once");
}
