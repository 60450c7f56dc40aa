//! Dynamic completion of organisations and logins, through fish's and bash's own machinery.

use super::*;

/// What fish offers for `line`, through the registration `tenantry completions fish` prints.
async fn fish_completes(cli: &Tenantry, registration: &str, line: &str) -> Vec<String> {
    let out = tokio::process::Command::new("fish")
        .args(["-c", &format!("{registration}\ncomplete -C '{line}'")])
        .env("TENANTRY_CONFIG", &cli.config)
        .env("TENANTRY_DATA_DIR", &cli.data)
        .env_remove("TENANTRY_PROFILE")
        .output()
        .await
        .expect("fish must be installed (scripts/setup.sh)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn completion_offers_this_profile_s_organisations_and_logins_by_name() {
    let Some(it) =
        keychain_instance("completion_offers_this_profile_s_organisations_and_logins_by_name")
            .await
    else {
        return;
    };
    let cli = Tenantry::connected(&it, &[ANN, BEN]).await;
    let fish = cli.run(&["completions", "fish"]).await;
    assert_eq!(fish.status, 0, "{fish:?}");
    assert_eq!(
        fish_completes(&cli, &fish.stdout, "tenantry token Ki").await,
        ["Kiwi Plumbing"],
        "an organisation by the start of its name, from this profile's store"
    );
    assert_eq!(
        fish_completes(&cli, &fish.stdout, "tenantry token 5e6f7a8b-0002").await,
        [it.tenant("Kiwi Plumbing")],
        "or by its tenant id"
    );
    assert_eq!(
        fish_completes(&cli, &fish.stdout, "tenantry refresh b").await,
        [BEN],
        "a login by email"
    );
    assert_eq!(
        fish_completes(&cli, &fish.stdout, "tenantry exec Harbour --login a").await,
        [ANN],
        "--login takes a login"
    );
    assert!(
        fish_completes(&cli, &fish.stdout, "tenantry tok")
            .await
            .contains(&"token".to_string()),
        "commands complete too"
    );
    for shell in ["bash", "zsh"] {
        let reg = cli.run(&["completions", shell]).await;
        assert!(
            reg.status == 0 && reg.stdout.contains("COMPLETE="),
            "{shell}: a registration that calls tenantry back: {reg:?}"
        );
    }
}
