//! Where a profile keeps its configuration file and its data: given paths first, then the
//! environment (`TENANTRY_CONFIG`, `TENANTRY_DATA_DIR`, which together isolate a whole instance, as
//! every test and the demo do), then the platform's directories.

use super::ConfigError;
use std::path::{Path, PathBuf};

pub const ENV_CONFIG: &str = "TENANTRY_CONFIG";
pub const ENV_DATA_DIR: &str = "TENANTRY_DATA_DIR";

/// The desktop bundle's identifier (`tauri.conf.json`). On macOS and Windows the app's own folders
/// are named after it, as Tauri names the WebView's, so one app leaves one name on the disk.
pub const BUNDLE_ID: &str = "app.tenantry.desktop";

/// The configuration and data directories under the platform's base directories (`config_base`:
/// `~/.config`, `~/Library/Application Support`, `%APPDATA%`; `data_base`: `~/.local/share`, the
/// same on macOS, `%LOCALAPPDATA%`, which does not roam: SQLite and lock files are this machine's).
/// Linux keeps the XDG custom of a short lowercase name, and the folders it always had.
pub fn platform_dirs(os: &str, config_base: &Path, data_base: &Path) -> (PathBuf, PathBuf) {
    let name = match os {
        "macos" | "windows" => BUNDLE_ID,
        _ => "tenantry",
    };
    (config_base.join(name), data_base.join(name))
}

/// Where one profile keeps its configuration file and its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfilePaths {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
}

impl ProfilePaths {
    /// Resolves the paths for `profile`: explicit path, else the environment, else the platform's
    /// config and data directories (`~/.config/tenantry/PROFILE.toml`, `~/.local/share/tenantry/PROFILE`).
    pub fn resolve(profile: &str, config_override: Option<&Path>) -> Result<Self, ConfigError> {
        Self::resolve_with(profile, config_override, None)
    }

    /// As [`ProfilePaths::resolve`], with an explicit data directory winning over the environment.
    pub fn resolve_with(
        profile: &str,
        config_override: Option<&Path>,
        data_override: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        if profile.is_empty()
            || !profile
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ConfigError::Invalid {
                key: "profile",
                reason: format!("`{profile}` must be letters, digits, - or _"),
            });
        }
        let dirs = directories::BaseDirs::new().map(|base| {
            platform_dirs(
                std::env::consts::OS,
                base.config_dir(),
                base.data_local_dir(),
            )
        });
        let config_file = match config_override
            .map(PathBuf::from)
            .or_else(|| std::env::var_os(ENV_CONFIG).map(PathBuf::from))
        {
            Some(path) => path,
            None => dirs
                .as_ref()
                .ok_or(ConfigError::NoHome)?
                .0
                .join(format!("{profile}.toml")),
        };
        let data_dir = match data_override
            .map(|p| p.as_os_str().to_owned())
            .or_else(|| std::env::var_os(ENV_DATA_DIR))
        {
            Some(dir) => PathBuf::from(dir),
            None => dirs.as_ref().ok_or(ConfigError::NoHome)?.1.join(profile),
        };
        Ok(Self {
            config_file,
            data_dir,
        })
    }

    /// Whether the profile has been made: its configuration file or its database exists.
    pub fn exist(&self) -> bool {
        self.config_file.exists() || self.data_dir.join("tenantry.db").exists()
    }
}

/// Whether a configuration file was named explicitly (`--config`, `TENANTRY_CONFIG`), so that a
/// missing one is a mistake rather than a profile not configured yet.
pub fn config_named(config_override: Option<&Path>) -> Option<PathBuf> {
    config_override
        .map(PathBuf::from)
        .or_else(|| std::env::var_os(ENV_CONFIG).map(PathBuf::from))
}

/// What to tell the person who named a profile on the command line (`--profile NAME`) and a
/// configuration file (`--config`, `TENANTRY_CONFIG`) that is not NAME's own: the file wins, and
/// the profile's name then only says where the data is (unless `--data-dir` or
/// `TENANTRY_DATA_DIR` does). Said rather than refused: the keep-alive job's own command line
/// names both, and a job installed with `TENANTRY_CONFIG` set must keep running.
pub fn profile_overridden(
    profile: &str,
    config_override: Option<&Path>,
    data_override: Option<&Path>,
) -> Option<String> {
    let (config, config_from) = match config_override {
        Some(path) => (path.to_path_buf(), "--config"),
        None => (PathBuf::from(std::env::var_os(ENV_CONFIG)?), ENV_CONFIG),
    };
    let base = directories::BaseDirs::new()?;
    let (config_dir, _) = platform_dirs(
        std::env::consts::OS,
        base.config_dir(),
        base.data_local_dir(),
    );
    let own = config_dir.join(format!("{profile}.toml"));
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => std::path::absolute(a).ok() == std::path::absolute(b).ok(),
    };
    if same(&config, &own) {
        return None;
    }
    let data = match data_override {
        Some(_) => "--data-dir names the data directory".to_owned(),
        None if std::env::var_os(ENV_DATA_DIR).is_some() => {
            format!("{ENV_DATA_DIR} names the data directory")
        }
        None => format!("the profile `{profile}` names only the data directory"),
    };
    Some(overridden_words(profile, &config, config_from, &data))
}

fn overridden_words(profile: &str, config: &Path, config_from: &str, data: &str) -> String {
    format!(
        "{config_from} names the configuration file {}, which wins over --profile {profile}; {data}. \
         To use the profile's own file, drop {config_from}",
        config.display()
    )
}

/// The profiles made on this machine (a `NAME.toml` in the configuration folder, or a data folder
/// with a database), sorted: what an unknown profile's error lists.
pub fn known_profiles() -> Vec<String> {
    let Some(base) = directories::BaseDirs::new() else {
        return Vec::new();
    };
    let (config, data) = platform_dirs(
        std::env::consts::OS,
        base.config_dir(),
        base.data_local_dir(),
    );
    let names = |dir: &Path, pick: &dyn Fn(&std::fs::DirEntry) -> Option<String>| -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|entries| entries.flatten().filter_map(|e| pick(&e)).collect())
            .unwrap_or_default()
    };
    let mut found = names(&config, &|e| {
        let path = e.path();
        (path.extension()? == "toml").then(|| path.file_stem()?.to_str().map(str::to_owned))?
    });
    found.extend(names(&data, &|e| {
        e.path()
            .join("tenantry.db")
            .exists()
            .then(|| e.file_name().to_str().map(str::to_owned))?
    }));
    found.sort();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_file_that_wins_over_a_profile_is_said_with_both_names() {
        let said = overridden_words(
            "clients",
            Path::new("/x/a.toml"),
            "TENANTRY_CONFIG",
            "the profile `clients` names only the data directory",
        );
        assert_eq!(
            said,
            "TENANTRY_CONFIG names the configuration file /x/a.toml, which wins over --profile clients; \
             the profile `clients` names only the data directory. To use the profile's own file, drop TENANTRY_CONFIG"
        );
    }

    #[test]
    fn each_platform_names_its_folders_as_its_users_expect() {
        let (config, data) = platform_dirs(
            "linux",
            Path::new("/home/ann/.config"),
            Path::new("/home/ann/.local/share"),
        );
        // Linux users' existing configuration and data must stay where they are.
        assert_eq!(config, Path::new("/home/ann/.config/tenantry"));
        assert_eq!(data, Path::new("/home/ann/.local/share/tenantry"));
        let support = Path::new("/Users/ann/Library/Application Support");
        let (config, data) = platform_dirs("macos", support, support);
        // One folder, named as the installed app is, beside the WebView's.
        assert_eq!(config, support.join("app.tenantry.desktop"));
        assert_eq!(data, config);
        let (config, data) = platform_dirs(
            "windows",
            Path::new(r"C:\Users\ann\AppData\Roaming"),
            Path::new(r"C:\Users\ann\AppData\Local"),
        );
        // The configuration may roam with the user; the database and locks must not.
        assert_eq!(
            config,
            Path::new(r"C:\Users\ann\AppData\Roaming").join(BUNDLE_ID)
        );
        assert_eq!(
            data,
            Path::new(r"C:\Users\ann\AppData\Local").join(BUNDLE_ID)
        );
    }

    #[test]
    fn the_bundle_id_is_the_desktop_apps() {
        let conf: serde_json::Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tauri.conf.json"
        )))
        .expect("tauri.conf.json is JSON");
        // The folders on macOS and Windows are named after the bundle: the two must not drift.
        assert_eq!(conf["identifier"], BUNDLE_ID);
    }
}
