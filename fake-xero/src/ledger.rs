//! The secret ledger: when `TENANTRY_SECRET_LEDGER` names a file, every code, verifier and token
//! the fake issues or receives is appended to it, one per line. `scripts/test.sh` then scans all
//! that the suite left behind (data directories, logs, WebView storage, test output) for any of
//! them with `scan-secrets`. Unset, this does nothing.

use std::io::Write;
use std::sync::{Mutex, OnceLock};

pub const ENV_LEDGER: &str = "TENANTRY_SECRET_LEDGER";

pub fn note(secret: &str) {
    static LEDGER: OnceLock<Option<Mutex<std::fs::File>>> = OnceLock::new();
    let ledger = LEDGER.get_or_init(|| {
        let path = std::env::var_os(ENV_LEDGER)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("open the secret ledger");
        Some(Mutex::new(file))
    });
    if let Some(file) = ledger
        && !secret.is_empty()
    {
        // One write per line: O_APPEND keeps lines from several processes whole.
        let line = format!("{secret}\n");
        let _ = file.lock().expect("ledger lock").write_all(line.as_bytes());
    }
}
