//! JSON patterns: `{ $.a.b[0] = "x" && ($.n > 5 || $.flag IS TRUE) }`. Precedence is AWS's: parentheses,
//! then `&&`, then `||`. A selector must reach a value (string, number, boolean, null): one that reaches an
//! object or an array, or nothing, makes its condition false (both `=` and `!=`, as AWS's "JSON special
//! considerations" say), except `NOT EXISTS`. `[*]` and `.*` try every element or member: the condition
//! holds when it holds for any of them.
//!
//! Only the members the selectors name are kept when a message is parsed (see [`Needed`]).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::conditions::Conditions;
use super::cursor::Cursor;
use super::value::{parse_op, Comparison};
use super::{check_regex_count, FilterPatternError};
use crate::query::scan::FieldScanner;
use crate::query::value::Val;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
    AnyIndex,
    AnyKey,
}

#[derive(Debug, Clone)]
enum Test {
    Compare(Comparison),
    IsNull,
    NotExists,
    Is(bool),
}

#[derive(Debug, Clone)]
enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Condition { path: Vec<Step>, test: Test },
}

/// A compiled JSON pattern.
#[derive(Debug, Clone)]
pub(super) struct JsonPattern {
    expr: Expr,
    needed: Needed,
    fast: Option<FastPath>,
    prefilter: Vec<KeyValuePrefix>,
}

/// A necessary condition of a pattern, checked on the raw line before any parsing: a top-level conjunct
/// `$....name = "text"` or `= text*` can only hold on a line where `"name"`, a colon and a value that is not a
/// string, or a string starting with `text`, follow each other. Without a backslash in the line, JSON text has
/// no escapes, so a member named `name` is written exactly so; lines with a backslash skip the prefilter.
#[derive(Debug, Clone)]
struct KeyValuePrefix {
    quoted_name: memchr::memmem::Finder<'static>,
    prefix: String,
}

impl KeyValuePrefix {
    fn of(expr: &Expr) -> Vec<KeyValuePrefix> {
        let conjuncts = match expr {
            Expr::And(items) => items.as_slice(),
            single => std::slice::from_ref(single),
        };
        conjuncts
            .iter()
            .filter_map(|item| match item {
                Expr::Condition {
                    path,
                    test: Test::Compare(comparison),
                } => match (path.last(), comparison.required_prefix()) {
                    (Some(Step::Key(name)), Some(prefix)) => Some(KeyValuePrefix {
                        quoted_name: memchr::memmem::Finder::new(format!("\"{name}\"").as_bytes()).into_owned(),
                        prefix: prefix.to_owned(),
                    }),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    /// Whether the line may hold the member with such a value.
    fn may_hold(&self, line: &[u8]) -> bool {
        let skip_ws = |mut at: usize| {
            while line.get(at).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
                at += 1;
            }
            at
        };
        self.quoted_name.find_iter(line).any(|found| {
            let mut at = skip_ws(found + self.quoted_name.needle().len());
            if line.get(at) != Some(&b':') {
                return false;
            }
            at = skip_ws(at + 1);
            // Only a string is judged here: a number's text as compared (`5e2` is `500.0`) need not be its text
            // in the line, and objects, arrays and literals are left to the parse.
            if line.get(at) != Some(&b'"') {
                return true;
            }
            line.get(at + 1..)
                .is_some_and(|rest| rest.starts_with(self.prefix.as_bytes()))
        })
    }
}

/// The fast path of patterns whose selectors are plain member paths (`$.a.b`) tested by comparisons or
/// `IS TRUE` / `IS FALSE`: the query engine's borrowed scanner reads just those members of a line, with no tree
/// built. Whatever could make the two paths differ goes to the serde path: a line the scanner cannot read, and a
/// member that is absent or null (told apart only by `!=`), a number (compared by its JSON text), or an object or
/// array (the scanner keeps their raw text, like a string starting with `{` or `[`).
#[derive(Debug, Clone)]
struct FastPath {
    scanner: FieldScanner,
    /// The member paths the pattern tests; a path's index is its slot in the scanned row.
    paths: Vec<Vec<Step>>,
}

impl FastPath {
    fn new(expr: &Expr) -> Option<FastPath> {
        let mut paths: Vec<Vec<Step>> = Vec::new();
        expr.plain_paths(&mut paths)?;
        let mut wanted = Vec::with_capacity(paths.len());
        for (slot, path) in paths.iter().enumerate() {
            let mut name = String::new();
            for step in path {
                // Dots join the scanner's flattened names: a member name with one cannot be told apart.
                let Step::Key(key) = step else { return None };
                if key.contains('.') {
                    return None;
                }
                if !name.is_empty() {
                    name.push('.');
                }
                name.push_str(key);
            }
            wanted.push((name, slot));
        }
        Some(FastPath {
            scanner: FieldScanner::new(wanted),
            paths,
        })
    }

    /// The verdict, or `None` when the serde path must decide.
    fn try_match(&self, text: &str, expr: &Expr) -> Option<bool> {
        let mut row = vec![Val::Null; self.paths.len()];
        let mut scratch = String::new();
        self.scanner.scan(text, &mut row, &mut scratch).ok()?;
        expr.eval_row(&row, &self.paths)
    }
}

/// Characters that end a member name in a selector.
fn delimiter(c: char) -> bool {
    matches!(
        c,
        '(' | ')' | '&' | '|' | '{' | '}' | '=' | '!' | '<' | '>' | '[' | ']' | '.' | '"'
    )
}

/// Characters that end a bare value (`123.123.*` and `55.5` keep their dots).
fn value_end(c: char) -> bool {
    matches!(c, '(' | ')' | '&' | '|' | '}')
}

struct Parser<'a> {
    cursor: Cursor<'a>,
    regexes: usize,
    depth: usize,
}

impl JsonPattern {
    pub(super) fn parse(pattern: &str) -> Result<JsonPattern, FilterPatternError> {
        let mut parser = Parser {
            cursor: Cursor::new(pattern),
            regexes: 0,
            depth: 0,
        };
        parser.cursor.skip_ws();
        if !parser.cursor.eat("{") {
            return Err(parser.cursor.expected("'{'"));
        }
        let expr = parser.or()?;
        parser.cursor.skip_ws();
        if !parser.cursor.eat("}") {
            return Err(parser.cursor.expected("'&&', '||' or the closing '}'"));
        }
        parser.cursor.skip_ws();
        if !parser.cursor.at_end() {
            return Err(parser.cursor.expected("end of pattern after '}'"));
        }
        check_regex_count(parser.regexes)?;
        let mut needed = Needed::default();
        expr.collect_paths(&mut needed);
        let fast = FastPath::new(&expr);
        let prefilter = KeyValuePrefix::of(&expr);
        Ok(JsonPattern {
            expr,
            needed,
            fast,
            prefilter,
        })
    }

    pub(super) fn matches(&self, message: &str) -> bool {
        let text = message.trim();
        if !text.starts_with('{') {
            return false;
        }
        let bytes = text.as_bytes();
        if !self.prefilter.is_empty()
            && memchr::memchr(b'\\', bytes).is_none()
            && !self.prefilter.iter().all(|check| check.may_hold(bytes))
        {
            return false;
        }
        if let Some(verdict) = self.fast.as_ref().and_then(|fast| fast.try_match(text, &self.expr)) {
            return verdict;
        }
        let mut deserializer = serde_json::Deserializer::from_str(text);
        match self.needed.deserialize(&mut deserializer) {
            Ok(value) if deserializer.end().is_ok() => self.expr.eval(&value),
            _ => false,
        }
    }

    /// [`JsonPattern::matches`] on the whole parsed document, the reference the selective parse is
    /// checked against.
    #[cfg(test)]
    pub(super) fn matches_fully_parsed(&self, message: &str) -> bool {
        let text = message.trim();
        match serde_json::from_str::<Value>(text) {
            Ok(value @ Value::Object(_)) => self.expr.eval(&value),
            _ => false,
        }
    }
}

impl<'a> Conditions<'a> for Parser<'a> {
    type Node = Expr;

    fn cursor(&mut self) -> &mut Cursor<'a> {
        &mut self.cursor
    }

    fn depth(&mut self) -> &mut usize {
        &mut self.depth
    }

    fn any_of(items: Vec<Expr>) -> Expr {
        Expr::Or(items)
    }

    fn all_of(items: Vec<Expr>) -> Expr {
        Expr::And(items)
    }

    fn leaf(&mut self) -> Result<Expr, FilterPatternError> {
        let path = self.selector()?;
        self.cursor.skip_ws();
        let test = if let Some(op) = parse_op(&mut self.cursor) {
            Test::Compare(Comparison::parse(op, &mut self.cursor, value_end, &mut self.regexes)?)
        } else if self.cursor.eat_keyword("IS") {
            self.cursor.skip_ws();
            if self.cursor.eat_keyword("NULL") {
                Test::IsNull
            } else if self.cursor.eat_keyword("TRUE") {
                Test::Is(true)
            } else if self.cursor.eat_keyword("FALSE") {
                Test::Is(false)
            } else {
                return Err(self.cursor.expected("NULL, TRUE or FALSE after IS"));
            }
        } else if self.cursor.eat_keyword("NOT") {
            self.cursor.skip_ws();
            if !self.cursor.eat_keyword("EXISTS") {
                return Err(self.cursor.expected("EXISTS after NOT"));
            }
            Test::NotExists
        } else {
            return Err(self
                .cursor
                .expected("an operator (= != < <= > >=), IS NULL, IS TRUE, IS FALSE or NOT EXISTS"));
        };
        Ok(Expr::Condition { path, test })
    }
}

impl Parser<'_> {
    /// `$` followed by `.name`, `.*`, `[N]` or `[*]` steps.
    fn selector(&mut self) -> Result<Vec<Step>, FilterPatternError> {
        if !self.cursor.eat("$") {
            return Err(self
                .cursor
                .expected("a selector starting with $ (like $.status) or '('"));
        }
        let mut path = Vec::new();
        loop {
            if self.cursor.eat(".") {
                if self.cursor.eat("*") {
                    path.push(Step::AnyKey);
                    continue;
                }
                let name = self
                    .cursor
                    .take_while(|c| !c.is_whitespace() && !delimiter(c) && c != '*');
                if name.is_empty() {
                    return Err(self.cursor.expected("a member name or * after '.'"));
                }
                path.push(Step::Key(name.to_owned()));
            } else if self.cursor.eat("[") {
                if self.cursor.eat("*") {
                    path.push(Step::AnyIndex);
                } else {
                    let start = self.cursor.pos();
                    let digits = self.cursor.take_while(|c| c.is_ascii_digit());
                    let index = digits
                        .parse()
                        .map_err(|_| self.cursor.expected_at(start, "an array index or *"))?;
                    path.push(Step::Index(index));
                }
                if !self.cursor.eat("]") {
                    return Err(self.cursor.expected("']'"));
                }
            } else {
                break;
            }
        }
        if path.is_empty() {
            return Err(self.cursor.expected("'.member' or '[index]' after $"));
        }
        Ok(path)
    }
}

impl Expr {
    fn eval(&self, root: &Value) -> bool {
        match self {
            Expr::Or(items) => items.iter().any(|item| item.eval(root)),
            Expr::And(items) => items.iter().all(|item| item.eval(root)),
            Expr::Condition { path, test } => {
                let mut found = false;
                let mut holds = false;
                visit(root, path, &mut |value| {
                    found = true;
                    holds = holds || test.holds(value);
                });
                match test {
                    Test::NotExists => !found,
                    _ => holds,
                }
            }
        }
    }

    /// Collects the member paths of a pattern the fast path can take (see [`FastPath`]); `None` when it cannot.
    fn plain_paths(&self, paths: &mut Vec<Vec<Step>>) -> Option<()> {
        match self {
            Expr::Or(items) | Expr::And(items) => items.iter().try_for_each(|item| item.plain_paths(paths)),
            Expr::Condition { path, test } => {
                let plain = path.iter().all(|step| matches!(step, Step::Key(_)));
                if !plain || matches!(test, Test::IsNull | Test::NotExists) {
                    return None;
                }
                if !paths.contains(path) {
                    paths.push(path.clone());
                }
                Some(())
            }
        }
    }

    /// [`Expr::eval`] over a scanned row (slots in the order of `paths`); `None` when a value needs the serde
    /// path. A definite answer of one branch decides `||` (true) and `&&` (false) whatever the others need.
    fn eval_row(&self, row: &[Val<'_>], paths: &[Vec<Step>]) -> Option<bool> {
        match self {
            Expr::Or(items) | Expr::And(items) => {
                let decisive = matches!(self, Expr::Or(_));
                let mut undecided = false;
                for item in items {
                    match item.eval_row(row, paths) {
                        Some(verdict) if verdict == decisive => return Some(decisive),
                        Some(_) => {}
                        None => undecided = true,
                    }
                }
                (!undecided).then_some(!decisive)
            }
            Expr::Condition { path, test } => {
                let slot = paths.iter().position(|p| p == path)?;
                match (row.get(slot)?, test) {
                    (Val::Str(text), _) if text.starts_with(['{', '[']) => None,
                    (Val::Str(text), Test::Compare(comparison)) => Some(comparison.test_text(text)),
                    (Val::Bool(b), Test::Compare(comparison)) => {
                        Some(comparison.test_text(if *b { "true" } else { "false" }))
                    }
                    (Val::Str(_), Test::Is(_)) => Some(false),
                    (Val::Bool(b), Test::Is(wanted)) => Some(b == wanted),
                    _ => None,
                }
            }
        }
    }

    fn collect_paths(&self, needed: &mut Needed) {
        match self {
            Expr::Or(items) | Expr::And(items) => items.iter().for_each(|item| item.collect_paths(needed)),
            Expr::Condition { path, .. } => needed.add(path),
        }
    }
}

impl Test {
    fn holds(&self, value: &Value) -> bool {
        match (self, value) {
            (Test::NotExists, _) => false,
            (Test::IsNull, value) => value.is_null(),
            (Test::Is(wanted), Value::Bool(b)) => b == wanted,
            (Test::Is(_), _) => false,
            (Test::Compare(_), Value::Array(_) | Value::Object(_)) => false,
            (Test::Compare(comparison), Value::String(text)) => comparison.test_text(text),
            (Test::Compare(comparison), Value::Number(number)) => {
                let text = number.to_string();
                number.as_f64().is_some_and(|n| comparison.test_json_number(n, &text))
            }
            (Test::Compare(comparison), Value::Bool(b)) => comparison.test_text(if *b { "true" } else { "false" }),
            (Test::Compare(comparison), Value::Null) => comparison.test_text("null"),
        }
    }
}

/// Calls `each` with every value `path` reaches from `value`.
fn visit(value: &Value, path: &[Step], each: &mut dyn FnMut(&Value)) {
    let Some((step, rest)) = path.split_first() else {
        each(value);
        return;
    };
    match (step, value) {
        (Step::Key(name), Value::Object(map)) => {
            if let Some(inner) = map.get(name) {
                visit(inner, rest, each);
            }
        }
        (Step::Index(index), Value::Array(items)) => {
            if let Some(inner) = items.get(*index) {
                visit(inner, rest, each);
            }
        }
        (Step::AnyIndex, Value::Array(items)) => items.iter().for_each(|inner| visit(inner, rest, each)),
        (Step::AnyKey, Value::Object(map)) => map.values().for_each(|inner| visit(inner, rest, each)),
        _ => {}
    }
}

/// The part of a document the selectors can reach: which members of an object and which elements of an
/// array to keep. Everything else is skipped while parsing (`IgnoredAny`), so a pattern on `$.status`
/// does not build the strings of the other twenty members of an access-log line.
#[derive(Debug, Clone, Default)]
struct Needed {
    /// Everything below this point (a selector ends here, or a wildcard is involved).
    all: bool,
    members: BTreeMap<String, Needed>,
    elements: BTreeMap<usize, Needed>,
}

impl Needed {
    fn add(&mut self, path: &[Step]) {
        let Some((step, rest)) = path.split_first() else {
            self.all = true;
            return;
        };
        match step {
            Step::Key(name) => self.members.entry(name.clone()).or_default().add(rest),
            Step::Index(index) => self.elements.entry(*index).or_default().add(rest),
            Step::AnyIndex | Step::AnyKey => self.all = true,
        }
    }
}

impl<'de> DeserializeSeed<'de> for &Needed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if self.all {
            serde::Deserialize::deserialize(deserializer)
        } else {
            deserializer.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for &Needed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        let mut index = 0;
        loop {
            match self.elements.get(&index) {
                Some(needed) => match seq.next_element_seed(needed)? {
                    Some(value) => items.push(value),
                    None => break,
                },
                None => match seq.next_element::<IgnoredAny>()? {
                    // A placeholder keeps later indexes in place; a selector never ends on it.
                    Some(_) => items.push(Value::Array(Vec::new())),
                    None => break,
                },
            }
            index += 1;
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match self.members.get(key.as_ref()) {
                Some(needed) => {
                    let value = map.next_value_seed(needed)?;
                    object.insert(key.into_owned(), value);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(object))
    }
}

/// An object key, borrowed from the message when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;

        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }

        deserializer.deserialize_str(KeyVisitor)
    }
}
