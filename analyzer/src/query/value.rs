//! Values as Logs Insights sees them: null, booleans, numbers, strings and timestamps, with Insights' rules for
//! comparing a JSON string `"200"` with the number `200`, its "natural" sort order, and a compact byte encoding used
//! as a hash-map key for `stats ... by` groups.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::Write as _;

/// One value of a field or an expression. Strings borrow from the log line where they can (`'a`); owned rows use
/// `Val<'static>`.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    /// Absent field or null result.
    Null,
    /// `true` / `false`, from comparisons and boolean functions.
    Bool(bool),
    /// A number (Insights computes in doubles).
    Num(f64),
    /// A string.
    Str(Cow<'a, str>),
    /// A point in time, milliseconds since the Unix epoch (`@timestamp`, `bin(...)`, `fromMillis`).
    Time(i64),
}

impl<'a> Val<'a> {
    /// A string value borrowed from the input.
    pub fn str(s: &'a str) -> Val<'a> {
        Val::Str(Cow::Borrowed(s))
    }

    /// The same value, owning its string.
    pub fn into_owned(self) -> Val<'static> {
        match self {
            Val::Null => Val::Null,
            Val::Bool(b) => Val::Bool(b),
            Val::Num(n) => Val::Num(n),
            Val::Str(s) => Val::Str(Cow::Owned(s.into_owned())),
            Val::Time(t) => Val::Time(t),
        }
    }

    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }

    /// The value as a number: numbers, timestamps (ms) and strings that parse as a number (Insights converts
    /// `"200"` to `200` where a number is needed).
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            Val::Time(t) => Some(*t as f64),
            Val::Str(s) => parse_number(s),
            Val::Bool(_) | Val::Null => None,
        }
    }

    /// The value as milliseconds since the epoch: timestamps, and numbers taken as epoch milliseconds.
    pub fn as_millis(&self) -> Option<i64> {
        match self {
            Val::Time(t) => Some(*t),
            Val::Num(n) if n.is_finite() => Some(*n as i64),
            Val::Str(s) => parse_number(s).filter(|n| n.is_finite()).map(|n| n as i64),
            _ => None,
        }
    }

    /// Truthiness for `filter`: `true`, non-zero numbers, and strings other than `""`, `"false"` and numeric
    /// zero (API Gateway writes booleans such as `isCanaryRequest` as the strings `"true"`/`"false"`).
    pub fn truthy(&self) -> bool {
        match self {
            Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0 && !n.is_nan(),
            Val::Str(s) => {
                !(s.is_empty() || s.eq_ignore_ascii_case("false") || parse_number(s).is_some_and(|n| n == 0.0))
            }
            Val::Time(_) => true,
        }
    }

    /// The text shown in results: integers without a fraction, timestamps as Insights prints `@timestamp`
    /// (`2026-11-25 22:30:56.000`, UTC).
    pub fn render(&self) -> Cow<'_, str> {
        match self {
            Val::Null => Cow::Borrowed(""),
            Val::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Val::Num(n) => Cow::Owned(format_number(*n)),
            Val::Str(s) => Cow::Borrowed(s),
            Val::Time(t) => Cow::Owned(format_timestamp(*t)),
        }
    }
}

/// Parses a number the way Insights converts a string: optional sign, digits, fraction, exponent; surrounding
/// whitespace allowed. Integers take a fast path.
pub fn parse_number(s: &str) -> Option<f64> {
    let bytes = s.as_bytes();
    if !bytes.is_empty() && bytes.len() <= 15 && bytes.iter().all(u8::is_ascii_digit) {
        let mut n: u64 = 0;
        for b in bytes {
            n = n * 10 + u64::from(b - b'0');
        }
        return Some(n as f64);
    }
    let t = s.trim();
    let first = *t.as_bytes().first()?;
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    let mut dots = 0;
    for b in t.bytes() {
        match b {
            b'0'..=b'9' | b'+' | b'-' | b'e' | b'E' => {}
            b'.' => dots += 1,
            _ => return None,
        }
    }
    if dots > 1 {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Formats a number: integral values without a fraction, others in Rust's shortest round-trip form.
pub fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

pub use crate::event::time::{civil_from_days, days_from_civil};

/// Formats epoch milliseconds as `YYYY-MM-DD HH:MM:SS.mmm` in UTC, the form Insights shows for `@timestamp`.
pub fn format_timestamp(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let mut out = String::with_capacity(23);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:03}",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    );
    out
}

/// Equality and ordering for `= != < <= > >=`: when both sides are numbers (or strings holding numbers) they
/// compare as numbers, otherwise as strings; anything compared with null is `None` (the comparison is false).
pub fn compare(a: &Val<'_>, b: &Val<'_>) -> Option<Ordering> {
    if a.is_null() || b.is_null() {
        return None;
    }
    if let (Val::Bool(x), Val::Bool(y)) = (a, b) {
        return Some(x.cmp(y));
    }
    if let (Some(x), Some(y)) = (a.as_num(), b.as_num()) {
        return x.partial_cmp(&y);
    }
    Some(a.render().as_ref().cmp(b.render().as_ref()))
}

/// Insights' sort order (page "sort"): nulls last; every non-number before every number; numbers by value;
/// non-numbers in natural order (runs of digits compare by length, then value; other characters by code point).
pub fn sort_order(a: &Val<'_>, b: &Val<'_>) -> Ordering {
    match (a.is_null(), b.is_null()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    match (sort_number(a), sort_number(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => natural_cmp(&a.render(), &b.render()),
    }
}

/// A value prepared for sorting many times: its number or text worked out once.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    /// A non-number value's text.
    Text(Box<str>),
    /// A number value.
    Num(f64),
    /// Null (sorts last).
    Null,
}

impl SortKey {
    /// The key of a value.
    pub fn of(v: &Val<'_>) -> SortKey {
        if v.is_null() {
            return SortKey::Null;
        }
        match sort_number(v) {
            Some(n) => SortKey::Num(n),
            None => SortKey::Text(v.render().into()),
        }
    }

    /// The order of [`sort_order`], on prepared keys.
    pub fn order(&self, other: &SortKey) -> Ordering {
        match (self, other) {
            (SortKey::Null, SortKey::Null) => Ordering::Equal,
            (SortKey::Null, _) => Ordering::Greater,
            (_, SortKey::Null) => Ordering::Less,
            (SortKey::Num(a), SortKey::Num(b)) => a.total_cmp(b),
            (SortKey::Num(_), SortKey::Text(_)) => Ordering::Greater,
            (SortKey::Text(_), SortKey::Num(_)) => Ordering::Less,
            (SortKey::Text(a), SortKey::Text(b)) => natural_cmp(a, b),
        }
    }
}

fn sort_number(v: &Val<'_>) -> Option<f64> {
    match v {
        Val::Num(n) => Some(*n),
        Val::Time(t) => Some(*t as f64),
        Val::Str(s) => parse_number(s),
        _ => None,
    }
}

fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let la = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let lb = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let ord = la.cmp(&lb).then_with(|| a[..la].cmp(&b[..lb]));
                if ord != Ordering::Equal {
                    return ord;
                }
                a = &a[la..];
                b = &b[lb..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

const TAG_NULL: u8 = 0;
const TAG_FALSE: u8 = 1;
const TAG_TRUE: u8 = 2;
const TAG_NUM: u8 = 3;
const TAG_STR: u8 = 4;
const TAG_TIME: u8 = 5;

/// Appends a reversible encoding of `v` to `out` (a `stats ... by` group key, a `dedup` key).
pub fn encode_key(v: &Val<'_>, out: &mut Vec<u8>) {
    match v {
        Val::Null => out.push(TAG_NULL),
        Val::Bool(false) => out.push(TAG_FALSE),
        Val::Bool(true) => out.push(TAG_TRUE),
        Val::Num(n) => {
            out.push(TAG_NUM);
            let n = if *n == 0.0 { 0.0 } else { *n };
            out.extend_from_slice(&n.to_bits().to_le_bytes());
        }
        Val::Str(s) => {
            out.push(TAG_STR);
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        Val::Time(t) => {
            out.push(TAG_TIME);
            out.extend_from_slice(&t.to_le_bytes());
        }
    }
}

/// Decodes every value of a key written by [`encode_key`].
pub fn decode_key(mut bytes: &[u8]) -> Vec<Val<'static>> {
    let mut values = Vec::new();
    while let Some((&tag, rest)) = bytes.split_first() {
        let (value, rest) = match tag {
            TAG_FALSE => (Val::Bool(false), rest),
            TAG_TRUE => (Val::Bool(true), rest),
            TAG_NUM if rest.len() >= 8 => {
                let (n, rest) = rest.split_at(8);
                (
                    Val::Num(f64::from_bits(u64::from_le_bytes(n.try_into().unwrap_or([0; 8])))),
                    rest,
                )
            }
            TAG_TIME if rest.len() >= 8 => {
                let (n, rest) = rest.split_at(8);
                (Val::Time(i64::from_le_bytes(n.try_into().unwrap_or([0; 8]))), rest)
            }
            TAG_STR if rest.len() >= 4 => {
                let (len, rest) = rest.split_at(4);
                let len = u32::from_le_bytes(len.try_into().unwrap_or([0; 4])) as usize;
                let (s, rest) = rest.split_at(len.min(rest.len()));
                (Val::Str(Cow::Owned(String::from_utf8_lossy(s).into_owned())), rest)
            }
            _ => (Val::Null, rest),
        };
        values.push(value);
        bytes = rest;
    }
    values
}
