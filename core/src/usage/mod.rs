//! Egress: what Xero's APIs sent back, counted per UTC day, organisation, program and API path
//! ([`EgressKey`], [`EgressCount`]), and a month's report made of those counts ([`report`]), for
//! `tenantry usage`. Xero bills what an app downloads past its tier's monthly allowance (FACTS
//! §7). How Xero measures it is not published (on the wire or decoded; a gigabyte of 10⁹ or 2³⁰
//! bytes), so both sizes are kept, and the share of the allowance is reckoned on the wire in
//! gigabytes of 10⁹ bytes, the larger reading of "GB" being the kinder to the user's budget only
//! if we are wrong the other way. The docs say so (docs/CLI.md, `usage`).

pub mod budget;
mod month;
mod report;

pub use month::{BadMonth, Month};
pub use report::{Line, PathLine, UsageReport, report};

use chrono::NaiveDate;
use serde::Serialize;

/// Bytes in the gigabyte the allowance is reckoned in.
pub const GB: u64 = 1_000_000_000;
/// What Xero charges per GB past the allowance, in Australian dollars, as the reports of its
/// 2026 pricing give it (Xero's own table is not in FACTS: unconfirmed).
pub const OVERAGE_AUD_PER_GB: f64 = 2.40;
/// The program named for calls whose process the OS did not tell.
pub const UNKNOWN_PROGRAM: &str = "unknown";
/// The program named for the calls Tenantry makes itself (testing an organisation).
pub const TENANTRY_PROGRAM: &str = "tenantry";

/// What one count is kept under.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EgressKey {
    /// The UTC day the answer ended on.
    pub day: NaiveDate,
    /// Lower case.
    pub tenant_id: String,
    pub program: String,
    /// The API path with ids taken out ([`api_path`]).
    pub path: String,
}

/// Calls and the bytes of their answers' bodies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EgressCount {
    pub calls: u64,
    /// As Xero sent them (compressed, when the client asked for it).
    pub wire: u64,
    /// Decoded (equal to `wire` for an answer that was not compressed).
    pub decoded: u64,
}

impl EgressCount {
    pub fn add(&mut self, other: EgressCount) {
        self.calls += other.calls;
        self.wire += other.wire;
        self.decoded += other.decoded;
    }
}

/// A request path as counts are kept under it: no query, no trailing slash, and each segment
/// that is an id (a GUID or a number) replaced by `{id}`, so `/api.xro/2.0/Invoices/<guid>`
/// counts with every other invoice and the table stays small.
pub fn api_path(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| if is_id(s) { "{id}" } else { s })
        .collect();
    format!("/{}", segments.join("/"))
}

fn is_id(segment: &str) -> bool {
    let b = segment.as_bytes();
    let guid = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    // Version segments (`2.0`) have a dot and stay.
    guid || (!b.is_empty() && b.iter().all(u8::is_ascii_digit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_taken_out_of_paths_and_versions_stay() {
        assert_eq!(
            api_path("/api.xro/2.0/Invoices/0f6a8c2e-1b3d-4e5f-9a7b-8c9d0e1f2a3b?page=2"),
            "/api.xro/2.0/Invoices/{id}"
        );
        assert_eq!(
            api_path("/payroll.xro/1.0/Employees/123/"),
            "/payroll.xro/1.0/Employees/{id}"
        );
        assert_eq!(api_path("/api.xro/2.0/Contacts"), "/api.xro/2.0/Contacts");
        // Not quite a GUID: kept.
        assert_eq!(
            api_path("/api.xro/2.0/Invoices/0f6a8c2e-1b3d-4e5f-9a7b-8c9d0e1f2a3"),
            "/api.xro/2.0/Invoices/0f6a8c2e-1b3d-4e5f-9a7b-8c9d0e1f2a3"
        );
        assert_eq!(api_path(""), "/");
    }

    #[test]
    fn counts_add_up() {
        let mut c = EgressCount::default();
        c.add(EgressCount {
            calls: 1,
            wire: 10,
            decoded: 40,
        });
        c.add(EgressCount {
            calls: 2,
            wire: 5,
            decoded: 5,
        });
        assert_eq!(
            c,
            EgressCount {
                calls: 3,
                wire: 15,
                decoded: 45
            }
        );
    }
}
