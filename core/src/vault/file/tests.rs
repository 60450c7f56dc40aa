use super::*;
use chrono::{TimeZone, Utc};

fn tokens(refresh: &str) -> TokenSet {
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    TokenSet {
        access_token: Secret::new("access-1"),
        refresh_token: Secret::new(refresh),
        id_token: None,
        issued_at: at,
        expires_at: at + chrono::Duration::minutes(30),
        scopes: vec!["offline_access".into()],
        refresh_issued_at: at,
    }
}

fn ann() -> LoginId {
    LoginId::new("1c3d2a6e-8a3b-4f0e-9d8c-000000000a11").unwrap()
}

fn pass(p: &str) -> Secret {
    Secret::new(p)
}

/// Every file in the vault, with its bytes: a failed call must leave them as they were.
fn snapshot(dir: &Path) -> Vec<(std::ffi::OsString, Vec<u8>)> {
    let mut all: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name(), std::fs::read(e.path()).unwrap())
        })
        .collect();
    all.sort();
    all
}

#[test]
fn a_token_set_survives_a_new_process_with_the_same_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let vault = FileVault::open(dir.path(), &pass("correct horse")).unwrap();
    assert_eq!(
        vault.load(&ann()).unwrap(),
        None,
        "a missing entry is None, as the port says"
    );
    vault.store(&ann(), &tokens("r1")).unwrap();
    vault.store(&ann(), &tokens("r2")).unwrap();
    // Another process: it has only the files and the passphrase.
    let again = FileVault::open(dir.path(), &pass("correct horse")).unwrap();
    let loaded = again.load(&ann()).unwrap().expect("stored");
    assert_eq!(
        loaded.refresh_token.expose(),
        "r2",
        "the last write wins, whole"
    );
    let names: Vec<_> = snapshot(dir.path()).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["1c3d2a6e-8a3b-4f0e-9d8c-000000000a11.age", "identity.age"],
        "no temporary file is left behind"
    );
    again.delete(&ann()).unwrap();
    again.delete(&ann()).unwrap(); // deleting a missing entry succeeds, as the port says
    assert_eq!(again.load(&ann()).unwrap(), None);
}

#[test]
fn no_token_is_in_the_files_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let vault = FileVault::open(dir.path(), &pass("correct horse")).unwrap();
    vault
        .store(&ann(), &tokens("refresh-token-in-the-clear"))
        .unwrap();
    for (name, bytes) in snapshot(dir.path()) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("refresh-token-in-the-clear") && !text.contains("access-1"),
            "{name:?} holds a token readably"
        );
        assert!(
            !text.contains("AGE-SECRET-KEY"),
            "{name:?} holds the key unencrypted"
        );
    }
}

#[test]
fn a_wrong_passphrase_is_said_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let vault = FileVault::open(dir.path(), &pass("correct horse")).unwrap();
    vault.store(&ann(), &tokens("r1")).unwrap();
    let before = snapshot(dir.path());
    let wrong = FileVault::open(dir.path(), &pass("battery staple"));
    assert!(
        matches!(wrong, Err(VaultError::WrongPassphrase(_))),
        "the caller must tell the user the passphrase is wrong, not that the vault is damaged"
    );
    assert_eq!(
        snapshot(dir.path()),
        before,
        "a wrong passphrase must not touch the vault"
    );
}

#[test]
fn a_damaged_login_file_is_that_login_only() {
    let dir = tempfile::tempdir().unwrap();
    let vault = FileVault::open(dir.path(), &pass("p")).unwrap();
    let ben = LoginId::new("ben").unwrap();
    vault.store(&ann(), &tokens("r-ann")).unwrap();
    vault.store(&ben, &tokens("r-ben")).unwrap();
    let file = dir.path().join(file_name(&ann()));
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();
    assert!(
        matches!(vault.load(&ann()), Err(VaultError::Corrupt(_))),
        "a damaged entry is Corrupt: reconnecting that login replaces it"
    );
    assert_eq!(
        vault.load(&ben).unwrap().unwrap().refresh_token.expose(),
        "r-ben"
    );
    vault.store(&ann(), &tokens("r-new")).unwrap();
    assert_eq!(
        vault.load(&ann()).unwrap().unwrap().refresh_token.expose(),
        "r-new"
    );
}

#[test]
fn a_damaged_key_file_is_not_taken_for_a_wrong_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    FileVault::open(dir.path(), &pass("p")).unwrap();
    std::fs::write(dir.path().join("identity.age"), b"not an age file").unwrap();
    assert!(
        matches!(
            FileVault::open(dir.path(), &pass("p")),
            Err(VaultError::KeyFileDamaged(_))
        ),
        "retyping the passphrase would not help: the message must say the file is damaged"
    );
}

#[cfg(unix)]
#[test]
fn the_vault_is_its_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path().join("vault");
    let vault = FileVault::open(&at, &pass("p")).unwrap();
    vault.store(&ann(), &tokens("r")).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&at), 0o700, "the directory lists the user's logins");
    for (name, _) in snapshot(&at) {
        assert_eq!(mode(&at.join(&name)), 0o600, "{name:?} is the owner's only");
    }
}

#[test]
fn vaults_started_at_once_agree_on_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let opened: Vec<FileVault> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| FileVault::open(&path, &pass("p")).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // Whatever one wrote, every other one (and a later process) can read.
    opened[0].store(&ann(), &tokens("r0")).unwrap();
    for vault in &opened[1..] {
        assert_eq!(
            vault.load(&ann()).unwrap().unwrap().refresh_token.expose(),
            "r0",
            "two processes starting a new vault must not each keep their own key"
        );
    }
}

#[test]
fn no_login_id_names_a_path_outside_the_vault() {
    let odd = LoginId::new("..%2e:evil*").unwrap();
    let name = file_name(&odd);
    assert!(name.starts_with("h-") && name.ends_with(".age"), "{name}");
    assert!(
        name[..name.len() - 4]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    );
    assert_eq!(
        file_name(&ann()),
        "1c3d2a6e-8a3b-4f0e-9d8c-000000000a11.age"
    );
}
