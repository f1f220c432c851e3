//! Wall-clock helpers: RFC 3339 timestamps and epoch seconds.
//!
//! The runtime needs exactly two things from a clock: an RFC 3339 UTC string
//! for logs and outbox items, and epoch seconds for TTL attributes. Both are
//! a few lines of civil-calendar arithmetic, which is cheaper than a date
//! crate in every Lambda binary.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
pub fn epoch_seconds() -> u64 {
    since_epoch(SystemTime::now()).as_secs()
}

/// Nanoseconds since the Unix epoch, now (for trace spans).
pub fn epoch_nanos() -> u128 {
    since_epoch(SystemTime::now()).as_nanos()
}

/// The current time as RFC 3339 UTC with millisecond precision,
/// e.g. `2024-05-01T12:00:00.123Z`.
pub fn now_rfc3339() -> String {
    format_rfc3339(SystemTime::now())
}

/// Formats a point in time as RFC 3339 UTC with millisecond precision.
pub fn format_rfc3339(at: SystemTime) -> String {
    let since = since_epoch(at);
    let secs = since.as_secs();
    let millis = since.subsec_millis();
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

fn since_epoch(at: SystemTime) -> Duration {
    // A clock before 1970 is a broken clock; treat it as the epoch rather
    // than failing an invocation over a log timestamp.
    at.duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// Converts days since 1970-01-01 into a proleptic Gregorian date
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let at = UNIX_EPOCH + Duration::from_millis(1_709_210_096_789);
        assert_eq!(format_rfc3339(at), "2024-02-29T12:34:56.789Z");
        let at = UNIX_EPOCH + Duration::from_secs(4_102_444_799);
        assert_eq!(format_rfc3339(at), "2099-12-31T23:59:59.000Z");
    }
}
