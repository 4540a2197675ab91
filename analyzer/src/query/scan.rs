//! Field extraction without building a JSON tree: a small scanner walks one JSON object line, borrowing string
//! values from the line, and stores only the (flattened, `a.b` / `a.0`) fields a query names into row slots. Values
//! of named fields that are objects or arrays are kept as their raw JSON text (for `unnest`). Lines the scanner
//! cannot read fall back to serde_json through [`crate::record::Record`].

use std::borrow::Cow;

use crate::record::Record;

use super::value::Val;

/// The fields one query extracts from JSON lines, with their slots.
#[derive(Debug, Clone, Default)]
pub struct FieldScanner {
    wanted: Vec<(String, usize)>,
    prefixes: Vec<String>,
}

/// The line is not a JSON object the scanner can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotJson;

impl FieldScanner {
    /// A scanner for these `(flattened name, slot)` pairs.
    pub fn new(wanted: Vec<(String, usize)>) -> FieldScanner {
        let mut prefixes = Vec::new();
        for (name, _) in &wanted {
            for (i, c) in name.char_indices() {
                if c == '.' && !prefixes.iter().any(|p: &String| p == &name[..i]) {
                    prefixes.push(name[..i].to_owned());
                }
            }
        }
        FieldScanner { wanted, prefixes }
    }

    /// Whether no field is wanted.
    pub fn is_empty(&self) -> bool {
        self.wanted.is_empty()
    }

    /// Fills `row` slots from a JSON object line; `Err` when the line is not one (the caller falls back).
    pub fn scan<'a>(&self, line: &'a str, row: &mut [Val<'a>], path: &mut String) -> Result<(), NotJson> {
        let bytes = line.as_bytes();
        let mut pos = skip_ws(bytes, 0);
        if bytes.get(pos) != Some(&b'{') {
            return Err(NotJson);
        }
        path.clear();
        pos = self.object(line, pos, row, path)?;
        if skip_ws(bytes, pos) != bytes.len() {
            return Err(NotJson);
        }
        Ok(())
    }

    /// Fills slots from a line serde_json can read but the scanner could not.
    pub fn fill_from_record(&self, record: &Record, row: &mut [Val<'_>]) {
        for (name, slot) in &self.wanted {
            if let Some(value) = record.get(name) {
                row[*slot] = from_json(value);
            }
        }
    }

    fn slot_of(&self, path: &str) -> Option<usize> {
        self.wanted.iter().find(|(name, _)| name == path).map(|(_, slot)| *slot)
    }

    fn is_prefix(&self, path: &str) -> bool {
        self.prefixes.iter().any(|p| p == path)
    }

    fn object<'a>(
        &self,
        line: &'a str,
        mut pos: usize,
        row: &mut [Val<'a>],
        path: &mut String,
    ) -> Result<usize, NotJson> {
        let bytes = line.as_bytes();
        pos += 1; // '{'
        let base = path.len();
        pos = skip_ws(bytes, pos);
        if bytes.get(pos) == Some(&b'}') {
            return Ok(pos + 1);
        }
        loop {
            pos = skip_ws(bytes, pos);
            if bytes.get(pos) != Some(&b'"') {
                return Err(NotJson);
            }
            let (key, after) = string(line, pos)?;
            pos = skip_ws(bytes, after);
            if bytes.get(pos) != Some(&b':') {
                return Err(NotJson);
            }
            pos = skip_ws(bytes, pos + 1);
            path.truncate(base);
            if base > 0 {
                path.push('.');
            }
            path.push_str(&key);
            pos = self.value(line, pos, row, path)?;
            pos = skip_ws(bytes, pos);
            match bytes.get(pos) {
                Some(b',') => pos += 1,
                Some(b'}') => {
                    path.truncate(base);
                    return Ok(pos + 1);
                }
                _ => return Err(NotJson),
            }
        }
    }

    fn array<'a>(
        &self,
        line: &'a str,
        mut pos: usize,
        row: &mut [Val<'a>],
        path: &mut String,
    ) -> Result<usize, NotJson> {
        let bytes = line.as_bytes();
        pos = skip_ws(bytes, pos + 1);
        let base = path.len();
        if bytes.get(pos) == Some(&b']') {
            return Ok(pos + 1);
        }
        let mut index = 0usize;
        loop {
            path.truncate(base);
            path.push('.');
            path.push_str(itoa_usize(index).as_str());
            pos = self.value(line, skip_ws(bytes, pos), row, path)?;
            pos = skip_ws(bytes, pos);
            match bytes.get(pos) {
                Some(b',') => pos += 1,
                Some(b']') => {
                    path.truncate(base);
                    return Ok(pos + 1);
                }
                _ => return Err(NotJson),
            }
            index += 1;
        }
    }

    fn value<'a>(&self, line: &'a str, pos: usize, row: &mut [Val<'a>], path: &mut String) -> Result<usize, NotJson> {
        let bytes = line.as_bytes();
        let slot = self.slot_of(path);
        match bytes.get(pos) {
            Some(b'"') => {
                let (s, end) = string(line, pos)?;
                if let Some(slot) = slot {
                    row[slot] = Val::Str(s);
                }
                Ok(end)
            }
            Some(b'{') | Some(b'[') => {
                let end = if self.is_prefix(path) {
                    if bytes[pos] == b'{' {
                        self.object(line, pos, row, path)?
                    } else {
                        self.array(line, pos, row, path)?
                    }
                } else {
                    skip_nested(bytes, pos)?
                };
                if let Some(slot) = slot {
                    row[slot] = Val::str(&line[pos..end]);
                }
                Ok(end)
            }
            Some(_) => {
                let end = pos
                    + bytes[pos..]
                        .iter()
                        .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n'))
                        .unwrap_or(bytes.len() - pos);
                let token = &line[pos..end];
                let value = match token {
                    "true" => Val::Bool(true),
                    "false" => Val::Bool(false),
                    "null" => Val::Null,
                    number => Val::Num(number.parse::<f64>().map_err(|_| NotJson)?),
                };
                if let Some(slot) = slot {
                    row[slot] = value;
                }
                Ok(end)
            }
            None => Err(NotJson),
        }
    }
}

fn itoa_usize(n: usize) -> String {
    n.to_string()
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len() && matches!(bytes[pos], b' ' | b'\t' | b'\r' | b'\n') {
        pos += 1;
    }
    pos
}

/// Reads the JSON string starting at the `"` at `pos`: borrowed when it has no escapes.
fn string(line: &str, pos: usize) -> Result<(Cow<'_, str>, usize), NotJson> {
    let bytes = line.as_bytes();
    let start = pos + 1;
    let Some(rel) = memchr::memchr2(b'"', b'\\', &bytes[start..]) else {
        return Err(NotJson);
    };
    if bytes[start + rel] == b'"' {
        return Ok((Cow::Borrowed(&line[start..start + rel]), start + rel + 1));
    }
    let mut out = String::from(&line[start..start + rel]);
    let mut i = start + rel;
    loop {
        match bytes.get(i) {
            None => return Err(NotJson),
            Some(b'"') => return Ok((Cow::Owned(out), i + 1)),
            Some(b'\\') => {
                let c = match bytes.get(i + 1) {
                    Some(b'"') => '"',
                    Some(b'\\') => '\\',
                    Some(b'/') => '/',
                    Some(b'b') => '\u{8}',
                    Some(b'f') => '\u{c}',
                    Some(b'n') => '\n',
                    Some(b'r') => '\r',
                    Some(b't') => '\t',
                    Some(b'u') => {
                        let (c, next) = unicode_escape(line, i)?;
                        out.push(c);
                        i = next;
                        continue;
                    }
                    _ => return Err(NotJson),
                };
                out.push(c);
                i += 2;
            }
            Some(_) => {
                let next = i + bytes[i..]
                    .iter()
                    .position(|b| *b == b'"' || *b == b'\\')
                    .ok_or(NotJson)?;
                out.push_str(&line[i..next]);
                i = next;
            }
        }
    }
}

fn hex4(line: &str, at: usize) -> Result<u32, NotJson> {
    line.get(at..at + 4)
        .and_then(|h| u32::from_str_radix(h, 16).ok())
        .ok_or(NotJson)
}

fn unicode_escape(line: &str, i: usize) -> Result<(char, usize), NotJson> {
    let high = hex4(line, i + 2)?;
    if (0xD800..0xDC00).contains(&high) && line.get(i + 6..i + 8) == Some("\\u") {
        let low = hex4(line, i + 8)?;
        let code = 0x10000 + ((high - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF);
        return Ok((char::from_u32(code).unwrap_or('\u{FFFD}'), i + 12));
    }
    Ok((char::from_u32(high).unwrap_or('\u{FFFD}'), i + 6))
}

fn skip_nested(bytes: &[u8], mut pos: usize) -> Result<usize, NotJson> {
    let mut depth = 0usize;
    while pos < bytes.len() {
        match bytes[pos] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1).ok_or(NotJson)?;
                if depth == 0 {
                    return Ok(pos + 1);
                }
            }
            b'"' => {
                pos += 1;
                while pos < bytes.len() && bytes[pos] != b'"' {
                    pos += if bytes[pos] == b'\\' { 2 } else { 1 };
                }
            }
            _ => {}
        }
        pos += 1;
    }
    Err(NotJson)
}

/// A serde_json leaf as a value (objects and arrays as their JSON text).
pub fn from_json(value: &serde_json::Value) -> Val<'static> {
    match value {
        serde_json::Value::Null => Val::Null,
        serde_json::Value::Bool(b) => Val::Bool(*b),
        serde_json::Value::Number(n) => n.as_f64().map_or(Val::Null, Val::Num),
        serde_json::Value::String(s) => Val::Str(Cow::Owned(s.clone())),
        other => Val::Str(Cow::Owned(other.to_string())),
    }
}

pub use crate::event::time::parse_clf_time;

/// Finds a `[dd/MMM/yyyy:HH:mm:ss +hhmm]` timestamp in a CLF line.
pub fn clf_time_in_line(line: &str) -> Option<i64> {
    let open = line.find('[')?;
    parse_clf_time(line.get(open + 1..open + 27)?)
}
