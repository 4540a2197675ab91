//! OpenTelemetry export: spans and API Gateway's metrics over OTLP (gRPC or HTTP/protobuf).
//!
//! [`OtlpExporter::record`] takes every [`FinishedRequest`]. It adds the request to its metric
//! series in place (atomics; no allocation once the series exists) and, when the request is
//! sampled, puts a copy on a bounded queue; it never blocks and never waits for the network. A
//! task on the tokio runtime turns queued requests into OTLP spans ([`spans::push_spans`]) and
//! sends them in batches; another reads the metrics out every `metric_interval` and sends them.
//! A full queue drops the request's spans and counts them ([`OtlpStats::queue_dropped`]); a
//! collector that is slow or down only fills the queue, and failed exports are counted.
//!
//! The spans and metrics are built directly as `opentelemetry-proto` messages rather than through
//! the OpenTelemetry SDK: the ids and timestamps come from the request as they are (the SDK
//! generates its own span ids and would need a span object, a context and a processor hop per
//! span), and the metric aggregation can keep a pre-built attribute set per series instead of
//! hashing a `KeyValue` slice on every request.

mod config;
mod metrics;
pub mod spans;
mod transport;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::Span;
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinHandle;

pub use config::{
    OtlpConfig, Protocol, Signal, SignalConfig, Temporality, DEFAULT_TIMEOUT, MAX_QUEUE_SIZE, MAX_SERIES,
};
pub use metrics::{CANARY_STAGE_SUFFIX, LATENCY_BOUNDS_MS};

use crate::request::{FinishedRequest, RequestMetrics};
use metrics::Aggregator;
use transport::Transport;

/// Why the OTLP exporter could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum OtlpError {
    /// A setting or `OTEL_*` variable is invalid; the message names it.
    #[error("OTLP configuration: {0}")]
    InvalidConfig(String),
    /// The exporter was started outside a tokio runtime.
    #[error("the OTLP exporter needs a tokio runtime to run its export tasks")]
    NoRuntime,
    /// [`OtlpExporter::shutdown`] did not finish its last exports in time; what was left is lost.
    #[error("the OTLP exporter did not flush within {0:?}")]
    ShutdownTimeout(Duration),
}

/// What the exporter has done so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OtlpStats {
    /// Requests passed to [`OtlpExporter::record`].
    pub requests_recorded: u64,
    /// Sampled requests put on the span queue.
    pub requests_queued: u64,
    /// Sampled requests dropped because the span queue was full (their spans are lost).
    pub queue_dropped: u64,
    /// Spans the collector accepted.
    pub spans_exported: u64,
    /// Spans the collector refused in a partial success (counted, not retried).
    pub spans_rejected: u64,
    /// Spans lost because their export failed (collector down, timeout, refused).
    pub spans_failed: u64,
    /// Trace export requests that failed.
    pub trace_exports_failed: u64,
    /// Metric export requests the collector accepted.
    pub metric_exports: u64,
    /// Metric export requests that failed.
    pub metric_exports_failed: u64,
    /// Metric data points the collector refused in a partial success.
    pub metric_points_rejected: u64,
    /// Distinct metric attribute sets.
    pub metric_series: u64,
    /// Requests counted under the `otel.metric.overflow` set because `max_series` was reached.
    pub metric_series_overflow: u64,
    /// The last export error, for diagnostics.
    pub last_error: Option<String>,
}

#[derive(Default)]
struct Counters {
    requests_recorded: AtomicU64,
    requests_queued: AtomicU64,
    queue_dropped: AtomicU64,
    spans_exported: AtomicU64,
    spans_rejected: AtomicU64,
    spans_failed: AtomicU64,
    trace_exports_failed: AtomicU64,
    metric_exports: AtomicU64,
    metric_exports_failed: AtomicU64,
    metric_points_rejected: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl Counters {
    fn failed(&self, error: String) {
        *self
            .last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(error);
    }
}

/// Exports spans and metrics of finished requests to an OTLP collector, off the request path.
pub struct OtlpExporter {
    spans: Option<SpanQueue>,
    aggregator: Option<Arc<Aggregator>>,
    counters: Arc<Counters>,
    stop: watch::Sender<bool>,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for OtlpExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtlpExporter")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl OtlpExporter {
    /// Validates `config` and starts the export tasks on the current tokio runtime. Nothing
    /// connects yet: a collector that is down makes exports fail later, never this.
    ///
    /// # Errors
    /// [`OtlpError::InvalidConfig`] for an invalid setting or endpoint; [`OtlpError::NoRuntime`]
    /// outside a tokio runtime.
    pub fn start(config: OtlpConfig) -> Result<OtlpExporter, OtlpError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| OtlpError::NoRuntime)?;
        OtlpExporter::start_on(config, &runtime)
    }

    /// [`OtlpExporter::start`] on the given runtime.
    ///
    /// # Errors
    /// [`OtlpError::InvalidConfig`] for an invalid setting or endpoint.
    pub fn start_on(config: OtlpConfig, runtime: &tokio::runtime::Handle) -> Result<OtlpExporter, OtlpError> {
        config.validate()?;
        let resource = spans::resource(&config.service_name, &config.resource_attributes);
        let counters = Arc::new(Counters::default());
        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = Vec::new();
        // Transports are built inside the runtime: tonic's lazy channel spawns its worker there.
        let _guard = runtime.enter();
        let spans = match &config.traces {
            Some(signal) => {
                let transport = Transport::new(signal)?;
                let (tx, rx) = mpsc::channel(config.max_queue_size);
                let wake = Arc::new(Notify::new());
                let worker = SpanWorker {
                    rx,
                    wake: Arc::clone(&wake),
                    transport,
                    resource: resource.clone(),
                    counters: Arc::clone(&counters),
                    max_batch: config.max_export_batch_size,
                    delay: config.schedule_delay,
                };
                tasks.push(runtime.spawn(worker.run(stop_rx.clone())));
                Some(SpanQueue { tx, wake })
            }
            None => None,
        };
        let aggregator = match &config.metrics {
            Some(signal) => {
                let transport = Transport::new(signal)?;
                let aggregator = Arc::new(Aggregator::new(config.max_series, config.temporality, unix_nanos()));
                let worker = MetricWorker {
                    aggregator: Arc::clone(&aggregator),
                    transport,
                    resource,
                    counters: Arc::clone(&counters),
                    interval: config.metric_interval,
                };
                tasks.push(runtime.spawn(worker.run(stop_rx)));
                Some(aggregator)
            }
            None => None,
        };
        Ok(OtlpExporter {
            spans,
            aggregator,
            counters,
            stop,
            tasks: std::sync::Mutex::new(tasks),
        })
    }

    /// Takes one finished request: adds it to the metrics and, when sampled, queues a copy for
    /// its spans. Never blocks; callable from any thread, inside a runtime or not. A full queue
    /// drops the request's spans and counts them.
    pub fn record(&self, request: &FinishedRequest) {
        self.record_with(request, || Arc::new(request.clone()));
    }

    /// [`OtlpExporter::record`] for a request already shared with other exporters: queues the
    /// `Arc` itself, so a sampled request costs no copy.
    pub fn record_shared(&self, request: &Arc<FinishedRequest>) {
        self.record_with(request, || Arc::clone(request));
    }

    /// Adds one request to the metrics only, from borrowed facts (no allocation). A caller that also
    /// wants the request's spans queues them with [`OtlpExporter::record_spans`].
    pub fn record_metrics(&self, request: &RequestMetrics<'_>) {
        self.counters.requests_recorded.fetch_add(1, Relaxed);
        if let Some(aggregator) = &self.aggregator {
            aggregator.record(request);
        }
    }

    /// Whether the exporter sends spans (so a caller knows whether building a request is worth it).
    #[must_use]
    pub fn exports_spans(&self) -> bool {
        self.spans.is_some()
    }

    /// Queues a sampled request's spans (not its metrics: see [`OtlpExporter::record_metrics`]).
    pub fn record_spans(&self, request: &Arc<FinishedRequest>) {
        self.queue_spans(request, || Arc::clone(request));
    }

    fn record_with(&self, request: &FinishedRequest, share: impl FnOnce() -> Arc<FinishedRequest>) {
        self.record_metrics(&request.metrics());
        self.queue_spans(request, share);
    }

    fn queue_spans(&self, request: &FinishedRequest, share: impl FnOnce() -> Arc<FinishedRequest>) {
        if let Some(queue) = &self.spans {
            if request.trace.sampled {
                // Reserve first, so a full queue costs no copy.
                match queue.tx.try_reserve() {
                    Ok(permit) => {
                        permit.send(share());
                        self.counters.requests_queued.fetch_add(1, Relaxed);
                        // The worker drains on its own schedule; only a half-full queue calls it early.
                        if queue.tx.capacity() <= queue.tx.max_capacity() / 2 {
                            queue.wake.notify_one();
                        }
                    }
                    Err(_) => {
                        self.counters.queue_dropped.fetch_add(1, Relaxed);
                    }
                }
            }
        }
    }

    /// What the exporter has done so far.
    #[must_use]
    pub fn stats(&self) -> OtlpStats {
        let c = &self.counters;
        OtlpStats {
            requests_recorded: c.requests_recorded.load(Relaxed),
            requests_queued: c.requests_queued.load(Relaxed),
            queue_dropped: c.queue_dropped.load(Relaxed),
            spans_exported: c.spans_exported.load(Relaxed),
            spans_rejected: c.spans_rejected.load(Relaxed),
            spans_failed: c.spans_failed.load(Relaxed),
            trace_exports_failed: c.trace_exports_failed.load(Relaxed),
            metric_exports: c.metric_exports.load(Relaxed),
            metric_exports_failed: c.metric_exports_failed.load(Relaxed),
            metric_points_rejected: c.metric_points_rejected.load(Relaxed),
            metric_series: self.aggregator.as_ref().map_or(0, |a| a.series_count() as u64),
            metric_series_overflow: self.aggregator.as_ref().map_or(0, |a| a.overflowed()),
            last_error: c
                .last_error
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
        }
    }

    /// Stops taking requests, sends what is queued and the metrics one last time, and waits up
    /// to `timeout` for that. Returns the final statistics.
    ///
    /// # Errors
    /// [`OtlpError::ShutdownTimeout`] when the last exports did not finish in time (they are
    /// abandoned, and what they carried is lost).
    pub async fn shutdown(mut self, timeout: Duration) -> Result<OtlpStats, OtlpError> {
        self.spans = None;
        self.close(timeout).await
    }

    /// [`OtlpExporter::shutdown`] through a shared reference, for an exporter other threads still
    /// hold: requests recorded afterwards are counted but no longer exported. Calling it again only
    /// returns the statistics.
    ///
    /// # Errors
    /// [`OtlpError::ShutdownTimeout`] as for [`OtlpExporter::shutdown`].
    pub async fn close(&self, timeout: Duration) -> Result<OtlpStats, OtlpError> {
        let _ = self.stop.send(true);
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let aborts: Vec<_> = tasks.iter().map(JoinHandle::abort_handle).collect();
        let joined = tokio::time::timeout(timeout, async {
            for task in tasks {
                let _ = task.await;
            }
        })
        .await;
        if joined.is_err() {
            for abort in aborts {
                abort.abort();
            }
            return Err(OtlpError::ShutdownTimeout(timeout));
        }
        Ok(self.stats())
    }
}

fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The sending side of the span queue.
struct SpanQueue {
    tx: mpsc::Sender<Arc<FinishedRequest>>,
    /// Calls the worker before its next tick, when the queue is half full.
    wake: Arc<Notify>,
}

/// Turns queued requests into spans and sends them in batches.
///
/// It drains the queue every `delay` (OTLP's `scheduledDelayMillis`), or sooner when the queue is half
/// full, rather than waking for each request: at thousands of sampled requests a second, a wake-up per
/// request cost the gateway more than the spans themselves.
struct SpanWorker {
    rx: mpsc::Receiver<Arc<FinishedRequest>>,
    wake: Arc<Notify>,
    transport: Transport,
    resource: Resource,
    counters: Arc<Counters>,
    max_batch: usize,
    delay: Duration,
}

impl SpanWorker {
    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut batch: Vec<Span> = Vec::with_capacity(self.max_batch + 1);
        loop {
            let stopping = tokio::select! {
                biased;
                changed = stop.changed() => changed.is_err() || *stop.borrow(),
                () = self.wake.notified() => false,
                () = tokio::time::sleep(self.delay) => false,
            };
            if stopping {
                break;
            }
            while let Ok(request) = self.rx.try_recv() {
                spans::push_spans(&request, &mut batch);
                if batch.len() >= self.max_batch {
                    self.export(&mut batch).await;
                }
            }
            if !batch.is_empty() {
                self.export(&mut batch).await;
            }
        }
        // Shutting down: take what is queued, send it, and stop.
        self.rx.close();
        while let Some(request) = self.rx.recv().await {
            spans::push_spans(&request, &mut batch);
            if batch.len() >= self.max_batch {
                self.export(&mut batch).await;
            }
        }
        if !batch.is_empty() {
            self.export(&mut batch).await;
        }
    }

    async fn export(&self, batch: &mut Vec<Span>) {
        // A request adds two spans, so a batch may pass `max_batch` by one; split it there.
        while !batch.is_empty() {
            let rest = if batch.len() > self.max_batch {
                batch.split_off(self.max_batch)
            } else {
                Vec::new()
            };
            let spans = std::mem::replace(batch, rest);
            let n = spans.len() as u64;
            let request = ExportTraceServiceRequest {
                resource_spans: vec![spans::resource_spans(self.resource.clone(), spans)],
            };
            match self.transport.export_traces(request).await {
                Ok((rejected, message)) => {
                    let rejected = rejected.min(n);
                    self.counters.spans_exported.fetch_add(n - rejected, Relaxed);
                    if rejected > 0 {
                        self.counters.spans_rejected.fetch_add(rejected, Relaxed);
                        self.counters
                            .failed(format!("traces: {rejected} spans rejected: {message}"));
                    }
                }
                Err(e) => {
                    self.counters.spans_failed.fetch_add(n, Relaxed);
                    self.counters.trace_exports_failed.fetch_add(1, Relaxed);
                    self.counters.failed(format!("traces: {e}"));
                }
            }
        }
    }
}

/// Reads the metrics out every interval and sends them.
struct MetricWorker {
    aggregator: Arc<Aggregator>,
    transport: Transport,
    resource: Resource,
    counters: Arc<Counters>,
    interval: Duration,
}

impl MetricWorker {
    async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + self.interval, self.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        break;
                    }
                }
                _ = ticker.tick() => self.export().await,
            }
        }
        self.export().await;
    }

    async fn export(&self) {
        let Some(metrics) = self.aggregator.collect(&self.resource, unix_nanos()) else {
            return;
        };
        let request = ExportMetricsServiceRequest {
            resource_metrics: vec![metrics],
        };
        match self.transport.export_metrics(request).await {
            Ok((rejected, message)) => {
                self.counters.metric_exports.fetch_add(1, Relaxed);
                if rejected > 0 {
                    self.counters.metric_points_rejected.fetch_add(rejected, Relaxed);
                    self.counters
                        .failed(format!("metrics: {rejected} data points rejected: {message}"));
                }
            }
            Err(e) => {
                self.counters.metric_exports_failed.fetch_add(1, Relaxed);
                self.counters.failed(format!("metrics: {e}"));
            }
        }
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
