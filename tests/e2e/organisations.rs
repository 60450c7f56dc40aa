//! Organisations: the one reachable through two logins, disconnecting one, testing one, and
//! removing a login.

use crate::util::*;
use chrono::Duration;
use tenantry_core::ErrorCode;
use tenantry_core::model::EventKind;
use tenantry_core::xero::access_claims;
use tenantry_fake_xero::SHARED_TENANT;

#[tokio::test]
async fn a_shared_organisation_uses_a_healthy_login_and_never_mixes_tokens() {
    let it = instance().await;
    let ann = it.connect(ANN).await.login;
    let ben = it.connect(BEN).await.login;
    let rows: Vec<_> = it
        .engine
        .organisations()
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.tenant_id == SHARED_TENANT)
        .collect();
    assert_eq!(
        rows.len(),
        2,
        "the shared organisation is listed once per login that reaches it"
    );
    let grant = it.engine.access_token_for(SHARED_TENANT).await.unwrap();
    let holder = access_claims(grant.access_token.expose())
        .unwrap()
        .xero_userid
        .unwrap();
    assert_eq!(
        holder,
        grant.login_id.as_str(),
        "the token handed out belongs to the login reported"
    );

    // Ann's grant is revoked at Xero; her next refresh fails and Ben's login takes over.
    it.fake.revoke_user(ANN);
    it.advance(Duration::minutes(31));
    let grant = it
        .engine
        .access_token_for(SHARED_TENANT)
        .await
        .expect("Ben still reaches it");
    assert_eq!(
        grant.login_id, ben.id,
        "a login that needs reconnecting is passed over"
    );
    assert_eq!(
        access_claims(grant.access_token.expose())
            .unwrap()
            .xero_userid
            .as_deref(),
        Some(ben.id.as_str())
    );
    assert_eq!(it.engine.resolve_login(ANN).await.unwrap().id, ann.id);
}

#[tokio::test]
async fn disconnecting_an_organisation_deletes_its_connection_at_xero() {
    let it = instance().await;
    let ann = it.connect(ANN).await.login;
    let harbour = it.tenant("Harbour Cafe Ltd");
    let org = it
        .engine
        .disconnect(&ann.id, &harbour)
        .await
        .expect("disconnect");
    assert_eq!(org.name, "Harbour Cafe Ltd");
    let remaining = it.fake.with(|w| w.connections_of(ann.id.as_str()));
    assert!(
        remaining.iter().all(|c| c.tenant_id != harbour),
        "DELETE /connections/{{id}} used the connection id"
    );
    assert_eq!(remaining.len(), 2, "the other connections stay");
    assert!(
        it.engine
            .organisations()
            .await
            .unwrap()
            .iter()
            .all(|o| o.tenant_id != harbour)
    );
    assert!(
        it.engine
            .events(Some(&ann.id), 10)
            .await
            .unwrap()
            .iter()
            .any(|e| e.kind == EventKind::Disconnected)
    );
    assert_eq!(
        it.engine
            .access_token_for(&harbour)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::UnknownOrganisation
    );
}

#[tokio::test]
async fn testing_an_organisation_reports_and_records_a_vanished_connection() {
    let it = instance().await;
    let ann = it.connect(ANN).await.login;
    let kiwi = it.tenant("Kiwi Plumbing");
    let info = it
        .engine
        .test_organisation(&kiwi)
        .await
        .expect("a live connection answers");
    assert_eq!(info.name, "Kiwi Plumbing");
    // Tenantry's own call is egress too: counted under its own name, the answer's bytes exactly
    // (as a plain GET of the same answer has them).
    let grant = it.engine.access_token_for(&kiwi).await.unwrap();
    let body = reqwest::Client::new()
        .get(format!(
            "{}api.xro/2.0/Organisation",
            it.config.xero.api_url.as_str()
        ))
        .bearer_auth(grant.access_token.expose())
        .header("xero-tenant-id", &kiwi)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let month = tenantry_core::usage::Month::of(it.engine.now());
    let usage = it.engine.usage(month).await.unwrap();
    let ours = usage
        .by_program
        .iter()
        .find(|line| line.key == tenantry_core::usage::TENANTRY_PROGRAM)
        .expect("Test connection's call is in the month's egress");
    assert_eq!(
        (ours.count.calls, ours.count.wire, ours.count.decoded),
        (1, body.len() as u64, body.len() as u64)
    );
    // The user removes the app from Kiwi Plumbing inside Xero.
    let conn = it.fake.with(|w| {
        w.connections_of(ann.id.as_str())
            .into_iter()
            .find(|c| c.tenant_id == kiwi)
            .unwrap()
    });
    it.fake
        .with(|w| w.delete_connection(ann.id.as_str(), &conn.id));
    let err = it
        .engine
        .test_organisation(&kiwi)
        .await
        .expect_err("the connection is gone");
    assert_eq!(err.code(), ErrorCode::ConnectionGone);
    let kept = it.engine.organisations().await.unwrap();
    let kept = kept
        .iter()
        .find(|o| o.tenant_id == kiwi)
        .expect("a disconnected organisation is never silently dropped from the list");
    assert!(
        kept.disconnected_at.is_some(),
        "the list is brought up to date: it is marked disconnected"
    );
    let again = it.engine.access_token_for(&kiwi).await.unwrap_err();
    assert_eq!(
        again.code(),
        ErrorCode::ConnectionGone,
        "no token is handed out for a connection Xero removed (its calls would answer 403): {again}"
    );
    assert!(
        again.to_string().contains("Kiwi Plumbing") && again.to_string().contains(ANN),
        "the error names the client and the login that reached it: {again}"
    );
    let events = it.engine.events(Some(&ann.id), 20).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == EventKind::OrganisationRemoved && e.detail.contains("Kiwi")),
        "the log answers 'why did this org drop?'"
    );
}

#[tokio::test]
async fn removing_a_login_revokes_it_at_xero_and_forgets_it_here() {
    let it = instance().await;
    let ann = it.connect(ANN).await.login;
    let old = it.vault.load(&ann.id).unwrap().unwrap();
    it.engine.remove_login(&ann.id).await.expect("remove");
    assert!(
        it.fake
            .with(|w| w.connections_of(ann.id.as_str()))
            .is_empty(),
        "revocation drops all of Ann's connections at Xero"
    );
    let client = tenantry_core::xero::XeroClient::new(it.config.xero.clone(), CLIENT_ID);
    assert!(
        client.refresh(&old.refresh_token).await.is_err(),
        "the revoked refresh token no longer works"
    );
    assert_eq!(
        it.vault.load(&ann.id).unwrap(),
        None,
        "the keychain entry is gone"
    );
    assert!(
        it.engine.logins().await.unwrap().is_empty()
            && it.engine.organisations().await.unwrap().is_empty()
    );
    assert!(
        it.engine
            .events(Some(&ann.id), 10)
            .await
            .unwrap()
            .iter()
            .any(|e| e.kind == EventKind::Removed),
        "the log keeps the history"
    );
    it.engine
        .remove_login(&ann.id)
        .await
        .expect("removing again is harmless");
}
