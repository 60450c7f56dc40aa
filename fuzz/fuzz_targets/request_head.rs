//! What the loopback listener reads from a socket: any bytes must be judged, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tenantry_core::login::listener::{HeadVerdict, judge_head};

fuzz_target!(|data: &[u8]| {
    if let HeadVerdict::Callback(query) = judge_head(data) {
        assert!(
            data.starts_with(b"GET /callback"),
            "only GET /callback is ever passed on: {query}"
        );
    }
});
