//! The gateway's side of telemetry out: one [`TelemetryHub`] per process owns the telemetry runtime (its
//! own threads, never a worker's), the AWS SDK configuration, and every shipper. Log sinks reach
//! CloudWatch Logs through a [`LineTee`] the hub hands out ([`TelemetryHub::log_group_tee`]): the sink's
//! writer thread renders lines as before and pushes them to a shipper, which batches, retries and spools
//! them. Nothing here runs on the request path.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use moat_telemetry::aws::{sdk_config, AwsSettings};
use moat_telemetry::buffers::BufferPool;
use moat_telemetry::cloudwatch_logs::{CloudWatchLogsOptions, CloudWatchLogsSink};
use moat_telemetry::metrics::{spawn_flusher, Aggregator, EmfExporter, MetricsConfig, Recorder};
use moat_telemetry::otlp::{OtlpConfig, OtlpExporter};
use moat_telemetry::prometheus::{names, spawn_listener, MetricsListener, Registry};
use moat_telemetry::request::FinishedRequest;
use moat_telemetry::shipper::{Shipper, ShipperConfig, ShipperHandle, ShipperStats};
use moat_telemetry::spool::SpoolConfig;
use moat_telemetry::xray::api::XRayApiSink;
use moat_telemetry::xray::sampling::Sampler;
use moat_telemetry::xray::segment::{segment_record, SegmentExtras, SegmentSettings};
use moat_telemetry::xray::udp::UdpSink;
use moat_telemetry::{Record, Sink};
use tokio::sync::oneshot;

use crate::log_sink::{LineTee, LogSink};
use crate::logging::{DEFAULT_KEEP_FILES, DEFAULT_QUEUE_BATCHES, DEFAULT_ROTATE_BYTES};

/// Where segment documents go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrayTransport {
    /// One datagram per segment to the X-Ray daemon (or a collector's awsxray receiver).
    Udp(SocketAddr),
    /// PutTraceSegments through the AWS SDK, batched, retried and spooled.
    Api,
    /// No X-Ray segments (sampled requests reach OTLP only).
    Off,
}

/// Tracing settings.
#[derive(Debug, Clone)]
pub struct TracesSettings {
    /// Decides which requests are traced when the caller did not.
    pub sampler: Arc<Sampler>,
    /// Where segments go.
    pub transport: XrayTransport,
}

impl PartialEq for TracesSettings {
    fn eq(&self, other: &TracesSettings) -> bool {
        Arc::ptr_eq(&self.sampler, &other.sampler) && self.transport == other.transport
    }
}

/// Hands segment documents of sampled requests to their transport (on log-writer threads).
pub struct SegmentEmitter {
    out: SegmentOut,
    settings: SegmentSettings,
    too_large: std::sync::atomic::AtomicU64,
}

enum SegmentOut {
    Udp(Mutex<UdpSink>),
    Api(ShipperHandle),
}

impl std::fmt::Debug for SegmentEmitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentEmitter")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl SegmentEmitter {
    /// Sends the segment of `request` (its integration call as a subsegment). Never blocks on the
    /// network: UDP sends are non-blocking, API batches go through a shipper's queue.
    pub fn emit(&self, request: &FinishedRequest) {
        let extras = SegmentExtras::default();
        let record = match segment_record(request, &self.settings, &extras) {
            Ok(record) => record,
            Err(_) => {
                self.too_large.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return;
            }
        };
        match &self.out {
            SegmentOut::Udp(sink) => {
                lock(sink).emit(&record.payload);
            }
            SegmentOut::Api(shipper) => {
                shipper.push(record);
            }
        }
    }
}

/// Metric aggregation settings and where EMF records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsSettings {
    /// Interval, namespace, dimensions.
    pub config: MetricsConfig,
    /// `stdout` or a file path (resolved), for EMF records.
    pub destination: Option<String>,
    /// The CloudWatch Logs group EMF records are shipped to.
    pub log_group: Option<String>,
}

/// Process-wide telemetry settings, validated from the config's `telemetry` section.
#[derive(Debug, Clone, PartialEq)]
pub struct TelemetrySettings {
    /// Overrides of the standard AWS chain (region, endpoint).
    pub aws: AwsSettings,
    /// The log stream every shipped log group gets (default: this host's name).
    pub log_stream: String,
    /// Where each shipper spools, one subdirectory per destination; `None` keeps records in memory only.
    pub spool_dir: Option<PathBuf>,
    /// Most bytes each shipper's spool may hold.
    pub spool_max_bytes: u64,
    /// Whether spool appends are fsynced (survive a machine crash, not only a process kill).
    pub spool_fsync: bool,
    /// Most records each shipper holds in memory.
    pub memory_records: usize,
    /// Longest a record waits for its batch to fill.
    pub flush_interval: Duration,
    /// How long shutdown waits for shippers to deliver before leaving the rest in the spool.
    pub shutdown_grace: Duration,
    /// API Gateway metrics in EMF, when configured.
    pub metrics: Option<MetricsSettings>,
    /// Where the Prometheus self-metrics listener listens, when configured.
    pub prometheus: Option<SocketAddr>,
    /// Sampling and the X-Ray transport of stages with tracing on.
    pub traces: TracesSettings,
    /// Region and account written into segment documents.
    pub segment: SegmentSettings,
    /// OTLP export, when configured.
    pub otlp: Option<OtlpConfig>,
}

/// The metrics side of the hub: the aggregator, its EMF output and the task closing intervals.
struct MetricsOut {
    aggregator: Arc<Aggregator>,
    emf: Arc<LogSink>,
    stop: Option<oneshot::Sender<()>>,
    flusher: Option<tokio::task::JoinHandle<()>>,
}

/// Owns the telemetry runtime and every shipper of the process.
pub struct TelemetryHub {
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
    handle: tokio::runtime::Handle,
    sdk: aws_config::SdkConfig,
    settings: TelemetrySettings,
    shippers: Mutex<Vec<ShipperHandle>>,
    registry: Arc<Registry>,
    metrics: Mutex<Option<MetricsOut>>,
    /// Where request records of stages without an access log go to reach metrics (renders nothing).
    requests: Mutex<Option<Arc<LogSink>>>,
    listener: Mutex<Option<MetricsListener>>,
    segments: Mutex<Option<Arc<SegmentEmitter>>>,
    otlp: Mutex<Option<Arc<OtlpExporter>>>,
}

impl std::fmt::Debug for TelemetryHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryHub")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl TelemetryHub {
    /// Starts the telemetry runtime (one worker thread, `moat-telemetry`) and loads the AWS
    /// configuration. Call it outside any tokio runtime.
    ///
    /// # Errors
    /// When the runtime cannot start.
    pub fn start(settings: TelemetrySettings) -> Result<Arc<TelemetryHub>, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(4)
            .thread_name("moat-telemetry")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the telemetry runtime: {e}"))?;
        let handle = runtime.handle().clone();
        let sdk = runtime.block_on(sdk_config(&settings.aws));
        let hub = Arc::new(TelemetryHub {
            runtime: Mutex::new(Some(runtime)),
            handle,
            sdk,
            settings,
            shippers: Mutex::new(Vec::new()),
            registry: Arc::new(Registry::new()),
            metrics: Mutex::new(None),
            requests: Mutex::new(None),
            listener: Mutex::new(None),
            segments: Mutex::new(None),
            otlp: Mutex::new(None),
        });
        if let Some(config) = hub.settings.otlp.clone() {
            let exporter = OtlpExporter::start_on(config, &hub.handle).map_err(|e| format!("telemetry.otlp: {e}"))?;
            *lock(&hub.otlp) = Some(Arc::new(exporter));
        }
        if let Some(metrics) = hub.settings.metrics.clone() {
            hub.start_metrics(&metrics)?;
        }
        if let Some(addr) = hub.settings.prometheus {
            let listener = spawn_listener(&hub.handle, addr, Arc::clone(&hub.registry))
                .map_err(|e| format!("telemetry.prometheus.listen: cannot listen on {addr}: {e}"))?;
            eprintln!("moat: self-metrics on http://{}/metrics", listener.local_addr());
            *lock(&hub.listener) = Some(listener);
        }
        Ok(hub)
    }

    fn start_metrics(&self, settings: &MetricsSettings) -> Result<(), String> {
        let shards = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let aggregator = Aggregator::new(&settings.config, shards).map_err(|e| format!("telemetry.metrics: {e}"))?;
        let exporter = EmfExporter::new(&settings.config).map_err(|e| format!("telemetry.metrics: {e}"))?;
        let tee = match &settings.log_group {
            Some(group) => Some(self.log_group_tee(group)?),
            None => None,
        };
        let emf = LogSink::open_teed(
            settings.destination.as_deref(),
            DEFAULT_ROTATE_BYTES,
            DEFAULT_KEEP_FILES,
            DEFAULT_QUEUE_BATCHES,
            tee,
        )
        .map_err(|e| format!("telemetry.metrics.destination: {e}"))?;
        let (stop, stopped) = oneshot::channel();
        let out = Arc::clone(&emf);
        let flusher = spawn_flusher(
            &self.handle,
            Arc::clone(&aggregator),
            exporter,
            stopped,
            move |snapshot, records, failed| {
                for record in records {
                    out.write_with(|buf| {
                        buf.extend_from_slice(&record.payload);
                        buf.push(b'\n');
                    });
                }
                if snapshot.dropped_requests > 0 || failed > 0 {
                    eprintln!(
                        "moat: metrics: {} request(s) over max_series not aggregated, {failed} series not rendered",
                        snapshot.dropped_requests
                    );
                }
            },
        );
        *lock(&self.metrics) = Some(MetricsOut {
            aggregator,
            emf,
            stop: Some(stop),
            flusher: Some(flusher),
        });
        Ok(())
    }

    /// A recorder of API Gateway metrics, when metrics are configured.
    #[must_use]
    pub fn recorder(&self) -> Option<Recorder> {
        lock(&self.metrics).as_ref().map(|m| m.aggregator.recorder())
    }

    /// The sink that carries request records of stages without an access log to metrics and traces.
    ///
    /// # Errors
    /// When its writer thread cannot start.
    pub fn request_sink(&self) -> Result<Arc<LogSink>, String> {
        let mut requests = lock(&self.requests);
        if let Some(sink) = &*requests {
            return Ok(Arc::clone(sink));
        }
        let sink = LogSink::open_teed(None, 0, 0, DEFAULT_QUEUE_BATCHES, None).map_err(|e| e.to_string())?;
        *requests = Some(Arc::clone(&sink));
        Ok(sink)
    }

    /// The OTLP exporter, when configured.
    #[must_use]
    pub fn otlp(&self) -> Option<Arc<OtlpExporter>> {
        lock(&self.otlp).clone()
    }

    /// The emitter of segment documents, started on first use; `None` when X-Ray is off.
    ///
    /// # Errors
    /// When the UDP socket cannot be opened or the API shipper cannot start.
    pub fn segment_emitter_if_on(&self) -> Result<Option<Arc<SegmentEmitter>>, String> {
        if self.settings.traces.transport == XrayTransport::Off {
            return Ok(None);
        }
        self.segment_emitter().map(Some)
    }

    /// The emitter of segment documents, started on first use.
    ///
    /// # Errors
    /// When the UDP socket cannot be opened or the API shipper cannot start.
    pub fn segment_emitter(&self) -> Result<Arc<SegmentEmitter>, String> {
        let mut segments = lock(&self.segments);
        if let Some(emitter) = &*segments {
            return Ok(Arc::clone(emitter));
        }
        let out = match self.settings.traces.transport {
            XrayTransport::Udp(addr) => {
                SegmentOut::Udp(Mutex::new(UdpSink::new(addr).map_err(|e| {
                    format!("telemetry.traces.xray: cannot open a UDP socket to {addr}: {e}")
                })?))
            }
            XrayTransport::Off => return Err("X-Ray is off (telemetry.traces.xray.transport: none)".to_owned()),
            XrayTransport::Api => {
                SegmentOut::Api(self.spawn_shipper(XRayApiSink::new(&self.sdk), &spool_dir_name("xray", "segments"))?)
            }
        };
        let emitter = Arc::new(SegmentEmitter {
            out,
            settings: self.settings.segment.clone(),
            too_large: std::sync::atomic::AtomicU64::new(0),
        });
        *segments = Some(Arc::clone(&emitter));
        Ok(emitter)
    }

    /// The self-metrics registry (served by the Prometheus listener when one is configured).
    #[must_use]
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// A tee that ships every line of a log sink to the CloudWatch Logs group `group` (stream: the
    /// configured `log_stream`), created when missing.
    ///
    /// # Errors
    /// A message naming what is wrong: a group or stream name CloudWatch refuses, or a spool directory
    /// that cannot be opened.
    pub fn log_group_tee(&self, group: &str) -> Result<Arc<dyn LineTee>, String> {
        let stream = self.settings.log_stream.clone();
        let sink = CloudWatchLogsSink::from_config(&self.sdk, group, stream, CloudWatchLogsOptions::default())
            .map_err(|e| e.to_string())?;
        let shipper = self.spawn_shipper(sink, &spool_dir_name("cloudwatch-logs", group))?;
        Ok(Arc::new(ShipLines {
            shipper,
            buffers: BufferPool::new(SHIP_BUFFERS_IDLE_BYTES),
        }))
    }

    /// Starts a shipper for `sink` with the configured queue, flush interval and spool (in the spool
    /// directory's subdirectory `spool_name`), exposes its counters and keeps it for shutdown.
    fn spawn_shipper<S: Sink>(&self, sink: S, spool_name: &str) -> Result<ShipperHandle, String> {
        let spool = self.settings.spool_dir.as_ref().map(|dir| SpoolConfig {
            max_bytes: self.settings.spool_max_bytes,
            fsync: self.settings.spool_fsync,
            ..SpoolConfig::new(dir.join(spool_name))
        });
        let config = ShipperConfig {
            memory_records: self.settings.memory_records,
            spool,
            flush_interval: self.settings.flush_interval,
            ..ShipperConfig::default()
        };
        let shipper = Shipper::spawn(sink, config, &self.handle).map_err(|e| e.to_string())?;
        self.register_shipper(&shipper);
        lock(&self.shippers).push(shipper.clone());
        Ok(shipper)
    }

    /// Exposes a shipper's counters as self-metrics.
    fn register_shipper(&self, shipper: &ShipperHandle) {
        let name = shipper.sink_name().to_owned();
        let labels = [("sink", name.as_str())];
        let read = |f: StatOf| {
            let shipper = shipper.clone();
            move || f(&shipper.stats()) as f64
        };
        let registered = [
            self.registry.gauge_fn(
                names::QUEUE_RECORDS,
                "Records waiting in a sink's in-memory queue.",
                &labels,
                read(|s| s.queued_records),
            ),
            self.registry.gauge_fn(
                names::SPOOL_BYTES,
                "Bytes in a sink's disk spool.",
                &labels,
                read(|s| s.spool_bytes),
            ),
            self.registry.counter_fn(
                names::EXPORT_ERRORS_TOTAL,
                "Export requests that failed.",
                &labels,
                read(|s| s.send_errors),
            ),
            self.registry.gauge_fn(
                names::EXPORT_LATENCY_SECONDS,
                "How long a sink's last successful export took.",
                &labels,
                {
                    let shipper = shipper.clone();
                    move || shipper.stats().last_export_latency_us as f64 / 1e6
                },
            ),
            self.registry.counter_fn(
                "moat_telemetry_delivered_records_total",
                "Records an endpoint stored.",
                &labels,
                read(|s| s.delivered),
            ),
        ];
        let reasons: [(&str, StatOf); 7] = [
            ("queue_full", |s| s.dropped.queue_full),
            ("spool_full", |s| s.dropped.spool_full),
            ("oversized", |s| s.dropped.oversized),
            ("rejected_batch", |s| s.dropped.rejected_batches),
            ("spool_error", |s| s.dropped.spool_error),
            ("shutdown", |s| s.dropped.shutdown),
            ("rejected_by_endpoint", |s| s.rejected),
        ];
        for result in registered.into_iter().chain(reasons.into_iter().map(|(reason, f)| {
            self.registry.counter_fn(
                names::DROPPED_RECORDS_TOTAL,
                "Records dropped, by reason.",
                &[("sink", name.as_str()), ("reason", reason)],
                read(f),
            )
        })) {
            if let Err(e) = result {
                eprintln!("moat: self-metrics for {name}: {e}");
            }
        }
    }

    /// Each shipper's destination and counters.
    #[must_use]
    pub fn stats(&self) -> Vec<(String, ShipperStats)> {
        lock(&self.shippers)
            .iter()
            .map(|s| (s.sink_name().to_owned(), s.stats()))
            .collect()
    }

    /// At exit, after every log sink was flushed: lets each shipper deliver for up to the shutdown
    /// grace period, leaves what is left in its spool, and stops the runtime. Calling it again does
    /// nothing.
    pub fn shutdown(&self) {
        let Some(runtime) = lock(&self.runtime).take() else {
            return;
        };
        let grace = self.settings.shutdown_grace;
        // Request records still queued feed the aggregator first; then the last (partial) interval's EMF
        // records go out through the EMF sink, before the shippers stop.
        if let Some(sink) = lock(&self.requests).take() {
            let _ = sink.flush_and_close();
        }
        if let Some(mut metrics) = lock(&self.metrics).take() {
            if let Some(stop) = metrics.stop.take() {
                let _ = stop.send(());
            }
            if let Some(flusher) = metrics.flusher.take() {
                let _ = runtime.block_on(flusher);
            }
            if let Err(e) = metrics.emf.flush_and_close() {
                eprintln!("moat: metrics: {e}");
            }
        }
        if let Some(listener) = lock(&self.listener).take() {
            runtime.block_on(listener.shutdown());
        }
        if let Some(otlp) = lock(&self.otlp).take() {
            if let Err(e) = runtime.block_on(otlp.close(grace)) {
                eprintln!("moat: telemetry otlp: {e}");
            }
        }
        let shippers = std::mem::take(&mut *lock(&self.shippers));
        runtime.block_on(async {
            let mut waits = Vec::new();
            for shipper in shippers {
                waits.push(tokio::spawn(async move {
                    let name = shipper.sink_name().to_owned();
                    (name, shipper.shutdown(grace).await)
                }));
            }
            for wait in waits {
                if let Ok((name, stats)) = wait.await {
                    let left = stats.queued_records + stats.spool_records;
                    eprintln!(
                        "moat: telemetry {name}: {} delivered, {} refused by the endpoint, {left} left in the spool \
                         for the next start, {} dropped",
                        stats.delivered,
                        stats.rejected,
                        stats.dropped.total()
                    );
                }
            }
        });
        runtime.shutdown_timeout(Duration::from_secs(1));
    }
}

/// Reads one counter out of a shipper's statistics.
type StatOf = fn(&ShipperStats) -> u64;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A spool subdirectory name for one destination: readable, and distinct for distinct destinations
/// (characters other than `[A-Za-z0-9._-]` become `_`, and a hash of the exact names is appended). The
/// stream is not part of it: the default stream name carries the process id, and a restarted process
/// must find (and replay into its own stream) what the previous one spooled.
fn spool_dir_name(kind: &str, group: &str) -> String {
    let mut name = String::with_capacity(kind.len() + group.len() + 20);
    for part in [kind, group] {
        if !name.is_empty() {
            name.push('~');
        }
        name.extend(part.chars().map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        }));
    }
    let mut hash: u32 = 0x811c_9dc5;
    for byte in kind.bytes().chain([0]).chain(group.bytes()) {
        hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    format!("{name}~{hash:08x}")
}

/// Milliseconds since the Unix epoch.
fn epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Idle line-buffer capacity a log group's tee keeps for reuse: a PutLogEvents batch (up to 1 MiB)
/// frees about sixteen 64 KiB writer batches at once, and the writer takes them back over its next
/// batches.
const SHIP_BUFFERS_IDLE_BYTES: usize = 4 << 20;

/// Splits a sink's batches into log events for a shipper. Each event is stamped with the time its batch
/// was written (at most the log sink's flush interval after the request ended), so a stream's events
/// are in order.
struct ShipLines {
    shipper: ShipperHandle,
    buffers: Arc<BufferPool>,
}

impl LineTee for ShipLines {
    fn lines(&self, lines: &[u8]) {
        let now = epoch_ms();
        let shared = self.buffers.copy(lines);
        self.shipper
            .push_batch(lines_of(&shared).map(|line| Record::new(now, line)));
    }
}

/// The non-empty lines of `shared`, without their `\n`, as slices sharing its buffer (a last line
/// without a newline included).
fn lines_of(shared: &Bytes) -> impl Iterator<Item = Bytes> + '_ {
    let mut start = 0;
    memchr::memchr_iter(b'\n', shared)
        .chain(std::iter::once(shared.len()))
        .filter_map(move |end| {
            let line = (end > start).then(|| shared.slice(start..end));
            start = end + 1;
            line
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(data: &[u8]) -> Vec<String> {
        let shared = Bytes::copy_from_slice(data);
        lines_of(&shared)
            .map(|b| String::from_utf8(b.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn shipped_lines_are_split_on_newlines_skipping_empty_ones() {
        assert_eq!(texts(b"a\nbb\n\nccc\n"), ["a", "bb", "ccc"]);
        assert_eq!(texts(b"tail without newline"), ["tail without newline"]);
        assert_eq!(texts(b"x\ny"), ["x", "y"]);
        assert!(texts(b"").is_empty());
        assert!(texts(b"\n\n").is_empty());
    }

    #[test]
    fn spool_directory_names_are_safe_and_distinct() {
        let a = spool_dir_name("cloudwatch-logs", "API-Gateway-Execution-Logs_abc/prod");
        let b = spool_dir_name("cloudwatch-logs", "API-Gateway-Execution-Logs_abc_prod");
        assert!(
            a.starts_with("cloudwatch-logs~API-Gateway-Execution-Logs_abc_prod~"),
            "{a}"
        );
        assert_ne!(
            a, b,
            "names differing only in an unsafe character must not share a spool"
        );
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || "._-~".contains(c)));
    }
}
