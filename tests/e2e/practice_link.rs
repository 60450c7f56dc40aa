//! Practice mode when the link to the database fails: the engine in this process reaches the
//! suite's PostgreSQL server through a TCP relay on loopback that the test cuts (every open
//! connection closed, new ones refused) and restores, as a dropped network link would.

use crate::practice::Database;
use crate::util::*;
use chrono::Duration;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tenantry_core::store::postgres::PostgresStore;
use tenantry_core::vault::MemoryVault;
use tenantry_core::{Engine, ErrorCode};
use tenantry_fake_xero::Fault;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// Forwards loopback connections to the database server until cut.
struct Relay {
    port: u16,
    cut: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<AbortHandle>>>,
    /// The local port of each connection the relay made to the server: the server's
    /// `pg_stat_activity.client_port` for the sessions of the engine under test.
    upstream: Arc<Mutex<Vec<u16>>>,
}

impl Relay {
    async fn start(to: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, open) = (
            Arc::new(AtomicBool::new(false)),
            Arc::<Mutex<Vec<_>>>::default(),
        );
        let upstream = Arc::<Mutex<Vec<u16>>>::default();
        let (is_cut, opened, ports) = (cut.clone(), open.clone(), upstream.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if is_cut.load(Ordering::SeqCst) {
                    continue; // dropped: the link is down
                }
                let ports = ports.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(("127.0.0.1", to)).await {
                        if let Ok(local) = server.local_addr() {
                            ports.lock().unwrap().push(local.port());
                        }
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                opened.lock().unwrap().push(task.abort_handle());
            }
        });
        Self {
            port,
            cut,
            open,
            upstream,
        }
    }

    /// Ends, from the server's side, every session the engine holds through the relay.
    fn terminate_sessions(&self, db: &Database) -> usize {
        let ports: Vec<String> = self
            .upstream
            .lock()
            .unwrap()
            .iter()
            .map(u16::to_string)
            .collect();
        db.sql(&format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE client_addr = '127.0.0.1' AND client_port IN ({})",
            ports.join(",")
        ))
        .parse()
        .unwrap()
    }

    /// Drops every connection through the relay, and refuses new ones until restored.
    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for task in self.open.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// The suite's URL around its port: `postgres://USER@HOST`, the port, `/DATABASE…`.
fn around_port(url: &str) -> (&str, u16, &str) {
    let at = url.find('@').expect("the suite's URL names a user");
    let colon = at + url[at..].find(':').expect("and a port");
    let slash = colon + url[colon..].find('/').expect("and a database");
    let port = url[colon + 1..slash].parse().expect("a port number");
    (&url[..colon], port, &url[slash..])
}

/// A practice made on `db`, and an engine on it that reaches the server through a new relay.
async fn practice_through_relay(it: &Instance, db: &Database) -> (Relay, Engine) {
    let (head, port, tail) = around_port(&db.url);
    let relay = Relay::start(port).await;
    let config = tenantry_core::config::Config {
        database_url: Some(format!("{head}:{}{tail}", relay.port)),
        machine_name: Some("LAPTOP-2".into()),
        ..it.config.clone()
    };
    let vault = Arc::new(MemoryVault::new());
    let (kept, machine_vault) = (config.clone(), vault.clone());
    tokio::task::spawn_blocking(move || {
        tenantry_core::practice::init(&kept, machine_vault.as_ref(), chrono::Utc::now())
    })
    .await
    .unwrap()
    .expect("the practice is made through the relay");
    let engine = Engine::open(config, it.dir.path(), vault, Arc::new(it.clock.clone()))
        .await
        .expect("the engine opens the practice");
    (relay, engine)
}

/// Starts `engine` asking for `tenant`'s token (Ann's, expired) and returns once Xero has rotated
/// the refresh token and holds its answer for 1.5 s: what is done to the link meanwhile happens
/// mid-refresh.
pub(crate) async fn refresh_held_at_xero(
    it: &Instance,
    engine: &Engine,
    tenant: &str,
) -> tokio::task::JoinHandle<Result<tenantry_core::engine::AccessGrant, tenantry_core::EngineError>>
{
    it.fake.inject(Fault::HoldAfterRotate(1500), 1);
    let refreshing = {
        let (engine, tenant) = (engine.clone(), tenant.to_owned());
        tokio::spawn(async move { engine.access_token_for(&tenant).await })
    };
    while it.fake.refresh_calls(ANN) == 0 && !refreshing.is_finished() {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    if refreshing.is_finished() {
        panic!(
            "the refresh ended before reaching Xero: {:?}",
            refreshing.await.unwrap().err()
        );
    }
    refreshing
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_dropped_mid_refresh_frees_the_lock_keeps_the_intent_and_loses_nothing() {
    let db = Database::new("link");
    let it = instance().await;
    let (relay, engine) = practice_through_relay(&it, &db).await;
    let ann = sign_in_on(&it.fake, &engine, ANN, None)
        .await
        .unwrap()
        .login;
    let harbour = it.tenant("Harbour Cafe Ltd");
    let held = engine.access_token_for(&harbour).await.unwrap();

    relay.cut();
    let still = engine
        .access_token_for(&harbour)
        .await
        .expect("a token this process holds is served with the database gone");
    assert_eq!(
        still.access_token, held.access_token,
        "the same, still valid, access token"
    );
    it.advance(Duration::minutes(31));
    let refused = engine
        .access_token_for(&harbour)
        .await
        .expect_err("an expired token cannot be refreshed without the lock");
    assert_eq!(refused.code(), ErrorCode::DatabaseUnreachable, "{refused}");
    assert_eq!(
        it.fake.refresh_calls(ANN),
        0,
        "no token request is sent without the lock"
    );

    // The link comes back after a couple of seconds; then it drops while Xero holds its answer
    // to a refresh it has already rotated.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    relay.restore();
    let refreshing = refresh_held_at_xero(&it, &engine, &harbour).await;
    relay.cut();
    let lost = refreshing
        .await
        .unwrap()
        .expect_err("the new token set cannot be kept");
    assert_eq!(lost.code(), ErrorCode::DatabaseUnreachable, "{lost}");

    let direct = db.url.clone();
    let login = ann.id.clone();
    let (intent, relocked) = tokio::task::spawn_blocking(move || {
        let other = PostgresStore::connect(&direct).unwrap();
        let intent = tenantry_core::store::Store::refresh_intent(&other, &login).unwrap();
        // The server notices the closed connection and ends its session, lock and all.
        let relocked = other
            .lock_login(&login, std::time::Duration::from_secs(10))
            .is_ok();
        (intent, relocked)
    })
    .await
    .unwrap();
    assert!(
        relocked,
        "the dropped machine's lock was released by the server"
    );
    assert!(
        intent.is_some_and(|i| i.login_id == ann.id),
        "the refresh intent is in the journal, for whoever next refreshes"
    );

    relay.restore();
    let recovered = engine
        .access_token_for(&harbour)
        .await
        .expect("with the link back, the refresh is finished within the grace");
    assert_ne!(
        recovered.access_token, held.access_token,
        "with a new token"
    );
    assert_eq!(
        it.fake.refresh_calls(ANN),
        2,
        "by spending the kept refresh token once more, within Xero's grace"
    );
    let login = engine.logins().await.unwrap().remove(0);
    assert_eq!(
        login.state,
        tenantry_core::model::LoginState::Connected,
        "nothing was lost: no reconnect"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_terminated_by_the_server_mid_refresh_lose_nothing() {
    let db = Database::new("terminate");
    let it = instance().await;
    let (relay, engine) = practice_through_relay(&it, &db).await;
    sign_in_on(&it.fake, &engine, ANN, None).await.unwrap();
    let harbour = it.tenant("Harbour Cafe Ltd");
    it.advance(Duration::minutes(31));
    let refreshing = refresh_held_at_xero(&it, &engine, &harbour).await;
    // The store's connection and the one holding the login's lock, ended by an administrator.
    assert!(
        relay.terminate_sessions(&db) >= 2,
        "the engine's store and lock sessions were found and ended"
    );
    let lost = refreshing
        .await
        .unwrap()
        .expect_err("the new token set cannot be kept");
    assert_eq!(lost.code(), ErrorCode::DatabaseUnreachable, "{lost}");
    let recovered = engine
        .access_token_for(&harbour)
        .await
        .expect("the next call reconnects and finishes the refresh within the grace");
    assert!(recovered.access_token.expose().starts_with("eyJ"));
    assert_eq!(
        it.fake.refresh_calls(ANN),
        2,
        "the kept refresh token is spent once more, within Xero's grace"
    );
    assert_eq!(
        it.fake.with(|w| w.invalid_grants),
        0,
        "Xero never said invalid_grant"
    );
    let login = engine.logins().await.unwrap().remove(0);
    assert_eq!(
        login.state,
        tenantry_core::model::LoginState::Connected,
        "nothing was lost"
    );
}
