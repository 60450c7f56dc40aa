//! `tenantry usage`: a month's egress (what Xero's APIs sent back through the gateway) by
//! organisation and by program, the share of the tier's allowance, and where the month ends at
//! its rate so far, with the overage Xero would bill; `--top` names the programs and API paths
//! that downloaded most. The report is the core's ([`tenantry_core::usage`]); this only words it.

use crate::render::{self, truncate};
use crate::{Failure, exit};
use tenantry_core::Engine;
use tenantry_core::usage::{EgressCount, GB, Month, OVERAGE_AUD_PER_GB, UsageReport};

pub async fn run(
    engine: &Engine,
    month: Option<Month>,
    top: bool,
    json: bool,
) -> Result<u8, Failure> {
    let now = engine.now();
    let report = engine
        .usage(month.unwrap_or_else(|| Month::of(now)))
        .await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("serialisable")
        );
        return Ok(exit::OK);
    }
    print(&report, &allowance_note(engine, &report), top);
    println!("{}", render::zone_note(now));
    Ok(exit::OK)
}

/// What the allowance line says when there is no figure.
fn allowance_note(engine: &Engine, report: &UsageReport) -> String {
    match (report.allowance_bytes, engine.config().tier) {
        (Some(bytes), _) => {
            let share = report.share.unwrap_or_default() * 100.0;
            format!("{} a month: {share:.1} % used", bytes_text(bytes))
        }
        (None, Some(tier)) => format!("none: the {} tier has no egress allowance", tier.name()),
        (None, None) => "not known: set your app's tier with `tenantry config set tier TIER` \
             (or `egress_allowance_gb`)"
            .to_owned(),
    }
}

fn print(r: &UsageReport, allowance: &str, top: bool) {
    println!("Egress from Xero's APIs in {} (UTC months)", r.month);
    println!(
        "  downloaded   {} on the wire, {} decoded, in {} calls",
        bytes_text(r.total.wire),
        bytes_text(r.total.decoded),
        render::grouped(r.total.calls)
    );
    println!("  allowance    {allowance}");
    let overage = if r.projected_overage_bytes > 0 {
        format!(
            "; {} past the allowance, about A${:.2} at A${OVERAGE_AUD_PER_GB:.2} a GB",
            bytes_text(r.projected_overage_bytes),
            r.projected_overage_aud
        )
    } else {
        String::new()
    };
    println!(
        "  projection   {} by the month's end at its rate so far{overage}",
        bytes_text(r.projected_wire)
    );
    if r.total.calls == 0 {
        println!("\nNo calls through the gateway this month.");
        return;
    }
    println!(
        "\n{:<32} {:<14} {:>8} {:>10} {:>10}",
        "ORGANISATION", "TENANT", "CALLS", "WIRE", "DECODED"
    );
    for line in &r.by_organisation {
        let name = line.name.as_deref().unwrap_or("(not connected now)");
        row(
            &truncate(name, 32),
            &truncate(&line.key, 14),
            line.count,
            32,
            14,
        );
    }
    println!(
        "\n{:<47} {:>8} {:>10} {:>10}",
        "PROGRAM", "CALLS", "WIRE", "DECODED"
    );
    for line in &r.by_program {
        row(&truncate(&line.key, 47), "", line.count, 47, 0);
    }
    if top {
        println!(
            "\n{:<16} {:<30} {:>8} {:>10} {:>10}",
            "PROGRAM", "API PATH", "CALLS", "WIRE", "DECODED"
        );
        for line in &r.top {
            row(
                &truncate(&line.program, 16),
                &truncate(&line.path, 30),
                line.count,
                16,
                30,
            );
        }
    }
}

fn row(first: &str, second: &str, n: EgressCount, w1: usize, w2: usize) {
    let lead = if w2 == 0 {
        format!("{first:<w1$}")
    } else {
        format!("{first:<w1$} {second:<w2$}")
    };
    println!(
        "{lead} {:>8} {:>10} {:>10}",
        n.calls,
        bytes_text(n.wire),
        bytes_text(n.decoded)
    );
}

/// Bytes in decimal units (the allowance's GB is 10⁹ bytes).
pub fn bytes_text(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(GB, "GB"), (1_000_000, "MB"), (1_000, "kB")];
    for (size, unit) in UNITS {
        if n >= size {
            return format!("{:.2} {unit}", n as f64 / size as f64);
        }
    }
    format!("{n} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_in_decimal_units() {
        assert_eq!(bytes_text(0), "0 B");
        assert_eq!(bytes_text(999), "999 B");
        assert_eq!(bytes_text(1_500), "1.50 kB");
        assert_eq!(bytes_text(2_345_678), "2.35 MB");
        assert_eq!(bytes_text(12 * GB), "12.00 GB");
    }

    #[test]
    fn counts_read_with_their_thousands_grouped() {
        for (n, said) in [
            (0, "0"),
            (999, "999"),
            (5_000, "5,000"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(render::grouped(n), said);
        }
    }
}
