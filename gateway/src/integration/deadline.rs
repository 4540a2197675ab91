//! Integration timeouts without a timer registration per request.
//!
//! Each worker keeps the deadlines of its in-flight integration calls in one table; a single sweeper task
//! per worker looks at the table every [`TICK`] while it is not empty and wakes the calls whose deadline
//! has passed. A call costs a table insert and remove under an uncontended lock instead of registering and
//! cancelling a tokio timer, and a timeout fires at most one tick late.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// How often the sweeper looks at pending deadlines; the most a timeout can fire late.
pub const TICK: Duration = Duration::from_millis(10);

struct Entry {
    deadline: Instant,
    waker: Waker,
    expired: bool,
}

#[derive(Default)]
struct Table {
    entries: Vec<Option<Entry>>,
    free: Vec<usize>,
    live: usize,
}

impl Table {
    fn insert(&mut self, entry: Entry) -> usize {
        self.live += 1;
        match self.free.pop() {
            Some(slot) => {
                self.entries[slot] = Some(entry);
                slot
            }
            None => {
                self.entries.push(Some(entry));
                self.entries.len() - 1
            }
        }
    }

    fn remove(&mut self, slot: usize) {
        if self.entries.get_mut(slot).and_then(Option::take).is_some() {
            self.live -= 1;
            self.free.push(slot);
        }
    }
}

/// The deadlines of one worker's in-flight integration calls.
#[derive(Default)]
pub struct Deadlines {
    table: Mutex<Table>,
    work: Notify,
}

/// The call did not finish in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed;

impl Deadlines {
    /// The table. No code panics while holding the lock, but a poisoned lock must not stop timeouts, so
    /// poisoning is ignored.
    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An empty table; run [`Deadlines::sweep`] on the same worker.
    #[must_use]
    pub fn new() -> Arc<Deadlines> {
        Arc::new(Deadlines::default())
    }

    /// Wakes expired calls until the process ends; sleeps without ticking while nothing is pending.
    pub async fn sweep(self: Arc<Self>) {
        loop {
            let idle = self.table().live == 0;
            if idle {
                // `notify_one` stores a permit, so a call registered after the check is not missed.
                self.work.notified().await;
                continue;
            }
            tokio::time::sleep(TICK).await;
            let now = Instant::now();
            for entry in self.table().entries.iter_mut().flatten() {
                if !entry.expired && entry.deadline <= now {
                    entry.expired = true;
                    entry.waker.wake_by_ref();
                }
            }
        }
    }

    /// Runs `call`, failing with [`Elapsed`] if it has not finished by `deadline`.
    pub fn timeout_at<F: Future>(self: &Arc<Self>, deadline: Instant, call: F) -> Timeout<F> {
        Timeout {
            call,
            deadlines: Arc::clone(self),
            deadline,
            slot: None,
        }
    }
}

pin_project_lite::pin_project! {
    /// A call with a deadline; see [`Deadlines::timeout_at`].
    pub struct Timeout<F> {
        #[pin]
        call: F,
        deadlines: Arc<Deadlines>,
        deadline: Instant,
        slot: Option<usize>,
    }

    impl<F> PinnedDrop for Timeout<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(slot) = this.slot.take() {
                this.deadlines.table().remove(slot);
            }
        }
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.call.poll(cx) {
            if let Some(slot) = this.slot.take() {
                this.deadlines.table().remove(slot);
            }
            return Poll::Ready(Ok(output));
        }
        let mut table = this.deadlines.table();
        match *this.slot {
            None => {
                let slot = table.insert(Entry {
                    deadline: *this.deadline,
                    waker: cx.waker().clone(),
                    expired: false,
                });
                *this.slot = Some(slot);
                if table.live == 1 {
                    this.deadlines.work.notify_one();
                }
                Poll::Pending
            }
            Some(slot) => match table.entries.get_mut(slot).and_then(Option::as_mut) {
                Some(entry) if entry.expired => {
                    table.remove(slot);
                    *this.slot = None;
                    Poll::Ready(Err(Elapsed))
                }
                Some(entry) => {
                    if !entry.waker.will_wake(cx.waker()) {
                        entry.waker = cx.waker().clone();
                    }
                    Poll::Pending
                }
                None => Poll::Pending,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slow_calls_time_out_and_fast_ones_do_not() {
        let deadlines = Deadlines::new();
        tokio::spawn(Arc::clone(&deadlines).sweep());
        let fast = deadlines.timeout_at(Instant::now() + Duration::from_millis(100), async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            7
        });
        assert_eq!(fast.await, Ok(7));
        let started = Instant::now();
        let slow = deadlines.timeout_at(
            started + Duration::from_millis(100),
            tokio::time::sleep(Duration::from_secs(5)),
        );
        assert_eq!(slow.await, Err(Elapsed));
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(100) && waited <= Duration::from_millis(100) + TICK * 2,
            "{waited:?}"
        );
        let table = deadlines.table.lock().expect("lock");
        assert_eq!(table.live, 0, "finished calls leave the table");
    }

    #[tokio::test(start_paused = true)]
    async fn dropped_calls_leave_the_table() {
        let deadlines = Deadlines::new();
        tokio::spawn(Arc::clone(&deadlines).sweep());
        let pending = deadlines.timeout_at(Instant::now() + Duration::from_secs(1), std::future::pending::<()>());
        let raced = tokio::time::timeout(Duration::from_millis(10), pending).await;
        assert!(raced.is_err());
        assert_eq!(deadlines.table.lock().expect("lock").live, 0);
    }
}
