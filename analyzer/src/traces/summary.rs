//! What `moatctl traces` reports over a set of [`TraceSummary`]s: counts and flags, a response-time
//! histogram, the slowest traces, and counts per status and per URL; as an aligned table or as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::model::TraceSummary;

/// Upper bounds (milliseconds, inclusive) of the response-time histogram's buckets; one more bucket holds
/// the rest.
pub const BUCKET_BOUNDS_MS: [u64; 10] = [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

/// One histogram bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// Inclusive upper bound in milliseconds; `None` for the last, open bucket.
    pub le_ms: Option<u64>,
    /// Traces whose response time falls in the bucket.
    pub count: usize,
}

/// One row of the slowest-traces list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceRow {
    /// The trace id.
    pub id: String,
    /// Whole-trace duration in seconds.
    pub duration: f64,
    /// The root's response time in seconds.
    pub response_time: f64,
    /// Request method.
    pub method: Option<String>,
    /// Request URL.
    pub url: Option<String>,
    /// Response status.
    pub status: Option<u16>,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Traces that passed the filter.
    pub traces: usize,
    /// Of those, with `fault` (5xx).
    pub faults: usize,
    /// With `error` (4xx).
    pub errors: usize,
    /// With `throttle` (429).
    pub throttles: usize,
    /// With a segment still in progress.
    pub partial: usize,
    /// Response-time percentiles in seconds (nearest rank), when there are traces.
    pub response_time_p50: Option<f64>,
    /// 90th percentile.
    pub response_time_p90: Option<f64>,
    /// 99th percentile.
    pub response_time_p99: Option<f64>,
    /// Response-time histogram.
    pub histogram: Vec<Bucket>,
    /// The slowest traces by duration, slowest first.
    pub slowest: Vec<TraceRow>,
    /// Traces per response status (`-` when the root has none).
    pub by_status: BTreeMap<String, usize>,
    /// Traces per URL, most first (ties by URL), at most `top`.
    pub by_url: Vec<(String, usize)>,
}

impl Summary {
    /// Summarises `traces`, keeping `top` rows in the slowest and per-URL lists.
    pub fn of(traces: &[TraceSummary], top: usize) -> Summary {
        let mut histogram: Vec<Bucket> = BUCKET_BOUNDS_MS
            .iter()
            .map(|&le| Bucket {
                le_ms: Some(le),
                count: 0,
            })
            .chain([Bucket { le_ms: None, count: 0 }])
            .collect();
        let mut by_status = BTreeMap::new();
        let mut urls: BTreeMap<&str, usize> = BTreeMap::new();
        for trace in traces {
            let ms = trace.response_time * 1000.0;
            let index = BUCKET_BOUNDS_MS
                .iter()
                .position(|&le| ms <= le as f64)
                .unwrap_or(BUCKET_BOUNDS_MS.len());
            if let Some(bucket) = histogram.get_mut(index) {
                bucket.count += 1;
            }
            *by_status
                .entry(trace.status.map_or_else(|| "-".to_owned(), |s| s.to_string()))
                .or_insert(0) += 1;
            *urls.entry(trace.url.as_deref().unwrap_or("-")).or_insert(0) += 1;
        }
        let mut by_url: Vec<(String, usize)> = urls.into_iter().map(|(url, n)| (url.to_owned(), n)).collect();
        by_url.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        by_url.truncate(top);
        let mut slowest: Vec<&TraceSummary> = traces.iter().collect();
        slowest.sort_by(|a, b| b.duration.total_cmp(&a.duration).then_with(|| a.id.cmp(&b.id)));
        let slowest = slowest
            .into_iter()
            .take(top)
            .map(|t| TraceRow {
                id: t.id.clone(),
                duration: t.duration,
                response_time: t.response_time,
                method: t.method.clone(),
                url: t.url.clone(),
                status: t.status,
            })
            .collect();
        let mut times: Vec<f64> = traces.iter().map(|t| t.response_time).collect();
        times.sort_by(f64::total_cmp);
        Summary {
            traces: traces.len(),
            faults: traces.iter().filter(|t| t.flags.fault).count(),
            errors: traces.iter().filter(|t| t.flags.error).count(),
            throttles: traces.iter().filter(|t| t.flags.throttle).count(),
            partial: traces.iter().filter(|t| t.partial).count(),
            response_time_p50: percentile(&times, 50.0),
            response_time_p90: percentile(&times, 90.0),
            response_time_p99: percentile(&times, 99.0),
            histogram,
            slowest,
            by_status,
            by_url,
        }
    }

    /// The report as aligned text tables.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let percent = |n: usize| {
            if self.traces == 0 {
                0.0
            } else {
                100.0 * n as f64 / self.traces as f64
            }
        };
        let _ = writeln!(out, "traces     {}", self.traces);
        for (label, n) in [
            ("faults", self.faults),
            ("errors", self.errors),
            ("throttles", self.throttles),
            ("partial", self.partial),
        ] {
            let _ = writeln!(out, "{label:<10} {n} ({:.1}%)", percent(n));
        }
        let ms = |s: Option<f64>| s.map_or_else(|| "-".to_owned(), |s| format!("{:.1} ms", s * 1000.0));
        let _ = writeln!(
            out,
            "response   p50 {}  p90 {}  p99 {}",
            ms(self.response_time_p50),
            ms(self.response_time_p90),
            ms(self.response_time_p99)
        );

        out.push_str("\nresponse time\n");
        let widest = self.histogram.iter().map(|b| b.count).max().unwrap_or(0).max(1);
        let rows: Vec<Vec<String>> = self
            .histogram
            .iter()
            .map(|b| {
                let label = b.le_ms.map_or_else(
                    || format!("> {} ms", BUCKET_BOUNDS_MS[BUCKET_BOUNDS_MS.len() - 1]),
                    |le| format!("<= {le} ms"),
                );
                let bar = "#".repeat((b.count * 40).div_ceil(widest));
                vec![label, b.count.to_string(), bar]
            })
            .collect();
        table(&mut out, &["BUCKET", "COUNT", ""], &rows, &[false, true, false]);

        out.push_str("\nslowest traces\n");
        let rows: Vec<Vec<String>> = self
            .slowest
            .iter()
            .map(|t| {
                vec![
                    t.id.clone(),
                    format!("{:.1} ms", t.duration * 1000.0),
                    t.method.clone().unwrap_or_else(|| "-".to_owned()),
                    t.url.clone().unwrap_or_else(|| "-".to_owned()),
                    t.status.map_or_else(|| "-".to_owned(), |s| s.to_string()),
                ]
            })
            .collect();
        table(
            &mut out,
            &["TRACE ID", "DURATION", "METHOD", "URL", "STATUS"],
            &rows,
            &[false, true, false, false, true],
        );

        out.push_str("\nby status\n");
        let rows: Vec<Vec<String>> = self
            .by_status
            .iter()
            .map(|(status, n)| vec![status.clone(), n.to_string()])
            .collect();
        table(&mut out, &["STATUS", "COUNT"], &rows, &[false, true]);

        out.push_str("\nby URL\n");
        let rows: Vec<Vec<String>> = self
            .by_url
            .iter()
            .map(|(url, n)| vec![url.clone(), n.to_string()])
            .collect();
        table(&mut out, &["URL", "COUNT"], &rows, &[false, true]);
        out
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// Writes `rows` under `headers`, columns padded to their widest cell (right-aligned where `right`).
fn table(out: &mut String, headers: &[&str], rows: &[Vec<String>], right: &[bool]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let headers: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&headers).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let width = widths.get(i).copied().unwrap_or(0);
            if i > 0 {
                line.push_str("  ");
            }
            if right.get(i).copied().unwrap_or(false) {
                let _ = write!(line, "{cell:>width$}");
            } else {
                let _ = write!(line, "{cell:<width$}");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}
