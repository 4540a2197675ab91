//! The commands after the first barrier, run once on owned rows in input order: `sort` (keeping only the top rows
//! when a `limit` or the default cap follows), `limit` (which stops reading early when nothing before it needs
//! every row), `dedup`, a `stats` after `sort`/`limit` or a second `stats`, and per-row commands.

use std::cmp::Ordering;

use rustc_hash::FxHashSet;

use super::aggregate::GroupTable;
use super::output::RowWriter;
use super::plan::{Plan, Stage, DEFAULT_LIMIT};
use super::stages::{run_stages, RowSink};
use super::value::{encode_key, SortKey, Val};

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
        buffered: Option<Latest>,
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
                Stage::Dedup { keys, sorted } => {
                    // Only `limit` may follow `dedup`, so no more rows than it (or the default cap) are kept.
                    let cap = match stages.get(index + 1) {
                        Some(Stage::Limit(n)) => *n,
                        _ => DEFAULT_LIMIT,
                    };
                    Op::Dedup {
                        keys: keys.clone(),
                        seen: FxHashSet::default(),
                        buffered: (!sorted).then(|| Latest {
                            cap,
                            ..Latest::default()
                        }),
                    }
                }
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
                let ts = plan.system.timestamp.and_then(|t| row[t].as_millis());
                if keys.iter().any(|k| row[*k].is_null()) {
                    return match buffered {
                        Some(b) => {
                            b.push_null(ts, row);
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
                        b.push_keyed(&self.scratch, ts, row);
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
                Op::Dedup { buffered: Some(b), .. } => std::mem::take(b).finish(),
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

/// `dedup` without a `sort` before it: Insights' default order is `@timestamp` descending (page "dedup"), so each
/// key keeps its latest row (the first one seen among equal times), rows with a null key are all kept, and only
/// the `cap` latest rows can be shown.
#[derive(Default)]
struct Latest {
    best: rustc_hash::FxHashMap<Vec<u8>, (Option<i64>, u64, Row)>,
    nulls: Vec<(Option<i64>, u64, Row)>,
    seq: u64,
    cap: usize,
}

/// Newest first, rows without a time last, then arrival order.
fn latest_first(a: &(Option<i64>, u64, Row), b: &(Option<i64>, u64, Row)) -> Ordering {
    b.0.unwrap_or(i64::MIN)
        .cmp(&a.0.unwrap_or(i64::MIN))
        .then(a.1.cmp(&b.1))
}

impl Latest {
    fn push_keyed(&mut self, key: &[u8], ts: Option<i64>, row: Row) {
        self.seq += 1;
        let entry = (ts, self.seq, row);
        match self.best.get_mut(key) {
            Some(old) => {
                if latest_first(&entry, old).is_lt() {
                    *old = entry;
                }
            }
            None => {
                self.best.insert(key.to_vec(), entry);
            }
        }
    }

    fn push_null(&mut self, ts: Option<i64>, row: Row) {
        self.seq += 1;
        self.nulls.push((ts, self.seq, row));
        if self.nulls.len() >= self.cap.max(1024) * 2 {
            self.nulls.sort_by(latest_first);
            self.nulls.truncate(self.cap);
        }
    }

    fn finish(self) -> Vec<Row> {
        let mut rows: Vec<(Option<i64>, u64, Row)> = self.best.into_values().chain(self.nulls).collect();
        rows.sort_by(latest_first);
        rows.truncate(self.cap);
        rows.into_iter().map(|(_, _, row)| row).collect()
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
