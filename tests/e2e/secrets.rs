//! After a full flow, no token, code or verifier is in the SQLite files or the logs.

use crate::util::*;
use chrono::Duration;

#[tokio::test]
async fn no_secret_reaches_sqlite_or_the_logs() {
    let it = instance().await;
    let ann = it.connect(ANN).await.login;
    it.connect(BEN).await;
    let mut secrets: Vec<String> = Vec::new();
    let mut keep = |tokens: &tenantry_core::token::TokenSet| {
        secrets.push(tokens.access_token.expose().to_owned());
        secrets.push(tokens.refresh_token.expose().to_owned());
        if let Some(id) = &tokens.id_token {
            secrets.push(id.expose().to_owned());
        }
    };
    keep(&it.vault.load(&ann.id).unwrap().unwrap());
    it.advance(Duration::minutes(31));
    let kiwi = it.tenant("Kiwi Plumbing");
    it.engine.access_token_for(&kiwi).await.unwrap();
    it.engine.test_organisation(&kiwi).await.unwrap();
    keep(&it.vault.load(&ann.id).unwrap().unwrap());
    it.advance(Duration::days(46));
    it.engine.keepalive(Duration::days(45)).await.unwrap();
    keep(&it.vault.load(&ann.id).unwrap().unwrap());
    it.engine.disconnect(&ann.id, &kiwi).await.unwrap();
    it.engine.remove_login(&ann.id).await.unwrap();
    for request in it
        .fake
        .recorded("/connect/token")
        .into_iter()
        .chain(it.fake.recorded("/connect/revocation"))
    {
        for (key, value) in request.form {
            if matches!(
                key.as_str(),
                "code" | "code_verifier" | "refresh_token" | "token"
            ) {
                secrets.push(value);
            }
        }
    }
    assert!(
        secrets.len() >= 12,
        "the scan must cover codes, verifiers and every token issued"
    );

    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(it.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.push(log_file().to_path_buf());
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().ends_with("tenantry.db")),
        "the database is among the scanned files"
    );
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{} contains a secret (fingerprint {})",
                file.display(),
                tenantry_core::secret::fingerprint(secret)
            );
        }
    }
    let log = std::fs::read_to_string(log_file()).unwrap();
    assert!(
        log.contains("refreshing"),
        "the log is being written at debug level, so the scan means something"
    );
}
