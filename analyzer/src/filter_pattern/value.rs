//! The right-hand side of a JSON or space-delimited condition (`= 5*`, `> 100`, `!= %^10\.%`) and the
//! `%regex%` subset AWS allows, compiled once.

use memchr::memmem;
use regex_automata::meta::Regex;

use super::cursor::Cursor;
use super::FilterPatternError;

pub(super) use crate::compare_op::CompareOp as Op;

/// Reads an operator at the cursor (`==` is read as `=`, as the AWS CDK normalises it).
pub(super) fn parse_op(cursor: &mut Cursor<'_>) -> Option<Op> {
    for (token, op) in [
        ("!=", Op::Ne),
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("==", Op::Eq),
        ("=", Op::Eq),
        ("<", Op::Lt),
        (">", Op::Gt),
    ] {
        if cursor.eat(token) {
            return Some(op);
        }
    }
    None
}

/// A string with `*` wildcards at its start and/or end.
#[derive(Debug, Clone)]
pub(super) struct Glob {
    literal: String,
    any_before: bool,
    any_after: bool,
    finder: memmem::Finder<'static>,
}

impl Glob {
    fn new(text: &str) -> Glob {
        let any_before = text.starts_with('*');
        let body = text.strip_prefix('*').unwrap_or(text);
        let any_after = body.ends_with('*');
        let body = body.strip_suffix('*').unwrap_or(body);
        Glob {
            literal: body.to_owned(),
            any_before,
            any_after,
            finder: memmem::Finder::new(body.as_bytes()).into_owned(),
        }
    }

    fn matches(&self, text: &str) -> bool {
        match (self.any_before, self.any_after) {
            (false, false) => text == self.literal,
            (true, false) => text.ends_with(&self.literal),
            (false, true) => text.starts_with(&self.literal),
            (true, true) => self.finder.find(text.as_bytes()).is_some(),
        }
    }
}

/// What a value is compared with.
#[derive(Debug, Clone)]
pub(super) enum Operand {
    /// A lone `*`: any value.
    Any,
    /// A number in AWS's grammar (sign, decimals, exponent).
    Number(f64),
    /// A string, with its wildcards.
    Text(Box<Glob>),
    /// A `%regex%`, matched anywhere in the value.
    Regex(Regex),
}

/// `op operand`, ready to test values.
#[derive(Debug, Clone)]
pub(super) struct Comparison {
    op: Op,
    operand: Operand,
}

impl Comparison {
    /// The text a value must start with for `= "literal"` or `= literal*`: what a prefilter can look for in a
    /// line before parsing it. `None` for every other comparison.
    pub(super) fn required_prefix(&self) -> Option<&str> {
        match (&self.op, &self.operand) {
            (Op::Eq, Operand::Text(glob)) if !glob.any_before && !glob.literal.is_empty() => Some(&glob.literal),
            _ => None,
        }
    }

    /// Reads the value after `op` (the cursor is past the operator); counts regexes into `regexes`.
    pub(super) fn parse(
        op: Op,
        cursor: &mut Cursor<'_>,
        stop: impl Fn(char) -> bool,
        regexes: &mut usize,
    ) -> Result<Comparison, FilterPatternError> {
        cursor.skip_ws();
        let start = cursor.pos();
        let operand = match cursor.peek() {
            Some('"') => Operand::Text(Box::new(Glob::new(&cursor.quoted()?))),
            Some('%') => {
                let (body, at) = cursor.regex()?;
                *regexes += 1;
                Operand::Regex(compile_regex(body, cursor.column(at))?)
            }
            _ => {
                let token = cursor.take_while(|c| !c.is_whitespace() && !stop(c));
                if token.is_empty() {
                    return Err(cursor.expected_at(start, "a value (a number, a string, \"...\", * or %regex%)"));
                }
                if token == "*" {
                    Operand::Any
                } else if let Some(number) = parse_number(token) {
                    Operand::Number(number)
                } else {
                    Operand::Text(Box::new(Glob::new(token)))
                }
            }
        };
        if op.is_ordering() && !matches!(operand, Operand::Number(_)) {
            return Err(cursor.expected_at(
                start,
                "a number after <, <=, > or >= (strings compare with = and != only)",
            ));
        }
        if op == Op::Ne && matches!(operand, Operand::Any) {
            return Err(cursor.expected_at(start, "a value other than * after != (use NOT EXISTS)"));
        }
        Ok(Comparison { op, operand })
    }

    /// Tests a string value (a space-delimited field, a JSON string, or the text of a JSON scalar).
    pub(super) fn test_text(&self, text: &str) -> bool {
        match &self.operand {
            Operand::Any => true,
            Operand::Number(wanted) => match parse_number(text.trim()) {
                Some(value) => self.test_number(value, *wanted),
                None => self.op == Op::Ne,
            },
            Operand::Text(glob) => glob.matches(text) == (self.op == Op::Eq),
            Operand::Regex(regex) => regex.is_match(text) == (self.op == Op::Eq),
        }
    }

    /// Tests a JSON number, whose text is `text`.
    pub(super) fn test_json_number(&self, value: f64, text: &str) -> bool {
        match &self.operand {
            Operand::Number(wanted) => self.test_number(value, *wanted),
            _ => self.test_text(text),
        }
    }

    fn test_number(&self, value: f64, wanted: f64) -> bool {
        value
            .partial_cmp(&wanted)
            .is_some_and(|ordering| self.op.holds(ordering))
    }
}

/// A number as AWS documents them: an integer or decimal with an optional sign, optionally followed by
/// `e` and a signed integer. (`str::parse::<f64>` alone would also take `inf` and `NaN`.)
pub(super) fn parse_number(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let mut i = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let digits_start = i;
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut digits = i - digits_start;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        let fraction_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        digits += i - fraction_start;
    }
    if digits == 0 {
        return None;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exponent_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exponent_start {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    text.parse().ok()
}

/// Checks a regex against the characters AWS allows ("Supported regular expressions (regex) syntax") and
/// compiles it. `column` is where its opening `%` is.
pub(super) fn compile_regex(body: &str, column: usize) -> Result<Regex, FilterPatternError> {
    let error = |reason: String| FilterPatternError::Regex {
        column,
        regex: body.to_owned(),
        reason,
    };
    if body.is_empty() {
        return Err(error("the regex is empty".to_owned()));
    }
    for (index, c) in body.chars().enumerate() {
        let allowed = c.is_ascii_alphanumeric()
            || matches!(c, ' ' | '_' | '#' | '=' | '@' | '/' | ';' | ',' | '-' | ':')
            || matches!(
                c,
                '^' | '$' | '?' | '[' | ']' | '{' | '}' | '|' | '\\' | '*' | '+' | '.'
            );
        if !allowed {
            let why = if matches!(c, '(' | ')') {
                "AWS does not support ( and ) (no groups; write \\x28 and \\x29 for the characters)"
            } else if !c.is_ascii() {
                "AWS does not support multi-byte characters"
            } else {
                "AWS allows only letters, digits, space, _ # = @ / ; , - : and the operators ^ $ ? [ ] { } | \\ * + ."
            };
            return Err(error(format!(
                "character {c:?} at offset {index} is not allowed: {why}"
            )));
        }
    }
    Regex::new(body).map_err(|e| error(e.to_string()))
}
