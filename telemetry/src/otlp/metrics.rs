//! API Gateway's metrics (`Count`, `4XXError`, `5XXError`, `Latency`, `IntegrationLatency`) aggregated
//! in place and read out as OTLP metrics once per export interval.
//!
//! Each distinct `ApiId` / `ApiName` / `Stage` / `Method` / `Resource` combination is one series, created the
//! first time it is seen and kept for the exporter's life with its OTLP attributes built once. A
//! request after that costs a hash, a read lock and a few relaxed atomic adds: no allocation.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, RwLock};

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    metric, number_data_point, AggregationTemporality, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum,
};
use opentelemetry_proto::tonic::resource::v1::Resource;

use super::spans::{kv_bool, kv_str, scope};
use super::Temporality;
use crate::request::RequestMetrics;

/// Upper bounds (inclusive, in milliseconds) of the `Latency` and `IntegrationLatency` histogram
/// buckets: the OpenTelemetry SDKs' default explicit bucket boundaries.
pub const LATENCY_BOUNDS_MS: [f64; 15] = [
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0, 10000.0,
];
/// The same bounds in microseconds, for integer comparison on the hot path.
const BOUNDS_US: [u64; 15] = [
    0, 5_000, 10_000, 25_000, 50_000, 75_000, 100_000, 250_000, 500_000, 750_000, 1_000_000, 2_500_000, 5_000_000,
    7_500_000, 10_000_000,
];

/// The suffix a canary request's `Stage` attribute carries: API Gateway reports a canary's
/// metrics and logs apart from the stage's, under `{stage}/Canary`.
pub const CANARY_STAGE_SUFFIX: &str = "/Canary";

/// A histogram of durations in microseconds, read out in milliseconds.
#[derive(Default)]
struct DurationHistogram {
    buckets: [AtomicU64; 16],
    sum_us: AtomicU64,
    min_us: AtomicU64,
    max_us: AtomicU64,
}

impl DurationHistogram {
    fn new() -> DurationHistogram {
        let histogram = DurationHistogram::default();
        histogram.min_us.store(u64::MAX, Relaxed);
        histogram
    }

    fn record(&self, us: u64) {
        let bucket = BOUNDS_US.partition_point(|bound| *bound < us);
        self.buckets[bucket].fetch_add(1, Relaxed);
        self.sum_us.fetch_add(us, Relaxed);
        self.min_us.fetch_min(us, Relaxed);
        self.max_us.fetch_max(us, Relaxed);
    }

    /// The data point since the last read (`reset`, delta) or since the start (cumulative).
    fn read(&self, reset: bool) -> Option<(Vec<u64>, f64, f64, f64)> {
        let take = |a: &AtomicU64, fresh: u64| if reset { a.swap(fresh, Relaxed) } else { a.load(Relaxed) };
        let buckets: Vec<u64> = self.buckets.iter().map(|b| take(b, 0)).collect();
        let sum = take(&self.sum_us, 0);
        let min = take(&self.min_us, u64::MAX);
        let max = take(&self.max_us, 0);
        if buckets.iter().all(|b| *b == 0) {
            return None;
        }
        Some((buckets, us_to_ms(sum), us_to_ms(min), us_to_ms(max)))
    }
}

fn us_to_ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// One attribute set's counters and histograms.
struct Series {
    key: SeriesKey,
    attributes: Vec<KeyValue>,
    count: AtomicU64,
    errors_4xx: AtomicU64,
    errors_5xx: AtomicU64,
    latency: DurationHistogram,
    integration_latency: DurationHistogram,
}

#[derive(Clone, PartialEq, Eq)]
struct SeriesKey {
    api_id: String,
    api_name: String,
    stage: String,
    canary: bool,
    method: String,
    resource: Option<String>,
}

impl SeriesKey {
    fn matches(&self, r: &RequestMetrics<'_>) -> bool {
        self.canary == r.is_canary
            && self.api_id == r.api_id
            && self.api_name == r.api_name
            && self.stage == r.stage
            && self.method == r.method
            && self.resource.as_deref() == r.resource
    }
}

fn key_hash(r: &RequestMetrics<'_>) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    r.api_id.hash(&mut h);
    r.api_name.hash(&mut h);
    r.stage.hash(&mut h);
    r.is_canary.hash(&mut h);
    r.method.hash(&mut h);
    r.resource.hash(&mut h);
    h.finish()
}

/// The per-series aggregation of every request the exporter records.
pub(crate) struct Aggregator {
    series: RwLock<HashMap<u64, Vec<Arc<Series>>, rustc_hash::FxBuildHasher>>,
    overflow: Arc<Series>,
    len: AtomicUsize,
    max_series: usize,
    overflowed: AtomicU64,
    start_unix_nano: u64,
    temporality: Temporality,
    last_read_unix_nano: AtomicU64,
}

impl Aggregator {
    pub(crate) fn new(max_series: usize, temporality: Temporality, now_unix_nano: u64) -> Aggregator {
        let overflow_key = SeriesKey {
            api_id: String::new(),
            api_name: String::new(),
            stage: String::new(),
            canary: false,
            method: String::new(),
            resource: None,
        };
        Aggregator {
            series: RwLock::new(HashMap::default()),
            overflow: Arc::new(Series::new(overflow_key, vec![kv_bool("otel.metric.overflow", true)])),
            len: AtomicUsize::new(0),
            max_series,
            overflowed: AtomicU64::new(0),
            start_unix_nano: now_unix_nano,
            temporality,
            last_read_unix_nano: AtomicU64::new(now_unix_nano),
        }
    }

    /// Number of distinct attribute sets seen (not counting the overflow set).
    pub(crate) fn series_count(&self) -> usize {
        self.len.load(Relaxed)
    }

    /// Requests recorded into the overflow set because `max_series` was reached.
    pub(crate) fn overflowed(&self) -> u64 {
        self.overflowed.load(Relaxed)
    }

    /// Adds one request to its series.
    pub(crate) fn record(&self, r: &RequestMetrics<'_>) {
        let series = self.series_for(r);
        series.count.fetch_add(1, Relaxed);
        match r.status {
            400..=499 => {
                series.errors_4xx.fetch_add(1, Relaxed);
            }
            500..=599 => {
                series.errors_5xx.fetch_add(1, Relaxed);
            }
            _ => {}
        }
        series.latency.record(r.latency_us);
        if let Some(us) = r.integration_latency_us {
            series.integration_latency.record(us);
        }
    }

    fn series_for(&self, r: &RequestMetrics<'_>) -> Arc<Series> {
        let hash = key_hash(r);
        {
            let map = self.series.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(found) = map.get(&hash).and_then(|v| v.iter().find(|s| s.key.matches(r))) {
                return Arc::clone(found);
            }
        }
        let mut map = self.series.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(found) = map.get(&hash).and_then(|v| v.iter().find(|s| s.key.matches(r))) {
            return Arc::clone(found);
        }
        if self.len.load(Relaxed) >= self.max_series {
            self.overflowed.fetch_add(1, Relaxed);
            return Arc::clone(&self.overflow);
        }
        let key = SeriesKey {
            api_id: r.api_id.to_owned(),
            api_name: r.api_name.to_owned(),
            stage: r.stage.to_owned(),
            canary: r.is_canary,
            method: r.method.to_owned(),
            resource: r.resource.map(str::to_owned),
        };
        let series = Arc::new(Series::new(key.clone(), attributes(&key)));
        map.entry(hash).or_default().push(Arc::clone(&series));
        self.len.fetch_add(1, Relaxed);
        series
    }

    /// Reads every series out as one OTLP `ResourceMetrics` (`None` when there is nothing to send).
    pub(crate) fn collect(&self, resource: &Resource, now_unix_nano: u64) -> Option<ResourceMetrics> {
        let reset = self.temporality == Temporality::Delta;
        let start = if reset {
            self.last_read_unix_nano.swap(now_unix_nano, Relaxed)
        } else {
            self.start_unix_nano
        };
        let all: Vec<Arc<Series>> = {
            let map = self.series.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            map.values().flatten().cloned().collect()
        };
        let temporality = match self.temporality {
            Temporality::Cumulative => AggregationTemporality::Cumulative,
            Temporality::Delta => AggregationTemporality::Delta,
        } as i32;
        let mut counts = [Vec::new(), Vec::new(), Vec::new()];
        let mut latency = Vec::new();
        let mut integration = Vec::new();
        for series in all.iter().chain(std::iter::once(&self.overflow)) {
            let take = |a: &AtomicU64| if reset { a.swap(0, Relaxed) } else { a.load(Relaxed) };
            let values = [take(&series.count), take(&series.errors_4xx), take(&series.errors_5xx)];
            if values[0] == 0 && (reset || Arc::ptr_eq(series, &self.overflow)) {
                continue;
            }
            for (points, value) in counts.iter_mut().zip(values) {
                points.push(NumberDataPoint {
                    attributes: series.attributes.clone(),
                    start_time_unix_nano: start,
                    time_unix_nano: now_unix_nano,
                    value: Some(number_data_point::Value::AsInt(
                        i64::try_from(value).unwrap_or(i64::MAX),
                    )),
                    ..Default::default()
                });
            }
            for (histogram, points) in [
                (&series.latency, &mut latency),
                (&series.integration_latency, &mut integration),
            ] {
                if let Some((buckets, sum, min, max)) = histogram.read(reset) {
                    points.push(HistogramDataPoint {
                        attributes: series.attributes.clone(),
                        start_time_unix_nano: start,
                        time_unix_nano: now_unix_nano,
                        count: buckets.iter().sum(),
                        sum: Some(sum),
                        bucket_counts: buckets,
                        explicit_bounds: LATENCY_BOUNDS_MS.to_vec(),
                        min: Some(min),
                        max: Some(max),
                        ..Default::default()
                    });
                }
            }
        }
        if counts[0].is_empty() {
            return None;
        }
        let [count, errors_4xx, errors_5xx] = counts;
        let sum = |name: &str, description: &str, points: Vec<NumberDataPoint>| Metric {
            name: name.to_owned(),
            description: description.to_owned(),
            unit: "{request}".to_owned(),
            data: Some(metric::Data::Sum(Sum {
                data_points: points,
                aggregation_temporality: temporality,
                is_monotonic: true,
            })),
            ..Default::default()
        };
        let histogram = |name: &str, description: &str, points: Vec<HistogramDataPoint>| Metric {
            name: name.to_owned(),
            description: description.to_owned(),
            unit: "ms".to_owned(),
            data: Some(metric::Data::Histogram(Histogram {
                data_points: points,
                aggregation_temporality: temporality,
            })),
            ..Default::default()
        };
        let mut metrics = vec![
            sum("Count", "Requests received", count),
            sum("4XXError", "Requests answered with a 4xx status", errors_4xx),
            sum("5XXError", "Requests answered with a 5xx status", errors_5xx),
            histogram(
                "Latency",
                "Time from receiving a request to the end of its response",
                latency,
            ),
        ];
        if !integration.is_empty() {
            metrics.push(histogram(
                "IntegrationLatency",
                "Time from relaying a request to the integration to receiving its response",
                integration,
            ));
        }
        Some(ResourceMetrics {
            resource: Some(resource.clone()),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(scope()),
                metrics,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        })
    }
}

impl Series {
    fn new(key: SeriesKey, attributes: Vec<KeyValue>) -> Series {
        Series {
            key,
            attributes,
            count: AtomicU64::new(0),
            errors_4xx: AtomicU64::new(0),
            errors_5xx: AtomicU64::new(0),
            latency: DurationHistogram::new(),
            integration_latency: DurationHistogram::new(),
        }
    }
}

/// The OTLP attributes of a series: API Gateway's dimension names and values (`ApiName` as REST
/// APIs' metrics carry it, `ApiId` as HTTP APIs' do).
fn attributes(key: &SeriesKey) -> Vec<KeyValue> {
    let stage = if key.canary {
        format!("{}{CANARY_STAGE_SUFFIX}", key.stage)
    } else {
        key.stage.clone()
    };
    let mut attributes = vec![
        kv_str("ApiName", &key.api_name),
        kv_str("ApiId", &key.api_id),
        kv_str("Stage", &stage),
        kv_str("Method", &key.method),
    ];
    if let Some(resource) = &key.resource {
        attributes.push(kv_str("Resource", resource));
    }
    attributes
}
