//! Tenantry's end-to-end tests: the engine and the CLI against the fake Xero over real HTTP on
//! loopback, with the in-memory vault or the real Secret Service keychain.
//!
//! Contents:
//! - `client`: the Xero client's exact requests and its error classification.
//! - `id_token`: id_token verification rejects every forgery.
//! - `login`: the sign-in flow, the callback listener, and reconnecting as another user.
//! - `refresh`: single flight in one process and across processes; lost answers within and
//!   after Xero's grace; invalid_grant; transient failures.
//! - `crash`: SIGKILL at every step of the refresh protocol, then a restart: nothing is lost.
//! - `keepalive`: the 60-day deadline; logins in use refreshed ahead of expiry.
//! - `scheduled`: `keepalive --install` with the real crontab, and the systemd units verified.
//! - `load`: 16 processes and 64 tasks against 2-second tokens: no failure, no token spent twice.
//! - `practice`: practice mode across machines on a real PostgreSQL server: init, invite, join,
//!   one refresh between machines, attribution, no secret in `pg_dump`, the database down, a
//!   database without the TLS asked for;
//!   `practice_link`: the link to the database dropped mid-refresh; `practice_netns`: a link that
//!   dies silently (the database in its own network namespace); `practice_load`: four machines
//!   under load, refreshing the exact minimum; `practice_full`: the same at full size, each
//!   machine its own D-Bus session and keyring; `practice_budgets`: Xero's limits shared by
//!   every member machine's gateway, and a killed machine's calls freed by their leases.
//! - `organisations`: disconnect, remove, test connection, the shared organisation.
//! - `keychain`: the OS keychain adapter against a real Secret Service.
//! - `secrets`: no token reaches SQLite or the logs.
//! - `permissions`: another local user cannot read a profile's data, checked as that user.
//! - `clients`: per-client truth through the CLI: 42 organisations, a revoked login, a removed
//!   connection, a stuck refresh, expiring and lapsed logins; a misspelt profile.
//! - `cli`: every `tenantry` command as a subprocess, with the real keychain.
//! - `reports`: `tenantry report access` with 3 logins and 10 organisations, read back by Python.
//! - `scripting`: the CLI as scripts drive it: token formats read back by sh, fish, jq and curl, `--login`,
//!   `exec`, config, help, colour and progress, hooks, completion, connection caps, scopes.
//! - `gateway`: the local Xero API gateway (`tenantry gateway`) and its token agent, over real
//!   HTTP and a real Unix socket: forwarding, refusals, Xero's limits for many clients together.
//! - `desktop`: the desktop app driven through WebDriver in a real WebKit window (Xvfb).
//! - `windows`: what only Windows does, on Windows (under Wine in every suite run).
//!
//! On macOS and Windows the modules below that need Linux (D-Bus, WebKitGTK, crontab and
//! systemd, Unix users) are not compiled; the rest run there against the real Keychain or
//! Credential Manager (the portable set .github/workflows/ci.yml names). A module that is portable
//! but for a test or two gates just those tests.

mod util;

mod cli;
mod client;
mod clients;
mod crash;
mod faults;
mod file_vault;
#[cfg(unix)]
mod gateway;
mod id_token;
mod keepalive;
mod keychain;
mod load;
mod login;
mod organisations;
mod refresh;
mod running_gateway;
mod scripting;
mod secrets;
// What only Windows does (the Credential Manager's chunks, the agent's named pipe, cmd, schtasks):
// run under Wine by scripts/lib/windows.sh.
#[cfg(windows)]
mod windows;

// The desktop tests drive WebKitGTK through tauri-driver under Xvfb, and play the panel's and the
// notification daemon's parts over D-Bus; `scheduled` uses crontab and systemd-analyze;
// `permissions` reads the data as another user through `runuser`.
#[cfg(target_os = "linux")]
mod desktop;
#[cfg(target_os = "linux")]
mod notify_daemon;
#[cfg(target_os = "linux")]
mod permissions;
// The suite's PostgreSQL server is started by scripts/lib/with-postgres.sh, on Linux.
#[cfg(target_os = "linux")]
mod practice;
#[cfg(target_os = "linux")]
mod practice_budgets;
#[cfg(target_os = "linux")]
mod practice_full;
#[cfg(target_os = "linux")]
mod practice_link;
#[cfg(target_os = "linux")]
mod practice_load;
#[cfg(target_os = "linux")]
mod practice_netns;
// Reads the CSV back with Python's `csv` module, which the Windows runs under Wine lack.
#[cfg(target_os = "linux")]
mod reports;
#[cfg(target_os = "linux")]
mod scheduled;
#[cfg(target_os = "linux")]
mod tray_host;
