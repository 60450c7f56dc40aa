//! Configuration: one TOML file per profile, and where a profile keeps its data.
//!
//! `TENANTRY_CONFIG` overrides the file's path and `TENANTRY_DATA_DIR` the data directory; together
//! they isolate a whole instance, which is how every test and the demo avoid the user's real data.
//! Values are validated once, on load, and each error names the key.

mod keys;
mod paths;
mod tier;
mod validate;
mod xero;

pub use keys::{Edit, Edited, KEYS, Key, Kind, apply, edit, get, set, unset};
pub use paths::{
    ENV_CONFIG, ENV_DATA_DIR, ProfilePaths, config_named, known_profiles, profile_overridden,
};
pub use tier::{DAILY_LIMIT, Tier, TierFit, tier_fit};
pub use xero::XeroEndpoints;

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use url::Url;

/// Scopes every login asks for: identity (to key the token set by Xero user) and a refresh token.
pub const REQUIRED_SCOPES: [&str; 4] = ["offline_access", "openid", "profile", "email"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The Xero app's Client ID (an "Auth code with PKCE" app has no secret).
    pub client_id: String,
    /// Each registered at Xero as `http://localhost:PORT/callback`; the first free one is used.
    pub redirect_ports: Vec<u16>,
    /// API scopes; [`REQUIRED_SCOPES`] are always added.
    pub scopes: Vec<String>,
    /// Keep-alive refreshes logins whose refresh token is older than this many days.
    pub keepalive_days: u32,
    /// The keychain service name entries are stored under; tests and dev builds use their own.
    pub keychain_service: String,
    /// Where token sets live: `keychain` (the OS keychain; the default) or `file` (an encrypted
    /// file vault under a passphrase, for machines with no keychain; opt-in, never a fallback).
    pub vault: VaultChoice,
    /// How the browser hands the sign-in back: `loopback` (Xero's supported way) or `deep_link`
    /// (through the https `bounce_url` page, which forwards to `tenantry://oauth/callback`).
    pub redirect_mode: RedirectMode,
    /// The https page registered at Xero as the redirect URI in `deep_link` mode (docs/bounce.html).
    pub bounce_url: Option<Url>,
    /// Seconds one call to Xero may take before it counts as failed and is retried later.
    pub timeout_secs: u64,
    /// The desktop app warns (tray, notification) when a login whose refreshes are failing is
    /// this many days from Xero's 60-day limit.
    pub notify_days: u32,
    /// Closing the desktop window keeps the app running in the tray, so keep-alive goes on.
    pub close_to_tray: bool,
    /// A command run (through `sh -c`, or `cmd /C` on Windows) for each event that happens to a
    /// login or an organisation, with TENANTRY_EVENT, TENANTRY_LOGIN, TENANTRY_ORG and
    /// TENANTRY_DETAIL set; never given a token (docs/CLI.md, "Event hooks").
    pub on_event: Option<String>,
    /// The Xero app's tier since 2 March 2026 (its developer portal shows it): the defaults of
    /// the connection cap, the daily call limit and the egress allowance ([`Tier`]).
    pub tier: Option<Tier>,
    /// The app is a practice's own integration, which Xero exempts from its fees (not from its
    /// limits).
    pub exempt: bool,
    /// The Xero app's connection cap, when not the tier's (25 for an older uncertified app);
    /// Xero does not say it, so it is set here. [`Config::connection_cap`] is the one in force.
    pub connection_limit: Option<u32>,
    /// Calls a day per organisation, when not the tier's (1,000 on Starter, else 5,000).
    pub daily_limit: Option<u32>,
    /// Gigabytes a month the app may download before Xero bills overage, when not the tier's.
    pub egress_allowance_gb: Option<u32>,
    /// Gigabytes a month the whole app may download through the gateway; past it the gateway
    /// refuses calls until the month ends, so a runaway script cannot run up a bill.
    pub egress_budget_gb: Option<u32>,
    /// The same for each organisation on its own.
    pub egress_org_budget_gb: Option<u32>,
    /// Days the call log keeps each call through the gateway (`crate::calls`); 0 logs none.
    pub call_log_days: u32,
    /// The loopback port `tenantry gateway` (and the desktop app, when `serve_gateway` is on)
    /// serves the Xero API to local programs on.
    pub gateway_port: u16,
    /// The desktop app serves the Xero API to local programs (the gateway and the token agent)
    /// while it runs: Settings' "Serve the Xero API to local programs".
    pub serve_gateway: bool,
    /// Practice mode: the shared PostgreSQL database (`postgres://USER@HOST:PORT/DATABASE`) that
    /// holds this profile's logins, organisations, events and refresh journal instead of its own
    /// SQLite file. Its password never goes here (PGPASSWORD or ~/.pgpass).
    pub database_url: Option<String>,
    /// Practice mode: this person's name in the members list and the log (default: the OS user).
    pub person_name: Option<String>,
    /// Practice mode: this computer's name in the members list and the log (default: its host
    /// name), e.g. `NIGHTLY-BOX`.
    pub machine_name: Option<String>,
    pub xero: XeroEndpoints,
}

/// The gateway's port unless `gateway_port` says otherwise: next to the sign-in ports.
pub const DEFAULT_GATEWAY_PORT: u16 = 53710;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RedirectMode {
    #[default]
    Loopback,
    DeepLink,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VaultChoice {
    #[default]
    Keychain,
    File,
}

impl VaultChoice {
    pub const ALL: [Self; 2] = [Self::Keychain, Self::File];

    pub fn name(self) -> &'static str {
        match self {
            Self::Keychain => "keychain",
            Self::File => "file",
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            client_id: String::new(),
            redirect_ports: vec![53682, 53683, 53684],
            scopes: vec!["accounting.settings.read".into()],
            keepalive_days: 45,
            keychain_service: "tenantry".into(),
            vault: VaultChoice::Keychain,
            redirect_mode: RedirectMode::Loopback,
            bounce_url: None,
            timeout_secs: 30,
            notify_days: 7,
            close_to_tray: true,
            on_event: None,
            tier: None,
            exempt: false,
            connection_limit: None,
            daily_limit: None,
            egress_allowance_gb: None,
            egress_budget_gb: None,
            call_log_days: crate::calls::DEFAULT_DAYS,
            egress_org_budget_gb: None,
            gateway_port: DEFAULT_GATEWAY_PORT,
            serve_gateway: false,
            database_url: None,
            person_name: None,
            machine_name: None,
            xero: XeroEndpoints::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("configuration key `{key}`: {reason}")]
    Invalid { key: &'static str, reason: String },
    #[error("cannot write the configuration file {path}: {source}")]
    Unwritable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no home directory was found; set {ENV_CONFIG} and {ENV_DATA_DIR}")]
    NoHome,
    /// A profile with neither a configuration file nor data: most likely a typo.
    #[error(
        "there is no profile `{name}` (no {config} and no data in {data}); {}",
        known_profiles_words(known)
    )]
    UnknownProfile {
        name: String,
        config: PathBuf,
        data: PathBuf,
        known: Vec<String>,
    },
    /// `config get|set|unset` of a key no configuration has.
    #[error("unknown configuration key `{key}`{}; `tenantry config keys` lists them", hint.as_ref().map(|h| format!(" (did you mean `{h}`?)")).unwrap_or_default())]
    UnknownKey { key: String, hint: Option<String> },
    /// A value `config set` cannot turn into the key's kind.
    #[error("configuration key `{key}`: {reason}")]
    BadValue { key: String, reason: String },
    /// A key written in the wrong section of the file, which serde would only call unknown.
    #[error("the configuration file {path}: {reason}")]
    Misplaced { path: PathBuf, reason: String },
    /// A configuration file named explicitly (`--config`, `TENANTRY_CONFIG`) that is not there.
    #[error("the configuration file {path} does not exist; check the path")]
    MissingFile { path: PathBuf },
}

fn known_profiles_words(known: &[String]) -> String {
    if known.is_empty() {
        "no profile exists yet: connect a login or start the demo to make one".into()
    } else {
        format!("the profiles here are: {}", known.join(", "))
    }
}

impl Config {
    /// Reads and validates `path`. A missing file is the default configuration (no client id yet),
    /// so a first run can explain what to set rather than fail.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(ConfigError::Unreadable {
                    path: path.into(),
                    source,
                });
            }
        };
        Self::parse_from(&text, path)
    }

    /// Parses configuration text (for `config set` and tests); errors name it `<input>`.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        Self::parse_from(text, Path::new("<input>"))
    }

    fn parse_from(text: &str, path: &Path) -> Result<Self, ConfigError> {
        if let Some(reason) = misplaced_key(text) {
            return Err(ConfigError::Misplaced {
                path: path.into(),
                reason,
            });
        }
        let config: Self = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.into(),
            message: describe_toml_error(text, &e),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Every scope to request: the configured ones plus [`REQUIRED_SCOPES`], without duplicates.
    pub fn all_scopes(&self) -> Vec<String> {
        let mut scopes: Vec<String> = REQUIRED_SCOPES.iter().map(|s| s.to_string()).collect();
        for s in &self.scopes {
            if !scopes.contains(s) {
                scopes.push(s.clone());
            }
        }
        scopes
    }
}

impl Config {
    /// Writes this whole configuration as a new file, atomically: for a file Tenantry owns (the
    /// demo's profile, a test's). A person's file is changed with [`edit`], which keeps what
    /// they wrote in it.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        self.validate()?;
        write_text(
            path,
            &toml::to_string_pretty(self).expect("configuration serialises"),
        )
    }
}

/// Writes configuration text atomically (temporary file + rename), so a crash never leaves half
/// a file: what [`edit`] writes, and what a caller of [`set`] or [`unset`] writes.
pub fn write_text(path: &Path, text: &str) -> Result<(), ConfigError> {
    let unwritable = |source| ConfigError::Unwritable {
        path: path.into(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(unwritable)?;
    }
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text).map_err(unwritable)?;
    std::fs::rename(&tmp, path).map_err(unwritable)
}

/// A top-level key written under `[xero]`, or a `[xero]` key written at the top: serde would
/// only say "unknown field", and the fix is to move the line, so say that.
fn misplaced_key(text: &str) -> Option<String> {
    let table: toml::Table = toml::from_str(text).ok()?;
    let top = |k: &str| KEYS.iter().any(|key| key.name == k);
    let xero = |k: &str| {
        KEYS.iter()
            .any(|key| key.name.strip_prefix("xero.") == Some(k))
    };
    if let Some(inner) = table.get("xero").and_then(|x| x.as_table())
        && let Some(k) = inner.keys().find(|k| top(k) && !xero(k))
    {
        return Some(format!(
            "`{k}` is written under [xero] but is a top-level key; move the line above `[xero]`"
        ));
    }
    table.keys().find(|k| xero(k) && !top(k)).map(|k| {
        format!("`{k}` belongs in the [xero] section; move the line below a `[xero]` line (or run: tenantry config set xero.{k} …)")
    })
}

/// toml's message says what is wrong but not always where; quoting the offending line (which
/// starts with the key) lets the user find it.
fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let Some(span) = e.span() else {
        return e.message().to_owned();
    };
    let line_no = text[..span.start.min(text.len())].matches('\n').count();
    match text.lines().nth(line_no) {
        Some(line) => format!("line {}: `{}`: {}", line_no + 1, line.trim(), e.message()),
        None => e.message().to_owned(),
    }
}

#[cfg(test)]
mod tests;
