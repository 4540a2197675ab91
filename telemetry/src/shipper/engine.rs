//! The shipper's task: one per sink, one batch in flight at a time.
//!
//! Order of records, oldest first: delivered | the batch in flight | the spool's read-ahead | the rest of
//! the spool | memory | the channel. A batch is cut from the spool while the spool holds anything, and
//! from memory only when the spool is empty, so the stream keeps its order across spills and restarts.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, oneshot, Notify};
use tokio::time::{sleep_until, Instant};

use super::batch::{cut, sort_batch};
use super::{add, Counters, Msg, ShipperConfig};
use crate::spool::{Appended, Spool, SpoolPos};
use crate::{BatchLimits, Delivered, Record, Sink};

/// While the endpoint is failing, records in memory are spilled at least this often (pushes wake the
/// task only at batch and watermark crossings, see `ShipperHandle::push`).
const SPILL_TICK: Duration = Duration::from_millis(100);

/// Where a batch's records are accounted.
#[derive(Debug, Default)]
struct Meta {
    /// Where the batch ends in the spool, once it is there (read from it, or spilled to it).
    end: Option<SpoolPos>,
    /// Spool records the batch covers (sent or oversized), for the commit.
    spool_records: u64,
    /// Records (and payload bytes) of the batch still counted in the memory queue.
    mem_records: u64,
    mem_bytes: u64,
}

struct Batch {
    records: Vec<Record>,
    meta: Meta,
    retries: u32,
}

type SharedSpool = Arc<Mutex<Spool>>;

/// Runs `f` on the spool in the blocking pool; `None` when the blocking task could not run.
async fn spool_io<T: Send + 'static>(
    spool: &SharedSpool,
    f: impl FnOnce(&mut Spool) -> T + Send + 'static,
) -> Option<T> {
    let spool = spool.clone();
    tokio::task::spawn_blocking(move || {
        let mut s = spool.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut s)
    })
    .await
    .ok()
}

pub(super) struct Engine<S> {
    sink: S,
    core: Core,
}

struct Core {
    name: String,
    limits: BatchLimits,
    config: ShipperConfig,
    counters: Arc<Counters>,
    rx: mpsc::UnboundedReceiver<Msg>,
    rx_open: bool,
    /// Woken by pushes that cross a batch or the watermark, by flush and shutdown, and when the last
    /// handle is dropped.
    notify: Arc<Notify>,
    /// Records in memory behind everything spooled, with when they arrived.
    memory: VecDeque<(Record, Instant)>,
    mem_bytes: u64,
    readahead: VecDeque<(Record, SpoolPos)>,
    spool: Option<SharedSpool>,
    /// The spool holds undelivered records: batches come from it.
    spool_active: bool,
    /// The last append did not fit: wait for a commit before trying again.
    spool_full: bool,
    /// The last send failed: spill everything that arrives.
    endpoint_down: bool,
    /// Records taken from the channel.
    received: u64,
    /// Records that left memory (delivered, spooled or dropped), in arrival order.
    settled: u64,
    waiters: Vec<(u64, oneshot::Sender<()>)>,
    /// Partial batches go out at once until `settled` reaches this (a flush is waiting).
    urgent_until: u64,
    shutdown: Option<Instant>,
    shutdown_replies: Vec<oneshot::Sender<()>>,
}

impl<S: Sink> Engine<S> {
    pub(super) fn new(
        sink: S,
        name: String,
        limits: BatchLimits,
        config: ShipperConfig,
        counters: Arc<Counters>,
        rx: (mpsc::UnboundedReceiver<Msg>, Arc<Notify>),
        spool: Option<Spool>,
    ) -> Engine<S> {
        let (rx, notify) = rx;
        let spool_active = spool.as_ref().is_some_and(|s| !s.is_empty());
        Engine {
            sink,
            core: Core {
                name,
                limits,
                config,
                counters,
                rx,
                rx_open: true,
                notify,
                memory: VecDeque::new(),
                mem_bytes: 0,
                readahead: VecDeque::new(),
                spool: spool.map(|s| Arc::new(Mutex::new(s))),
                spool_active,
                spool_full: false,
                endpoint_down: false,
                received: 0,
                settled: 0,
                waiters: Vec::new(),
                urgent_until: 0,
                shutdown: None,
                shutdown_replies: Vec::new(),
            },
        }
    }

    pub(super) async fn run(mut self) {
        let mut current: Option<Batch> = None;
        let mut retry_at: Option<Instant> = None;
        let Engine { sink, core } = &mut self;
        loop {
            let inflight = current.as_mut().map(|b| (&b.records[..], &mut b.meta));
            core.absorb(inflight).await;
            core.settle_waiters();
            if let Some(deadline) = core.shutdown {
                if Instant::now() >= deadline || core.drained(current.as_ref()) {
                    break;
                }
            }
            if current.is_none() {
                current = core.next_batch().await;
                retry_at = None;
            }
            let due = retry_at.is_none_or(|t| Instant::now() >= t);
            let Some(batch) = current.as_mut().filter(|_| due) else {
                let wake = core.wake_at(current.is_some(), retry_at);
                tokio::select! {
                    biased;
                    () = core.notify.notified(), if core.rx_open => {}
                    () = sleep_until(wake) => {}
                }
                continue;
            };
            if batch.retries > 0 {
                add(&core.counters.retries, 1);
            }
            let started = Instant::now();
            let outcome = {
                let records = &batch.records[..];
                let meta = &mut batch.meta;
                let send = tokio::time::timeout(core.config.send_timeout, sink.send(records));
                tokio::pin!(send);
                loop {
                    let deadline = core.shutdown;
                    tokio::select! {
                        biased;
                        r = &mut send => break Some(r),
                        () = sleep_until(deadline.unwrap_or(started)), if deadline.is_some() => break None,
                        () = core.notify.notified(), if core.rx_open => {
                            core.absorb(Some((records, &mut *meta))).await;
                        }
                    }
                }
            };
            match outcome {
                None => break,
                Some(Ok(Ok(delivered))) => {
                    core.on_delivered(delivered, started.elapsed());
                    if let Some(b) = current.take() {
                        core.finish(b.meta).await;
                    }
                }
                Some(Ok(Err(e))) if !e.is_retryable() => {
                    add(&core.counters.send_errors, 1);
                    add(&core.counters.rejected_batches, batch.records.len() as u64);
                    let n = batch.records.len();
                    core.counters
                        .warn(&core.name, || format!("{e}: dropped a batch of {n} records"));
                    if let Some(b) = current.take() {
                        core.finish(b.meta).await;
                    }
                }
                Some(result) => {
                    let why = match result {
                        Ok(Err(e)) => e.to_string(),
                        _ => format!("send timed out after {:?}", core.config.send_timeout),
                    };
                    add(&core.counters.send_errors, 1);
                    core.endpoint_down = true;
                    batch.retries += 1;
                    let delay = core.config.retry.delay(batch.retries, fastrand::f64());
                    core.counters
                        .warn(&core.name, || format!("{why}; retrying in {delay:?}"));
                    retry_at = Some(Instant::now() + delay);
                    let inflight = Some((&batch.records[..], &mut batch.meta));
                    core.spill(inflight).await;
                }
            }
        }
        core.finalize(current).await;
    }
}

impl Core {
    /// Everything pushed is delivered or dropped, and the spool is empty.
    fn drained(&self, current: Option<&Batch>) -> bool {
        current.is_none() && self.memory.is_empty() && self.readahead.is_empty() && !self.spool_active
    }

    /// When to wake up with nothing to receive.
    fn wake_at(&self, have_batch: bool, retry_at: Option<Instant>) -> Instant {
        let mut wake = Instant::now() + Duration::from_secs(3600);
        if let Some(t) = retry_at {
            wake = wake.min(t);
        }
        if !have_batch && !self.spool_active {
            if let Some((_, arrived)) = self.memory.front() {
                wake = wake.min(*arrived + self.config.flush_interval);
            }
        }
        if let Some(d) = self.shutdown {
            wake = wake.min(d);
        }
        if self.endpoint_down && self.spool.is_some() && !self.spool_full {
            wake = wake.min(Instant::now() + SPILL_TICK);
        }
        wake
    }

    fn settle_waiters(&mut self) {
        let mut i = 0;
        while i < self.waiters.len() {
            if self.waiters[i].0 <= self.settled {
                let (_, tx) = self.waiters.swap_remove(i);
                let _ = tx.send(());
            } else {
                i += 1;
            }
        }
    }

    /// `n` records (of `bytes` payload bytes) left memory.
    fn release(&mut self, n: u64, bytes: u64) {
        self.counters.queued_records.fetch_sub(n, Ordering::AcqRel);
        self.counters.queued_bytes.fetch_sub(bytes, Ordering::AcqRel);
        self.settled += n;
    }

    fn publish_spool(&self, records: u64, bytes: u64) {
        self.counters.spool_records.store(records, Ordering::Relaxed);
        self.counters.spool_bytes.store(bytes, Ordering::Relaxed);
    }

    fn memory_ready(&self) -> bool {
        let Some((_, oldest)) = self.memory.front() else {
            return false;
        };
        let l = &self.limits;
        self.memory.len() >= l.max_records
            || self.mem_bytes as usize + self.memory.len() * l.overhead_per_record >= l.max_bytes
            || self.urgent_until > self.settled
            || self.shutdown.is_some()
            || Instant::now() >= *oldest + self.config.flush_interval
    }

    /// The next batch to send: from the spool while it holds anything, else from memory once a full
    /// batch is there, the oldest record waited `flush_interval`, or a flush or shutdown is waiting.
    async fn next_batch(&mut self) -> Option<Batch> {
        loop {
            if self.spool_active {
                self.refill().await;
                if !self.readahead.is_empty() {
                    let mut meta = Meta::default();
                    let limits = self.limits;
                    let c = cut(
                        &mut self.readahead,
                        &limits,
                        |e| &e.0,
                        |e| {
                            meta.end = Some(e.1);
                            meta.spool_records += 1;
                        },
                    );
                    add(&self.counters.oversized, c.oversized as u64);
                    let mut records: Vec<Record> = c.entries.into_iter().map(|e| e.0).collect();
                    if records.is_empty() {
                        self.finish(meta).await;
                        continue;
                    }
                    sort_batch(&mut records);
                    return Some(Batch {
                        records,
                        meta,
                        retries: 0,
                    });
                }
                self.spool_active = false;
            }
            if !self.memory_ready() {
                return None;
            }
            let mut meta = Meta::default();
            let limits = self.limits;
            let c = cut(
                &mut self.memory,
                &limits,
                |e| &e.0,
                |e| {
                    meta.mem_records += 1;
                    meta.mem_bytes += e.0.payload.len() as u64;
                },
            );
            self.mem_bytes -= meta.mem_bytes;
            add(&self.counters.oversized, c.oversized as u64);
            let mut records: Vec<Record> = c.entries.into_iter().map(|e| e.0).collect();
            if records.is_empty() {
                self.finish(meta).await;
                continue;
            }
            sort_batch(&mut records);
            return Some(Batch {
                records,
                meta,
                retries: 0,
            });
        }
    }

    /// Reads from the spool until the read-ahead holds a full batch or the spool has no more.
    async fn refill(&mut self) {
        let Some(spool) = &self.spool else {
            return;
        };
        let want = self.limits.max_records.saturating_sub(self.readahead.len());
        let have: usize = self.readahead.iter().map(|e| e.0.payload.len()).sum();
        let want_bytes = self.limits.max_bytes.saturating_sub(have);
        if want == 0 || want_bytes == 0 {
            return;
        }
        let res = spool_io(spool, move |s| {
            let before = s.corrupt_skipped();
            let r = s.read(want, want_bytes);
            (r, s.corrupt_skipped() - before, s.take_read_error())
        })
        .await;
        if let Some((records, corrupt, error)) = res {
            if corrupt > 0 {
                add(&self.counters.spool_error, corrupt);
                self.counters.warn(&self.name, || match error {
                    Some(e) => format!("skipped {corrupt} unreadable spool segment tail(s): {e}"),
                    None => format!("skipped {corrupt} corrupt spool segment tail(s) while replaying"),
                });
            }
            self.readahead.extend(records);
        }
    }

    /// Takes what the channel holds; spills memory to the spool when it should.
    async fn absorb(&mut self, inflight: Option<(&[Record], &mut Meta)>) {
        self.take_msgs();
        let l = self.config.memory_records as u64;
        let b = self.config.memory_bytes as u64;
        let queued = self.counters.queued_records.load(Ordering::Relaxed);
        let queued_bytes = self.counters.queued_bytes.load(Ordering::Relaxed);
        let over_watermark = queued * 2 >= l || queued_bytes * 2 >= b;
        let flushing = self.urgent_until > self.settled && self.spool_active;
        if !self.memory.is_empty() && (self.endpoint_down || over_watermark || flushing) {
            self.spill(inflight).await;
        }
    }

    /// Takes every message waiting in the channel (without registering for wake-ups: pushes wake the
    /// task through `notify`). A closed channel (every handle dropped) starts a shutdown without grace.
    fn take_msgs(&mut self) {
        let now = Instant::now();
        loop {
            let msg = match self.rx.try_recv() {
                Ok(msg) => msg,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    if self.rx_open {
                        self.rx_open = false;
                        self.shutdown.get_or_insert(now);
                    }
                    break;
                }
            };
            match msg {
                Msg::Record(r) => {
                    self.received += 1;
                    self.mem_bytes += r.payload.len() as u64;
                    self.memory.push_back((r, now));
                }
                Msg::Flush(tx) => {
                    self.waiters.push((self.received, tx));
                    self.urgent_until = self.received;
                }
                Msg::Shutdown(grace, tx) => {
                    let d = now + grace;
                    self.shutdown = Some(self.shutdown.map_or(d, |s| s.min(d)));
                    self.shutdown_replies.push(tx);
                }
            }
        }
    }

    /// Appends to the spool the batch in flight (when it is only in memory) and then everything in
    /// memory, in that order. What does not fit stays in memory (and pushes are refused once memory is
    /// full too, counted as spool full).
    async fn spill(&mut self, inflight: Option<(&[Record], &mut Meta)>) {
        let Some(spool) = self.spool.clone() else {
            return;
        };
        if self.spool_full {
            return;
        }
        let (head, inflight_meta) = match inflight {
            Some((records, meta)) if meta.end.is_none() => (records.to_vec(), Some(meta)),
            _ => (Vec::new(), None),
        };
        let tail: Vec<Record> = self.memory.iter().map(|e| e.0.clone()).collect();
        if head.is_empty() && tail.is_empty() {
            return;
        }
        let (k, m) = (head.len(), tail.len());
        let res = spool_io(&spool, move |s| {
            let a = s.append(&head);
            let ok = a.error.is_none() && a.written == k;
            if ok && k > 0 {
                s.skip_read_to(a.end);
            }
            let b = if ok && m > 0 { Some(s.append(&tail)) } else { None };
            (a, b, s.records(), s.bytes())
        })
        .await;
        let Some((a, b, records, bytes)) = res else {
            return;
        };
        self.publish_spool(records, bytes);
        self.note_append(&a, k);
        if a.error.is_none() && a.written == k && k > 0 {
            if let Some(meta) = inflight_meta {
                meta.end = Some(a.end);
                meta.spool_records = k as u64;
                let (n, bytes) = (meta.mem_records, meta.mem_bytes);
                meta.mem_records = 0;
                meta.mem_bytes = 0;
                self.release(n, bytes);
                self.spool_active = true;
            }
        }
        if let Some(b) = b {
            self.note_append(&b, m);
            let mut bytes = 0;
            for _ in 0..b.written {
                if let Some((r, _)) = self.memory.pop_front() {
                    bytes += r.payload.len() as u64;
                }
            }
            self.mem_bytes -= bytes;
            self.release(b.written as u64, bytes);
            if b.written > 0 {
                self.spool_active = true;
            }
        }
    }

    fn note_append(&mut self, a: &Appended, wanted: usize) {
        if let Some(e) = &a.error {
            self.counters.warn(&self.name, || format!("writing the spool: {e}"));
        } else if a.written < wanted {
            self.spool_full = true;
            self.counters.spool_full_now.store(true, Ordering::Relaxed);
            self.counters.warn(&self.name, || {
                "spool full, keeping the newest records in memory".to_owned()
            });
        }
    }

    fn on_delivered(&mut self, d: Delivered, latency: Duration) {
        add(&self.counters.delivered, d.accepted as u64);
        add(&self.counters.rejected, d.rejected as u64);
        add(&self.counters.batches, 1);
        self.counters.last_export_latency_us.store(
            u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        self.endpoint_down = false;
    }

    /// A batch is done with (delivered, rejected or all oversized): commits its spool part and releases
    /// its memory part.
    async fn finish(&mut self, meta: Meta) {
        if let (Some(end), Some(spool)) = (meta.end, &self.spool) {
            let n = meta.spool_records;
            let res = spool_io(spool, move |s| (s.commit(end, n), s.records(), s.bytes())).await;
            if let Some((r, records, bytes)) = res {
                if let Err(e) = r {
                    self.counters
                        .warn(&self.name, || format!("writing the spool cursor: {e}"));
                }
                self.publish_spool(records, bytes);
            }
            self.spool_full = false;
            self.counters.spool_full_now.store(false, Ordering::Relaxed);
        }
        if meta.mem_records > 0 {
            self.release(meta.mem_records, meta.mem_bytes);
        }
    }

    /// After the last send: spools what is left (or drops it without a spool), syncs the spool and
    /// answers the waiters.
    async fn finalize(&mut self, mut current: Option<Batch>) {
        self.rx.close();
        self.take_msgs();
        self.spool_full = false;
        let inflight = current.as_mut().map(|b| (&b.records[..], &mut b.meta));
        self.spill(inflight).await;
        let reason = if self.spool.is_some() {
            &self.counters.spool_full
        } else {
            &self.counters.shutdown
        };
        let mut lost = 0;
        let mut lost_bytes = 0;
        if let Some(b) = current.take() {
            lost += b.meta.mem_records;
            lost_bytes += b.meta.mem_bytes;
        }
        for (r, _) in self.memory.drain(..) {
            lost += 1;
            lost_bytes += r.payload.len() as u64;
        }
        self.mem_bytes = 0;
        if lost > 0 {
            add(reason, lost);
            self.release(lost, lost_bytes);
            eprintln!(
                "moat: telemetry {}: shut down with {lost} undelivered records dropped",
                self.name
            );
        }
        if let Some(spool) = &self.spool {
            if let Some(Err(e)) = spool_io(spool, Spool::sync).await {
                eprintln!("moat: telemetry {}: syncing the spool: {e}", self.name);
            }
        }
        self.settle_waiters();
        for tx in self.shutdown_replies.drain(..) {
            let _ = tx.send(());
        }
    }
}
