//! `tenantry log --calls`: the call log, newest first, filtered by organisation, program and
//! time; a table in local time, or JSON (UTC).

use crate::args::LogArgs;
use crate::{Failure, exit};
use chrono::{DateTime, Duration, Local, NaiveDate, TimeZone, Utc};
use tenantry_core::Engine;
use tenantry_core::calls::CallFilter;

pub async fn run(engine: &Engine, args: &LogArgs) -> Result<u8, Failure> {
    let since = match &args.since {
        Some(when) => Some(since(when, engine.now()).map_err(|e| Failure::new(exit::USAGE, e))?),
        None => None,
    };
    let tenant_id = match &args.org {
        Some(org) => Some(engine.resolve_organisation(org).await?),
        None => None,
    };
    let calls = engine
        .calls(CallFilter {
            tenant_id,
            program: args.program.clone(),
            since,
            limit: args.limit as usize,
        })
        .await?;
    if engine.config().call_log_days == 0 {
        eprintln!(
            "tenantry: note: call_log_days is 0, so new calls are not logged; these were logged before."
        );
    }
    if args.json {
        let rows: Vec<serde_json::Value> = calls
            .iter()
            .map(|c| {
                serde_json::json!({
                    "at": tenantry_core::when::utc_rfc3339(c.at), "program": c.program,
                    "tool": c.tool, "organisation": c.organisation, "tenant_id": c.tenant_id,
                    "method": c.method, "path": c.path, "status": c.status, "bytes": c.bytes,
                    "duration_ms": c.duration_ms, "by": c.by,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("serialisable")
        );
        return Ok(exit::OK);
    }
    if calls.is_empty() {
        println!("No calls logged.");
        return Ok(exit::OK);
    }
    let practice = calls.iter().any(|c| c.by.is_some());
    println!(
        "{:<16}  {:<22}  {:<24}  {:<6}  {:<40}  {:>6}  {:>10}  {:>7}{}",
        "WHEN",
        "PROGRAM",
        "ORGANISATION",
        "METHOD",
        "PATH",
        "STATUS",
        "BYTES",
        "MS",
        if practice { "  BY" } else { "" }
    );
    for c in &calls {
        let program = match &c.tool {
            Some(tool) => format!("{} ({tool})", c.program),
            None => c.program.clone(),
        };
        let organisation = c.organisation.as_ref().unwrap_or(&c.tenant_id);
        println!(
            "{:<16}  {:<22}  {:<24}  {:<6}  {:<40}  {:>6}  {:>10}  {:>7}{}",
            tenantry_core::when::local_minute(c.at),
            clip(&program, 22),
            clip(organisation, 24),
            c.method,
            clip(&c.path, 40),
            c.status,
            crate::usage_cmd::bytes_text(c.bytes),
            c.duration_ms,
            c.by.as_ref().map(|b| format!("  {b}")).unwrap_or_default()
        );
    }
    println!("{}", crate::render::zone_note(engine.now()));
    Ok(exit::OK)
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() > width {
        format!("{}…", text.chars().take(width - 1).collect::<String>())
    } else {
        text.to_owned()
    }
}

/// `--since`: a span back from `now` (`30m`, `24h`, `7d`), a local date, or an RFC 3339 time.
fn since(when: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let when = when.trim();
    let span = |n: &str, unit: fn(i64) -> Duration| n.parse::<i64>().ok().map(|n| now - unit(n));
    let parsed = match when.char_indices().last() {
        Some((i, 'm')) => span(&when[..i], Duration::minutes),
        Some((i, 'h')) => span(&when[..i], Duration::hours),
        Some((i, 'd')) => span(&when[..i], Duration::days),
        _ => None,
    }
    .or_else(|| {
        let day = NaiveDate::parse_from_str(when, "%Y-%m-%d").ok()?;
        Local
            .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    })
    .or_else(|| {
        DateTime::parse_from_rfc3339(when)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    });
    parsed.ok_or_else(|| {
        format!(
            "--since `{when}` is not a time: give a span back from now (30m, 24h, 7d), a date (2026-12-01) or an RFC 3339 time"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_spans_dates_and_times() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(since("30m", now).unwrap(), now - Duration::minutes(30));
        assert_eq!(since("24h", now).unwrap(), now - Duration::hours(24));
        assert_eq!(since("7d", now).unwrap(), now - Duration::days(7));
        assert_eq!(
            since("2026-12-01T00:00:00+13:00", now).unwrap(),
            DateTime::parse_from_rfc3339("2026-11-30T11:00:00Z").unwrap()
        );
        assert!(since("2026-12-01", now).is_ok());
        for bad in ["yesterday", "7w", "d", "2026-13-01"] {
            assert!(
                since(bad, now).unwrap_err().contains("is not a time"),
                "{bad}"
            );
        }
    }
}
