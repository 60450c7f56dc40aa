//! A calendar month in UTC, the period Xero's egress allowance runs over, written `YYYY-MM`.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    first: NaiveDate,
}

/// A month that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a month: write it as YYYY-MM, for example 2026-12")]
pub struct BadMonth(pub String);

impl Month {
    /// The month `at` falls in, in UTC.
    pub fn of(at: DateTime<Utc>) -> Self {
        Self::of_day(at.date_naive())
    }

    pub fn of_day(day: NaiveDate) -> Self {
        Self {
            first: day.with_day(1).expect("every month has a first day"),
        }
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        self.first
    }

    /// The first day of the month after.
    pub fn next_first_day(self) -> NaiveDate {
        self.first
            .checked_add_months(chrono::Months::new(1))
            .expect("months within chrono's range")
    }

    pub fn days(self) -> u32 {
        (self.next_first_day() - self.first).num_days() as u32
    }

    /// When it starts and when the next one starts, in UTC.
    pub fn bounds(self) -> (DateTime<Utc>, DateTime<Utc>) {
        let at = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"));
        (at(self.first), at(self.next_first_day()))
    }
}

impl FromStr for Month {
    type Err = BadMonth;

    fn from_str(s: &str) -> Result<Self, BadMonth> {
        let bad = || BadMonth(s.to_owned());
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let (y, m) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        NaiveDate::from_ymd_opt(y, m, 1)
            .map(Self::of_day)
            .ok_or_else(bad)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.first.format("%Y-%m"))
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_read_their_own_form_only() {
        let m: Month = "2026-02".parse().unwrap();
        assert_eq!(m.to_string(), "2026-02");
        assert_eq!(m.days(), 28);
        assert_eq!(
            m.next_first_day(),
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
        );
        assert_eq!("2028-02".parse::<Month>().unwrap().days(), 29);
        assert_eq!(
            "2026-12"
                .parse::<Month>()
                .unwrap()
                .next_first_day()
                .to_string(),
            "2027-01-01"
        );
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-01",
            "2026/01",
            "",
            "2026-01-05",
            "+026-01",
        ] {
            let e = bad.parse::<Month>().unwrap_err();
            assert!(e.to_string().contains("YYYY-MM"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_moment_belongs_to_its_utc_month() {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 23, 59, 59).unwrap();
        assert_eq!(Month::of(at).to_string(), "2026-11");
        let (start, end) = Month::of(at).bounds();
        assert!(start <= at && at < end);
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
    }
}
