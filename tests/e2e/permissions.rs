//! Another local user cannot read a profile's data: the data directory (whoever creates it, the
//! engine or `tenantry doctor`), the database and its WAL and SHM files, and the lock files.
//! Checked as that other user: `scripts/test.sh` creates an unprivileged account and names it in
//! TENANTRY_PROBE_USER, since root reads everything and would prove nothing.

use crate::util::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// The unprivileged account to read as, if the suite made one (it needs root to switch to it).
fn probe_user(test: &str) -> Option<String> {
    match std::env::var("TENANTRY_PROBE_USER") {
        Ok(user) => Some(user),
        Err(_) if std::env::var_os("TENANTRY_REQUIRE_KEYRING").is_some() => {
            panic!("{test}: scripts/test.sh must create an unprivileged user (TENANTRY_PROBE_USER)")
        }
        Err(_) => {
            eprintln!("SKIPPED {test}: no unprivileged user to read as; run ./scripts/test.sh");
            None
        }
    }
}

/// Whether `user` can open `path` for reading (a directory: list it).
fn readable_by(user: &str, path: &Path) -> bool {
    let test = if path.is_dir() { "-x" } else { "-r" };
    Command::new("runuser")
        .args(["-u", user, "--", "test", test])
        .arg(path)
        .status()
        .expect("runuser")
        .success()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn another_local_user_can_read_nothing_a_profile_keeps() {
    let Some(user) = probe_user("another_local_user_can_read_nothing_a_profile_keeps") else {
        return;
    };
    // A parent everyone may enter, as a home directory often is: only the profile's own
    // permissions stand between the other user and its files.
    let parent = tempfile::Builder::new()
        .prefix("tenantry-perm.")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let control = parent.path().join("control");
    std::fs::write(&control, b"x").unwrap();
    std::fs::set_permissions(&control, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(
        readable_by(&user, &control),
        "the check must be able to succeed: {user} reads a world-readable file beside the data"
    );

    // The engine's data directory, database and lock files, after a sign-in and a refresh.
    let it = instance().await;
    let data = parent.path().join("data");
    let engine = tenantry_core::Engine::open(
        it.config.clone(),
        &data,
        it.vault.clone(),
        std::sync::Arc::new(it.clock.clone()),
    )
    .await
    .unwrap();
    it.fake.approve_as(Some(ANN));
    let sign_in = engine.begin_login(None).await.unwrap();
    let url = sign_in.authorize_url().clone();
    let browser = tokio::spawn(async move { tenantry_demo::browser::approve(&url).await });
    let ann = sign_in
        .complete(tokio_util::sync::CancellationToken::new())
        .await
        .unwrap()
        .login;
    browser.await.unwrap().unwrap();
    engine.refresh_login(&ann.id).await.unwrap();
    let mut made = vec![data.clone(), data.join("locks")];
    for name in ["tenantry.db", "tenantry.db-wal", "tenantry.db-shm"] {
        made.push(data.join(name));
    }
    made.extend(
        std::fs::read_dir(data.join("locks"))
            .unwrap()
            .map(|e| e.unwrap().path()),
    );
    assert!(made.len() > 5, "a lock file was made: {made:?}");
    for path in &made {
        let want = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(path), want, "{}: its owner's only", path.display());
        assert!(
            !readable_by(&user, path),
            "{}: {user} must not read it; it names the user's clients",
            path.display()
        );
    }

    // `tenantry doctor` may be the first to create a profile's data directory. It asks the fake
    // Xero in this process, so it is awaited, not waited for.
    let doctor_data = parent.path().join("doctor-data");
    let ran = tokio::process::Command::new(tenantry_bin())
        .args(["doctor"])
        .env("TENANTRY_CONFIG", it.write_config())
        .env("TENANTRY_DATA_DIR", &doctor_data)
        .output()
        .await
        .unwrap();
    assert!(doctor_data.is_dir(), "doctor made the directory: {ran:?}");
    assert_eq!(
        mode(&doctor_data),
        0o700,
        "as private as the store makes it"
    );
    assert!(!readable_by(&user, &doctor_data), "{user} cannot list it");
}
