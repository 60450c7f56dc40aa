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
//! - `call`: `tenantry call`, a write previewed and sent only once confirmed.
//! - `each`: `tenantry each`, one read to many organisations, pages followed.
//! - `calllog`: a row per call through the gateway, `tenantry log --calls`.
//! - `mcp`: `tenantry mcp` through the official MCP Python SDK across token expiries, and its
//!   confirmed writes.
//! - `sdks`: Xero's xero-python and xero-node, unmodified, through the gateway.
//! - `usage`: the egress meter, exact on the wire and decoded, and `tenantry usage`.

use crate::util::*;
use std::time::Duration;

mod agent;
mod browser;
mod call;
mod calllog;
mod each;
mod forward;
mod hardening;
mod limits;
mod mcp;
mod sdks;
mod usage;

pub use crate::running_gateway::Gateway;

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
