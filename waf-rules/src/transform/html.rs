//! HTML_ENTITY_DECODE: numeric character references and the named entities AWS lists.

use super::tables::hex_val;

/// Longest entity name decoded; longer alphanumeric runs cannot be a full entity name.
const MAX_NAME: usize = 16;

/// The replacement for a named entity, matched ASCII case-insensitively.
///
/// The first five are the ones ModSecurity's `t:htmlEntityDecode` knows; the rest are the ASCII-punctuation
/// entities of AWS's HTML_ENTITY_DECODE table. `nbsp` gives the single byte 0xA0 ("decimal 160"), as AWS and
/// ModSecurity do. The name is lower-cased into a stack buffer and matched with one `match`, which compiles to a
/// length switch and short comparisons.
fn lookup(name: &[u8]) -> Option<&'static [u8]> {
    if name.len() > MAX_NAME {
        return None;
    }
    let mut buf = [0u8; MAX_NAME];
    for (d, s) in buf.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    Some(match &buf[..name.len()] {
        b"quot" => b"\"",
        b"amp" => b"&",
        b"lt" => b"<",
        b"gt" => b">",
        b"nbsp" => b"\xA0",
        b"nonbreakingspace" => b"\xA0",
        b"newline" => b"\n",
        b"tab" => b"\t",
        b"excl" => b"!",
        b"num" => b"#",
        b"dollar" => b"$",
        b"percnt" => b"%",
        b"apos" => b"'",
        b"lpar" => b"(",
        b"rpar" => b")",
        b"ast" => b"*",
        b"midast" => b"*",
        b"plus" => b"+",
        b"comma" => b",",
        b"period" => b".",
        b"sol" => b"/",
        b"colon" => b":",
        b"semi" => b";",
        b"equals" => b"=",
        b"quest" => b"?",
        b"lsqb" => b"[",
        b"lbrack" => b"[",
        b"bsol" => b"\\",
        b"rsqb" => b"]",
        b"rbrack" => b"]",
        b"hat" => b"^",
        b"lowbar" => b"_",
        b"underbar" => b"_",
        b"grave" => b"`",
        b"diacriticalgrave" => b"`",
        b"lcub" => b"{",
        b"lbrace" => b"{",
        b"verbar" => b"|",
        b"vert" => b"|",
        b"verticalline" => b"|",
        b"rcub" => b"}",
        b"rbrace" => b"}",
        b"tilde" => b"~",
        b"diacriticaltilde" => b"~",
        b"minus" => b"-",
        _ => return None,
    })
}

/// Entities that browsers also recognise without a terminating `;` even when letters follow (`&ltscript`), tried
/// as prefixes of a longer name, longest first.
static LEGACY_PREFIXES: &[(&[u8], &[u8])] = &[
    (b"nbsp", b"\xA0"),
    (b"quot", b"\""),
    (b"amp", b"&"),
    (b"lt", b"<"),
    (b"gt", b">"),
];

/// Appends the character a numeric reference stands for: one byte up to 0xFF (Latin-1, like `&nbsp;`), UTF-8
/// above. Returns false for values that are not Unicode scalar values (surrogates, above U+10FFFF).
fn push_code_point(out: &mut Vec<u8>, cp: u32) -> bool {
    if cp <= 0xFF {
        out.push(cp as u8);
        return true;
    }
    match char::from_u32(cp) {
        Some(c) => {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            true
        }
        None => false,
    }
}

/// Parses the digits of a numeric reference; the value saturates just above U+10FFFF so it cannot overflow.
fn parse_number(digits: &[u8], radix: u32) -> u32 {
    digits.iter().fold(0u32, |acc, &b| {
        let d = u32::from(hex_val(b).unwrap_or(0));
        acc.saturating_mul(radix).saturating_add(d).min(0x11_0000)
    })
}

/// HTML_ENTITY_DECODE / `t:htmlEntityDecode`.
///
/// - `&#xHHHH;` / `&#XHHHH;` (any number of hex digits) and `&#DDDD;` become that character: a byte for values up
///   to 0xFF, UTF-8 above; the `;` is optional (`&#x3c` decodes), and references to surrogates or beyond U+10FFFF
///   are left as written.
/// - Named entities from the AWS table (see [`lookup`]), case-insensitive, `;` optional; `&lt`, `&gt`, `&amp`,
///   `&quot` and `&nbsp` also decode when letters follow (`&ltscript` -> `<script`), as browsers do.
/// - Anything else after `&` is copied unchanged.
pub(crate) fn html_entity_decode(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len());
    let mut rest = input;
    while let Some(pos) = memchr::memchr(b'&', rest) {
        out.extend_from_slice(&rest[..pos]);
        let after = &rest[pos + 1..];
        let used = decode_one(after, out);
        if used == 0 {
            out.push(b'&');
        }
        rest = &after[used..];
    }
    out.extend_from_slice(rest);
}

/// Decodes the reference whose text (after `&`) starts `s`, appending its character; returns how many bytes of
/// `s` it used, or 0 when `s` does not start a decodable reference (nothing appended).
fn decode_one(s: &[u8], out: &mut Vec<u8>) -> usize {
    let with_semicolon = |n: usize| if s.get(n) == Some(&b';') { n + 1 } else { n };
    match s {
        [b'#', b'x' | b'X', digits @ ..] => {
            let n = digits.iter().take_while(|&&b| hex_val(b).is_some()).count();
            if n > 0 && push_code_point(out, parse_number(&digits[..n], 16)) {
                with_semicolon(2 + n)
            } else {
                0
            }
        }
        [b'#', digits @ ..] => {
            let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
            if n > 0 && push_code_point(out, parse_number(&digits[..n], 10)) {
                with_semicolon(1 + n)
            } else {
                0
            }
        }
        _ => {
            let n = s.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
            if n == 0 {
                return 0;
            }
            if let Some(v) = lookup(&s[..n]) {
                out.extend_from_slice(v);
                return with_semicolon(n);
            }
            for &(name, v) in LEGACY_PREFIXES {
                if s.len() >= name.len() && s[..name.len()].eq_ignore_ascii_case(name) {
                    out.extend_from_slice(v);
                    return name.len();
                }
            }
            0
        }
    }
}
