//! Dates and times of log events, all in UTC milliseconds since the Unix epoch (CloudWatch's unit): reading the
//! forms logs write (ISO 8601 / RFC 3339, CLF `25/Nov/2026:22:30:56 +0000`, the `Wed Feb 12 23:56:44 UTC 2025`
//! of API Gateway's test-invoke transcripts) and writing the forms `aws logs tail` prints.
//!
//! Calendar arithmetic is the proleptic Gregorian calendar of Howard Hinnant's `days_from_civil`, so no date
//! library is needed; every parser checks ranges and answers `None` on anything it does not recognise.

const MS_PER_DAY: i64 = 86_400_000;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days from 1970-01-01 to the given date (negative before it).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date (year, month 1-12, day 1-31) `days` after 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// A calendar date and time of day, before its UTC offset is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
}

impl Civil {
    /// A date and a whole-second time of day.
    fn at(year: i64, month: u32, day: u32, (hour, minute, second): (u32, u32, u32)) -> Civil {
        Civil {
            year,
            month,
            day,
            hour,
            minute,
            second,
            millis: 0,
        }
    }

    /// Milliseconds since the epoch of this local time at `offset_minutes` east of UTC; `None` when a field is
    /// out of range (years 0 to 9999; a leap second `:60` is read as `:59.999`, as most log readers do).
    fn to_epoch_ms(self, offset_minutes: i64) -> Option<i64> {
        let valid = (0..=9999).contains(&self.year)
            && (1..=12).contains(&self.month)
            && (1..=days_in_month(self.year, self.month)).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second <= 60
            && self.millis < 1000;
        if !valid {
            return None;
        }
        let (second, millis) = if self.second == 60 {
            (59, 999)
        } else {
            (self.second, self.millis)
        };
        let days = days_from_civil(self.year, self.month, self.day);
        let in_day = i64::from(self.hour) * 3_600_000
            + i64::from(self.minute) * 60_000
            + i64::from(second) * 1000
            + i64::from(millis);
        Some(days * MS_PER_DAY + in_day - offset_minutes * 60_000)
    }
}

/// A cursor over ASCII text for the small parsers below.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Cursor<'a> {
        Cursor {
            bytes: text.as_bytes(),
            at: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// Exactly `n` decimal digits.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let slice = self.bytes.get(self.at..self.at + n)?;
        let mut value = 0u32;
        for &b in slice {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(b - b'0');
        }
        self.at += n;
        Some(value)
    }

    /// `HH:MM:SS`: (hour, minute, second).
    fn clock(&mut self) -> Option<(u32, u32, u32)> {
        let hour = self.digits(2)?;
        let minute = if self.eat(b':') { self.digits(2)? } else { return None };
        let second = if self.eat(b':') { self.digits(2)? } else { return None };
        Some((hour, minute, second))
    }

    fn rest(&self) -> &'a [u8] {
        &self.bytes[self.at.min(self.bytes.len())..]
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }
}

/// Parses an ISO 8601 / RFC 3339 date-time: `2026-11-25`, `2026-11-25T22:30`, `2026-11-25T22:30:56`,
/// `2026-11-25 22:30:56.123456Z`, `2026-11-25T22:30:56+01:00` (or `+0100`, `+01`). Without an offset the time
/// is UTC (as `aws logs tail --since` reads it). Fractions beyond milliseconds are cut.
pub fn parse_iso8601(text: &str) -> Option<i64> {
    let mut c = Cursor::new(text.trim());
    let year = i64::from(c.digits(4)?);
    if !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    let mut civil = Civil::at(year, month, day, (0, 0, 0));
    if c.done() {
        return civil.to_epoch_ms(0);
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    civil.hour = c.digits(2)?;
    if !c.eat(b':') {
        return None;
    }
    civil.minute = c.digits(2)?;
    if c.eat(b':') {
        civil.second = c.digits(2)?;
        if c.eat(b'.') || c.eat(b',') {
            let mut places = 0;
            while let Some(b) = c.peek().filter(u8::is_ascii_digit) {
                if places < 3 {
                    civil.millis = civil.millis * 10 + u32::from(b - b'0');
                }
                places += 1;
                c.at += 1;
            }
            if places == 0 {
                return None;
            }
            for _ in places..3 {
                civil.millis *= 10;
            }
        }
    }
    let offset = parse_offset(&mut c)?;
    if !c.done() {
        return None;
    }
    civil.to_epoch_ms(offset)
}

/// `Z`, `±HH:MM`, `±HHMM`, `±HH` or nothing (UTC), in minutes east of UTC.
fn parse_offset(c: &mut Cursor<'_>) -> Option<i64> {
    if c.done() || c.eat(b'Z') || c.eat(b'z') {
        return Some(0);
    }
    let sign = if c.eat(b'+') {
        1
    } else if c.eat(b'-') {
        -1
    } else {
        return None;
    };
    let hours = c.digits(2)?;
    let minutes = if c.done() {
        0
    } else {
        c.eat(b':');
        c.digits(2)?
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * i64::from(hours * 60 + minutes))
}

fn month_from_name(name: &[u8]) -> Option<u32> {
    let index = MONTHS.iter().position(|m| m.as_bytes().eq_ignore_ascii_case(name))?;
    u32::try_from(index + 1).ok()
}

/// Parses a Common Log Format time, `25/Nov/2026:22:30:56 +0000` (API Gateway's `$context.requestTime`), with or
/// without the surrounding `[` `]`.
pub fn parse_clf_time(text: &str) -> Option<i64> {
    let text = text.trim();
    let text = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(text);
    let mut c = Cursor::new(text);
    let day = c.digits(2)?;
    if !c.eat(b'/') {
        return None;
    }
    let month = month_from_name(c.rest().get(..3)?)?;
    c.at += 3;
    if !c.eat(b'/') {
        return None;
    }
    let year = i64::from(c.digits(4)?);
    if !c.eat(b':') {
        return None;
    }
    let clock = c.clock()?;
    if !c.eat(b' ') {
        return None;
    }
    let offset = parse_offset(&mut c)?;
    if !c.done() {
        return None;
    }
    Civil::at(year, month, day, clock).to_epoch_ms(offset)
}

/// Parses the date that prefixes the lines of API Gateway's test-invoke execution logs,
/// `Wed Feb 12 23:56:44 UTC 2025` (the weekday is not checked against the date).
pub fn parse_test_invoke_time(text: &str) -> Option<i64> {
    let mut parts = text.split_ascii_whitespace();
    let _weekday = parts.next().filter(|w| w.len() == 3)?;
    let month = month_from_name(parts.next()?.as_bytes())?;
    let day: u32 = parts.next()?.parse().ok()?;
    let mut c = Cursor::new(parts.next()?);
    let clock = c.clock()?;
    if !c.done() || parts.next()? != "UTC" {
        return None;
    }
    let year: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Civil::at(year, month, day, clock).to_epoch_ms(0)
}

/// The calendar fields of `ms` in UTC: (year, month, day, hour, minute, second, millisecond).
pub(crate) fn fields(ms: i64) -> (i64, u32, u32, i64, i64, i64, i64) {
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    (
        year,
        month,
        day,
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    )
}

/// `2026-11-25T22:30:56`: the timestamp of `aws logs tail --format short`.
pub fn format_short(ms: i64) -> String {
    let (y, mo, d, h, mi, s, _) = fields(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")
}

/// `2026-11-25T22:30:56.123000+00:00`: the timestamp of `aws logs tail --format detailed` (Python's
/// `isoformat(timespec='microseconds')` of a UTC time; CloudWatch times are milliseconds, so the last three
/// digits are zeros).
pub fn format_detailed(ms: i64) -> String {
    let (y, mo, d, h, mi, s, milli) = fields(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}000+00:00")
}

/// `2026-11-25T22:30:56+00:00`, or `2026-11-25T22:30:56.123000+00:00` when the time has milliseconds: the
/// timestamp of `aws logs tail --format json` (Python's plain `isoformat()`).
pub fn format_json_header(ms: i64) -> String {
    let (y, mo, d, h, mi, s, milli) = fields(ms);
    if milli == 0 {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+00:00")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}000+00:00")
    }
}

/// `2026-11-25T22:30:56.123Z`: RFC 3339 with milliseconds, for machine-readable output.
pub fn format_rfc3339_millis(ms: i64) -> String {
    let (y, mo, d, h, mi, s, milli) = fields(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// The current time in milliseconds since the epoch (0 if the clock is before 1970).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-25T22:30:56Z.
    const T: i64 = 1_795_645_856_000;

    #[test]
    fn civil_round_trips_across_leap_years_and_the_epoch() {
        for days in [-719_468, -1, 0, 1, 59, 365 + 59, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 2, 29), 11_016);
        assert_eq!(days_from_civil(2026, 11, 25) * MS_PER_DAY + 81_056_000, T);
    }

    #[test]
    fn iso8601_forms_and_offsets() {
        assert_eq!(parse_iso8601("2026-11-25T22:30:56Z"), Some(T));
        assert_eq!(parse_iso8601("2026-11-25T22:30:56"), Some(T), "no offset is UTC");
        assert_eq!(parse_iso8601("2026-11-25 22:30:56.123456Z"), Some(T + 123));
        assert_eq!(parse_iso8601("2026-11-25T22:30:56.1+00:00"), Some(T + 100));
        assert_eq!(parse_iso8601("2026-11-25T23:30:56+01:00"), Some(T));
        assert_eq!(parse_iso8601("2026-11-25T21:30:56-0100"), Some(T));
        assert_eq!(parse_iso8601("2026-11-26T00:30:56+02"), Some(T));
        assert_eq!(parse_iso8601("2026-11-25T22:30"), Some(T - 56_000));
        assert_eq!(parse_iso8601("2026-11-25"), Some(T - 81_056_000));
        for bad in [
            "",
            "2026-13-01",
            "2026-02-29",
            "2026-11-25T24:00",
            "2026-11-25T22:30:56.Z",
            "2026-11-25X",
            "25/11",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
        assert_eq!(parse_iso8601("2024-02-29T00:00:00Z"), Some(1_709_164_800_000));
    }

    #[test]
    fn clf_time_as_api_gateway_writes_request_time() {
        assert_eq!(parse_clf_time("25/Nov/2026:22:30:56 +0000"), Some(T));
        assert_eq!(parse_clf_time("[25/Nov/2026:23:30:56 +0100]"), Some(T));
        assert_eq!(parse_clf_time("25/Nov/2026:22:30:56 -0130"), Some(T + 90 * 60_000));
        assert_eq!(parse_clf_time("25/Foo/2026:22:30:56 +0000"), None);
        assert_eq!(parse_clf_time("25/Nov/2026:22:30:56"), None, "CLF always has a zone");
        assert_eq!(parse_clf_time("25/Nov/2026 22:30:56 +0000"), None);
    }

    #[test]
    fn test_invoke_prefix_date() {
        // "Wed Feb 12 23:56:44 UTC 2025 : Starting execution for request" (API Gateway test-invoke transcript).
        assert_eq!(
            parse_test_invoke_time("Wed Feb 12 23:56:44 UTC 2025"),
            Some(1_739_404_604_000)
        );
        assert_eq!(parse_test_invoke_time("Wed Feb 12 23:56:44 CET 2025"), None);
        assert_eq!(parse_test_invoke_time("Wed Feb 31 23:56:44 UTC 2025"), None);
        assert_eq!(
            parse_test_invoke_time("Wed Feb 12 23:56:44 UTC 9223372036854775807"),
            None,
            "no overflow"
        );
        assert_eq!(parse_test_invoke_time("Wed Feb 12 23:56:44 UTC -5"), None);
    }

    #[test]
    fn formats_match_aws_logs_tail() {
        assert_eq!(format_short(T + 123), "2026-11-25T22:30:56");
        assert_eq!(format_detailed(T + 123), "2026-11-25T22:30:56.123000+00:00");
        assert_eq!(format_detailed(T), "2026-11-25T22:30:56.000000+00:00");
        assert_eq!(format_json_header(T), "2026-11-25T22:30:56+00:00");
        assert_eq!(format_json_header(T + 5), "2026-11-25T22:30:56.005000+00:00");
        assert_eq!(format_rfc3339_millis(T + 7), "2026-11-25T22:30:56.007Z");
        assert_eq!(format_short(-1), "1969-12-31T23:59:59");
    }
}
