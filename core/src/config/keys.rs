//! Every configuration key by name, for `config get|set|unset|keys`: what kind of value each
//! takes and what it does. Edits go through `toml_edit`, so a hand-written file keeps its
//! comments and layout, and the whole result is validated before the caller writes it.

use super::{Config, ConfigError, Tier};
use toml_edit::{Array, DocumentMut, Item, Value};

/// What a key's value looks like on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A whole number (days, seconds).
    Number,
    Bool,
    /// Comma- or space-separated ports.
    Ports,
    /// Comma- or space-separated words (scopes).
    Words,
    Url,
    /// One of these words.
    Choice(&'static [&'static str]),
}

/// One configuration key.
#[derive(Debug)]
pub struct Key {
    /// As written after `config set`: `client_id`, `xero.api_url`.
    pub name: &'static str,
    pub kind: Kind,
    /// What it does, in a line.
    pub help: &'static str,
}

/// Every key a configuration file may hold, in the order `config keys` lists them.
pub const KEYS: &[Key] = &[
    key("client_id", Kind::Text, "the Xero app's Client ID"),
    key(
        "redirect_ports",
        Kind::Ports,
        "loopback ports, each registered at Xero as http://localhost:PORT/callback",
    ),
    key(
        "scopes",
        Kind::Words,
        "API scopes to ask for (openid, profile, email, offline_access are always added)",
    ),
    key(
        "keepalive_days",
        Kind::Number,
        "keep-alive refreshes logins whose refresh token is older than this (1-59)",
    ),
    key(
        "keychain_service",
        Kind::Text,
        "the keychain service name entries are stored under",
    ),
    key(
        "vault",
        Kind::Choice(&["keychain", "file"]),
        "where tokens live: the OS keychain, or an encrypted file vault under a passphrase",
    ),
    key(
        "redirect_mode",
        Kind::Choice(&["loopback", "deep_link"]),
        "how the browser hands the sign-in back: loopback, or deep_link through bounce_url",
    ),
    key(
        "bounce_url",
        Kind::Url,
        "the https page registered at Xero in deep_link mode (docs/bounce.html)",
    ),
    key(
        "timeout_secs",
        Kind::Number,
        "seconds one call to Xero may take (1-300)",
    ),
    key(
        "notify_days",
        Kind::Number,
        "warn this many days before a failing login's 60-day limit (1-59)",
    ),
    key(
        "close_to_tray",
        Kind::Bool,
        "closing the desktop window keeps the app running in the tray",
    ),
    key(
        "on_event",
        Kind::Text,
        "a command run for each event (TENANTRY_EVENT, TENANTRY_LOGIN, TENANTRY_ORG, TENANTRY_DETAIL)",
    ),
    key(
        "tier",
        Kind::Choice(&Tier::NAMES),
        "the Xero app's tier (its developer portal shows it): connections / calls a day per organisation / egress a month: starter 5 / 1000 / unlimited, core 50 / 5000 / 10 GB, plus 1000 / 5000 / 50 GB, advanced 10000 / 5000 / 250 GB, enterprise no cap / 5000 / agreed",
    ),
    key(
        "exempt",
        Kind::Bool,
        "the app is a practice's own integration, which Xero exempts from its fees (not from its limits)",
    ),
    key(
        "connection_limit",
        Kind::Number,
        "the Xero app's connection cap, when not its tier's (older uncertified apps 25)",
    ),
    key(
        "daily_limit",
        Kind::Number,
        "calls a day per organisation the gateway keeps to, when not the tier's (1-5000: Starter 1000, the others 5000)",
    ),
    key(
        "egress_allowance_gb",
        Kind::Number,
        "gigabytes a month the app may download before Xero bills overage, when not the tier's",
    ),
    key(
        "egress_budget_gb",
        Kind::Number,
        "gigabytes a month the whole app may download through the gateway; past it calls are refused until the month ends (1-1000000)",
    ),
    key(
        "egress_org_budget_gb",
        Kind::Number,
        "the same for each organisation on its own (1-1000000)",
    ),
    key(
        "call_log_days",
        Kind::Number,
        "days the call log keeps each call through the gateway (0-3650; 0 logs none; default 90)",
    ),
    key(
        "gateway_port",
        Kind::Number,
        "the loopback port the Xero API gateway serves local programs on (default 53710)",
    ),
    key(
        "serve_gateway",
        Kind::Bool,
        "the desktop app serves the Xero API and the token agent to local programs while it runs",
    ),
    key(
        "database_url",
        Kind::Text,
        "practice mode: the shared PostgreSQL database, postgres://USER@HOST:PORT/DATABASE (its password in PGPASSWORD or ~/.pgpass)",
    ),
    key(
        "person_name",
        Kind::Text,
        "practice mode: your name in the members list and the log (default: your OS user name)",
    ),
    key(
        "machine_name",
        Kind::Text,
        "practice mode: this computer's name in the members list and the log (default: its host name)",
    ),
    key(
        "xero.issuer",
        Kind::Text,
        "the OpenID issuer (Xero's unless you use another provider or the fake)",
    ),
    key(
        "xero.authorize_url",
        Kind::Url,
        "Xero's authorisation endpoint",
    ),
    key("xero.token_url", Kind::Url, "Xero's token endpoint"),
    key(
        "xero.revocation_url",
        Kind::Url,
        "Xero's revocation endpoint",
    ),
    key("xero.jwks_url", Kind::Url, "Xero's signing keys"),
    key("xero.api_url", Kind::Url, "Xero's API base address"),
];

const fn key(name: &'static str, kind: Kind, help: &'static str) -> Key {
    Key { name, kind, help }
}

/// The key called `name`, or an error that suggests the one meant.
pub fn find(name: &str) -> Result<&'static Key, ConfigError> {
    KEYS.iter()
        .find(|k| k.name == name)
        .ok_or_else(|| ConfigError::UnknownKey {
            key: name.to_owned(),
            hint: suggest(name),
        })
}

/// `api_url` for `xero.api_url`, `xero.client_id` for `client_id`, or a near spelling.
fn suggest(name: &str) -> Option<String> {
    let bare = name.rsplit('.').next().unwrap_or(name);
    if let Some(k) = KEYS
        .iter()
        .find(|k| k.name.rsplit('.').next() == Some(bare))
    {
        return Some(k.name.to_owned());
    }
    KEYS.iter()
        .map(|k| (strsim::damerau_levenshtein(k.name, name), k.name))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k.to_owned())
}

/// The value in effect for `name`, as `config set` takes it (a list comma-separated); None for
/// an optional key that is not set and has no default.
pub fn get(config: &Config, name: &str) -> Result<Option<String>, ConfigError> {
    find(name)?;
    let table = toml::Table::try_from(config).expect("configuration serialises");
    let value = match name.split_once('.') {
        Some((section, rest)) => table
            .get(section)
            .and_then(|s| s.as_table())
            .and_then(|s| s.get(rest)),
        None => table.get(name),
    };
    Ok(value.map(|v| match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }))
}

/// One change to a configuration file: a key set to a value (as `config set` takes it), or
/// unset so its default applies again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Set(String, String),
    Unset(String),
}

/// What [`edit`] did.
#[derive(Debug)]
pub struct Edited {
    /// The configuration the file now makes.
    pub config: Config,
    /// Whether the file changed (an unset of a key it did not set changes nothing).
    pub changed: bool,
}

/// The one way a configuration file is changed, by the CLI and the window alike: `edits`
/// applied to the file at `path` (through `toml_edit`, so its comments and layout stay), the
/// whole result validated, then written atomically. Nothing is written when any edit or the
/// result is invalid.
pub fn edit(path: &std::path::Path, edits: &[Edit]) -> Result<Edited, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ConfigError::Unreadable {
                path: path.into(),
                source,
            });
        }
    };
    let (next, _) = apply(&text, edits)?;
    let changed = next != text;
    if changed {
        super::write_text(path, &next)?;
    }
    Ok(Edited {
        config: Config::parse(&next)?,
        changed,
    })
}

/// `text` with `edits` applied, and the configuration it makes (validated as a whole).
pub fn apply(text: &str, edits: &[Edit]) -> Result<(String, Config), ConfigError> {
    let mut doc = document(text)?;
    for edit in edits {
        match edit {
            Edit::Set(name, value) => set_in(&mut doc, name, value)?,
            Edit::Unset(name) => {
                unset_in(&mut doc, name)?;
            }
        }
    }
    checked(doc)
}

/// The file's text with `name` set to `value`, and the configuration it makes (validated as a
/// whole). `text` is the file as it stands ("" when there is none); the caller writes the result.
pub fn set(text: &str, name: &str, value: &str) -> Result<(String, Config), ConfigError> {
    apply(text, &[Edit::Set(name.to_owned(), value.to_owned())])
}

/// The file's text without `name`, so its default applies again, and the configuration that
/// makes; `removed` says whether the file had set it.
pub fn unset(text: &str, name: &str) -> Result<(String, Config, bool), ConfigError> {
    let mut doc = document(text)?;
    let removed = unset_in(&mut doc, name)?;
    let (text, config) = checked(doc)?;
    Ok((text, config, removed))
}

fn set_in(doc: &mut DocumentMut, name: &str, value: &str) -> Result<(), ConfigError> {
    let key = find(name)?;
    let parsed = parse_value(key, value)?;
    match name.split_once('.') {
        Some((section, rest)) => {
            let table = doc
                .entry(section)
                .or_insert_with(toml_edit::table)
                .as_table_mut()
                .ok_or_else(|| ConfigError::BadValue {
                    key: section.to_owned(),
                    reason: format!("`{section}` in the file is not a [{section}] section"),
                })?;
            table[rest] = Item::Value(parsed);
        }
        None => doc[name] = Item::Value(parsed),
    }
    Ok(())
}

/// Whether the file had set `name`.
fn unset_in(doc: &mut DocumentMut, name: &str) -> Result<bool, ConfigError> {
    find(name)?;
    Ok(match name.split_once('.') {
        Some((section, rest)) => doc
            .get_mut(section)
            .and_then(Item::as_table_like_mut)
            .and_then(|t| t.remove(rest))
            .is_some(),
        None => doc.remove(name).is_some(),
    })
}

fn document(text: &str) -> Result<DocumentMut, ConfigError> {
    text.parse::<DocumentMut>()
        .map_err(|e| ConfigError::Syntax {
            path: "<the configuration file>".into(),
            message: e.message().to_owned(),
        })
}

/// The edited document as text, if the configuration it makes is valid.
fn checked(doc: DocumentMut) -> Result<(String, Config), ConfigError> {
    let text = doc.to_string();
    let config = Config::parse(&text)?;
    Ok((text, config))
}

fn list(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
}

/// `value` as the TOML value `key` holds; the reason names the key and what would be right.
fn parse_value(key: &Key, value: &str) -> Result<Value, ConfigError> {
    let bad = |reason: String| ConfigError::BadValue {
        key: key.name.to_owned(),
        reason,
    };
    let trimmed = value.trim();
    Ok(match key.kind {
        Kind::Text => Value::from(trimmed),
        Kind::Number => Value::from(
            trimmed
                .parse::<u32>()
                .map_err(|_| bad(format!("`{value}` is not a whole number")))? as i64,
        ),
        Kind::Bool => Value::from(match trimmed {
            "true" | "yes" | "on" => true,
            "false" | "no" | "off" => false,
            _ => return Err(bad(format!("`{value}` is not true or false"))),
        }),
        Kind::Ports => {
            let mut ports = Array::new();
            for p in list(value) {
                let port = p
                    .parse::<u16>()
                    .map_err(|_| bad(format!("`{p}` is not a port number (1024-65535)")))?;
                ports.push(i64::from(port));
            }
            Value::Array(ports)
        }
        Kind::Words => Value::Array(list(value).collect()),
        Kind::Url => {
            let url = trimmed
                .parse::<url::Url>()
                .map_err(|e| bad(format!("`{value}` is not a URL ({e})")))?;
            Value::from(url.as_str())
        }
        Kind::Choice(words) => {
            if !words.contains(&trimmed) {
                return Err(bad(format!(
                    "`{value}` is not one of: {}",
                    words.join(", ")
                )));
            }
            Value::from(trimmed)
        }
    })
}

#[cfg(test)]
mod tests;
