//! Small allocation-free writers shared by the access-log and execution-log formats: decimal numbers,
//! the CLF timestamp and the escaping that keeps every record on one line.

/// How a value is escaped when it is inserted into a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escape {
    /// Only control characters: `\n`, `\r`, `\t` become those two-character sequences, the other C0
    /// controls and DEL become `\u00XX`. Everything else is copied as is.
    Control,
    /// [`Escape::Control`] plus `"` -> `\"` and `\` -> `\\`, so a value inside a JSON string stays a
    /// JSON string.
    Json,
    /// [`Escape::Control`] plus `<` `>` `&` `"` as XML entities, so a value inside an XML element or
    /// attribute stays XML.
    Xml,
}

/// Whether `b` needs escaping under `mode`.
const fn needs_escape(b: u8, mode: Escape) -> bool {
    if b < 0x20 || b == 0x7f {
        return true;
    }
    match mode {
        Escape::Control => false,
        Escape::Json => b == b'"' || b == b'\\',
        Escape::Xml => matches!(b, b'<' | b'>' | b'&' | b'"'),
    }
}

/// [`needs_escape`] for every byte value, so the scan is one table load per byte.
const fn escape_table(mode: Escape) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        // `b` is below 256, so the cast cannot truncate.
        table[b] = needs_escape(b as u8, mode);
        b += 1;
    }
    table
}

static CONTROL_TABLE: [bool; 256] = escape_table(Escape::Control);
static JSON_TABLE: [bool; 256] = escape_table(Escape::Json);
static XML_TABLE: [bool; 256] = escape_table(Escape::Xml);

/// Appends the escape sequence for the single byte `b` (which [`needs_escape`] said needs one).
fn push_escaped_byte(out: &mut Vec<u8>, b: u8) {
    match b {
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        _ => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        }
    }
}

/// The length of the prefix of `bytes` that certainly needs no escaping under `mode`, found eight bytes
/// at a time (most values need no escaping at all). It may stop early; the byte loop decides from there.
fn clean_prefix(bytes: &[u8], mode: Escape) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Non-zero when some byte of `x` is below `n` (n <= 0x80) / equal to `b`.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let equal = |x: u64, b: u8| {
        let y = x ^ (ONES * u64::from(b));
        y.wrapping_sub(ONES) & !y & HIGH
    };
    let mut at = 0;
    for word in bytes.chunks_exact(8) {
        let mut bytes8 = [0u8; 8];
        bytes8.copy_from_slice(word);
        let x = u64::from_le_bytes(bytes8);
        let mut hit = below(x, 0x20) | equal(x, 0x7f);
        hit |= match mode {
            Escape::Control => 0,
            Escape::Json => equal(x, b'"') | equal(x, b'\\'),
            Escape::Xml => equal(x, b'<') | equal(x, b'>') | equal(x, b'&') | equal(x, b'"'),
        };
        if hit != 0 {
            break;
        }
        at += 8;
    }
    at
}

/// Appends `s` escaped under `mode`. Copies whole runs that need no escaping in one `memcpy`.
pub(crate) fn write_escaped(out: &mut Vec<u8>, s: &str, mode: Escape) {
    let bytes = s.as_bytes();
    let table = match mode {
        Escape::Control => &CONTROL_TABLE,
        Escape::Json => &JSON_TABLE,
        Escape::Xml => &XML_TABLE,
    };
    let mut start = 0;
    let skip = clean_prefix(bytes, mode);
    for (i, &b) in bytes.iter().enumerate().skip(skip) {
        if table[usize::from(b)] {
            out.extend_from_slice(&bytes[start..i]);
            if mode == Escape::Xml && b >= 0x20 && b != 0x7f {
                out.extend_from_slice(match b {
                    b'<' => b"&lt;".as_slice(),
                    b'>' => b"&gt;",
                    b'&' => b"&amp;",
                    _ => b"&quot;",
                });
            } else {
                push_escaped_byte(out, b);
            }
            start = i + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

/// The decimal digits of `n`, written into `buf`.
pub(crate) fn u64_digits(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        // `n % 10` is below 10, so the cast cannot truncate.
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

/// Appends `n` in decimal without allocating.
pub(crate) fn write_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(u64_digits(n, &mut [0u8; 20]));
}

/// Appends `n` as exactly two decimal digits (`n` < 100).
fn write_2(out: &mut Vec<u8>, n: u64) {
    out.push(b'0' + ((n / 10) % 10) as u8);
    out.push(b'0' + (n % 10) as u8);
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Year, month (1-12) and day (1-31) of the day `days` after 1970-01-01, for days on or after the epoch
/// (Howard Hinnant's `civil_from_days`, restricted to unsigned arithmetic).
pub(crate) fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Appends `epoch_ms` as a Common Log Format time in UTC, `dd/MMM/yyyy:HH:mm:ss +0000`, the shape of
/// `$context.requestTime`. Pure arithmetic (a few divisions), so no per-second cache is needed.
pub(crate) fn write_clf_time(out: &mut Vec<u8>, epoch_ms: u64) {
    let secs = epoch_ms / 1000;
    let (days, sod) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    write_2(out, day);
    out.push(b'/');
    // `month` is 1..=12 by construction of `civil_from_days`.
    out.extend_from_slice(MONTHS[(month as usize).saturating_sub(1) % 12]);
    out.push(b'/');
    write_u64(out, year);
    out.push(b':');
    write_2(out, sod / 3600);
    out.push(b':');
    write_2(out, (sod / 60) % 60);
    out.push(b':');
    write_2(out, sod % 60);
    out.extend_from_slice(b" +0000");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte-at-a-time reference for [`write_escaped`].
    fn escaped_slowly(s: &str, mode: Escape) -> Vec<u8> {
        let mut out = Vec::new();
        for &b in s.as_bytes() {
            if !needs_escape(b, mode) {
                out.push(b);
            } else if mode == Escape::Xml && b >= 0x20 && b != 0x7f {
                out.extend_from_slice(match b {
                    b'<' => b"&lt;".as_slice(),
                    b'>' => b"&gt;",
                    b'&' => b"&amp;",
                    _ => b"&quot;",
                });
            } else {
                push_escaped_byte(&mut out, b);
            }
        }
        out
    }

    #[test]
    fn word_at_a_time_scan_agrees_with_the_byte_loop_for_every_byte_at_every_position() {
        for mode in [Escape::Control, Escape::Json, Escape::Xml] {
            for b in 0u8..=0x7f {
                for len in [1usize, 7, 8, 9, 17, 24] {
                    for at in 0..len {
                        let mut text = vec![b'a'; len];
                        text[at] = b;
                        // Multi-byte UTF-8 around it too: bytes >= 0x80 never need escaping.
                        let s = format!("\u{e9}{}\u{20ac}", String::from_utf8(text).expect("ascii"));
                        let mut out = Vec::new();
                        write_escaped(&mut out, &s, mode);
                        assert_eq!(out, escaped_slowly(&s, mode), "{mode:?} byte {b:#x} at {at} of {len}");
                    }
                }
            }
        }
    }

    fn esc(s: &str, mode: Escape) -> String {
        let mut out = Vec::new();
        write_escaped(&mut out, s, mode);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn control_characters_never_break_the_line() {
        assert_eq!(
            esc("a\nb\rc\td\u{1}e\u{7f}", Escape::Control),
            "a\\nb\\rc\\td\\u0001e\\u007f"
        );
        assert_eq!(esc("say \"hi\" \\o/", Escape::Control), "say \"hi\" \\o/");
    }

    #[test]
    fn json_mode_escapes_quote_and_backslash() {
        assert_eq!(esc("say \"hi\" \\o/\n", Escape::Json), "say \\\"hi\\\" \\\\o/\\n");
        assert_eq!(esc("héllo ✓", Escape::Json), "héllo ✓");
    }

    #[test]
    fn xml_mode_uses_entities() {
        assert_eq!(
            esc("<a href=\"x\">&</a>", Escape::Xml),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn numbers() {
        for n in [0u64, 7, 10, 99, 1_000, 1_719_616_949_095, u64::MAX] {
            let mut out = Vec::new();
            write_u64(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }

    #[test]
    fn clf_times() {
        let cases = [
            (0u64, "01/Jan/1970:00:00:00 +0000"),
            // From an AWS access-log line: "requestTime": "27/Oct/2023:13:40:57 +0000",
            // "requestTimeEpoch": "1698414057744".
            (1_698_414_057_744, "27/Oct/2023:13:40:57 +0000"),
            (951_782_400_000, "29/Feb/2000:00:00:00 +0000"),
            (4_133_980_799_999, "31/Dec/2100:23:59:59 +0000"),
        ];
        for (ms, want) in cases {
            let mut out = Vec::new();
            write_clf_time(&mut out, ms);
            assert_eq!(String::from_utf8(out).unwrap_or_default(), want, "{ms}");
        }
    }
}
