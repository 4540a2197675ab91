//! Compiled expressions: field names resolved to row slots, functions to [`Func`], regexes built once. A row is a
//! slice of values indexed by slot.

use regex_automata::meta::Regex;

use super::ast::{BinOp, Period};
use super::functions::{round_time, Func};
use super::value::{compare, Val};

/// A compiled expression.
#[derive(Debug, Clone)]
pub enum CExpr {
    /// The value in a row slot.
    Slot(usize),
    /// A constant.
    Lit(Val<'static>),
    /// `not e`
    Not(Box<CExpr>),
    /// `-e`
    Neg(Box<CExpr>),
    /// `l op r`
    Binary(BinOp, Box<CExpr>, Box<CExpr>),
    /// A scalar function call.
    Call(Func, Vec<CExpr>),
    /// `bin(p)` (over `@timestamp`), `datefloor(e, p)`, `dateceil(e, p)`.
    RoundTime(Func, Box<CExpr>, Period),
    /// `e [not] in [...]`
    In(Box<CExpr>, Vec<CExpr>, bool),
    /// `e [not] like "substring"`
    Contains(Box<CExpr>, String, bool),
    /// `e [not] like /regex/`, `e =~ /regex/`
    Matches(Box<CExpr>, Box<Regex>, bool),
}

impl CExpr {
    /// Evaluates the expression over a row.
    pub fn eval<'a>(&self, row: &[Val<'a>]) -> Val<'a> {
        match self {
            CExpr::Slot(i) => row.get(*i).cloned().unwrap_or(Val::Null),
            CExpr::Lit(v) => v.clone(),
            CExpr::Not(e) => Val::Bool(!e.eval(row).truthy()),
            CExpr::Neg(e) => e.eval(row).as_num().map_or(Val::Null, |n| Val::Num(-n)),
            CExpr::Binary(op, l, r) => binary(*op, l, r, row),
            CExpr::Call(func, args) => func.apply(args.iter().map(|a| a.eval(row)).collect()),
            CExpr::RoundTime(func, e, period) => e
                .eval(row)
                .as_millis()
                .map_or(Val::Null, |ms| Val::Time(round_time(*func, ms, *period))),
            CExpr::In(e, list, negated) => {
                let v = e.eval(row);
                if v.is_null() {
                    return Val::Bool(false);
                }
                let found = list
                    .iter()
                    .any(|item| compare(&v, &item.eval(row)) == Some(std::cmp::Ordering::Equal));
                Val::Bool(found != *negated)
            }
            CExpr::Contains(e, needle, negated) => match e.eval(row) {
                Val::Null => Val::Bool(false),
                v => Val::Bool(v.render().contains(needle.as_str()) != *negated),
            },
            CExpr::Matches(e, re, negated) => match e.eval(row) {
                Val::Null => Val::Bool(false),
                v => Val::Bool(re.is_match(v.render().as_ref()) != *negated),
            },
        }
    }

    /// Whether the expression holds for the row (`filter`).
    pub fn test(&self, row: &[Val<'_>]) -> bool {
        self.eval(row).truthy()
    }
}

fn binary<'a>(op: BinOp, l: &CExpr, r: &CExpr, row: &[Val<'a>]) -> Val<'a> {
    if let BinOp::Compare(comparison) = op {
        // Values that do not compare (a number against text, a null) satisfy no operator, not even `!=`.
        let ord = compare(&l.eval(row), &r.eval(row));
        return Val::Bool(ord.is_some_and(|o| comparison.holds(o)));
    }
    match op {
        BinOp::And => Val::Bool(l.test(row) && r.test(row)),
        BinOp::Or => Val::Bool(l.test(row) || r.test(row)),
        _ => {
            let (lv, rv) = (l.eval(row), r.eval(row));
            let (Some(a), Some(b)) = (lv.as_num(), rv.as_num()) else {
                return Val::Null;
            };
            let n = match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div if b != 0.0 => a / b,
                BinOp::Rem if b != 0.0 => a % b,
                BinOp::Pow => a.powf(b),
                _ => return Val::Null,
            };
            Val::Num(n)
        }
    }
}

/// A regex for `like`/`=~`/`parse`, with the error text when it does not compile.
pub fn build_regex(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| e.to_string())
}
