//! ISO-8601 UTC timestamps without fractional seconds, as `JSONEncoder`'s
//! `.iso8601` strategy writes them (`2026-08-10T09:14:07Z`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Current time as an ISO-8601 string.
pub fn now_iso8601() -> String {
    iso8601(SystemTime::now())
}

/// Milliseconds since the Unix epoch, for `calls.log`.
pub fn now_unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis()
}

pub fn iso8601(at: SystemTime) -> String {
    let seconds = at
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let days = (seconds / 86_400) as i64;
    let second_of_day = seconds % 86_400;
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        (second_of_day / 60) % 60,
        second_of_day % 60
    )
}

/// Gregorian calendar date for a count of days since 1970-01-01, using the
/// era arithmetic (400-year cycles of 146097 days) that avoids any table.
fn civil_date(days_since_epoch: i64) -> (i64, u32, u32) {
    let shifted = days_since_epoch + 719_468; // days since 0000-03-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // March = 0
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_formats_as_1970() {
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn leap_day_and_time_of_day_are_exact() {
        // 2024-02-29T13:45:07Z
        let at = UNIX_EPOCH + Duration::from_secs(1_709_214_307);
        assert_eq!(iso8601(at), "2024-02-29T13:45:07Z");
    }

    #[test]
    fn end_of_year_rolls_over() {
        let at = UNIX_EPOCH + Duration::from_secs(1_767_225_599); // 2025-12-31T23:59:59Z
        assert_eq!(iso8601(at), "2025-12-31T23:59:59Z");
    }
}
