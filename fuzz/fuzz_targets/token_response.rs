//! The token endpoint's body, through the same `oauth2` path a refresh takes: any bytes must give
//! a token set or a typed error, never a panic, and an error message never quotes a token the
//! body carried.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::future::Future;
use std::task::{Context, Poll, Waker};
use tenantry_core::config::XeroEndpoints;
use tenantry_core::secret::Secret;
use tenantry_core::token::TokenSet;
use tenantry_core::xero::{XeroError, oauth};

/// Runs a future that never waits (the HTTP answer below is ready at once).
fn now<T>(future: impl Future<Output = T>) -> T {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let body = data.to_vec();
    let http = move |_request: oauth::HttpRequest| {
        let mut answer = oauth::HttpResponse::new(body.clone());
        answer.headers_mut().insert(
            "content-type",
            oauth::HeaderValue::from_static("application/json"),
        );
        std::future::ready(Ok::<_, XeroError>(answer))
    };
    let client = oauth::client(&XeroEndpoints::default(), "CID");
    match now(oauth::refresh(&client, &http, &Secret::new("r0"))) {
        Ok(answer) => {
            let at = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap();
            if let Ok(set) = TokenSet::from_answer(answer, at, None, &[]) {
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
