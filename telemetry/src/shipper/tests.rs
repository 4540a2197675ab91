#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;

use proptest::prelude::*;

use super::batch::{cut, sort_batch};
use super::*;

fn limits_strategy() -> impl Strategy<Value = BatchLimits> {
    (
        1usize..40,
        64usize..4096,
        0usize..40,
        1usize..1024,
        proptest::option::of(0i64..2000),
    )
        .prop_map(
            |(max_records, max_bytes, overhead_per_record, max_record_bytes, max_span_ms)| BatchLimits {
                max_records,
                max_bytes,
                overhead_per_record,
                max_record_bytes,
                max_span_ms,
            },
        )
}

fn records_strategy() -> impl Strategy<Value = Vec<Record>> {
    proptest::collection::vec((0i64..5000, 0usize..1500), 0..300).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (ts, len))| Record::new(ts, format!("{i:06}{}", "x".repeat(len))))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Every batch respects every limit and is in timestamp order; every record that fits is sent
    /// exactly once, in queue order across batches; the rest are counted as oversized.
    #[test]
    fn batches_respect_every_limit(limits in limits_strategy(), input in records_strategy()) {
        let mut queue: VecDeque<Record> = input.iter().cloned().collect();
        let mut sent = Vec::new();
        let mut dropped = 0;
        let mut popped = 0;
        while !queue.is_empty() {
            let c = cut(&mut queue, &limits, |r| r, |_| popped += 1);
            dropped += c.oversized;
            let mut batch = c.entries;
            if batch.is_empty() {
                prop_assert!(queue.is_empty(), "an empty batch only when nothing is left");
                continue;
            }
            prop_assert!(batch.len() <= limits.max_records);
            let bytes: usize = batch.iter().map(|r| r.payload.len() + limits.overhead_per_record).sum();
            prop_assert!(bytes <= limits.max_bytes);
            prop_assert!(batch.iter().all(|r| r.payload.len() <= limits.max_record_bytes));
            if let Some(span) = limits.max_span_ms {
                let lo = batch.iter().map(|r| r.timestamp_ms).min().unwrap();
                let hi = batch.iter().map(|r| r.timestamp_ms).max().unwrap();
                prop_assert!(hi - lo <= span);
            }
            // Maximal: the record that ended the batch would have broken a limit.
            if let Some(next) = queue.front() {
                if !oversized(next, &limits) {
                    let lo = batch.iter().map(|r| r.timestamp_ms).min().unwrap().min(next.timestamp_ms);
                    let hi = batch.iter().map(|r| r.timestamp_ms).max().unwrap().max(next.timestamp_ms);
                    let too_many = batch.len() + 1 > limits.max_records;
                    let too_big = bytes + next.payload.len() + limits.overhead_per_record > limits.max_bytes;
                    let too_long = limits.max_span_ms.is_some_and(|s| hi - lo > s);
                    prop_assert!(too_many || too_big || too_long);
                }
            }
            sent.extend(batch.iter().cloned());
            sort_batch(&mut batch);
            prop_assert!(batch.windows(2).all(|w| w[0].timestamp_ms <= w[1].timestamp_ms));
        }
        let expected: Vec<Record> = input.iter().filter(|r| !oversized(r, &limits)).cloned().collect();
        prop_assert_eq!(dropped, input.len() - expected.len());
        prop_assert_eq!(popped, input.len());
        prop_assert_eq!(sent, expected);
    }

    /// Retry waits stay within [0, ceiling] and the ceiling grows by the multiplier up to max.
    #[test]
    fn retry_delays_stay_within_the_ceiling(
        initial_ms in 1u64..1000,
        extra_ms in 0u64..60_000,
        multiplier in 1.0f64..4.0,
        retry in 1u32..80,
        unit in 0.0f64..1.0,
    ) {
        let policy = RetryPolicy {
            initial: Duration::from_millis(initial_ms),
            max: Duration::from_millis(initial_ms + extra_ms),
            multiplier,
            full_jitter: true,
        };
        let ceiling = policy.ceiling(retry);
        prop_assert!(ceiling <= policy.max);
        prop_assert!(ceiling >= policy.initial);
        prop_assert!(policy.ceiling(retry + 1) >= ceiling);
        let expected = (policy.initial.as_secs_f64() * multiplier.powi(retry as i32 - 1)).min(policy.max.as_secs_f64());
        prop_assert!((ceiling.as_secs_f64() - expected).abs() < 1e-6);
        let d = policy.delay(retry, unit);
        prop_assert!(d <= ceiling);
        let fixed = RetryPolicy { full_jitter: false, ..policy };
        prop_assert_eq!(fixed.delay(retry, unit), ceiling);
    }
}

#[test]
fn full_jitter_spreads_over_the_whole_range() {
    let policy = RetryPolicy::default();
    let ceiling = policy.ceiling(3);
    assert_eq!(ceiling, Duration::from_millis(400));
    let draws: Vec<Duration> = (0..10_000).map(|_| policy.delay(3, fastrand::f64())).collect();
    let mean = draws.iter().map(Duration::as_secs_f64).sum::<f64>() / draws.len() as f64;
    assert!((mean - 0.2).abs() < 0.02, "mean {mean}");
    assert!(draws.iter().any(|d| *d < ceiling / 10));
    assert!(draws.iter().any(|d| *d > ceiling * 9 / 10));
    assert_eq!(policy.ceiling(100), policy.max);
}

#[test]
fn validate_names_the_field() {
    assert!(ShipperConfig::default().validate().is_ok());
    let field = |c: ShipperConfig| c.validate().unwrap_err().field;
    assert_eq!(
        field(ShipperConfig {
            memory_records: 0,
            ..ShipperConfig::default()
        }),
        "memory_records"
    );
    assert_eq!(
        field(ShipperConfig {
            memory_bytes: 10,
            ..ShipperConfig::default()
        }),
        "memory_bytes"
    );
    assert_eq!(
        field(ShipperConfig {
            flush_interval: Duration::ZERO,
            ..ShipperConfig::default()
        }),
        "flush_interval"
    );
    assert_eq!(
        field(ShipperConfig {
            send_timeout: Duration::ZERO,
            ..ShipperConfig::default()
        }),
        "send_timeout"
    );
    let retry = |r: RetryPolicy| {
        field(ShipperConfig {
            retry: r,
            ..ShipperConfig::default()
        })
    };
    let ok = RetryPolicy::default();
    assert_eq!(
        retry(RetryPolicy {
            initial: Duration::ZERO,
            ..ok
        }),
        "retry.initial"
    );
    assert_eq!(
        retry(RetryPolicy {
            max: Duration::from_millis(1),
            ..ok
        }),
        "retry.max"
    );
    assert_eq!(retry(RetryPolicy { multiplier: 0.5, ..ok }), "retry.multiplier");
    assert_eq!(
        retry(RetryPolicy {
            multiplier: f64::NAN,
            ..ok
        }),
        "retry.multiplier"
    );
    let mut spool = crate::spool::SpoolConfig::new("/tmp/x");
    spool.segment_bytes = 1;
    assert_eq!(
        field(ShipperConfig {
            spool: Some(spool),
            ..ShipperConfig::default()
        }),
        "spool.segment_bytes"
    );
    let msg = ShipperConfig {
        memory_records: 0,
        ..ShipperConfig::default()
    }
    .validate()
    .unwrap_err()
    .to_string();
    assert!(msg.contains("`memory_records`"), "{msg}");
}
