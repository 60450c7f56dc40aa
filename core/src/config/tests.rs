//! Tests of `config`.

use super::*;

#[test]
fn the_documented_example_parses() {
    let text = r#"
client_id = "ABC123"
redirect_ports = [53682, 53683, 53684]
scopes = ["accounting.settings.read"]
keepalive_days = 45
keychain_service = "tenantry"
timeout_secs = 30
[xero]
issuer = "https://identity.xero.com"
authorize_url = "https://login.xero.com/identity/connect/authorize"
token_url = "https://identity.xero.com/connect/token"
revocation_url = "https://identity.xero.com/connect/revocation"
jwks_url = "https://identity.xero.com/.well-known/openid-configuration/jwks"
api_url = "https://api.xero.com"
"#;
    let config = Config::parse(text).expect("the README's example must be valid");
    assert_eq!(config.client_id, "ABC123");
    assert_eq!(
        config.xero,
        XeroEndpoints::default(),
        "the example spells out the defaults"
    );
}

#[test]
fn bad_values_name_their_key() {
    let table = [
        ("client_id = \"ab c\"", "client_id"),
        ("redirect_ports = []", "redirect_ports"),
        ("redirect_ports = [80]", "redirect_ports"),
        ("redirect_ports = [5000, 5000]", "redirect_ports"),
        ("redirect_ports = [70000]", "redirect_ports"),
        ("scopes = [\"a b\"]", "scopes"),
        ("keepalive_days = 60", "keepalive_days"),
        ("keepalive_days = \"x\"", "keepalive_days"),
        ("timeout_secs = 0", "timeout_secs"),
        ("timeout_secs = 3600", "timeout_secs"),
        ("keychain_service = \"\"", "keychain_service"),
        ("colour = \"blue\"", "colour"),
        (
            "[xero]\ntoken_url = \"http://evil.example/token\"",
            "xero.token_url",
        ),
        ("[xero]\nmystery = 1", "mystery"),
        ("redirect_mode = \"deep_link\"", "bounce_url"),
        ("redirect_mode = \"carrier_pigeon\"", "redirect_mode"),
        ("bounce_url = \"http://example.com/b.html\"", "bounce_url"),
        ("client_id = ", "client_id"),
    ];
    for (text, key) in table {
        let err = Config::parse(text).expect_err(text).to_string();
        assert!(
            err.contains(key),
            "`{text}` -> `{err}`: the message must name `{key}` so the user can fix it"
        );
    }
}

#[test]
fn a_key_in_the_wrong_section_is_told_where_it_belongs() {
    let err = Config::parse("[xero]\nclient_id = \"ABC\"")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("top-level") && err.contains("above `[xero]`"),
        "a top-level key under [xero] names the move that fixes it: {err}"
    );
    let err = Config::parse("api_url = \"http://127.0.0.1:1/\"")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("[xero] section"),
        "a [xero] key at the top names its section: {err}"
    );
}

#[test]
fn required_scopes_are_always_requested_once() {
    let config = Config {
        scopes: vec!["openid".into(), "accounting.contacts".into()],
        ..Config::default()
    };
    assert_eq!(
        config.all_scopes(),
        [
            "offline_access",
            "openid",
            "profile",
            "email",
            "accounting.contacts"
        ],
        "offline_access gives the refresh token and openid the user id; duplicates are dropped"
    );
}

#[test]
fn an_edit_keeps_the_file_s_comments_and_loads_back_and_a_missing_file_is_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/default.toml");
    assert_eq!(
        Config::load(&path).unwrap(),
        Config::default(),
        "first run: no file yet"
    );
    let edited = edit(&path, &[Edit::Set("client_id".into(), "XYZ".into())]).unwrap();
    assert!(edited.changed);
    assert_eq!(
        Config::load(&path).unwrap(),
        edited.config,
        "what is written is what loads"
    );
    std::fs::write(&path, "# my app\nclient_id = \"XYZ\" # from the portal\n").unwrap();
    edit(
        &path,
        &[
            Edit::Set("notify_days".into(), "5".into()),
            Edit::Unset("bounce_url".into()),
        ],
    )
    .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("# my app") && text.contains("# from the portal"),
        "the user's comments stay: {text}"
    );
    assert_eq!(Config::load(&path).unwrap().notify_days, 5);
    let before = std::fs::read_to_string(&path).unwrap();
    assert!(
        edit(&path, &[Edit::Set("notify_days".into(), "-1".into())]).is_err(),
        "a bad value is refused"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        before,
        "and nothing was written"
    );
}
