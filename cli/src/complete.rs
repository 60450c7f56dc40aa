//! Shell completion that knows your data: organisation names and tenant ids, and login emails,
//! offered from the profile's store as you type (clap_complete's dynamic completion). The shell
//! calls `tenantry` back with `COMPLETE=<shell>` set; `tenantry completions SHELL` prints the
//! registration that makes it do so. Completion reads the store only: no keychain, no network.

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use std::ffi::OsString;
use std::sync::Arc;
use tenantry_core::config::Config;
use tenantry_core::config::ProfilePaths;
use tenantry_core::store::{self, Store};

/// Answers the shell and exits, when the shell is asking; otherwise returns at once.
pub fn answer_if_asked() {
    clap_complete::env::CompleteEnv::with_factory(crate::Cli::command).complete();
}

/// Writes the registration for `shell`: what a user sources once (docs/CLI.md).
pub fn registration(shell: clap_complete::Shell) -> Result<(), crate::Failure> {
    let name = shell.to_string();
    let shells = clap_complete::env::Shells::builtins();
    let completer = shells.completer(&name).ok_or_else(|| {
        crate::Failure::new(
            crate::exit::USAGE,
            format!("no dynamic completion for {name}; use bash, zsh, fish, elvish or powershell"),
        )
    })?;
    // The shell calls this very binary back, wherever it is installed.
    let bin = std::env::current_exe()
        .map(OsString::from)
        .unwrap_or_else(|_| "tenantry".into());
    completer
        .write_registration(
            "COMPLETE",
            "tenantry",
            "tenantry",
            &bin.to_string_lossy(),
            &mut std::io::stdout(),
        )
        .map_err(|e| crate::Failure::new(crate::exit::FAILURE, e.to_string()))
}

/// The store of the profile the shell's environment names (TENANTRY_PROFILE, TENANTRY_CONFIG,
/// TENANTRY_DATA_DIR; `--profile` on the line being completed is not visible here), if it has
/// one. Never creates one.
fn store() -> Option<Arc<dyn Store>> {
    let profile = std::env::var("TENANTRY_PROFILE").unwrap_or_else(|_| "default".into());
    let paths = ProfilePaths::resolve_with(&profile, None, None).ok()?;
    let url = Config::load(&paths.config_file).ok()?.database_url;
    store::open_existing(url.as_deref(), &paths.data_dir).ok()?
}

/// Organisation selectors: each name (its tenant id as the help), then each tenant id.
pub fn organisations() -> Vec<CompletionCandidate> {
    let Some(orgs) = store().and_then(|s| s.organisations().ok()) else {
        return Vec::new();
    };
    let mut names: Vec<CompletionCandidate> = Vec::new();
    let mut ids: Vec<CompletionCandidate> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for o in orgs.iter().filter(|o| o.disconnected_at.is_none()) {
        if seen.insert(o.tenant_id.clone()) {
            names.push(CompletionCandidate::new(&o.name).help(Some(o.tenant_id.clone().into())));
            ids.push(CompletionCandidate::new(&o.tenant_id).help(Some(o.name.clone().into())));
        }
    }
    names.extend(ids);
    names
}

/// Login selectors: each login's email, its name as the help.
pub fn logins() -> Vec<CompletionCandidate> {
    store()
        .and_then(|s| s.logins().ok())
        .unwrap_or_default()
        .into_iter()
        .map(|l| CompletionCandidate::new(l.email).help(Some(l.name.into())))
        .collect()
}
