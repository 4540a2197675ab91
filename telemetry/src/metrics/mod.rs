//! API Gateway's CloudWatch metrics (`Count`, `4XXError`, `5XXError`, `Latency`, `IntegrationLatency`),
//! aggregated per interval and per (API, stage, method, resource), rendered as Embedded Metric Format.
//!
//! The gateway's log path feeds every [`FinishedRequest`] to a [`Recorder`] (one per worker thread, each
//! on its own shard of the [`Aggregator`], so recording takes an uncontended lock, one hash of borrowed
//! strings and a few increments: no allocation once a series exists). At each interval boundary a
//! flusher ([`spawn_flusher`]) takes a [`Snapshot`] (plain data any exporter can use), renders it with
//! [`EmfExporter`] and hands the documents, as [`Record`]s, to a callback that routes them to a file or
//! a CloudWatch Logs shipper.
//!
//! What is published follows "Amazon API Gateway dimensions and metrics" (REST APIs) and "Monitor
//! CloudWatch metrics for HTTP APIs in API Gateway" (API Gateway Developer Guide):
//! - REST APIs: `Count`, `4XXError`, `5XXError`, `Latency`, `IntegrationLatency` under the dimension
//!   sets `[ApiName]`, `[ApiName, Stage]` and, with detailed metrics, `[ApiName, Method, Resource, Stage]`.
//!   API Gateway strips non-ASCII characters from `ApiName` and uses the API id when none remain; so
//!   does Moat.
//! - HTTP APIs: `Count`, `4xx`, `5xx`, `Latency`, `IntegrationLatency` under `[ApiId]`, `[ApiId, Stage]`
//!   and, with detailed metrics, `[ApiId, Method, Resource, Stage]`.
//! - `4XXError`/`5XXError` are 0 or 1 per request, so `Sum` is the error count and `Average` the error
//!   rate ("The denominator corresponds to the Count metric"); `Count` is 1 per request, so `Sum` and
//!   `SampleCount` are the request count. Both go out in EMF's values-and-counts form, exact.
//! - Canary requests get the `Stage` value `{stage}/Canary`: API Gateway's canary page says the canary
//!   "has its own logs and metrics" and names its log groups with a `/Canary` suffix
//!   (`API-Gateway-Execution-Logs/{rest-api-id}/{stage-name}/Canary`); the metrics page does not spell
//!   the canary's dimension value, so Moat uses the same suffix.

mod emf_out;
mod histogram;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustc_hash::{FxHashMap, FxHasher};
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use self::emf_out::EmfExporter;
use self::histogram::{Histogram, BUCKETS};
use crate::request::{FinishedRequest, RequestMetrics};
use crate::Record;

/// The default aggregation interval: API Gateway publishes every minute.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
/// The shortest interval accepted.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// The longest interval accepted.
pub const MAX_INTERVAL: Duration = Duration::from_secs(3600);
/// The default namespace. Not `AWS/ApiGateway`: CloudWatch reserves the `AWS/` prefix for AWS services
/// (PutMetricData: "you should not specify a namespace that begins with AWS/"), and Moat's metrics must
/// not mix with a real API Gateway's in the same account.
pub const DEFAULT_NAMESPACE: &str = "Moat/ApiGateway";
/// The default most series (API, stage, method, resource) kept at once.
pub const DEFAULT_MAX_SERIES: usize = 2000;
/// Longest dimension value EMF accepts; longer API names, stages and resources are cut to it.
const MAX_DIMENSION_CHARS: usize = moat_formats::emf::MAX_DIMENSION_VALUE_CHARS;

/// Settings of metric aggregation and EMF output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsConfig {
    /// Aggregation interval, whole seconds from 1 to 3600 (default 60). Intervals are aligned to the
    /// Unix epoch (a 60 s interval starts on the minute).
    pub interval: Duration,
    /// CloudWatch namespace (default [`DEFAULT_NAMESPACE`]); 1 to 255 characters, no control
    /// characters, not starting with `AWS/`.
    pub namespace: String,
    /// Whether to publish per-method metrics (`Method` and `Resource` dimensions), like API Gateway's
    /// "detailed CloudWatch metrics" (default true). When false, series are kept per API and stage only.
    pub detailed: bool,
    /// Most series kept at once (default 2000), a series counted once per shard that holds it. A
    /// request of a new series past the limit is counted in [`Snapshot::dropped_requests`] and not
    /// aggregated. Each series costs about 8.5 KB (two 1056-bucket histograms), so the default bounds
    /// the aggregator at about 17 MB.
    pub max_series: usize,
}

impl Default for MetricsConfig {
    fn default() -> MetricsConfig {
        MetricsConfig {
            interval: DEFAULT_INTERVAL,
            namespace: DEFAULT_NAMESPACE.to_owned(),
            detailed: true,
            max_series: DEFAULT_MAX_SERIES,
        }
    }
}

/// Why metrics settings or output are invalid.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// The interval is not a whole number of seconds from 1 to 3600.
    #[error("metrics interval {0:?} must be a whole number of seconds from 1 to 3600")]
    Interval(Duration),
    /// The namespace is unusable.
    #[error("metrics namespace {namespace:?}: {reason}")]
    Namespace {
        /// The namespace.
        namespace: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `max_series` is zero.
    #[error("metrics max_series must be at least 1")]
    MaxSeries,
    /// A series could not be rendered as EMF.
    #[error("EMF: {0}")]
    Emf(#[from] moat_formats::emf::EmfError),
}

impl MetricsConfig {
    /// Checks every setting against its limits.
    ///
    /// # Errors
    /// The first setting out of its limits.
    pub fn validate(&self) -> Result<(), MetricsError> {
        if self.interval < MIN_INTERVAL || self.interval > MAX_INTERVAL || self.interval.subsec_nanos() != 0 {
            return Err(MetricsError::Interval(self.interval));
        }
        let bad = |reason| MetricsError::Namespace {
            namespace: self.namespace.clone(),
            reason,
        };
        let chars = self.namespace.chars().count();
        if chars == 0 || chars > 255 {
            return Err(bad("must be 1 to 255 characters"));
        }
        if self.namespace.chars().any(char::is_control) {
            return Err(bad("must not contain control characters"));
        }
        if self.namespace.starts_with("AWS/") {
            return Err(bad("the AWS/ prefix is reserved for AWS services"));
        }
        if self.max_series == 0 {
            return Err(MetricsError::MaxSeries);
        }
        Ok(())
    }
}

/// Which kind of API a series belongs to: it decides the metric names and the API dimension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ApiKind {
    /// A REST API: `ApiName` dimension, `4XXError`/`5XXError`.
    Rest,
    /// An HTTP API: `ApiId` dimension, `4xx`/`5xx`.
    Http,
}

impl ApiKind {
    fn of(api_type: &str) -> ApiKind {
        if api_type == "http" {
            ApiKind::Http
        } else {
            ApiKind::Rest
        }
    }
}

/// What one series is aggregated by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SeriesKey {
    /// REST or HTTP.
    pub kind: ApiKind,
    /// The API id.
    pub api_id: String,
    /// The API name.
    pub api_name: String,
    /// The stage name.
    pub stage: String,
    /// Whether these are the stage's canary requests.
    pub canary: bool,
    /// The method, with detailed metrics and a matched route.
    pub method: Option<String>,
    /// The resource path (`/pets/{id}`; for an HTTP API the path of the route key, or `$default`), with
    /// detailed metrics and a matched route.
    pub resource: Option<String>,
}

impl SeriesKey {
    /// The `Stage` dimension value: the stage, or `{stage}/Canary` for canary requests.
    #[must_use]
    pub fn stage_dimension(&self) -> String {
        if self.canary {
            format!("{}/Canary", self.stage)
        } else {
            self.stage.clone()
        }
    }

    /// The API dimension value: the `ApiName` with non-ASCII characters removed (the API id when none
    /// remain) for REST APIs, the `ApiId` for HTTP APIs.
    #[must_use]
    pub fn api_dimension(&self) -> String {
        match self.kind {
            ApiKind::Http => self.api_id.clone(),
            ApiKind::Rest => {
                let ascii: String = self.api_name.chars().filter(char::is_ascii).collect();
                if ascii.is_empty() {
                    self.api_id.clone()
                } else {
                    ascii
                }
            }
        }
    }
}

/// A latency distribution: distinct values in milliseconds (ascending) and how often each occurred.
/// Values are bucket midpoints: each latency keeps 6 significant bits (exact below 32 µs, within 1/64
/// of the true value above).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Distribution {
    /// Distinct values, milliseconds, ascending.
    pub values_ms: Vec<f64>,
    /// How often each value occurred.
    pub counts: Vec<u64>,
}

impl Distribution {
    fn from_buckets(buckets: &[u64; BUCKETS]) -> Distribution {
        let mut out = Distribution::default();
        for (index, &count) in buckets.iter().enumerate() {
            if count > 0 {
                out.values_ms.push(Histogram::representative_us(index) as f64 / 1000.0);
                out.counts.push(count);
            }
        }
        out
    }

    /// Number of samples.
    #[must_use]
    pub fn samples(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Whether there are no samples.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// One series' figures for one interval.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// What the series is aggregated by.
    pub key: SeriesKey,
    /// Requests.
    pub count: u64,
    /// Requests answered with a 4xx status.
    pub errors_4xx: u64,
    /// Requests answered with a 5xx status.
    pub errors_5xx: u64,
    /// `Latency`: arrival to end of response.
    pub latency: Distribution,
    /// `IntegrationLatency`: of the requests that called an integration.
    pub integration_latency: Distribution,
}

/// Everything aggregated in one interval.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// When the interval started, milliseconds since the Unix epoch (the EMF `Timestamp`).
    pub start_ms: u64,
    /// The series that saw requests, ordered by key.
    pub series: Vec<Series>,
    /// Requests not aggregated because their series would have passed `max_series`.
    pub dropped_requests: u64,
}

/// Per-series accumulators of one shard.
struct Accumulator {
    count: u64,
    errors_4xx: u64,
    errors_5xx: u64,
    latency: Histogram,
    integration: Histogram,
}

struct Entry {
    hash: u64,
    key: SeriesKey,
    acc: Accumulator,
}

/// One worker's share of the series.
#[derive(Default)]
struct Shard {
    /// Key hash -> indices into `entries` (more than one only on a hash collision).
    index: FxHashMap<u64, Vec<u32>>,
    entries: Vec<Entry>,
}

/// The parts of a request that make its series key, borrowed.
struct KeyParts<'a> {
    kind: ApiKind,
    api_id: &'a str,
    api_name: &'a str,
    stage: &'a str,
    canary: bool,
    method: Option<&'a str>,
    resource: Option<&'a str>,
}

/// `s` cut to at most `max` characters.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        // No more characters than bytes: nothing to cut, and no scan.
        return s;
    }
    match s.char_indices().nth(max) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

impl<'a> KeyParts<'a> {
    fn of(req: &RequestMetrics<'a>, detailed: bool) -> KeyParts<'a> {
        let kind = ApiKind::of(req.api_type);
        let (method, resource) = match (req.resource, detailed) {
            (Some(resource), true) => {
                let resource = match kind {
                    // An HTTP API route key is `GET /pets/{id}` or `$default`: the path is the resource.
                    ApiKind::Http => resource.split_once(' ').map_or(resource, |(_, p)| p),
                    ApiKind::Rest => resource,
                };
                (
                    Some(cut(req.method, MAX_DIMENSION_CHARS)),
                    Some(cut(resource, MAX_DIMENSION_CHARS)),
                )
            }
            _ => (None, None),
        };
        KeyParts {
            kind,
            api_id: cut(req.api_id, MAX_DIMENSION_CHARS),
            api_name: cut(req.api_name, MAX_DIMENSION_CHARS),
            // Leave room for the `/Canary` suffix.
            stage: cut(req.stage, MAX_DIMENSION_CHARS - 7),
            canary: req.is_canary,
            method,
            resource,
        }
    }

    fn hash(&self) -> u64 {
        let mut h = FxHasher::default();
        self.kind.hash(&mut h);
        self.api_id.hash(&mut h);
        self.api_name.hash(&mut h);
        self.stage.hash(&mut h);
        self.canary.hash(&mut h);
        self.method.hash(&mut h);
        self.resource.hash(&mut h);
        h.finish()
    }

    fn matches(&self, key: &SeriesKey) -> bool {
        self.kind == key.kind
            && self.canary == key.canary
            && self.api_id == key.api_id
            && self.api_name == key.api_name
            && self.stage == key.stage
            && self.method == key.method.as_deref()
            && self.resource == key.resource.as_deref()
    }

    fn to_key(&self) -> SeriesKey {
        SeriesKey {
            kind: self.kind,
            api_id: self.api_id.to_owned(),
            api_name: self.api_name.to_owned(),
            stage: self.stage.to_owned(),
            canary: self.canary,
            method: self.method.map(str::to_owned),
            resource: self.resource.map(str::to_owned),
        }
    }
}

/// The sharded per-interval accumulator of API Gateway metrics.
pub struct Aggregator {
    detailed: bool,
    max_series: usize,
    shards: Box<[Mutex<Shard>]>,
    next_shard: AtomicUsize,
    /// Series held across all shards (each shard's copy counts once).
    series: AtomicUsize,
    dropped: AtomicU64,
}

impl Aggregator {
    /// An aggregator with `shards` shards (give it the number of worker threads; at least 1).
    ///
    /// # Errors
    /// [`MetricsError`] when `config` is out of its limits.
    pub fn new(config: &MetricsConfig, shards: usize) -> Result<Arc<Aggregator>, MetricsError> {
        config.validate()?;
        Ok(Arc::new(Aggregator {
            detailed: config.detailed,
            max_series: config.max_series,
            shards: (0..shards.max(1)).map(|_| Mutex::new(Shard::default())).collect(),
            next_shard: AtomicUsize::new(0),
            series: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
        }))
    }

    /// A recorder on the next shard (round robin): create one per worker thread.
    #[must_use]
    pub fn recorder(self: &Arc<Self>) -> Recorder {
        let shard = self.next_shard.fetch_add(1, Ordering::Relaxed) % self.shards.len();
        Recorder {
            aggregator: Arc::clone(self),
            shard,
        }
    }

    fn lock(&self, shard: usize) -> MutexGuard<'_, Shard> {
        // A panic while holding the lock leaves counters that are still consistent enough to publish.
        self.shards[shard]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn record(&self, shard: usize, req: &RequestMetrics<'_>) {
        let parts = KeyParts::of(req, self.detailed);
        let hash = parts.hash();
        let mut guard = self.lock(shard);
        let shard = &mut *guard;
        let found = shard.index.get(&hash).and_then(|slots| {
            slots
                .iter()
                .copied()
                .find(|&i| parts.matches(&shard.entries[i as usize].key))
        });
        let index = match found {
            Some(index) => index as usize,
            None => {
                if self.series.fetch_add(1, Ordering::Relaxed) >= self.max_series {
                    self.series.fetch_sub(1, Ordering::Relaxed);
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                let index = shard.entries.len();
                shard.entries.push(Entry {
                    hash,
                    key: parts.to_key(),
                    acc: Accumulator {
                        count: 0,
                        errors_4xx: 0,
                        errors_5xx: 0,
                        latency: Histogram::new(),
                        integration: Histogram::new(),
                    },
                });
                // Entries stay far below u32::MAX (max_series bounds them).
                #[allow(clippy::cast_possible_truncation)]
                shard.index.entry(hash).or_default().push(index as u32);
                index
            }
        };
        let acc = &mut shard.entries[index].acc;
        acc.count += 1;
        acc.errors_4xx += u64::from((400..500).contains(&req.status));
        acc.errors_5xx += u64::from((500..600).contains(&req.status));
        acc.latency.record(req.latency_us);
        if let Some(us) = req.integration_latency_us {
            acc.integration.record(us);
        }
    }

    /// Takes everything recorded since the last snapshot, as the interval starting at `start_ms`, and
    /// starts the next interval. Series that saw no request in the interval are forgotten (their memory
    /// freed; a later request starts them again).
    #[must_use]
    pub fn snapshot(&self, start_ms: u64) -> Snapshot {
        struct Merged {
            count: u64,
            errors_4xx: u64,
            errors_5xx: u64,
            latency: Box<[u64; BUCKETS]>,
            integration: Box<[u64; BUCKETS]>,
        }
        let mut merged: HashMap<SeriesKey, Merged> = HashMap::new();
        for shard in 0..self.shards.len() {
            let mut guard = self.lock(shard);
            let shard = &mut *guard;
            let before = shard.entries.len();
            shard.entries.retain(|entry| entry.acc.count > 0);
            if shard.entries.len() != before {
                self.series.fetch_sub(before - shard.entries.len(), Ordering::Relaxed);
                shard.index.clear();
                for (i, entry) in shard.entries.iter().enumerate() {
                    #[allow(clippy::cast_possible_truncation)]
                    shard.index.entry(entry.hash).or_default().push(i as u32);
                }
            }
            for entry in &mut shard.entries {
                let m = merged.entry(entry.key.clone()).or_insert_with(|| Merged {
                    count: 0,
                    errors_4xx: 0,
                    errors_5xx: 0,
                    latency: Box::new([0; BUCKETS]),
                    integration: Box::new([0; BUCKETS]),
                });
                let acc = &mut entry.acc;
                m.count += std::mem::take(&mut acc.count);
                m.errors_4xx += std::mem::take(&mut acc.errors_4xx);
                m.errors_5xx += std::mem::take(&mut acc.errors_5xx);
                acc.latency.drain_into(&mut m.latency);
                if acc.integration.total() > 0 {
                    acc.integration.drain_into(&mut m.integration);
                }
            }
        }
        let mut series: Vec<Series> = merged
            .into_iter()
            .map(|(key, m)| Series {
                key,
                count: m.count,
                errors_4xx: m.errors_4xx,
                errors_5xx: m.errors_5xx,
                latency: Distribution::from_buckets(&m.latency),
                integration_latency: Distribution::from_buckets(&m.integration),
            })
            .collect();
        series.sort_by(|a, b| {
            let key = |s: &Series| {
                (
                    s.key.kind == ApiKind::Http,
                    s.key.api_id.clone(),
                    s.key.api_name.clone(),
                    s.key.stage.clone(),
                    s.key.canary,
                    s.key.method.clone(),
                    s.key.resource.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        Snapshot {
            start_ms,
            series,
            dropped_requests: self.dropped.swap(0, Ordering::Relaxed),
        }
    }
}

/// One worker thread's handle on the aggregator: records finished requests on its own shard.
#[derive(Clone)]
pub struct Recorder {
    aggregator: Arc<Aggregator>,
    shard: usize,
}

impl Recorder {
    /// Adds one finished request to the current interval: its `Count`, 4xx/5xx, `Latency` and (when
    /// it called an integration) `IntegrationLatency`. Never blocks for long (the shard's lock is
    /// only contended while a snapshot drains it) and does not allocate once the series exists.
    pub fn record(&self, req: &FinishedRequest) {
        self.aggregator.record(self.shard, &req.metrics());
    }

    /// [`Recorder::record`] from borrowed facts, with no allocation.
    pub fn record_metrics(&self, req: &RequestMetrics<'_>) {
        self.aggregator.record(self.shard, req);
    }
}

/// Milliseconds since the Unix epoch now.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Starts the task that closes each interval on its boundary (aligned to the Unix epoch): it takes the
/// [`Snapshot`], renders it with `exporter` and calls `emit` with the snapshot and its EMF documents as
/// [`Record`]s (timestamped at the interval start, in order). When `shutdown` fires (or its sender is
/// dropped) it closes the current, partial interval the same way and ends. Runs on `handle`.
///
/// `emit` runs on the runtime: it must hand the records on (a bounded channel's `try_send`, a shipper's
/// queue) rather than block. Series that cannot be rendered are counted in the second argument.
pub fn spawn_flusher<F>(
    handle: &Handle,
    aggregator: Arc<Aggregator>,
    exporter: EmfExporter,
    shutdown: oneshot::Receiver<()>,
    mut emit: F,
) -> JoinHandle<()>
where
    F: FnMut(&Snapshot, Vec<Record>, usize) + Send + 'static,
{
    let interval_ms = u64::try_from(exporter.interval().as_millis()).unwrap_or(60_000).max(1);
    handle.spawn(async move {
        let mut shutdown = shutdown;
        loop {
            let now = now_ms();
            let start = now - now % interval_ms;
            let boundary = start + interval_ms;
            let wait = Duration::from_millis(boundary - now);
            let stop = tokio::select! {
                () = tokio::time::sleep(wait) => false,
                _ = &mut shutdown => true,
            };
            let snapshot = aggregator.snapshot(start);
            let (records, failed) = exporter.render(&snapshot);
            emit(&snapshot, records, failed);
            if stop {
                return;
            }
        }
    })
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
