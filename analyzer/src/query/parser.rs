//! The query parser: commands separated by `|`, `#` comments, expressions with Insights' operators. Errors name
//! the line and column and what was expected there.

use super::ast::{AggCall, BinOp, Command, Expr, Named, ParsePattern, Query};
use super::error::QueryError;
use super::expr::build_regex;
use super::lexer::{lex, line_col, LexError, Token};
use super::value::Val;
use crate::compare_op::CompareOp;

/// The commands `moatctl query` runs; others (`pattern`, `diff`, `anomaly`, `unmask`, ...) are reported as
/// unsupported rather than unknown.
pub const COMMANDS: [&str; 9] = [
    "fields", "display", "filter", "stats", "sort", "limit", "parse", "dedup", "unnest",
];
const UNSUPPORTED: [&str; 7] = [
    "pattern",
    "diff",
    "anomaly",
    "unmask",
    "filterindex",
    "source",
    "addtotals",
];

/// Parses a query string into its commands.
pub fn parse_query(src: &str) -> Result<Query, QueryError> {
    let mut parser = Parser {
        src,
        pos: 0,
        call_depth: 0,
    };
    let mut commands = Vec::new();
    loop {
        let (token, start, _) = parser.peek()?;
        if token == Token::End {
            if commands.is_empty() {
                return Err(parser.error_at(start, "a command (fields, filter, stats, ...)", &token));
            }
            break;
        }
        if let Some(Command::Dedup(_)) = commands.last() {
            if !token.is_word("limit") {
                return Err(parser.message_at(start, "only `limit` may follow `dedup` (page \"dedup\")".to_owned()));
            }
        }
        commands.push(parser.command()?);
        let (token, start, _) = parser.peek()?;
        match token {
            Token::End => break,
            Token::Punct("|") => parser.bump()?,
            other => return Err(parser.error_at(start, "`|` or the end of the query", &other)),
        }
    }
    Ok(Query { commands })
}

struct Parser<'s> {
    src: &'s str,
    pos: usize,
    call_depth: usize,
}

impl<'s> Parser<'s> {
    fn lex_err(&self, e: LexError) -> QueryError {
        self.message_at(e.pos, e.message)
    }

    fn message_at(&self, pos: usize, message: String) -> QueryError {
        let (line, column) = line_col(self.src, pos);
        QueryError::Syntax { line, column, message }
    }

    fn error_at(&self, pos: usize, expected: &str, found: &Token) -> QueryError {
        self.message_at(pos, format!("expected {expected}, found {}", found.describe()))
    }

    /// Checks a regex literal where it stands, so a bad one is reported at its position.
    fn check_regex(&self, pattern: &str, pos: usize, needs_names: bool) -> Result<(), QueryError> {
        let regex = build_regex(pattern).map_err(|e| self.message_at(pos, format!("bad regex /{pattern}/: {e}")))?;
        if needs_names
            && !regex
                .group_info()
                .pattern_names(regex_automata::PatternID::ZERO)
                .any(|n| n.is_some())
        {
            return Err(self.message_at(
                pos,
                format!("the parse regex /{pattern}/ has no named group (?<name>...)"),
            ));
        }
        Ok(())
    }

    fn peek(&self) -> Result<(Token, usize, usize), QueryError> {
        lex(self.src, self.pos, false).map_err(|e| self.lex_err(e))
    }

    fn peek_operand(&self) -> Result<(Token, usize, usize), QueryError> {
        lex(self.src, self.pos, true).map_err(|e| self.lex_err(e))
    }

    fn bump(&mut self) -> Result<(), QueryError> {
        let (_, _, end) = self.peek()?;
        self.pos = end;
        Ok(())
    }

    fn eat_punct(&mut self, p: &'static str) -> Result<bool, QueryError> {
        let (token, _, end) = self.peek()?;
        if token == Token::Punct(p) {
            self.pos = end;
            return Ok(true);
        }
        Ok(false)
    }

    fn expect_punct(&mut self, p: &'static str) -> Result<(), QueryError> {
        if self.eat_punct(p)? {
            return Ok(());
        }
        let (token, start, _) = self.peek()?;
        Err(self.error_at(start, &format!("`{p}`"), &token))
    }

    fn eat_word(&mut self, word: &str) -> Result<bool, QueryError> {
        let (token, _, end) = self.peek()?;
        if token.is_word(word) {
            self.pos = end;
            return Ok(true);
        }
        Ok(false)
    }

    fn ident(&mut self, what: &str) -> Result<String, QueryError> {
        let (token, start, end) = self.peek()?;
        match token {
            Token::Ident(name) => {
                self.pos = end;
                Ok(name)
            }
            other => Err(self.error_at(start, what, &other)),
        }
    }

    fn command(&mut self) -> Result<Command, QueryError> {
        let (token, start, end) = self.peek()?;
        let Token::Ident(name) = token else {
            return Err(self.error_at(start, "a command", &token));
        };
        let lower = name.to_ascii_lowercase();
        self.pos = end;
        match lower.as_str() {
            "fields" => Ok(Command::Fields(self.named_list()?)),
            "display" => Ok(Command::Display(self.named_list()?)),
            "filter" => Ok(Command::Filter(self.expr()?)),
            "stats" => self.stats(),
            "sort" => {
                let mut keys = Vec::new();
                loop {
                    let expr = self.expr()?;
                    // Descending is the default (moto's Insights emulation assumes the same; AWS's page shows the
                    // order written out).
                    let desc = if self.eat_word("asc")? {
                        false
                    } else {
                        self.eat_word("desc")?;
                        true
                    };
                    keys.push((expr, desc));
                    if !self.eat_punct(",")? {
                        break;
                    }
                }
                Ok(Command::Sort(keys))
            }
            "limit" => {
                let (token, start, end) = self.peek()?;
                match token {
                    Token::Num(n) if n >= 1.0 && n.fract() == 0.0 && n <= 100_000.0 => {
                        self.pos = end;
                        Ok(Command::Limit(n as usize))
                    }
                    other => Err(self.error_at(start, "a whole number from 1 to 100000 after `limit`", &other)),
                }
            }
            "parse" => self.parse_command(),
            "dedup" => {
                let mut names = vec![self.ident("a field name")?];
                while self.eat_punct(",")? {
                    names.push(self.ident("a field name")?);
                }
                Ok(Command::Dedup(names))
            }
            "unnest" => {
                let field = self.ident("a field name")?;
                if !self.eat_word("into")? {
                    let (token, start, _) = self.peek()?;
                    return Err(self.error_at(start, "`into`", &token));
                }
                let into = self.ident("a field name after `into`")?;
                Ok(Command::Unnest { field, into })
            }
            other if UNSUPPORTED.contains(&other) => {
                Err(self.message_at(start, format!("the `{name}` command is not supported by moatctl query")))
            }
            _ => Err(self.message_at(
                start,
                format!("unknown command `{name}`; expected one of {}", COMMANDS.join(", ")),
            )),
        }
    }

    fn call_args(&mut self) -> Result<Vec<Expr>, QueryError> {
        let mut args = Vec::new();
        if !self.eat_punct(")")? {
            loop {
                args.push(self.expr()?);
                if !self.eat_punct(",")? {
                    break;
                }
            }
            self.expect_punct(")")?;
        }
        Ok(args)
    }

    fn named_list(&mut self) -> Result<Vec<Named>, QueryError> {
        let mut out = Vec::new();
        loop {
            out.push(self.named()?);
            if !self.eat_punct(",")? {
                return Ok(out);
            }
        }
    }

    fn named(&mut self) -> Result<Named, QueryError> {
        let start = lex(self.src, self.pos, true).map(|(_, s, _)| s).unwrap_or(self.pos);
        let expr = self.expr()?;
        let text = self.src[start..self.pos].trim().to_owned();
        let name = if self.eat_word("as")? {
            self.ident("a name after `as`")?
        } else if let Expr::Field(name) = &expr {
            name.clone()
        } else {
            text
        };
        Ok(Named { expr, name })
    }

    fn stats(&mut self) -> Result<Command, QueryError> {
        let mut aggs = Vec::new();
        loop {
            let (token, start, end) = self.peek()?;
            let Token::Ident(func) = token else {
                return Err(self.error_at(start, "an aggregate function such as count(*)", &token));
            };
            self.pos = end;
            self.expect_punct("(")?;
            let mut args = Vec::new();
            let (token, _, end) = self.peek()?;
            if token == Token::Punct("*") {
                self.pos = end;
            } else if token != Token::Punct(")") {
                args.push(self.expr()?);
                while self.eat_punct(",")? {
                    args.push(self.expr()?);
                }
            }
            self.expect_punct(")")?;
            let text = self.src[start..self.pos].trim().to_owned();
            let name = if self.eat_word("as")? {
                self.ident("a name after `as`")?
            } else {
                text
            };
            aggs.push(AggCall {
                func,
                args,
                name,
                pos: start,
            });
            if !self.eat_punct(",")? {
                break;
            }
        }
        let by = if self.eat_word("by")? {
            self.named_list()?
        } else {
            Vec::new()
        };
        Ok(Command::Stats { aggs, by })
    }

    fn parse_command(&mut self) -> Result<Command, QueryError> {
        let (token, _, end) = self.peek()?;
        let source = match token {
            Token::Ident(name) => {
                self.pos = end;
                name
            }
            _ => "@message".to_owned(),
        };
        let (token, start, end) = self.peek_operand()?;
        match token {
            Token::Str(pattern) => {
                self.pos = end;
                let stars = pattern.matches('*').count();
                let mut names = Vec::new();
                if self.eat_word("as")? {
                    names.push(self.ident("a field name")?);
                    while self.eat_punct(",")? {
                        names.push(self.ident("a field name")?);
                    }
                }
                if names.len() != stars || stars == 0 {
                    return Err(self.message_at(
                        start,
                        format!("the glob pattern has {stars} `*` but {} names follow `as`", names.len()),
                    ));
                }
                Ok(Command::Parse {
                    source,
                    pattern: ParsePattern::Glob { pattern, names },
                })
            }
            Token::Regex(re) => {
                self.check_regex(&re, start, true)?;
                self.pos = end;
                Ok(Command::Parse {
                    source,
                    pattern: ParsePattern::Regex(re),
                })
            }
            other => Err(self.error_at(start, "a \"glob\" pattern or a /regex/ after `parse`", &other)),
        }
    }

    fn expr(&mut self) -> Result<Expr, QueryError> {
        self.or_expr()
    }

    fn or_expr(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.and_expr()?;
        while self.eat_word("or")? {
            let right = self.and_expr()?;
            left = Expr::Binary(BinOp::Or, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.not_expr()?;
        while self.eat_word("and")? {
            let right = self.not_expr()?;
            left = Expr::Binary(BinOp::And, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not_expr(&mut self) -> Result<Expr, QueryError> {
        if self.eat_word("not")? {
            return Ok(Expr::Not(Box::new(self.not_expr()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, QueryError> {
        let left = self.additive()?;
        let (token, _, end) = self.peek()?;
        let op = match token {
            Token::Punct("=") => Some(CompareOp::Eq),
            Token::Punct("!=") => Some(CompareOp::Ne),
            Token::Punct("<") => Some(CompareOp::Lt),
            Token::Punct("<=") => Some(CompareOp::Le),
            Token::Punct(">") => Some(CompareOp::Gt),
            Token::Punct(">=") => Some(CompareOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.pos = end;
            let right = self.additive()?;
            return Ok(Expr::Binary(BinOp::Compare(op), Box::new(left), Box::new(right)));
        }
        if token == Token::Punct("=~") {
            self.pos = end;
            let pattern = self.like_pattern()?;
            return Ok(Expr::Like {
                expr: Box::new(left),
                pattern: Box::new(pattern),
                negated: false,
            });
        }
        let save = self.pos;
        let negated = self.eat_word("not")?;
        if self.eat_word("like")? {
            let pattern = self.like_pattern()?;
            return Ok(Expr::Like {
                expr: Box::new(left),
                pattern: Box::new(pattern),
                negated,
            });
        }
        if self.eat_word("in")? {
            self.expect_punct("[")?;
            let mut list = Vec::new();
            if !self.eat_punct("]")? {
                loop {
                    list.push(self.additive()?);
                    if !self.eat_punct(",")? {
                        break;
                    }
                }
                self.expect_punct("]")?;
            }
            return Ok(Expr::In {
                expr: Box::new(left),
                list,
                negated,
            });
        }
        if negated {
            self.pos = save;
            let (token, start, _) = self.peek()?;
            return Err(self.error_at(start, "`like` or `in` after `not`", &token));
        }
        Ok(left)
    }

    fn like_pattern(&mut self) -> Result<Expr, QueryError> {
        let (token, start, end) = self.peek_operand()?;
        match token {
            Token::Str(s) => {
                self.pos = end;
                Ok(Expr::Lit(Val::Str(s.into())))
            }
            Token::Regex(r) => {
                self.check_regex(&r, start, false)?;
                self.pos = end;
                Ok(Expr::Regex(r))
            }
            other => Err(self.error_at(start, "a \"string\" or /regex/", &other)),
        }
    }

    fn additive(&mut self) -> Result<Expr, QueryError> {
        self.left_assoc(Self::multiplicative, |token| match token {
            Token::Punct("+") => Some(BinOp::Add),
            Token::Punct("-") => Some(BinOp::Sub),
            _ => None,
        })
    }

    fn multiplicative(&mut self) -> Result<Expr, QueryError> {
        self.left_assoc(Self::power, |token| match token {
            Token::Punct("*") => Some(BinOp::Mul),
            Token::Punct("/") => Some(BinOp::Div),
            Token::Punct("%") => Some(BinOp::Rem),
            _ => None,
        })
    }

    /// A left-associative run of `operand`s joined by the operators `op_of` recognises.
    fn left_assoc(
        &mut self,
        operand: fn(&mut Self) -> Result<Expr, QueryError>,
        op_of: fn(&Token) -> Option<BinOp>,
    ) -> Result<Expr, QueryError> {
        let mut left = operand(self)?;
        loop {
            let (token, _, end) = self.peek()?;
            let Some(op) = op_of(&token) else {
                return Ok(left);
            };
            self.pos = end;
            let right = operand(self)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn power(&mut self) -> Result<Expr, QueryError> {
        let base = self.unary()?;
        let (token, _, end) = self.peek()?;
        if token == Token::Punct("^") {
            self.pos = end;
            let exponent = self.power()?;
            return Ok(Expr::Binary(BinOp::Pow, Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        let (token, _, end) = self.peek_operand()?;
        if token == Token::Punct("-") {
            self.pos = end;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, QueryError> {
        let (token, start, end) = self.peek_operand()?;
        match token {
            Token::Num(n) => {
                self.pos = end;
                Ok(Expr::Lit(Val::Num(n)))
            }
            Token::Str(s) => {
                self.pos = end;
                Ok(Expr::Lit(Val::Str(s.into())))
            }
            Token::Regex(r) => {
                self.check_regex(&r, start, false)?;
                self.pos = end;
                Ok(Expr::Regex(r))
            }
            Token::Period(p) if self.call_depth > 0 => {
                self.pos = end;
                Ok(Expr::Period(p))
            }
            Token::Period(_) => Err(self.message_at(
                start,
                "a time period is only valid as an argument of bin(), datefloor() or dateceil()".to_owned(),
            )),
            Token::Punct("(") => {
                self.pos = end;
                let inner = self.expr()?;
                self.expect_punct(")")?;
                Ok(inner)
            }
            Token::Ident(name) => {
                self.pos = end;
                if self.eat_punct("(")? {
                    self.call_depth += 1;
                    let args = self.call_args();
                    self.call_depth -= 1;
                    return Ok(Expr::Call {
                        name,
                        args: args?,
                        pos: start,
                    });
                }
                match name.to_ascii_lowercase().as_str() {
                    "true" => Ok(Expr::Lit(Val::Bool(true))),
                    "false" => Ok(Expr::Lit(Val::Bool(false))),
                    _ => Ok(Expr::Field(name)),
                }
            }
            other => Err(self.error_at(start, "a field, value or function call", &other)),
        }
    }
}
