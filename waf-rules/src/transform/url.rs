//! URL decoding (`%XX`, `+`, IIS `%uHHHH`) and the UTF-8 to `%uHHHH` encoder.

use super::tables::{hex_pair, HEX_DIGITS_LOWER};

/// URL_DECODE / `t:urlDecode`: `%XX` (two hex digits, either case) becomes that byte and `+` a space.
///
/// A `%` not followed by two hex digits (including one too close to the end) is copied unchanged, as are the
/// bytes after it, so `%zz`, `%4` and `%` survive as written.
pub(crate) fn url_decode(input: &[u8], out: &mut Vec<u8>) {
    decode(input, out, false);
}

/// URL_DECODE_UNI / `t:urlDecodeUni`: [`url_decode`] plus the IIS/Microsoft `%uHHHH` form.
///
/// `%uHHHH` becomes one byte, its low byte; when the code is in the full-width ASCII block `FF01`-`FF5E` the byte
/// is shifted by 0x20 back to the ASCII character it mirrors (`%uFF41` gives `a`). Other high bytes are dropped.
/// An invalid or truncated `%u` is copied unchanged.
pub(crate) fn url_decode_uni(input: &[u8], out: &mut Vec<u8>) {
    decode(input, out, true);
}

/// The low byte of a 16-bit `%u`/`\u` escape, with AWS's and ModSecurity's full-width ASCII adjustment.
#[inline]
pub(crate) fn unicode_low_byte(hi: u8, lo: u8) -> u8 {
    if hi == 0xFF && (0x01..0x5F).contains(&lo) {
        lo + 0x20
    } else {
        lo
    }
}

/// Parses four hex digits at the start of `s` as (high byte, low byte).
#[inline]
pub(crate) fn four_hex(s: &[u8]) -> Option<(u8, u8)> {
    match s {
        [a, b, c, d, ..] => Some((hex_pair(*a, *b)?, hex_pair(*c, *d)?)),
        _ => None,
    }
}

fn decode(input: &[u8], out: &mut Vec<u8>, uni: bool) {
    out.reserve(input.len());
    let mut rest = input;
    while let Some(pos) = memchr::memchr2(b'%', b'+', rest) {
        out.extend_from_slice(&rest[..pos]);
        if rest[pos] == b'+' {
            out.push(b' ');
            rest = &rest[pos + 1..];
            continue;
        }
        let after = &rest[pos + 1..];
        match after {
            [b'u' | b'U', tail @ ..] if uni => {
                if let Some((hi, lo)) = four_hex(tail) {
                    out.push(unicode_low_byte(hi, lo));
                    rest = &tail[4..];
                } else {
                    // Invalid %u: keep "%u" and carry on after it.
                    out.extend_from_slice(&rest[pos..pos + 2]);
                    rest = tail;
                }
            }
            [h, l, tail @ ..] => match hex_pair(*h, *l) {
                Some(byte) => {
                    out.push(byte);
                    rest = tail;
                }
                None => {
                    out.push(b'%');
                    rest = after;
                }
            },
            _ => {
                out.push(b'%');
                rest = after;
            }
        }
    }
    out.extend_from_slice(rest);
}

/// UTF8_TO_UNICODE / `t:utf8toUnicode`: each multi-byte UTF-8 sequence becomes `%uHHHH` (lower-case hex, at least
/// four digits; five or six for code points above U+FFFF). ASCII and bytes that do not start a well-formed
/// sequence are copied unchanged.
///
/// Overlong forms (`C0 AF` for `/`) and surrogate code points are converted to the code point they spell, so a
/// later URL_DECODE_UNI sees through them; ModSecurity does the same but also appends a stray copy of the lead
/// byte, which we do not.
pub(crate) fn utf8_to_unicode(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b < 0x80 {
            let run = input[i..].iter().take_while(|&&c| c < 0x80).count();
            out.extend_from_slice(&input[i..i + run]);
            i += run;
            continue;
        }
        let (len, init) = match b {
            0xC0..=0xDF => (2, u32::from(b & 0x1F)),
            0xE0..=0xEF => (3, u32::from(b & 0x0F)),
            0xF0..=0xF7 => (4, u32::from(b & 0x07)),
            _ => (0, 0),
        };
        let cont = input.get(i + 1..i + len.max(1)).unwrap_or(&[]);
        if len == 0 || cont.len() != len - 1 || cont.iter().any(|&c| c & 0xC0 != 0x80) {
            out.push(b);
            i += 1;
            continue;
        }
        let cp = cont.iter().fold(init, |acc, &c| (acc << 6) | u32::from(c & 0x3F));
        push_percent_u(out, cp);
        i += len;
    }
}

fn push_percent_u(out: &mut Vec<u8>, cp: u32) {
    out.extend_from_slice(b"%u");
    let bits = 32 - cp.leading_zeros();
    let digits = bits.div_ceil(4).max(4);
    for shift in (0..digits).rev() {
        out.push(HEX_DIGITS_LOWER[((cp >> (shift * 4)) & 0xF) as usize]);
    }
}

/// True when `input` holds a `%`/`+` that URL decoding would act on; a cheap superset check.
pub(crate) fn may_url_decode(input: &[u8]) -> bool {
    memchr::memchr2(b'%', b'+', input).is_some()
}
