//! A bounded pool for password hashing: argon2id is memory-hard (19 MiB per
//! verification), so unbounded concurrency would let a login storm exhaust
//! memory and starve every other request.
//!
//! The work runs on a fixed set of dedicated threads rather than Tokio's
//! blocking pool: each thread that ever hashed keeps its allocator arena (and
//! the 19 MiB in it), so a bounded number of threads is what bounds memory.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

type Job = Box<dyn FnOnce() + Send>;

/// At most `concurrency` hashes run at once; at most `queue` more wait.
/// Anything beyond is refused at once, so the caller can answer 503 instead
/// of queueing without bound.
#[derive(Debug)]
pub(crate) struct HashingPool {
    jobs: SyncSender<Job>,
    /// Jobs running or waiting. Counted here rather than left to the
    /// channel, so an idle thread that has not yet parked in `recv` does not
    /// make the pool look full.
    admitted: Arc<AtomicUsize>,
    capacity: usize,
}

/// One admitted job; gives its place back however the job ends (run,
/// skipped, panicked, or never delivered).
struct Admission(Arc<AtomicUsize>);

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The pool is full; try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy;

impl HashingPool {
    pub(crate) fn new(concurrency: usize, queue: usize) -> Self {
        let concurrency = concurrency.max(1);
        let capacity = concurrency + queue;
        let (jobs, inbox) = sync_channel::<Job>(capacity);
        let inbox = Arc::new(Mutex::new(inbox));
        for index in 0..concurrency {
            let inbox = Arc::clone(&inbox);
            // If the OS refuses a thread, the pool runs with fewer.
            let _ = std::thread::Builder::new()
                .name(format!("rbac-hash-{index}"))
                .spawn(move || work(&inbox));
        }
        Self { jobs, admitted: Arc::new(AtomicUsize::new(0)), capacity }
    }

    /// One concurrent hash per core, and eight waiting per core.
    pub(crate) fn default_limits() -> (usize, usize) {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        (cores, cores * 8)
    }

    /// Runs `job` on a pool thread once one is free. `Ok(None)` if the job
    /// could not finish (the pool shut down or the job panicked).
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<Option<T>, Busy> {
        if self.admitted.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(Busy);
        }
        let admission = Admission(Arc::clone(&self.admitted));
        let (reply, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _admission = admission;
            // The caller went away while waiting: skip the work.
            if !reply.is_closed() {
                let _ = reply.send(job());
            }
        });
        match self.jobs.try_send(job) {
            Ok(()) => Ok(result.await.ok()),
            // The channel holds `capacity` jobs, so only a pool without
            // threads gets here.
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Ok(None),
        }
    }
}

/// A worker: runs jobs until every sender is gone.
fn work(inbox: &Mutex<Receiver<Job>>) {
    loop {
        let job = inbox.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match job {
            // A panicking job drops its reply (the caller sees `None`); the
            // worker goes on.
            Ok(job) => {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            }
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn refuses_at_once_when_running_and_waiting_slots_are_taken() {
        let pool = Arc::new(HashingPool::new(1, 1));
        let (release, gate) = mpsc::channel::<()>();
        let gate = Arc::new(Mutex::new(gate));
        let (started, running_now) = mpsc::channel::<()>();
        let blocked = {
            let (pool, gate) = (Arc::clone(&pool), Arc::clone(&gate));
            tokio::spawn(async move {
                pool.run(move || {
                    let _ = started.send(());
                    gate.lock().map(|rx| rx.recv().ok()).ok()
                })
                .await
            })
        };
        running_now.recv_timeout(Duration::from_secs(5)).expect("first job runs");
        // The first probe takes the one queue place (and is abandoned when its
        // wait times out); the next is refused at once.
        let mut outcomes = Vec::new();
        for _ in 0..2 {
            outcomes.push(tokio::time::timeout(Duration::from_millis(20), pool.run(|| ())).await);
        }
        assert!(outcomes[0].is_err(), "queued, still waiting: {outcomes:?}");
        assert_eq!(outcomes[1], Ok(Err(Busy)), "a caller beyond the queue is refused immediately");
        release.send(()).expect("release");
        assert!(blocked.await.expect("join").is_ok());
        // Slots are given back once the worker has drained the queue (the
        // abandoned probe is skipped).
        let mut result = pool.run(|| 7).await;
        for _ in 0..500 {
            if result == Ok(Some(7)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
            result = pool.run(|| 7).await;
        }
        assert_eq!(result, Ok(Some(7)), "slots are given back");
    }

    #[tokio::test]
    async fn a_panicking_job_does_not_kill_the_pool() {
        let pool = HashingPool::new(1, 1);
        assert_eq!(pool.run(|| -> u8 { panic!("boom") }).await, Ok(None));
        assert_eq!(pool.run(|| 1).await, Ok(Some(1)));
    }
}
