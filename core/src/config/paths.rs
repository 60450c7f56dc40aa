//! Where a profile keeps its configuration file and its data: given paths first, then the
//! environment (`TENANTRY_CONFIG`, `TENANTRY_DATA_DIR`, which together isolate a whole instance, as
//! every test and the demo do), then the platform's directories.

use super::ConfigError;
use std::path::{Path, PathBuf};

pub const ENV_CONFIG: &str = "TENANTRY_CONFIG";
pub const ENV_DATA_DIR: &str = "TENANTRY_DATA_DIR";

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
        let dirs = directories::ProjectDirs::from("com", "Tenantry", "tenantry");
        let config_file = match config_override
            .map(PathBuf::from)
            .or_else(|| std::env::var_os(ENV_CONFIG).map(PathBuf::from))
        {
            Some(path) => path,
            None => dirs
                .as_ref()
                .ok_or(ConfigError::NoHome)?
                .config_dir()
                .join(format!("{profile}.toml")),
        };
        let data_dir = match data_override
            .map(|p| p.as_os_str().to_owned())
            .or_else(|| std::env::var_os(ENV_DATA_DIR))
        {
            Some(dir) => PathBuf::from(dir),
            None => dirs
                .as_ref()
                .ok_or(ConfigError::NoHome)?
                .data_dir()
                .join(profile),
        };
        Ok(Self {
            config_file,
            data_dir,
        })
    }
}
