//! What the loopback listener reads from a socket: any bytes must be judged, never panic, and a
//! request is passed on only if it is GET /callback addressed to a loopback name on our port.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tenantry_core::login::listener::{HeadVerdict, judge_head};

fuzz_target!(|data: &[u8]| {
    if let HeadVerdict::Callback(_) = judge_head(data, 53682) {
        assert!(
            data.starts_with(b"GET /callback"),
            "only GET /callback is ever passed on"
        );
        let head = String::from_utf8_lossy(data).to_ascii_lowercase();
        assert!(
            ["host:localhost:53682", "host:127.0.0.1:53682", "host:[::1]:53682"]
                .iter()
                .any(|host| head.replace([' ', '\t'], "").contains(host)),
            "only with a Host naming a loopback name and this port"
        );
    }
});
