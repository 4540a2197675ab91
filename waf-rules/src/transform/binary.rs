//! Base64, hex and SQL-hex decoders, and the MD5 / SHA-256 digests.

use md5::{Digest as _, Md5};
use sha2::Sha256;

use super::tables::{hex_pair, HEX_VALUE, NOT_HEX};

const B64_INVALID: u8 = 0xFF;

/// Value of each byte in the standard Base64 alphabet (`A-Z a-z 0-9 + /`), or [`B64_INVALID`].
static B64_VALUE: [u8; 256] = build_b64_table();

const fn build_b64_table() -> [u8; 256] {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut t = [B64_INVALID; 256];
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t
}

/// Accumulates 6-bit groups and writes whole bytes; the tail (2 or 3 groups) is flushed by [`Self::finish`].
struct B64Sink {
    acc: u32,
    n: u8,
}

impl B64Sink {
    #[inline]
    fn push(&mut self, v: u8, out: &mut Vec<u8>) {
        self.acc = (self.acc << 6) | u32::from(v);
        self.n += 1;
        if self.n == 4 {
            out.extend_from_slice(&[(self.acc >> 16) as u8, (self.acc >> 8) as u8, self.acc as u8]);
            self.acc = 0;
            self.n = 0;
        }
    }

    /// Two leftover groups carry one byte, three carry two; a single leftover group carries no whole byte.
    fn finish(self, out: &mut Vec<u8>) {
        match self.n {
            2 => out.push((self.acc >> 4) as u8),
            3 => out.extend_from_slice(&[(self.acc >> 10) as u8, (self.acc >> 2) as u8]),
            _ => {}
        }
    }
}

/// BASE64_DECODE / `t:base64Decode`: standard-alphabet Base64.
///
/// Line breaks (`\r`, `\n`) are skipped; decoding stops at the first `=` or other byte outside the alphabet, and
/// whatever decoded before it is the result (a dangling partial group still yields its whole bytes, so missing
/// padding is accepted).
pub(crate) fn base64_decode(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len() / 4 * 3 + 2);
    let mut sink = B64Sink { acc: 0, n: 0 };
    for &b in input {
        let v = B64_VALUE[b as usize];
        if v != B64_INVALID {
            sink.push(v, out);
        } else if b != b'\r' && b != b'\n' {
            break;
        }
    }
    sink.finish(out);
}

/// BASE64_DECODE_EXT / `t:base64DecodeExt`: forgiving Base64 that skips every byte outside the alphabet
/// (whitespace, `.`, `=` anywhere, stray punctuation, non-ASCII) and decodes the rest.
pub(crate) fn base64_decode_ext(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len() / 4 * 3 + 2);
    let mut sink = B64Sink { acc: 0, n: 0 };
    for &b in input {
        let v = B64_VALUE[b as usize];
        if v != B64_INVALID {
            sink.push(v, out);
        }
    }
    sink.finish(out);
}

/// HEX_DECODE / `t:hexDecode`: each pair of hex digits becomes one byte.
///
/// A byte that does not start a pair of hex digits (a non-hex byte, or a final odd digit) is copied unchanged and
/// decoding resumes right after it, so a value that is not hex passes through instead of turning into garbage.
pub(crate) fn hex_decode(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len() / 2 + 1);
    let mut i = 0;
    while i < input.len() {
        match input.get(i + 1).and_then(|&lo| hex_pair(input[i], lo)) {
            Some(byte) => {
                out.push(byte);
                i += 2;
            }
            None => {
                out.push(input[i]);
                i += 1;
            }
        }
    }
}

/// SQL_HEX_DECODE / `t:sqlHexDecode`: each SQL hex literal `0x` + hex pairs (`0x414243`) becomes its bytes
/// (`ABC`); `x` may be upper case. A literal needs at least one whole pair; a trailing odd digit is left as is.
pub(crate) fn sql_hex_decode(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len());
    let mut i = 0;
    while i < input.len() {
        let starts_literal = input[i] == b'0'
            && matches!(input.get(i + 1), Some(b'x' | b'X'))
            && matches!(input.get(i + 2..i + 4), Some(&[h, l]) if hex_pair(h, l).is_some());
        if !starts_literal {
            out.push(input[i]);
            i += 1;
            continue;
        }
        i += 2;
        while let Some(&[h, l]) = input.get(i..i + 2) {
            let (hv, lv) = (HEX_VALUE[h as usize], HEX_VALUE[l as usize]);
            if hv == NOT_HEX || lv == NOT_HEX {
                break;
            }
            out.push((hv << 4) | lv);
            i += 2;
        }
    }
}

/// MD5 / `t:md5`: the 16-byte raw (binary) MD5 digest of the input.
pub(crate) fn md5(input: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&Md5::digest(input));
}

/// SHA256 (ModSecurity has only `t:sha1`): the 32-byte raw (binary) SHA-256 digest of the input.
pub(crate) fn sha256(input: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&Sha256::digest(input));
}
