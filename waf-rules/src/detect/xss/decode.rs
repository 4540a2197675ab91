//! Streaming normalisation of attribute values, the way a browser sees them: HTML character references, then
//! URL scheme rules (leading C0/space trimmed, tab/CR/LF removed, case-insensitive scheme) or CSS rules (comments
//! removed, `\XX` escapes decoded, whitespace ignored, case-insensitive). Nothing here allocates.

/// Entity-decoded "characters" of an attribute value, one byte each: an ASCII code point as itself, any other
/// code point, NUL and every non-ASCII input byte as [`OTHER`]. Decoding is lenient (the `;` is optional).
pub(crate) struct Entities<'a> {
    s: &'a [u8],
    i: usize,
}

/// Stands for every non-ASCII character.
pub(crate) const OTHER: u8 = 0x80;

/// Named references that decode to ASCII (plus `nbsp`), sorted by name for a binary search.
static NAMED: &[(&str, u8)] = &[
    ("AMP", b'&'),
    ("GT", b'>'),
    ("Hat", b'^'),
    ("LT", b'<'),
    ("NewLine", b'\n'),
    ("QUOT", b'"'),
    ("Tab", b'\t'),
    ("amp", b'&'),
    ("apos", b'\''),
    ("ast", b'*'),
    ("bsol", b'\\'),
    ("colon", b':'),
    ("comma", b','),
    ("commat", b'@'),
    ("dollar", b'$'),
    ("equals", b'='),
    ("excl", b'!'),
    ("grave", b'`'),
    ("gt", b'>'),
    ("lbrack", b'['),
    ("lcub", b'{'),
    ("lowbar", b'_'),
    ("lpar", b'('),
    ("lsqb", b'['),
    ("lt", b'<'),
    ("midast", b'*'),
    ("nbsp", OTHER),
    ("num", b'#'),
    ("percnt", b'%'),
    ("period", b'.'),
    ("plus", b'+'),
    ("quest", b'?'),
    ("quot", b'"'),
    ("rbrack", b']'),
    ("rcub", b'}'),
    ("rpar", b')'),
    ("rsqb", b']'),
    ("semi", b';'),
    ("sol", b'/'),
    ("verbar", b'|'),
    ("vert", b'|'),
];

impl<'a> Entities<'a> {
    pub(crate) fn new(s: &'a [u8]) -> Self {
        Entities { s, i: 0 }
    }

    fn at(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(0)
    }

    /// Whether the `&` at `i` starts a character reference that [`Entities`] decodes. Exact when the value
    /// being decoded runs to the end of `s`; for a value that ends earlier the reference can only be shorter,
    /// so a `false` here holds for it too.
    pub(crate) fn reference_at(s: &'a [u8], i: usize) -> bool {
        let mut e = Entities { s, i };
        if e.at(i + 1) == b'#' {
            e.numeric().is_some()
        } else {
            e.named().is_some()
        }
    }

    /// `&#...;` at `self.i`: returns the decoded byte and advances, or `None` (nothing consumed).
    fn numeric(&mut self) -> Option<u8> {
        let hex = self.at(self.i + 2) | 0x20 == b'x';
        let mut j = self.i + if hex { 3 } else { 2 };
        let digits_start = j;
        let mut value: u32 = 0;
        while let Some(d) = self
            .s
            .get(j)
            .and_then(|&b| (b as char).to_digit(if hex { 16 } else { 10 }))
        {
            value = value
                .saturating_mul(if hex { 16 } else { 10 })
                .saturating_add(d)
                .min(0x11_0000);
            j += 1;
        }
        if j == digits_start {
            return None;
        }
        if self.at(j) == b';' {
            j += 1;
        }
        self.i = j;
        Some(match value {
            1..=0x7f => value as u8,
            _ => OTHER,
        })
    }

    fn named(&mut self) -> Option<u8> {
        let start = self.i + 1;
        let len = self
            .s
            .get(start..)?
            .iter()
            .take(8)
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        // Longest name first: `&colon` must not stop at a shorter prefix.
        for l in (1..=len).rev() {
            let name = self.s.get(start..start + l)?;
            if let Ok(k) = NAMED.binary_search_by(|(n, _)| n.as_bytes().cmp(name)) {
                let mut j = start + l;
                if self.at(j) == b';' {
                    j += 1;
                }
                self.i = j;
                return NAMED.get(k).map(|&(_, b)| b);
            }
        }
        None
    }
}

impl Iterator for Entities<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        let b = *self.s.get(self.i)?;
        if b == b'&' {
            let decoded = if self.at(self.i + 1) == b'#' {
                self.numeric()
            } else {
                self.named()
            };
            if let Some(d) = decoded {
                return Some(d);
            }
        }
        self.i += 1;
        Some(if b == 0 || b >= 0x80 { OTHER } else { b })
    }
}

/// A URL scheme that runs script or renders active content, found at the start of a URL attribute value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Scheme {
    /// A `data:` URL with an active MIME type (not `javascript:`-like).
    pub data: bool,
    /// The character right after the scheme's `:`, lower-cased (`None` at the end of the value).
    pub next: Option<u8>,
}

pub(crate) const SCRIPT_SCHEMES: &[&[u8]] = &[b"javascript:", b"vbscript:", b"livescript:", b"mocha:"];
const ACTIVE_DATA: &[&[u8]] = &[
    b"text/html",
    b"text/xml",
    b"text/javascript",
    b"text/ecmascript",
    b"text/vbscript",
    b"application/xhtml",
    b"application/xml",
    b"application/javascript",
    b"application/x-javascript",
    b"application/ecmascript",
    b"image/svg",
];

/// Bytes of the normalised URL prefix kept for the scheme check.
const URL_PREFIX: usize = 40;

/// Whether the URL attribute value starts with a script scheme or an active `data:` URL, as a browser would read
/// it: entities decoded, leading C0 controls, spaces and backticks trimmed, tab/CR/LF removed, case-insensitive.
pub(crate) fn dangerous_scheme(value: &[u8]) -> Option<Scheme> {
    let mut buf = [0u8; URL_PREFIX];
    let mut n = 0;
    for b in Entities::new(value) {
        // Leading backticks: legacy IE read them as attribute quotes.
        if matches!(b, b'\t' | b'\n' | b'\r') || (n == 0 && (b <= b' ' || b == b'`')) {
            continue;
        }
        buf[n] = b.to_ascii_lowercase();
        n += 1;
        if n == URL_PREFIX {
            break;
        }
    }
    let url = &buf[..n];
    for s in SCRIPT_SCHEMES {
        if url.starts_with(s) {
            return Some(Scheme {
                data: false,
                next: url.get(s.len()).copied(),
            });
        }
    }
    let rest = url.strip_prefix(b"data:")?;
    let skip = rest.iter().take_while(|&&b| b == b' ').count();
    let mime = rest.get(skip..)?;
    ACTIVE_DATA
        .iter()
        .any(|m| mime.starts_with(m))
        .then_some(Scheme { data: true, next: None })
}

/// CSS constructs that run script or load behaviour, matched on the normalised style text.
const CSS_PATTERNS: &[&[u8]] = &[
    b"expression(",
    b"javascript:",
    b"vbscript:",
    b"-moz-binding",
    b"behavior:",
    b"behaviour:",
    b"@import",
];

/// Whether a `style` value (or `<style>`-like CSS text) contains a scripting construct once normalised: entities
/// decoded, CSS comments removed, CSS escapes decoded, whitespace removed, lower-cased.
pub(crate) fn dangerous_css(value: &[u8]) -> bool {
    const W: usize = 16;
    let mut win = [0u8; W];
    let mut chars = Entities::new(value).peekable();
    let mut push = |b: u8| {
        win.copy_within(1.., 0);
        win[W - 1] = b.to_ascii_lowercase();
        CSS_PATTERNS.iter().any(|p| win.ends_with(p))
    };
    while let Some(b) = chars.next() {
        let out = match b {
            b'/' if chars.peek() == Some(&b'*') => {
                chars.next();
                let mut prev = 0;
                for c in chars.by_ref() {
                    if prev == b'*' && c == b'/' {
                        break;
                    }
                    prev = c;
                }
                continue;
            }
            b'\\' => {
                let mut value: u32 = 0;
                let mut digits = 0;
                while digits < 6 {
                    match chars.peek().and_then(|&c| (c as char).to_digit(16)) {
                        Some(d) => {
                            value = value * 16 + d;
                            digits += 1;
                            chars.next();
                        }
                        None => break,
                    }
                }
                if digits == 0 {
                    match chars.next() {
                        Some(b'\n') | None => continue,
                        Some(c) => c,
                    }
                } else {
                    if chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                        chars.next();
                    }
                    if (1..0x80).contains(&value) {
                        value as u8
                    } else {
                        OTHER
                    }
                }
            }
            _ if b <= b' ' => continue,
            _ => b,
        };
        if push(out) {
            return true;
        }
    }
    false
}

/// Whether the entity-decoded value contains markup: `<` followed by a letter, `/`, `!` or `?`.
pub(crate) fn contains_markup(value: &[u8]) -> bool {
    let mut prev_lt = false;
    for b in Entities::new(value) {
        if prev_lt && (b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?')) {
            return true;
        }
        prev_lt = b == b'<';
    }
    false
}

/// Whether `marker` (case-insensitive, e.g. `url=` in a `meta refresh` content) occurs in the value and the text
/// after it starts with a dangerous scheme.
pub(crate) fn contains_script_url_after(value: &[u8], marker: &[u8]) -> bool {
    value
        .windows(marker.len())
        .position(|w| w.eq_ignore_ascii_case(marker))
        .and_then(|p| value.get(p + marker.len()..))
        .is_some_and(|rest| dangerous_scheme(rest).is_some())
}
