//! Tests of `keys`.

use super::*;

#[test]
fn every_key_can_be_set_and_read_back() {
    let values = [
        ("client_id", "ABC123", "ABC123"),
        ("redirect_ports", "53690, 53691", "53690,53691"),
        (
            "scopes",
            "accounting.contacts accounting.settings.read",
            "accounting.contacts,accounting.settings.read",
        ),
        ("keepalive_days", "30", "30"),
        ("keychain_service", "tenantry-work", "tenantry-work"),
        ("vault", "file", "file"),
        (
            "bounce_url",
            "https://example.com/bounce.html",
            "https://example.com/bounce.html",
        ),
        ("timeout_secs", "60", "60"),
        ("notify_days", "10", "10"),
        ("close_to_tray", "no", "false"),
        ("tier", "core", "core"),
        ("exempt", "true", "true"),
        ("connection_limit", "25", "25"),
        ("daily_limit", "1000", "1000"),
        ("egress_allowance_gb", "20", "20"),
        ("egress_budget_gb", "8", "8"),
        ("egress_org_budget_gb", "2", "2"),
        ("call_log_days", "30", "30"),
        ("gateway_port", "53800", "53800"),
        ("serve_gateway", "yes", "true"),
        (
            "database_url",
            "postgres://ann@db.example.com:5432/practice",
            "postgres://ann@db.example.com:5432/practice",
        ),
        ("person_name", "Ann", "Ann"),
        ("machine_name", "LAPTOP-2", "LAPTOP-2"),
        (
            "on_event",
            "logger -t tenantry \"$TENANTRY_EVENT\"",
            "logger -t tenantry \"$TENANTRY_EVENT\"",
        ),
        (
            "xero.issuer",
            "http://127.0.0.1:5000",
            "http://127.0.0.1:5000",
        ),
        (
            "xero.authorize_url",
            "http://127.0.0.1:5000/a",
            "http://127.0.0.1:5000/a",
        ),
        (
            "xero.token_url",
            "http://127.0.0.1:5000/t",
            "http://127.0.0.1:5000/t",
        ),
        (
            "xero.revocation_url",
            "http://127.0.0.1:5000/r",
            "http://127.0.0.1:5000/r",
        ),
        (
            "xero.jwks_url",
            "http://127.0.0.1:5000/j",
            "http://127.0.0.1:5000/j",
        ),
        (
            "xero.api_url",
            "http://127.0.0.1:5000/",
            "http://127.0.0.1:5000/",
        ),
    ];
    let mut text = String::new();
    for (name, value, shown) in values {
        let (next, config) = set(&text, name, value).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            get(&config, name).unwrap().as_deref(),
            Some(shown),
            "`config get {name}` shows what `config set` wrote"
        );
        text = next;
    }
    // deep_link needs bounce_url, which is set above: the order of a session of edits.
    let (text, config) = set(&text, "redirect_mode", "deep_link").unwrap();
    assert_eq!(
        get(&config, "redirect_mode").unwrap().as_deref(),
        Some("deep_link")
    );
    assert_eq!(
        KEYS.len(),
        values.len() + 1,
        "the table above covers every key"
    );
    assert_eq!(
        Config::parse(&text).unwrap(),
        config,
        "the text written is the configuration returned"
    );
}

#[test]
fn edits_keep_the_file_s_comments_and_other_keys() {
    let text = "# our app\nclient_id = \"ABC\" # from developer.xero.com\n\n[xero]\n# the fake\napi_url = \"http://127.0.0.1:5000/\"\n";
    let (text, _) = set(text, "notify_days", "14").unwrap();
    let (text, _) = set(
        &text,
        "xero.token_url",
        "http://127.0.0.1:5000/connect/token",
    )
    .unwrap();
    for kept in [
        "# our app",
        "# from developer.xero.com",
        "# the fake",
        "client_id = \"ABC\"",
    ] {
        assert!(text.contains(kept), "`{kept}` survives an edit:\n{text}");
    }
    let (text, config, removed) = unset(&text, "xero.api_url").unwrap();
    assert!(removed, "the file had set it");
    assert_eq!(
        config.xero.api_url,
        crate::config::XeroEndpoints::default().api_url,
        "the default applies again once unset"
    );
    let (_, _, again) = unset(&text, "xero.api_url").unwrap();
    assert!(!again, "unsetting twice is harmless and says so");
}

#[test]
fn bad_keys_and_values_are_refused_with_the_fix() {
    let err = set("", "api_url", "http://127.0.0.1:1/")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("xero.api_url"),
        "a section's key is named in full: {err}"
    );
    let err = set("", "clientid", "X").unwrap_err().to_string();
    assert!(
        err.contains("client_id"),
        "a near spelling is suggested: {err}"
    );
    for (name, value, said) in [
        ("redirect_mode", "carrier_pigeon", "loopback, deep_link"),
        ("redirect_mode", "deep_link", "bounce_url"),
        ("keepalive_days", "60", "keepalive_days"),
        ("redirect_ports", "80", "privileged"),
        ("close_to_tray", "maybe", "true or false"),
        ("xero.token_url", "http://evil.example/t", "https"),
    ] {
        let err = set("", name, value).unwrap_err().to_string();
        assert!(
            err.contains(said),
            "`{name} {value}`: `{err}` must say `{said}`"
        );
    }
    assert_eq!(
        get(&Config::default(), "bounce_url").unwrap(),
        None,
        "an optional key with no default has no value"
    );
}

#[test]
fn a_tier_or_limit_out_of_range_is_refused_naming_the_key_and_the_values() {
    let refused = |key: &str, value: &str| match set("", key, value) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("{key} = {value} was accepted"),
    };
    let tier = refused("tier", "gold");
    assert!(
        tier.contains("tier") && tier.contains("starter") && tier.contains("enterprise"),
        "{tier}"
    );
    let day = refused("daily_limit", "6000");
    assert!(day.contains("daily_limit") && day.contains("5000"), "{day}");
    assert!(refused("daily_limit", "0").contains("daily_limit"));
    assert!(refused("daily_limit", "-5").contains("daily_limit"));
    assert!(refused("egress_allowance_gb", "0").contains("egress_allowance_gb"));
    for bad in ["3651", "-1", "lots"] {
        assert!(
            refused("call_log_days", bad).contains("call_log_days"),
            "{bad}"
        );
    }
    for key in ["egress_budget_gb", "egress_org_budget_gb"] {
        for bad in ["0", "-1", "2000000", "lots"] {
            assert!(refused(key, bad).contains(key), "{key} = {bad}");
        }
    }
    let file = Config::parse("tier = \"gold\"\n").unwrap_err().to_string();
    assert!(
        file.contains("gold") && file.contains("starter"),
        "a file naming no tier: {file}"
    );
}
