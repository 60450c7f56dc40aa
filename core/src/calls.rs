//! The call log: a row for every call a program made through the gateway (`tenantry each`,
//! `tenantry call` and MCP's tools go through it too): when, which local program (and MCP tool),
//! which organisation, the method, the path with its query's names but not their values, the
//! status, the bytes of the answer and how long it took. Never a token, a key or a body: a query's
//! values can hold a customer's name or an amount, so only their names are kept. Kept
//! `call_log_days` (90 by default; 0 logs none). Pure: the gateway writes rows, the store keeps
//! them, `tenantry log --calls` and the window read them.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// Days a call is kept where `call_log_days` is not set.
pub const DEFAULT_DAYS: u32 = 90;

/// One call, as the gateway saw it end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallRecord {
    /// When it arrived at the gateway.
    pub at: DateTime<Utc>,
    /// The local program that sent it (`tenantry` for Tenantry's own `each`, `call` and MCP).
    pub program: String,
    /// The MCP tool (or `each`, `call`) it was sent for, when Tenantry sent it.
    pub tool: Option<String>,
    /// The organisation's tenant id (lower case), or what the call named when that was no
    /// organisation; empty for `/connections`.
    pub tenant_id: String,
    pub method: String,
    /// The path, and the query's names without their values ([`shape`]).
    pub path: String,
    /// Xero's status, or the gateway's own when it answered (a budget spent, an unknown
    /// organisation).
    pub status: u16,
    /// The answer's bytes as they crossed the wire.
    pub bytes: u64,
    pub duration_ms: u32,
    /// In a practice: the person and machine whose gateway served it ("Ann on NIGHTLY-BOX").
    pub by: Option<String>,
    /// The organisation's name, as the engine reads it back (not stored: a name changes).
    pub organisation: Option<String>,
}

/// What `tenantry log --calls` and the window's Calls tab ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFilter {
    /// A tenant id (lower case).
    pub tenant_id: Option<String>,
    /// A program's name, any case.
    pub program: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// The newest this many.
    pub limit: usize,
}

/// `path?query` as the log keeps it: the query's names in their order, each once, without their
/// values (`/api.xro/2.0/Invoices?where&page`).
pub fn shape(path: &str, query: Option<&str>) -> String {
    let mut names: Vec<String> = Vec::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let name = pair.split('=').next().unwrap_or("").to_owned();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", names.join("&"))
    }
}

/// Calls before this are forgotten (with `call_log_days = 0` none are written, and none are
/// forgotten: in a practice the rows are every machine's).
pub fn keep_from(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    now - Duration::days(i64::from(days))
}

/// A tool name as a client may give it: letters, digits, `_` and `-`, at most 64; anything else
/// is not kept (it is a label a local program chose, not a fact).
pub fn tool_name(given: &str) -> Option<String> {
    (!given.is_empty()
        && given.len() <= 64
        && given
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    .then(|| given.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_keeps_its_querys_names_but_never_their_values() {
        assert_eq!(
            shape("/api.xro/2.0/Invoices", None),
            "/api.xro/2.0/Invoices"
        );
        assert_eq!(
            shape(
                "/api.xro/2.0/Invoices",
                Some("where=Contact.Name%3D%3D%22Acme%22&page=2&page=3")
            ),
            "/api.xro/2.0/Invoices?where&page"
        );
        assert_eq!(shape("/connections", Some("")), "/connections");
        assert_eq!(shape("/x", Some("&=1&flag")), "/x?flag");
    }

    #[test]
    fn a_tool_name_is_kept_only_when_it_is_a_plain_name() {
        assert_eq!(tool_name("xero_get_each").as_deref(), Some("xero_get_each"));
        assert_eq!(tool_name("each").as_deref(), Some("each"));
        assert_eq!(tool_name(""), None);
        assert_eq!(tool_name("a b"), None);
        assert_eq!(tool_name(&"x".repeat(65)), None);
    }
}
