//! A `Sink` for tests (our own trait, not an AWS API): it accepts, fails, throttles, hangs or rejects
//! as the test says, records every batch it stored and checks each against its limits.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use moat_telemetry::{BatchLimits, Delivered, Record, SendError, Sink};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Store every batch.
    Accept,
    /// Answer like a 503.
    Fail,
    /// Answer like a ThrottlingException.
    Throttle,
    /// Never answer.
    Hang,
    /// Store every batch, 30 ms after it arrives.
    Slow,
    /// Refuse every batch for good.
    Reject,
    /// Store all but the first record of each batch, which is refused (too old).
    RejectFirst,
}

#[derive(Debug)]
pub struct State {
    pub mode: Mode,
    /// After this many more batches are stored, switch to `then`.
    pub switch_after: Option<(usize, Mode)>,
    pub received: Vec<Record>,
    pub calls: Vec<tokio::time::Instant>,
    pub batches: usize,
    pub violations: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Control(pub Arc<Mutex<State>>);

impl Control {
    pub fn new(mode: Mode) -> Control {
        Control(Arc::new(Mutex::new(State {
            mode,
            switch_after: None,
            received: Vec::new(),
            calls: Vec::new(),
            batches: 0,
            violations: Vec::new(),
        })))
    }

    pub fn set(&self, mode: Mode) {
        self.0.lock().unwrap().mode = mode;
    }

    pub fn received(&self) -> Vec<Record> {
        self.0.lock().unwrap().received.clone()
    }

    pub fn calls(&self) -> Vec<tokio::time::Instant> {
        self.0.lock().unwrap().calls.clone()
    }

    pub fn violations(&self) -> Vec<String> {
        self.0.lock().unwrap().violations.clone()
    }

    pub fn sink(&self, limits: BatchLimits) -> TestSink {
        TestSink {
            control: self.clone(),
            limits,
        }
    }
}

pub struct TestSink {
    control: Control,
    limits: BatchLimits,
}

pub fn limits() -> BatchLimits {
    BatchLimits {
        max_records: 50,
        max_bytes: 4096,
        overhead_per_record: 26,
        max_record_bytes: 1024,
        max_span_ms: Some(60_000),
    }
}

/// Record `i`: timestamp `i` ms, payload `record-{i}`.
pub fn rec(i: u64) -> Record {
    Record::new(i as i64, format!("record-{i:08}"))
}

/// The sequence number in a record made by [`rec`].
pub fn seq(r: &Record) -> u64 {
    std::str::from_utf8(&r.payload).unwrap()[7..].parse().unwrap()
}

impl Sink for TestSink {
    fn name(&self) -> &str {
        "test-sink"
    }

    fn limits(&self) -> BatchLimits {
        self.limits
    }

    async fn send(&mut self, batch: &[Record]) -> Result<Delivered, SendError> {
        let mode = {
            let mut s = self.control.0.lock().unwrap();
            s.calls.push(tokio::time::Instant::now());
            let l = self.limits;
            let bytes: usize = batch.iter().map(|r| r.payload.len() + l.overhead_per_record).sum();
            if batch.is_empty() || batch.len() > l.max_records || bytes > l.max_bytes {
                s.violations
                    .push(format!("batch of {} records, {bytes} bytes", batch.len()));
            }
            if !batch.windows(2).all(|w| w[0].timestamp_ms <= w[1].timestamp_ms) {
                s.violations.push("batch out of timestamp order".to_owned());
            }
            s.mode
        };
        let err = |m: &str| SendError::Retryable {
            endpoint: "test-sink".to_owned(),
            message: m.to_owned(),
        };
        match mode {
            Mode::Fail => Err(err("503 Service Unavailable")),
            Mode::Throttle => Err(err("ThrottlingException: Rate exceeded")),
            Mode::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Err(err("hung"))
            }
            Mode::Reject => Err(SendError::Rejected {
                endpoint: "test-sink".to_owned(),
                message: "InvalidParameterException".to_owned(),
            }),
            Mode::Accept | Mode::RejectFirst | Mode::Slow => {
                if mode == Mode::Slow {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                }
                let mut s = self.control.0.lock().unwrap();
                let skip = usize::from(mode == Mode::RejectFirst);
                s.received.extend(batch[skip..].iter().cloned());
                s.batches += 1;
                if let Some((n, then)) = s.switch_after {
                    if n <= 1 {
                        s.mode = then;
                        s.switch_after = None;
                    } else {
                        s.switch_after = Some((n - 1, then));
                    }
                }
                Ok(Delivered {
                    accepted: batch.len() - skip,
                    rejected: skip,
                })
            }
        }
    }
}

/// Asserts `got` is exactly records `from..to` made by [`rec`], in order.
pub fn assert_sequence(got: &[Record], from: u64, to: u64) {
    let seqs: Vec<u64> = got.iter().map(seq).collect();
    let expected: Vec<u64> = (from..to).collect();
    if seqs != expected {
        let first_bad = seqs.iter().zip(&expected).position(|(a, b)| a != b);
        panic!(
            "got {} records, expected {}; first difference at {first_bad:?}: {:?}",
            seqs.len(),
            expected.len(),
            first_bad.map(|i| &seqs[i.saturating_sub(2)..(i + 3).min(seqs.len())])
        );
    }
}
