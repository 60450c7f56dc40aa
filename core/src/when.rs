//! The one time convention, written once: people read local time with the zone named once per
//! screen; JSON carries RFC 3339 UTC with `Z`. Every date a front end shows (a deadline's day, a
//! "last checked" minute) comes from here, so `status` and `refresh` cannot disagree about a day.

use chrono::{DateTime, Local, SecondsFormat, Utc};

/// A day in local time, as people read deadlines: `2027-01-31`.
pub fn local_date(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local).format("%Y-%m-%d").to_string()
}

/// A minute in local time: `2027-01-31 09:05`.
pub fn local_minute(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A time of day in local time: `09:05:12`.
pub fn local_clock(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local).format("%H:%M:%S").to_string()
}

/// RFC 3339 in UTC with `Z`, as every JSON field carries times.
pub fn utc_rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The local zone, named: `Pacific/Auckland (UTC+13:00)` at `now`.
pub fn zone_name(now: DateTime<Utc>) -> String {
    let offset = now.with_timezone(&Local).format("%:z");
    match local_zone_id() {
        Some(id) => format!("{id} (UTC{offset})"),
        None => format!("UTC{offset}"),
    }
}

/// The line that names the zone once under a screen of local times.
pub fn zone_note(now: DateTime<Utc>) -> String {
    format!("Times are local: {}.", zone_name(now))
}

/// `TZ` when it names a zone (as chrono's `Local` follows it), else the system's zone.
fn local_zone_id() -> Option<String> {
    if let Ok(tz) = std::env::var("TZ") {
        let tz = tz.trim_start_matches(':');
        // A path (`/usr/share/zoneinfo/Europe/Paris`) names its zone by its last two parts.
        let id = tz
            .rsplit_once("zoneinfo/")
            .map_or(tz, |(_, zone)| zone)
            .to_string();
        if !id.is_empty() {
            return Some(id);
        }
    }
    iana_time_zone::get_timezone().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_times_are_utc_with_z() {
        let at = DateTime::parse_from_rfc3339("2027-01-30T12:30:00+13:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            utc_rfc3339(at),
            "2027-01-29T23:30:00Z",
            "one form in every JSON field: UTC, `Z`, no offset spelling"
        );
    }
}
