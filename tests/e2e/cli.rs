//! Every `tenantry` command as a subprocess against the fake Xero over loopback, with a real
//! Secret Service keyring: success paths, exit statuses, and bad input changing nothing.

use crate::util::*;
use chrono::Duration;

// Unix only: `--env`'s output is checked by eval in a POSIX shell, and `exec` runs one.
#[cfg(unix)]
#[tokio::test]
async fn connect_status_orgs_token_exec_and_log() {
    let Some(it) = keychain_instance("connect_status_orgs_token_exec_and_log").await else {
        return;
    };
    it.fake.approve_as(Some(ANN));
    let cli = Tenantry::for_instance(&it);
    let ran = cli.run(&["connect"]).await;
    assert_eq!(ran.status, 0, "connect through $BROWSER succeeds: {ran:?}");
    assert!(
        ran.stdout
            .contains("Connected Ann Bookkeeper <ann@example.com>"),
        "it names the login: {ran:?}"
    );
    assert!(
        ran.stdout.contains("Kiwi Plumbing"),
        "and the organisations this consent added"
    );
    assert!(
        ran.stderr.contains("/identity/connect/authorize?"),
        "the sign-in address is printed too"
    );

    let status = cli.run(&["status"]).await;
    assert_eq!(
        status.status, 0,
        "all healthy: exit 0 for monitoring: {status:?}"
    );
    assert!(
        status.stdout.contains("ann@example.com")
            && status.stdout.contains("connected")
            && status.stdout.contains("59 days")
    );
    let json: serde_json::Value =
        serde_json::from_str(&cli.run(&["status", "--json"]).await.stdout)
            .expect("status --json is JSON");
    assert_eq!(json["healthy"], true);
    assert_eq!(json["logins"][0]["organisations"], 3);
    assert_eq!(json["logins"][0]["state"], "connected");
    assert!(json["logins"][0]["fix"].is_null(), "nothing to fix");

    let orgs: serde_json::Value =
        serde_json::from_str(&cli.run(&["orgs", "--json"]).await.stdout).unwrap();
    assert_eq!(orgs.as_array().unwrap().len(), 3);
    assert!(
        orgs.as_array()
            .unwrap()
            .iter()
            .all(|o| o["logins"][0]["email"] == ANN && o["type"] == "ORGANISATION")
    );
    let filtered = cli.run(&["orgs", "harb"]).await;
    assert!(
        filtered.stdout.contains("Harbour Cafe Ltd") && !filtered.stdout.contains("Kiwi"),
        "FILTER narrows the list: {filtered:?}"
    );

    let token = cli.run(&["token", "KIWI PLUMBING"]).await;
    assert_eq!(token.status, 0, "{token:?}");
    assert_eq!(
        token.stdout.lines().count(),
        1,
        "plain output is the token alone"
    );
    assert!(token.stdout.starts_with("eyJ"), "the access token (a JWT)");
    let tj: serde_json::Value =
        serde_json::from_str(&cli.run(&["token", "Kiwi Plumbing", "--json"]).await.stdout).unwrap();
    assert_eq!(tj["tenant_id"], it.tenant("Kiwi Plumbing"));
    assert_eq!(tj["login"]["email"], ANN);
    assert_eq!(
        tj["access_token"].as_str().unwrap(),
        token.stdout.trim(),
        "the same, still-fresh token"
    );
    let env = cli
        .run(&["token", &it.tenant("Kiwi Plumbing"), "--env"])
        .await;
    assert!(
        env.stdout.contains("export XERO_ACCESS_TOKEN='eyJ")
            && env.stdout.contains(&format!(
                "export XERO_TENANT_ID='{}'",
                it.tenant("Kiwi Plumbing")
            )),
        "{env:?}"
    );
    let evaluated = tokio::process::Command::new("sh")
        .args([
            "-c",
            "eval \"$1\"; printf '%s %s' \"$XERO_ACCESS_TOKEN\" \"$XERO_TENANT_ID\"",
            "sh",
            &env.stdout,
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&evaluated.stdout),
        format!("{} {}", token.stdout.trim(), it.tenant("Kiwi Plumbing")),
        "`eval \"$(tenantry token … --env)\"` sets exactly the token and the tenant id"
    );

    let exec = cli
        .run(&[
            "exec",
            "Kiwi Plumbing",
            "--",
            "sh",
            "-c",
            "test -n \"$XERO_ACCESS_TOKEN\" && echo \"$XERO_TENANT_ID\" && exit 7",
        ])
        .await;
    assert_eq!(
        exec.status, 7,
        "exec passes the command's exit status through: {exec:?}"
    );
    assert_eq!(
        exec.stdout.trim(),
        it.tenant("Kiwi Plumbing"),
        "and sets both variables"
    );

    let log: serde_json::Value =
        serde_json::from_str(&cli.run(&["log", "--json", "--login", ANN]).await.stdout).unwrap();
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "connected" && e["login_email"] == ANN),
        "the event log shows the connection"
    );
    for output in [status.stdout, filtered.stdout] {
        assert!(
            !output.contains(token.stdout.trim()),
            "only `token` ever prints a token"
        );
    }
}

#[tokio::test]
async fn refresh_keepalive_and_a_login_that_needs_a_human() {
    let Some(it) = keychain_instance("refresh_keepalive_and_a_login_that_needs_a_human").await
    else {
        return;
    };
    let cli = Tenantry::connected(&it, &[ANN, BEN]).await;
    let refreshed = cli.run(&["refresh", "--all"]).await;
    assert_eq!(refreshed.status, 0, "{refreshed:?}");
    assert_eq!(
        refreshed.stdout.matches("refreshed").count(),
        2,
        "both logins refreshed: {refreshed:?}"
    );

    let quiet = cli.run(&["keepalive"]).await;
    assert_eq!(
        (quiet.status, quiet.stdout.as_str()),
        (0, ""),
        "keep-alive is quiet when nothing is due: {quiet:?}"
    );

    // Ann last refreshed 46 days ago (as far as this machine knows), and Xero's clock agrees.
    let db = rusqlite::Connection::open(it.dir.path().join("tenantry.db")).unwrap();
    let ann_id = it.fake.with(|w| w.user(ANN).unwrap().id.clone());
    let old = (chrono::Utc::now() - Duration::days(46)).timestamp_millis();
    db.execute(
        "UPDATE logins SET refresh_issued_at = ?1 WHERE id = ?2",
        rusqlite::params![old, ann_id],
    )
    .unwrap();
    it.fake.advance(Duration::days(46));
    let (ann_before, ben_before) = (it.fake.refresh_calls(ANN), it.fake.refresh_calls(BEN));
    let due = cli.run(&["keepalive"]).await;
    assert_eq!(
        (due.status, due.stdout.as_str()),
        (0, ""),
        "a successful keep-alive says nothing: {due:?}"
    );
    assert_eq!(
        it.fake.refresh_calls(ANN),
        ann_before + 1,
        "the 46-day-old login was refreshed"
    );
    assert_eq!(
        it.fake.refresh_calls(BEN),
        ben_before,
        "the young one was left alone"
    );

    it.fake.revoke_user(BEN);
    let failed = cli.run(&["refresh", BEN]).await;
    assert_eq!(
        failed.status, 3,
        "a login that needs a human exits 3: {failed:?}"
    );
    assert!(
        failed.stdout.contains("tenantry connect --reconnect"),
        "and says the command that fixes it"
    );
    let status = cli.run(&["status"]).await;
    assert_eq!(
        status.status, 3,
        "status exits 3 so monitoring notices: {status:?}"
    );
    assert!(
        status.stdout.contains("needs reconnect")
            && status
                .stdout
                .contains("fix: tenantry connect --reconnect ben@example.com")
    );
    let keepalive = cli.run(&["keepalive", "--older-than", "1"]).await;
    assert_eq!(keepalive.status, 3, "keep-alive exits 3 too: {keepalive:?}");
    assert!(
        keepalive
            .stdout
            .contains("ben@example.com: needs reconnecting")
    );
    let bad = cli.run(&["keepalive", "--older-than", "90"]).await;
    assert_eq!(
        bad.status, 2,
        "a threshold past Xero's 60 days is refused: {bad:?}"
    );
}

#[tokio::test]
async fn disconnect_and_remove_ask_first_and_act_at_xero() {
    let Some(it) = keychain_instance("disconnect_and_remove_ask_first_and_act_at_xero").await
    else {
        return;
    };
    it.fake.approve_as(Some(ANN));
    let cli = Tenantry::for_instance(&it);
    assert_eq!(cli.run(&["connect"]).await.status, 0);
    let unasked = cli.run(&["disconnect", "Kiwi Plumbing"]).await;
    assert_eq!(
        unasked.status, 2,
        "without a terminal to ask on, --yes is required: {unasked:?}"
    );
    assert!(
        cli.run(&["orgs"]).await.stdout.contains("Kiwi Plumbing"),
        "and nothing was changed"
    );
    let done = cli.run(&["disconnect", "Kiwi Plumbing", "--yes"]).await;
    assert_eq!(done.status, 0, "{done:?}");
    assert!(!cli.run(&["orgs"]).await.stdout.contains("Kiwi Plumbing"));
    assert!(
        it.fake
            .with(|w| w.connections_of(&w.user(ANN).unwrap().id.clone()))
            .iter()
            .all(|c| c.tenant_id != it.tenant("Kiwi Plumbing")),
        "deleted at Xero"
    );
    let removed = cli.run(&["remove", ANN, "-y"]).await;
    assert_eq!(removed.status, 0, "{removed:?}");
    assert!(cli.run(&["status"]).await.stdout.contains("No logins yet"));
    assert!(
        it.fake
            .with(|w| w.connections_of(&w.user(ANN).unwrap().id.clone()))
            .is_empty(),
        "revoked at Xero"
    );
    let history = cli
        .run(&[
            "log",
            "--login",
            &it.fake.with(|w| w.user(ANN).unwrap().id.clone()),
        ])
        .await;
    assert!(
        history.stdout.contains("removed") && history.stdout.contains("disconnected"),
        "the log keeps a removed login's history: {history:?}"
    );
}

#[tokio::test]
async fn a_reconnect_that_comes_back_as_someone_else_says_so_and_how_to_fix_it() {
    let Some(it) =
        keychain_instance("a_reconnect_that_comes_back_as_someone_else_says_so_and_how_to_fix_it")
            .await
    else {
        return;
    };
    let cli = Tenantry::connected(&it, &[ANN]).await;
    it.fake.approve_as(Some(BEN)); // the browser is still signed in to Xero as Ben
    let ran = cli.run(&["connect", "--reconnect", "ann@"]).await;
    assert_eq!(
        ran.status, 3,
        "the intended login was not reconnected: {ran:?}"
    );
    assert!(
        ran.stderr
            .contains("ann@example.com was not reconnected: the browser signed in to Xero as ben@example.com, not ann@example.com"),
        "{ran:?}"
    );
    assert!(
        !ran.stdout.contains("Connected"),
        "nothing on stdout reads as a success before the failure: {ran:?}"
    );
    let failure = ran.stderr.find("was not reconnected").unwrap();
    let saved = ran
        .stderr
        .find("was saved as a login of its own")
        .expect("what did happen is said too");
    assert!(failure < saved, "the failure leads: {ran:?}");
    assert!(
        ran.stderr.contains("already connected: 0, new: 3"),
        "what the sign-in that did happen reached: {ran:?}"
    );
    assert!(
        ran.stderr.contains("private (incognito) browser window")
            && ran.stderr.contains("--no-browser")
            && ran.stderr.contains("sign out of Xero"),
        "with both fixes: a private window, or signing out: {ran:?}"
    );
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let Some(it) = keychain_instance("bad_input_gets_a_clear_error_and_changes_nothing").await
    else {
        return;
    };
    let cli = Tenantry::connected(&it, &[ANN, BEN]).await;
    let unknown = cli.run(&["token", "Nope Ltd"]).await;
    assert_eq!(unknown.status, 4, "{unknown:?}");
    assert!(
        unknown.stderr.contains("tenantry orgs"),
        "the next step is named"
    );
    let near = cli.run(&["token", "kiwi"]).await;
    assert!(
        near.stderr.contains("did you mean \"Kiwi Plumbing\""),
        "a near miss is suggested: {near:?}"
    );
    let who = cli.run(&["refresh", "zed@example.com"]).await;
    assert_eq!(who.status, 4, "{who:?}");
    let ambiguous = cli.run(&["refresh", "1c3d2a6e"]).await;
    assert_eq!(
        ambiguous.status, 4,
        "a prefix matching two logins is refused: {ambiguous:?}"
    );
    assert!(
        ambiguous.stderr.contains("ann@example.com")
            && ambiguous.stderr.contains("ben@example.com"),
        "and lists them"
    );
    let shared = cli
        .run(&["disconnect", "Shared Books Trust", "--yes"])
        .await;
    assert_eq!(
        shared.status, 4,
        "an organisation reached by two logins needs --login: {shared:?}"
    );

    let before = std::fs::read(&cli.config).unwrap();
    let bad_value = cli.run(&["config", "set", "keepalive_days", "70"]).await;
    assert_eq!(bad_value.status, 6, "{bad_value:?}");
    assert!(
        bad_value.stderr.contains("keepalive_days")
            && bad_value.stderr.contains("nothing was written")
    );
    let bad_key = cli.run(&["config", "set", "colour", "blue"]).await;
    assert_eq!(bad_key.status, 2, "{bad_key:?}");
    assert_eq!(
        std::fs::read(&cli.config).unwrap(),
        before,
        "the configuration file is untouched"
    );
    let ok = cli
        .run(&[
            "config",
            "set",
            "scopes",
            "accounting.settings.read,accounting.contacts.read",
        ])
        .await;
    assert_eq!(ok.status, 0, "{ok:?}");
    assert!(
        cli.run(&["config", "show"])
            .await
            .stdout
            .contains("accounting.contacts.read")
    );

    std::fs::write(&cli.config, "client_id = 'x'\nredirect_ports = 'many'\n").unwrap();
    let broken = cli.run(&["status"]).await;
    assert_eq!(broken.status, 6, "{broken:?}");
    assert!(
        broken.stderr.contains("redirect_ports"),
        "a malformed file names the key"
    );
    assert_eq!(
        std::fs::read_to_string(&cli.config).unwrap(),
        "client_id = 'x'\nredirect_ports = 'many'\n",
        "and is not rewritten"
    );
}

// Linux only: the keychain is made unreachable by pointing the Secret Service's session bus
// elsewhere; macOS's and Windows' keychains have no such address.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_locked_keychain_and_an_unreachable_xero_are_told_apart() {
    let Some(it) =
        keychain_instance("a_locked_keychain_and_an_unreachable_xero_are_told_apart").await
    else {
        return;
    };
    it.fake.approve_as(Some(ANN));
    let cli = Tenantry::for_instance(&it);
    assert_eq!(cli.run(&["connect"]).await.status, 0);
    let out = cli
        .command(&["token", "Kiwi Plumbing"])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/tenantry-bus",
        )
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "no keychain: exit 7: {stderr}");
    assert!(
        stderr.contains("keychain"),
        "and says it is the keychain: {stderr}"
    );

    let mut dead = it.config.clone();
    dead.xero.token_url = format!("http://127.0.0.1:{}/connect/token", free_ports()[0])
        .parse()
        .unwrap();
    dead.save(&cli.config).unwrap();
    let ran = cli.run(&["refresh", ANN]).await;
    assert_eq!(
        ran.status, 5,
        "Xero unreachable: exit 5 (try later): {ran:?}"
    );
    assert!(
        ran.stdout.contains("could not be reached") || ran.stdout.contains("cannot connect"),
        "{ran:?}"
    );
    assert!(
        it.vault
            .load(&it.engine.logins().await.unwrap()[0].id)
            .unwrap()
            .is_some(),
        "nothing was lost"
    );
}

#[tokio::test]
async fn doctor_names_each_problem_with_its_fix() {
    let Some(it) = keychain_instance("doctor_names_each_problem_with_its_fix").await else {
        return;
    };
    let cli = Tenantry::for_instance(&it);
    let good = cli.run(&["doctor"]).await;
    assert_eq!(good.status, 0, "{good:?}");
    assert!(
        good.stdout.contains("All checks passed") && good.stdout.contains("keychain is reachable")
    );
    let mut bad = it.config.clone();
    bad.client_id = String::new();
    bad.save(&cli.config).unwrap();
    let _held: Vec<_> = it
        .config
        .redirect_ports
        .iter()
        .map(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).unwrap())
        .collect();
    let ran = cli.run(&["doctor"]).await;
    assert_eq!(ran.status, 1, "{ran:?}");
    assert!(
        ran.stdout.contains("no Xero client id")
            && ran.stdout.contains("tenantry config set client_id"),
        "{ran:?}"
    );
    assert!(
        ran.stdout.contains("every redirect port"),
        "busy ports are reported: {ran:?}"
    );
}

#[tokio::test]
async fn demo_runs_a_fake_xero_that_every_command_can_use() {
    if !keyring_available("demo_runs_a_fake_xero_that_every_command_can_use") {
        return;
    }
    let dir = test_dir();
    let cli = Tenantry {
        config: dir.path().join("demo.toml"),
        data: dir.path().join("data"),
        passphrase: None,
    };
    let (mut demo, port, first) = cli.start_demo().await;
    assert!(
        first.starts_with("Fake Xero running at http://127.0.0.1:"),
        "{first}"
    );
    let connect = cli.run(&["--profile", "demo", "connect"]).await;
    assert_eq!(connect.status, 0, "{connect:?}");
    let token = cli
        .run(&["--profile", "demo", "token", "Shared Books Trust"])
        .await;
    assert_eq!(token.status, 0, "{token:?}");

    // A second demo for the same profile (as the desktop app's `--demo` starts one) joins the
    // running one instead of pointing the profile at a fake of its own.
    let config_before = std::fs::read_to_string(&cli.config).unwrap();
    let other_port = free_ports()[0].to_string();
    let second = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        cli.run(&["demo", "--port", &other_port]),
    )
    .await
    .expect("a second demo answers at once rather than running");
    assert_eq!(second.status, 0, "{second:?}");
    assert!(
        second.stdout.contains("already running") && second.stdout.contains(&port),
        "it names the demo to use: {second:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&cli.config).unwrap(),
        config_before,
        "the profile still points at the running demo"
    );
    let still = cli
        .run(&["--profile", "demo", "token", "Shared Books Trust"])
        .await;
    assert_eq!(still.status, 0, "and its login still works: {still:?}");
    demo.start_kill().unwrap();
    let _ = demo.wait().await;
}

#[tokio::test]
async fn sixteen_token_processes_on_an_expired_login_cause_one_refresh() {
    if !keyring_available("sixteen_token_processes_on_an_expired_login_cause_one_refresh") {
        return;
    }
    crate::refresh::processes_share_one_refresh(16).await;
}

#[tokio::test]
async fn completions_are_generated() {
    let dir = test_dir();
    let cli = Tenantry {
        config: dir.path().join("c.toml"),
        data: dir.path().into(),
        passphrase: None,
    };
    let ran = cli.run(&["completions", "bash"]).await;
    assert_eq!(ran.status, 0);
    // Bash calls the registered function as it would on Tab after `tenantry keep`.
    let script = format!(
        "{}\nCOMP_WORDS=(tenantry keep); COMP_CWORD=1; COMP_LINE='tenantry keep'; COMP_POINT=13; _clap_complete_tenantry tenantry keep tenantry; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        ran.stdout
    );
    let offered = tokio::process::Command::new("bash")
        .args(["-c", &script])
        .env("TENANTRY_CONFIG", &cli.config)
        .env("TENANTRY_DATA_DIR", &cli.data)
        .output()
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&offered.stdout).trim(),
        "keepalive",
        "bash completes a command through the registration: {}",
        String::from_utf8_lossy(&offered.stderr)
    );
    let help = cli.run(&["--help"]).await;
    assert!(
        help.stdout.contains("Print a valid access token"),
        "--help explains each command"
    );
}

/// An HTTPS server on loopback for `localhost`, with a certificate from a CA made for the test
/// (openssl), answering 200 to every GET and POST (Python's http.server under ssl).
#[cfg(unix)]
struct HttpsServer {
    child: tokio::process::Child,
    port: u16,
    ca: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

#[cfg(unix)]
impl HttpsServer {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| dir.path().join(name);
        std::fs::write(
            at("server.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
        let openssl = |args: &[&str]| {
            let out = std::process::Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .expect("openssl runs");
            assert!(out.status.success(), "openssl {args:?}: {out:?}");
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=Tenantry test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ]);
        let script = r#"
import http.server, ssl, sys
class Answer(http.server.BaseHTTPRequestHandler):
    def answer(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    do_GET = do_POST = answer
    def log_message(self, *args): pass
server = http.server.HTTPServer(("127.0.0.1", 0), Answer)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;
        let mut child = tokio::process::Command::new("python3")
            .args(["-c", script])
            .arg(at("server.pem"))
            .arg(at("server.key"))
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        tokio::io::AsyncBufReadExt::read_line(
            &mut tokio::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .await
        .unwrap();
        Self {
            child,
            port: line.trim().parse().expect("the server's port"),
            ca: at("ca.pem"),
            _dir: dir,
        }
    }
}

#[cfg(unix)]
#[tokio::test]
async fn https_to_xero_is_verified_against_the_systems_trusted_certificates() {
    let Some(it) =
        keychain_instance("https_to_xero_is_verified_against_the_systems_trusted_certificates")
            .await
    else {
        return;
    };
    let mut server = HttpsServer::start().await;
    let base = format!("https://localhost:{}", server.port);
    let cli = Tenantry::for_instance(&it);
    let mut config = it.config.clone();
    config.xero.jwks_url = format!("{base}/jwks").parse().unwrap();
    config.xero.token_url = format!("{base}/token").parse().unwrap();
    config.xero.api_url = format!("{base}/api.xro/2.0/").parse().unwrap();
    config.save(&cli.config).unwrap();

    // The test CA is trusted the way a machine trusts its own: through SSL_CERT_FILE, which the
    // platform's certificate loading reads on Linux.
    let mut trusted = cli.command(&["doctor"]);
    trusted
        .env("SSL_CERT_FILE", &server.ca)
        .env_remove("SSL_CERT_DIR");
    let ran = run(trusted).await;
    for what in ["signing keys (JWKS)", "token endpoint", "API"] {
        assert!(
            ran.stdout.contains(&format!("{what} at {base}/"))
                && ran
                    .stdout
                    .lines()
                    .any(|l| l.contains(what) && l.contains("answers (HTTP 200)")),
            "with the CA trusted, TLS to the {what} completes and the answer is read: {ran:?}"
        );
    }

    // Not trusted: the handshake must fail, whatever the server answers after it.
    let mut untrusted = cli.command(&["doctor"]);
    untrusted
        .env("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
        .env_remove("SSL_CERT_DIR");
    let ran = run(untrusted).await;
    assert_eq!(
        ran.status, 1,
        "a certificate nobody trusts fails doctor: {ran:?}"
    );
    assert!(
        ran.stdout
            .lines()
            .filter(|l| l.contains(&base))
            .all(|l| l.contains("cannot be reached")),
        "no answer is read over a connection whose certificate is not trusted: {ran:?}"
    );
    let _ = server.child.kill().await;
}
