//! Cutting a queue of records into batches within a sink's [`BatchLimits`].

use std::collections::VecDeque;

use crate::{BatchLimits, Record};

/// Whether `record` alone breaks `limits` (too large for one record or for one request), so that no
/// batch can ever carry it.
#[must_use]
pub fn oversized(record: &Record, limits: &BatchLimits) -> bool {
    let len = record.payload.len();
    len > limits.max_record_bytes || len.saturating_add(limits.overhead_per_record) > limits.max_bytes
}

/// The records one request carries, counted the way the API counts them.
pub(crate) struct Cut<T> {
    /// The entries of the batch, in queue order (sort them by timestamp before sending).
    pub entries: Vec<T>,
    /// Entries popped because they alone break a limit.
    pub oversized: usize,
}

/// Pops from the front of `queue` the longest run of entries that fits in one request under `limits`:
/// at most `max_records`, at most `max_bytes` counting `overhead_per_record` per record, and no more
/// than `max_span_ms` between the oldest and newest timestamp. An entry whose record alone breaks a
/// limit is popped and counted in [`Cut::oversized`], never sent. `popped` sees every popped entry
/// (batched or oversized), in order.
pub(crate) fn cut<T>(
    queue: &mut VecDeque<T>,
    limits: &BatchLimits,
    record: impl Fn(&T) -> &Record,
    mut popped: impl FnMut(&T),
) -> Cut<T> {
    let mut entries = Vec::new();
    let mut oversized_count = 0;
    let mut bytes = 0usize;
    let mut lo = i64::MAX;
    let mut hi = i64::MIN;
    while let Some(front) = queue.front() {
        let r = record(front);
        if oversized(r, limits) {
            popped(front);
            queue.pop_front();
            oversized_count += 1;
            continue;
        }
        if entries.len() >= limits.max_records.max(1) {
            break;
        }
        let size = r.payload.len() + limits.overhead_per_record;
        if bytes + size > limits.max_bytes {
            break;
        }
        let (new_lo, new_hi) = (lo.min(r.timestamp_ms), hi.max(r.timestamp_ms));
        if let Some(span) = limits.max_span_ms {
            if !entries.is_empty() && new_hi.saturating_sub(new_lo) > span {
                break;
            }
        }
        lo = new_lo;
        hi = new_hi;
        bytes += size;
        popped(front);
        if let Some(entry) = queue.pop_front() {
            entries.push(entry);
        }
    }
    Cut {
        entries,
        oversized: oversized_count,
    }
}

/// Sorts a batch by timestamp, keeping the queue order of records with equal timestamps (APIs such as
/// PutLogEvents want a batch in chronological order).
pub(crate) fn sort_batch(records: &mut [Record]) {
    records.sort_by_key(|r| r.timestamp_ms);
}
