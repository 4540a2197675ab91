//! Compiling a parsed query: names become row slots, functions and aggregates are looked up (unknown ones are
//! errors with their position), regexes are built once, and the pipeline is split into the part every worker runs
//! per line (`filter`, `fields`, `parse`, `unnest` ... up to the first `stats`, `sort`, `limit` or `dedup`) and the
//! rest, run once over the merged result.

use regex_automata::meta::Regex;

use super::aggregate::{AggKind, AggSpec, StatsSpec};
use super::ast::{Command, Expr, Named, ParsePattern, Query};
use super::error::QueryError;
use super::expr::{build_regex, CExpr};
use super::functions::Func;
use super::lexer::line_col;
use super::scan::FieldScanner;
use super::value::Val;

/// Insights' result cap when a query has no `limit` (page "limit": "as many as 10,000 log events").
pub const DEFAULT_LIMIT: usize = 10_000;

/// Slots of the system fields, when the query uses them.
#[derive(Debug, Clone, Default)]
pub struct SystemSlots {
    /// `@timestamp`
    pub timestamp: Option<usize>,
    /// `@message`
    pub message: Option<usize>,
    /// `@logStream`
    pub log_stream: Option<usize>,
    /// `@log`
    pub log: Option<usize>,
    /// `@ingestionTime`
    pub ingestion_time: Option<usize>,
    /// `requestTimeEpoch` and `requestTime`, read to derive `@timestamp` of access-log lines.
    pub request_time: Option<(usize, usize)>,
}

/// How `parse` extracts.
#[derive(Debug, Clone)]
pub enum ParseKind {
    /// Glob: the literal pieces between `*`s, and the slot of each `*`.
    Glob(Vec<String>, Vec<usize>),
    /// Regex: the regex and, per capture group index, the slot of its name.
    Regex(Box<Regex>, Vec<(usize, usize)>),
}

/// One compiled command.
#[derive(Debug, Clone)]
pub enum Stage {
    /// `filter`
    Filter(CExpr),
    /// `fields` / `display`: values to compute into slots.
    Assign(Vec<(CExpr, usize)>),
    /// `parse`
    Parse {
        /// The parsed slot.
        source: usize,
        /// The pattern.
        kind: ParseKind,
    },
    /// `unnest field into name`
    Unnest {
        /// The list slot.
        source: usize,
        /// The item slot.
        into: usize,
        /// Slots named `into.key...`, filled from object items.
        subfields: Vec<(String, usize)>,
    },
    /// `stats`
    Stats(StatsSpec),
    /// `sort`: keys with `true` for descending.
    Sort(Vec<(CExpr, bool)>),
    /// `limit`
    Limit(usize),
    /// `dedup`: key slots; `sorted` when a `sort` comes before (else Insights' default `@timestamp desc` order).
    Dedup {
        /// The key slots.
        keys: Vec<usize>,
        /// Whether a `sort` precedes it.
        sorted: bool,
    },
}

impl Stage {
    /// Whether the stage needs every row before it can emit (or, for `limit`, counts rows in order).
    pub fn is_barrier(&self) -> bool {
        matches!(
            self,
            Stage::Stats(_) | Stage::Sort(_) | Stage::Limit(_) | Stage::Dedup { .. }
        )
    }
}

/// A compiled query.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Slot names; rows are `Vec<Val>` of this length.
    pub names: Vec<String>,
    /// System field slots.
    pub system: SystemSlots,
    /// The JSON fields to extract.
    pub scanner: FieldScanner,
    /// The compiled commands in order.
    pub stages: Vec<Stage>,
    /// `stages[..split]` run per line in the workers.
    pub split: usize,
    /// The result columns.
    pub columns: Vec<usize>,
    /// Whether the query has its own `limit` (else [`DEFAULT_LIMIT`] applies).
    pub has_limit: bool,
    /// Every field name the query reads, for sources that can fetch only those.
    pub read_names: Vec<String>,
}

struct Compiler<'q> {
    src: &'q str,
    names: Vec<String>,
    read: Vec<String>,
}

impl Compiler<'_> {
    fn slot(&mut self, name: &str) -> usize {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            return i;
        }
        self.names.push(name.to_owned());
        self.names.len() - 1
    }

    fn read_slot(&mut self, name: &str) -> usize {
        if !self.read.iter().any(|n| n == name) {
            self.read.push(name.to_owned());
        }
        self.slot(name)
    }

    fn error(&self, pos: usize, message: String) -> QueryError {
        let (line, column) = line_col(self.src, pos);
        QueryError::Syntax { line, column, message }
    }

    fn expr(&mut self, expr: &Expr) -> Result<CExpr, QueryError> {
        Ok(match expr {
            Expr::Field(name) => CExpr::Slot(self.read_slot(name)),
            Expr::Lit(v) => CExpr::Lit(v.clone()),
            Expr::Period(_) => {
                return Err(self.error(
                    0,
                    "a time period is only valid inside bin(), datefloor() or dateceil()".to_owned(),
                ))
            }
            Expr::Regex(r) => CExpr::Matches(
                Box::new(CExpr::Slot(self.read_slot("@message"))),
                Box::new(self.regex(r)?),
                false,
            ),
            Expr::Not(e) => CExpr::Not(Box::new(self.expr(e)?)),
            Expr::Neg(e) => CExpr::Neg(Box::new(self.expr(e)?)),
            Expr::Binary(op, l, r) => CExpr::Binary(*op, Box::new(self.expr(l)?), Box::new(self.expr(r)?)),
            Expr::In { expr, list, negated } => {
                let list = list.iter().map(|e| self.expr(e)).collect::<Result<_, _>>()?;
                CExpr::In(Box::new(self.expr(expr)?), list, *negated)
            }
            Expr::Like { expr, pattern, negated } => {
                let target = Box::new(self.expr(expr)?);
                match pattern.as_ref() {
                    Expr::Regex(r) => CExpr::Matches(target, Box::new(self.regex(r)?), *negated),
                    Expr::Lit(Val::Str(s)) => CExpr::Contains(target, s.to_string(), *negated),
                    _ => return Err(self.error(0, "`like` needs a \"string\" or a /regex/".to_owned())),
                }
            }
            Expr::Call { name, args, pos } => self.call(name, args, *pos)?,
        })
    }

    fn regex(&self, pattern: &str) -> Result<Regex, QueryError> {
        build_regex(pattern).map_err(|e| self.error(0, format!("bad regex /{pattern}/: {e}")))
    }

    fn call(&mut self, name: &str, args: &[Expr], pos: usize) -> Result<CExpr, QueryError> {
        let Some((func, min, max)) = Func::lookup(name) else {
            let message = if AggKind::lookup(name).is_some() {
                format!("`{name}` is an aggregate function; use it in `stats`")
            } else {
                format!("unknown function `{name}`")
            };
            return Err(self.error(pos, message));
        };
        if args.len() < min || args.len() > max {
            let want = if min == max {
                format!("{min}")
            } else if max == usize::MAX {
                format!("at least {min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(self.error(pos, format!("`{name}` takes {want} argument(s), found {}", args.len())));
        }
        match func {
            Func::Bin => {
                let Expr::Period(p) = &args[0] else {
                    return Err(self.error(pos, "bin() takes a time period such as 5m".to_owned()));
                };
                let ts = self.read_slot("@timestamp");
                Ok(CExpr::RoundTime(func, Box::new(CExpr::Slot(ts)), *p))
            }
            Func::DateFloor | Func::DateCeil => {
                let Expr::Period(p) = &args[1] else {
                    return Err(self.error(
                        pos,
                        format!("{name}() takes a time period such as 1h as its second argument"),
                    ));
                };
                Ok(CExpr::RoundTime(func, Box::new(self.expr(&args[0])?), *p))
            }
            _ if args.iter().any(|a| matches!(a, Expr::Period(_))) => Err(self.error(
                pos,
                format!("`{name}` does not take a time period; periods go in bin(), datefloor() and dateceil()"),
            )),
            _ => Ok(CExpr::Call(
                func,
                args.iter().map(|a| self.expr(a)).collect::<Result<_, _>>()?,
            )),
        }
    }

    fn assign(&mut self, list: &[Named]) -> Result<Vec<(CExpr, usize)>, QueryError> {
        let mut out = Vec::new();
        for named in list {
            let expr = self.expr(&named.expr)?;
            let slot = self.slot(&named.name);
            out.push((expr, slot));
        }
        Ok(out)
    }
}

/// Compiles a parsed query (`src` is its text, for error positions); `want_timestamp` makes every row carry
/// `@timestamp` (for `--since`/`--until`).
pub fn compile(query: &Query, src: &str, want_timestamp: bool) -> Result<Plan, QueryError> {
    let mut c = Compiler {
        src,
        names: Vec::new(),
        read: Vec::new(),
    };
    let mut stages = Vec::new();
    let mut columns: Vec<usize> = Vec::new();
    let mut display: Option<Vec<usize>> = None;
    let mut created: Vec<usize> = Vec::new();
    let mut explicit_fields = false;
    let mut sorted = false;
    let mut has_limit = false;
    let mut needs_timestamp = want_timestamp;
    for command in &query.commands {
        match command {
            Command::Fields(list) => {
                let assign = c.assign(list)?;
                if display.is_none() {
                    explicit_fields = true;
                    for (_, slot) in &assign {
                        if !columns.contains(slot) {
                            columns.push(*slot);
                        }
                    }
                }
                stages.push(Stage::Assign(assign));
            }
            Command::Display(list) => {
                let assign = c.assign(list)?;
                display = Some(assign.iter().map(|(_, s)| *s).collect());
                stages.push(Stage::Assign(assign));
            }
            Command::Filter(e) => {
                let e = c.expr(e)?;
                stages.push(Stage::Filter(e));
            }
            Command::Stats { aggs, by } => {
                let mut by_c = Vec::new();
                for named in by {
                    let e = c.expr(&named.expr)?;
                    by_c.push((e, c.slot(&named.name)));
                }
                let mut specs = Vec::new();
                for agg in aggs {
                    let Some((mut kind, min, max)) = AggKind::lookup(&agg.func) else {
                        let message = if Func::lookup(&agg.func).is_some() {
                            format!(
                                "`{}` is not an aggregate function; stats takes count, sum, avg, pct, ...",
                                agg.func
                            )
                        } else {
                            format!("unknown aggregate function `{}`", agg.func)
                        };
                        return Err(c.error(agg.pos, message));
                    };
                    if agg.args.len() < min || agg.args.len() > max {
                        return Err(c.error(agg.pos, format!("`{}` takes {min} to {max} argument(s)", agg.func)));
                    }
                    if kind == AggKind::Count && agg.args.is_empty() {
                        kind = AggKind::CountStar;
                    }
                    if let AggKind::Pct(_) = kind {
                        let p = match &agg.args[1] {
                            Expr::Lit(v) => v.as_num().filter(|p| (0.0..=100.0).contains(p)),
                            _ => None,
                        };
                        let Some(p) = p else {
                            return Err(c.error(
                                agg.pos,
                                format!("`{}` takes a percentile from 0 to 100 as its second argument", agg.func),
                            ));
                        };
                        kind = AggKind::Pct(p);
                    }
                    if matches!(kind, AggKind::Earliest | AggKind::Latest) {
                        needs_timestamp = true;
                    }
                    let arg = match agg.args.first() {
                        Some(e) if kind != AggKind::CountStar => Some(c.expr(e)?),
                        _ => None,
                    };
                    specs.push(AggSpec {
                        kind,
                        arg,
                        slot: c.slot(&agg.name),
                    });
                }
                let timestamp = needs_timestamp.then(|| c.read_slot("@timestamp"));
                columns = by_c
                    .iter()
                    .map(|(_, s)| *s)
                    .chain(specs.iter().map(|a| a.slot))
                    .collect();
                created.clear();
                explicit_fields = true;
                display = None;
                sorted = false;
                stages.push(Stage::Stats(StatsSpec {
                    aggs: specs,
                    by: by_c,
                    timestamp,
                }));
            }
            Command::Sort(keys) => {
                let keys = keys
                    .iter()
                    .map(|(e, desc)| Ok((c.expr(e)?, *desc)))
                    .collect::<Result<_, QueryError>>()?;
                sorted = true;
                stages.push(Stage::Sort(keys));
            }
            Command::Limit(n) => {
                has_limit = true;
                stages.push(Stage::Limit(*n));
            }
            Command::Parse { source, pattern } => {
                let source = c.read_slot(source);
                let kind = match pattern {
                    ParsePattern::Glob { pattern, names } => {
                        let pieces = pattern.split('*').map(str::to_owned).collect();
                        ParseKind::Glob(pieces, names.iter().map(|n| c.slot(n)).collect())
                    }
                    ParsePattern::Regex(re) => {
                        let regex = c.regex(re)?;
                        let groups: Vec<(usize, String)> = regex
                            .group_info()
                            .pattern_names(regex_automata::PatternID::ZERO)
                            .enumerate()
                            .filter_map(|(i, name)| name.map(|n| (i, n.to_owned())))
                            .collect();
                        if groups.is_empty() {
                            return Err(c.error(0, format!("the parse regex /{re}/ has no named group (?<name>...)")));
                        }
                        let slots = groups.iter().map(|(i, n)| (*i, c.slot(n))).collect();
                        ParseKind::Regex(Box::new(regex), slots)
                    }
                };
                let outputs: Vec<usize> = match &kind {
                    ParseKind::Glob(_, slots) => slots.clone(),
                    ParseKind::Regex(_, slots) => slots.iter().map(|(_, s)| *s).collect(),
                };
                created.extend(outputs.iter().filter(|s| !columns.contains(s)));
                stages.push(Stage::Parse { source, kind });
            }
            Command::Dedup(names) => {
                let keys = names.iter().map(|n| c.read_slot(n)).collect();
                if !sorted {
                    needs_timestamp = true;
                    c.read_slot("@timestamp");
                }
                stages.push(Stage::Dedup { keys, sorted });
            }
            Command::Unnest { field, into } => {
                let source = c.read_slot(field);
                let into_slot = c.slot(into);
                created.push(into_slot);
                stages.push(Stage::Unnest {
                    source,
                    into: into_slot,
                    subfields: Vec::new(),
                });
            }
        }
    }
    // `unnest ... into x` fills `x.a.b` fields that later commands name.
    let names_snapshot = c.names.clone();
    for stage in &mut stages {
        if let Stage::Unnest { into, subfields, .. } = stage {
            let prefix = format!("{}.", names_snapshot[*into]);
            *subfields = names_snapshot
                .iter()
                .enumerate()
                .filter_map(|(i, n)| n.strip_prefix(&prefix).map(|rest| (rest.to_owned(), i)))
                .collect();
        }
    }
    let columns = match display {
        Some(d) => d,
        None if explicit_fields => columns.into_iter().chain(created).collect(),
        None => {
            let mut cols = vec![c.read_slot("@timestamp"), c.read_slot("@message")];
            cols.extend(created);
            cols
        }
    };
    let mut columns_dedup = Vec::new();
    for col in columns {
        if !columns_dedup.contains(&col) {
            columns_dedup.push(col);
        }
    }
    let system_names = ["@timestamp", "@message", "@logStream", "@log", "@ingestionTime"];
    let find = |c: &Compiler<'_>, n: &str| c.names.iter().position(|x| x == n);
    let mut system = SystemSlots {
        timestamp: find(&c, "@timestamp"),
        message: find(&c, "@message"),
        log_stream: find(&c, "@logStream"),
        log: find(&c, "@log"),
        ingestion_time: find(&c, "@ingestionTime"),
        request_time: None,
    };
    if needs_timestamp && system.timestamp.is_none() {
        system.timestamp = Some(c.slot("@timestamp"));
    }
    if system.timestamp.is_some() {
        system.request_time = Some((c.read_slot("requestTimeEpoch"), c.read_slot("requestTime")));
    }
    let wanted = c
        .read
        .iter()
        .filter(|n| !system_names.contains(&n.as_str()))
        .map(|n| (n.clone(), c.names.iter().position(|x| x == n).unwrap_or(0)))
        .collect();
    let split = stages.iter().position(Stage::is_barrier).unwrap_or(stages.len());
    Ok(Plan {
        names: c.names,
        system,
        scanner: FieldScanner::new(wanted),
        stages,
        split,
        columns: columns_dedup,
        has_limit,
        read_names: c.read,
    })
}
