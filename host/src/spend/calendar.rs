//! Budget periods and spend days on the operator's calendar (`spend.time_zone`): a
//! monthly budget resets at midnight on the first of the month *there*, DST included.

use std::fmt;

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, civil::Date};
use serde::{Deserialize, Serialize};

/// How often a budget starts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// A calendar day.
    Day,
    /// A week from Monday.
    Week,
    /// A calendar month.
    Month,
}

impl Period {
    /// The name the API and the store use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    /// The period named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            "month" => Some(Self::Month),
            _ => None,
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One period: from its first instant to the next period's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// First instant, unix milliseconds.
    pub start_ms: i64,
    /// The next period's first instant, unix milliseconds.
    pub end_ms: i64,
    /// The first day, `YYYY-MM-DD` (spend rollups are kept by day).
    pub first_day: String,
}

/// A time zone that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a time zone (use an IANA name such as `Europe/Berlin`, or `UTC`)")]
pub struct UnknownZone(pub String);

/// The operator's calendar.
#[derive(Debug, Clone)]
pub struct Calendar {
    zone: TimeZone,
    name: String,
}

impl Calendar {
    /// The calendar of IANA time zone `name` (`UTC`, `Europe/Berlin`).
    pub fn new(name: &str) -> Result<Self, UnknownZone> {
        let zone = if name.eq_ignore_ascii_case("utc") {
            TimeZone::UTC
        } else {
            TimeZone::get(name).map_err(|_| UnknownZone(name.to_string()))?
        };
        Ok(Self {
            zone,
            name: name.to_string(),
        })
    }

    /// UTC.
    pub fn utc() -> Self {
        Self {
            zone: TimeZone::UTC,
            name: "UTC".into(),
        }
    }

    /// The zone's name, as configured.
    pub fn zone_name(&self) -> &str {
        &self.name
    }

    fn date(&self, at_ms: i64) -> Date {
        let at = Timestamp::from_millisecond(at_ms).unwrap_or(Timestamp::UNIX_EPOCH);
        at.to_zoned(self.zone.clone()).date()
    }

    fn start_of(&self, date: Date) -> i64 {
        date.to_zoned(self.zone.clone())
            .map_or(0, |zoned| zoned.timestamp().as_millisecond())
    }

    /// The day of instant `at_ms`, `YYYY-MM-DD`.
    pub fn day(&self, at_ms: i64) -> String {
        self.date(at_ms).to_string()
    }

    /// The `period` that instant `at_ms` falls in.
    pub fn window(&self, period: Period, at_ms: i64) -> Window {
        let date = self.date(at_ms);
        let first = match period {
            Period::Day => date,
            Period::Week => {
                let back = i64::from(date.weekday().to_monday_zero_offset());
                date.checked_sub(back.days()).unwrap_or(date)
            }
            Period::Month => date.first_of_month(),
        };
        let next = match period {
            Period::Day => first.checked_add(1.day()),
            Period::Week => first.checked_add(1.week()),
            Period::Month => first.checked_add(1.month()),
        }
        .unwrap_or(first);
        Window {
            start_ms: self.start_of(first),
            end_ms: self.start_of(next),
            first_day: first.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(rfc3339: &str) -> i64 {
        rfc3339
            .parse::<Timestamp>()
            .expect("a timestamp")
            .as_millisecond()
    }

    #[test]
    fn a_month_starts_at_local_midnight_on_the_first() {
        let berlin = Calendar::new("Europe/Berlin").expect("a zone");
        // 2026-11-30 23:30 UTC is already December 1st in Berlin.
        let window = berlin.window(Period::Month, ms("2026-11-30T23:30:00Z"));
        assert_eq!(window.first_day, "2026-12-01");
        assert_eq!(window.start_ms, ms("2026-11-30T23:00:00Z"));
        assert_eq!(window.end_ms, ms("2026-12-31T23:00:00Z"));
        let utc = Calendar::utc().window(Period::Month, ms("2026-11-30T23:30:00Z"));
        assert_eq!(utc.first_day, "2026-11-01");
    }

    #[test]
    fn a_day_across_a_dst_change_is_23_hours() {
        let berlin = Calendar::new("Europe/Berlin").expect("a zone");
        let window = berlin.window(Period::Day, ms("2026-03-29T12:00:00Z"));
        assert_eq!(window.end_ms - window.start_ms, 23 * 3_600_000);
        assert_eq!(berlin.day(ms("2026-03-28T23:30:00Z")), "2026-03-29");
    }

    #[test]
    fn a_week_starts_on_monday() {
        let window = Calendar::utc().window(Period::Week, ms("2026-12-03T10:00:00Z"));
        assert_eq!(window.first_day, "2026-11-30", "a Monday");
        assert_eq!(window.end_ms - window.start_ms, 7 * 86_400_000);
    }

    #[test]
    fn unknown_zones_are_refused() {
        assert!(Calendar::new("Mars/Olympus").is_err());
        assert!(Calendar::new("utc").is_ok());
        assert_eq!(Period::parse("month"), Some(Period::Month));
        assert_eq!(Period::parse("year"), None);
    }
}
