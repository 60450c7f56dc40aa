//! `config get|set|unset|keys` over every documented key, comments kept, misplaced keys named.

use super::*;

#[tokio::test]
async fn config_get_set_unset_cover_every_documented_key() {
    let dir = test_dir();
    let config = dir.path().join("tenantry.toml");
    std::fs::write(
        &config,
        "# our practice's app\nclient_id = \"ABC123\" # from developer.xero.com\n",
    )
    .unwrap();
    let cli = Tenantry {
        config: config.clone(),
        data: dir.path().join("data"),
        passphrase: None,
    };

    let early = cli
        .run(&["config", "set", "redirect_mode", "deep_link"])
        .await;
    assert_eq!(
        early.status, 6,
        "deep_link without a bounce page: {early:?}"
    );
    assert!(
        early.stderr.contains("bounce_url") && early.stderr.contains("nothing was written"),
        "names the key it needs first"
    );
    for (key, value) in [
        ("bounce_url", "https://example.com/bounce.html"),
        ("redirect_mode", "deep_link"),
        ("notify_days", "10"),
        ("xero.api_url", "http://127.0.0.1:5999/"),
    ] {
        let set = cli.run(&["config", "set", key, value]).await;
        assert_eq!(set.status, 0, "config set {key}: {set:?}");
        let got = cli.run(&["config", "get", key]).await;
        assert_eq!(got.stdout.trim(), value, "config get {key} reads it back");
    }
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("# our practice's app") && text.contains("# from developer.xero.com"),
        "edits keep the file's comments:\n{text}"
    );
    let unset = cli.run(&["config", "unset", "redirect_mode"]).await;
    assert_eq!(unset.status, 0, "{unset:?}");
    assert_eq!(
        cli.run(&["config", "get", "redirect_mode"])
            .await
            .stdout
            .trim(),
        "loopback",
        "the default applies again"
    );
    let not_set = cli.run(&["config", "get", "xero.authorize_url"]).await;
    assert!(
        not_set.stdout.starts_with("https://login.xero.com/"),
        "get shows a default in effect: {not_set:?}"
    );
    let unknown = cli.run(&["config", "get", "api_url"]).await;
    assert_eq!(unknown.status, 2, "{unknown:?}");
    assert!(
        unknown.stderr.contains("did you mean `xero.api_url`"),
        "a section's key is suggested by its full name"
    );
    let keys = cli.run(&["config", "keys"]).await;
    for key in tenantry_core::config::KEYS {
        assert!(
            keys.stdout.contains(key.name),
            "`config keys` lists {}",
            key.name
        );
    }

    std::fs::write(&config, "[xero]\nclient_id = \"ABC123\"\n").unwrap();
    let misplaced = cli.run(&["status"]).await;
    assert_eq!(misplaced.status, 6, "{misplaced:?}");
    assert!(
        misplaced.stderr.contains("above `[xero]`"),
        "a top-level key under [xero] gets the move that fixes it: {misplaced:?}"
    );
}
