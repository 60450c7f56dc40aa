//! Pause points for the crash harness (tests/e2e/crash.rs): when `TENANTRY_TEST_PAUSE_AT` names a
//! step of the refresh protocol, the process writes the file named by `TENANTRY_TEST_PAUSE_FILE`
//! and stops there, so the harness can SIGKILL it at exactly that step. Compiled only into debug
//! builds (as the test clock is): a release binary has no pause points and ignores the variables.
//! Unset, a debug build pays one cached lookup per step.

pub const ENV_AT: &str = "TENANTRY_TEST_PAUSE_AT";
pub const ENV_FILE: &str = "TENANTRY_TEST_PAUSE_FILE";

/// The protocol steps, in order, as the harness names them.
pub const STEPS: [&str; 5] = [
    "before_intent",
    "after_intent",
    "after_reply",
    "after_keychain",
    "after_metadata",
];

#[cfg(not(debug_assertions))]
#[inline(always)]
pub(crate) fn reached(_step: &'static str) {}

#[cfg(debug_assertions)]
pub(crate) fn reached(step: &'static str) {
    static WANTED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let wanted = WANTED.get_or_init(|| std::env::var(ENV_AT).ok());
    if wanted.as_deref() != Some(step) {
        return;
    }
    if let Some(file) = std::env::var_os(ENV_FILE) {
        let _ = std::fs::write(file, step);
    }
    loop {
        // Wait here for the harness's SIGKILL; never continue past the step.
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
