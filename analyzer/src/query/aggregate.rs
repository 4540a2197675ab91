//! `stats`: aggregate functions and the per-group table. Each worker fills its own [`GroupTable`]; tables merge
//! exactly (counts add, percentile value-count maps add, standard deviations combine with Chan's formula), so one
//! worker and N workers give the same answer. Memory grows with the number of groups and, for `pct` and
//! `count_distinct`, with the number of distinct values per group — never with the number of lines.

use rustc_hash::{FxHashMap, FxHashSet};

use super::expr::CExpr;
use super::value::{decode_key, encode_key, sort_order, SortKey, Val};

/// An aggregate function of `stats` (page "stats", section "Functions to use with stats").
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AggKind {
    /// `count(*)` / `count()`: every row.
    CountStar,
    /// `count(e)`: rows where `e` is not null.
    Count,
    /// `count_distinct(e)`: distinct non-null values (exact).
    CountDistinct,
    /// `sum(e)`
    Sum,
    /// `avg(e)`
    Avg,
    /// `min(e)`
    Min,
    /// `max(e)`
    Max,
    /// `pct(e, p)` / `percentile(e, p)`: exact nearest-rank percentile.
    Pct(f64),
    /// `stddev(e)`: sample standard deviation.
    Stddev,
    /// `earliest(e)`: `e` of the row with the smallest `@timestamp`.
    Earliest,
    /// `latest(e)`: `e` of the row with the largest `@timestamp`.
    Latest,
    /// `sortsFirst(e)`: the value that sorts first.
    SortsFirst,
    /// `sortsLast(e)`: the value that sorts last.
    SortsLast,
}

impl AggKind {
    /// The aggregate with this name and its (minimum, maximum) argument count.
    pub fn lookup(name: &str) -> Option<(AggKind, usize, usize)> {
        Some(match name.to_ascii_lowercase().as_str() {
            "count" => (AggKind::Count, 0, 1),
            "count_distinct" => (AggKind::CountDistinct, 1, 1),
            "sum" => (AggKind::Sum, 1, 1),
            "avg" => (AggKind::Avg, 1, 1),
            "min" => (AggKind::Min, 1, 1),
            "max" => (AggKind::Max, 1, 1),
            "pct" | "percentile" => (AggKind::Pct(0.0), 2, 2),
            "stddev" => (AggKind::Stddev, 1, 1),
            "earliest" => (AggKind::Earliest, 1, 1),
            "latest" => (AggKind::Latest, 1, 1),
            "sortsfirst" => (AggKind::SortsFirst, 1, 1),
            "sortslast" => (AggKind::SortsLast, 1, 1),
            _ => return None,
        })
    }
}

/// One compiled aggregate: what it computes, over which expression, into which slot.
#[derive(Debug, Clone)]
pub struct AggSpec {
    /// The function.
    pub kind: AggKind,
    /// Its argument (`None` for `count(*)`).
    pub arg: Option<CExpr>,
    /// The output slot.
    pub slot: usize,
}

/// A compiled `stats` command.
#[derive(Debug, Clone)]
pub struct StatsSpec {
    /// The aggregates.
    pub aggs: Vec<AggSpec>,
    /// The `by` expressions and their output slots.
    pub by: Vec<(CExpr, usize)>,
    /// The `@timestamp` slot, for `earliest`/`latest`.
    pub timestamp: Option<usize>,
}

#[derive(Debug, Clone)]
enum State {
    Count(u64),
    Distinct(FxHashSet<Box<[u8]>>),
    Sum { sum: f64, n: u64, exact: Option<i128> },
    Min(Option<f64>),
    Max(Option<f64>),
    Pct(FxHashMap<u64, u64>),
    Stddev(Box<Moments>),
    ByTime(Option<(i64, Val<'static>)>),
    Sorts(Option<Val<'static>>),
}

/// Count, running mean and squared deviations (Welford), plus exact integer sums while the inputs are integers.
#[derive(Debug, Clone)]
struct Moments {
    n: u64,
    mean: f64,
    m2: f64,
    exact: Option<(i128, i128)>,
}

impl State {
    fn new(kind: AggKind) -> State {
        match kind {
            AggKind::CountStar | AggKind::Count => State::Count(0),
            AggKind::CountDistinct => State::Distinct(FxHashSet::default()),
            AggKind::Sum | AggKind::Avg => State::Sum {
                sum: 0.0,
                n: 0,
                exact: Some(0),
            },
            AggKind::Min => State::Min(None),
            AggKind::Max => State::Max(None),
            AggKind::Pct(_) => State::Pct(FxHashMap::default()),
            AggKind::Stddev => State::Stddev(Box::new(Moments {
                n: 0,
                mean: 0.0,
                m2: 0.0,
                exact: Some((0, 0)),
            })),
            AggKind::Earliest | AggKind::Latest => State::ByTime(None),
            AggKind::SortsFirst | AggKind::SortsLast => State::Sorts(None),
        }
    }

    fn update(&mut self, kind: AggKind, value: Option<Val<'_>>, ts: Option<i64>, scratch: &mut Vec<u8>) {
        let value = match value {
            None => {
                if let State::Count(n) = self {
                    *n += 1;
                }
                return;
            }
            Some(Val::Null) => return,
            Some(v) => v,
        };
        match self {
            State::Count(n) => *n += 1,
            State::Distinct(set) => {
                scratch.clear();
                encode_key(&value, scratch);
                if !set.contains(scratch.as_slice()) {
                    set.insert(scratch.as_slice().into());
                }
            }
            State::Sum { sum, n, exact } => {
                if let Some(x) = value.as_num() {
                    *sum += x;
                    *n += 1;
                    *exact = exact.zip(integral(x)).and_then(|(s, i)| s.checked_add(i));
                }
            }
            State::Min(m) => {
                if let Some(x) = value.as_num() {
                    *m = Some(m.map_or(x, |m| m.min(x)));
                }
            }
            State::Max(m) => {
                if let Some(x) = value.as_num() {
                    *m = Some(m.map_or(x, |m| m.max(x)));
                }
            }
            State::Pct(map) => {
                if let Some(x) = value.as_num() {
                    let x = if x == 0.0 { 0.0 } else { x };
                    *map.entry(x.to_bits()).or_insert(0) += 1;
                }
            }
            State::Stddev(moments) => {
                let Moments { n, mean, m2, exact } = &mut **moments;
                if let Some(x) = value.as_num() {
                    *exact = exact
                        .zip(integral(x))
                        .and_then(|((s, q), i)| Some((s.checked_add(i)?, q.checked_add(i * i)?)));
                    *n += 1;
                    let delta = x - *mean;
                    *mean += delta / *n as f64;
                    *m2 += delta * (x - *mean);
                }
            }
            State::ByTime(best) => {
                let Some(ts) = ts else { return };
                let better = match best {
                    None => true,
                    // Ties go to the value that sorts first (earliest) or last (latest), so the answer does not
                    // depend on which worker saw which row.
                    Some((t, v)) => match (kind, ts.cmp(t)) {
                        (AggKind::Earliest, std::cmp::Ordering::Equal) => sort_order(&value, v).is_lt(),
                        (_, std::cmp::Ordering::Equal) => sort_order(&value, v).is_gt(),
                        (AggKind::Earliest, o) => o.is_lt(),
                        (_, o) => o.is_gt(),
                    },
                };
                if better {
                    *best = Some((ts, value.into_owned()));
                }
            }
            State::Sorts(best) => {
                let better = match best {
                    None => true,
                    Some(b) => {
                        let ord = sort_order(&value, b);
                        if kind == AggKind::SortsFirst {
                            ord.is_lt()
                        } else {
                            ord.is_gt()
                        }
                    }
                };
                if better {
                    *best = Some(value.into_owned());
                }
            }
        }
    }

    fn merge(&mut self, kind: AggKind, other: State) {
        match (self, other) {
            (State::Count(a), State::Count(b)) => *a += b,
            (State::Distinct(a), State::Distinct(b)) => a.extend(b),
            (
                State::Sum { sum, n, exact },
                State::Sum {
                    sum: s2,
                    n: n2,
                    exact: e2,
                },
            ) => {
                *sum += s2;
                *n += n2;
                *exact = exact.zip(e2).and_then(|(a, b)| a.checked_add(b));
            }
            (State::Min(a), State::Min(b)) => *a = opt_fold(*a, b, f64::min),
            (State::Max(a), State::Max(b)) => *a = opt_fold(*a, b, f64::max),
            (State::Pct(a), State::Pct(b)) => {
                for (k, c) in b {
                    *a.entry(k).or_insert(0) += c;
                }
            }
            (State::Stddev(mine), State::Stddev(theirs)) => {
                let Moments { n, mean, m2, exact } = &mut **mine;
                let Moments {
                    n: n2,
                    mean: mean2,
                    m2: m22,
                    exact: e2,
                } = *theirs;
                *exact = exact
                    .zip(e2)
                    .and_then(|((s, q), (s2, q2))| Some((s.checked_add(s2)?, q.checked_add(q2)?)));
                if n2 == 0 {
                    return;
                }
                let total = *n + n2;
                let delta = mean2 - *mean;
                *m2 += m22 + delta * delta * (*n as f64) * (n2 as f64) / total as f64;
                *mean += delta * n2 as f64 / total as f64;
                *n = total;
            }
            (this @ State::ByTime(_), State::ByTime(Some((t, v)))) => {
                this.update(kind, Some(v), Some(t), &mut Vec::new())
            }
            (this @ State::Sorts(_), State::Sorts(Some(v))) => this.update(kind, Some(v), None, &mut Vec::new()),
            _ => {}
        }
    }

    fn finish(self, kind: AggKind) -> Val<'static> {
        match self {
            State::Count(n) => Val::Num(n as f64),
            State::Distinct(set) => Val::Num(set.len() as f64),
            State::Sum { sum, n, exact } => {
                let sum = exact.map_or(sum, |e| e as f64);
                match (kind, n) {
                    (_, 0) => Val::Null,
                    (AggKind::Avg, n) => Val::Num(sum / n as f64),
                    _ => Val::Num(sum),
                }
            }
            State::Min(m) | State::Max(m) => m.map_or(Val::Null, Val::Num),
            State::Pct(map) => {
                let AggKind::Pct(p) = kind else { return Val::Null };
                exact_percentile(map, p).map_or(Val::Null, Val::Num)
            }
            State::Stddev(moments) => match (moments.n, moments.exact) {
                (0, _) => Val::Null,
                (1, _) => Val::Num(0.0),
                // Integer inputs: n·Σx² − (Σx)² is exact, so the answer does not depend on how rows were split.
                (n, exact) => match exact.and_then(|(s, q)| exact_variance(n, s, q)) {
                    Some(variance) => Val::Num(variance.sqrt()),
                    None => Val::Num((moments.m2 / (n - 1) as f64).sqrt()),
                },
            },
            State::ByTime(best) => best.map_or(Val::Null, |(_, v)| v),
            State::Sorts(best) => best.unwrap_or(Val::Null),
        }
    }
}

/// The sample variance from exact integer sums, when the arithmetic fits in `i128`.
fn exact_variance(n: u64, sum: i128, sumsq: i128) -> Option<f64> {
    let n = i128::from(n);
    let numerator = n.checked_mul(sumsq)?.checked_sub(sum.checked_mul(sum)?)?;
    Some(numerator as f64 / n.checked_mul(n - 1)? as f64)
}

/// `x` as an integer when doubles hold it exactly: the exact path of sums and deviations (sums use checked
/// arithmetic and fall back to floating point past `i128`).
fn integral(x: f64) -> Option<i128> {
    (x.fract() == 0.0 && x.abs() < 9e15).then_some(x as i128)
}

fn opt_fold(a: Option<f64>, b: Option<f64>, f: fn(f64, f64) -> f64) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(f(a, b)),
        (a, b) => a.or(b),
    }
}

/// The exact percentile `p` (0–100) of values given as `bits → count`, by the nearest-rank rule: sort the `n`
/// values, take the one at 1-based rank `ceil(p / 100 × n)` (rank 1 when that is 0). `pct(x, 50)` of 1..=10 is 5,
/// `pct(x, 99)` of 1..=1000 is 990, `pct(x, 100)` is the maximum.
pub fn exact_percentile(map: FxHashMap<u64, u64>, p: f64) -> Option<f64> {
    let total: u64 = map.values().sum();
    if total == 0 {
        return None;
    }
    let mut values: Vec<(f64, u64)> = map.into_iter().map(|(bits, c)| (f64::from_bits(bits), c)).collect();
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let rank = ((p.clamp(0.0, 100.0) / 100.0) * total as f64).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (value, count) in &values {
        seen += count;
        if seen >= rank {
            return Some(*value);
        }
    }
    values.last().map(|(v, _)| *v)
}

/// A finished group: its sort keys, its encoded key and its row.
type Keyed = (Vec<SortKey>, Box<[u8]>, Vec<Val<'static>>);

struct Group {
    key: Box<[u8]>,
    states: Vec<State>,
}

/// Groups and their aggregate states for one `stats` command.
#[derive(Default)]
pub struct GroupTable {
    index: FxHashMap<Box<[u8]>, usize>,
    groups: Vec<Group>,
    key: Vec<u8>,
    scratch: Vec<u8>,
}

impl GroupTable {
    /// Adds one row.
    pub fn update(&mut self, spec: &StatsSpec, row: &[Val<'_>]) {
        self.key.clear();
        for (expr, _) in &spec.by {
            encode_key(&expr.eval(row), &mut self.key);
        }
        let index = match self.index.get(self.key.as_slice()) {
            Some(&i) => i,
            None => self.insert(spec),
        };
        let ts = spec.timestamp.and_then(|slot| row.get(slot)).and_then(Val::as_millis);
        let group = &mut self.groups[index];
        for (agg, state) in spec.aggs.iter().zip(group.states.iter_mut()) {
            let value = agg.arg.as_ref().map(|e| e.eval(row));
            state.update(agg.kind, value, ts, &mut self.scratch);
        }
    }

    fn insert(&mut self, spec: &StatsSpec) -> usize {
        let key: Box<[u8]> = self.key.as_slice().into();
        let states = spec.aggs.iter().map(|a| State::new(a.kind)).collect();
        self.groups.push(Group {
            key: key.clone(),
            states,
        });
        self.index.insert(key, self.groups.len() - 1);
        self.groups.len() - 1
    }

    /// Folds another table (another worker's) into this one.
    pub fn merge(&mut self, spec: &StatsSpec, other: GroupTable) {
        // The other table's index goes first: only its groups are needed.
        let GroupTable { groups, .. } = other;
        for group in groups {
            match self.index.get(&group.key) {
                Some(&i) => {
                    let mine = &mut self.groups[i];
                    for ((agg, state), theirs) in spec.aggs.iter().zip(mine.states.iter_mut()).zip(group.states) {
                        state.merge(agg.kind, theirs);
                    }
                }
                None => {
                    self.index.insert(group.key.clone(), self.groups.len());
                    self.groups.push(group);
                }
            }
        }
    }

    /// The number of groups so far.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The result rows (`width` slots each), ordered by the `by` values ascending in Insights' sort order. A
    /// `stats` without `by` over no rows gives one row (counts 0, other aggregates empty).
    pub fn finish(mut self, spec: &StatsSpec, width: usize) -> Vec<Vec<Val<'static>>> {
        if self.groups.is_empty() && spec.by.is_empty() {
            self.groups.push(Group {
                key: Box::new([]),
                states: spec.aggs.iter().map(|a| State::new(a.kind)).collect(),
            });
        }
        // The index is no longer needed; free it before the rows are built.
        let GroupTable { groups, .. } = self;
        let mut keyed: Vec<Keyed> = groups
            .into_iter()
            .map(|group| {
                let mut row = vec![Val::Null; width];
                for ((_, slot), value) in spec.by.iter().zip(decode_key(&group.key)) {
                    row[*slot] = value;
                }
                for (agg, state) in spec.aggs.iter().zip(group.states) {
                    row[agg.slot] = state.finish(agg.kind);
                }
                let keys = spec.by.iter().map(|(_, slot)| SortKey::of(&row[*slot])).collect();
                (keys, group.key, row)
            })
            .collect();
        // Keys that sort equal ("200" and 200) fall back to their encoding, so the order never depends on which
        // worker saw a group first.
        keyed.sort_by(|(a, ka, _), (b, kb, _)| {
            a.iter()
                .zip(b)
                .map(|(x, y)| x.order(y))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| ka.cmp(kb))
        });
        keyed.into_iter().map(|(_, _, row)| row).collect()
    }
}
