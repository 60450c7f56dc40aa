//! The token agent: while the gateway (or the desktop app) runs, it answers token requests on a
//! local socket, so `tenantry token` and `tenantry exec` get a token from the running engine's
//! memory instead of opening the store and the keychain in a fresh process. The agent is one
//! more caller of the engine: single flight and crash safety are the engine's, unchanged.
//!
//! A Unix socket in the user's runtime directory (`$XDG_RUNTIME_DIR/tenantry/`, a directory
//! only the user can enter; the profile's data directory where there is no runtime directory),
//! mode 0600, and each connection's peer uid checked against the socket's owner. One JSON line
//! per request and per answer ([`wire`]). On Windows a named pipe, `\\.\pipe\tenantry-agent-…`,
//! whose DACL lets only its owner open it, with each peer's process checked to be this user's
//! on both ends ([`windows`]).

pub mod client;
pub mod server;
#[cfg(windows)]
mod windows;
pub mod wire;

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Where the agent for the profile whose data lives in `data_dir` listens. Named from the data
/// directory, so two profiles (or two `--data-dir`s) never share an agent.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    let digest = Sha256::digest(data_dir.as_os_str().as_encoded_bytes());
    let name: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    if cfg!(windows) {
        // The data directory is under the user's own profile, so the name is the user's too.
        return PathBuf::from(format!(r"\\.\pipe\tenantry-agent-{name}"));
    }
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir)
            .join("tenantry")
            .join(format!("agent-{name}.sock")),
        None => data_dir.join("agent.sock"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_data_directory_has_its_own_socket() {
        let a = socket_path(Path::new("/home/ann/.local/share/tenantry/default"));
        let b = socket_path(Path::new("/home/ann/.local/share/tenantry/work"));
        assert_ne!(a, b, "two profiles never share an agent");
        assert_eq!(
            a,
            socket_path(Path::new("/home/ann/.local/share/tenantry/default")),
            "the CLI finds the same path the agent listens on"
        );
        assert!(
            a.as_os_str().len() < 100,
            "within a Unix socket path's 108 bytes"
        );
    }
}
