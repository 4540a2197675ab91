//! Backslash-escape decoders: CSS 2, JavaScript (plain and extended) and ANSI C.

use super::tables::{hex_pair, hex_val, is_c_space};
use super::url::{four_hex, unicode_low_byte};

#[inline]
fn is_octal(b: u8) -> bool {
    (b'0'..=b'7').contains(&b)
}

/// Parses up to three octal digits at the start of `s` (the caller has checked the first). Three digits are used
/// only when the value fits a byte (first digit `0`-`3`); otherwise two. Returns (value, digits used).
fn octal_byte(s: &[u8]) -> (u8, usize) {
    let n = s.iter().take(3).take_while(|&&b| is_octal(b)).count();
    let n = if n == 3 && s[0] > b'3' { 2 } else { n };
    let v = s[..n].iter().fold(0u16, |acc, &b| acc * 8 + u16::from(b - b'0'));
    (v as u8, n)
}

/// The control character a C/JavaScript single-letter escape stands for.
#[inline]
fn c_escape(b: u8) -> Option<u8> {
    Some(match b {
        b'a' => 0x07,
        b'b' => 0x08,
        b'f' => 0x0C,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'v' => 0x0B,
        _ => return None,
    })
}

/// CSS_DECODE / `t:cssDecode`: CSS 2 escapes (`syndata.html#characters`), using at most two bytes of each.
///
/// `\` + 1-6 hex digits: one hex digit gives that value, otherwise the last two digits give the byte; a 4-digit
/// code (or a 5/6-digit one with leading zeros) in the full-width block `FF01`-`FF5E` is mapped back to ASCII.
/// One whitespace character after a hex escape is swallowed. `\` + newline is removed (line continuation);
/// `\` + any other byte gives that byte (`ja\vascript` -> `javascript`); a trailing lone `\` is dropped.
pub(crate) fn css_decode(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len());
    let mut rest = input;
    while let Some(pos) = memchr::memchr(b'\\', rest) {
        out.extend_from_slice(&rest[..pos]);
        let after = &rest[pos + 1..];
        let Some(&next) = after.first() else {
            return; // trailing backslash: continuation to nothing
        };
        let digits = after.iter().take(6).take_while(|&&b| hex_val(b).is_some()).count();
        if digits == 0 {
            if next != b'\n' {
                out.push(next);
            }
            rest = &after[1..];
            continue;
        }
        let hex = &after[..digits];
        let last_two = |h: &[u8]| hex_pair(h[h.len() - 2], h[h.len() - 1]).unwrap_or(0);
        let byte = match digits {
            1 => hex_val(hex[0]).unwrap_or(0),
            2 | 3 => last_two(hex),
            _ => {
                let lead_zeros_ok = match digits {
                    4 => true,
                    5 => hex[0] == b'0',
                    _ => hex[0] == b'0' && hex[1] == b'0',
                };
                let lo = last_two(hex);
                let code = &hex[digits - 4..digits - 2];
                let full_width = lead_zeros_ok && code.iter().all(|&b| b == b'f' || b == b'F');
                if full_width {
                    unicode_low_byte(0xFF, lo)
                } else {
                    lo
                }
            }
        };
        out.push(byte);
        let mut consumed = digits;
        if after.get(digits).is_some_and(|&b| is_c_space(b)) {
            consumed += 1;
        }
        rest = &after[consumed..];
    }
    out.extend_from_slice(rest);
}

/// JS_DECODE / `t:jsDecode`: JavaScript string escapes.
///
/// `\uHHHH` keeps only the low byte, except that the full-width block `FF01`-`FF5E` maps back to ASCII (as the
/// AWS guide describes); `\xHH` gives the byte; `\` + 1-3 octal digits gives the byte (three only when it fits);
/// `\a \b \f \n \r \t \v` give the control characters; `\` + any other byte gives that byte (so `\\`, `\'`, `\"`,
/// `\/`, and an incomplete `\u12` gives `u12`). A trailing lone `\` is kept.
pub(crate) fn js_decode(input: &[u8], out: &mut Vec<u8>) {
    js_decode_impl(input, out, false);
}

/// JS_DECODE_EXT (no ModSecurity equivalent): [`js_decode`] without its information loss.
///
/// `\uHHHH` code points outside the full-width ASCII block are written as UTF-8 instead of being cut to their
/// low byte, a `\uD800`-`\uDBFF` + `\uDC00`-`\uDFFF` surrogate pair is joined into one UTF-8 character, and the
/// ES2015 form `\u{H...}` (up to U+10FFFF) is decoded too. Everything else is as in [`js_decode`].
pub(crate) fn js_decode_ext(input: &[u8], out: &mut Vec<u8>) {
    js_decode_impl(input, out, true);
}

fn push_utf8(out: &mut Vec<u8>, cp: u32) {
    match char::from_u32(cp) {
        Some(c) => {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        // A lone surrogate: emit its WTF-8 (generalised UTF-8) form so no information is lost.
        None => out.extend_from_slice(&[
            0xE0 | ((cp >> 12) as u8 & 0x0F),
            0x80 | ((cp >> 6) as u8 & 0x3F),
            0x80 | (cp as u8 & 0x3F),
        ]),
    }
}

/// Parses `{H...}` (1-6 hex digits, value <= 0x10FFFF) at the start of `s`; returns (code point, bytes used).
fn braced_code_point(s: &[u8]) -> Option<(u32, usize)> {
    let body = s.strip_prefix(b"{")?;
    let n = body.iter().take(7).take_while(|&&b| hex_val(b).is_some()).count();
    if n == 0 || n > 6 || body.get(n) != Some(&b'}') {
        return None;
    }
    let cp = body[..n]
        .iter()
        .fold(0u32, |acc, &b| (acc << 4) | u32::from(hex_val(b).unwrap_or(0)));
    (cp <= 0x10FFFF).then_some((cp, n + 2))
}

fn js_decode_impl(input: &[u8], out: &mut Vec<u8>, ext: bool) {
    out.reserve(input.len());
    let mut rest = input;
    while let Some(pos) = memchr::memchr(b'\\', rest) {
        out.extend_from_slice(&rest[..pos]);
        let after = &rest[pos + 1..];
        let Some(&next) = after.first() else {
            out.push(b'\\');
            return;
        };
        let tail = &after[1..];
        let used = match next {
            b'u' => {
                if let Some((hi, lo)) = four_hex(tail) {
                    let cp = (u32::from(hi) << 8) | u32::from(lo);
                    if !ext || (0xFF01..=0xFF5E).contains(&cp) || cp < 0x80 {
                        out.push(unicode_low_byte(hi, lo));
                        5
                    } else if (0xD800..0xDC00).contains(&cp) {
                        let low = match (tail.get(4..6), tail.get(6..)) {
                            (Some(b"\\u"), Some(t)) => four_hex(t).map(|(h, l)| (u32::from(h) << 8) | u32::from(l)),
                            _ => None,
                        };
                        match low {
                            Some(l) if (0xDC00..0xE000).contains(&l) => {
                                push_utf8(out, 0x10000 + ((cp - 0xD800) << 10) + (l - 0xDC00));
                                11
                            }
                            _ => {
                                push_utf8(out, cp);
                                5
                            }
                        }
                    } else {
                        push_utf8(out, cp);
                        5
                    }
                } else if let Some((cp, n)) = braced_code_point(tail).filter(|_| ext) {
                    push_utf8(out, cp);
                    1 + n
                } else {
                    out.push(b'u');
                    1
                }
            }
            b'x' => match tail.get(..2).and_then(|p| hex_pair(p[0], p[1])) {
                Some(v) => {
                    out.push(v);
                    3
                }
                None => {
                    out.push(b'x');
                    1
                }
            },
            _ if is_octal(next) => {
                let (v, n) = octal_byte(after);
                out.push(v);
                n
            }
            _ => {
                out.push(c_escape(next).unwrap_or(next));
                1
            }
        };
        rest = &after[used..];
    }
    out.extend_from_slice(rest);
}

/// ESCAPE_SEQ_DECODE / `t:escapeSeqDecode`: ANSI C escapes `\a \b \f \n \r \t \v \\ \? \' \"`, `\xHH` (exactly
/// two hex digits, `x` either case) and `\` + 1-3 octal digits (`\0`, `\012`, `\101`; the value is taken modulo
/// 256). Escapes that are not valid stay in the output as written (`\z`, `\xZZ`, a trailing `\`), as the AWS
/// guide specifies; ModSecurity instead drops the backslash of an unrecognised `\C`.
pub(crate) fn escape_seq_decode(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len());
    let mut rest = input;
    while let Some(pos) = memchr::memchr(b'\\', rest) {
        out.extend_from_slice(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (byte, used) = match after {
            [c, ..] if c_escape(*c).is_some() => (c_escape(*c), 1),
            [c @ (b'\\' | b'?' | b'\'' | b'"'), ..] => (Some(*c), 1),
            [b'x' | b'X', h, l, ..] => (hex_pair(*h, *l), 3),
            [c, ..] if is_octal(*c) => {
                let n = after.iter().take(3).take_while(|&&b| is_octal(b)).count();
                let v = after[..n].iter().fold(0u16, |acc, &b| acc * 8 + u16::from(b - b'0'));
                (Some(v as u8), n)
            }
            _ => (None, 0),
        };
        match byte {
            Some(b) => {
                out.push(b);
                rest = &after[used..];
            }
            None => {
                out.push(b'\\');
                rest = after;
            }
        }
    }
    out.extend_from_slice(rest);
}
