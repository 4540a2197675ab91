//! Per-connection time limits without a timer per request: a [`Watched`] socket notes when the first
//! byte of a request head arrives, and the connection's watchdog (one timer per connection, ticking a few
//! times per limit) closes connections whose head is too slow (slowloris) or that sat idle too long.
//!
//! hyper's own `header_read_timeout` arms and drops a timer for every request on a keep-alive connection;
//! this does the same job with one atomic store per request.

use std::io;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::pipeline::{now_ms, ConnInfo};

/// What the watchdog decides for a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Leave it.
    Healthy,
    /// A request head has been arriving for longer than `header_read_timeout`: close now.
    SlowHead,
    /// No request in flight and nothing received for `idle_timeout`: close gracefully.
    Idle,
}

/// Judges a connection at `now` (ms since the epoch). `heads` is false for HTTP/2, whose frames between
/// streams are not request heads.
#[must_use]
pub fn judge(conn: &ConnInfo, now: u64, heads: bool, header_timeout: Duration, idle_timeout: Duration) -> Verdict {
    if conn.in_flight.load(Ordering::Relaxed) != 0 {
        return Verdict::Healthy;
    }
    let head_started = conn.head_started_ms.load(Ordering::Relaxed);
    if heads && head_started != 0 {
        let waited = now.saturating_sub(head_started);
        return if u128::from(waited) >= header_timeout.as_millis() {
            Verdict::SlowHead
        } else {
            Verdict::Healthy
        };
    }
    let idle = now.saturating_sub(conn.last_active_ms.load(Ordering::Relaxed));
    if u128::from(idle) >= idle_timeout.as_millis() {
        Verdict::Idle
    } else {
        Verdict::Healthy
    }
}

/// How often the watchdog looks: a quarter of the shorter limit, at least every 25 ms.
#[must_use]
pub fn tick(header_timeout: Duration, idle_timeout: Duration) -> Duration {
    (header_timeout.min(idle_timeout) / 4).max(Duration::from_millis(25))
}

/// A client socket that records when a request head starts arriving.
pub struct Watched<T> {
    inner: T,
    conn: Arc<ConnInfo>,
}

impl<T> Watched<T> {
    /// Watches `inner` for `conn`.
    pub fn new(inner: T, conn: Arc<ConnInfo>) -> Watched<T> {
        Watched { inner, conn }
    }

    /// The wrapped socket.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before
            && self.conn.in_flight.load(Ordering::Relaxed) == 0
            && self.conn.head_started_ms.load(Ordering::Relaxed) == 0
        {
            self.conn.head_started_ms.store(now_ms(), Ordering::Relaxed);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    fn conn() -> ConnInfo {
        ConnInfo::new(SocketAddr::from(([127, 0, 0, 1], 1)), 80, false)
    }

    #[test]
    fn fresh_connection_must_send_a_head_in_time() {
        let c = conn();
        let start = c.head_started_ms.load(Ordering::Relaxed);
        let (head, idle) = (Duration::from_secs(10), Duration::from_secs(60));
        assert_eq!(judge(&c, start + 9_999, true, head, idle), Verdict::Healthy);
        assert_eq!(judge(&c, start + 10_000, true, head, idle), Verdict::SlowHead);
    }

    #[test]
    fn idle_keep_alive_connection_is_closed_after_idle_timeout() {
        let c = conn();
        c.head_started_ms.store(0, Ordering::Relaxed);
        let last = c.last_active_ms.load(Ordering::Relaxed);
        let (head, idle) = (Duration::from_secs(10), Duration::from_secs(60));
        assert_eq!(judge(&c, last + 59_000, true, head, idle), Verdict::Healthy);
        assert_eq!(judge(&c, last + 60_000, true, head, idle), Verdict::Idle);
        c.in_flight.store(1, Ordering::Relaxed);
        assert_eq!(
            judge(&c, last + 600_000, true, head, idle),
            Verdict::Healthy,
            "a request in flight is never idle"
        );
    }

    #[test]
    fn http2_frames_are_not_heads() {
        let c = conn();
        let start = c.head_started_ms.load(Ordering::Relaxed);
        let (head, idle) = (Duration::from_secs(10), Duration::from_secs(60));
        assert_eq!(judge(&c, start + 20_000, false, head, idle), Verdict::Healthy);
    }

    #[test]
    fn tick_is_a_quarter_of_the_shorter_limit() {
        assert_eq!(
            tick(Duration::from_secs(10), Duration::from_secs(60)),
            Duration::from_millis(2500)
        );
        assert_eq!(
            tick(Duration::from_millis(40), Duration::from_secs(60)),
            Duration::from_millis(25)
        );
    }
}
