//! Tokens of the query language. The parser lexes on demand at a byte offset, telling the lexer whether a `/`
//! starts a regex (where an operand is expected) or is a division.

use super::ast::Period;

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    /// A name: a field, command, keyword or function (`@timestamp`, `a.b`, `` `odd name` ``).
    Ident(String),
    /// A quoted string (`"..."` or `'...'`), escapes resolved.
    Str(String),
    /// A regex literal `/.../`, its body.
    Regex(String),
    /// A number.
    Num(f64),
    /// A number with a time unit (`5m`, `1h`).
    Period(Period),
    /// Punctuation or an operator (`|`, `,`, `(`, `=~`, `<=` ...).
    Punct(&'static str),
    /// The end of the query.
    End,
}

impl Token {
    /// How the token is shown in "expected ..., found ..." errors.
    pub fn describe(&self) -> String {
        match self {
            Token::Ident(name) => format!("`{name}`"),
            Token::Str(s) => format!("string \"{s}\""),
            Token::Regex(r) => format!("regex /{r}/"),
            Token::Num(n) => format!("number {n}"),
            Token::Period(_) => "time period".to_owned(),
            Token::Punct(p) => format!("`{p}`"),
            Token::End => "end of query".to_owned(),
        }
    }

    /// Whether the token is the identifier `word` (case-insensitive, for keywords).
    pub fn is_word(&self, word: &str) -> bool {
        matches!(self, Token::Ident(name) if name.eq_ignore_ascii_case(word))
    }
}

/// A lexing failure: byte offset and message.
#[derive(Debug, Clone, PartialEq)]
pub struct LexError {
    /// Byte offset in the query.
    pub pos: usize,
    /// What is wrong.
    pub message: String,
}

const PUNCTS: [&str; 20] = [
    "=~", "!=", "<=", ">=", "==", "|", ",", "(", ")", "[", "]", "=", "<", ">", "+", "-", "*", "/", "%", "^",
];

/// Skips whitespace and `#` comments from `pos`.
pub fn skip_trivia(src: &str, mut pos: usize) -> usize {
    let bytes = src.as_bytes();
    while pos < bytes.len() {
        match bytes[pos] {
            b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
            b'#' => {
                while pos < bytes.len() && bytes[pos] != b'\n' {
                    pos += 1;
                }
            }
            _ => break,
        }
    }
    pos
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '@' || c == '$'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '@' || c == '$' || c == '.'
}

/// Lexes the token at `pos` (after trivia); returns it with its start and end offsets.
pub fn lex(src: &str, pos: usize, regex_ok: bool) -> Result<(Token, usize, usize), LexError> {
    let start = skip_trivia(src, pos);
    let rest = &src[start..];
    let Some(c) = rest.chars().next() else {
        return Ok((Token::End, start, start));
    };
    let err = |message: String| LexError { pos: start, message };
    if c == '"' || c == '\'' {
        let mut out = String::new();
        let mut chars = rest.char_indices().skip(1);
        while let Some((i, ch)) = chars.next() {
            if ch == c {
                return Ok((Token::Str(out), start, start + i + 1));
            }
            if ch == '\\' {
                match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, 'r')) => out.push('\r'),
                    Some((_, other)) => {
                        if other != c && other != '\\' {
                            out.push('\\');
                        }
                        out.push(other);
                    }
                    None => break,
                }
            } else {
                out.push(ch);
            }
        }
        return Err(err("unterminated string".to_owned()));
    }
    if c == '/' && regex_ok {
        let mut out = String::new();
        let mut chars = rest.char_indices().skip(1);
        while let Some((i, ch)) = chars.next() {
            if ch == '/' {
                return Ok((Token::Regex(out), start, start + i + 1));
            }
            if ch == '\\' {
                match chars.next() {
                    Some((_, '/')) => out.push('/'),
                    Some((_, other)) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => break,
                }
            } else {
                out.push(ch);
            }
        }
        return Err(err("unterminated regex (a `/` without its closing `/`)".to_owned()));
    }
    if c == '`' {
        return match rest[1..].find('`') {
            Some(end) => Ok((Token::Ident(rest[1..1 + end].to_owned()), start, start + end + 2)),
            None => Err(err("unterminated `quoted` field name".to_owned())),
        };
    }
    if c.is_ascii_digit() || (c == '.' && rest[1..].starts_with(|d: char| d.is_ascii_digit())) {
        let len = rest
            .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..len]
            .parse()
            .map_err(|_| err(format!("bad number `{}`", &rest[..len])))?;
        let unit_len = rest[len..]
            .find(|ch: char| !ch.is_ascii_alphabetic())
            .unwrap_or(rest.len() - len);
        if unit_len > 0 {
            let unit = &rest[len..len + unit_len];
            let period = period(number, unit).ok_or_else(|| err(format!("unknown time unit `{unit}`")))?;
            return Ok((Token::Period(period), start, start + len + unit_len));
        }
        return Ok((Token::Num(number), start, start + len));
    }
    if is_ident_start(c) {
        let len = rest.find(|ch: char| !is_ident_char(ch)).unwrap_or(rest.len());
        let name = rest[..len].trim_end_matches('.');
        return Ok((Token::Ident(name.to_owned()), start, start + name.len()));
    }
    for p in PUNCTS {
        if rest.starts_with(p) {
            let p = if p == "==" { "=" } else { p };
            let len = if rest.starts_with("==") { 2 } else { p.len() };
            return Ok((Token::Punct(p), start, start + len));
        }
    }
    Err(err(format!("unexpected character `{c}`")))
}

/// The period for `n` and a unit of the `bin` function's table (page "stats"): `ms msec millisecond`,
/// `s sec second`, `m min minute`, `h hr hour`, `d day`, `w week`, `mo mon month`, `q qtr quarter`, `y yr year`,
/// each multi-letter unit also with a plural `s`.
pub fn period(n: f64, unit: &str) -> Option<Period> {
    let unit = unit.to_ascii_lowercase();
    let singular = if unit.len() > 1 && unit.ends_with('s') && unit != "ms" {
        &unit[..unit.len() - 1]
    } else {
        &unit
    };
    let ms = match singular {
        "ms" | "msec" | "millisecond" => 1.0,
        "s" | "sec" | "second" => 1000.0,
        "m" | "min" | "minute" => 60_000.0,
        "h" | "hr" | "hour" => 3_600_000.0,
        "d" | "day" => 86_400_000.0,
        "w" | "week" => 604_800_000.0,
        "mo" | "mon" | "month" => return months(n, 1),
        "q" | "qtr" | "quarter" => return months(n, 3),
        "y" | "yr" | "year" => return months(n, 12),
        _ => return None,
    };
    let total = n * ms;
    ((1.0..1e15).contains(&total) && total.fract() == 0.0).then_some(Period::Millis(total as i64))
}

fn months(n: f64, per: i64) -> Option<Period> {
    ((1.0..=100_000.0).contains(&n) && n.fract() == 0.0).then(|| Period::Months(n as i64 * per))
}

/// Line and column (1-based, in characters) of a byte offset, for error messages.
pub fn line_col(src: &str, pos: usize) -> (usize, usize) {
    let before = &src[..pos.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
