//! UTC calendar arithmetic and the few time formats alarms read and write: CloudWatch's
//! `2026-11-25T10:05:00.000+0000` (state reason data), `25/11/26 10:05:00` (state reasons), RFC 3339 for
//! history timestamps, and API Gateway's CLF `requestTime` (`25/Nov/2026:22:30:56 +0000`).

use crate::event::time;

const MS_PER_DAY: i64 = 86_400_000;

/// The last millisecond of year 9999: timestamps beyond it (or before 1970) are not taken from input.
pub const MAX_MS: i64 = 253_402_300_799_999;

/// `2026-11-25T10:05:00.000+0000`: CloudWatch's `queryDate`, `startDate` and datapoint timestamps.
pub fn cloudwatch_iso(ms: i64) -> String {
    let (y, mo, d, h, mi, s, mls) = time::fields(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{mls:03}+0000")
}

/// `2026-11-25T10:05:00.000Z`: RFC 3339, for history items and table output.
pub fn rfc3339(ms: i64) -> String {
    time::format_rfc3339_millis(ms)
}

/// `25/11/26 10:05:00`: how CloudWatch prints a datapoint's time in a state reason.
pub fn reason_date(ms: i64) -> String {
    let (y, mo, d, h, mi, s, _) = time::fields(ms);
    format!("{d:02}/{mo:02}/{:02} {h:02}:{mi:02}:{s:02}", y.rem_euclid(100))
}

/// Parses API Gateway's `$context.requestTime` (`25/Nov/2026:22:30:56 +0000`) into epoch milliseconds, from 1970
/// to year 9999.
pub fn parse_clf(text: &str) -> Option<i64> {
    time::parse_clf_time(text).filter(|ms| (0..=MAX_MS).contains(ms))
}

/// Epoch milliseconds of a UTC date and time (tests and examples build times with it).
pub fn utc_ms(year: i64, month: u32, day: u32, hour: i64, minute: i64, second: i64) -> i64 {
    time::days_from_civil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000
}

/// A number as Java's `Double.toString` prints it, which is how CloudWatch writes values and thresholds in
/// state reasons: `1.0`, `0.25`, `1141.0`, `1.0E7`, `1.5E-4`.
pub fn java_double(value: f64) -> String {
    if !value.is_finite() {
        return if value.is_nan() {
            "NaN".into()
        } else if value > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let magnitude = value.abs();
    if value == 0.0 || (1e-3..1e7).contains(&magnitude) {
        let text = format!("{value}");
        if text.contains('.') {
            text
        } else {
            format!("{text}.0")
        }
    } else {
        let text = format!("{value:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((text.as_str(), "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_owned()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exponent}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip_a_known_instant() {
        let ms = utc_ms(2026, 11, 25, 10, 5, 0) + 42;
        assert_eq!(cloudwatch_iso(ms), "2026-11-25T10:05:00.042+0000");
        assert_eq!(rfc3339(ms), "2026-11-25T10:05:00.042Z");
        assert_eq!(reason_date(ms), "25/11/26 10:05:00");
        assert_eq!(utc_ms(1970, 1, 1, 0, 0, 0), 0);
        assert_eq!(utc_ms(2000, 3, 1, 0, 0, 0), 951_868_800_000);
    }

    #[test]
    fn clf_request_time_with_offsets() {
        assert_eq!(
            parse_clf("25/Nov/2026:22:30:56 +0000"),
            Some(utc_ms(2026, 11, 25, 22, 30, 56))
        );
        assert_eq!(
            parse_clf("25/Nov/2026:22:30:56 +0130"),
            Some(utc_ms(2026, 11, 25, 21, 0, 56))
        );
        assert_eq!(
            parse_clf("25/Nov/2026:22:30:56 -0500"),
            Some(utc_ms(2026, 11, 26, 3, 30, 56))
        );
        assert_eq!(parse_clf("25/Foo/2026:22:30:56 +0000"), None);
        assert_eq!(parse_clf("25/Nov/2026:22:30 +0000"), None);
        assert_eq!(parse_clf("25/Nov/2026:22:30:56"), None);
        assert_eq!(parse_clf("25/Nov/99999999999999:22:30:56 +0000"), None);
    }

    #[test]
    fn numbers_print_like_java_doubles() {
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(0.25), "0.25");
        assert_eq!(java_double(1141.0), "1141.0");
        assert_eq!(java_double(-3.0), "-3.0");
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(1.5e-4), "1.5E-4");
        assert_eq!(java_double(3.466_608_889_851_835_7), "3.4666088898518357");
    }
}
