//! A month's egress report, made from the stored counts with the clock passed in: totals by
//! organisation, by program, by day and by API path, the share of the allowance used, and where
//! the month ends at the rate so far, with what the overage would cost.

use super::{EgressCount, EgressKey, GB, Month, OVERAGE_AUD_PER_GB};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A projection made from less than this much of a month would multiply one burst into a bill.
const LEAST_ELAPSED_SECS: i64 = 3600;
/// The longest `top` list.
const TOP: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageReport {
    pub month: Month,
    pub total: EgressCount,
    /// The month's allowance in bytes; `None` when there is none (Starter, Enterprise) or it
    /// is not known (no `tier` or `egress_allowance_gb` set).
    pub allowance_bytes: Option<u64>,
    /// Wire bytes over the allowance (1.0 is all of it).
    pub share: Option<f64>,
    /// Wire bytes by the month's end at the month's rate so far (the total, once it is over).
    pub projected_wire: u64,
    /// Projected bytes past the allowance, and what Xero would bill for them.
    pub projected_overage_bytes: u64,
    pub projected_overage_aud: f64,
    /// Largest first.
    pub by_organisation: Vec<Line>,
    pub by_program: Vec<Line>,
    /// Every day of the month so far (all of it, once it is over), first first.
    pub by_day: Vec<DayLine>,
    /// The program and API path pairs that downloaded most, largest first.
    pub top: Vec<PathLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    /// A tenant id, or a program's name.
    pub key: String,
    /// An organisation's name, where the store knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub count: EgressCount,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayLine {
    pub day: NaiveDate,
    #[serde(flatten)]
    pub count: EgressCount,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathLine {
    pub program: String,
    pub path: String,
    #[serde(flatten)]
    pub count: EgressCount,
}

/// The report for `month` from its counts (others are ignored), organisations' names by lower
/// case tenant id, and the allowance in GB.
pub fn report(
    month: Month,
    now: DateTime<Utc>,
    counts: &[(EgressKey, EgressCount)],
    names: &HashMap<String, String>,
    allowance_gb: Option<u32>,
) -> UsageReport {
    let (first, next) = (month.first_day(), month.next_first_day());
    let mut total = EgressCount::default();
    let (mut orgs, mut programs) = (BTreeMap::new(), BTreeMap::new());
    let (mut days, mut paths) = (BTreeMap::new(), BTreeMap::new());
    for (key, count) in counts
        .iter()
        .filter(|(k, _)| k.day >= first && k.day < next)
    {
        total.add(*count);
        add(&mut orgs, key.tenant_id.clone(), *count);
        add(&mut programs, key.program.clone(), *count);
        add(&mut days, key.day, *count);
        add(&mut paths, (key.program.clone(), key.path.clone()), *count);
    }
    let (start, end) = month.bounds();
    let last_day = if now >= end {
        next.pred_opt().expect("a month has a last day")
    } else {
        now.date_naive()
    };
    let by_day = first
        .iter_days()
        .take_while(|d| *d <= last_day && now >= start)
        .map(|day| DayLine {
            day,
            count: days.get(&day).copied().unwrap_or_default(),
        })
        .collect();
    let projected_wire = if now >= end {
        total.wire
    } else if now < start {
        0
    } else {
        let elapsed = (now - start).num_seconds().max(LEAST_ELAPSED_SECS);
        let whole = (end - start).num_seconds();
        (total.wire as f64 * whole as f64 / elapsed as f64).round() as u64
    };
    let allowance_bytes = allowance_gb.map(|gb| u64::from(gb) * GB);
    let projected_overage_bytes = allowance_bytes.map_or(0, |a| projected_wire.saturating_sub(a));
    UsageReport {
        month,
        total,
        allowance_bytes,
        share: allowance_bytes.map(|a| {
            if a == 0 {
                0.0
            } else {
                total.wire as f64 / a as f64
            }
        }),
        projected_wire,
        projected_overage_bytes,
        projected_overage_aud: round_cents(
            projected_overage_bytes as f64 / GB as f64 * OVERAGE_AUD_PER_GB,
        ),
        by_organisation: lines(orgs, |t| names.get(t).cloned()),
        by_program: lines(programs, |_| None),
        by_day,
        top: largest(paths)
            .take(TOP)
            .map(|((program, path), count)| PathLine {
                program,
                path,
                count,
            })
            .collect(),
    }
}

fn add<K: Ord>(map: &mut BTreeMap<K, EgressCount>, key: K, count: EgressCount) {
    map.entry(key).or_default().add(count);
}

fn lines(map: BTreeMap<String, EgressCount>, name: impl Fn(&str) -> Option<String>) -> Vec<Line> {
    largest(map)
        .map(|(key, count)| Line {
            name: name(&key),
            key,
            count,
        })
        .collect()
}

/// A map's entries, largest wire first; ties keep the key order.
fn largest<K>(map: BTreeMap<K, EgressCount>) -> std::vec::IntoIter<(K, EgressCount)> {
    let mut v: Vec<(K, EgressCount)> = map.into_iter().collect();
    v.sort_by_key(|(_, count)| std::cmp::Reverse(count.wire));
    v.into_iter()
}

fn round_cents(aud: f64) -> f64 {
    (aud * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn key(day: &str, tenant: &str, program: &str, path: &str) -> EgressKey {
        EgressKey {
            day: day.parse().unwrap(),
            tenant_id: tenant.into(),
            program: program.into(),
            path: path.into(),
        }
    }

    fn n(calls: u64, wire: u64, decoded: u64) -> EgressCount {
        EgressCount {
            calls,
            wire,
            decoded,
        }
    }

    #[test]
    fn a_month_is_summed_by_organisation_program_day_and_path() {
        let counts = vec![
            (key("2026-12-01", "t1", "python3", "/a"), n(2, 100, 400)),
            (key("2026-12-01", "t2", "python3", "/a"), n(1, 50, 50)),
            (key("2026-12-03", "t2", "node", "/b"), n(1, 300, 900)),
            // Another month: not this report's.
            (key("2026-11-30", "t1", "python3", "/a"), n(9, 9_000, 9_000)),
        ];
        let names = HashMap::from([("t1".to_owned(), "Acme".to_owned())]);
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap();
        let r = report(Month::of(now), now, &counts, &names, None);
        assert_eq!(r.total, n(4, 450, 1350));
        assert_eq!(r.by_organisation[0].key, "t2");
        assert_eq!(r.by_organisation[0].count, n(2, 350, 950));
        assert_eq!(r.by_organisation[1].name.as_deref(), Some("Acme"));
        assert_eq!(r.by_program[0].key, "node");
        assert_eq!(r.by_program[1].count, n(3, 150, 450));
        // Every day so far, the quiet ones too.
        assert_eq!(r.by_day.len(), 3);
        assert_eq!(r.by_day[1].count, EgressCount::default());
        assert_eq!(r.top[0].path, "/b");
        assert_eq!(r.allowance_bytes, None);
        assert_eq!(r.share, None);
        assert_eq!(r.projected_overage_aud, 0.0);
    }

    #[test]
    fn the_projection_runs_the_rate_so_far_to_the_month_s_end_and_prices_the_overage() {
        // A third of a 30-day month gone, 4 GB sent: 12 GB by its end, 2 past a 10 GB allowance.
        let counts = vec![(key("2026-11-05", "t", "p", "/a"), n(1, 4 * GB, 4 * GB))];
        let now = Utc.with_ymd_and_hms(2026, 11, 11, 0, 0, 0).unwrap();
        let r = report(Month::of(now), now, &counts, &HashMap::new(), Some(10));
        assert_eq!(r.projected_wire, 12 * GB);
        assert_eq!(r.projected_overage_bytes, 2 * GB);
        assert_eq!(r.projected_overage_aud, 4.80);
        assert_eq!(r.share, Some(0.4));

        // A month that is over projects what it was; one not begun, nothing.
        let later = Utc.with_ymd_and_hms(2027, 1, 2, 0, 0, 0).unwrap();
        let past = report(
            "2026-11".parse().unwrap(),
            later,
            &counts,
            &HashMap::new(),
            Some(10),
        );
        assert_eq!(past.projected_wire, 4 * GB);
        assert_eq!(past.by_day.len(), 30);
        let early = Utc.with_ymd_and_hms(2026, 10, 2, 0, 0, 0).unwrap();
        let ahead = report(
            "2026-11".parse().unwrap(),
            early,
            &counts,
            &HashMap::new(),
            Some(10),
        );
        assert_eq!((ahead.projected_wire, ahead.by_day.len()), (0, 0));
    }

    #[test]
    fn a_burst_in_the_month_s_first_minutes_is_not_multiplied_into_a_bill() {
        let counts = vec![(key("2026-11-01", "t", "p", "/a"), n(1, GB, GB))];
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 0, 1, 0).unwrap();
        let r = report(Month::of(now), now, &counts, &HashMap::new(), Some(10));
        // As if an hour had gone: 720 GB, not 43,200.
        assert_eq!(r.projected_wire, 720 * GB);
    }
}
