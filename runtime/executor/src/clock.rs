//! Virtual time: instants in milliseconds since the Unix epoch, RFC 3339
//! formatting and parsing (the profile ASL requires: an uppercase `T`, and `Z`
//! or a numeric offset), and the seeded random generator.

/// An instant on the virtual clock, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub i64);

impl Instant {
    /// The default start of every execution: 2026-01-01T00:00:00.000Z. Fixed so
    /// that histories are deterministic.
    pub const DEFAULT_START: Instant = Instant(1_767_225_600_000);

    /// This instant plus `seconds` (fractions kept to the millisecond).
    #[must_use]
    pub fn plus_seconds(self, seconds: f64) -> Instant {
        let millis = (seconds * 1000.0).round();
        let millis = if millis.is_finite() {
            millis as i64
        } else {
            i64::MAX / 4
        };
        Instant(self.0.saturating_add(millis))
    }

    /// Seconds from `self` to `later` (negative when `later` is earlier).
    #[must_use]
    pub fn seconds_until(self, later: Instant) -> f64 {
        (later.0 - self.0) as f64 / 1000.0
    }

    /// RFC 3339 in UTC with milliseconds, as Step Functions writes
    /// `$$.Execution.StartTime`: `2026-01-01T00:00:00.000Z`.
    #[must_use]
    pub fn to_rfc3339(self) -> String {
        let millis = self.0.rem_euclid(1000);
        let secs = self.0.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
            rem / 3600,
            (rem % 3600) / 60,
            rem % 60
        )
    }

    /// Parses an RFC 3339 timestamp (`2016-03-14T01:59:00Z`,
    /// `2016-03-14T01:59:00.123+02:00`). `None` when it is not one, which is
    /// what `IsTimestamp` reports. Sub-millisecond digits are truncated.
    #[must_use]
    pub fn parse_rfc3339(text: &str) -> Option<Instant> {
        let b = text.as_bytes();
        if b.len() < 20 {
            return None;
        }
        let num = |range: std::ops::Range<usize>| -> Option<i64> {
            let part = b.get(range)?;
            if part.iter().all(u8::is_ascii_digit) {
                std::str::from_utf8(part).ok()?.parse().ok()
            } else {
                None
            }
        };
        if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut i = 19;
        let mut millis = 0i64;
        if b[i] == b'.' {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start {
                return None;
            }
            let digits = &text[start..i.min(start + 3)];
            millis = digits.parse::<i64>().ok()? * 10i64.pow(3 - digits.len() as u32);
        }
        let offset_minutes = match b.get(i)? {
            b'Z' if i + 1 == b.len() => 0,
            sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
                let hours = num(i + 1..i + 3)?;
                let minutes = num(i + 4..i + 6)?;
                if hours > 23 || minutes > 59 {
                    return None;
                }
                let total = hours * 60 + minutes;
                if *sign == b'-' { -total } else { total }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
        Some(Instant(secs * 1000 + millis))
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

// Howard Hinnant's algorithms (public domain), proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The execution's deterministic random generator (SplitMix64): retry jitter,
/// `States.MathRandom` and `States.UUID` draw from it, so one seed gives one
/// history.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An integer uniform in `[start, end)`; `start` when the range is empty.
    pub fn range(&mut self, start: i64, end: i64) -> i64 {
        if end <= start {
            return start;
        }
        let span = (end as i128 - start as i128) as u128;
        (start as i128 + (u128::from(self.next_u64()) % span) as i128) as i64
    }

    /// A random (version 4) UUID in its canonical lowercase form.
    pub fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_be_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_be_bytes());
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        let start = Instant::DEFAULT_START;
        assert_eq!(start.to_rfc3339(), "2026-01-01T00:00:00.000Z");
        assert_eq!(Instant::parse_rfc3339("2026-01-01T00:00:00Z"), Some(start));
        let later = start.plus_seconds(3661.5);
        assert_eq!(later.to_rfc3339(), "2026-01-01T01:01:01.500Z");
        assert_eq!(Instant::parse_rfc3339(&later.to_rfc3339()), Some(later));
        assert_eq!(
            Instant::parse_rfc3339("2026-01-01T02:00:00+02:00"),
            Some(start)
        );
        assert_eq!(
            Instant::parse_rfc3339("2024-02-29T12:00:00.1Z").map(Instant::to_rfc3339),
            Some("2024-02-29T12:00:00.100Z".to_owned())
        );
    }

    #[test]
    fn rejects_what_is_not_rfc3339() {
        for bad in [
            "2026-01-01 00:00:00Z",
            "2026-01-01t00:00:00Z",
            "2026-01-01T00:00:00",
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+0200",
            "yesterday",
            "",
        ] {
            assert_eq!(Instant::parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn rng_is_deterministic_and_uuid_is_v4() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(a.next_u64(), b.next_u64());
        let uuid = a.uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"));
        for _ in 0..100 {
            let n = a.range(3, 6);
            assert!((3..6).contains(&n));
            let f = a.next_f64();
            assert!((0.0..1.0).contains(&f));
        }
    }
}
