//! The syntax tree of a Logs Insights query, as [`super::parser`] builds it and [`super::plan`] compiles it.

use super::value::Val;
use crate::compare_op::CompareOp;

/// A time period of `bin(...)`, `datefloor(...)` and `dateceil(...)`: a fixed length, or calendar months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// A fixed number of milliseconds (`ms s m h d w`).
    Millis(i64),
    /// A number of calendar months (`mo q y`), aligned to the start of the month in UTC.
    Months(i64),
}

/// Binary operators, loosest first: `or`, `and`, comparisons, `+ -`, `* / %`, `^`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `=`, `!=`, `<`, `<=`, `>`, `>=`
    Compare(CompareOp),
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
    /// `^`
    Pow,
}

/// An expression in `fields`, `filter`, `stats`, `sort` and function arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A field by name (`status`, `@timestamp`, `a.b`, `` `odd name` ``).
    Field(String),
    /// A literal string, number or boolean.
    Lit(Val<'static>),
    /// A time period literal (`5m`), only meaningful as a function argument.
    Period(Period),
    /// A regular expression literal `/.../`.
    Regex(String),
    /// `not e`.
    Not(Box<Expr>),
    /// `-e`.
    Neg(Box<Expr>),
    /// `l op r`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// A function call; `pos` is its byte offset in the query, for errors.
    Call {
        /// The function name as written.
        name: String,
        /// The arguments.
        args: Vec<Expr>,
        /// Byte offset of the name.
        pos: usize,
    },
    /// `e [not] in [a, b, ...]`.
    In {
        /// The tested value.
        expr: Box<Expr>,
        /// The list.
        list: Vec<Expr>,
        /// `not in`.
        negated: bool,
    },
    /// `e [not] like "substring"` / `e [not] like /regex/` / `e =~ /regex/`.
    Like {
        /// The tested value.
        expr: Box<Expr>,
        /// A string (substring match) or a regex.
        pattern: Box<Expr>,
        /// `not like`.
        negated: bool,
    },
}

/// One output of `fields` or `stats ... by`: an expression and the column name it gets.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    /// The expression.
    pub expr: Expr,
    /// The alias after `as`, or the expression's text.
    pub name: String,
}

/// One aggregate of `stats`: `fn(args) [as name]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AggCall {
    /// The aggregate function's name as written.
    pub func: String,
    /// Its arguments (`count(*)` has none).
    pub args: Vec<Expr>,
    /// The alias, or the call's text.
    pub name: String,
    /// Byte offset of the call, for errors.
    pub pos: usize,
}

/// `parse`'s pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum ParsePattern {
    /// `"glob with * wildcards" as a, b`.
    Glob {
        /// The pattern text.
        pattern: String,
        /// One name per `*`.
        names: Vec<String>,
    },
    /// `/regex with (?<name>...) groups/`.
    Regex(String),
}

/// One command of the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `fields e [as n], ...`
    Fields(Vec<Named>),
    /// `display f, ...`
    Display(Vec<Named>),
    /// `filter expr`
    Filter(Expr),
    /// `stats agg [as n], ... [by e [as n], ...]`
    Stats {
        /// The aggregates.
        aggs: Vec<AggCall>,
        /// The grouping expressions.
        by: Vec<Named>,
    },
    /// `sort e [asc|desc], ...`; `true` is descending.
    Sort(Vec<(Expr, bool)>),
    /// `limit n`
    Limit(usize),
    /// `parse [field] pattern`
    Parse {
        /// The parsed field (`@message` when omitted).
        source: String,
        /// The pattern.
        pattern: ParsePattern,
    },
    /// `dedup f, ...`
    Dedup(Vec<String>),
    /// `unnest field into name`
    Unnest {
        /// The list field.
        field: String,
        /// The name each item gets.
        into: String,
    },
}

/// A parsed query: its commands in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The commands, in pipeline order.
    pub commands: Vec<Command>,
}
