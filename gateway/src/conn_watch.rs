//! Per-connection time limits without a timer per request: a [`Watched`] socket notes when the first
//! byte of a request head arrives, and the connection's watchdog (one timer per connection, ticking a few
//! times per limit) closes connections whose head is too slow (slowloris) or that sat idle too long.
//!
//! hyper's own `header_read_timeout` arms and drops a timer for every request on a keep-alive connection;
//! this does the same job with one atomic store per request.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
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

/// Polls a side future (the watchdog's timer and the shutdown signal) only after it has woken the task,
/// not on every wake-up of the connection it rides along with: a busy connection wakes its task a few
/// times per request, and re-polling an unexpired timer and a watch channel each time costs more than
/// the rest of the connection's bookkeeping.
pub struct WakeGate {
    flag: Arc<GateFlag>,
    waker: Waker,
    /// The task waker last handed to the flag (compared without taking the flag's lock).
    task: Option<Waker>,
}

struct GateFlag {
    woken: AtomicBool,
    task: Mutex<Option<Waker>>,
}

impl Wake for GateFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        if let Some(task) = self.task.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
            task.wake_by_ref();
        }
    }
}

impl Default for WakeGate {
    fn default() -> Self {
        let flag = Arc::new(GateFlag {
            woken: AtomicBool::new(true),
            task: Mutex::new(None),
        });
        WakeGate {
            waker: Waker::from(Arc::clone(&flag)),
            flag,
            task: None,
        }
    }
}

impl WakeGate {
    /// Makes the next [`WakeGate::poll`] poll (a new side future must be polled once to register).
    pub fn arm(&self) {
        self.flag.woken.store(true, Ordering::Release);
    }

    /// Polls `side` with the gate's waker if it woke since it was last polled; `Pending` otherwise.
    pub fn poll<T>(&mut self, cx: &mut Context<'_>, side: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
        // The task to wake can change between polls (rarely: a task keeps its waker), so it is kept
        // current whether or not the side future is polled.
        if !self.task.as_ref().is_some_and(|t| t.will_wake(cx.waker())) {
            self.task = Some(cx.waker().clone());
            *self.flag.task.lock().unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
        }
        if !self.flag.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        side(&mut Context::from_waker(&self.waker))
    }
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
    use std::future::Future;
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

    #[tokio::test]
    async fn a_gated_future_is_polled_only_after_it_woke() {
        let mut gate = WakeGate::default();
        let polls = std::cell::Cell::new(0);
        let mut sleep = Box::pin(tokio::time::sleep(Duration::from_millis(20)));
        let mut poll_side = |cx: &mut Context<'_>| {
            polls.set(polls.get() + 1);
            sleep.as_mut().poll(cx)
        };
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        assert!(gate.poll(&mut cx, &mut poll_side).is_pending(), "first poll registers");
        assert!(gate.poll(&mut cx, &mut poll_side).is_pending());
        assert_eq!(polls.get(), 1, "not polled again before it wakes");
        let fired = std::future::poll_fn(|cx| gate.poll(cx, &mut poll_side)).await;
        assert_eq!(fired, ());
        assert_eq!(polls.get(), 2, "polled once more, when the timer woke the task");
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
