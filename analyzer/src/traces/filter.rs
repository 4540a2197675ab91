//! X-Ray filter expressions (AWS X-Ray doc "Use filter expressions"), over [`TraceSummary`]s:
//!
//! - boolean keywords `ok` (2xx), `error` (4xx), `throttle` (429), `fault` (5xx), `partial`: alone (true),
//!   after `!` (false), or `= true|false`, `!= true|false`;
//! - number keywords `responsetime`, `duration` (seconds) and `http.status`: `= != < <= > >=`;
//! - string keywords `http.url`, `http.method`, `http.useragent`, `http.clientip`, `user`: `= !=
//!   CONTAINS BEGINSWITH ENDSWITH` with a `"quoted"` value (case-sensitive);
//! - `annotation.KEY` or `annotation[KEY]`: typed by its value (number, `"string"`, `true`/`false`), or
//!   alone for "the annotation is present (and true, if boolean)";
//! - `AND`, `OR` (AND binds tighter), `NOT` or `!` before any expression, parentheses; expressions side by
//!   side are joined with AND, as in the doc's `ok !partial duration <3`.
//!
//! `service()`, `edge()`, `id()`, `group.*` and `rootcause.*` select by service graph and are rejected with
//! a message saying so.

use serde_json::Value;

use super::model::TraceSummary;
use crate::compare_op::CompareOp;

/// Why a filter expression was rejected. Columns count characters from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("filter expression, column {column}: expected {expected}, found {found}")]
pub struct TraceFilterError {
    /// Where the unexpected text starts.
    pub column: usize,
    /// What the grammar allows there.
    pub expected: String,
    /// What is there instead.
    pub found: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BoolKey {
    Ok,
    Error,
    Throttle,
    Fault,
    Partial,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberKey {
    ResponseTime,
    Duration,
    HttpStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StringKey {
    Url,
    Method,
    UserAgent,
    ClientIp,
    User,
}

/// A number comparison (`NaN` is equal to nothing, as in IEEE 754).
type NumOp = CompareOp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StrOp {
    Eq,
    Ne,
    Contains,
    BeginsWith,
    EndsWith,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Bool(BoolKey, bool),
    Number(NumberKey, NumOp, f64),
    Text(StringKey, StrOp, String),
    AnnotationPresent(String),
    AnnotationNumber(String, NumOp, f64),
    AnnotationText(String, StrOp, String),
    AnnotationBool(String, bool),
}

/// A compiled filter expression.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceFilter {
    expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Number(f64),
    Op(&'static str),
    Open,
    Close,
    Bang,
    Annotation(String),
}

impl TraceFilter {
    /// Parses an expression; errors name the column and what was expected.
    pub fn parse(text: &str) -> Result<TraceFilter, TraceFilterError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            text,
            tokens,
            next: 0,
            depth: 0,
        };
        if parser.tokens.is_empty() {
            return Err(parser.error_at(0, "a filter expression such as `fault` or `responsetime > 1`"));
        }
        let expr = parser.or()?;
        if let Some((at, _)) = parser.tokens.get(parser.next) {
            return Err(parser.error_at(*at, "AND, OR or the end of the expression"));
        }
        Ok(TraceFilter { expr })
    }

    /// Whether `trace` satisfies the expression.
    pub fn matches(&self, trace: &TraceSummary) -> bool {
        self.expr.eval(trace)
    }
}

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, TraceFilterError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    let error = |at: usize, expected: &str| error_at(text, at, expected);
    while let Some(&(at, c)) = chars.peek() {
        let token = match c {
            c if c.is_whitespace() => {
                chars.next();
                continue;
            }
            '(' | ')' => {
                chars.next();
                if c == '(' {
                    Token::Open
                } else {
                    Token::Close
                }
            }
            '"' => {
                chars.next();
                let mut value = String::new();
                loop {
                    match chars.next() {
                        None => return Err(error(at, "a closing '\"' for the string that starts here")),
                        Some((_, '"')) => break,
                        Some((_, '\\')) => value.extend(chars.next().map(|(_, c)| c)),
                        Some((_, c)) => value.push(c),
                    }
                }
                Token::Str(value)
            }
            '!' | '=' | '<' | '>' => {
                chars.next();
                let with_eq = chars.next_if(|&(_, c)| c == '=').is_some();
                match (c, with_eq) {
                    ('!', false) => Token::Bang,
                    ('!', true) => Token::Op("!="),
                    ('=', _) => Token::Op("="),
                    ('<', false) => Token::Op("<"),
                    ('<', true) => Token::Op("<="),
                    ('>', false) => Token::Op(">"),
                    _ => Token::Op(">="),
                }
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => {
                let mut number = String::new();
                while let Some((_, c)) = chars.next_if(|&(_, c)| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
                    number.push(c);
                }
                match number.parse::<f64>() {
                    Ok(value) if value.is_finite() => Token::Number(value),
                    _ => return Err(error(at, "a number")),
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut word = String::new();
                while let Some((_, c)) = chars.next_if(|&(_, c)| c.is_alphanumeric() || "_.:-".contains(c)) {
                    word.push(c);
                }
                if word == "annotation" && chars.next_if(|&(_, c)| c == '[').is_some() {
                    let mut key = String::new();
                    loop {
                        match chars.next() {
                            None => return Err(error(at, "a closing ']' after annotation[KEY")),
                            Some((_, ']')) => break,
                            Some((_, c)) => key.push(c),
                        }
                    }
                    let key = key.trim().trim_matches('"').to_owned();
                    if key.is_empty() {
                        return Err(error(at, "an annotation key inside annotation[...]"));
                    }
                    Token::Annotation(key)
                } else if let Some(key) = word.strip_prefix("annotation.") {
                    if key.is_empty() {
                        return Err(error(at, "an annotation key after `annotation.`"));
                    }
                    Token::Annotation(key.to_owned())
                } else if ["service", "edge", "id"].contains(&word.to_ascii_lowercase().as_str())
                    && chars.peek().is_some_and(|&(_, c)| c == '(')
                {
                    return Err(error(at, &graph_message(&word)));
                } else {
                    Token::Word(word)
                }
            }
            _ => {
                return Err(error(
                    at,
                    "a keyword, an operator, a number, a \"string\" or a parenthesis",
                ))
            }
        };
        tokens.push((at, token));
    }
    Ok(tokens)
}

fn error_at(text: &str, at: usize, expected: &str) -> TraceFilterError {
    let rest = text.get(at..).unwrap_or("");
    let found = if rest.is_empty() {
        "end of expression".to_owned()
    } else {
        format!("{:?}", rest.chars().take(16).collect::<String>())
    };
    let column = text.get(..at).map_or(1, |head| head.chars().count() + 1);
    TraceFilterError {
        column,
        expected: expected.to_owned(),
        found,
    }
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<(usize, Token)>,
    next: usize,
    depth: usize,
}

/// How deep parentheses and negations may nest (a bound on the parser's recursion).
const MAX_NESTING: usize = 64;

const KEYWORDS: &str = "ok, error, throttle, fault, partial, responsetime, duration, http.status, http.url, \
                        http.method, http.useragent, http.clientip, user, annotation.KEY";

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|(_, token)| token)
    }

    fn position(&self) -> usize {
        self.tokens.get(self.next).map_or(self.text.len(), |(at, _)| *at)
    }

    fn error_at(&self, at: usize, expected: &str) -> TraceFilterError {
        error_at(self.text, at, expected)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<Expr, TraceFilterError> {
        let mut items = vec![self.and()?];
        while self.is_word("OR") {
            self.next += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, TraceFilterError> {
        let mut items = vec![self.unary()?];
        loop {
            if self.is_word("AND") {
                self.next += 1;
            } else if self.peek().is_none() || self.is_word("OR") || self.peek() == Some(&Token::Close) {
                break;
            }
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn unary(&mut self) -> Result<Expr, TraceFilterError> {
        let nests = self.peek() == Some(&Token::Bang) || self.is_word("NOT") || self.peek() == Some(&Token::Open);
        if !nests {
            return self.condition();
        }
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.error_at(
                self.position(),
                &format!("at most {MAX_NESTING} nested NOTs and parentheses"),
            ));
        }
        let expr = if self.peek() == Some(&Token::Open) {
            self.next += 1;
            let inner = self.or()?;
            if self.peek() != Some(&Token::Close) {
                return Err(self.error_at(self.position(), "AND, OR or ')'"));
            }
            self.next += 1;
            inner
        } else {
            self.next += 1;
            Expr::Not(Box::new(self.unary()?))
        };
        self.depth -= 1;
        Ok(expr)
    }

    fn condition(&mut self) -> Result<Expr, TraceFilterError> {
        let at = self.position();
        let Some((_, token)) = self.tokens.get(self.next).cloned() else {
            return Err(self.error_at(at, &format!("a keyword ({KEYWORDS})")));
        };
        self.next += 1;
        match token {
            Token::Annotation(key) => self.annotation(key),
            Token::Word(word) => {
                let lower = word.to_ascii_lowercase();
                if let Some(key) = bool_key(&lower) {
                    return self.boolean(key);
                }
                if let Some(key) = number_key(&lower) {
                    let op = self.number_op(&word)?;
                    return Ok(Expr::Number(key, op, self.number_value()?));
                }
                if let Some(key) = string_key(&lower) {
                    let op = self.string_op(&word)?;
                    return Ok(Expr::Text(key, op, self.string_value()?));
                }
                let graph = ["service", "edge", "id", "group", "rootcause", "json"];
                if graph.iter().any(|g| lower == *g || lower.starts_with(&format!("{g}."))) {
                    return Err(self.error_at(at, &graph_message(&word)));
                }
                Err(self.error_at(at, &format!("a keyword ({KEYWORDS})")))
            }
            _ => Err(self.error_at(at, &format!("a keyword ({KEYWORDS}), NOT, ! or '('"))),
        }
    }

    fn boolean(&mut self, key: BoolKey) -> Result<Expr, TraceFilterError> {
        let negate = match self.peek() {
            Some(Token::Op("=")) => false,
            Some(Token::Op("!=")) => true,
            _ => return Ok(Expr::Bool(key, true)),
        };
        self.next += 1;
        let at = self.position();
        let value = match self.tokens.get(self.next) {
            Some((_, Token::Word(w))) if w.eq_ignore_ascii_case("true") => true,
            Some((_, Token::Word(w))) if w.eq_ignore_ascii_case("false") => false,
            _ => return Err(self.error_at(at, "true or false")),
        };
        self.next += 1;
        Ok(Expr::Bool(key, value != negate))
    }

    fn number_op(&mut self, keyword: &str) -> Result<NumOp, TraceFilterError> {
        let at = self.position();
        let op = match self.peek() {
            Some(Token::Op("=")) => NumOp::Eq,
            Some(Token::Op("!=")) => NumOp::Ne,
            Some(Token::Op("<")) => NumOp::Lt,
            Some(Token::Op("<=")) => NumOp::Le,
            Some(Token::Op(">")) => NumOp::Gt,
            Some(Token::Op(">=")) => NumOp::Ge,
            _ => return Err(self.error_at(at, &format!("a number operator (= != < <= > >=) after {keyword}"))),
        };
        self.next += 1;
        Ok(op)
    }

    fn string_op(&mut self, keyword: &str) -> Result<StrOp, TraceFilterError> {
        let at = self.position();
        let op = match self.peek() {
            Some(Token::Op("=")) => StrOp::Eq,
            Some(Token::Op("!=")) => StrOp::Ne,
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("CONTAINS") => StrOp::Contains,
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("BEGINSWITH") => StrOp::BeginsWith,
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("ENDSWITH") => StrOp::EndsWith,
            _ => {
                return Err(self.error_at(
                    at,
                    &format!("a string operator (= != CONTAINS BEGINSWITH ENDSWITH) after {keyword}"),
                ))
            }
        };
        self.next += 1;
        Ok(op)
    }

    fn number_value(&mut self) -> Result<f64, TraceFilterError> {
        let at = self.position();
        match self.tokens.get(self.next) {
            Some((_, Token::Number(n))) => {
                let n = *n;
                self.next += 1;
                Ok(n)
            }
            _ => Err(self.error_at(at, "a number")),
        }
    }

    fn string_value(&mut self) -> Result<String, TraceFilterError> {
        let at = self.position();
        match self.tokens.get(self.next) {
            Some((_, Token::Str(s))) => {
                let s = s.clone();
                self.next += 1;
                Ok(s)
            }
            _ => Err(self.error_at(at, "a \"quoted string\"")),
        }
    }

    fn annotation(&mut self, key: String) -> Result<Expr, TraceFilterError> {
        let op_at = self.position();
        let op = match self.peek() {
            Some(Token::Op(op)) => *op,
            Some(Token::Word(w))
                if ["CONTAINS", "BEGINSWITH", "ENDSWITH"]
                    .iter()
                    .any(|o| w.eq_ignore_ascii_case(o)) =>
            {
                let op = self.string_op(&format!("annotation.{key}"))?;
                return Ok(Expr::AnnotationText(key, op, self.string_value()?));
            }
            _ => return Ok(Expr::AnnotationPresent(key)),
        };
        match self.tokens.get(self.next + 1).map(|(_, t)| t.clone()) {
            Some(Token::Number(_)) => {
                let op = self.number_op(&format!("annotation.{key}"))?;
                Ok(Expr::AnnotationNumber(key, op, self.number_value()?))
            }
            Some(Token::Str(_)) => {
                let op = self.string_op(&format!("annotation.{key}"))?;
                Ok(Expr::AnnotationText(key, op, self.string_value()?))
            }
            Some(Token::Word(w)) if (op == "=" || op == "!=") && bool_word(&w).is_some() => {
                self.next += 2;
                Ok(Expr::AnnotationBool(key, bool_word(&w) == Some(op == "=")))
            }
            _ => Err(self.error_at(op_at, "a number, a \"string\", true or false after the operator")),
        }
    }
}

fn graph_message(word: &str) -> String {
    format!("a trace-level keyword ({KEYWORDS}); {word} selects by service graph, which moatctl does not build")
}

fn bool_word(word: &str) -> Option<bool> {
    if word.eq_ignore_ascii_case("true") {
        Some(true)
    } else if word.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn bool_key(word: &str) -> Option<BoolKey> {
    Some(match word {
        "ok" => BoolKey::Ok,
        "error" => BoolKey::Error,
        "throttle" => BoolKey::Throttle,
        "fault" => BoolKey::Fault,
        "partial" => BoolKey::Partial,
        _ => return None,
    })
}

fn number_key(word: &str) -> Option<NumberKey> {
    Some(match word {
        "responsetime" => NumberKey::ResponseTime,
        "duration" => NumberKey::Duration,
        "http.status" => NumberKey::HttpStatus,
        _ => return None,
    })
}

fn string_key(word: &str) -> Option<StringKey> {
    Some(match word {
        "http.url" => StringKey::Url,
        "http.method" => StringKey::Method,
        "http.useragent" => StringKey::UserAgent,
        "http.clientip" => StringKey::ClientIp,
        "user" => StringKey::User,
        _ => return None,
    })
}

/// Whether `left op right` holds; with a `NaN` on either side only `!=` does.
fn number_holds(op: NumOp, left: f64, right: f64) -> bool {
    left.partial_cmp(&right)
        .map_or(op == NumOp::Ne, |ordering| op.holds(ordering))
}

impl StrOp {
    fn holds(self, left: &str, right: &str) -> bool {
        match self {
            StrOp::Eq => left == right,
            StrOp::Ne => left != right,
            StrOp::Contains => left.contains(right),
            StrOp::BeginsWith => left.starts_with(right),
            StrOp::EndsWith => left.ends_with(right),
        }
    }
}

impl Expr {
    fn eval(&self, trace: &TraceSummary) -> bool {
        match self {
            Expr::Or(items) => items.iter().any(|item| item.eval(trace)),
            Expr::And(items) => items.iter().all(|item| item.eval(trace)),
            Expr::Not(inner) => !inner.eval(trace),
            Expr::Bool(key, wanted) => {
                let value = match key {
                    BoolKey::Ok => trace.ok(),
                    BoolKey::Error => trace.flags.error,
                    BoolKey::Throttle => trace.flags.throttle,
                    BoolKey::Fault => trace.flags.fault,
                    BoolKey::Partial => trace.partial,
                };
                value == *wanted
            }
            Expr::Number(key, op, right) => {
                let left = match key {
                    NumberKey::ResponseTime => Some(trace.response_time),
                    NumberKey::Duration => Some(trace.duration),
                    NumberKey::HttpStatus => trace.status.map(f64::from),
                };
                left.is_some_and(|left| number_holds(*op, left, *right))
            }
            Expr::Text(key, op, right) => {
                let left = match key {
                    StringKey::Url => &trace.url,
                    StringKey::Method => &trace.method,
                    StringKey::UserAgent => &trace.user_agent,
                    StringKey::ClientIp => &trace.client_ip,
                    StringKey::User => &trace.user,
                };
                left.as_deref().is_some_and(|left| op.holds(left, right))
            }
            Expr::AnnotationPresent(key) => match trace.annotations.get(key) {
                Some(Value::Bool(b)) => *b,
                Some(_) => true,
                None => false,
            },
            Expr::AnnotationNumber(key, op, right) => trace
                .annotations
                .get(key)
                .and_then(Value::as_f64)
                .is_some_and(|left| number_holds(*op, left, *right)),
            Expr::AnnotationText(key, op, right) => trace
                .annotations
                .get(key)
                .and_then(Value::as_str)
                .is_some_and(|left| op.holds(left, right)),
            Expr::AnnotationBool(key, wanted) => trace
                .annotations
                .get(key)
                .and_then(Value::as_bool)
                .is_some_and(|b| b == *wanted),
        }
    }
}
