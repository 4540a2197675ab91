//! In-process counters for rate-based rules.
//!
//! Each rate-based statement owns a [`RateCounters`]: 16 mutex-protected shards of a map from the 64-bit keyed
//! hash of the aggregation key (SipHash with a per-rule random key, so clients cannot aim collisions) to twelve
//! sub-window buckets. A request adds one to the bucket of `now_ms`; the rate is the sum of the buckets that lie
//! in the evaluation window ending now, so the window slides in steps of window / 12 (5 s for 60 s windows).
//!
//! Memory is bounded: at most [`MAX_KEYS_PER_RULE`] keys per rule. When a shard is full, entries idle for a whole
//! window are dropped (at most once per bucket step per shard); if it is still full, requests with new keys are
//! not counted until room frees up (keys already tracked keep being counted and limited).

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Mutex;

/// Buckets per evaluation window.
pub const BUCKETS: u64 = 12;
/// Most aggregation keys tracked per rate-based rule.
pub const MAX_KEYS_PER_RULE: usize = 65_536;
const SHARDS: usize = 16;

#[derive(Debug, Clone, Copy)]
struct Entry {
    buckets: [u32; BUCKETS as usize],
    last: u64,
}

#[derive(Debug, Default)]
struct Shard {
    map: HashMap<u64, Entry>,
    last_purge: u64,
}

/// The counters of one rate-based rule.
#[derive(Debug)]
pub(crate) struct RateCounters {
    bucket_ms: u64,
    hasher: RandomState,
    shards: Box<[Mutex<Shard>]>,
}

impl RateCounters {
    /// Counters for windows of `window_ms`.
    pub fn new(window_ms: u64) -> Self {
        Self {
            bucket_ms: (window_ms / BUCKETS).max(1),
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
        }
    }

    /// A hasher for building a key (feed the key's parts, then `finish`).
    pub fn hasher(&self) -> std::collections::hash_map::DefaultHasher {
        self.hasher.build_hasher()
    }

    /// Counts one request for `key` at `now_ms`; returns the number of requests for `key` in the window ending now
    /// (this one included), or 1 when the key cannot be tracked (table full).
    pub fn hit(&self, key: u64, now_ms: u64) -> u64 {
        let b = now_ms / self.bucket_ms;
        let shard = &self.shards[(key >> 60) as usize % SHARDS];
        let mut shard = match shard.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let cap = MAX_KEYS_PER_RULE / SHARDS;
        if !shard.map.contains_key(&key) && shard.map.len() >= cap {
            if shard.last_purge == b {
                return 1;
            }
            shard.last_purge = b;
            shard.map.retain(|_, e| b.saturating_sub(e.last) < BUCKETS);
            if shard.map.len() >= cap {
                return 1;
            }
        }
        let e = shard.map.entry(key).or_insert(Entry {
            buckets: [0; BUCKETS as usize],
            last: b,
        });
        if b > e.last {
            let stale = (b - e.last).min(BUCKETS);
            for k in 1..=stale {
                e.buckets[((e.last + k) % BUCKETS) as usize] = 0;
            }
            e.last = b;
        }
        let slot = (e.last % BUCKETS) as usize;
        e.buckets[slot] = e.buckets[slot].saturating_add(1);
        e.buckets.iter().map(|&n| u64::from(n)).sum()
    }

    /// Keys currently tracked (for tests and metrics).
    #[allow(dead_code)]
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map_or_else(|p| p.into_inner().map.len(), |g| g.map.len()))
            .sum()
    }
}
