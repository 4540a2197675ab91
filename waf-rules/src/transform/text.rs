//! Case, whitespace, NUL, comment and command-line transformations: single-pass byte loops that never grow
//! their input.

use super::tables::{is_c_space, is_space_or_nbsp};

/// LOWERCASE / `t:lowercase`: ASCII `A-Z` to `a-z`; every other byte unchanged.
pub(crate) fn lowercase(input: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(input);
    out[start..].make_ascii_lowercase();
}

/// UPPERCASE / `t:uppercase`: ASCII `a-z` to `A-Z`; every other byte unchanged.
pub(crate) fn uppercase(input: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(input);
    out[start..].make_ascii_uppercase();
}

/// COMPRESS_WHITE_SPACE / `t:compressWhitespace`: every run of space, `\t`, `\n`, `\v`, `\f`, `\r` and 0xA0
/// becomes one space.
pub(crate) fn compress_white_space(input: &[u8], out: &mut Vec<u8>) {
    // Write through an index into a pre-sized region (the output is never longer), branch-free per byte.
    let start = out.len();
    out.resize(start + input.len(), 0);
    let buf = &mut out[start..];
    let mut n = 0;
    let mut in_space = false;
    for &b in input {
        let space = is_space_or_nbsp(b);
        buf[n] = if space { b' ' } else { b };
        n += usize::from(!(space && in_space));
        in_space = space;
    }
    out.truncate(start + n);
}

/// REMOVE_WHITESPACE / `t:removeWhitespace`: drops space, `\t`, `\n`, `\v`, `\f`, `\r`, the byte 0xA0 and the
/// UTF-8 non-breaking space `C2 A0`.
pub(crate) fn remove_whitespace(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if is_space_or_nbsp(b) {
            i += 1;
        } else if b == 0xC2 && input.get(i + 1) == Some(&0xA0) {
            i += 2;
        } else {
            out.push(b);
            i += 1;
        }
    }
}

/// TRIM / `t:trim`: removes leading and trailing C whitespace (space, `\t`, `\n`, `\v`, `\f`, `\r`).
pub(crate) fn trim(input: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(trim_end_slice(trim_start_slice(input)));
}

/// TRIM_LEFT / `t:trimLeft`: removes leading C whitespace.
pub(crate) fn trim_left(input: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(trim_start_slice(input));
}

/// TRIM_RIGHT / `t:trimRight`: removes trailing C whitespace.
pub(crate) fn trim_right(input: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(trim_end_slice(input));
}

pub(crate) fn trim_start_slice(input: &[u8]) -> &[u8] {
    let n = input.iter().take_while(|&&b| is_c_space(b)).count();
    &input[n..]
}

pub(crate) fn trim_end_slice(input: &[u8]) -> &[u8] {
    let n = input.iter().rev().take_while(|&&b| is_c_space(b)).count();
    &input[..input.len() - n]
}

/// REMOVE_NULLS / `t:removeNulls`: drops every 0x00 byte.
pub(crate) fn remove_nulls(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len());
    for part in input.split(|&b| b == 0) {
        out.extend_from_slice(part);
    }
}

/// REPLACE_NULLS / `t:replaceNulls`: every 0x00 byte becomes a space.
pub(crate) fn replace_nulls(input: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(input);
    replace_nulls_in_place(&mut out[start..]);
}

/// In-place form of [`replace_nulls`], used by chains whose current value already lives in a scratch buffer.
pub(crate) fn replace_nulls_in_place(buf: &mut [u8]) {
    for b in buf {
        if *b == 0 {
            *b = b' ';
        }
    }
}

/// CMD_LINE / `t:cmdLine`.
///
/// Deletes `\ " ' ^`; turns space, `,`, `;`, `\t`, `\r`, `\n` into a space, one per run; deletes that space when
/// it comes right before `/` or `(`; lower-cases everything else (ASCII only).
pub(crate) fn cmd_line(input: &[u8], out: &mut Vec<u8>) {
    // Pre-sized region written through an index (the output is never longer than the input).
    let start = out.len();
    out.resize(start + input.len(), 0);
    let buf = &mut out[start..];
    let mut n = 0;
    let mut space = false;
    for &b in input {
        match b {
            b'\\' | b'"' | b'\'' | b'^' => {}
            b' ' | b',' | b';' | b'\t' | b'\r' | b'\n' => {
                buf[n] = b' ';
                n += usize::from(!space);
                space = true;
            }
            b'/' | b'(' => {
                n -= usize::from(space);
                buf[n] = b;
                n += 1;
                space = false;
            }
            _ => {
                buf[n] = b.to_ascii_lowercase();
                n += 1;
                space = false;
            }
        }
    }
    out.truncate(start + n);
}

/// What the CMD_LINE_UNIX / CMD_LINE_WIN loops do with a byte.
const CMD_DROP: u8 = 0;
const CMD_KEEP: u8 = 1;
const CMD_SPACE: u8 = 2;
/// `^` and `\` in CMD_LINE_WIN.
const CMD_OTHER: u8 = 4;

/// A byte-class table for the CMD_LINE_* loops: `drop` bytes are deleted, `other` bytes handled apart, C
/// whitespace is a separator, every other byte is kept (lower-cased).
const fn cmd_table(drop: &[u8], other: &[u8]) -> [u8; 256] {
    let mut t = [CMD_KEEP; 256];
    let mut b = 0;
    while b < 256 {
        if super::tables::CLASS[b] & super::tables::C_SPACE != 0 {
            t[b] = CMD_SPACE;
        }
        b += 1;
    }
    let mut i = 0;
    while i < drop.len() {
        t[drop[i] as usize] = CMD_DROP;
        i += 1;
    }
    let mut i = 0;
    while i < other.len() {
        t[other[i] as usize] = CMD_OTHER;
        i += 1;
    }
    t
}

/// What the CMD_LINE_* loops write for a kept byte: the byte lower-cased.
const fn cmd_out_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = if super::tables::CLASS[b] & super::tables::C_SPACE != 0 {
            b' '
        } else {
            (b as u8).to_ascii_lowercase()
        };
        b += 1;
    }
    t
}

static CMD_UNIX: [u8; 256] = cmd_table(b"\\\"'", b"");
static CMD_WIN: [u8; 256] = cmd_table(b"\"'", b"^\\");
static CMD_OUT: [u8; 256] = cmd_out_table();

/// The shared loop of CMD_LINE_UNIX and CMD_LINE_WIN over `input`, appending to `out`: bytes of class
/// [`CMD_KEEP`] are written lower-cased, each run of [`CMD_SPACE`] becomes one space (none at the start or
/// end), [`CMD_DROP`] bytes go, and [`CMD_OTHER`] bytes (CMD_LINE_WIN's `^` and `\`) are handled in line.
///
/// The output region is pre-sized (it is never longer than the input) and written through an index: a table
/// lookup and a store per byte instead of a capacity check per push.
#[inline(always)]
fn cmd_line_with(table: &[u8; 256], input: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + input.len(), 0);
    let buf = &mut out[start..];
    let mut n = 0;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        i += 1;
        match table[usize::from(b)] {
            CMD_KEEP => {
                buf[n] = CMD_OUT[usize::from(b)];
                n += 1;
            }
            CMD_SPACE if n > 0 && buf[n - 1] != b' ' => {
                buf[n] = b' ';
                n += 1;
            }
            CMD_OTHER if b == b'^' => match input.get(i) {
                Some(b'\n') => i += 1,
                Some(b'\r') if input.get(i + 1) == Some(&b'\n') => i += 2,
                _ => {}
            },
            CMD_OTHER if n == 0 || buf[n - 1] != b'\\' => {
                buf[n] = b'\\';
                n += 1;
            }
            _ => {}
        }
    }
    if n > 0 && buf[n - 1] == b' ' {
        n -= 1;
    }
    out.truncate(start + n);
}

/// CMD_LINE_UNIX (no ModSecurity equivalent).
///
/// POSIX-shell flavour of [`cmd_line`]: deletes the shell quoting characters `\ " '`; turns each run of C
/// whitespace into one space and trims both ends; lower-cases ASCII. `^`, `,` and `;` are kept: they are literal
/// or meaningful to a Unix shell (`;` separates commands).
pub(crate) fn cmd_line_unix(input: &[u8], out: &mut Vec<u8>) {
    cmd_line_with(&CMD_UNIX, input, out);
}

/// CMD_LINE_WIN (no ModSecurity equivalent).
///
/// `cmd.exe` flavour of [`cmd_line`]: deletes the escape character `^` (a `^` before `\n` or `\r\n` is a line
/// continuation, so that line break goes too) and the quotes `" '`; collapses each run of backslashes into one
/// (`\` is the path separator, so it is kept); turns each run of C whitespace into one space and trims both
/// ends; lower-cases ASCII.
pub(crate) fn cmd_line_win(input: &[u8], out: &mut Vec<u8>) {
    cmd_line_with(&CMD_WIN, input, out);
}

/// REPLACE_COMMENTS / `t:replaceComments`.
///
/// Each C comment `/* ... */` becomes one space (consecutive comments give consecutive spaces); an unterminated
/// comment becomes one space; a lone `*/` is left alone.
pub(crate) fn replace_comments(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len());
    let mut rest = input;
    while let Some(open) = memchr::memmem::find(rest, b"/*") {
        out.extend_from_slice(&rest[..open]);
        out.push(b' ');
        let body = &rest[open + 2..];
        match memchr::memmem::find(body, b"*/") {
            Some(close) => rest = &body[close + 2..],
            None => return,
        }
    }
    out.extend_from_slice(rest);
}

/// REMOVE_COMMENTS_CHAR / `t:removeCommentsChar`: deletes the comment markers `/*`, `*/`, `<!--`, `-->`, `--`
/// and `#`, keeping the text between them.
pub(crate) fn remove_comments_char(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(input.len());
    let mut i = 0;
    while i < input.len() {
        let rest = &input[i..];
        let skip = match rest {
            [b'/', b'*', ..] | [b'*', b'/', ..] => 2,
            [b'<', b'!', b'-', b'-', ..] => 4,
            [b'-', b'-', b'>', ..] => 3,
            [b'-', b'-', ..] => 2,
            [b'#', ..] => 1,
            _ => 0,
        };
        if skip == 0 {
            out.push(input[i]);
            i += 1;
        } else {
            i += skip;
        }
    }
}
