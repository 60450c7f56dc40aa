//! Tests of `error`.

use super::*;

#[test]
fn each_code_s_words_are_its_serialised_form() {
    use ErrorCode as C;
    for code in [
        C::UnknownOrganisation,
        C::UnknownLogin,
        C::Ambiguous,
        C::NeedsReconnect,
        C::Config,
        C::RateLimited,
        C::ConnectionGone,
        C::Unreachable,
        C::XeroRejected,
        C::Keychain,
        C::Passphrase,
        C::Storage,
        C::DatabaseUnreachable,
        C::Practice,
        C::Cancelled,
        C::LoginFailed,
        C::Browser,
        C::Platform,
        C::HandoverIncomplete,
    ] {
        assert_eq!(
            serde_json::to_value(code).unwrap(),
            code.as_str(),
            "{code:?}"
        );
    }
}

#[test]
fn codes_follow_what_the_caller_does_next() {
    let login = LoginId::new("u1").unwrap();
    let table: Vec<(EngineError, ErrorCode, Option<Fix>)> = vec![
        (
            EngineError::unknown_organisation("x"),
            ErrorCode::UnknownOrganisation,
            Some(Fix::ListOrganisations),
        ),
        (
            EngineError::NeedsReconnect {
                login: login.clone(),
                email: "ann@example.com".into(),
                reason: "revoked".into(),
            },
            ErrorCode::NeedsReconnect,
            Some(Fix::Reconnect {
                login: login.clone(),
                email: "ann@example.com".into(),
            }),
        ),
        (
            EngineError::Xero(XeroError::NeedsReconnect),
            ErrorCode::NeedsReconnect,
            None,
        ),
        (
            EngineError::Xero(XeroError::Transient("timed out".into())),
            ErrorCode::Unreachable,
            None,
        ),
        (
            EngineError::Xero(XeroError::ClientRejected),
            ErrorCode::Config,
            None,
        ),
        (
            EngineError::Listen(ListenError::Cancelled),
            ErrorCode::Cancelled,
            None,
        ),
        (
            EngineError::LoginGone(login.clone()),
            ErrorCode::UnknownLogin,
            None,
        ),
        (
            EngineError::NoClientId,
            ErrorCode::Config,
            Some(Fix::SetClientId),
        ),
        (
            EngineError::Store(StoreError::Tls {
                server: "db.example.com:5432/practice".into(),
                reason: "the server's certificate is not valid for db.example.com".into(),
            }),
            ErrorCode::Config,
            None,
        ),
    ];
    for (error, code, fix) in table {
        assert_eq!(
            error.code(),
            code,
            "{error}: the code decides the exit status"
        );
        assert_eq!(
            error.fix(),
            fix,
            "{error}: the fix is what a person does next"
        );
    }
}

#[test]
fn messages_name_no_front_end_command() {
    for error in [
        EngineError::unknown_organisation("Kiwi"),
        EngineError::UnknownLogin("ann".into()),
        EngineError::NoClientId,
    ] {
        assert!(
            !error.to_string().contains("tenantry "),
            "`{error}` is shown by the window too, which has no command line"
        );
    }
}

#[test]
fn codes_serialise_as_the_strings_the_window_sees() {
    assert_eq!(
        serde_json::to_string(&ErrorCode::NeedsReconnect).unwrap(),
        "\"needs_reconnect\""
    );
    assert_eq!(
        serde_json::to_value(Fix::Reconnect {
            login: LoginId::new("u1").unwrap(),
            email: "ann@example.com".into(),
        })
        .unwrap(),
        serde_json::json!({"kind": "reconnect", "login": "u1", "email": "ann@example.com"}),
        "a fix is tagged by kind, with its data beside it"
    );
}
