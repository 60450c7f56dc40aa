//! The database password where libpq users keep it, when `database_url` has none: `PGPASSWORD`,
//! else the password file (`PGPASSFILE`, or `~/.pgpass`; `%APPDATA%\postgresql\pgpass.conf` on
//! Windows). The PostgreSQL client crate reads neither, so Tenantry does, by libpq's rules.

use std::path::{Path, PathBuf};

/// Where a password may come from, read once from the environment (tests pass their own).
pub(super) struct Sources {
    pub pgpassword: Option<String>,
    pub passfile: Option<PathBuf>,
}

impl Sources {
    pub(super) fn from_env() -> Self {
        let default_file = || {
            if cfg!(windows) {
                std::env::var_os("APPDATA")
                    .map(|d| Path::new(&d).join("postgresql").join("pgpass.conf"))
            } else {
                std::env::var_os("HOME").map(|h| Path::new(&h).join(".pgpass"))
            }
        };
        Self {
            pgpassword: std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()),
            passfile: std::env::var_os("PGPASSFILE")
                .map(PathBuf::from)
                .or_else(default_file),
        }
    }
}

/// The password for the server and user `config` names, if any source has one.
pub(super) fn find(config: &postgres::Config, sources: &Sources) -> Option<String> {
    if let Some(password) = &sources.pgpassword {
        return Some(password.clone());
    }
    let path = sources.passfile.as_ref()?;
    if !private_enough(path) {
        // libpq's rule: a password file others can read is ignored, and says so.
        tracing::warn!(file = %path.display(), "ignoring the password file: others can read it (chmod 0600 it)");
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(host)) => host.clone(),
        // A Unix socket matches `localhost`, as libpq has it.
        _ => "localhost".into(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default();
    let db = config.get_dbname().unwrap_or(user);
    lookup(&text, [&host, &port, db, user])
}

/// The first line of a password file whose four fields match (`*` matches anything).
fn lookup(text: &str, wanted: [&str; 4]) -> Option<String> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#') && !line.trim().is_empty())
        .map(fields)
        .find(|f| f.len() == 5 && (0..4).all(|i| f[i] == "*" || f[i] == wanted[i]))
        .map(|mut f| f.swap_remove(4))
}

/// Splits a line on `:`, where `\:` and `\\` stand for themselves.
fn fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    out.last_mut().expect("one field").push(next);
                }
            }
            ':' if out.len() < 5 => out.push(String::new()),
            c => out.last_mut().expect("one field").push(c),
        }
    }
    out
}

#[cfg(unix)]
fn private_enough(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 == 0)
}

#[cfg(not(unix))]
fn private_enough(path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_matching_line_wins_and_wildcards_and_escapes_work() {
        let text = "# the practice\n\
                    db.example.com:5432:other:ann:not-this\n\
                    db.example.com:5432:practice:ann:pa\\:ss\\\\word\n\
                    *:*:*:ann:fallback\n";
        assert_eq!(
            lookup(text, ["db.example.com", "5432", "practice", "ann"]).as_deref(),
            Some("pa:ss\\word"),
            "an exact line before a wildcard one wins, with its escapes undone"
        );
        assert_eq!(
            lookup(text, ["elsewhere", "6000", "x", "ann"]).as_deref(),
            Some("fallback"),
            "`*` matches any host, port and database"
        );
        assert_eq!(
            lookup(text, ["db.example.com", "5432", "practice", "bob"]),
            None,
            "no line for this user means no password, not someone else's"
        );
    }

    #[cfg(unix)]
    #[test]
    fn pgpassword_comes_first_and_a_readable_file_is_ignored() {
        use std::os::unix::fs::PermissionsExt;
        use std::str::FromStr;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(&file, "*:*:*:ann:from-file\n").unwrap();
        let config = postgres::Config::from_str("postgres://ann@db.example.com/practice").unwrap();
        let sources = |pgpassword: Option<&str>| Sources {
            pgpassword: pgpassword.map(str::to_owned),
            passfile: Some(file.clone()),
        };
        assert_eq!(
            find(&config, &sources(Some("from-env"))).as_deref(),
            Some("from-env"),
            "PGPASSWORD outranks the file, as in libpq"
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            find(&config, &sources(None)),
            None,
            "a password file other users can read is not trusted"
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            find(&config, &sources(None)).as_deref(),
            Some("from-file"),
            "a private password file is read"
        );
    }
}
