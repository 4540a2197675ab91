//! The SQL tokenizer: turns arbitrary bytes into a stream of classified tokens, one pass, no allocation.
//!
//! It is deliberately forgiving: it understands the lexical syntax common to MySQL, PostgreSQL, MSSQL, Oracle and
//! SQLite (quoted strings with doubled-quote and backslash escapes, `N'..'`/`X'..'`/`B'..'`/`E'..'` literals, `$$`
//! strings, numbers including hex/binary/exponent forms, backtick and `[bracket]` identifiers, `@var`/`@@var`
//! variables, `--`/`#`/`/* */` comments and MySQL's executable `/*! ... */` comments, whose body is tokenized as
//! SQL), and classifies every other byte as some operator or punctuation so that no input is ever rejected.
//!
//! A lexer can start in a *quote context*: the input is read as if an opening `'` or `"` came just before it, which
//! is where a value lands when an application pastes it inside a quoted SQL literal. The first token is then the
//! string that runs up to the first unescaped matching quote.

use super::keywords;

/// What a token is. The decision rules work on these classes plus the [`Word`] of keywords.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A quoted string literal (`'abc'`, `"abc"`, `N'abc'`, `$$abc$$`).
    Str,
    /// A number (`1`, `-`-less; `1.5e3`, `0x41`, `0b101`, `X'41'`).
    Num,
    /// A bareword identifier (also backtick and bracket identifiers, and function names not followed by `(`).
    Word,
    /// A variable: `@x`, `@@version`, `$1`.
    Var,
    /// A literal keyword: `NULL`, `TRUE`, `FALSE`.
    Lit,
    /// Any other SQL keyword (`FROM`, `WHERE`, `ORDER BY`, `TABLE`, ...).
    Keyword,
    /// A keyword that starts a statement (`SELECT`, `INSERT`, `DROP`, `EXEC`, `WAITFOR`, ...).
    Statement,
    /// A set operator: `UNION`, `UNION ALL`, `INTERSECT`, `EXCEPT`, `MINUS`.
    Union,
    /// A known SQL function name immediately followed (modulo whitespace and comments) by `(`.
    Function,
    /// Boolean logic: `AND`, `OR`, `XOR`, `NOT`, `&&`, `||`.
    Logic,
    /// An arithmetic, bitwise or other operator (`+`, `-`, `*`, `/`, `%`, `^`, `&`, `|`, `~`, `!`, `:=`, `::`, `DIV`).
    Op,
    /// A comparison: `=`, `<`, `>`, `<=`, `>=`, `<>`, `!=`, `<=>`, `LIKE`, `REGEXP`, `IS`, `IN`, `BETWEEN`, ...
    Cmp,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `,`.
    Comma,
    /// `;`.
    Semi,
    /// A comment that is kept in the folded stream: `--` and `#` line comments and unterminated `/*` comments.
    /// Terminated `/* ... */` comments are dropped by the folder (they are whitespace to SQL).
    Comment,
    /// Any other byte (`{`, `}`, `?`, `\`, `.`, ...).
    Punct,
    /// Sentinel used by the rules for "no token here"; never produced by the lexer.
    End,
}

/// The specific keyword a token is, for the rules that need more than its [`Kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Word {
    /// Nothing the rules single out.
    None,
    /// `NOT`.
    Not,
    /// `SELECT`.
    Select,
    /// `INSERT`, `REPLACE`.
    Insert,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
    /// `DROP`.
    Drop,
    /// `TRUNCATE`.
    Truncate,
    /// `CREATE`.
    Create,
    /// `ALTER`, `RENAME`.
    Alter,
    /// `EXEC`, `EXECUTE`.
    Exec,
    /// `DECLARE`.
    Declare,
    /// `SHUTDOWN`.
    Shutdown,
    /// `WAITFOR`.
    Waitfor,
    /// `GRANT`, `REVOKE`.
    Grant,
    /// `SET`.
    Set,
    /// Another statement keyword.
    Other,
    /// A set operator.
    Union,
    /// `LIKE` and the regex/glob comparisons.
    Like,
    /// `IS`.
    Is,
    /// `IN`.
    In,
    /// `BETWEEN`.
    Between,
    /// `SOUNDS` (of `SOUNDS LIKE`).
    Sounds,
    /// `FROM`.
    From,
    /// `WHERE`.
    Where,
    /// `HAVING`.
    Having,
    /// `INTO`.
    Into,
    /// `OUTFILE`, `DUMPFILE`.
    Outfile,
    /// A schema object noun after DDL: `TABLE`, `DATABASE`, `VIEW`, `USER`, ...
    Object,
    /// `ORDER`.
    Order,
    /// `GROUP`.
    Group,
    /// `BY`.
    By,
    /// `ALL`, `DISTINCT`, `TOP`.
    All,
    /// `CASE`.
    Case,
    /// `DELAY`.
    Delay,
    /// `TIME`.
    Time,
    /// `IMMEDIATE` (Oracle `EXECUTE IMMEDIATE`).
    Immediate,
    /// `WITH`.
    With,
    /// `VALUES`.
    Values,
    /// `CHAR(`.
    CharFn,
    /// A function whose purpose in an injection is to delay the response (`SLEEP`, `BENCHMARK`, `PG_SLEEP`, ...).
    TimeFn,
    /// A function that is almost only ever seen in attacks (error-based extraction, file access, out-of-band).
    DangerFn,
    /// A stored procedure name that is almost only ever seen in attacks (`xp_cmdshell`, `sp_executesql`, ...).
    DangerName,
    /// A system catalog table (`information_schema.tables`, `sysobjects`, `sqlite_master`, ...).
    SchemaTable,
    /// The folded `ORDER BY`.
    OrderBy,
    /// The folded `GROUP BY`.
    GroupBy,
}

/// The string was terminated by its closing quote / the block comment by `*/`.
pub(crate) const CLOSED: u8 = 1;
/// The string's opening quote was supplied by the parse context, not the input.
pub(crate) const CTX_OPEN: u8 = 2;
/// The string's content contains whitespace.
pub(crate) const SPACE_IN: u8 = 4;
/// A `--` or `#` line comment / a `/*` block comment.
pub(crate) const LINE_COMMENT: u8 = 8;
/// A comment whose body is empty or only whitespace and `-`, `+`, `#`, `;` (as in `admin'-- -`).
pub(crate) const EMPTY_BODY: u8 = 16;
/// An operator that can be unary (`-`, `+`, `~`, `!`).
pub(crate) const UNARY: u8 = 32;
/// The operator is `*`.
pub(crate) const STAR: u8 = 64;
/// A comparison written with symbols (`=`, `<`, `>`, ...) rather than a keyword.
pub(crate) const SYMBOLIC: u8 = 128;

/// One token: its class, the specific keyword, flag bits (the constants above) and its byte span in the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    /// Token class.
    pub kind: Kind,
    /// Specific keyword, [`Word::None`] for everything else.
    pub word: Word,
    /// Flag bits.
    pub flags: u8,
    /// First byte of the token in the input.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Token {
    pub(crate) const fn new(kind: Kind, start: usize, end: usize) -> Self {
        Token {
            kind,
            word: Word::None,
            flags: 0,
            start,
            end,
        }
    }

    /// Placeholder for fixed-size arrays.
    pub(crate) const EMPTY: Token = Token::new(Kind::End, 0, 0);

    /// The flag bit is set.
    pub(crate) fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// Which opening quote, if any, the input is read as following.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SqlContext {
    /// The input is read as-is, as if pasted into a numeric position (`WHERE id = <input>`).
    AsIs,
    /// The input is read as if it followed an opening `'` (`WHERE name = '<input>'`).
    SingleQuote,
    /// The input is read as if it followed an opening `"` (`WHERE name = "<input>"`, MySQL).
    DoubleQuote,
}

/// The tokenizer. Call [`Lexer::next_token`] until it returns `None`.
pub(crate) struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    pending_quote: Option<u8>,
    exec_depth: u32,
    /// No `]` follows the current position (learned from an unterminated `[`), so later `[` are punctuation
    /// without another search: keeps inputs like `[[[[...` linear.
    no_bracket_close: bool,
    /// The input contained a MySQL executable comment `/*!`.
    pub saw_exec_comment: bool,
    /// How far a look-ahead that did not move `pos` has read (a function name's search for `(`, a failed search
    /// for `]`): with `pos`, bounds the bytes this lexer has examined (the prefilter's work budget).
    reach: usize,
}

pub(crate) fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

pub(crate) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.' || b >= 0x80
}

pub(crate) fn is_space(b: u8) -> bool {
    b <= b' ' || b == 0x7f
}

impl<'a> Lexer<'a> {
    /// A lexer over `s`, starting in `ctx`.
    pub(crate) fn new(s: &'a [u8], ctx: SqlContext) -> Self {
        let pending_quote = match ctx {
            SqlContext::AsIs => None,
            SqlContext::SingleQuote => Some(b'\''),
            SqlContext::DoubleQuote => Some(b'"'),
        };
        Lexer {
            s,
            pos: 0,
            pending_quote,
            exec_depth: 0,
            no_bracket_close: false,
            saw_exec_comment: false,
            reach: 0,
        }
    }

    /// A lexer over `s` that starts at byte `pos` outside any string, comment or MySQL executable comment: the
    /// state of any pass that has just ended a token at `pos`, when `s` contains no `/*!` (a pass inside a
    /// `/*! ... */` body reads `*/` differently). Used by the prefilter to re-read the tokens after a trigger.
    pub(crate) fn resume(s: &'a [u8], pos: usize) -> Self {
        Lexer {
            s,
            pos,
            pending_quote: None,
            exec_depth: 0,
            no_bracket_close: false,
            saw_exec_comment: false,
            reach: 0,
        }
    }

    fn at(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(0)
    }

    /// One past the last byte this lexer has examined, at most (see `reach`).
    pub(crate) fn examined(&self) -> usize {
        self.pos.max(self.reach).saturating_add(3)
    }

    /// The next token, or `None` at the end of the input.
    pub(crate) fn next_token(&mut self) -> Option<Token> {
        if let Some(q) = self.pending_quote.take() {
            let mut t = self.string(0, 0, q);
            t.flags |= CTX_OPEN;
            return Some(t);
        }
        loop {
            let start = self.pos;
            let b = *self.s.get(start)?;
            let next = self.at(start + 1);
            let tok = match b {
                _ if is_space(b) => {
                    self.pos += 1;
                    continue;
                }
                b'\'' | b'"' => self.string(start, start + 1, b),
                b'`' => self.delimited_ident(start, b'`'),
                b'[' if self.no_bracket_close => self.single(Kind::Punct, start),
                b'[' => self.delimited_ident(start, b']'),
                b'0'..=b'9' => self.number(start),
                b'.' if next.is_ascii_digit() => self.number(start),
                b'@' => self.variable(start),
                b'$' => self.dollar(start),
                b'-' if next == b'-' => self.line_comment(start, 2),
                b'#' => self.line_comment(start, 1),
                b'/' if next == b'*' => {
                    if self.at(start + 2) == b'!' {
                        // MySQL executable comment: its body is SQL. Skip the marker and an optional version.
                        let mut i = start + 3;
                        while i < start + 8 && self.at(i).is_ascii_digit() {
                            i += 1;
                        }
                        self.pos = i;
                        self.exec_depth = self.exec_depth.saturating_add(1);
                        self.saw_exec_comment = true;
                        continue;
                    }
                    self.block_comment(start)
                }
                b'*' if next == b'/' && self.exec_depth > 0 => {
                    self.pos += 2;
                    self.exec_depth -= 1;
                    continue;
                }
                b'(' => self.single(Kind::LParen, start),
                b')' => self.single(Kind::RParen, start),
                b',' => self.single(Kind::Comma, start),
                b';' => self.single(Kind::Semi, start),
                b'=' | b'<' | b'>' | b'!' | b'&' | b'|' | b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'~' | b':' => {
                    self.operator(start, b, next)
                }
                _ if is_word_start(b) => self.word(start),
                _ => self.single(Kind::Punct, start),
            };
            return Some(tok);
        }
    }

    fn single(&mut self, kind: Kind, start: usize) -> Token {
        self.pos = start + 1;
        Token::new(kind, start, start + 1)
    }

    /// A quoted string whose content starts at `from`, closed by `q`. Doubled quotes and backslashes escape.
    fn string(&mut self, start: usize, from: usize, q: u8) -> Token {
        let mut i = from;
        let mut flags = 0;
        let len = self.s.len();
        while i < len {
            let b = self.s[i];
            if b == b'\\' {
                i += 2;
            } else if b == q {
                if self.at(i + 1) == q && i + 1 < len {
                    i += 2;
                } else {
                    flags |= CLOSED;
                    i += 1;
                    break;
                }
            } else {
                if is_space(b) {
                    flags |= SPACE_IN;
                }
                i += 1;
            }
        }
        let end = i.min(len);
        self.pos = end;
        Token {
            kind: Kind::Str,
            word: Word::None,
            flags,
            start,
            end,
        }
    }

    /// A backtick or bracket identifier: a bareword whatever it contains.
    fn delimited_ident(&mut self, start: usize, close: u8) -> Token {
        let end = match self.s[start + 1..].iter().position(|&b| b == close) {
            Some(p) => start + 1 + p + 1,
            None if close == b']' => {
                self.no_bracket_close = true;
                self.reach = self.s.len();
                return self.single(Kind::Punct, start);
            }
            None => self.s.len(),
        };
        self.pos = end;
        let mut t = Token::new(Kind::Word, start, end);
        let inner = &self.s[start + 1..end.saturating_sub(1).max(start + 1)];
        if let Some(e) = keywords::lookup(inner) {
            if matches!(e.word, Word::DangerName | Word::SchemaTable) {
                t.word = e.word;
            }
        }
        t
    }

    fn number(&mut self, start: usize) -> Token {
        let s = self.s;
        let mut i = start;
        let b1 = self.at(start + 1) | 0x20;
        if s[start] == b'0' && (b1 == b'x' || b1 == b'b') && self.at(start + 2).is_ascii_hexdigit() {
            i += 2;
            while i < s.len() && s[i].is_ascii_hexdigit() {
                i += 1;
            }
        } else {
            while i < s.len() && s[i].is_ascii_digit() {
                i += 1;
            }
            if self.at(i) == b'.' {
                i += 1;
                while i < s.len() && s[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if self.at(i) | 0x20 == b'e' {
                let mut j = i + 1;
                if matches!(self.at(j), b'+' | b'-') {
                    j += 1;
                }
                if self.at(j).is_ascii_digit() {
                    i = j;
                    while i < s.len() && s[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
        }
        self.pos = i;
        Token::new(Kind::Num, start, i)
    }

    fn variable(&mut self, start: usize) -> Token {
        let mut i = start + 1;
        if self.at(i) == b'@' {
            i += 1;
        }
        match self.at(i) {
            q @ (b'\'' | b'"' | b'`') => {
                let t = self.string(start, i + 1, q);
                return Token {
                    kind: Kind::Var,
                    flags: 0,
                    ..t
                };
            }
            _ => {
                while i < self.s.len() && is_word_byte(self.s[i]) {
                    i += 1;
                }
            }
        }
        self.pos = i;
        Token::new(Kind::Var, start, i)
    }

    /// `$$ ... $$` strings (PostgreSQL), `$1` parameters, otherwise a bareword starting with `$`.
    fn dollar(&mut self, start: usize) -> Token {
        let next = self.at(start + 1);
        if next == b'$' {
            let body = start + 2;
            let (end, flags) = match self.s[body..].windows(2).position(|w| w == b"$$") {
                Some(p) => (body + p + 2, CLOSED),
                None => (self.s.len(), 0),
            };
            self.pos = end;
            return Token {
                kind: Kind::Str,
                word: Word::None,
                flags,
                start,
                end,
            };
        }
        let mut i = start + 1;
        while i < self.s.len() && is_word_byte(self.s[i]) {
            i += 1;
        }
        self.pos = i;
        let kind = if next.is_ascii_digit() { Kind::Var } else { Kind::Word };
        Token::new(kind, start, i)
    }

    fn line_comment(&mut self, start: usize, marker: usize) -> Token {
        let body = start + marker;
        let end = match self.s[body.min(self.s.len())..].iter().position(|&b| b == b'\n') {
            Some(p) => body + p,
            None => self.s.len(),
        };
        self.pos = end;
        let mut flags = LINE_COMMENT;
        if self.s[body.min(end)..end]
            .iter()
            .all(|&b| is_space(b) || matches!(b, b'-' | b'+' | b'#' | b';'))
        {
            flags |= EMPTY_BODY;
        }
        Token {
            kind: Kind::Comment,
            word: Word::None,
            flags,
            start,
            end,
        }
    }

    fn block_comment(&mut self, start: usize) -> Token {
        let body = start + 2;
        let (end, mut flags) = match self.s[body..].windows(2).position(|w| w == b"*/") {
            Some(p) => (body + p + 2, CLOSED),
            None => (self.s.len(), 0),
        };
        let inner = &self.s[body..if flags & CLOSED != 0 { end - 2 } else { end }];
        if inner.iter().all(|&b| is_space(b)) {
            flags |= EMPTY_BODY;
        }
        self.pos = end;
        Token {
            kind: Kind::Comment,
            word: Word::None,
            flags,
            start,
            end,
        }
    }

    fn operator(&mut self, start: usize, b: u8, next: u8) -> Token {
        let two = [b, next];
        let (kind, len, flags) = match &two {
            b"<=" if self.at(start + 2) == b'>' => (Kind::Cmp, 3, SYMBOLIC),
            b"<=" | b">=" | b"<>" | b"!=" | b"==" | b"!<" | b"!>" => (Kind::Cmp, 2, SYMBOLIC),
            b"&&" | b"||" => (Kind::Logic, 2, 0),
            b"<<" | b">>" | b":=" | b"::" => (Kind::Op, 2, 0),
            _ => match b {
                b'=' | b'<' | b'>' => (Kind::Cmp, 1, SYMBOLIC),
                b'-' | b'+' | b'~' | b'!' => (Kind::Op, 1, UNARY),
                b'*' => (Kind::Op, 1, STAR),
                _ => (Kind::Op, 1, 0),
            },
        };
        self.pos = start + len;
        Token {
            kind,
            word: Word::None,
            flags,
            start,
            end: start + len,
        }
    }

    /// Whether the next significant byte after `i` (skipping whitespace and terminated block comments) is `(`.
    fn paren_follows(&mut self, mut i: usize) -> bool {
        let found = loop {
            match self.at(i) {
                b'(' => break true,
                b'/' if self.at(i + 1) == b'*' && self.at(i + 2) != b'!' => {
                    match self.s[i + 2..].windows(2).position(|w| w == b"*/") {
                        Some(p) => i += 2 + p + 2,
                        None => {
                            i = self.s.len();
                            break false;
                        }
                    }
                }
                b if is_space(b) && i < self.s.len() => i += 1,
                _ => break false,
            }
        };
        self.reach = self.reach.max(i);
        found
    }

    fn word(&mut self, start: usize) -> Token {
        let s = self.s;
        let mut i = start + 1;
        while i < s.len() && is_word_byte(s[i]) {
            i += 1;
        }
        // Prefixed literals: X'41' and B'01' are numbers, N'..' and E'..' are strings.
        if i == start + 1 && self.at(i) == b'\'' {
            match s[start] | 0x20 {
                b'x' | b'b' => {
                    let t = self.string(start, i + 1, b'\'');
                    return Token {
                        kind: Kind::Num,
                        flags: 0,
                        ..t
                    };
                }
                b'n' | b'e' => return self.string(start, i + 1, b'\''),
                _ => {}
            }
        }
        self.pos = i;
        let text = &s[start..i];
        let mut t = Token::new(Kind::Word, start, i);
        match keywords::lookup(text) {
            Some(e) => {
                if e.func && self.paren_follows(i) {
                    t.kind = Kind::Function;
                    t.word = e.word;
                } else if e.kind != Kind::Function {
                    t.kind = e.kind;
                    t.word = e.word;
                }
            }
            None => {
                if starts_with_ignore_case(text, b"information_schema") || starts_with_ignore_case(text, b"pg_catalog")
                {
                    t.word = Word::SchemaTable;
                }
            }
        }
        t
    }
}

fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}
