//! [`BufferPool`]: byte buffers reused across batches that are shared as [`Bytes`].
//!
//! A batch (a log writer's lines, a `PutLogEvents` body) is written into a buffer from the pool and
//! shared as [`Bytes`] ([`Bytes::from_owner`]); when the last clone or slice of it is dropped (the records
//! delivered, the request sent), the buffer goes back to the pool rather than to the allocator. With a
//! fresh allocation per batch, the allocator kept handing out fresh pages, which the kernel zeroes on first
//! touch (2 MiB at a time with transparent huge pages), faster than finished batches gave theirs back:
//! about an eighth of the log writer's time under load, and a share of the telemetry thread's.
//!
//! Buffers that are not shared go through [`BufferPool::take`] and [`BufferPool::put`] (the log sinks'
//! batch buffers).

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

/// A pool of byte buffers bounded by the capacity it keeps idle.
#[derive(Debug)]
pub struct BufferPool {
    free: Mutex<Idle>,
    max_idle_bytes: usize,
}

#[derive(Debug, Default)]
struct Idle {
    buffers: Vec<Vec<u8>>,
    bytes: usize,
}

impl BufferPool {
    /// A pool keeping idle buffers of at most `max_idle_bytes` of capacity in all; a returned buffer
    /// that would pass the bound is freed.
    #[must_use]
    pub fn new(max_idle_bytes: usize) -> Arc<BufferPool> {
        Arc::new(BufferPool {
            free: Mutex::new(Idle::default()),
            max_idle_bytes,
        })
    }

    /// An empty buffer: an idle one (keeping its capacity) when there is one.
    #[must_use]
    pub fn take(&self) -> Vec<u8> {
        let mut idle = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(mut buf) = idle.buffers.pop() else {
            return Vec::new();
        };
        idle.bytes -= buf.capacity();
        buf.clear();
        buf
    }

    /// `buf` as shared [`Bytes`] that return it to the pool when the last of them is dropped.
    #[must_use]
    pub fn share(self: &Arc<Self>, buf: Vec<u8>) -> Bytes {
        Bytes::from_owner(Pooled {
            buf,
            pool: Arc::clone(self),
        })
    }

    /// A shared copy of `data`, in a buffer from the pool.
    #[must_use]
    pub fn copy(self: &Arc<Self>, data: &[u8]) -> Bytes {
        let mut buf = self.take();
        buf.extend_from_slice(data);
        self.share(buf)
    }

    /// Idle buffers now.
    #[must_use]
    pub fn idle(&self) -> usize {
        self.free.lock().unwrap_or_else(PoisonError::into_inner).buffers.len()
    }

    /// Returns `buf` for reuse; it is freed instead when keeping it would pass the pool's bound.
    pub fn put(&self, buf: Vec<u8>) {
        let capacity = buf.capacity();
        if capacity == 0 {
            return;
        }
        let mut idle = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.bytes + capacity <= self.max_idle_bytes {
            idle.bytes += capacity;
            idle.buffers.push(buf);
        }
    }
}

/// The owner behind a pooled [`Bytes`]: returns its buffer when the last clone or slice is dropped.
struct Pooled {
    buf: Vec<u8>,
    pool: Arc<BufferPool>,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        self.pool.put(std::mem::take(&mut self.buf));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_returns_to_the_pool_when_its_last_slice_is_dropped() {
        let pool = BufferPool::new(1 << 10);
        let shared = pool.copy(b"one\ntwo\n");
        let slice = shared.slice(4..7);
        let first_ptr = shared.as_ptr();
        drop(shared);
        assert_eq!(pool.idle(), 0, "a slice still holds the buffer");
        assert_eq!(&slice[..], b"two");
        drop(slice);
        assert_eq!(pool.idle(), 1);
        let again = pool.copy(b"three\n");
        assert_eq!(again.as_ptr(), first_ptr, "the idle buffer is reused");
        assert_eq!(&again[..], b"three\n");
        assert_eq!(pool.idle(), 0);
    }

    #[test]
    fn taken_buffers_are_empty_and_keep_their_capacity() {
        let pool = BufferPool::new(1 << 12);
        let mut buf = pool.take();
        buf.extend_from_slice(&[7; 1000]);
        drop(pool.share(buf));
        let buf = pool.take();
        assert!(buf.is_empty());
        assert!(buf.capacity() >= 1000);
    }

    #[test]
    fn the_pool_keeps_no_more_idle_capacity_than_its_bound() {
        let pool = BufferPool::new(2500);
        let held: Vec<Bytes> = (0..5)
            .map(|_| {
                let mut buf = pool.take();
                buf.reserve_exact(1000);
                pool.share(buf)
            })
            .collect();
        drop(held);
        assert_eq!(
            pool.idle(),
            2,
            "two 1000-byte buffers fit in 2500 bytes, a third does not"
        );
        drop(pool.copy(&[b'x'; 4000]));
        assert_eq!(pool.idle(), 1, "taken, and not given back: larger than the bound");
    }
}
