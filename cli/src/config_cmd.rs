//! `tenantry config show|path|set`: the configuration file, read and changed safely. A bad value
//! is refused with the key named and nothing is written.

use crate::{ConfigAction, Failure, exit};
use tenantry_core::config::Config;
use tenantry_core::profile::Profile;

pub const KEYS: &[&str] = &[
    "client_id",
    "redirect_ports",
    "scopes",
    "keepalive_days",
    "keychain_service",
    "vault",
    "timeout_secs",
    "notify_days",
    "close_to_tray",
    "xero.issuer",
    "xero.authorize_url",
    "xero.token_url",
    "xero.revocation_url",
    "xero.jwks_url",
    "xero.api_url",
];

pub fn run(profile: &Profile, action: ConfigAction) -> Result<u8, Failure> {
    let path = &profile.paths.config_file;
    match action {
        ConfigAction::Path => println!("{}", path.display()),
        ConfigAction::Show => {
            if !path.exists() {
                eprintln!(
                    "# {} does not exist yet; these are the defaults.",
                    path.display()
                );
            }
            print!(
                "{}",
                toml::to_string_pretty(&profile.config).expect("configuration serialises")
            );
            println!("# data directory: {}", profile.paths.data_dir.display());
        }
        ConfigAction::Set { key, value } => {
            let updated = set(&profile.config, &key, &value)?;
            updated
                .save(path)
                .map_err(|e| Failure::new(exit::CONFIG, e.to_string()))?;
            println!("Set {key} in {}.", path.display());
        }
    }
    Ok(exit::OK)
}

fn list(value: &str) -> Vec<String> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The configuration with one key changed, validated as a whole.
pub fn set(config: &Config, key: &str, value: &str) -> Result<Config, Failure> {
    let bad = |why: String| {
        Failure::new(
            exit::CONFIG,
            format!("configuration key `{key}`: {why}; nothing was written"),
        )
    };
    let mut next = config.clone();
    let url = |v: &str| {
        v.parse::<url::Url>()
            .map_err(|e| bad(format!("`{v}` is not a URL ({e})")))
    };
    match key {
        "client_id" => next.client_id = value.trim().to_owned(),
        "redirect_ports" => {
            next.redirect_ports = list(value)
                .iter()
                .map(|p| {
                    p.parse::<u16>()
                        .map_err(|_| bad(format!("`{p}` is not a port number (1024-65535)")))
                })
                .collect::<Result<_, _>>()?
        }
        "scopes" => next.scopes = list(value),
        "keepalive_days" => {
            next.keepalive_days = value
                .trim()
                .parse()
                .map_err(|_| bad(format!("`{value}` is not a whole number of days")))?
        }
        "keychain_service" => next.keychain_service = value.to_owned(),
        "vault" => {
            next.vault = tenantry_core::config::VaultChoice::ALL
                .into_iter()
                .find(|v| v.name() == value.trim())
                .ok_or_else(|| bad(format!("`{value}` is not keychain or file")))?
        }
        "timeout_secs" => {
            next.timeout_secs = value
                .trim()
                .parse()
                .map_err(|_| bad(format!("`{value}` is not a whole number of seconds")))?
        }
        "notify_days" => {
            next.notify_days = value
                .trim()
                .parse()
                .map_err(|_| bad(format!("`{value}` is not a whole number of days")))?
        }
        "close_to_tray" => {
            next.close_to_tray = match value.trim() {
                "true" | "yes" | "on" => true,
                "false" | "no" | "off" => false,
                _ => return Err(bad(format!("`{value}` is not true or false"))),
            }
        }
        "xero.issuer" => next.xero.issuer = value.to_owned(),
        "xero.authorize_url" => next.xero.authorize_url = url(value)?,
        "xero.token_url" => next.xero.token_url = url(value)?,
        "xero.revocation_url" => next.xero.revocation_url = url(value)?,
        "xero.jwks_url" => next.xero.jwks_url = url(value)?,
        "xero.api_url" => next.xero.api_url = url(value)?,
        _ => {
            return Err(Failure::new(
                exit::USAGE,
                format!(
                    "unknown configuration key `{key}`; the keys are: {}",
                    KEYS.join(", ")
                ),
            ));
        }
    }
    next.validate()
        .map_err(|e| Failure::new(exit::CONFIG, format!("{e}; nothing was written")))?;
    Ok(next)
}
