//! Signing in: the flow end to end, what the listener accepts and refuses, and a reconnect that
//! comes back as another Xero user.

use crate::util::*;
use tenantry_core::EngineError;
use tenantry_core::ErrorCode;
use tenantry_core::login::{CallbackError, ListenError};
use tenantry_core::model::LoginState;
use tenantry_fake_xero::SHARED_TENANT;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn sign_in_stores_the_login_and_names_the_organisations_this_consent_added() {
    let it = instance().await;
    let first = it.connect(ANN).await;
    assert_eq!(
        first.login.email, ANN,
        "the login is identified from the verified id_token"
    );
    assert_eq!(first.login.name, "Ann Bookkeeper");
    assert_eq!(first.login.state, LoginState::Connected);
    assert_eq!(
        first.organisations.len(),
        3,
        "Ann's three organisations are listed"
    );
    assert_eq!(first.added.len(), 3, "a first consent adds all of them");
    assert!(
        it.vault.load(&first.login.id).unwrap().is_some(),
        "the token set is in the vault"
    );

    // A second consent that grants only one organisation: authEventId tells which.
    let harbour = it.tenant("Harbour Cafe Ltd");
    it.fake.with(|w| w.grant_only = Some(vec![harbour.clone()]));
    let second = it.connect(ANN).await;
    assert_eq!(
        second
            .added
            .iter()
            .map(|o| o.tenant_id.as_str())
            .collect::<Vec<_>>(),
        [harbour.as_str()],
        "only the organisation this consent touched is reported as added"
    );
    assert_eq!(
        second.organisations.len(),
        3,
        "the others are still reachable"
    );
    assert_eq!(
        it.engine.logins().await.unwrap().len(),
        1,
        "signing in again as the same user updates the one login"
    );
    assert!(
        second
            .organisations
            .iter()
            .any(|o| o.tenant_id == SHARED_TENANT)
    );
}

#[tokio::test]
async fn a_reconnect_that_signs_in_as_someone_else_leaves_the_intended_login_untouched() {
    let it = instance().await;
    let ann = it.connect(ANN).await.login;
    let memory = it.memory.as_ref().unwrap();
    let ann_entry = memory.raw(&ann.id).expect("Ann's entry");
    let ann_meta = it.engine.logins().await.unwrap();

    let outcome = it
        .connect_as(BEN, Some(ann.id.clone()))
        .await
        .expect("Ben's sign-in itself succeeds");
    assert_eq!(
        outcome.login.email, BEN,
        "the browser was signed in to Xero as Ben"
    );
    assert_eq!(
        outcome.expected_other.as_ref().map(|l| l.email.as_str()),
        Some(ANN),
        "the outcome says Ben signed in, not Ann"
    );
    assert_eq!(
        memory.raw(&ann.id).as_deref(),
        Some(ann_entry.as_str()),
        "Ann's token set is byte-for-byte unchanged"
    );
    let ann_after = it
        .engine
        .logins()
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.id == ann.id)
        .unwrap();
    assert_eq!(
        Some(&ann_after),
        ann_meta.iter().find(|l| l.id == ann.id),
        "Ann's metadata is unchanged too"
    );
    assert_eq!(
        it.engine.logins().await.unwrap().len(),
        2,
        "Ben is stored as his own login"
    );
    let ben_tokens = it.vault.load(&outcome.login.id).unwrap().unwrap();
    let ann_tokens = it.vault.load(&ann.id).unwrap().unwrap();
    assert_ne!(
        ben_tokens.refresh_token, ann_tokens.refresh_token,
        "two logins, two token sets, never merged"
    );
}

/// Sends a raw request to the listener on `port`. One without a `Host` gets the one a browser
/// following the redirect URI sends (`localhost:PORT`), so each request tests only its own flaw.
async fn http(port: u16, request: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("listener is up");
    let text = String::from_utf8_lossy(request);
    let request = match text.split_once("\r\n") {
        Some((line, rest)) if !rest.to_ascii_lowercase().contains("host:") => {
            format!("{line}\r\nHost: localhost:{port}\r\n{rest}").into_bytes()
        }
        _ => request.to_vec(),
    };
    stream.write_all(&request).await.unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer).await;
    answer
}

fn state_of(url: &url::Url) -> String {
    url.query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned()
}

#[tokio::test]
async fn the_listener_refuses_strays_and_accepts_exactly_one_callback() {
    let it = instance().await;
    let pending = it.engine.begin_login(None).await.unwrap();
    let port = it.config.redirect_ports[0];
    let state = state_of(pending.authorize_url());
    let done = tokio::spawn(async move { pending.complete(CancellationToken::new()).await });

    let post = http(port, b"POST /callback?code=x&state=y HTTP/1.1\r\n\r\n").await;
    assert!(
        post.starts_with("HTTP/1.1 405"),
        "only GET is accepted: {post}"
    );
    let forged = http(port, b"GET /callback?code=x&state=forged HTTP/1.1\r\n\r\n").await;
    assert!(
        forged.starts_with("HTTP/1.1 400"),
        "a forged state is refused: {forged}"
    );
    let missing = http(port, b"GET /callback?code=x HTTP/1.1\r\n\r\n").await;
    assert!(
        missing.starts_with("HTTP/1.1 400"),
        "a missing state is refused"
    );
    let rebound = http(
        port,
        format!("GET /callback?code=x&state={state} HTTP/1.1\r\nHost: evil.example:{port}\r\n\r\n")
            .as_bytes(),
    )
    .await;
    assert!(
        rebound.starts_with("HTTP/1.1 421"),
        "a page whose own name was rebound to 127.0.0.1 is not answered, even with our state: {rebound}"
    );
    let other = http(port, b"GET /favicon.ico HTTP/1.1\r\n\r\n").await;
    assert!(
        other.starts_with("HTTP/1.1 404"),
        "other paths are not found"
    );
    let huge = format!(
        "GET /callback?state={state} HTTP/1.1\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let big = http(port, huge.as_bytes()).await;
    assert!(
        big.starts_with("HTTP/1.1 431") || big.is_empty(),
        "an oversized head is refused"
    );
    assert!(
        !done.is_finished(),
        "strays must not end the pending sign-in"
    );

    let denied = http(
        port,
        format!("GET /callback?error=access_denied&state={state} HTTP/1.1\r\n\r\n").as_bytes(),
    )
    .await;
    assert!(
        denied.starts_with("HTTP/1.1 400") && denied.contains("not granted"),
        "the browser is told what happened: {denied}"
    );
    match done.await.unwrap() {
        Err(EngineError::Listen(ListenError::Callback(CallbackError::Denied {
            error, ..
        }))) => assert_eq!(error, "access_denied"),
        other => panic!("declining in the browser must end the sign-in as denied, got {other:?}"),
    }
    // After its one callback the listener is closed, so a replay is refused by the kernel. The
    // port is free again, though, and a test running beside this one may have bound it since:
    // then whatever answers must not take the replayed callback.
    if tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_ok()
    {
        let replayed = http(
            port,
            format!("GET /callback?code=x&state={state} HTTP/1.1\r\n\r\n").as_bytes(),
        )
        .await;
        assert!(
            !replayed.starts_with("HTTP/1.1 200"),
            "a replayed callback is never taken: {replayed}"
        );
    }
}

#[tokio::test]
async fn cancelling_and_busy_ports_are_clear_errors() {
    let it = instance().await;
    let pending = it.engine.begin_login(None).await.unwrap();
    let cancel = CancellationToken::new();
    cancel.cancel();
    let err = pending.complete(cancel).await.expect_err("cancelled");
    assert_eq!(
        err.code(),
        ErrorCode::Cancelled,
        "Cancel in the UI or Ctrl-C ends the wait cleanly"
    );

    let _held: Vec<_> = it
        .config
        .redirect_ports
        .iter()
        .map(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).unwrap())
        .collect();
    let err = it
        .engine
        .begin_login(None)
        .await
        .err()
        .expect("all ports taken");
    assert!(
        err.to_string().contains("none of the redirect ports"),
        "the message says what to do: {err}"
    );
}

#[tokio::test]
async fn a_plain_openid_provider_without_xeros_extras_works_too() {
    // No authEventId on connections, no `scope` in token responses, and the RFC 9207 `iss`
    // parameter on the callback (checked against the configured issuer).
    let it = instance_with(
        tenantry_fake_xero::Options {
            plain_oidc: true,
            ..Default::default()
        },
        VaultKind::Memory,
    )
    .await;
    let first = it.connect(ANN).await;
    assert_eq!(
        first.added.len(),
        3,
        "without authEventId, the organisations new to us are the ones added"
    );
    assert!(
        first
            .organisations
            .iter()
            .all(|o| o.auth_event_id.is_none())
    );
    let tokens = it.vault.load(&first.login.id).unwrap().unwrap();
    assert!(
        tokens
            .scopes
            .contains(&"accounting.settings.read".to_string()),
        "without `scope`, the requested scopes are recorded"
    );
    let again = it.connect(ANN).await;
    assert!(
        again.added.is_empty(),
        "a second consent for the same organisations adds nothing new"
    );

    let pending = it.engine.begin_login(None).await.unwrap();
    let state = state_of(pending.authorize_url());
    let port = it.config.redirect_ports[0];
    let done = tokio::spawn(async move { pending.complete(CancellationToken::new()).await });
    let forged = http(
        port,
        format!(
            "GET /callback?code=x&state={state}&iss=https%3A%2F%2Fevil.example HTTP/1.1\r\n\r\n"
        )
        .as_bytes(),
    )
    .await;
    assert!(
        forged.starts_with("HTTP/1.1 400"),
        "a callback naming another issuer is refused: {forged}"
    );
    match done.await.unwrap() {
        Err(EngineError::Listen(ListenError::Callback(CallbackError::IssuerMismatch))) => {}
        other => panic!("an issuer mix-up must end the sign-in, got {other:?}"),
    }
}

#[tokio::test]
async fn slow_clients_cannot_block_the_real_callback_and_only_loopback_is_bound() {
    let it = instance().await;
    it.fake.approve_as(Some(ANN));
    let pending = it.engine.begin_login(None).await.unwrap();
    let bound = pending.listening_on();
    assert!(
        !bound.is_empty() && bound.iter().all(|a| a.ip().is_loopback()),
        "bound to loopback only, so the kernel refuses other machines: {bound:?}"
    );
    let port = it.config.redirect_ports[0];
    // Slow-loris: more connections than the listener serves at once (16), each sending half a
    // request and then nothing.
    let mut idle = Vec::new();
    for _ in 0..40 {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        stream.write_all(b"GET /callback?sta").await.unwrap();
        idle.push(stream);
    }
    let url = pending.authorize_url().clone();
    let done = tokio::spawn(async move { pending.complete(CancellationToken::new()).await });
    let started = std::time::Instant::now();
    let visit = tenantry_demo::browser::approve(&url)
        .await
        .expect("the browser gets through");
    assert_eq!(visit.status, 200);
    let outcome = done
        .await
        .unwrap()
        .expect("the real callback completes the sign-in");
    assert_eq!(outcome.login.email, ANN);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "idle connections did not hold the real one up (each may wait 5 s)"
    );
    drop(idle);
}

#[tokio::test]
async fn a_clock_far_off_the_servers_is_named_when_it_breaks_a_sign_in() {
    let it = instance().await;
    it.fake.approve_as(Some(ANN));
    it.clock.advance(chrono::Duration::minutes(20)); // this computer's clock runs 20 minutes fast
    let pending = it.engine.begin_login(None).await.unwrap();
    let url = pending.authorize_url().clone();
    let done = tokio::spawn(async move { pending.complete(CancellationToken::new()).await });
    tenantry_demo::browser::approve(&url).await.unwrap();
    let err = done
        .await
        .unwrap()
        .expect_err("the id_token looks expired to a fast clock");
    assert!(
        err.to_string().contains("check the computer's clock"),
        "the message names the cause: {err}"
    );
    assert!(
        it.engine.logins().await.unwrap().is_empty(),
        "nothing was stored from an unverified sign-in"
    );
}
