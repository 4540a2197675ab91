//! A streaming JSON reader for `JsonBody` inspection: one forward pass over the inspected prefix, no recursion,
//! no allocation per element (an escaped string is decoded into one reused buffer), linear time.
//!
//! It reports each object key and each scalar value (strings decoded, numbers and literals as written) together
//! with the element's JSON Pointer (RFC 6901, built only when asked for). On a syntax error, or input that ends
//! early (a truncated body), it stops and returns `Err` after reporting everything read before that point.

/// What a reported element is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// An object member's key; its pointer is the member's.
    Key,
    /// A scalar value (string, number, `true`, `false`, `null`).
    Value,
}

#[derive(Clone, Copy, Debug)]
enum Frame {
    Object,
    Array(u32),
}

/// Reusable buffers for [`walk`].
#[derive(Debug, Default, Clone)]
pub(crate) struct JsonScratch {
    stack: Vec<Frame>,
    path: Vec<u8>,
    path_lens: Vec<usize>,
    tmp: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Value,
    ValueOrEnd,
    KeyOrEnd,
    Key,
    After,
}

fn skip_ws(input: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = input.get(i) {
        i += 1;
    }
    i
}

fn push_index(js: &mut JsonScratch, track: bool, index: u32) {
    if !track {
        return;
    }
    js.path_lens.push(js.path.len());
    js.path.push(b'/');
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut n = index;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    js.path.extend_from_slice(&digits[at..]);
}

/// Appends `key` as a JSON Pointer reference token (`~` as `~0`, `/` as `~1`).
fn escape_into(key: &[u8], out: &mut Vec<u8>) {
    for &b in key {
        match b {
            b'~' => out.extend_from_slice(b"~0"),
            b'/' => out.extend_from_slice(b"~1"),
            _ => out.push(b),
        }
    }
}

fn pop_component(js: &mut JsonScratch, track: bool) {
    if track {
        if let Some(len) = js.path_lens.pop() {
            js.path.truncate(len);
        }
    }
}

/// Reads a string starting at the opening quote `input[i]`; returns where the decoded bytes are and the index
/// after the closing quote. `Ok((None, end))` means the content is `input[i + 1..end - 1]` (no escapes); with
/// escapes the decoded content is in `tmp`.
fn read_string(input: &[u8], i: usize, tmp: &mut Vec<u8>) -> Result<(bool, usize, usize), ()> {
    let start = i + 1;
    let mut j = start;
    let mut escaped = false;
    loop {
        let rel = memchr::memchr2(b'"', b'\\', input.get(j..).ok_or(())?).ok_or(())?;
        if input[j..j + rel].iter().any(|&b| b < 0x20) {
            return Err(());
        }
        if escaped {
            tmp.extend_from_slice(&input[j..j + rel]);
        }
        j += rel;
        if input[j] == b'"' {
            return Ok((escaped, start, j + 1));
        }
        if !escaped {
            escaped = true;
            tmp.clear();
            tmp.extend_from_slice(&input[start..j]);
        }
        // Backslash escape.
        let e = *input.get(j + 1).ok_or(())?;
        j += 2;
        match e {
            b'"' | b'\\' | b'/' => tmp.push(e),
            b'b' => tmp.push(8),
            b'f' => tmp.push(12),
            b'n' => tmp.push(b'\n'),
            b'r' => tmp.push(b'\r'),
            b't' => tmp.push(b'\t'),
            b'u' => {
                let hi = hex4(input.get(j..j + 4).ok_or(())?)?;
                j += 4;
                let mut cp = u32::from(hi);
                if (0xD800..0xDC00).contains(&hi) && input.get(j..j + 2) == Some(b"\\u") {
                    if let Some(lo) = input.get(j + 2..j + 6).and_then(|h| hex4(h).ok()) {
                        if (0xDC00..0xE000).contains(&lo) {
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (u32::from(lo) - 0xDC00);
                            j += 6;
                        }
                    }
                }
                let c = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut buf = [0u8; 4];
                tmp.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            _ => return Err(()),
        }
    }
}

fn hex4(h: &[u8]) -> Result<u16, ()> {
    let mut v = 0u16;
    for &b in h {
        let d = (b as char).to_digit(16).ok_or(())?;
        v = (v << 4) | d as u16;
    }
    Ok(v)
}

/// Index after a JSON number or literal starting at `i`, or `Err` when it is not one.
fn scalar_end(input: &[u8], i: usize, nested: bool) -> Result<usize, ()> {
    for lit in [&b"true"[..], b"false", b"null"] {
        if input[i..].starts_with(lit) {
            return Ok(i + lit.len());
        }
    }
    let mut j = i;
    let digits = |j: &mut usize| {
        let s = *j;
        while input.get(*j).is_some_and(u8::is_ascii_digit) {
            *j += 1;
        }
        *j > s
    };
    if input.get(j) == Some(&b'-') {
        j += 1;
    }
    if input.get(j) == Some(&b'0') {
        j += 1;
    } else if !digits(&mut j) {
        return Err(());
    }
    if input.get(j) == Some(&b'.') {
        j += 1;
        if !digits(&mut j) {
            return Err(());
        }
    }
    if let Some(b'e' | b'E') = input.get(j) {
        j += 1;
        if let Some(b'+' | b'-') = input.get(j) {
            j += 1;
        }
        if !digits(&mut j) {
            return Err(());
        }
    }
    // A number cut off by the end of the inspected prefix is not known to be complete.
    if nested && j == input.len() {
        return Err(());
    }
    Ok(j)
}

/// Walks `input`, calling `emit(item, bytes, pointer)` for each key and scalar value in document order. The
/// pointer is empty unless `track_paths`. Returns `Err(())` at the first syntax error or at a premature end.
pub(crate) fn walk(
    input: &[u8],
    track_paths: bool,
    js: &mut JsonScratch,
    mut emit: impl FnMut(Item, &[u8], &[u8]),
) -> Result<(), ()> {
    js.stack.clear();
    js.path.clear();
    js.path_lens.clear();
    let mut i = 0usize;
    let mut state = State::Value;
    loop {
        i = skip_ws(input, i);
        match state {
            State::Value => {
                let b = *input.get(i).ok_or(())?;
                match b {
                    b'{' => {
                        js.stack.push(Frame::Object);
                        i += 1;
                        state = State::KeyOrEnd;
                    }
                    b'[' => {
                        js.stack.push(Frame::Array(0));
                        i += 1;
                        state = State::ValueOrEnd;
                    }
                    b'"' => {
                        let (escaped, start, end) = read_string(input, i, &mut js.tmp)?;
                        let bytes = if escaped { &js.tmp[..] } else { &input[start..end - 1] };
                        emit(Item::Value, bytes, &js.path);
                        i = end;
                        state = State::After;
                    }
                    _ => {
                        let end = scalar_end(input, i, !js.stack.is_empty())?;
                        emit(Item::Value, &input[i..end], &js.path);
                        i = end;
                        state = State::After;
                    }
                }
            }
            State::ValueOrEnd => {
                if input.get(i) == Some(&b']') {
                    js.stack.pop();
                    i += 1;
                    state = State::After;
                } else {
                    push_index(js, track_paths, 0);
                    state = State::Value;
                }
            }
            State::KeyOrEnd => {
                if input.get(i) == Some(&b'}') {
                    js.stack.pop();
                    i += 1;
                    state = State::After;
                } else {
                    state = State::Key;
                }
            }
            State::Key => {
                if input.get(i) != Some(&b'"') {
                    return Err(());
                }
                let (escaped, start, end) = read_string(input, i, &mut js.tmp)?;
                let key: &[u8] = if escaped { &js.tmp } else { &input[start..end - 1] };
                if track_paths {
                    js.path_lens.push(js.path.len());
                    js.path.push(b'/');
                    escape_into(key, &mut js.path);
                }
                emit(Item::Key, key, &js.path);
                i = skip_ws(input, end);
                if input.get(i) != Some(&b':') {
                    return Err(());
                }
                i += 1;
                state = State::Value;
            }
            State::After => match js.stack.last_mut() {
                None => {
                    return if i == input.len() { Ok(()) } else { Err(()) };
                }
                Some(Frame::Object) => {
                    pop_component(js, track_paths);
                    match input.get(i) {
                        Some(b',') => {
                            i += 1;
                            state = State::Key;
                        }
                        Some(b'}') => {
                            js.stack.pop();
                            i += 1;
                        }
                        _ => return Err(()),
                    }
                }
                Some(Frame::Array(n)) => {
                    *n += 1;
                    let next = *n;
                    pop_component(js, track_paths);
                    match input.get(i) {
                        Some(b',') => {
                            i += 1;
                            push_index(js, track_paths, next);
                            state = State::Value;
                        }
                        Some(b']') => {
                            js.stack.pop();
                            i += 1;
                        }
                        _ => return Err(()),
                    }
                }
            },
        }
    }
}

/// True when `path` is `pointer` or lies below it (component-wise prefix).
pub(crate) fn under_pointer(path: &[u8], pointer: &[u8]) -> bool {
    pointer.is_empty() || (path.starts_with(pointer) && matches!(path.get(pointer.len()), None | Some(b'/')))
}
