//! Space-delimited patterns: `[ip, user, ..., status = 4* && status != 403, size > 1000]`. A message is split
//! into fields at spaces and tabs; a field that starts with `"` runs to the next `"` and one that starts with
//! `[` to the next `]` (AWS: "The characters between a pair of square brackets [] or two double quotes ("")
//! are treated as a single field"), and the field's value is what is inside them. Without `...` the message
//! must have exactly as many fields as the pattern names; `...` (at most once) stands for any number.
//!
//! A field is written as a name, a condition on it (`status = 4*`), or conditions joined with `&&`, `||` and
//! parentheses (`w1 = ERROR || w1 = WARN`); a condition may also name another field of the pattern. A field
//! left empty (`[a, , c]` or a trailing comma) has no name and no condition.

use super::conditions::Conditions;
use super::cursor::Cursor;
use super::value::{parse_op, Comparison};
use super::{check_regex_count, FilterPatternError};

#[derive(Debug, Clone)]
enum Cond {
    Or(Vec<Cond>),
    And(Vec<Cond>),
    /// A comparison on the field of slot `slot`.
    Compare {
        slot: usize,
        comparison: Comparison,
    },
}

#[derive(Debug, Clone)]
struct Slot {
    name: Option<String>,
    cond: Option<Cond>,
}

/// A compiled space-delimited pattern.
#[derive(Debug, Clone)]
pub(super) struct DelimitedPattern {
    slots: Vec<Slot>,
    /// The number of slots before `...`, when the pattern has one.
    ellipsis: Option<usize>,
}

/// A condition before its field names are resolved to slots.
enum RawCond {
    Or(Vec<RawCond>),
    And(Vec<RawCond>),
    Compare {
        name: String,
        at: usize,
        comparison: Comparison,
    },
    /// A bare name: allowed only as a whole field.
    Name {
        name: String,
        at: usize,
    },
}

fn name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

fn value_end(c: char) -> bool {
    matches!(c, ',' | ']' | ')' | '&' | '|')
}

struct Parser<'a> {
    cursor: Cursor<'a>,
    regexes: usize,
    depth: usize,
}

impl DelimitedPattern {
    pub(super) fn parse(pattern: &str) -> Result<DelimitedPattern, FilterPatternError> {
        let mut parser = Parser {
            cursor: Cursor::new(pattern),
            regexes: 0,
            depth: 0,
        };
        parser.cursor.skip_ws();
        if !parser.cursor.eat("[") {
            return Err(parser.cursor.expected("'['"));
        }
        let mut raw: Vec<(Option<String>, Option<RawCond>)> = Vec::new();
        let mut ellipsis = None;
        loop {
            parser.cursor.skip_ws();
            let start = parser.cursor.pos();
            if parser.cursor.eat("...") {
                if ellipsis.is_some() {
                    return Err(parser
                        .cursor
                        .expected_at(start, "a field (a pattern may use '...' once)"));
                }
                ellipsis = Some(raw.len());
            } else if matches!(parser.cursor.peek(), Some(',' | ']')) {
                raw.push((None, None));
            } else {
                let cond = parser.or()?;
                raw.push(match cond {
                    RawCond::Name { name, .. } => (Some(name), None),
                    cond => (cond.first_name().map(str::to_owned), Some(cond)),
                });
            }
            parser.cursor.skip_ws();
            if parser.cursor.eat("]") {
                break;
            }
            if !parser.cursor.eat(",") {
                return Err(parser.cursor.expected("',' or ']' after a field"));
            }
        }
        parser.cursor.skip_ws();
        if !parser.cursor.at_end() {
            return Err(parser.cursor.expected("end of pattern after ']'"));
        }
        check_regex_count(parser.regexes)?;
        let names: Vec<Option<String>> = raw.iter().map(|(name, _)| name.clone()).collect();
        let mut slots = Vec::with_capacity(raw.len());
        for (name, cond) in raw {
            let cond = cond.map(|cond| cond.resolve(&names, &parser.cursor)).transpose()?;
            slots.push(Slot { name, cond });
        }
        Ok(DelimitedPattern { slots, ellipsis })
    }

    /// Maps each slot to the index of its field, or `None` when the message has the wrong number of fields.
    fn layout(&self, field_count: usize) -> Option<impl Fn(usize) -> usize + '_> {
        let slots = self.slots.len();
        match self.ellipsis {
            None if field_count != slots => None,
            Some(_) if field_count < slots => None,
            _ => Some(move |slot: usize| match self.ellipsis {
                Some(before) if slot >= before => field_count - (slots - slot),
                _ => slot,
            }),
        }
    }

    fn eval(&self, fields: &[&str]) -> bool {
        let Some(field_of) = self.layout(fields.len()) else {
            return false;
        };
        self.slots
            .iter()
            .all(|slot| slot.cond.as_ref().is_none_or(|cond| cond.eval(fields, &field_of)))
    }

    pub(super) fn matches(&self, message: &str) -> bool {
        with_fields(message, |fields| self.eval(fields))
    }

    pub(super) fn extract<'m>(&self, message: &'m str) -> Option<Vec<(String, &'m str)>> {
        let fields = split_fields(message);
        if !self.eval(&fields) {
            return None;
        }
        let field_of = self.layout(fields.len())?;
        let mut names: Vec<Option<&str>> = vec![None; fields.len()];
        for (index, slot) in self.slots.iter().enumerate() {
            if let (Some(name), Some(place)) = (&slot.name, names.get_mut(field_of(index))) {
                *place = Some(name);
            }
        }
        Some(
            fields
                .iter()
                .zip(names)
                .enumerate()
                .map(|(position, (value, name))| {
                    (
                        name.map_or_else(|| format!("${}", position + 1), |name| format!("${name}")),
                        *value,
                    )
                })
                .collect(),
        )
    }
}

impl<'a> Conditions<'a> for Parser<'a> {
    type Node = RawCond;

    fn cursor(&mut self) -> &mut Cursor<'a> {
        &mut self.cursor
    }

    fn depth(&mut self) -> &mut usize {
        &mut self.depth
    }

    fn any_of(items: Vec<RawCond>) -> RawCond {
        RawCond::Or(items)
    }

    fn all_of(items: Vec<RawCond>) -> RawCond {
        RawCond::And(items)
    }

    fn leaf(&mut self) -> Result<RawCond, FilterPatternError> {
        let at = self.cursor.pos();
        let name = self.cursor.take_while(name_char);
        if name.is_empty() {
            return Err(self
                .cursor
                .expected("a field name (letters, digits, _ and -), '...' or '('"));
        }
        self.cursor.skip_ws();
        match parse_op(&mut self.cursor) {
            Some(op) => {
                let comparison = Comparison::parse(op, &mut self.cursor, value_end, &mut self.regexes)?;
                Ok(RawCond::Compare {
                    name: name.to_owned(),
                    at,
                    comparison,
                })
            }
            None => Ok(RawCond::Name {
                name: name.to_owned(),
                at,
            }),
        }
    }
}

impl RawCond {
    fn first_name(&self) -> Option<&str> {
        match self {
            RawCond::Or(items) | RawCond::And(items) => items.first().and_then(RawCond::first_name),
            RawCond::Compare { name, .. } | RawCond::Name { name, .. } => Some(name),
        }
    }

    fn resolve(self, names: &[Option<String>], cursor: &Cursor<'_>) -> Result<Cond, FilterPatternError> {
        let resolve_all = |items: Vec<RawCond>| {
            items
                .into_iter()
                .map(|item| item.resolve(names, cursor))
                .collect::<Result<Vec<_>, _>>()
        };
        match self {
            RawCond::Or(items) => Ok(Cond::Or(resolve_all(items)?)),
            RawCond::And(items) => Ok(Cond::And(resolve_all(items)?)),
            RawCond::Name { at, .. } => {
                Err(cursor.expected_at(at, "a condition (name = value, name > number, ...) inside && or ||"))
            }
            RawCond::Compare { name, at, comparison } => {
                match names
                    .iter()
                    .position(|candidate| candidate.as_deref() == Some(name.as_str()))
                {
                    Some(slot) => Ok(Cond::Compare { slot, comparison }),
                    None => Err(FilterPatternError::UnknownField {
                        column: cursor.column(at),
                        name,
                    }),
                }
            }
        }
    }
}

impl Cond {
    fn eval(&self, fields: &[&str], field_of: &impl Fn(usize) -> usize) -> bool {
        match self {
            Cond::Or(items) => items.iter().any(|item| item.eval(fields, field_of)),
            Cond::And(items) => items.iter().all(|item| item.eval(fields, field_of)),
            Cond::Compare { slot, comparison } => fields
                .get(field_of(*slot))
                .is_some_and(|field| comparison.test_text(field)),
        }
    }
}

/// Fields kept on the stack while matching; a message with more is split into a `Vec`.
const STACK_FIELDS: usize = 48;

/// Calls `f` with the fields of `message`, without allocating for messages of up to [`STACK_FIELDS`].
fn with_fields<R>(message: &str, f: impl FnOnce(&[&str]) -> R) -> R {
    let mut stack = [""; STACK_FIELDS];
    let mut count = 0;
    let mut overflow = false;
    for_each_field(message, |field| {
        if let Some(slot) = stack.get_mut(count) {
            *slot = field;
            count += 1;
        } else {
            overflow = true;
        }
    });
    if overflow {
        f(&split_fields(message))
    } else {
        f(&stack[..count])
    }
}

/// Splits a message into fields as CloudWatch does for space-delimited patterns.
pub(super) fn split_fields(message: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    for_each_field(message, |field| fields.push(field));
    fields
}

fn for_each_field<'m>(message: &'m str, mut each: impl FnMut(&'m str)) {
    let mut rest = message.trim_start_matches([' ', '\t']);
    while let Some(&first) = rest.as_bytes().first() {
        let (field, after) = match first {
            open @ (b'"' | b'[') => {
                let close = if open == b'"' { '"' } else { ']' };
                let inner = &rest[1..];
                match inner.find(close) {
                    Some(end) => (&inner[..end], &inner[end + 1..]),
                    None => (inner, ""),
                }
            }
            _ => {
                let end = rest.find([' ', '\t']).unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            }
        };
        each(field);
        rest = after.trim_start_matches([' ', '\t']);
    }
}
