//! The commands after the first barrier, run once on owned rows in input order: `sort` (keeping only the top rows
//! when a `limit` or the default cap follows), `limit` (which stops reading early when nothing before it needs
//! every row), `dedup`, a `stats` after `sort`/`limit` or a second `stats`, and per-row commands.

use std::cmp::Ordering;

use rustc_hash::FxHashSet;

use super::aggregate::GroupTable;
use super::output::RowWriter;
use super::plan::{Plan, Stage, DEFAULT_LIMIT};
use super::stages::{run_stages, RowSink};
use super::value::{encode_key, sort_order, SortKey, Val};

/// An owned row.
pub type Row = Vec<Val<'static>>;

enum Op {
    Row(usize),
    Sort {
        stage: usize,
        buf: Vec<(Vec<SortKey>, Row)>,
        cap: Option<usize>,
    },
    Limit {
        n: usize,
        seen: usize,
    },
    Dedup {
        keys: Vec<usize>,
        seen: FxHashSet<Vec<u8>>,
        buffered: Option<Vec<(Vec<u8>, Row)>>,
    },
    Stats {
        stage: usize,
        table: GroupTable,
    },
}

/// The sequential end of the pipeline, writing to a [`RowWriter`].
pub struct Tail<'p> {
    plan: &'p Plan,
    ops: Vec<Op>,
    writer: &'p mut dyn RowWriter,
    emitted: usize,
    /// Whether rows were dropped by the default 10,000-row cap.
    pub truncated: bool,
    error: Option<std::io::Error>,
    scratch: Vec<u8>,
}

struct Collect(Vec<Row>);

impl RowSink for Collect {
    fn accept<'a>(&mut self, row: &mut Vec<Val<'a>>) -> bool {
        self.0.push(row.drain(..).map(Val::into_owned).collect());
        true
    }
}

impl<'p> Tail<'p> {
    /// The tail for `plan.stages[from..]`.
    pub fn new(plan: &'p Plan, from: usize, writer: &'p mut dyn RowWriter) -> Tail<'p> {
        let stages = &plan.stages;
        let mut ops = Vec::new();
        for (index, stage) in stages.iter().enumerate().skip(from) {
            ops.push(match stage {
                Stage::Sort(_) => {
                    let mut cap = (!plan.has_limit).then_some(DEFAULT_LIMIT);
                    for later in &stages[index + 1..] {
                        match later {
                            Stage::Assign(_) => {}
                            Stage::Limit(n) => {
                                cap = Some(*n);
                                break;
                            }
                            _ => {
                                cap = None;
                                break;
                            }
                        }
                    }
                    Op::Sort {
                        stage: index,
                        buf: Vec::new(),
                        cap,
                    }
                }
                Stage::Limit(n) => Op::Limit { n: *n, seen: 0 },
                Stage::Dedup { keys, sorted } => Op::Dedup {
                    keys: keys.clone(),
                    seen: FxHashSet::default(),
                    buffered: (!sorted).then(Vec::new),
                },
                Stage::Stats(_) => Op::Stats {
                    stage: index,
                    table: GroupTable::default(),
                },
                _ => Op::Row(index),
            });
        }
        Tail {
            plan,
            ops,
            writer,
            emitted: 0,
            truncated: false,
            error: None,
            scratch: Vec::new(),
        }
    }

    /// Pushes one row in at the start; `false` when no more rows are wanted.
    pub fn push(&mut self, row: Row) -> bool {
        self.push_at(0, row)
    }

    fn push_at(&mut self, i: usize, mut row: Row) -> bool {
        if self.error.is_some() {
            return false;
        }
        let plan = self.plan;
        let Some(op) = self.ops.get_mut(i) else {
            return self.emit(row);
        };
        match op {
            Op::Row(stage) => {
                let mut out = Collect(Vec::new());
                run_stages(std::slice::from_ref(&plan.stages[*stage]), &mut row, &mut out);
                for r in out.0 {
                    if !self.push_at(i + 1, r) {
                        return false;
                    }
                }
                true
            }
            Op::Sort { stage, buf, cap } => {
                let Stage::Sort(keys) = &plan.stages[*stage] else {
                    return true;
                };
                let key: Vec<SortKey> = keys.iter().map(|(e, _)| SortKey::of(&e.eval(&row))).collect();
                buf.push((key, row));
                if let Some(cap) = *cap {
                    if buf.len() >= cap.max(1024) * 2 {
                        sort_rows(keys, buf);
                        buf.truncate(cap);
                    }
                }
                true
            }
            Op::Limit { n, seen } => {
                if *seen >= *n {
                    return false;
                }
                *seen += 1;
                let last = *seen == *n;
                self.push_at(i + 1, row) && !last
            }
            Op::Dedup { keys, seen, buffered } => {
                if keys.iter().any(|k| row[*k].is_null()) {
                    return match buffered {
                        Some(b) => {
                            b.push((Vec::new(), row));
                            true
                        }
                        None => self.push_at(i + 1, row),
                    };
                }
                self.scratch.clear();
                for k in keys.iter() {
                    encode_key(&row[*k], &mut self.scratch);
                }
                match buffered {
                    None => {
                        if seen.insert(self.scratch.clone()) {
                            return self.push_at(i + 1, row);
                        }
                        true
                    }
                    Some(b) => {
                        b.push((self.scratch.clone(), row));
                        true
                    }
                }
            }
            Op::Stats { stage, table } => {
                if let Stage::Stats(spec) = &plan.stages[*stage] {
                    table.update(spec, &row);
                }
                true
            }
        }
    }

    fn emit(&mut self, row: Row) -> bool {
        let limit = if self.plan.has_limit { usize::MAX } else { DEFAULT_LIMIT };
        if self.emitted >= limit {
            self.truncated = true;
            return false;
        }
        self.emitted += 1;
        if let Err(e) = self.writer.write(&row) {
            self.error = Some(e);
            return false;
        }
        true
    }

    /// Flushes the buffering commands in order and finishes the output; returns the rows written.
    pub fn finish(mut self) -> std::io::Result<usize> {
        let plan = self.plan;
        for i in 0..self.ops.len() {
            let rows: Vec<Row> = match &mut self.ops[i] {
                Op::Sort { stage, buf, cap } => {
                    let Stage::Sort(keys) = &plan.stages[*stage] else {
                        continue;
                    };
                    let mut buf = std::mem::take(buf);
                    sort_rows(keys, &mut buf);
                    if let Some(cap) = *cap {
                        buf.truncate(cap);
                    }
                    buf.into_iter().map(|(_, row)| row).collect()
                }
                Op::Dedup {
                    buffered: Some(b),
                    seen,
                    ..
                } => {
                    let ts = plan.system.timestamp;
                    let mut rows = std::mem::take(b);
                    // Insights' default order before dedup: @timestamp descending (page "dedup").
                    rows.sort_by(|a, b| match ts {
                        Some(t) => sort_order(&b.1[t], &a.1[t]).then(Ordering::Equal),
                        None => Ordering::Equal,
                    });
                    let mut out = Vec::new();
                    for (key, row) in rows {
                        if key.is_empty() || seen.insert(key) {
                            out.push(row);
                        }
                    }
                    out
                }
                Op::Stats { stage, table } => {
                    let Stage::Stats(spec) = &plan.stages[*stage] else {
                        continue;
                    };
                    std::mem::take(table).finish(spec, plan.names.len())
                }
                _ => continue,
            };
            for row in rows {
                if !self.push_at(i + 1, row) {
                    break;
                }
            }
        }
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.writer.finish()?;
        Ok(self.emitted)
    }
}

fn sort_rows(keys: &[(super::expr::CExpr, bool)], buf: &mut [(Vec<SortKey>, Row)]) {
    buf.sort_by(|(a, _), (b, _)| {
        for (i, (_, desc)) in keys.iter().enumerate() {
            let (x, y) = (&a[i], &b[i]);
            // Nulls stay last in both directions.
            let ord = match (x, y) {
                (SortKey::Null, _) | (_, SortKey::Null) => x.order(y),
                _ if *desc => y.order(x),
                _ => x.order(y),
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    });
}
