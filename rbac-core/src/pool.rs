//! A bounded pool for password hashing: argon2id is memory-hard (19 MiB per
//! verification), so unbounded concurrency would let a login storm exhaust
//! memory and starve every other request.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

/// At most `concurrency` hashes run at once, on Tokio's blocking pool; at most
/// `queue` more wait. Anything beyond is refused at once, so the caller can
/// answer 503 instead of queueing without bound.
#[derive(Debug)]
pub(crate) struct HashingPool {
    running: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
}

/// The pool is full; try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy;

/// Gives the waiting slot back however the wait ends, including when the
/// request is dropped mid-wait.
struct WaitingSlot<'a>(&'a AtomicUsize);

impl Drop for WaitingSlot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl HashingPool {
    pub(crate) fn new(concurrency: usize, queue: usize) -> Self {
        Self {
            running: Arc::new(Semaphore::new(concurrency.max(1))),
            waiting: AtomicUsize::new(0),
            queue,
        }
    }

    /// One concurrent hash per core, and eight waiting per core.
    pub(crate) fn sized_for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::new(cores, cores * 8)
    }

    /// Runs `job` on the blocking pool once a slot is free.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<Option<T>, Busy> {
        let permit = match Arc::clone(&self.running).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue {
                    self.waiting.fetch_sub(1, Ordering::AcqRel);
                    return Err(Busy);
                }
                let _slot = WaitingSlot(&self.waiting);
                match Arc::clone(&self.running).acquire_owned().await {
                    Ok(permit) => permit,
                    Err(_) => return Ok(None),
                }
            }
        };
        let result = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await;
        Ok(result.ok())
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
        let gate = Arc::new(std::sync::Mutex::new(gate));
        let blocked = |pool: Arc<HashingPool>, gate: Arc<std::sync::Mutex<mpsc::Receiver<()>>>| {
            tokio::spawn(async move {
                pool.run(move || gate.lock().map(|rx| rx.recv().ok()).ok()).await
            })
        };
        let running = blocked(Arc::clone(&pool), Arc::clone(&gate));
        while pool.running.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let waiting = blocked(Arc::clone(&pool), Arc::clone(&gate));
        while pool.waiting.load(Ordering::Acquire) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(pool.run(|| ()).await, Err(Busy), "third caller is refused immediately");
        release.send(()).expect("release first");
        release.send(()).expect("release second");
        assert!(running.await.expect("join").is_ok());
        assert!(waiting.await.expect("join").is_ok());
        assert_eq!(pool.run(|| 7).await, Ok(Some(7)), "slots are given back");
    }

    #[tokio::test]
    async fn a_dropped_waiter_gives_its_slot_back() {
        let pool = HashingPool::new(1, 1);
        let permit = Arc::clone(&pool.running).acquire_owned().await.expect("permit");
        let wait = pool.run(|| ());
        let timed_out = tokio::time::timeout(Duration::from_millis(20), wait).await;
        assert!(timed_out.is_err());
        assert_eq!(pool.waiting.load(Ordering::Acquire), 0);
        drop(permit);
        assert_eq!(pool.run(|| 1).await, Ok(Some(1)));
    }
}
