//! The statistics the canary judge needs, written out so that every step can be checked: the normal
//! distribution, R-7 percentiles, Tukey's IQR fences, the Mann-Whitney U test (normal approximation with tie
//! and continuity corrections, as `scipy.stats.mannwhitneyu(method="asymptotic")`) and the Hodges-Lehmann
//! shift estimate with its confidence interval, found as Kayenta's `MannWhitney.scala` (and R's
//! `wilcox.test(conf.int = TRUE, exact = FALSE)`) find it: by inverting the corrected rank-sum statistic.
//!
//! Every function takes finite values; callers drop NaN and infinities when they read the logs.

use std::cmp::Ordering;
use std::f64::consts::{FRAC_1_SQRT_2, PI};

#[cfg(test)]
mod tests;

/// `P(Z > z)` for a standard normal `Z`, accurate to about 1e-15 relative error in both tails.
#[must_use]
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z * FRAC_1_SQRT_2)
}

/// The `p` quantile of the standard normal distribution (`norm.ppf`), for `0 < p < 1`; `-inf` / `+inf` at
/// the ends. Found by bisection on [`normal_sf`], so it is as accurate as that.
#[must_use]
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    // P(Z <= z) = sf(-z) is increasing in z.
    let (mut lo, mut hi) = (-40.0_f64, 40.0_f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if normal_sf(-mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The complementary error function: a positive-term series for `erf` below 2.5, Laplace's continued
/// fraction above (both converge fast there and neither cancels).
fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.5 {
        // erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_{n>=0} 2^n x^(2n+1) / (1*3*...*(2n+1))
        let mut term = x;
        let mut sum = x;
        let mut n = 0.0;
        while term > sum * 1e-17 {
            n += 1.0;
            term *= 2.0 * x * x / (2.0 * n + 1.0);
            sum += term;
        }
        1.0 - 2.0 / PI.sqrt() * (-x * x).exp() * sum
    } else {
        // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated backwards.
        let mut tail = x;
        for k in (1..=120).rev() {
            tail = x + f64::from(k) / 2.0 / tail;
        }
        (-x * x).exp() / PI.sqrt() / tail
    }
}

/// Sorts a copy of `values` (total order; the values are finite).
#[must_use]
pub fn sorted(values: &[f64]) -> Vec<f64> {
    let mut out = values.to_vec();
    out.sort_by(f64::total_cmp);
    out
}

/// The `p`th percentile (`0..=100`) of sorted values, R-7 / numpy's default linear interpolation (Kayenta's
/// `DescriptiveStatistics.percentile`); `None` for no values.
#[must_use]
pub fn percentile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let h = (last as f64) * (p / 100.0).clamp(0.0, 1.0);
    let below = h.floor();
    // `below` is in 0..=last, so the casts are exact.
    let i = below as usize;
    let lower = sorted[i];
    let upper = sorted[(i + 1).min(last)];
    Some(lower + (h - below) * (upper - lower))
}

/// The arithmetic mean; `None` for no values.
#[must_use]
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// Kayenta's effect size `meanRatio`: the canary's mean over the baseline's, `None` when either mean is zero
/// (or a side is empty), in which case the effect size is not compared.
#[must_use]
pub fn mean_ratio(baseline: &[f64], canary: &[f64]) -> Option<f64> {
    let (b, c) = (mean(baseline)?, mean(canary)?);
    (b != 0.0 && c != 0.0).then(|| c / b)
}

/// The outlier fences of Tukey's test: `Q1 - factor * IQR` and `Q3 + factor * IQR` with R-7 quartiles. With
/// `reduce_sensitivity` (what Kayenta's judge uses) the fences are widened to at least the 1st and 99th
/// percentiles, so at most the extreme 1% on each side can go. `None` for no values.
#[must_use]
pub fn iqr_fences(values: &[f64], factor: f64, reduce_sensitivity: bool) -> Option<(f64, f64)> {
    let data = sorted(values);
    let q1 = percentile_sorted(&data, 25.0)?;
    let q3 = percentile_sorted(&data, 75.0)?;
    let iqr = q3 - q1;
    let (mut lower, mut upper) = (q1 - factor * iqr, q3 + factor * iqr);
    if reduce_sensitivity {
        lower = lower.min(percentile_sorted(&data, 1.0)?);
        upper = upper.max(percentile_sorted(&data, 99.0)?);
    }
    Some((lower, upper))
}

/// `values` without the ones outside [`iqr_fences`], in their original order.
#[must_use]
pub fn remove_outliers(values: &[f64], factor: f64, reduce_sensitivity: bool) -> Vec<f64> {
    match iqr_fences(values, factor, reduce_sensitivity) {
        Some((lower, upper)) => values.iter().copied().filter(|v| (lower..=upper).contains(v)).collect(),
        None => Vec::new(),
    }
}

/// The result of a two-sided Mann-Whitney U test of `canary` against `baseline`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// The U statistic of the canary sample (the number of (canary, baseline) pairs where the canary value is
    /// larger, ties counting one half); `scipy`'s `statistic` with the canary as `x`.
    pub u: f64,
    /// The continuity-corrected z score of `max(U, n1*n2 - U)`.
    pub z: f64,
    /// The two-sided p-value: exact for small samples without ties (see [`mann_whitney`]), else from the
    /// normal approximation with tie and continuity corrections; 1 when every value is tied.
    pub p_value: f64,
    /// Whether `p_value` is exact.
    pub exact: bool,
}

/// Samples up to this size get an exact p-value when the other has at most [`EXACT_MAX_SMALL`] values.
const EXACT_MAX_LARGE: usize = 1000;
/// scipy's `method="auto"` threshold for the smaller sample.
const EXACT_MAX_SMALL: usize = 8;

/// Runs the two-sided Mann-Whitney U test. As `scipy.stats.mannwhitneyu(canary, baseline)` (`method="auto"`):
/// without ties and with at most 8 values on a side (and at most 1000 on the other), the exact null
/// distribution of U; otherwise the normal approximation with the tie correction of the variance and a
/// continuity correction of 0.5 (`method="asymptotic"`). `None` when a side is empty.
#[must_use]
pub fn mann_whitney(baseline: &[f64], canary: &[f64]) -> Option<MannWhitney> {
    if baseline.is_empty() || canary.is_empty() {
        return None;
    }
    let ranks = RankSums::new(&sorted(canary), &sorted(baseline), 0.0);
    let (n1, n2) = (canary.len() as f64, baseline.len() as f64);
    let u = ranks.x_rank_sum - n1 * (n1 + 1.0) / 2.0;
    let u_max = u.max(n1 * n2 - u);
    let sigma = ranks.sigma(n1, n2);
    if sigma == 0.0 {
        return Some(MannWhitney {
            u,
            z: 0.0,
            p_value: 1.0,
            exact: false,
        });
    }
    let z = (u_max - n1 * n2 / 2.0 - 0.5) / sigma;
    let (small, large) = (canary.len().min(baseline.len()), canary.len().max(baseline.len()));
    if ranks.ties == 0.0 && small <= EXACT_MAX_SMALL && large <= EXACT_MAX_LARGE {
        let p_value = (2.0 * exact_sf(u_max, large, small)).min(1.0);
        return Some(MannWhitney {
            u,
            z,
            p_value,
            exact: true,
        });
    }
    Some(MannWhitney {
        u,
        z,
        p_value: (2.0 * normal_sf(z)).min(1.0),
        exact: false,
    })
}

/// `P(U >= u)` under the null hypothesis for samples of `m` and `n` values without ties, from the counts
/// `c(m, n, k)` of arrangements with `U = k`: `c(m, n, k) = c(m - 1, n, k - n) + c(m, n - 1, k)`, `c(0, n, 0) =
/// c(m, 0, 0) = 1` (Mann & Whitney 1947). The counts are symmetric in `m` and `n`; the memory is
/// `O(n * m * n)`, so pass the smaller sample as `n`.
fn exact_sf(u: f64, m: usize, n: usize) -> f64 {
    // previous[j] holds the counts for (i - 1, j), current[j] those for (i, j); each is indexed by k.
    let mut previous: Vec<Vec<f64>> = (0..=n).map(|_| vec![1.0]).collect();
    for i in 1..=m {
        let mut current: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
        current.push(vec![1.0]);
        for j in 1..=n {
            let mut counts = vec![0.0; i * j + 1];
            // U = k with the largest value from the m-sample: it beats all j values of the other sample.
            for (k, count) in previous[j].iter().enumerate() {
                counts[k + j] += count;
            }
            // ... or from the n-sample: it beats nothing.
            for (k, count) in current[j - 1].iter().enumerate() {
                counts[k] += count;
            }
            current.push(counts);
        }
        previous = current;
    }
    let counts = &previous[n];
    let total: f64 = counts.iter().sum();
    // U is a whole number here (no ties); `ceil` guards against a value a hair below it.
    let from = (u - 1e-9).ceil().max(0.0) as usize;
    counts.iter().skip(from).sum::<f64>() / total
}

/// The Hodges-Lehmann estimate of the location shift `canary - baseline` with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shift {
    /// The estimate (about the median of all pairwise differences `canary_i - baseline_j`).
    pub estimate: f64,
    /// The lower end of the confidence interval.
    pub lower: f64,
    /// The upper end of the confidence interval.
    pub upper: f64,
}

/// Estimates the shift `canary - baseline` and its two-sided `confidence` interval by inverting the
/// normal-approximation rank-sum test, as Kayenta's `MannWhitney.calculateConfidenceInterval` does: the
/// interval ends are the shifts `mu` at which the corrected statistic of `canary - mu` against `baseline`
/// equals `±z(1 - alpha/2)`, the estimate the shift at which it is zero, each searched between
/// `min(canary) - max(baseline)` and `max(canary) - min(baseline)` (an end is clamped there when the
/// statistic never reaches the quantile). The statistic is a step function of `mu`; where it equals the
/// target on an interval, the midpoint is taken (for the estimate, the median of the pairwise differences).
/// `None` when a side is empty.
#[must_use]
pub fn hodges_lehmann(baseline: &[f64], canary: &[f64], confidence: f64) -> Option<Shift> {
    let x = sorted(canary);
    let y = sorted(baseline);
    let mu_min = x.first()? - y.last()?;
    let mu_max = x.last()? - y.first()?;
    let quantile = normal_quantile(1.0 - (1.0 - confidence) / 2.0);
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    let diff = |mu: f64, q: f64| -> f64 {
        let ranks = RankSums::new(&x, &y, mu);
        let dz = ranks.x_rank_sum - n1 * (n1 + 1.0) / 2.0 - n1 * n2 / 2.0;
        let sigma = ranks.sigma(n1, n2);
        if sigma == 0.0 {
            // Every value tied: the statistic is exactly zero here.
            return -q;
        }
        let correction = if dz > 0.0 {
            0.5
        } else if dz < 0.0 {
            -0.5
        } else {
            0.0
        };
        (dz - correction) / sigma - q
    };
    let root = |q: f64| -> f64 {
        if mu_min >= mu_max || diff(mu_min, q) <= 0.0 {
            return mu_min;
        }
        if diff(mu_max, q) >= 0.0 {
            return mu_max;
        }
        // The statistic is non-increasing in mu: find where it stops being > 0 and where it starts being < 0.
        // Both boundaries are jumps of the step function, i.e. pairwise differences: snap them there so that
        // an end is exactly, say, 0 rather than 1e-17 either side of it.
        let snap = |mu: f64| {
            let nearest = nearest_difference(&x, &y, mu);
            if (nearest - mu).abs() <= (mu_max - mu_min) * 1e-9 {
                nearest
            } else {
                mu
            }
        };
        let last_positive = snap(bisect(mu_min, mu_max, |mu| diff(mu, q) > 0.0));
        let first_negative = snap(bisect(mu_min, mu_max, |mu| diff(mu, q) >= 0.0));
        0.5 * (last_positive + first_negative)
    };
    let lower = root(quantile);
    let upper = root(-quantile);
    let estimate = root(0.0);
    Some(Shift { estimate, lower, upper })
}

/// The pairwise difference `x_i - y_j` nearest to `mu` (`x`, `y` sorted, not empty).
fn nearest_difference(x: &[f64], y: &[f64], mu: f64) -> f64 {
    let mut best = mu;
    let mut distance = f64::INFINITY;
    for xi in x {
        let target = xi - mu;
        let j = y.partition_point(|v| *v < target);
        for candidate in [j.checked_sub(1), Some(j)]
            .into_iter()
            .flatten()
            .filter_map(|k| y.get(k))
        {
            let d = xi - candidate;
            if (d - mu).abs() < distance {
                distance = (d - mu).abs();
                best = d;
            }
        }
    }
    best
}

/// The boundary in `[lo, hi]` between where `holds` is true (low end) and false (high end).
fn bisect(mut lo: f64, mut hi: f64, holds: impl Fn(f64) -> bool) -> f64 {
    let tolerance = (hi - lo) * 1e-13;
    while hi - lo > tolerance {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if holds(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The rank sum of the `x - mu` values in the pooled sample `x - mu`, `y` (average ranks for ties) and the
/// tie term of the variance; one merge of the two sorted slices.
struct RankSums {
    x_rank_sum: f64,
    /// `sum(t^3 - t)` over the groups of `t` tied values.
    ties: f64,
}

impl RankSums {
    fn new(x: &[f64], y: &[f64], mu: f64) -> RankSums {
        let (mut i, mut j) = (0, 0);
        let mut position = 0.0;
        let mut sums = RankSums {
            x_rank_sum: 0.0,
            ties: 0.0,
        };
        while i < x.len() || j < y.len() {
            let next_x = x.get(i).map(|v| v - mu);
            let value = match (next_x, y.get(j)) {
                (Some(a), Some(&b)) => match a.total_cmp(&b) {
                    Ordering::Greater => b,
                    _ => a,
                },
                (Some(a), None) => a,
                (None, Some(&b)) => b,
                (None, None) => break,
            };
            let mut in_x = 0.0;
            while x.get(i).is_some_and(|v| v - mu == value) {
                in_x += 1.0;
                i += 1;
            }
            let mut in_y = 0.0;
            while y.get(j).is_some_and(|v| *v == value) {
                in_y += 1.0;
                j += 1;
            }
            let t = in_x + in_y;
            sums.x_rank_sum += in_x * (position + (t + 1.0) / 2.0);
            sums.ties += t * t * t - t;
            position += t;
        }
        sums
    }

    /// The standard deviation of the rank sum under the null hypothesis, corrected for ties.
    fn sigma(&self, n1: f64, n2: f64) -> f64 {
        let n = n1 + n2;
        let variance = n1 * n2 / 12.0 * ((n + 1.0) - self.ties / (n * (n - 1.0)));
        variance.max(0.0).sqrt()
    }
}
