//! The shipper: the engine every exporter runs on, generic over [`Sink`].
//!
//! [`Shipper::spawn`] starts one task per sink and returns a [`ShipperHandle`] whose
//! [`push`](ShipperHandle::push) never blocks: it counts the record into a bounded in-memory queue
//! (a few atomics and a lock-free channel send) or drops it and counts why. The task cuts the queue into
//! batches within the sink's [`BatchLimits`](crate::BatchLimits), sends one batch at a time, retries
//! [`SendError::Retryable`](crate::SendError::Retryable) failures with capped exponential backoff and
//! full jitter, and spills to the on-disk [`spool`](crate::spool) when the endpoint fails or the memory
//! queue passes half of its limits. While the spool holds anything, newer records queue behind it, so
//! the stream stays in order; the spool is replayed after the endpoint returns and after a restart.
//!
//! The delivery guarantee (at-least-once for what reached the spool, where duplicates and losses can
//! happen) is spelled out in `docs/telemetry.md`, section "Delivery and the spool".

mod batch;
mod engine;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, Notify};

pub use batch::oversized;

use crate::spool::{SpoolConfig, SpoolError, FRAME_HEADER_BYTES};
use crate::{BatchLimits, Record, Sink};

/// A setting that is out of range, named the way the configuration names it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid shipper setting `{field}`: {reason}")]
pub struct ConfigError {
    /// The setting, such as `memory_records` or `spool.max_bytes`.
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl ConfigError {
    /// An error about `field`.
    #[must_use]
    pub fn new(field: &'static str, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            field,
            reason: reason.into(),
        }
    }
}

/// Why a shipper could not start or a call on it failed.
#[derive(Debug, thiserror::Error)]
pub enum ShipperError {
    /// A setting is out of range.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The sink's [`BatchLimits`] cannot carry any record, or the spool cannot hold one full batch.
    #[error("sink {sink}: {reason}")]
    Limits {
        /// The sink's name.
        sink: String,
        /// What is wrong.
        reason: String,
    },
    /// The spool directory could not be opened or recovered.
    #[error(transparent)]
    Spool(#[from] SpoolError),
    /// [`ShipperHandle::flush`] did not finish within its timeout.
    #[error("flush did not finish within {0:?}")]
    FlushTimeout(Duration),
    /// The shipper's task is gone (shut down, or its runtime stopped).
    #[error("the shipper has stopped")]
    Stopped,
}

/// How failed sends are retried: the `n`-th retry waits a random time in `[0, min(max, initial ×
/// multiplier^(n-1))]` ("full jitter"), or exactly that ceiling without jitter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Ceiling of the first retry's wait. Default 100 ms; more than zero.
    pub initial: Duration,
    /// Largest ceiling. Default 5 s; at least `initial`. Retries go on (the spool holding what arrives)
    /// until the batch is delivered, rejected or the shipper shuts down.
    pub max: Duration,
    /// Growth of the ceiling per retry. Default 2.0; at least 1.0.
    pub multiplier: f64,
    /// Wait a uniformly random time up to the ceiling (AWS's "full jitter"), so that many shippers
    /// that saw the same outage do not retry in step. Default `true`.
    pub full_jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(5),
            multiplier: 2.0,
            full_jitter: true,
        }
    }
}

impl RetryPolicy {
    /// The ceiling of retry number `retry` (1 for the first retry): `min(max, initial ×
    /// multiplier^(retry-1))`.
    #[must_use]
    pub fn ceiling(&self, retry: u32) -> Duration {
        let exp = i32::try_from(retry.saturating_sub(1)).unwrap_or(i32::MAX);
        let secs = self.initial.as_secs_f64() * self.multiplier.powi(exp);
        if secs.is_finite() && secs < self.max.as_secs_f64() {
            Duration::from_secs_f64(secs)
        } else {
            self.max
        }
    }

    /// The wait before retry number `retry`, given `unit`, a random number in `[0, 1)`.
    #[must_use]
    pub fn delay(&self, retry: u32, unit: f64) -> Duration {
        let ceiling = self.ceiling(retry);
        if self.full_jitter {
            ceiling.mul_f64(unit.clamp(0.0, 1.0))
        } else {
            ceiling
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.initial.is_zero() {
            return Err(ConfigError::new("retry.initial", "must be more than zero"));
        }
        if self.max < self.initial {
            return Err(ConfigError::new("retry.max", "must be at least retry.initial"));
        }
        if !(self.multiplier >= 1.0 && self.multiplier.is_finite()) {
            return Err(ConfigError::new(
                "retry.multiplier",
                "must be a finite number of at least 1.0",
            ));
        }
        Ok(())
    }
}

/// How one shipper queues, batches, retries and spools.
#[derive(Clone, Debug, PartialEq)]
pub struct ShipperConfig {
    /// Most records held in memory (pushed but neither delivered nor spooled). Default 65 536; at least
    /// 1. A push past it is dropped and counted ([`Dropped::queue_full`]).
    pub memory_records: usize,
    /// Most payload bytes held in memory. Default 64 MiB; at least 64 KiB.
    pub memory_bytes: usize,
    /// The on-disk spool; `None` keeps everything in memory (an outage longer than the memory queue then
    /// drops records, and a restart loses what was queued). Default `None`: the spool needs a directory.
    pub spool: Option<SpoolConfig>,
    /// Longest a record waits in memory for its batch to fill before a partial batch is sent. Default
    /// 1 s; more than zero, at most 1 hour.
    pub flush_interval: Duration,
    /// How failed sends are retried.
    pub retry: RetryPolicy,
    /// Longest one send may take before it counts as a retryable failure (the batch is then spooled and
    /// sent again: a duplicate if the endpoint did store it). Default 10 s; more than zero.
    pub send_timeout: Duration,
}

impl Default for ShipperConfig {
    fn default() -> ShipperConfig {
        ShipperConfig {
            memory_records: 65_536,
            memory_bytes: 64 << 20,
            spool: None,
            flush_interval: Duration::from_secs(1),
            retry: RetryPolicy::default(),
            send_timeout: Duration::from_secs(10),
        }
    }
}

impl ShipperConfig {
    /// Checks every setting, naming the first one that is out of range.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.memory_records == 0 {
            return Err(ConfigError::new("memory_records", "must be at least 1"));
        }
        if self.memory_bytes < 64 << 10 {
            return Err(ConfigError::new("memory_bytes", "must be at least 65536 (64 KiB)"));
        }
        if self.flush_interval.is_zero() || self.flush_interval > Duration::from_secs(3600) {
            return Err(ConfigError::new(
                "flush_interval",
                "must be more than zero and at most 1 hour",
            ));
        }
        if self.send_timeout.is_zero() {
            return Err(ConfigError::new("send_timeout", "must be more than zero"));
        }
        self.retry.validate()?;
        if let Some(spool) = &self.spool {
            spool.validate()?;
        }
        Ok(())
    }
}

/// Records dropped, by reason. Every record a caller pushed ends delivered, rejected by the endpoint,
/// still queued or spooled, or counted in exactly one of these; the one exception is a spool damaged
/// on disk, whose lost records are counted per damaged tail ([`Dropped::spool_error`]) or in bytes
/// ([`ShipperStats::spool_truncated_bytes`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Pushes refused because the memory queue was full.
    pub queue_full: u64,
    /// Records refused because the spool was at its `max_bytes` and memory full too (the newest are
    /// dropped), or left in memory at shutdown with the spool full.
    pub spool_full: u64,
    /// Records that alone break the sink's [`BatchLimits`].
    pub oversized: u64,
    /// Records of batches the endpoint refused for good ([`SendError::Rejected`](crate::SendError)).
    pub rejected_batches: u64,
    /// Corrupt or unreadable spool segment tails skipped while replaying (one per tail: how many
    /// records each held cannot be known). Torn tails cut off at open are counted in bytes in
    /// [`ShipperStats::spool_truncated_bytes`] instead. A failed spool write drops nothing: the records
    /// stay in memory.
    pub spool_error: u64,
    /// Records pushed after shutdown, or still in memory at shutdown when there is no spool.
    pub shutdown: u64,
}

impl Dropped {
    /// All dropped records.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.queue_full + self.spool_full + self.oversized + self.rejected_batches + self.spool_error + self.shutdown
    }
}

/// A snapshot of one shipper's counters, for metrics (`stats()` reads atomics, never blocks).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShipperStats {
    /// Records [`ShipperHandle::push`] accepted.
    pub accepted: u64,
    /// Records in memory now (pushed, neither delivered, dropped nor spooled).
    pub queued_records: u64,
    /// Payload bytes in memory now.
    pub queued_bytes: u64,
    /// Records in the spool not yet delivered.
    pub spool_records: u64,
    /// Bytes of spool segment files on disk.
    pub spool_bytes: u64,
    /// Records the endpoint stored ([`Delivered::accepted`](crate::Delivered)).
    pub delivered: u64,
    /// Records the endpoint refused one by one ([`Delivered::rejected`](crate::Delivered)).
    pub rejected: u64,
    /// Records dropped, by reason.
    pub dropped: Dropped,
    /// Batches sent successfully.
    pub batches: u64,
    /// Sends that failed (retryable, rejected or timed out).
    pub send_errors: u64,
    /// Sends that were retries of a batch.
    pub retries: u64,
    /// How long the last successful send took, in microseconds (0 before the first).
    pub last_export_latency_us: u64,
    /// Bytes of torn or corrupt spool tails cut off when the spool was opened.
    pub spool_truncated_bytes: u64,
}

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    queued_records: AtomicU64,
    queued_bytes: AtomicU64,
    spool_records: AtomicU64,
    spool_bytes: AtomicU64,
    delivered: AtomicU64,
    rejected: AtomicU64,
    queue_full: AtomicU64,
    spool_full: AtomicU64,
    oversized: AtomicU64,
    rejected_batches: AtomicU64,
    spool_error: AtomicU64,
    shutdown: AtomicU64,
    batches: AtomicU64,
    send_errors: AtomicU64,
    retries: AtomicU64,
    last_export_latency_us: AtomicU64,
    spool_truncated_bytes: AtomicU64,
    next_warn_ms: AtomicU64,
    /// The spool refused the last append for want of room: pushes refused now count as spool full.
    spool_full_now: AtomicBool,
}

fn load(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

fn add(a: &AtomicU64, n: u64) {
    a.fetch_add(n, Ordering::Relaxed);
}

impl Counters {
    fn snapshot(&self) -> ShipperStats {
        ShipperStats {
            accepted: load(&self.accepted),
            queued_records: load(&self.queued_records),
            queued_bytes: load(&self.queued_bytes),
            spool_records: load(&self.spool_records),
            spool_bytes: load(&self.spool_bytes),
            delivered: load(&self.delivered),
            rejected: load(&self.rejected),
            dropped: Dropped {
                queue_full: load(&self.queue_full),
                spool_full: load(&self.spool_full),
                oversized: load(&self.oversized),
                rejected_batches: load(&self.rejected_batches),
                spool_error: load(&self.spool_error),
                shutdown: load(&self.shutdown),
            },
            batches: load(&self.batches),
            send_errors: load(&self.send_errors),
            retries: load(&self.retries),
            last_export_latency_us: load(&self.last_export_latency_us),
            spool_truncated_bytes: load(&self.spool_truncated_bytes),
        }
    }

    /// Prints `message` on stderr unless a warning was printed less than a second ago.
    fn warn(&self, sink: &str, message: impl FnOnce() -> String) {
        let now = now_ms();
        let next = self.next_warn_ms.load(Ordering::Relaxed);
        if now < next {
            return;
        }
        if self
            .next_warn_ms
            .compare_exchange(next, now + 1000, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            let d = self.snapshot().dropped;
            eprintln!(
                "moat: telemetry {sink}: {}; dropped so far: {} queue full, {} spool full, {} oversized, {} rejected, {} spool errors, {} at shutdown",
                message(),
                d.queue_full,
                d.spool_full,
                d.oversized,
                d.rejected_batches,
                d.spool_error,
                d.shutdown
            );
        }
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// What the handles send the shipper's task.
enum Msg {
    Record(Record),
    Flush(oneshot::Sender<()>),
    Shutdown(Duration, oneshot::Sender<()>),
}

struct HandleInner {
    sink: String,
    limits: BatchLimits,
    memory_records: u64,
    memory_bytes: u64,
    tx: mpsc::UnboundedSender<Msg>,
    /// Wakes the task; see [`ShipperHandle::push`] for when.
    notify: Arc<Notify>,
    /// A push wakes the task each time the queue grows by this many records or bytes (one batch)...
    batch_records: u64,
    batch_bytes: u64,
    /// ...and when it reaches the spill watermark (half the memory limits).
    watermark_records: u64,
    watermark_bytes: u64,
    closed: AtomicBool,
    counters: Arc<Counters>,
}

impl Drop for HandleInner {
    fn drop(&mut self) {
        // The last handle is gone: the task sees the closed channel and spools what is left.
        self.notify.notify_one();
    }
}

/// Starts shippers.
#[derive(Debug)]
pub struct Shipper;

impl Shipper {
    /// Validates `config`, opens and recovers the spool (when configured; a non-empty spool is replayed
    /// first) and starts the shipper's task on `runtime`. Spool file I/O runs on the runtime's blocking
    /// pool, never on its workers.
    ///
    /// # Errors
    /// [`ShipperError::Config`] for a setting out of range, [`ShipperError::Limits`] when the sink's
    /// limits carry no record or the spool cannot hold one full batch, [`ShipperError::Spool`] when the
    /// spool directory cannot be opened.
    pub fn spawn<S: Sink>(
        sink: S,
        config: ShipperConfig,
        runtime: &tokio::runtime::Handle,
    ) -> Result<ShipperHandle, ShipperError> {
        config.validate()?;
        let limits = sink.limits();
        let name = sink.name().to_owned();
        let limits_err = |reason: String| ShipperError::Limits {
            sink: name.clone(),
            reason,
        };
        if limits.max_records == 0 || limits.max_record_bytes == 0 || limits.max_bytes <= limits.overhead_per_record {
            return Err(limits_err(format!("batch limits {limits:?} carry no record")));
        }
        if let Some(spool) = &config.spool {
            let batch = limits.max_bytes as u64 + limits.max_records as u64 * FRAME_HEADER_BYTES;
            if spool.max_bytes < batch.saturating_mul(2) {
                return Err(limits_err(format!(
                    "spool.max_bytes {} is below twice one full batch ({batch} bytes)",
                    spool.max_bytes
                )));
            }
        }
        let counters = Arc::new(Counters::default());
        let spool = match &config.spool {
            Some(spool_config) => {
                let (spool, recovered) = crate::spool::Spool::open(spool_config.clone())?;
                add(&counters.spool_truncated_bytes, recovered.truncated_bytes);
                if recovered.truncated_bytes > 0 || recovered.cursor_corrupt {
                    eprintln!(
                        "moat: telemetry {name}: spool {}: cut off {} bytes of torn or corrupt records{}",
                        spool_config.dir.display(),
                        recovered.truncated_bytes,
                        if recovered.cursor_corrupt {
                            "; the cursor was corrupt, replaying from the oldest segment"
                        } else {
                            ""
                        }
                    );
                }
                counters.spool_records.store(recovered.records, Ordering::Relaxed);
                counters.spool_bytes.store(recovered.bytes, Ordering::Relaxed);
                Some(spool)
            }
            None => None,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let notify = Arc::new(Notify::new());
        let inner = Arc::new(HandleInner {
            sink: name.clone(),
            limits,
            memory_records: config.memory_records as u64,
            memory_bytes: config.memory_bytes as u64,
            tx,
            notify: notify.clone(),
            batch_records: limits.max_records as u64,
            batch_bytes: limits.max_bytes as u64,
            watermark_records: (config.memory_records as u64).div_ceil(2),
            watermark_bytes: (config.memory_bytes as u64).div_ceil(2),
            closed: AtomicBool::new(false),
            counters: counters.clone(),
        });
        let engine = engine::Engine::new(sink, name, limits, config, counters, (rx, notify), spool);
        runtime.spawn(engine.run());
        Ok(ShipperHandle { inner })
    }
}

/// Pushes records to one shipper; cheap to clone and share between threads.
#[derive(Clone)]
pub struct ShipperHandle {
    inner: Arc<HandleInner>,
}

impl std::fmt::Debug for ShipperHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShipperHandle")
            .field("sink", &self.inner.sink)
            .finish_non_exhaustive()
    }
}

impl ShipperHandle {
    /// Queues `record` for delivery without blocking: `true` when queued, `false` when dropped (and
    /// counted: oversized for the sink, memory queue full, or the shipper shut down).
    ///
    /// Cost: two atomic adds and a lock-free channel send. It wakes the shipper's task only when the
    /// queue was empty, grows by a full batch (the sink's `max_records` or `max_bytes`) or reaches the
    /// spill watermark, so a busy gateway causes about one wake-up per batch, not one per record.
    pub fn push(&self, record: Record) -> bool {
        let inner = &*self.inner;
        let c = &*inner.counters;
        if oversized(&record, &inner.limits) {
            add(&c.oversized, 1);
            c.warn(&inner.sink, || {
                format!(
                    "dropped a {}-byte record larger than the sink accepts",
                    record.payload.len()
                )
            });
            return false;
        }
        if inner.closed.load(Ordering::Relaxed) {
            add(&c.shutdown, 1);
            return false;
        }
        let len = record.payload.len() as u64;
        let n = c.queued_records.fetch_add(1, Ordering::AcqRel);
        let b = c.queued_bytes.fetch_add(len, Ordering::AcqRel);
        if n >= inner.memory_records || b + len > inner.memory_bytes {
            c.queued_records.fetch_sub(1, Ordering::AcqRel);
            c.queued_bytes.fetch_sub(len, Ordering::AcqRel);
            if c.spool_full_now.load(Ordering::Relaxed) {
                add(&c.spool_full, 1);
                c.warn(&inner.sink, || {
                    "spool and memory queue full, dropping the newest records".to_owned()
                });
            } else {
                add(&c.queue_full, 1);
                c.warn(&inner.sink, || {
                    "memory queue full, dropping the newest records".to_owned()
                });
            }
            return false;
        }
        if inner.tx.send(Msg::Record(record)).is_err() {
            c.queued_records.fetch_sub(1, Ordering::AcqRel);
            c.queued_bytes.fetch_sub(len, Ordering::AcqRel);
            add(&c.shutdown, 1);
            return false;
        }
        add(&c.accepted, 1);
        let now_bytes = b + len;
        let wake = n == 0
            || (n + 1).is_multiple_of(inner.batch_records)
            || n + 1 == inner.watermark_records
            || now_bytes / inner.batch_bytes != b / inner.batch_bytes
            || (b < inner.watermark_bytes && now_bytes >= inner.watermark_bytes);
        if wake {
            inner.notify.notify_one();
        }
        true
    }

    /// Pushes each record as [`ShipperHandle::push`] does; returns how many were queued.
    pub fn push_batch(&self, records: impl IntoIterator<Item = Record>) -> usize {
        records.into_iter().map(|r| usize::from(self.push(r))).sum()
    }

    /// The shipper's counters now.
    #[must_use]
    pub fn stats(&self) -> ShipperStats {
        self.inner.counters.snapshot()
    }

    /// The sink's name.
    #[must_use]
    pub fn sink_name(&self) -> &str {
        &self.inner.sink
    }

    /// Waits until every record pushed before this call is delivered, spooled (on disk, `fsync`ed when
    /// the spool says so) or dropped; partial batches are sent at once instead of after
    /// `flush_interval`.
    ///
    /// # Errors
    /// [`ShipperError::FlushTimeout`] after `timeout`, [`ShipperError::Stopped`] when the task is gone.
    pub async fn flush(&self, timeout: Duration) -> Result<(), ShipperError> {
        let (tx, rx) = oneshot::channel();
        self.inner.tx.send(Msg::Flush(tx)).map_err(|_| ShipperError::Stopped)?;
        self.inner.notify.notify_one();
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(ShipperError::Stopped),
            Err(_) => Err(ShipperError::FlushTimeout(timeout)),
        }
    }

    /// Stops the shipper: refuses further pushes (on every clone), keeps delivering for up to `grace`,
    /// then writes everything still undelivered to the spool and `fsync`s it, so that the next start on
    /// the same directory replays it (without a spool, what is left is dropped and counted). Returns the
    /// final counters.
    pub async fn shutdown(self, grace: Duration) -> ShipperStats {
        self.inner.closed.store(true, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        if self.inner.tx.send(Msg::Shutdown(grace, tx)).is_ok() {
            self.inner.notify.notify_one();
            let _ = rx.await;
        }
        self.stats()
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
