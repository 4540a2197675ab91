//! A fixed-size log-linear histogram of latencies in microseconds: recording is an index computation and
//! one increment, no allocation; every value keeps 6 significant bits (relative error under 1/64).

/// Sub-buckets per power of two (2^SUB_BITS): values below this are exact, larger values keep
/// `SUB_BITS + 1` significant bits.
const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;
/// Largest exponent kept: values at or above `2^(MAX_EXP + SUB_BITS + 1)` µs (about 38 hours) land in the
/// last bucket.
const MAX_EXP: u32 = 31;
/// Number of buckets.
pub(crate) const BUCKETS: usize = (SUB as usize) * (MAX_EXP as usize + 2);

/// Counts of latencies by bucket.
#[derive(Clone)]
pub(crate) struct Histogram {
    counts: Box<[u32; BUCKETS]>,
    /// Samples recorded since the last reset (0 means every bucket is zero, so resetting is free).
    total: u64,
}

impl Histogram {
    pub(crate) fn new() -> Histogram {
        Histogram {
            counts: Box::new([0; BUCKETS]),
            total: 0,
        }
    }

    /// The bucket of `us` microseconds.
    pub(crate) fn index(us: u64) -> usize {
        if us < SUB {
            // Below 32 µs every value is its own bucket.
            return us as usize;
        }
        let msb = 63 - us.leading_zeros();
        let exp = (msb - SUB_BITS).min(MAX_EXP);
        if msb - SUB_BITS > MAX_EXP {
            return BUCKETS - 1;
        }
        let mantissa = (us >> exp) - SUB; // 0..SUB
        (SUB + u64::from(exp) * SUB + mantissa) as usize
    }

    /// The value that stands for bucket `index`: the middle of its range, in microseconds.
    pub(crate) fn representative_us(index: usize) -> u64 {
        let index = index as u64;
        if index < SUB {
            return index;
        }
        let exp = (index - SUB) / SUB;
        let mantissa = (index - SUB) % SUB + SUB;
        let low = mantissa << exp;
        let width = 1u64 << exp;
        low + (width - 1) / 2
    }

    /// Records one latency.
    #[inline]
    pub(crate) fn record(&mut self, us: u64) {
        let slot = &mut self.counts[Self::index(us)];
        *slot = slot.saturating_add(1);
        self.total += 1;
    }

    /// Samples recorded since the last reset.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Adds every non-empty bucket to `into` (bucket index -> count) and zeroes this histogram.
    pub(crate) fn drain_into(&mut self, into: &mut [u64; BUCKETS]) {
        if self.total == 0 {
            return;
        }
        for (slot, count) in into.iter_mut().zip(self.counts.iter_mut()) {
            *slot += u64::from(*count);
            *count = 0;
        }
        self.total = 0;
    }
}
