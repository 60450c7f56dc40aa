//! Every configuration key by name, for `config get|set|unset|keys`: what kind of value each
//! takes and what it does. Edits go through `toml_edit`, so a hand-written file keeps its
//! comments and layout, and the whole result is validated before the caller writes it.

use super::{Config, ConfigError};
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
        "connection_limit",
        Kind::Number,
        "the Xero app's connection cap by tier: Starter 5, Core 50, Plus 1000, Advanced 10000 (older uncertified apps 25)",
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

/// The file's text with `name` set to `value`, and the configuration it makes (validated as a
/// whole). `text` is the file as it stands ("" when there is none); the caller writes the result.
pub fn set(text: &str, name: &str, value: &str) -> Result<(String, Config), ConfigError> {
    let key = find(name)?;
    let parsed = parse_value(key, value)?;
    let mut doc = document(text)?;
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
    checked(doc)
}

/// The file's text without `name`, so its default applies again, and the configuration that
/// makes; `removed` says whether the file had set it.
pub fn unset(text: &str, name: &str) -> Result<(String, Config, bool), ConfigError> {
    find(name)?;
    let mut doc = document(text)?;
    let removed = match name.split_once('.') {
        Some((section, rest)) => doc
            .get_mut(section)
            .and_then(Item::as_table_like_mut)
            .and_then(|t| t.remove(rest))
            .is_some(),
        None => doc.remove(name).is_some(),
    };
    let (text, config) = checked(doc)?;
    Ok((text, config, removed))
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
mod tests {
    use super::*;

    #[test]
    fn every_key_can_be_set_and_read_back() {
        let values = [
            ("client_id", "ABC123", "ABC123"),
            ("redirect_ports", "53690, 53691", "53690,53691"),
            (
                "scopes",
                "accounting.contacts accounting.settings.read",
                "accounting.contacts,accounting.settings.read",
            ),
            ("keepalive_days", "30", "30"),
            ("keychain_service", "tenantry-work", "tenantry-work"),
            ("vault", "file", "file"),
            (
                "bounce_url",
                "https://example.com/bounce.html",
                "https://example.com/bounce.html",
            ),
            ("timeout_secs", "60", "60"),
            ("notify_days", "10", "10"),
            ("close_to_tray", "no", "false"),
            ("connection_limit", "25", "25"),
            ("gateway_port", "53800", "53800"),
            ("serve_gateway", "yes", "true"),
            (
                "database_url",
                "postgres://ann@db.example.com:5432/practice",
                "postgres://ann@db.example.com:5432/practice",
            ),
            ("person_name", "Ann", "Ann"),
            ("machine_name", "LAPTOP-2", "LAPTOP-2"),
            (
                "on_event",
                "logger -t tenantry \"$TENANTRY_EVENT\"",
                "logger -t tenantry \"$TENANTRY_EVENT\"",
            ),
            (
                "xero.issuer",
                "http://127.0.0.1:5000",
                "http://127.0.0.1:5000",
            ),
            (
                "xero.authorize_url",
                "http://127.0.0.1:5000/a",
                "http://127.0.0.1:5000/a",
            ),
            (
                "xero.token_url",
                "http://127.0.0.1:5000/t",
                "http://127.0.0.1:5000/t",
            ),
            (
                "xero.revocation_url",
                "http://127.0.0.1:5000/r",
                "http://127.0.0.1:5000/r",
            ),
            (
                "xero.jwks_url",
                "http://127.0.0.1:5000/j",
                "http://127.0.0.1:5000/j",
            ),
            (
                "xero.api_url",
                "http://127.0.0.1:5000/",
                "http://127.0.0.1:5000/",
            ),
        ];
        let mut text = String::new();
        for (name, value, shown) in values {
            let (next, config) = set(&text, name, value).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                get(&config, name).unwrap().as_deref(),
                Some(shown),
                "`config get {name}` shows what `config set` wrote"
            );
            text = next;
        }
        // deep_link needs bounce_url, which is set above: the order of a session of edits.
        let (text, config) = set(&text, "redirect_mode", "deep_link").unwrap();
        assert_eq!(
            get(&config, "redirect_mode").unwrap().as_deref(),
            Some("deep_link")
        );
        assert_eq!(
            KEYS.len(),
            values.len() + 1,
            "the table above covers every key"
        );
        assert_eq!(
            Config::parse(&text).unwrap(),
            config,
            "the text written is the configuration returned"
        );
    }

    #[test]
    fn edits_keep_the_file_s_comments_and_other_keys() {
        let text = "# our app\nclient_id = \"ABC\" # from developer.xero.com\n\n[xero]\n# the fake\napi_url = \"http://127.0.0.1:5000/\"\n";
        let (text, _) = set(text, "notify_days", "14").unwrap();
        let (text, _) = set(
            &text,
            "xero.token_url",
            "http://127.0.0.1:5000/connect/token",
        )
        .unwrap();
        for kept in [
            "# our app",
            "# from developer.xero.com",
            "# the fake",
            "client_id = \"ABC\"",
        ] {
            assert!(text.contains(kept), "`{kept}` survives an edit:\n{text}");
        }
        let (text, config, removed) = unset(&text, "xero.api_url").unwrap();
        assert!(removed, "the file had set it");
        assert_eq!(
            config.xero.api_url,
            crate::config::XeroEndpoints::default().api_url,
            "the default applies again once unset"
        );
        let (_, _, again) = unset(&text, "xero.api_url").unwrap();
        assert!(!again, "unsetting twice is harmless and says so");
    }

    #[test]
    fn bad_keys_and_values_are_refused_with_the_fix() {
        let err = set("", "api_url", "http://127.0.0.1:1/")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("xero.api_url"),
            "a section's key is named in full: {err}"
        );
        let err = set("", "clientid", "X").unwrap_err().to_string();
        assert!(
            err.contains("client_id"),
            "a near spelling is suggested: {err}"
        );
        for (name, value, said) in [
            ("redirect_mode", "carrier_pigeon", "loopback, deep_link"),
            ("redirect_mode", "deep_link", "bounce_url"),
            ("keepalive_days", "60", "keepalive_days"),
            ("redirect_ports", "80", "privileged"),
            ("close_to_tray", "maybe", "true or false"),
            ("xero.token_url", "http://evil.example/t", "https"),
        ] {
            let err = set("", name, value).unwrap_err().to_string();
            assert!(
                err.contains(said),
                "`{name} {value}`: `{err}` must say `{said}`"
            );
        }
        assert_eq!(
            get(&Config::default(), "bounce_url").unwrap(),
            None,
            "an optional key with no default has no value"
        );
    }
}
