//! Time arguments (`--since`, `--until`): relative times as `aws logs tail --since` takes them (a number and one
//! unit of `s m h d w`, optionally followed by `ago`), ISO 8601 / RFC 3339 times, `now`, and epoch milliseconds.

use crate::event::time::parse_iso8601;

/// A time argument that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid time `{text}`: {reason}; give a relative time (10m, 2h, 2h ago, 1d, 1w: units s m h d w), an ISO 8601 \
     / RFC 3339 time (2026-11-25T22:30:00Z, 2026-11-25), `now`, or epoch milliseconds (1795645800000)"
)]
pub struct TimeArgError {
    /// The argument as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Reads a time argument as epoch milliseconds, relative times counted back from `now_ms`.
///
/// # Errors
/// A [`TimeArgError`] naming the argument and the accepted forms.
pub fn parse_time_arg(text: &str, now_ms: i64) -> Result<i64, TimeArgError> {
    let error = |reason| TimeArgError {
        text: text.to_owned(),
        reason,
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(error("it is empty"));
    }
    if trimmed.eq_ignore_ascii_case("now") {
        return Ok(now_ms);
    }
    let relative = trimmed.strip_suffix("ago").map(str::trim_end).unwrap_or(trimmed);
    if let Some(unit) = relative.chars().last().filter(char::is_ascii_alphabetic) {
        let amount = &relative[..relative.len() - 1];
        if !amount.is_empty() && amount.bytes().all(|b| b.is_ascii_digit()) {
            let seconds: i64 = match unit {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 7 * 86_400,
                _ => return Err(error("the unit must be one of s m h d w")),
            };
            let amount: i64 = amount.parse().map_err(|_| error("the number is too large"))?;
            let back = amount
                .checked_mul(seconds * 1000)
                .and_then(|ms| now_ms.checked_sub(ms))
                .ok_or_else(|| error("the number is too large"))?;
            return Ok(back);
        }
    }
    if relative.len() != trimmed.len() {
        return Err(error("only a relative time can be followed by `ago`"));
    }
    if trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return trimmed.parse().map_err(|_| error("the number is too large"));
    }
    parse_iso8601(trimmed).ok_or_else(|| error("it is neither a relative time nor a valid date and time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_645_856_000;

    #[test]
    fn relative_times_count_back_from_now() {
        // Units of `aws logs tail --since` (AWS CLI reference, "tail"): s m h d w, a single unit.
        assert_eq!(parse_time_arg("10m", NOW), Ok(NOW - 600_000));
        assert_eq!(parse_time_arg("2h", NOW), Ok(NOW - 7_200_000));
        assert_eq!(parse_time_arg("2h ago", NOW), Ok(NOW - 7_200_000));
        assert_eq!(parse_time_arg(" 2hago ", NOW), Ok(NOW - 7_200_000));
        assert_eq!(parse_time_arg("1d", NOW), Ok(NOW - 86_400_000));
        assert_eq!(parse_time_arg("1w", NOW), Ok(NOW - 604_800_000));
        assert_eq!(parse_time_arg("30s", NOW), Ok(NOW - 30_000));
        assert_eq!(parse_time_arg("now", NOW), Ok(NOW));
    }

    #[test]
    fn absolute_times() {
        assert_eq!(parse_time_arg("2026-11-25T22:30:56Z", NOW), Ok(NOW));
        assert_eq!(parse_time_arg("2026-11-25T23:30:56+01:00", NOW), Ok(NOW));
        assert_eq!(parse_time_arg("1795645856000", NOW), Ok(NOW));
    }

    #[test]
    fn bad_times_say_what_is_wrong() {
        let reason = |text: &str| parse_time_arg(text, NOW).unwrap_err().reason;
        assert_eq!(reason("5y"), "the unit must be one of s m h d w");
        assert_eq!(
            reason("5h30m"),
            "it is neither a relative time nor a valid date and time"
        );
        assert_eq!(reason(""), "it is empty");
        assert_eq!(
            reason("yesterday"),
            "it is neither a relative time nor a valid date and time"
        );
        assert_eq!(
            reason("2026-11-25 ago"),
            "only a relative time can be followed by `ago`"
        );
        assert_eq!(reason("99999999999999999999s"), "the number is too large");
        let shown = parse_time_arg("5y", NOW).unwrap_err().to_string();
        assert!(
            shown.starts_with("invalid time `5y`: the unit must be one of s m h d w; give"),
            "{shown}"
        );
    }
}
