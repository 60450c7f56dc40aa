//! Another local user cannot read a profile's data: the data directory (whoever creates it, the
//! engine or `tenantry doctor`), the database and its WAL and SHM files, and the lock files.
//! Checked as that other user: `scripts/test.sh` creates an unprivileged account and names it in
//! TENANTRY_PROBE_USER, since root reads everything and would prove nothing.

use crate::util::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

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

/// A directory in /tmp that every account may enter, as a home directory often is: only the
/// permissions of what is put in it stand between the other user and those files.
fn shared_parent(prefix: &str) -> tempfile::TempDir {
    let parent = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    parent
}

/// Writes `bytes` to `path`, readable (and, with `exec`, runnable) by every account.
fn write_shared(path: &Path, bytes: &[u8], exec: bool) {
    std::fs::write(path, bytes).unwrap();
    let mode = if exec { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn another_local_user_can_read_nothing_a_profile_keeps() {
    let Some(user) = probe_user("another_local_user_can_read_nothing_a_profile_keeps") else {
        return;
    };
    let parent = shared_parent("tenantry-perm.");
    let control = parent.path().join("control");
    write_shared(&control, b"x", false);
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

#[tokio::test]
async fn a_read_only_data_directory_is_named_with_its_fix_and_left_as_it_was() {
    let test = "a_read_only_data_directory_is_named_with_its_fix_and_left_as_it_was";
    let Some(user) = probe_user(test) else {
        return;
    };
    // Everything the other user runs and reads sits in a directory they may enter: the binary
    // is copied there, since the build's own directories may be private to root.
    let parent = shared_parent("tenantry-ro.");
    let bin = parent.path().join("tenantry");
    write_shared(&bin, &std::fs::read(tenantry_bin()).unwrap(), true);
    let config = parent.path().join("profile.toml");
    write_shared(&config, b"client_id = \"read-only-test\"\n", false);
    let home = parent.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let ids = Command::new("id").args(["-u", &user]).output().unwrap();
    let uid: u32 = String::from_utf8_lossy(&ids.stdout).trim().parse().unwrap();
    std::os::unix::fs::chown(&home, Some(uid), None).unwrap();
    let data = home.join("data");
    let as_user = |args: &[&str]| {
        Command::new("runuser")
            .args(["-u", &user, "--", "env", "-i", "PATH=/usr/bin:/bin"])
            .arg(format!("HOME={}", home.display()))
            .arg(format!("TENANTRY_CONFIG={}", config.display()))
            .arg(format!("TENANTRY_DATA_DIR={}", data.display()))
            .arg(&bin)
            .args(args)
            .output()
            .expect("runuser")
    };

    // The check must be able to pass: with its directory writable, the user's profile works.
    let ok = as_user(&["status"]);
    assert!(
        ok.status.success(),
        "{user} uses a profile it can write: {ok:?}"
    );
    assert!(data.join("tenantry.db").is_file(), "the database was made");

    // Then the directory and its files turn read-only (a restored backup, a read-only mount).
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    }
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o500)).unwrap();
    let before = snapshot(&data);
    for command in [&["status"][..], &["token", "Harbour Cafe Ltd"], &["log"]] {
        let out = as_user(command);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(8),
            "`tenantry {}` as {user} on a read-only directory: storage's exit code, for scripts: {stderr}",
            command.join(" ")
        );
        assert!(
            stderr.contains("read-only") && stderr.contains("make it writable"),
            "the message names the problem and the fix: {stderr}"
        );
        assert!(
            stderr.contains(&data.display().to_string()),
            "and where: {stderr}"
        );
    }
    assert_eq!(
        snapshot(&data),
        before,
        "a failed command must leave the data exactly as it was"
    );
    let doctor = as_user(&["doctor"]);
    let said = String::from_utf8_lossy(&doctor.stdout);
    assert!(
        !doctor.status.success()
            && said.contains("is not writable")
            && said.contains("make it writable"),
        "doctor names the directory and the fix: {said}"
    );
    // Let the temporary directory be removed.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
}
