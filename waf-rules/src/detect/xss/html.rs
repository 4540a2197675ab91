//! A small HTML5 tokenizer: the subset of the WHATWG tokenizer states that decide where tags and attributes are.
//!
//! States covered: data, tag open, end tag open, tag name, before/after attribute name, attribute name, before
//! attribute value, attribute value (double-quoted, single-quoted, unquoted), after attribute value, self-closing
//! start tag, markup declaration open (`<!--` comments with `-->`/`--!>`/`<!-->` endings, `<![CDATA[`, `<!DOCTYPE`
//! and other declarations as bogus comments) and `<?` bogus comments. Raw-text elements (`<script>`, `<style>`,
//! `<textarea>`, ...) are not special-cased: a detector only needs to see the start tag.
//!
//! The tokenizer can start inside an attribute value, which is where an injected value lands when a page pastes
//! it into `attr="..."`, `attr='...'` or `attr=...`: the value then ends at the matching quote (or whitespace),
//! and the rest is read as further attributes of the enclosing tag and, after `>`, as page content.
//!
//! It reports each tag, attribute, comment and declaration to a callback that may stop the scan with a finding.
//! One pass, no allocation, no backtracking.

use super::XssRule;

/// Where the scan starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// Page content (the data state).
    Data,
    /// Inside an attribute value quoted with this byte (`"` or `'`), or unquoted for `0`.
    AttrValue(u8),
}

/// Something the tokenizer found. Ranges are byte offsets into the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// A start tag (`end == false`) or end tag name.
    Tag { name: (usize, usize), end: bool },
    /// An attribute. `real` is false for attributes of the unknown enclosing tag of an attribute-value context.
    Attr {
        tag: (usize, usize),
        name: (usize, usize),
        value: Option<(usize, usize)>,
        real: bool,
    },
    /// `<!-- body -->`.
    Comment { body: (usize, usize) },
    /// `<![CDATA[ body ]]>` (or up to the end of the input).
    CData { body: (usize, usize) },
    /// `<!body>`: DOCTYPE and other declarations.
    Decl { body: (usize, usize) },
    /// `<?body>`.
    Pi { body: (usize, usize) },
}

/// A finding: the rule and the byte range that triggered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hit {
    pub rule: XssRule,
    pub span: (usize, usize),
}

enum Stop {
    Found(Hit),
    Eof,
}

impl From<Hit> for Stop {
    fn from(h: Hit) -> Self {
        Stop::Found(h)
    }
}

pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

fn find(s: &[u8], from: usize, b: u8) -> Option<usize> {
    s.get(from..)?.iter().position(|&c| c == b).map(|p| from + p)
}

fn find_seq(s: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    s.get(from..)?
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| from + p)
}

struct Tokenizer<'a, F> {
    s: &'a [u8],
    sink: F,
}

/// Tokenizes `s` from `start`, calling `sink` for each event; returns the first finding the sink reports.
pub(crate) fn tokenize<F: FnMut(&Event) -> Option<Hit>>(s: &[u8], start: Start, sink: F) -> Option<Hit> {
    let mut t = Tokenizer { s, sink };
    match t.run(start) {
        Err(Stop::Found(h)) => Some(h),
        Err(Stop::Eof) | Ok(()) => None,
    }
}

impl<F: FnMut(&Event) -> Option<Hit>> Tokenizer<'_, F> {
    fn at(&self, i: usize) -> Option<u8> {
        self.s.get(i).copied()
    }

    fn emit(&mut self, e: Event) -> Result<(), Stop> {
        match (self.sink)(&e) {
            Some(h) => Err(h.into()),
            None => Ok(()),
        }
    }

    fn run(&mut self, start: Start) -> Result<(), Stop> {
        let mut i = 0;
        if let Start::AttrValue(q) = start {
            let end = if q == 0 {
                self.s.iter().position(|&b| is_ws(b) || b == b'>').ok_or(Stop::Eof)?
            } else {
                find(self.s, 0, q).ok_or(Stop::Eof)? + 1
            };
            i = self.attributes(end, (0, 0), false)?;
        }
        loop {
            let lt = find(self.s, i, b'<').ok_or(Stop::Eof)?;
            i = lt + 1;
            let Some(b) = self.at(i) else { return Ok(()) };
            if b.is_ascii_alphabetic() {
                let name_end = self.name_end(i);
                let name = (i, name_end);
                self.emit(Event::Tag { name, end: false })?;
                i = self.attributes(name_end, name, true)?;
            } else if b == b'/' {
                i = self.end_tag(i + 1)?;
            } else if b == b'!' {
                i = self.markup_declaration(i + 1)?;
            } else if b == b'?' {
                let close = find(self.s, i, b'>');
                let end = close.unwrap_or(self.s.len());
                self.emit(Event::Pi { body: (i + 1, end) })?;
                i = close.ok_or(Stop::Eof)? + 1;
            }
        }
    }

    /// End of a tag name starting at `i`.
    fn name_end(&self, i: usize) -> usize {
        let s = self.s;
        s.get(i..)
            .and_then(|r| r.iter().position(|&b| is_ws(b) || b == b'/' || b == b'>'))
            .map_or(s.len(), |p| i + p)
    }

    /// After `</`.
    fn end_tag(&mut self, i: usize) -> Result<usize, Stop> {
        match self.at(i) {
            Some(b) if b.is_ascii_alphabetic() => {
                let name_end = self.name_end(i);
                self.emit(Event::Tag {
                    name: (i, name_end),
                    end: true,
                })?;
                // Attributes of end tags are parsed and ignored by browsers.
                Ok(find(self.s, name_end, b'>').ok_or(Stop::Eof)? + 1)
            }
            Some(b'>') => Ok(i + 1),
            Some(_) => Ok(find(self.s, i, b'>').ok_or(Stop::Eof)? + 1),
            None => Err(Stop::Eof),
        }
    }

    /// After `<!`.
    fn markup_declaration(&mut self, i: usize) -> Result<usize, Stop> {
        let s = self.s;
        let rest = s.get(i..).unwrap_or_default();
        if rest.starts_with(b"--") {
            let body = i + 2;
            // `<!-->` and `<!--->` close at once.
            if self.at(body) == Some(b'>') {
                return Ok(body + 1);
            }
            if self.at(body) == Some(b'-') && self.at(body + 1) == Some(b'>') {
                return Ok(body + 2);
            }
            let mut j = body;
            let (end, next) = loop {
                match find_seq(s, j, b"--") {
                    None => break (s.len(), None),
                    Some(p) if self.at(p + 2) == Some(b'>') => break (p, Some(p + 3)),
                    Some(p) if self.at(p + 2) == Some(b'!') && self.at(p + 3) == Some(b'>') => break (p, Some(p + 4)),
                    Some(p) => j = p + 1,
                }
            };
            self.emit(Event::Comment { body: (body, end) })?;
            return next.ok_or(Stop::Eof);
        }
        if rest.len() >= 7 && rest[..7].eq_ignore_ascii_case(b"[CDATA[") {
            let body = i + 7;
            let close = find_seq(s, body, b"]]>");
            self.emit(Event::CData {
                body: (body, close.unwrap_or(s.len())),
            })?;
            // In HTML content (outside SVG/MathML) this is a bogus comment that ends at the first `>`; continue
            // from there so that markup hidden behind it is still seen.
            return Ok(find(s, i, b'>').ok_or(Stop::Eof)? + 1);
        }
        let close = find(s, i, b'>');
        self.emit(Event::Decl {
            body: (i, close.unwrap_or(s.len())),
        })?;
        Ok(close.ok_or(Stop::Eof)? + 1)
    }

    /// The attribute list of a tag, from just after its name (or after an attribute value) to just after `>`.
    fn attributes(&mut self, mut i: usize, tag: (usize, usize), real: bool) -> Result<usize, Stop> {
        let s = self.s;
        loop {
            // Before attribute name: whitespace and `/` (self-closing solidus followed by anything) are skipped.
            while let Some(b) = self.at(i) {
                if is_ws(b) || b == b'/' {
                    i += 1;
                } else {
                    break;
                }
            }
            match self.at(i) {
                None => return Err(Stop::Eof),
                Some(b'>') => return Ok(i + 1),
                Some(_) => {}
            }
            // Attribute name: the first byte may be `=`; then up to whitespace, `/`, `>` or `=`.
            let name_start = i;
            i += 1;
            while let Some(b) = self.at(i) {
                if is_ws(b) || b == b'/' || b == b'>' || b == b'=' {
                    break;
                }
                i += 1;
            }
            let name = (name_start, i);
            let mut j = i;
            while self.at(j).is_some_and(is_ws) {
                j += 1;
            }
            if self.at(j) != Some(b'=') {
                self.emit(Event::Attr {
                    tag,
                    name,
                    value: None,
                    real,
                })?;
                i = j;
                continue;
            }
            j += 1;
            while self.at(j).is_some_and(is_ws) {
                j += 1;
            }
            let (value, next) = match self.at(j) {
                None => ((j, j), None),
                Some(b'>') => ((j, j), Some(j)),
                Some(q @ (b'"' | b'\'')) => match find(s, j + 1, q) {
                    Some(c) => ((j + 1, c), Some(c + 1)),
                    None => ((j + 1, s.len()), None),
                },
                Some(_) => {
                    let end = s[j..]
                        .iter()
                        .position(|&b| is_ws(b) || b == b'>')
                        .map_or(s.len(), |p| j + p);
                    ((j, end), Some(end))
                }
            };
            self.emit(Event::Attr {
                tag,
                name,
                value: Some(value),
                real,
            })?;
            i = next.ok_or(Stop::Eof)?;
        }
    }
}
