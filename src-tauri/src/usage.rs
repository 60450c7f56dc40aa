//! What the window's Usage view shows: this month's egress (what Xero's APIs sent back through
//! the gateway) from the core's report, by organisation and by day, against the tier's allowance.
//! Bytes go to TypeScript as numbers: a month's downloads stay far below 2⁵³.

use serde::Serialize;
use tenantry_core::config::Tier;
use tenantry_core::usage::UsageReport;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct UsageView {
    /// `YYYY-MM`, a UTC month.
    pub month: String,
    /// Days in the month.
    pub month_days: u32,
    #[ts(type = "number")]
    pub calls: u64,
    /// Bytes on the wire (compressed when the program asked), and decoded.
    #[ts(type = "number")]
    pub wire: u64,
    #[ts(type = "number")]
    pub decoded: u64,
    /// The month's allowance in bytes; null when there is none or no tier is set.
    #[ts(type = "number | null")]
    pub allowance: Option<u64>,
    /// The configured tier's name, if any.
    pub tier: Option<String>,
    /// Wire bytes by the month's end at its rate so far, and the overage that would cost (A$).
    #[ts(type = "number")]
    pub projected_wire: u64,
    pub projected_overage_aud: f64,
    /// Largest first.
    pub organisations: Vec<UsageBar>,
    /// Each day so far: that day's wire bytes, and the month's to the end of it.
    pub days: Vec<UsageDay>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct UsageBar {
    pub tenant_id: String,
    /// Its name as the store knows it (null for one no longer connected).
    pub name: Option<String>,
    #[ts(type = "number")]
    pub calls: u64,
    #[ts(type = "number")]
    pub wire: u64,
    #[ts(type = "number")]
    pub decoded: u64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct UsageDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    #[ts(type = "number")]
    pub wire: u64,
    #[ts(type = "number")]
    pub to_date: u64,
}

impl UsageView {
    pub fn new(report: &UsageReport, tier: Option<Tier>) -> Self {
        let mut to_date = 0;
        Self {
            month: report.month.to_string(),
            month_days: report.month.days(),
            calls: report.total.calls,
            wire: report.total.wire,
            decoded: report.total.decoded,
            allowance: report.allowance_bytes,
            tier: tier.map(|t| t.name().to_owned()),
            projected_wire: report.projected_wire,
            projected_overage_aud: report.projected_overage_aud,
            organisations: report
                .by_organisation
                .iter()
                .map(|l| UsageBar {
                    tenant_id: l.key.clone(),
                    name: l.name.clone(),
                    calls: l.count.calls,
                    wire: l.count.wire,
                    decoded: l.count.decoded,
                })
                .collect(),
            days: report
                .by_day
                .iter()
                .map(|d| {
                    to_date += d.count.wire;
                    UsageDay {
                        day: d.day.to_string(),
                        wire: d.count.wire,
                        to_date,
                    }
                })
                .collect(),
        }
    }
}
