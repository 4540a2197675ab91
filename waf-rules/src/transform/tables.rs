//! Byte-class tables shared by the transformations: one 256-entry lookup per question, built at compile time.

/// Marker in [`HEX_VALUE`] for a byte that is not a hexadecimal digit.
pub(crate) const NOT_HEX: u8 = 0xFF;

/// Value of each byte as a hexadecimal digit (`0-9`, `a-f`, `A-F`), or [`NOT_HEX`].
pub(crate) static HEX_VALUE: [u8; 256] = build_hex_table();

const fn build_hex_table() -> [u8; 256] {
    let mut t = [NOT_HEX; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
}

/// The hexadecimal value of `b`, if it is a hex digit.
#[inline]
pub(crate) fn hex_val(b: u8) -> Option<u8> {
    let v = HEX_VALUE[b as usize];
    (v != NOT_HEX).then_some(v)
}

/// Decodes two hex digits into a byte, if both are hex digits.
#[inline]
pub(crate) fn hex_pair(hi: u8, lo: u8) -> Option<u8> {
    let (h, l) = (HEX_VALUE[hi as usize], HEX_VALUE[lo as usize]);
    (h != NOT_HEX && l != NOT_HEX).then_some((h << 4) | l)
}

/// Bit set in [`CLASS`] for C `isspace()` in the "C" locale: space, `\t`, `\n`, `\v`, `\f`, `\r`.
pub(crate) const C_SPACE: u8 = 1;
/// Bit set in [`CLASS`] for the non-breaking space byte 0xA0 (decimal 160), which AWS adds to the whitespace set.
pub(crate) const NBSP: u8 = 2;

/// Per-byte class bits ([`C_SPACE`], [`NBSP`]).
pub(crate) static CLASS: [u8; 256] = build_class_table();

const fn build_class_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    t[b' ' as usize] = C_SPACE;
    t[b'\t' as usize] = C_SPACE;
    t[b'\n' as usize] = C_SPACE;
    t[0x0B] = C_SPACE;
    t[0x0C] = C_SPACE;
    t[b'\r' as usize] = C_SPACE;
    t[0xA0] = NBSP;
    t
}

/// C `isspace()` in the "C" locale.
#[inline]
pub(crate) fn is_c_space(b: u8) -> bool {
    CLASS[b as usize] & C_SPACE != 0
}

/// C `isspace()` or the non-breaking space byte 0xA0.
#[inline]
pub(crate) fn is_space_or_nbsp(b: u8) -> bool {
    CLASS[b as usize] != 0
}

/// Lower-case hexadecimal digits, for encoders.
pub(crate) const HEX_DIGITS_LOWER: &[u8; 16] = b"0123456789abcdef";

/// True when any byte of `input` lies in `lo..=hi`.
///
/// Scans fixed-size chunks without an early exit inside a chunk so the compiler can vectorise the comparison;
/// used by the "would this change anything?" fast paths.
#[inline]
pub(crate) fn any_in_range(input: &[u8], lo: u8, hi: u8) -> bool {
    let width = hi.wrapping_sub(lo);
    let mut chunks = input.chunks_exact(32);
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |acc, &b| acc | (b.wrapping_sub(lo) <= width)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| b.wrapping_sub(lo) <= width)
}

/// True when any byte of `input` satisfies the class table lookup `table[b] & mask != 0`.
#[inline]
pub(crate) fn any_in_class(input: &[u8], mask: u8) -> bool {
    input.iter().any(|&b| CLASS[b as usize] & mask != 0)
}
