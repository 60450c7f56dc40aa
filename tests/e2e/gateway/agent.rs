//! The token agent: while `tenantry gateway` runs, `tenantry token` is answered from its
//! memory (it works even with the keychain gone), over a socket only its user can reach.

use super::*;
use std::os::unix::fs::PermissionsExt;
use tenantry_fake_xero::Options;

/// A D-Bus address where nothing listens: a process given it cannot reach the keychain.
const NO_KEYCHAIN: &str = "unix:path=/nonexistent/tenantry-no-bus";

#[tokio::test]
async fn tokens_come_from_the_running_gateway_and_only_for_its_user() {
    let test = "tokens_come_from_the_running_gateway_and_only_for_its_user";
    let Some((it, cli)) = connected(test, Options::default()).await else {
        return;
    };
    // In /tmp, which every account may enter (the suite's own TMPDIR is private): only the
    // modes Tenantry gives its directory and socket stand between another user and the agent.
    let runtime = tempfile::Builder::new()
        .prefix("tenantry-runtime.")
        .tempdir_in("/tmp")
        .unwrap();
    let runtime_dir = runtime.path().to_str().unwrap().to_owned();
    let gw = Gateway::start(&cli, &[("XDG_RUNTIME_DIR", &runtime_dir)]).await;
    let token = |agent: &str, format: &str| {
        let mut cmd = cli.command(&["token", "Kiwi Plumbing", "--format", format]);
        cmd.env("XDG_RUNTIME_DIR", &runtime_dir)
            .env("DBUS_SESSION_BUS_ADDRESS", NO_KEYCHAIN)
            .env("TENANTRY_AGENT", agent);
        run(cmd)
    };

    let ran = token("on", "json").await;
    assert_eq!(
        ran.status, 0,
        "answered by the agent, without the keychain: {ran:?}"
    );
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(
        json["login"]["email"], ANN,
        "the organisation's login, as without the agent"
    );
    assert_eq!(json["tenant_id"], it.tenant("Kiwi Plumbing"));
    let without = token("off", "plain").await;
    assert_eq!(
        without.status, 7,
        "the same run reading the keychain itself cannot: so the agent answered above: {without:?}"
    );

    let sockets: Vec<_> = std::fs::read_dir(runtime.path().join("tenantry"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(sockets.len(), 1, "one socket for the profile: {sockets:?}");
    let socket = &sockets[0];
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(socket), 0o600, "only its user may connect");
    assert_eq!(mode(socket.parent().unwrap()), 0o700, "nor even reach it");

    // Another user, even with the modes opened up, is hung up on without a word.
    if let Ok(user) = std::env::var("TENANTRY_PROBE_USER") {
        for dir in [runtime.path(), socket.parent().unwrap()] {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o666)).unwrap();
        // Whatever the agent sent back, or nothing if it hung up (a reset or a broken pipe counts as nothing).
        let script = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\ntry:\n  s.sendall(b'{\"v\":1,\"org\":\"Kiwi Plumbing\",\"login\":null}\\n')\n  got=s.recv(65536)\nexcept OSError:\n  got=b''\nsys.stdout.write(repr(got))";
        let out = std::process::Command::new("runuser")
            .args(["-u", &user, "--", "/usr/bin/python3", "-c", script])
            .arg(socket)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "b''",
            "the agent closed the connection unanswered: {out:?}"
        );
    } else if std::env::var_os("TENANTRY_REQUIRE_KEYRING").is_some() {
        panic!("{test}: scripts/test.sh must create an unprivileged user (TENANTRY_PROBE_USER)");
    }

    gw.stop().await;
}
