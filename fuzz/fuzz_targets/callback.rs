//! The redirect's query string: any bytes must give a code or a typed error, never a panic, and a
//! code only with the right state.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tenantry_core::login::parse_callback;

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    if let Ok(code) = parse_callback(&query, "s7aTe", "https://identity.xero.com") {
        assert!(
            !code.expose().is_empty(),
            "an accepted callback carries a code"
        );
        assert!(
            query.contains("state=s7aTe"),
            "a code is accepted only with the pending state"
        );
    }
});
