//! A position in the pattern text, shared by the three parsers: peeking, quoted strings, `%regex%` and
//! errors that name the column and what was found there.

use super::FilterPatternError;

/// Reads a pattern left to right; `pos` is a byte offset on a char boundary.
pub(super) struct Cursor<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(src: &'a str) -> Cursor<'a> {
        Cursor { src, pos: 0 }
    }

    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    pub(super) fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    pub(super) fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    pub(super) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    pub(super) fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    /// Consumes `token` if the text continues with it.
    pub(super) fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    /// Consumes a keyword (ASCII, any case) that is not followed by a letter or digit.
    pub(super) fn eat_keyword(&mut self, keyword: &str) -> bool {
        let rest = self.rest();
        let Some(head) = rest.get(..keyword.len()) else {
            return false;
        };
        let boundary = rest[keyword.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric() && c != '_');
        if head.eq_ignore_ascii_case(keyword) && boundary {
            self.pos += keyword.len();
            true
        } else {
            false
        }
    }

    /// Consumes the longest run of chars for which `keep` holds and returns it.
    pub(super) fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
        &self.src[start..self.pos]
    }

    /// The 1-based character column of byte offset `pos`.
    pub(super) fn column(&self, pos: usize) -> usize {
        self.src.get(..pos).map_or(1, |head| head.chars().count() + 1)
    }

    /// A syntax error at the current position.
    pub(super) fn expected(&self, expected: impl Into<String>) -> FilterPatternError {
        self.expected_at(self.pos, expected)
    }

    /// A syntax error at byte offset `pos`, quoting what is there.
    pub(super) fn expected_at(&self, pos: usize, expected: impl Into<String>) -> FilterPatternError {
        let rest = self.src.get(pos..).unwrap_or("");
        let found = if rest.is_empty() {
            "end of pattern".to_owned()
        } else {
            let snippet: String = rest.chars().take(12).collect();
            if rest.chars().count() > 12 {
                format!("{snippet:?}...")
            } else {
                format!("{snippet:?}")
            }
        };
        FilterPatternError::Syntax {
            column: self.column(pos),
            expected: expected.into(),
            found,
        }
    }

    /// Reads a `"..."` string at the cursor (which is on the opening quote); `\"` and `\\` are escapes.
    pub(super) fn quoted(&mut self) -> Result<String, FilterPatternError> {
        let start = self.pos;
        if !self.eat("\"") {
            return Err(self.expected("'\"'"));
        }
        let mut text = String::new();
        loop {
            match self.bump() {
                None => return Err(self.expected_at(start, "a closing '\"' for the string that starts here")),
                Some('"') => return Ok(text),
                Some('\\') if matches!(self.peek(), Some('"' | '\\')) => {
                    text.extend(self.bump());
                }
                Some(c) => text.push(c),
            }
        }
    }

    /// Reads a `%regex%` at the cursor (which is on the opening `%`); returns the regex text and the
    /// byte offset of its opening `%`.
    pub(super) fn regex(&mut self) -> Result<(&'a str, usize), FilterPatternError> {
        let start = self.pos;
        if !self.eat("%") {
            return Err(self.expected("'%'"));
        }
        let body = self.take_while(|c| c != '%');
        if !self.eat("%") {
            return Err(self.expected_at(start, "a closing '%' for the regex that starts here"));
        }
        Ok((body, start))
    }
}
