//! The token endpoint's body: any bytes must give a token set or a typed error, never a panic, and
//! an error message never quotes a token the body carried.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tenantry_core::token::{TokenResponse, TokenSet};

fuzz_target!(|data: &[u8]| {
    match TokenResponse::parse(data) {
        Ok(response) => {
            let now = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap();
            if let Ok(set) = TokenSet::from_response(response, now, None, &[]) {
                assert!(
                    set.expires_at > set.issued_at,
                    "a token always expires after it is issued"
                );
            }
        }
        Err(e) => {
            // Never quote a token the body carried.
            let message = e.to_string();
            if let Ok(serde_json::Value::Object(body)) =
                serde_json::from_slice::<serde_json::Value>(data)
            {
                for key in ["access_token", "refresh_token", "id_token"] {
                    if let Some(serde_json::Value::String(token)) = body.get(key) {
                        if token.len() >= 8 {
                            assert!(
                                !message.contains(token.as_str()),
                                "an error quoted the {key}"
                            );
                        }
                    }
                }
            }
        }
    }
});
