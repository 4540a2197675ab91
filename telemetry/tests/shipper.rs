//! The shipper against a test sink that fails, throttles, hangs, rejects or accepts on command, with a
//! real spool directory.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use common::{assert_sequence, limits, rec, Control, Mode};
use moat_telemetry::shipper::{RetryPolicy, Shipper, ShipperConfig, ShipperHandle};
use moat_telemetry::spool::SpoolConfig;
use moat_telemetry::Record;

fn spool_config(dir: &Path) -> SpoolConfig {
    SpoolConfig {
        dir: dir.to_path_buf(),
        max_bytes: 4 << 20,
        segment_bytes: 16 << 10,
        fsync: false,
    }
}

fn config(spool: Option<SpoolConfig>) -> ShipperConfig {
    ShipperConfig {
        memory_records: 64,
        memory_bytes: 64 << 10,
        spool,
        flush_interval: Duration::from_millis(20),
        retry: RetryPolicy {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(40),
            multiplier: 2.0,
            full_jitter: true,
        },
        send_timeout: Duration::from_millis(200),
    }
}

fn spawn(control: &Control, config: ShipperConfig) -> ShipperHandle {
    Shipper::spawn(control.sink(limits()), config, &tokio::runtime::Handle::current()).unwrap()
}

/// Pushes records `from..to` a few at a time, at a pace the shipper's task can spill (this machine is
/// shared, so the pace follows the queue rather than the clock): a producer the spool keeps up with.
/// `push` itself never waits; refusing pushes when memory is full is tested on its own.
async fn push_paced(h: &ShipperHandle, from: u64, to: u64) {
    let mut i = from;
    while i < to {
        while h.stats().queued_records > 32 {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        let end = (i + 16).min(to);
        assert_eq!(
            h.push_batch((i..end).map(rec)),
            (end - i) as usize,
            "push refused at {i}: {:?}",
            h.stats()
        );
        i = end;
        tokio::time::sleep(Duration::from_micros(300)).await;
    }
}

async fn wait_for(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn outage(mode: Mode) {
    let dir = tempfile::tempdir().unwrap();
    let control = Control::new(mode);
    let h = spawn(&control, config(Some(spool_config(dir.path()))));
    push_paced(&h, 0, 5000).await;
    h.flush(Duration::from_secs(10)).await.unwrap();
    let during = h.stats();
    assert_eq!(during.accepted, 5000);
    assert_eq!(during.dropped.total(), 0, "{during:?}");
    assert!(during.spool_records >= 5000 - 64, "spilled to disk: {during:?}");
    assert!(during.queued_records <= 64);
    assert!(control.received().is_empty());
    control.set(Mode::Accept);
    wait_for("the spool to drain", Duration::from_secs(30), || {
        control.received().len() >= 5000
    })
    .await;
    // Healthy again: new records go out behind the replayed ones (straight from memory, or through
    // the spool when the task falls behind the watermark; `flush` waits for "delivered or spooled", so
    // wait for the delivery itself).
    push_paced(&h, 5000, 5100).await;
    h.flush(Duration::from_secs(10)).await.unwrap();
    wait_for("delivery", Duration::from_secs(30), || {
        let s = h.stats();
        s.delivered >= 5100 && s.spool_records == 0
    })
    .await;
    let after = h.stats();
    assert_sequence(&control.received(), 0, 5100);
    assert_eq!(after.delivered, 5100);
    assert_eq!(after.spool_records, 0);
    assert_eq!(after.spool_bytes, 0, "a drained spool deletes its segments");
    assert_eq!(after.dropped.total(), 0);
    assert!(after.send_errors > 0 && after.retries > 0);
    assert!(control.violations().is_empty(), "{:?}", control.violations());
    h.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_longer_than_the_memory_queue_loses_and_duplicates_nothing() {
    outage(Mode::Fail).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttling_endpoint_loses_and_duplicates_nothing() {
    outage(Mode::Throttle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_endpoint_times_out_and_loses_and_duplicates_nothing() {
    outage(Mode::Hang).await;
}

/// A slow endpoint that never fails: the memory queue passes its watermark, the overflow goes to the
/// spool, and the stream still arrives whole and in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_endpoint_spills_past_the_watermark_and_keeps_order() {
    let dir = tempfile::tempdir().unwrap();
    let control = Control::new(Mode::Slow);
    let h = spawn(&control, config(Some(spool_config(dir.path()))));
    push_paced(&h, 0, 3000).await;
    let during = h.stats();
    assert!(during.spool_records > 0, "spilled: {during:?}");
    assert_eq!(during.send_errors, 0);
    control.set(Mode::Accept);
    wait_for("delivery", Duration::from_secs(30), || control.received().len() >= 3000).await;
    h.flush(Duration::from_secs(5)).await.unwrap();
    assert_sequence(&control.received(), 0, 3000);
    let s = h.shutdown(Duration::ZERO).await;
    assert_eq!(s.dropped.total(), 0);
    assert_eq!(s.spool_records, 0);
}

/// The waits between attempts follow the policy: exactly the ceiling without jitter, within
/// `[0, ceiling]` with full jitter. Time is tokio's paused clock, so the figures are exact.
#[tokio::test(start_paused = true)]
async fn retry_waits_follow_the_policy() {
    for full_jitter in [false, true] {
        let control = Control::new(Mode::Throttle);
        let policy = RetryPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
            multiplier: 2.0,
            full_jitter,
        };
        let h = spawn(
            &control,
            ShipperConfig {
                retry: policy,
                ..config(None)
            },
        );
        assert!(h.push(rec(0)));
        wait_for("13 attempts", Duration::from_secs(60), || control.calls().len() >= 13).await;
        control.set(Mode::Accept);
        wait_for("delivery", Duration::from_secs(60), || control.received().len() == 1).await;
        let calls = control.calls();
        let gaps: Vec<Duration> = calls.windows(2).map(|w| w[1] - w[0]).collect();
        for (i, gap) in gaps.iter().enumerate().take(12) {
            let ceiling = policy.ceiling(i as u32 + 1);
            let slack = Duration::from_millis(2);
            if full_jitter {
                assert!(
                    *gap <= ceiling + slack,
                    "retry {}: waited {gap:?}, ceiling {ceiling:?}",
                    i + 1
                );
            } else {
                assert!(
                    *gap >= ceiling && *gap <= ceiling + slack,
                    "retry {}: waited {gap:?}, want {ceiling:?}",
                    i + 1
                );
            }
        }
        if full_jitter {
            let below = gaps
                .iter()
                .take(12)
                .enumerate()
                .filter(|(i, g)| **g < policy.ceiling(*i as u32 + 1) * 9 / 10)
                .count();
            assert!(below > 0, "jitter never waited less than the ceiling: {gaps:?}");
        }
        let s = h.stats();
        assert_eq!(s.delivered, 1);
        assert!(s.retries >= 13, "{s:?}");
        assert!(s.send_errors >= 13, "{s:?}");
        h.shutdown(Duration::ZERO).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_batches_and_rejected_records_are_counted() {
    let control = Control::new(Mode::Reject);
    let h = spawn(&control, config(None));
    push_paced(&h, 0, 120).await;
    h.flush(Duration::from_secs(5)).await.unwrap();
    let s = h.stats();
    assert_eq!(s.dropped.rejected_batches, 120);
    assert_eq!(s.delivered, 0);
    assert!(control.received().is_empty());

    control.set(Mode::RejectFirst);
    push_paced(&h, 120, 240).await;
    h.flush(Duration::from_secs(5)).await.unwrap();
    let s = h.stats();
    let batches = control.0.lock().unwrap().batches as u64;
    assert!(batches >= 3);
    assert_eq!(s.rejected, batches);
    assert_eq!(s.delivered + s.rejected, 120);
    assert_eq!(s.batches, batches);
    h.shutdown(Duration::ZERO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_spool_drops_the_newest_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let control = Control::new(Mode::Fail);
    let spool = SpoolConfig {
        max_bytes: 16 << 10,
        segment_bytes: 4 << 10,
        ..spool_config(dir.path())
    };
    let h = spawn(&control, config(Some(spool)));
    let mut refused = 0;
    let mut pacing = true;
    for i in 0..2000 {
        // Pace by the queue until memory stays full (the spool is full): from then on, push flat out.
        let since = tokio::time::Instant::now();
        while pacing && h.stats().queued_records > 32 {
            if since.elapsed() > Duration::from_millis(100) {
                pacing = false;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        refused += u64::from(!h.push(rec(i)));
    }
    let s = h.stats();
    assert!(s.spool_bytes <= 16 << 10);
    assert_eq!(s.dropped.spool_full, refused, "{s:?}");
    assert_eq!(s.dropped.queue_full, 0, "{s:?}");
    assert!(refused > 1000, "{s:?}");
    control.set(Mode::Accept);
    let kept = 2000 - refused;
    wait_for("delivery", Duration::from_secs(20), || {
        control.received().len() as u64 >= kept
    })
    .await;
    h.flush(Duration::from_secs(5)).await.unwrap();
    // What was kept is the oldest records, gap-free: the newest were dropped.
    assert_sequence(&control.received(), 0, kept);
    assert!(kept >= 16 * 1024 / 31 - 64, "kept {kept}");
    h.shutdown(Duration::ZERO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_replays_the_spool_in_order_from_the_cursor() {
    let dir = tempfile::tempdir().unwrap();
    // 1: the endpoint is down; everything ends in the spool, the last records through shutdown.
    let c1 = Control::new(Mode::Fail);
    let h1 = spawn(&c1, config(Some(spool_config(dir.path()))));
    push_paced(&h1, 0, 600).await;
    let s1 = h1.shutdown(Duration::ZERO).await;
    assert_eq!(s1.spool_records, 600, "{s1:?}");
    assert_eq!(s1.dropped.total(), 0);

    // 2: three batches get through, then the endpoint fails again; new records queue behind.
    let c2 = Control::new(Mode::Accept);
    c2.0.lock().unwrap().switch_after = Some((3, Mode::Fail));
    let h2 = spawn(&c2, config(Some(spool_config(dir.path()))));
    wait_for("three batches", Duration::from_secs(10), || {
        c2.0.lock().unwrap().batches == 3
    })
    .await;
    push_paced(&h2, 600, 700).await;
    h2.shutdown(Duration::from_millis(50)).await;
    let first = c2.received();
    assert_sequence(&first, 0, 150);

    // 3: the rest, from the cursor on, nothing twice.
    let c3 = Control::new(Mode::Accept);
    let h3 = spawn(&c3, config(Some(spool_config(dir.path()))));
    wait_for("the rest", Duration::from_secs(10), || c3.received().len() >= 550).await;
    h3.flush(Duration::from_secs(5)).await.unwrap();
    let mut all = first;
    all.extend(c3.received());
    assert_sequence(&all, 0, 700);
    let s3 = h3.shutdown(Duration::from_secs(1)).await;
    assert_eq!(s3.spool_records, 0);
    assert_eq!(s3.spool_truncated_bytes, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_spool_tail_is_cut_off_counted_and_the_rest_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let c1 = Control::new(Mode::Fail);
    let h1 = spawn(&c1, config(Some(spool_config(dir.path()))));
    push_paced(&h1, 0, 100).await;
    h1.shutdown(Duration::ZERO).await;
    let mut segs: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    segs.sort();
    let garbage = [0x10, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3];
    OpenOptions::new()
        .append(true)
        .open(segs.last().unwrap())
        .unwrap()
        .write_all(&garbage)
        .unwrap();
    let c2 = Control::new(Mode::Accept);
    let h2 = spawn(&c2, config(Some(spool_config(dir.path()))));
    wait_for("replay", Duration::from_secs(10), || c2.received().len() >= 100).await;
    assert_sequence(&c2.received(), 0, 100);
    assert_eq!(h2.stats().spool_truncated_bytes, garbage.len() as u64);
    h2.shutdown(Duration::ZERO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_spool_shutdown_drops_and_counts_what_is_left() {
    let control = Control::new(Mode::Fail);
    let h = spawn(&control, config(None));
    let other = h.clone();
    push_paced(&h, 0, 10).await;
    let s = h.shutdown(Duration::from_millis(50)).await;
    assert_eq!(s.dropped.shutdown, 10, "{s:?}");
    assert_eq!(s.queued_records, 0);
    assert!(!other.push(rec(10)), "a clone refuses pushes after shutdown");
    assert_eq!(other.stats().dropped.shutdown, 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_memory_queue_without_a_spool_refuses_and_counts() {
    let control = Control::new(Mode::Fail);
    let h = spawn(&control, config(None));
    let accepted = h.push_batch((0..1000).map(rec));
    let s = h.stats();
    assert_eq!(accepted, 64);
    assert_eq!(s.dropped.queue_full, 1000 - 64);
    control.set(Mode::Accept);
    h.flush(Duration::from_secs(5)).await.unwrap();
    assert_sequence(&control.received(), 0, 64);
    h.shutdown(Duration::ZERO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_sends_partial_batches_at_once_and_oversized_records_are_refused() {
    let control = Control::new(Mode::Accept);
    let h = spawn(
        &control,
        ShipperConfig {
            flush_interval: Duration::from_secs(3600),
            ..config(None)
        },
    );
    assert!(
        !h.push(Record::new(0, vec![b'x'; 1025])),
        "larger than max_record_bytes"
    );
    assert!(h.push(rec(0)));
    assert!(h.push(rec(1)));
    h.flush(Duration::from_secs(5)).await.unwrap();
    assert_sequence(&control.received(), 0, 2);
    let s = h.stats();
    assert_eq!(s.dropped.oversized, 1);
    assert_eq!(s.delivered, 2);
    assert!(s.last_export_latency_us > 0 || s.batches == 1);
    h.shutdown(Duration::ZERO).await;
}

/// At a low rate, records wait up to `flush_interval` for company instead of going out one by one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_batch_waits_for_the_flush_interval() {
    let control = Control::new(Mode::Accept);
    let h = spawn(
        &control,
        ShipperConfig {
            flush_interval: Duration::from_secs(1),
            ..config(None)
        },
    );
    let start = tokio::time::Instant::now();
    for i in 0..10 {
        assert!(h.push(rec(i)));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(control.calls().is_empty(), "sent before the flush interval");
    wait_for("the partial batch", Duration::from_secs(10), || {
        control.received().len() == 10
    })
    .await;
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert_eq!(control.calls().len(), 1, "one batch of ten");
    assert_sequence(&control.received(), 0, 10);
    h.shutdown(Duration::ZERO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_are_sorted_by_timestamp_within_a_batch() {
    let control = Control::new(Mode::Accept);
    let h = spawn(&control, config(None));
    for ts in [5i64, 3, 9, 1, 7] {
        assert!(h.push(Record::new(ts, format!("ts-{ts}"))));
    }
    h.flush(Duration::from_secs(5)).await.unwrap();
    let got: Vec<i64> = control.received().iter().map(|r| r.timestamp_ms).collect();
    assert_eq!(got, vec![1, 3, 5, 7, 9]);
    assert!(control.violations().is_empty());
    h.shutdown(Duration::ZERO).await;
}
