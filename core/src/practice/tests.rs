//! Membership against the suite's real PostgreSQL server: each machine is its own vault and
//! configuration over one scratch schema.

use super::*;
use crate::model::LoginId;
use crate::secret::Secret;
use crate::store::postgres::Scratch;
use crate::token::TokenSet;
use crate::vault::{MemoryVault, SealedVault};

fn machine(scratch: &Scratch, name: &str) -> (Config, MemoryVault) {
    let config = Config {
        database_url: Some(scratch.url().to_owned()),
        person_name: Some(format!("{name}-person")),
        machine_name: Some(name.to_uppercase()),
        ..Config::default()
    };
    (config, MemoryVault::new())
}

/// Makes every join code `by` older, as if made that long ago by the database's clock.
fn age_codes(scratch: &Scratch, by: Duration) {
    let ms = by.num_milliseconds();
    scratch
        .behind_the_store()
        .execute(
            "UPDATE join_codes SET created_at = created_at - $1, expires_at = expires_at - $1",
            &[&ms],
        )
        .unwrap();
}

fn now() -> DateTime<Utc> {
    "2026-12-03T09:00:00Z".parse().unwrap()
}

fn tokens(seed: &str) -> TokenSet {
    let at = now();
    TokenSet {
        access_token: Secret::new(format!("access-{seed}")),
        refresh_token: Secret::new(format!("refresh-{seed}")),
        id_token: None,
        issued_at: at,
        expires_at: at + Duration::minutes(30),
        scopes: vec!["offline_access".into()],
        refresh_issued_at: at,
    }
}

#[test]
fn a_second_machine_joins_with_a_code_and_reads_what_the_first_sealed() {
    let scratch = Scratch::new("practice_join");
    let (config_a, vault_a) = machine(&scratch, "desk-a");
    let (config_b, vault_b) = machine(&scratch, "desk-b");

    assert!(
        matches!(
            open(&config_b, &vault_b, now()),
            Err(PracticeError::NotInitialised { .. })
        ),
        "before init there is no practice to open"
    );
    let a = init(&config_a, &vault_a, now()).unwrap();
    assert!(
        matches!(
            init(&config_b, &vault_b, now()),
            Err(PracticeError::AlreadyInitialised { .. })
        ),
        "a second init must not replace the practice (and its key) under the first machine"
    );
    assert!(
        matches!(
            open(&config_b, &vault_b, now()),
            Err(PracticeError::NotJoined { .. })
        ),
        "a machine without the key is told to join, and reads nothing"
    );

    let login = LoginId::new("ann").unwrap();
    SealedVault::new(a.store.clone(), a.key.clone())
        .store(&login, &tokens("one"))
        .unwrap();

    let asked = Utc::now();
    let (code, expires_at) = invite(&a).unwrap();
    let lifetime = expires_at - asked;
    assert!(
        lifetime > Duration::hours(24) - Duration::minutes(1)
            && lifetime <= Duration::hours(24) + Duration::minutes(1),
        "codes work for 24 hours from now by the database's clock: {lifetime}"
    );
    let b = join(&config_b, &vault_b, &code.display().to_lowercase(), now()).unwrap();
    assert_eq!(
        b.key.id(),
        a.key.id(),
        "the joined machine holds the practice's key"
    );
    let read = SealedVault::new(b.store.clone(), b.key.clone())
        .load(&login)
        .unwrap();
    assert_eq!(
        read.map(|t| t.refresh_token),
        Some(Secret::new("refresh-one")),
        "what one machine sealed, another member opens"
    );
    assert!(
        open(&config_b, &vault_b, now()).is_ok(),
        "and it opens the practice from now on"
    );

    let people: Vec<(String, String)> = members(&a)
        .unwrap()
        .into_iter()
        .map(|m| (m.person, m.machine))
        .collect();
    assert_eq!(
        people,
        [
            ("desk-a-person".to_owned(), "DESK-A".to_owned()),
            ("desk-b-person".to_owned(), "DESK-B".to_owned())
        ],
        "both machines are members, named as their configuration says"
    );
}

#[test]
fn a_join_code_works_once_and_only_for_a_day() {
    let scratch = Scratch::new("practice_codes");
    let (config_a, vault_a) = machine(&scratch, "desk-a");
    let (config_b, vault_b) = machine(&scratch, "desk-b");
    let (config_c, vault_c) = machine(&scratch, "desk-c");
    let a = init(&config_a, &vault_a, now()).unwrap();

    let (code, _) = invite(&a).unwrap();
    join(&config_b, &vault_b, &code.display(), now()).unwrap();
    match join(&config_c, &vault_c, &code.display(), now()) {
        Err(PracticeError::CodeUsed { by }) => assert_eq!(
            by, "desk-b-person on DESK-B",
            "a reused code is refused, naming who used it"
        ),
        other => panic!("a used code must be refused, got {:?}", other.err()),
    }

    // 48 hours old by the database's clock, while this process's clock (`now()`, days before
    // the code was made) says it is fresh: the server's clock decides.
    let (late, _) = invite(&a).unwrap();
    age_codes(&scratch, Duration::hours(48));
    assert!(
        matches!(
            join(&config_c, &vault_c, &late.display(), now()),
            Err(PracticeError::CodeExpired)
        ),
        "a code older than 24 hours is refused, whatever the joining machine's clock says"
    );
    assert!(
        matches!(
            join(&config_c, &vault_c, &late.display(), now()),
            Err(PracticeError::CodeUnknown { .. })
        ),
        "and deleted: it is gone from the database"
    );
    assert!(
        matches!(
            join(&config_c, &vault_c, &JoinCode::generate().display(), now()),
            Err(PracticeError::CodeUnknown { .. })
        ),
        "a code the practice never made is refused"
    );
    assert!(
        matches!(
            join(&config_c, &vault_c, "12345", now()),
            Err(PracticeError::CodeMistyped)
        ),
        "something that cannot be a code is refused before the database is asked"
    );
    assert!(
        matches!(
            open(&config_c, &vault_c, now()),
            Err(PracticeError::NotJoined { .. })
        ),
        "no refused code left the machine with a key"
    );
}

#[test]
fn a_wrong_practice_key_opens_nothing_and_changes_nothing() {
    let scratch = Scratch::new("practice_wrong_key");
    let (config_a, vault_a) = machine(&scratch, "desk-a");
    let (config_b, vault_b) = machine(&scratch, "desk-b");
    let a = init(&config_a, &vault_a, now()).unwrap();
    let login = LoginId::new("ann").unwrap();
    let sealed = SealedVault::new(a.store.clone(), a.key.clone());
    sealed.store(&login, &tokens("one")).unwrap();

    // Machine B holds some other key under the practice's entry (another practice's, or stale).
    let stranger = PracticeKey::generate();
    named::store(
        &vault_b,
        &key_entry(&a.key.id()),
        &Secret::new(stranger.to_text().to_string()),
    )
    .unwrap();
    assert!(
        matches!(
            open(&config_b, &vault_b, now()),
            Err(PracticeError::WrongKey { .. })
        ),
        "a machine whose key is not the practice's is stopped before it reads or writes"
    );
    let wrong = SealedVault::new(a.store.clone(), stranger);
    assert!(
        matches!(wrong.load(&login), Err(VaultError::WrongPracticeKey(_))),
        "a token set sealed under another key is refused, not decrypted into garbage"
    );
    assert_eq!(
        sealed.load(&login).unwrap().map(|t| t.refresh_token),
        Some(Secret::new("refresh-one")),
        "and the token set is untouched"
    );

    let raw = a.store.sealed_tokens(&login).unwrap().expect("a row").1;
    let other = LoginId::new("bob").unwrap();
    a.store
        .keep_sealed_tokens(&other, &a.key.id(), &raw, now())
        .unwrap();
    assert!(
        matches!(sealed.load(&other), Err(VaultError::Corrupt(_))),
        "a row copied onto another login does not open as that login's tokens"
    );
    assert!(
        !raw.windows(b"refresh-one".len())
            .any(|w| w == b"refresh-one"),
        "the database holds only ciphertext"
    );
}

#[test]
fn a_rotated_key_reseals_everything_and_old_holders_must_join_again() {
    let scratch = Scratch::new("practice_rotate");
    let (config_a, vault_a) = machine(&scratch, "desk-a");
    let (config_b, vault_b) = machine(&scratch, "desk-b");
    let a = init(&config_a, &vault_a, now()).unwrap();
    let (code, _) = invite(&a).unwrap();
    let b = join(&config_b, &vault_b, &code.display(), now()).unwrap();
    let (ann, ben) = (LoginId::new("ann").unwrap(), LoginId::new("ben").unwrap());
    let old_vault = SealedVault::new(a.store.clone(), a.key.clone());
    old_vault.store(&ann, &tokens("ann")).unwrap();
    old_vault.store(&ben, &tokens("ben")).unwrap();
    let (unused, _) = invite(&a).unwrap();

    let (rotated, resealed) = rotate_key(&a, &vault_a, now()).unwrap();
    assert_eq!(resealed, 2, "every token set is re-sealed");
    assert_ne!(rotated.key.id(), a.key.id(), "under a new key");
    let new_vault = SealedVault::new(rotated.store.clone(), rotated.key.clone());
    let members = members(&rotated).unwrap();
    let rejoin = |who: &Identity| {
        let member = members.iter().find(|m| m.is(who)).expect("a member");
        member.must_rejoin(&rotated.key.id())
    };
    assert!(
        !rejoin(&rotated.identity) && rejoin(&b.identity),
        "the members list marks the machine still on the old key, and only it"
    );
    assert_eq!(
        new_vault.load(&ben).unwrap().map(|t| t.refresh_token),
        Some(Secret::new("refresh-ben")),
        "the re-sealed token sets open under the new key, unchanged"
    );
    assert!(
        open(&config_a, &vault_a, now()).is_ok(),
        "the rotating machine holds the new key"
    );
    assert_eq!(
        named::load(&vault_a, &key_entry(&a.key.id())).unwrap(),
        None,
        "and no longer keeps the old one"
    );
    assert!(
        matches!(
            open(&config_b, &vault_b, now()),
            Err(PracticeError::WrongKey { .. })
        ),
        "a member still holding the old key is told to join again"
    );
    assert!(
        matches!(
            SealedVault::new(b.store.clone(), b.key.clone()).store(&ann, &tokens("stale")),
            Err(VaultError::WrongPracticeKey(_))
        ),
        "a machine with the old key cannot write a token set nobody else could open"
    );
    assert_eq!(
        new_vault.load(&ann).unwrap().map(|t| t.refresh_token),
        Some(Secret::new("refresh-ann")),
        "and the refused write changed nothing"
    );
    assert!(
        matches!(
            join(&config_b, &vault_b, &unused.display(), now()),
            Err(PracticeError::CodeUnknown { .. })
        ),
        "a code made under the old key died with it"
    );
    let (fresh, _) = invite(&rotated).unwrap();
    join(&config_b, &vault_b, &fresh.display(), now()).unwrap();
    assert!(
        open(&config_b, &vault_b, now()).is_ok(),
        "a new code lets it back in"
    );
}

#[test]
fn a_rotation_waits_for_a_refresh_in_flight_on_another_machine() {
    let scratch = Scratch::new("practice_rotate_lock");
    let (config_a, vault_a) = machine(&scratch, "desk-a");
    let a = init(&config_a, &vault_a, now()).unwrap();
    let ann = LoginId::new("ann").unwrap();
    SealedVault::new(a.store.clone(), a.key.clone())
        .store(&ann, &tokens("ann"))
        .unwrap();
    let other = crate::store::postgres::PostgresStore::connect(scratch.url()).unwrap();
    let refreshing = other
        .lock_login(&ann, std::time::Duration::from_secs(5))
        .unwrap();
    let outcome = a.store.reseal_all(
        &a.key.id(),
        "next",
        b"check",
        std::time::Duration::from_millis(300),
        &|_, sealed| Some(sealed.to_vec()),
        ("p", "m"),
        now(),
    );
    assert!(
        matches!(outcome, Err(StoreError::Busy)),
        "a login being refreshed elsewhere is not re-sealed under it: the rotation waits, then gives up"
    );
    assert!(
        open(&config_a, &vault_a, now()).is_ok(),
        "and nothing changed"
    );
    drop(refreshing);
}

#[test]
fn being_seen_again_within_the_minute_writes_nothing() {
    let scratch = Scratch::new("practice_seen");
    let (config, vault) = machine(&scratch, "desk-a");
    let a = init(&config, &vault, now()).unwrap();
    let counter = || crate::store::Store::data_version(a.store.as_ref()).unwrap();
    let before = counter();
    open(&config, &vault, now() + Duration::seconds(20)).unwrap();
    assert_eq!(
        counter(),
        before,
        "every `tenantry token` opens the practice: that alone must not look like a change to every window"
    );
    open(&config, &vault, now() + Duration::minutes(2)).unwrap();
    assert_eq!(
        members(&a).unwrap()[0].last_seen_at,
        now() + Duration::minutes(2),
        "a minute later, last seen moves on"
    );
    assert_ne!(counter(), before, "and that is a change");
}

#[test]
fn a_login_kept_while_a_rotation_is_open_ends_under_the_new_key_or_is_refused() {
    let scratch = Scratch::new("practice_rotate_race");
    let (config_a, vault_a) = machine(&scratch, "desk-a");
    let a = init(&config_a, &vault_a, now()).unwrap();
    let (ann, ben) = (LoginId::new("ann").unwrap(), LoginId::new("ben").unwrap());
    SealedVault::new(a.store.clone(), a.key.clone())
        .store(&ann, &tokens("ann"))
        .unwrap();
    // Another machine, still holding the key the rotation replaces, connects Ben meanwhile.
    let other = Arc::new(PostgresStore::connect(scratch.url()).unwrap());
    let connecting = SealedVault::new(other, a.key.clone());
    let new = PracticeKey::generate();
    let (inside, rotation_open) = std::sync::mpsc::channel();
    let (go, released) = std::sync::mpsc::channel::<()>();
    let (a, new) = (&a, &new);
    let (rotated, kept) = std::thread::scope(|s| {
        let rotation = s.spawn(move || {
            let reseal = |login: &LoginId, sealed: &[u8]| {
                // Held open inside the rotation's transaction until the test says go.
                let _ = inside.send(());
                released.recv().ok()?;
                let plain = a.key.open(sealed, login.as_str().as_bytes()).ok()?;
                Some(new.seal(&plain, login.as_str().as_bytes()))
            };
            a.store.reseal_all(
                &a.key.id(),
                &new.id(),
                &new.seal(KEY_CHECK, a.practice_id.as_bytes()),
                std::time::Duration::from_secs(10),
                &reseal,
                ("p", "m"),
                now(),
            )
        });
        rotation_open.recv().unwrap();
        let ben_kept = s.spawn(|| connecting.store(&ben, &tokens("ben")));
        std::thread::sleep(std::time::Duration::from_millis(500));
        go.send(()).unwrap();
        (rotation.join().unwrap(), ben_kept.join().unwrap())
    });
    assert!(
        matches!(rotated, Ok(Some(Ok(1)))),
        "the rotation re-sealed Ann's set: {rotated:?}"
    );
    assert!(
        matches!(kept, Err(VaultError::WrongPracticeKey(_))),
        "Ben's set, kept under the old key while the rotation was open, is refused (the machine \
         must join again), not written where nobody could open it: {:?}",
        kept.err()
    );
    let rows = scratch
        .behind_the_store()
        .query("SELECT login_id, key_id FROM sealed_tokens", &[])
        .unwrap();
    for row in rows {
        let (login, key_id): (String, String) = (row.get(0), row.get(1));
        assert_eq!(
            key_id,
            new.id(),
            "{login}'s token set is sealed under the practice's new key"
        );
    }
}
