//! The Xero client's exact requests, and how it classifies each kind of failure.

use crate::util::*;
use tenantry_core::secret::Secret;
use tenantry_core::xero::{XeroClient, XeroError};
use tenantry_fake_xero::Fault;

/// The form's field names, sorted: a form's order carries no meaning, its set of fields does.
fn keys(form: &[(String, String)]) -> Vec<&str> {
    let mut keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    keys
}

/// A form field's value.
fn field<'a>(form: &'a [(String, String)], key: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

#[tokio::test]
async fn token_requests_carry_exactly_the_pkce_fields_and_no_secret() {
    let it = instance().await;
    let outcome = it.connect(ANN).await;
    let exchange = &it.fake.recorded("/connect/token")[0];
    assert_eq!(
        keys(&exchange.form),
        [
            "client_id",
            "code",
            "code_verifier",
            "grant_type",
            "redirect_uri",
        ],
        "a PKCE code exchange sends these fields and nothing else (FACTS §1.5)"
    );
    assert_eq!(field(&exchange.form, "grant_type"), "authorization_code");
    assert_eq!(field(&exchange.form, "client_id"), CLIENT_ID);
    assert_eq!(
        field(&exchange.form, "redirect_uri"),
        format!("http://localhost:{}/callback", it.config.redirect_ports[0]),
        "the redirect URI must equal the registered one"
    );
    assert_eq!(
        field(&exchange.form, "code_verifier").len(),
        43,
        "the verifier is 32 random bytes in base64url"
    );
    assert_eq!(
        exchange.authorization, None,
        "a PKCE app has no secret, so no Authorization header"
    );

    it.engine
        .refresh_login(&outcome.login.id)
        .await
        .expect("refresh");
    let refresh = &it.fake.recorded("/connect/token")[1];
    assert_eq!(
        keys(&refresh.form),
        ["client_id", "grant_type", "refresh_token"],
        "a PKCE refresh sends exactly these"
    );
    assert_eq!(field(&refresh.form, "grant_type"), "refresh_token");
    assert_eq!(refresh.authorization, None);

    it.engine
        .remove_login(&outcome.login.id)
        .await
        .expect("remove");
    let revoke = &it.fake.recorded("/connect/revocation")[0];
    assert_eq!(
        keys(&revoke.form),
        ["client_id", "token", "token_type_hint"],
        "revocation posts the refresh token and client id"
    );
    assert_eq!(field(&revoke.form, "token_type_hint"), "refresh_token");
}

#[tokio::test]
async fn failures_are_classified_by_what_the_caller_does_next() {
    let it = instance().await;
    let client = XeroClient::new(it.config.xero.clone(), CLIENT_ID);
    let bogus = Secret::new("not-a-refresh-token");
    assert_eq!(
        client.refresh(&bogus).await.err(),
        Some(XeroError::NeedsReconnect),
        "invalid_grant means a human must sign in"
    );

    for (fault, what) in [
        (Fault::ServerError, "500"),
        (Fault::Html, "an HTML page"),
        (Fault::MalformedJson, "truncated JSON"),
    ] {
        it.fake.inject(fault, 1);
        let err = client.refresh(&bogus).await.expect_err(what);
        assert!(
            matches!(err, XeroError::Transient(_)),
            "{what} from the token endpoint is transient, got {err:?}"
        );
    }
    it.fake.inject(Fault::RateLimited, 1);
    match client.refresh(&bogus).await {
        Err(XeroError::RateLimited {
            retry_after,
            problem,
        }) => {
            assert_eq!(retry_after.as_secs(), 30, "Retry-After is honoured");
            assert_eq!(
                problem.as_deref(),
                Some("minute"),
                "X-Rate-Limit-Problem is passed on"
            );
        }
        other => panic!("429 must be RateLimited, got {other:?}"),
    }

    let stranger = XeroClient::new(it.config.xero.clone(), "SOMEONE-ELSE");
    assert_eq!(
        stranger.refresh(&bogus).await.err(),
        Some(XeroError::ClientRejected),
        "a wrong client id is a configuration problem"
    );

    let unauthorised = client
        .connections(&Secret::new("garbage"), None)
        .await
        .expect_err("garbage token");
    assert!(
        matches!(unauthorised, XeroError::Unauthorized(_)),
        "a bad access token is 401, got {unauthorised:?}"
    );

    let mut closed = it.config.xero.clone();
    let port = free_ports()[0];
    closed.token_url = format!("http://127.0.0.1:{port}/connect/token")
        .parse()
        .unwrap();
    let err = XeroClient::new(closed, CLIENT_ID)
        .refresh(&bogus)
        .await
        .expect_err("nothing listens there");
    assert!(
        err.is_transient(),
        "an unreachable server is transient, got {err:?}"
    );
    assert!(
        !err.to_string().contains("not-a-refresh-token"),
        "errors never quote the token"
    );
}

#[tokio::test]
async fn organisation_calls_report_gone_connections_and_rate_limits() {
    let it = instance().await;
    let outcome = it.connect(ANN).await;
    let client = XeroClient::new(it.config.xero.clone(), CLIENT_ID);
    let tokens = it.vault.load(&outcome.login.id).unwrap().unwrap();
    let kiwi = it.tenant("Kiwi Plumbing");
    let info = client
        .organisation(&tokens.access_token, &kiwi)
        .await
        .expect("a connected tenant answers");
    assert_eq!(info.name, "Kiwi Plumbing");
    let bens = it.tenant("Ben's Practice");
    assert_eq!(
        client.organisation(&tokens.access_token, &bens).await.err(),
        Some(XeroError::ConnectionGone),
        "403 AuthenticationUnsuccessful for a tenant this user has not connected"
    );
    let mut limited = None;
    for _ in 0..70 {
        if let Err(e) = client.organisation(&tokens.access_token, &kiwi).await {
            limited = Some(e);
            break;
        }
    }
    match limited {
        Some(XeroError::RateLimited {
            retry_after,
            problem,
        }) => {
            assert_eq!(
                problem.as_deref(),
                Some("minute"),
                "the 61st call in a minute hits the minute limit"
            );
            assert!(
                retry_after.as_secs() >= 1 && retry_after.as_secs() <= 60,
                "Retry-After says when the window resets"
            );
        }
        other => panic!("Xero allows 60 calls a minute per tenant, then 429; got {other:?}"),
    }
}

#[tokio::test]
async fn the_fake_enforces_five_concurrent_calls_per_tenant() {
    let options = tenantry_fake_xero::Options {
        api_latency: std::time::Duration::from_millis(300),
        ..Default::default()
    };
    let it = instance_with(options, VaultKind::Memory).await;
    let outcome = it.connect(ANN).await;
    let tokens = it.vault.load(&outcome.login.id).unwrap().unwrap();
    let kiwi = it.tenant("Kiwi Plumbing");
    let client = std::sync::Arc::new(XeroClient::new(it.config.xero.clone(), CLIENT_ID));
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let (client, token, tenant) =
                (client.clone(), tokens.access_token.clone(), kiwi.clone());
            tokio::spawn(async move { client.organisation(&token, &tenant).await })
        })
        .collect();
    let mut limited = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => {}
            Err(XeroError::RateLimited { problem, .. }) => {
                assert_eq!(
                    problem.as_deref(),
                    Some("concurrent"),
                    "the concurrent limit names itself"
                );
                limited += 1;
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        limited, 3,
        "Xero allows 5 calls in progress per tenant; the 3 beyond that get 429"
    );
}
