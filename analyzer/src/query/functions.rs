//! Scalar functions of the query language (page "Boolean, comparison, numeric, datetime, and other functions"):
//! string, numeric, datetime, IP address and general functions. Names are matched case-insensitively.

use std::borrow::Cow;
use std::net::IpAddr;

use super::ast::Period;
use super::value::{civil_from_days, days_from_civil, format_number, Val};

/// A scalar function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// `strlen(s)`
    Strlen,
    /// `toupper(s)`
    ToUpper,
    /// `tolower(s)`
    ToLower,
    /// `trim(s)`
    Trim,
    /// `ltrim(s [, chars])`
    Ltrim,
    /// `rtrim(s [, chars])`
    Rtrim,
    /// `concat(a, b, ...)`
    Concat,
    /// `substr(s, start [, length])`, 0-based start
    Substr,
    /// `replace(s, search, replacement)`
    Replace,
    /// `strcontains(s, needle)` gives 1 or 0
    StrContains,
    /// `isempty(v)`: missing or empty string
    IsEmpty,
    /// `isblank(v)`: missing, empty or only whitespace
    IsBlank,
    /// `ispresent(v)`
    IsPresent,
    /// `coalesce(a, b, ...)`: the first non-null
    Coalesce,
    /// `abs(n)`
    Abs,
    /// `ceil(n)`
    Ceil,
    /// `floor(n)`
    Floor,
    /// `greatest(a, b, ...)`
    Greatest,
    /// `least(a, b, ...)`
    Least,
    /// `log(n)`, natural logarithm
    Log,
    /// `sqrt(n)`
    Sqrt,
    /// `pow(a, b)` (moatctl's spelling of `a ^ b`)
    Pow,
    /// `bin(period)`: `@timestamp` rounded down to the period (the compiler adds `@timestamp` as first argument)
    Bin,
    /// `datefloor(t, period)`
    DateFloor,
    /// `dateceil(t, period)`
    DateCeil,
    /// `fromMillis(n)`: epoch milliseconds to a timestamp
    FromMillis,
    /// `toMillis(t)`: a timestamp to epoch milliseconds
    ToMillis,
    /// `isValidIp(s)`
    IsValidIp,
    /// `isValidIpV4(s)`
    IsValidIpV4,
    /// `isValidIpV6(s)`
    IsValidIpV6,
    /// `isIpInSubnet(ip, cidr)`
    IsIpInSubnet,
    /// `isIpv4InSubnet(ip, cidr)`
    IsIpv4InSubnet,
    /// `isIpv6InSubnet(ip, cidr)`
    IsIpv6InSubnet,
}

impl Func {
    /// The function with this name and its (minimum, maximum) argument count.
    pub fn lookup(name: &str) -> Option<(Func, usize, usize)> {
        const MANY: usize = usize::MAX;
        let found = match name.to_ascii_lowercase().as_str() {
            "strlen" => (Func::Strlen, 1, 1),
            "toupper" => (Func::ToUpper, 1, 1),
            "tolower" => (Func::ToLower, 1, 1),
            "trim" => (Func::Trim, 1, 1),
            "ltrim" => (Func::Ltrim, 1, 2),
            "rtrim" => (Func::Rtrim, 1, 2),
            "concat" => (Func::Concat, 1, MANY),
            "substr" => (Func::Substr, 2, 3),
            "replace" => (Func::Replace, 3, 3),
            "strcontains" => (Func::StrContains, 2, 2),
            "isempty" => (Func::IsEmpty, 1, 1),
            "isblank" => (Func::IsBlank, 1, 1),
            "ispresent" => (Func::IsPresent, 1, 1),
            "coalesce" => (Func::Coalesce, 1, MANY),
            "abs" => (Func::Abs, 1, 1),
            "ceil" => (Func::Ceil, 1, 1),
            "floor" => (Func::Floor, 1, 1),
            "greatest" => (Func::Greatest, 1, MANY),
            "least" => (Func::Least, 1, MANY),
            "log" => (Func::Log, 1, 1),
            "sqrt" => (Func::Sqrt, 1, 1),
            "pow" => (Func::Pow, 2, 2),
            "bin" => (Func::Bin, 1, 1),
            "datefloor" => (Func::DateFloor, 2, 2),
            "dateceil" => (Func::DateCeil, 2, 2),
            "frommillis" => (Func::FromMillis, 1, 1),
            "tomillis" => (Func::ToMillis, 1, 1),
            "isvalidip" => (Func::IsValidIp, 1, 1),
            "isvalidipv4" => (Func::IsValidIpV4, 1, 1),
            "isvalidipv6" => (Func::IsValidIpV6, 1, 1),
            "isipinsubnet" => (Func::IsIpInSubnet, 2, 2),
            "isipv4insubnet" => (Func::IsIpv4InSubnet, 2, 2),
            "isipv6insubnet" => (Func::IsIpv6InSubnet, 2, 2),
            _ => return None,
        };
        Some(found)
    }

    /// Applies the function to evaluated arguments (the compiler checked the count). `bin`, `datefloor` and
    /// `dateceil` go through [`round_time`] instead and give null here.
    pub fn apply<'a>(self, args: Vec<Val<'a>>) -> Val<'a> {
        if self == Func::Coalesce {
            return args.into_iter().find(|v| !v.is_null()).unwrap_or(Val::Null);
        }
        let null = Val::Null;
        let arg = |i: usize| args.get(i).unwrap_or(&null);
        match self {
            Func::Strlen => text(arg(0)).map_or(Val::Null, |s| Val::Num(s.chars().count() as f64)),
            Func::ToUpper => text(arg(0)).map_or(Val::Null, |s| owned(s.to_uppercase())),
            Func::ToLower => text(arg(0)).map_or(Val::Null, |s| owned(s.to_lowercase())),
            Func::Trim => text(arg(0)).map_or(Val::Null, |s| owned(s.trim().to_owned())),
            Func::Ltrim | Func::Rtrim => {
                let Some(s) = text(arg(0)) else { return Val::Null };
                let chars: Option<Vec<char>> = text(arg(1)).map(|c| c.chars().collect());
                let trimmed = match (self, &chars) {
                    (Func::Ltrim, Some(set)) => s.trim_start_matches(|c| set.contains(&c)),
                    (Func::Ltrim, None) => s.trim_start(),
                    (_, Some(set)) => s.trim_end_matches(|c| set.contains(&c)),
                    (_, None) => s.trim_end(),
                };
                owned(trimmed.to_owned())
            }
            Func::Concat => {
                let mut out = String::new();
                for a in &args {
                    out.push_str(&a.render());
                }
                owned(out)
            }
            Func::Substr => {
                let Some(s) = text(arg(0)) else { return Val::Null };
                let Some(start) = arg(1).as_num() else { return Val::Null };
                let start = start.max(0.0) as usize;
                let len = arg(2).as_num().map(|n| n.max(0.0) as usize);
                let chars = s.chars().skip(start);
                owned(match len {
                    Some(n) => chars.take(n).collect(),
                    None => chars.collect(),
                })
            }
            Func::Replace => match (text(arg(0)), text(arg(1)), text(arg(2))) {
                (Some(s), Some(from), Some(to)) if !from.is_empty() => owned(s.replace(from.as_ref(), &to)),
                (Some(s), Some(_), Some(_)) => owned(s.into_owned()),
                _ => Val::Null,
            },
            Func::StrContains => match (text(arg(0)), text(arg(1))) {
                (Some(s), Some(needle)) => Val::Num(if s.contains(needle.as_ref()) { 1.0 } else { 0.0 }),
                _ => Val::Null,
            },
            Func::IsEmpty => Val::Bool(text(arg(0)).is_none_or(|s| s.is_empty())),
            Func::IsBlank => Val::Bool(text(arg(0)).is_none_or(|s| s.trim().is_empty())),
            Func::IsPresent => Val::Bool(!arg(0).is_null()),
            Func::Coalesce => Val::Null,
            Func::Abs => num1(arg(0), f64::abs),
            Func::Ceil => num1(arg(0), f64::ceil),
            Func::Floor => num1(arg(0), f64::floor),
            Func::Log => num1(arg(0), f64::ln),
            Func::Sqrt => num1(arg(0), f64::sqrt),
            Func::Pow => match (arg(0).as_num(), arg(1).as_num()) {
                (Some(a), Some(b)) => Val::Num(a.powf(b)),
                _ => Val::Null,
            },
            Func::Greatest | Func::Least => {
                let numbers = args.iter().filter_map(Val::as_num);
                let best = if self == Func::Greatest {
                    numbers.fold(None, |acc: Option<f64>, n| Some(acc.map_or(n, |a| a.max(n))))
                } else {
                    numbers.fold(None, |acc: Option<f64>, n| Some(acc.map_or(n, |a| a.min(n))))
                };
                best.map_or(Val::Null, Val::Num)
            }
            Func::Bin | Func::DateFloor | Func::DateCeil => Val::Null,
            Func::FromMillis => arg(0).as_millis().map_or(Val::Null, Val::Time),
            Func::ToMillis => arg(0).as_millis().map_or(Val::Null, |ms| Val::Num(ms as f64)),
            Func::IsValidIp => Val::Bool(ip(arg(0)).is_some()),
            Func::IsValidIpV4 => Val::Bool(matches!(ip(arg(0)), Some(IpAddr::V4(_)))),
            Func::IsValidIpV6 => Val::Bool(matches!(ip(arg(0)), Some(IpAddr::V6(_)))),
            Func::IsIpInSubnet | Func::IsIpv4InSubnet | Func::IsIpv6InSubnet => {
                let (Some(addr), Some(cidr)) = (ip(arg(0)), text(arg(1))) else {
                    return Val::Bool(false);
                };
                let family_ok = match self {
                    Func::IsIpv4InSubnet => addr.is_ipv4(),
                    Func::IsIpv6InSubnet => addr.is_ipv6(),
                    _ => true,
                };
                Val::Bool(family_ok && in_subnet(addr, &cidr))
            }
        }
    }
}

/// `bin`, `datefloor` and `dateceil` over epoch milliseconds (the compiler keeps their period literal apart).
pub fn round_time(func: Func, ms: i64, period: Period) -> i64 {
    let floor = floor_to(ms, period);
    if func == Func::DateCeil && floor != ms {
        ceil_from_floor(floor, period)
    } else {
        floor
    }
}

/// Rounds epoch milliseconds down to the period, aligned to the Unix epoch in UTC (so `1h` bins start on the hour,
/// `1d` at 00:00 UTC, `1mo` on the 1st, `1q` on Jan/Apr/Jul/Oct 1st).
pub fn floor_to(ms: i64, period: Period) -> i64 {
    match period {
        Period::Millis(p) => ms.div_euclid(p) * p,
        Period::Months(n) => {
            let (y, m, _) = civil_from_days(ms.div_euclid(86_400_000));
            let months = (y - 1970) * 12 + i64::from(m) - 1;
            let floored = months.div_euclid(n) * n;
            let (year, month) = (1970 + floored.div_euclid(12), floored.rem_euclid(12) as u32 + 1);
            days_from_civil(year, month, 1) * 86_400_000
        }
    }
}

fn ceil_from_floor(floor: i64, period: Period) -> i64 {
    match period {
        Period::Millis(p) => floor + p,
        Period::Months(n) => {
            let (y, m, _) = civil_from_days(floor.div_euclid(86_400_000));
            let months = (y - 1970) * 12 + i64::from(m) - 1 + n;
            days_from_civil(1970 + months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1) * 86_400_000
        }
    }
}

fn text<'v>(v: &'v Val<'_>) -> Option<Cow<'v, str>> {
    match v {
        Val::Null => None,
        Val::Str(s) => Some(Cow::Borrowed(s.as_ref())),
        Val::Num(n) => Some(Cow::Owned(format_number(*n))),
        other => Some(Cow::Owned(other.render().into_owned())),
    }
}

fn owned(s: String) -> Val<'static> {
    Val::Str(Cow::Owned(s))
}

fn num1(v: &Val<'_>, f: fn(f64) -> f64) -> Val<'static> {
    v.as_num().map_or(Val::Null, |n| Val::Num(f(n)))
}

fn ip(v: &Val<'_>) -> Option<IpAddr> {
    text(v)?.trim().parse().ok()
}

fn in_subnet(addr: IpAddr, cidr: &str) -> bool {
    let (net, bits) = match cidr.split_once('/') {
        Some((net, bits)) => (net, bits.parse::<u32>().ok()),
        None => (cidr, None),
    };
    let Ok(net) = net.trim().parse::<IpAddr>() else {
        return false;
    };
    match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let bits = bits.unwrap_or(32);
            if bits > 32 {
                return false;
            }
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let bits = bits.unwrap_or(128);
            if bits > 128 {
                return false;
            }
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}
