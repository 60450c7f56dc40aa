//! The local Xero API gateway as programs use it: `tenantry gateway` running as its own
//! process, called over real HTTP on loopback, forwarding to the fake Xero. Contents:
//! - `forward`: the right login's token for each organisation; writes; `/connections`; every
//!   refusal (key, Host, browsers, OPTIONS, unknown organisation, not Xero's path, size).
//! - `hardening`: what whoever can reach the port cannot do: collect the key from `tenantry mcp`,
//!   reach another path through dot segments, exhaust descriptors with idle sockets, route a
//!   write by a guessed id prefix, abort the gateway with a huge `Retry-After`, or take more than
//!   one program's turns and memory.
//! - `limits`: Xero's limits held for many clients together; 429 and 401 handled once.
//! - `browser`: headless Chromium: a web page cannot use the gateway, even knowing the key.
//! - `agent`: `tenantry token` answered from the running gateway's memory, only for its user.
//! - `mcp`: `tenantry mcp` through the official MCP Python SDK across token expiries.
//! - `sdks`: Xero's xero-python and xero-node, unmodified, through the gateway.

use crate::util::*;
use std::time::Duration;

mod agent;
mod browser;
mod forward;
mod hardening;
mod limits;
mod mcp;
mod sdks;

/// A running `tenantry gateway` on a free port.
pub struct Gateway {
    /// Killed when this is dropped (`kill_on_drop`).
    _child: tokio::process::Child,
    pub pid: u32,
    pub url: String,
    pub port: u16,
    pub key: String,
    log: tempfile::NamedTempFile,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let said = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        eprintln!("--- tenantry gateway's log\n{said}---");
    }
}

impl Gateway {
    /// Starts `tenantry gateway` for `cli`'s profile with `env` added.
    pub async fn start(cli: &Tenantry, env: &[(&str, &str)]) -> Self {
        let key = cli.run(&["gateway", "--print-key"]).await;
        assert_eq!(key.status, 0, "the key is made and printed: {key:?}");
        let mut cmd = cli.command(&["gateway", "--port", "0"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        // Its log goes to a file (a pipe nobody reads could fill and stall it), shown on drop.
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(log.reopen().unwrap())
            .kill_on_drop(true)
            .spawn()
            .expect("start tenantry gateway");
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(
            child.stdout.take().unwrap(),
        ));
        let url = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the gateway starts within 20 s")
            .unwrap()
            .expect("the gateway prints its URL");
        let port = url.rsplit(':').next().unwrap().parse().unwrap();
        Self {
            pid: child.id().expect("the gateway runs"),
            _child: child,
            url,
            port,
            key: key.stdout.trim().to_owned(),
            log,
        }
    }

    /// A GET of `path` for `org` with the key, as an SDK sends it.
    pub fn get(&self, http: &reqwest::Client, path: &str, org: &str) -> reqwest::RequestBuilder {
        http.get(format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .header("xero-tenant-id", org)
    }
}

/// The instance with Ann and Ben connected through the CLI, on the real keychain; `None` (the
/// test skips) where no keychain runs.
pub async fn connected(
    test: &str,
    options: tenantry_fake_xero::Options,
) -> Option<(Instance, Tenantry)> {
    if !keyring_available(test) {
        return None;
    }
    let it = instance_with(options, VaultKind::Keychain).await;
    let cli = Tenantry::connected(&it, &[ANN, BEN]).await;
    Some((it, cli))
}
