//! Practice mode when a machine's network link dies silently: the database runs in a network
//! namespace of its own (a second PostgreSQL cluster, Debian's server), reached by two machines
//! over two veth links. Taking one link down drops its packets without a word to either end, as
//! a pulled cable or a dead Wi-Fi does: no connection is closed, so the server learns of the
//! dead machine only from TCP keepalives, and the machine only from its own timeouts.
//!
//! Needs root (the suite runs as root) for `ip netns`; elsewhere it says it was skipped.

use crate::util::*;
use chrono::Duration;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;
use tenantry_core::store::postgres::PostgresStore;
use tenantry_core::vault::MemoryVault;
use tenantry_core::{Engine, ErrorCode};

/// Runs a command that must work, naming it if it does not.
fn must(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A PostgreSQL cluster in a network namespace of its own, reached at `a` over one veth link
/// and at `b` over another.
struct IsolatedServer {
    namespace: String,
    /// The namespace link A runs through.
    router: String,
    /// The host's ends of the links.
    links: Vec<String>,
    dir: PathBuf,
    bin: PathBuf,
    a: String,
    b: String,
}

impl IsolatedServer {
    /// None (after saying why) where network namespaces cannot be made: not root.
    fn start(test: &str) -> Option<Self> {
        let uid = Command::new("id").arg("-u").output().expect("run id");
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            assert!(
                std::env::var_os("TENANTRY_REQUIRE_KEYRING").is_none(),
                "{test}: the suite runs as root, and this test needs root for `ip netns`"
            );
            eprintln!("SKIPPED {test}: network namespaces need root");
            return None;
        }
        let tag = *uuid::Uuid::new_v4().as_bytes();
        let hex = format!("{:02x}{:02x}", tag[0], tag[1]);
        let (namespace, router) = (format!("tenantry-{hex}"), format!("tenantry-{hex}-r"));
        // /30 links in 10.213.N.0/24, N from the tag: one test's links never meet another's.
        // Link A goes through a router namespace, so it can die in the middle: a router that stops
        // forwarding drops packets silently, while both ends' own links stay up (a link taken down
        // at either end makes its kernel fail sends at once, which TCP treats differently).
        let net = format!("10.213.{}", tag[0]);
        let ip = |args: String| {
            let args: Vec<&str> = args.split_whitespace().collect();
            must("ip", &args);
        };
        // Made first, so a set-up that fails half-way is still taken down.
        let server = Self {
            namespace: namespace.clone(),
            router: router.clone(),
            links: vec![format!("tna{hex}"), format!("tnb{hex}")],
            dir: PathBuf::from(format!("/tmp/tenantry-netns-pg.{hex}")),
            bin: std::fs::read_dir("/usr/lib/postgresql")
                .expect("PostgreSQL's server is installed (scripts/setup.sh)")
                .flatten()
                .map(|e| e.path().join("bin"))
                .filter(|p| p.join("postgres").exists())
                .max()
                .expect("a PostgreSQL version with its binaries"),
            a: format!("{net}.10"),
            b: format!("{net}.6"),
        };
        for ns in [&namespace, &router] {
            ip(format!("netns add {ns}"));
            ip(format!("-n {ns} link set lo up"));
        }
        // Host — router (A): .1 / .2; router — database: .9 / .10; host — database (B): .5 / .6.
        ip(format!(
            "link add tna{hex} type veth peer name tna{hex}p netns {router}"
        ));
        ip(format!(
            "link add tnr{hex} type veth peer name tnr{hex}p netns {namespace}"
        ));
        ip(format!("link set tnr{hex} netns {router}"));
        ip(format!(
            "link add tnb{hex} type veth peer name tnb{hex}p netns {namespace}"
        ));
        ip(format!("addr add {net}.1/30 dev tna{hex}"));
        ip(format!("-n {router} addr add {net}.2/30 dev tna{hex}p"));
        ip(format!("-n {router} addr add {net}.9/30 dev tnr{hex}"));
        ip(format!("-n {namespace} addr add {net}.10/30 dev tnr{hex}p"));
        ip(format!("addr add {net}.5/30 dev tnb{hex}"));
        ip(format!("-n {namespace} addr add {net}.6/30 dev tnb{hex}p"));
        for (ns, link) in [
            ("", format!("tna{hex}")),
            ("", format!("tnb{hex}")),
            (router.as_str(), format!("tna{hex}p")),
            (router.as_str(), format!("tnr{hex}")),
            (namespace.as_str(), format!("tnr{hex}p")),
            (namespace.as_str(), format!("tnb{hex}p")),
        ] {
            let within = if ns.is_empty() {
                String::new()
            } else {
                format!("-n {ns} ")
            };
            ip(format!("{within}link set {link} up"));
        }
        ip(format!("route add {net}.8/30 via {net}.2"));
        ip(format!("-n {namespace} route add {net}.0/30 via {net}.9"));
        server.forward(true);
        let (dir, bin, a, b) = (&server.dir, &server.bin, &server.a, &server.b);

        // The suite's password, so the engine finds it where it finds the suite server's.
        let password = std::env::var("PGPASSWORD").expect("the suite sets PGPASSWORD");
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("pw"), format!("{password}\n")).unwrap();
        must("chown", &["-R", "postgres:", &dir.display().to_string()]);
        let data = dir.join("data").display().to_string();
        let as_postgres = |program: &str, args: &[&str]| {
            let mut all = vec!["-u", "postgres", "--", program];
            all.extend_from_slice(args);
            all.iter().map(|s| s.to_string()).collect::<Vec<_>>()
        };
        let initdb = bin.join("initdb").display().to_string();
        let pwfile = format!("--pwfile={}", dir.join("pw").display());
        let args = as_postgres(
            &initdb,
            &[
                "-D",
                &data,
                "-U",
                "tenantry",
                &pwfile,
                "--auth=scram-sha-256",
                "--no-sync",
            ],
        );
        must(
            "runuser",
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        // initdb lets in loopback only; the machines come over the links.
        let hba = dir.join("data/pg_hba.conf");
        let mut rules = std::fs::read_to_string(&hba).unwrap();
        rules.push_str(&format!("host all all {net}.0/24 scram-sha-256\n"));
        std::fs::write(&hba, rules).unwrap();
        let pg_ctl = bin.join("pg_ctl").display().to_string();
        let options = format!(
            "-c listen_addresses={a},{b} -p 5432 -k {} -c fsync=off",
            dir.display()
        );
        let log = dir.join("server.log").display().to_string();
        let mut start = vec!["netns", "exec", &namespace, "runuser"];
        let started = as_postgres(
            &pg_ctl,
            &[
                "-D", &data, "-l", &log, "-w", "-t", "30", "-o", &options, "start",
            ],
        );
        start.extend(started.iter().map(String::as_str));
        must("ip", &start);
        Some(server)
    }

    /// The practice database's URL through link A or link B. This cluster serves no TLS, and a
    /// host on another machine would be `verify-full` by default: TLS is off by name, since what
    /// is under test is a link dying, which keepalives and timeouts notice below TLS.
    fn url(&self, host: &str) -> String {
        format!("postgres://tenantry@{host}:5432/postgres?sslmode=disable")
    }

    /// Whether link A's router passes packets on.
    fn forward(&self, on: bool) {
        let setting = format!("net.ipv4.ip_forward={}", u8::from(on));
        must(
            "ip",
            &["netns", "exec", &self.router, "sysctl", "-qw", &setting],
        );
    }

    /// Link A stops carrying packets, silently: nothing is closed, refused or answered.
    fn drop_link_a(&self) {
        self.forward(false);
    }

    fn restore_link_a(&self) {
        self.forward(true);
    }
}

impl Drop for IsolatedServer {
    fn drop(&mut self) {
        let pg_ctl = self.bin.join("pg_ctl").display().to_string();
        let data = self.dir.join("data").display().to_string();
        let _ = Command::new("runuser")
            .args([
                "-u",
                "postgres",
                "--",
                &pg_ctl,
                "-D",
                &data,
                "-m",
                "immediate",
                "stop",
            ])
            .output();
        for ns in [&self.namespace, &self.router] {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
        // A link's host end goes with its peer, but only once nothing in the namespace holds it.
        for link in &self.links {
            let _ = Command::new("ip").args(["link", "del", link]).output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `machine`'s configuration: the practice at `url`, everything else the instance's.
fn machine_config(it: &Instance, url: &str, machine: &str) -> tenantry_core::config::Config {
    tenantry_core::config::Config {
        database_url: Some(url.to_owned()),
        machine_name: Some(machine.into()),
        ..it.config.clone()
    }
}

/// An engine for `machine` on the practice at `url`, with its own vault holding the key.
async fn open_machine(it: &Instance, url: &str, machine: &str, vault: Arc<MemoryVault>) -> Engine {
    let dir = it.dir.path().join(machine);
    std::fs::create_dir_all(&dir).unwrap();
    Engine::open(
        machine_config(it, url, machine),
        &dir,
        vault,
        Arc::new(it.clock.clone()),
    )
    .await
    .expect("the machine opens the practice")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_dying_silently_mid_refresh_frees_the_lock_and_another_machine_recovers() {
    let test = "a_link_dying_silently_mid_refresh_frees_the_lock_and_another_machine_recovers";
    let Some(server) = IsolatedServer::start(test) else {
        return;
    };
    let it = instance().await;
    let (url_a, url_b) = (server.url(&server.a), server.url(&server.b));

    // DESK-A makes the practice over link A; NIGHTLY-BOX joins over link B.
    let (vault_a, vault_b) = (Arc::new(MemoryVault::new()), Arc::new(MemoryVault::new()));
    let setup = {
        let (config_a, config_b) = (
            machine_config(&it, &url_a, "DESK-A"),
            machine_config(&it, &url_b, "NIGHTLY-BOX"),
        );
        let (vault_a, vault_b) = (vault_a.clone(), vault_b.clone());
        tokio::task::spawn_blocking(move || {
            let now = chrono::Utc::now();
            let member = tenantry_core::practice::init(&config_a, vault_a.as_ref(), now)?;
            let (code, _) = tenantry_core::practice::invite(&member)?;
            tenantry_core::practice::join(&config_b, vault_b.as_ref(), &code.display(), now)
        })
    };
    setup
        .await
        .unwrap()
        .expect("the practice is made, and the second machine joins");
    let desk = open_machine(&it, &url_a, "DESK-A", vault_a).await;
    let nightly = open_machine(&it, &url_b, "NIGHTLY-BOX", vault_b).await;
    let ann = sign_in_on(&it.fake, &desk, ANN, None).await.unwrap().login;
    let harbour = it.tenant("Harbour Cafe Ltd");

    // DESK-A refreshes; its link dies while Xero holds the answer to a refresh it has rotated.
    it.advance(Duration::minutes(31));
    let refreshing = crate::practice_link::refresh_held_at_xero(&it, &desk, &harbour).await;
    server.drop_link_a();
    let cut_at = Instant::now();

    // NIGHTLY-BOX, over its own link, needs the token meanwhile. It sees the intent at once, and
    // takes over once the server has noticed DESK-A is gone and ended its sessions (the lock, and
    // any transaction it had begun, with them), while DESK-A may still be waiting on its link.
    let (direct, login) = (url_b.clone(), ann.id.clone());
    let intent = tokio::task::spawn_blocking(move || {
        let other = PostgresStore::connect(&direct).unwrap();
        tenantry_core::store::Store::refresh_intent(&other, &login).unwrap()
    })
    .await
    .unwrap();
    assert!(
        intent.is_some_and(|i| i.login_id == ann.id),
        "the refresh intent is in the journal for another machine to see"
    );
    let recovered = nightly
        .access_token_for(&harbour)
        .await
        .expect("another machine finishes the refresh within Xero's grace");
    let other_took_over = cut_at.elapsed();

    // DESK-A's link comes back while it still tries to keep its answer: its sessions are gone, and
    // with them its lock, so it must write nothing.
    server.restore_link_a();
    let lost = refreshing
        .await
        .unwrap()
        .expect_err("DESK-A cannot keep the new token set without its link");
    let desk_knew = cut_at.elapsed();
    assert_eq!(lost.code(), ErrorCode::DatabaseUnreachable, "{lost}");
    eprintln!(
        "{test}: NIGHTLY-BOX had the new token {other_took_over:?} after the link died; DESK-A, its link back then, gave up {desk_knew:?} after it died"
    );
    assert_eq!(
        it.fake.refresh_calls(ANN),
        2,
        "by spending the kept refresh token once more, within the grace"
    );
    assert_eq!(
        it.fake.with(|w| w.invalid_grants),
        0,
        "Xero never said invalid_grant"
    );

    // DESK-A then serves the token NIGHTLY-BOX got, with no refresh of its own.
    let back = desk
        .access_token_for(&harbour)
        .await
        .expect("with its link back DESK-A serves the practice's token");
    assert_eq!(
        back.access_token.expose(),
        recovered.access_token.expose(),
        "the token the other machine got: one generation for the whole practice"
    );
    assert_eq!(it.fake.refresh_calls(ANN), 2, "and no third refresh");
    let login = nightly.logins().await.unwrap().remove(0);
    assert_eq!(
        login.state,
        tenantry_core::model::LoginState::Connected,
        "nothing was lost: no reconnect"
    );
}
