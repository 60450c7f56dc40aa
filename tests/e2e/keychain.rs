//! The OS keychain adapter against a real Secret Service (gnome-keyring in a private D-Bus
//! session, started by scripts/test.sh).

use crate::util::keyring_available;
use chrono::Utc;
use tenantry_core::model::LoginId;
use tenantry_core::secret::Secret;
use tenantry_core::token::TokenSet;
use tenantry_core::vault::{KeychainVault, TokenVault};

pub(crate) fn tokens(seed: &str) -> TokenSet {
    let now = Utc::now();
    TokenSet {
        access_token: Secret::new(format!("eyJ.access.{seed}.{}", "x".repeat(1400))),
        refresh_token: Secret::new(format!("refresh-{seed}")),
        id_token: Some(Secret::new(format!("eyJ.id.{seed}.{}", "y".repeat(1000)))),
        issued_at: now,
        expires_at: now + chrono::Duration::minutes(30),
        scopes: vec!["offline_access".into(), "openid".into()],
        refresh_issued_at: now,
    }
}

#[test]
fn the_keychain_adapter_keeps_one_entry_per_login_in_the_secret_service() {
    if !keyring_available("the_keychain_adapter_keeps_one_entry_per_login_in_the_secret_service") {
        return;
    }
    let service = format!("tenantry-test-{}", uuid::Uuid::new_v4().simple());
    let vault = KeychainVault::platform(&service);
    let (a, b) = (
        LoginId::new("user-a").unwrap(),
        LoginId::new("user-b").unwrap(),
    );
    assert_eq!(vault.load(&a).unwrap(), None, "a missing entry is None");
    let a_tokens = tokens("a");
    vault.store(&a, &a_tokens).unwrap();
    vault.store(&b, &tokens("b")).unwrap();
    assert_eq!(
        vault.load(&a).unwrap().as_ref(),
        Some(&a_tokens),
        "what is stored reads back exactly"
    );
    assert_eq!(
        vault.load(&b).unwrap().unwrap().refresh_token.expose(),
        "refresh-b",
        "each login has its own entry"
    );

    // The entry really is in the Secret Service, where other tools can see it.
    if let Ok(out) = std::process::Command::new("secret-tool")
        .args(["lookup", "service", &service, "username", "user-a"])
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("refresh-a"),
            "secret-tool finds the record under service={service} username=user-a"
        );
    }
    vault.delete(&a).unwrap();
    vault.delete(&a).expect("delete is idempotent");
    assert_eq!(vault.load(&a).unwrap(), None);
    vault.delete(&b).unwrap();
    let other = KeychainVault::platform("tenantry-test-other-service");
    assert_eq!(
        other.load(&b).unwrap(),
        None,
        "the service name isolates test entries from real ones"
    );
}

#[test]
fn chunked_records_round_trip_through_the_secret_service() {
    if !keyring_available("chunked_records_round_trip_through_the_secret_service") {
        return;
    }
    let service = format!("tenantry-test-{}", uuid::Uuid::new_v4().simple());
    // Windows' limit, forced here so the layout Windows needs is exercised against a real store.
    let vault = KeychainVault::platform_with_limit(&service, 1200);
    let login = LoginId::new("user-c").unwrap();
    let first = tokens("c1");
    vault.store(&login, &first).unwrap();
    assert_eq!(
        vault.load(&login).unwrap().as_ref(),
        Some(&first),
        "a 3 KB record survives being split"
    );
    let second = tokens("c2");
    vault.store(&login, &second).unwrap();
    assert_eq!(
        vault.load(&login).unwrap().as_ref(),
        Some(&second),
        "rewriting replaces it"
    );
    vault.delete(&login).unwrap();
    let out = std::process::Command::new("secret-tool")
        .args(["search", "--all", "service", &service])
        .output();
    if let Ok(out) = out {
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("user-c"),
            "delete removes every chunk"
        );
    }
}
