//! Tenantry's engine: everything but the window. No Tauri dependency, so it builds and tests
//! headless and serves both the desktop app and the `tenantry` CLI.
//!
//! - [`engine`]: hands out valid access tokens; the crash-safe, single-flight refresh protocol;
//!   sign-in; keep-alive; disconnect and remove. One module per duty.
//! - [`token`]: a login's token set and the pure rules about it.
//! - [`model`]: logins, organisations, events; a practice's members and who acts.
//! - [`health`]: each login's and organisation's state as people see it, derived with the clock.
//! - [`vault`]: the token vault port, the OS keychain adapter and an in-memory fake.
//! - [`store`]: the metadata store (never secrets in clear): one interface, a SQLite file or a
//!   practice's PostgreSQL database, each with migrations.
//! - [`xero`]: the Xero client and id_token verification.
//! - [`login`]: PKCE, the authorize URL, callback parsing and the loopback listener.
//! - [`lock`]: the cross-process per-login file lock.
//! - [`private_files`]: files and directories only their owner can read.
//! - [`profile`]: opening a profile as the CLI and the desktop app do.
//! - [`browser`]: opening the sign-in page (`$BROWSER`, else the platform opener).
//! - [`watch`]: the keeper a long-running host runs (keep-alive on a schedule, logins in use,
//!   other processes' writes, due notices) and its pure rules.
//! - [`scheduler`]: the daily keep-alive job for systemd, cron, launchd and Task Scheduler.
//! - [`usage`]: egress, what Xero's APIs sent back, counted per day, organisation, program and
//!   path, and a month's report against the tier's allowance.
//! - [`when`]: the one time convention (local for people with the zone named, UTC `Z` in JSON).
//! - [`quote`]: an argument quoted for a shell, a systemd unit, a Windows command line, XML.
//! - [`practice`]: practice mode's membership (init, invite, join, rotate); its data types are
//!   the model's, and [`seal`], below it and the sealed vault, is the practice key's pure code.
//! - [`pause`]: named pause points for the crash harness (inert unless it sets them).
//! - [`config`], [`clock`], [`secret`], [`error`] (with [`ErrorCode`], what callers branch on),
//!   and [`fix`]: the one vocabulary of the steps that fix a problem, each front end wording it.

pub mod browser;
pub mod calls;
pub mod clock;
pub mod config;
pub mod confirm;
pub mod crockford;
pub mod engine;
pub mod error;
pub mod fanout;
pub mod fix;
pub mod handover;
pub mod health;
pub mod hooks;
pub mod lock;
pub mod login;
pub mod model;
pub mod pause;
pub mod practice;
pub mod private_files;
pub mod profile;
pub mod quote;
pub mod rates;
pub mod report;
pub mod scheduler;
pub mod seal;
pub mod secret;
pub mod store;
pub mod token;
pub mod usage;
pub mod vault;
pub mod watch;
pub mod when;
pub mod xero;

pub use engine::{
    AccessGrant, Change, CheckOutcome, Connections, Engine, KeepAliveOutcome, KeepAliveReport,
    LinkSignIn, LoginCheck, LoginOutcome, LoginStatus, LoopbackSignIn, Naming, Overview,
};
pub use error::{EngineError, ErrorCode};
pub use fix::Fix;
