//! id_token verification: only a token signed by the issuer's key, for this app, unexpired and
//! carrying this sign-in's nonce identifies a login.

use crate::util::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde_json::json;
use tenantry_core::secret::Secret;
use tenantry_core::xero::{XeroClient, XeroError};
use tenantry_fake_xero::signing;

fn claims(it: &Instance) -> serde_json::Value {
    let now = Utc::now().timestamp();
    json!({
        "iss": it.fake.url().as_str().trim_end_matches('/'), "aud": CLIENT_ID, "exp": now + 300, "iat": now,
        "sub": "abc", "xero_userid": "1c3d2a6e-8a3b-4f0e-9d8c-000000000a11", "email": ANN, "nonce": "n-1",
    })
}

#[tokio::test]
async fn forgeries_are_rejected_and_the_genuine_token_passes() {
    let it = instance().await;
    let client = XeroClient::new(it.config.xero.clone(), CLIENT_ID);
    let verify = |token: String| {
        let client = &client;
        async move {
            client
                .verify_id_token(&Secret::new(token), Some("n-1"), Utc::now())
                .await
        }
    };
    let good = claims(&it);
    let ok = verify(signing::sign(&good))
        .await
        .expect("a genuine id_token verifies");
    assert_eq!(
        ok.user_id(),
        "1c3d2a6e-8a3b-4f0e-9d8c-000000000a11",
        "the login is keyed by xero_userid"
    );

    let with = |key: &str, value: serde_json::Value| {
        let mut c = good.clone();
        c[key] = value;
        c
    };
    let header_none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(good.to_string());
    let header_hs = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","kid":"fake-xero-1"}"#);
    let cases: Vec<(&str, String)> = vec![
        ("bad signature", signing::sign_rogue(&good, signing::KEY_ID)),
        (
            "unknown key id",
            signing::sign_rogue(&good, signing::ROGUE_KEY_ID),
        ),
        ("alg none", format!("{header_none}.{payload}.")),
        (
            "alg HS256 (key confusion)",
            format!("{header_hs}.{payload}.c2ln"),
        ),
        (
            "wrong issuer",
            signing::sign(&with("iss", json!("https://evil.example"))),
        ),
        (
            "wrong audience",
            signing::sign(&with("aud", json!("ANOTHER-APP"))),
        ),
        (
            "expired",
            signing::sign(&with("exp", json!(Utc::now().timestamp() - 600))),
        ),
        ("wrong nonce", signing::sign(&with("nonce", json!("n-2")))),
        (
            "no nonce",
            signing::sign(&{
                let mut c = good.clone();
                c.as_object_mut().unwrap().remove("nonce");
                c
            }),
        ),
        ("not a JWT", "hello".to_string()),
    ];
    for (what, token) in cases {
        match verify(token).await {
            Err(XeroError::InvalidIdToken(_)) => {}
            other => panic!("{what}: must be rejected as an invalid id_token, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_key_set_is_cached_expires_after_a_day_and_unknown_keys_cannot_hammer_it() {
    let it = instance().await;
    let client = XeroClient::new(it.config.xero.clone(), CLIENT_ID);
    let mut lasting = claims(&it);
    lasting["exp"] = json!(Utc::now().timestamp() + 3 * 24 * 3600);
    let good = signing::sign(&lasting);
    let unknown = signing::sign_rogue(&lasting, signing::ROGUE_KEY_ID);
    let now = Utc::now();
    let verify = |token: &str, at| {
        let client = &client;
        let token = Secret::new(token);
        async move { client.verify_id_token(&token, Some("n-1"), at).await }
    };
    verify(&good, now)
        .await
        .expect("a genuine id_token verifies");
    verify(&good, now).await.expect("and again");
    assert_eq!(
        it.fake.jwks_fetches(),
        1,
        "the key set is fetched once and kept"
    );
    for _ in 0..5 {
        assert!(
            verify(&unknown, now).await.is_err(),
            "an unknown key never verifies"
        );
    }
    assert_eq!(
        it.fake.jwks_fetches(),
        1,
        "made-up key ids right after a fetch make no request: they cannot hammer Xero"
    );
    let later = now + chrono::Duration::seconds(61);
    assert!(verify(&unknown, later).await.is_err());
    assert_eq!(
        it.fake.jwks_fetches(),
        2,
        "a minute on, an unknown key id may be a rotation at Xero: fetched once more"
    );
    let tomorrow = now + chrono::Duration::hours(25);
    verify(&good, tomorrow)
        .await
        .expect("the genuine key is still published");
    assert_eq!(
        it.fake.jwks_fetches(),
        3,
        "a day-old key set has expired: a key Xero withdrew is not trusted forever"
    );
}
