//! The gateway's request path: any path it accepts reaches Xero as the same segments, so the
//! path its rules were checked on is the path sent. An HTTP client's URL parser resolves dot
//! segments (`..`, `%2e%2e`), reads `\` as `/` and drops tabs; a path any of that would change
//! must have been refused.
#![no_main]
use libfuzzer_sys::fuzz_target;
use percent_encoding::percent_decode_str;
use tenantry_gateway::path;

fn decoded(segment: &str) -> Vec<u8> {
    percent_decode_str(segment).collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    // The request target's path: its query and fragment are not part of it.
    if raw.contains(['?', '#']) {
        return;
    }
    let Ok(accepted) = path::check(raw) else {
        return;
    };
    assert_eq!(accepted, raw, "a path is accepted as it was sent");
    let Ok(url) = url::Url::parse(&format!("https://api.xero.com{accepted}")) else {
        return;
    };
    let sent: Vec<Vec<u8>> = url
        .path_segments()
        .expect("an https URL has segments")
        .map(decoded)
        .collect();
    let checked: Vec<Vec<u8>> = accepted[1..].split('/').map(decoded).collect();
    assert_eq!(
        sent, checked,
        "{accepted:?} reached Xero as {:?}: the URL parser changed its segments",
        url.path()
    );
});
