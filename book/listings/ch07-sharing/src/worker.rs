//! One worker thread that runs the jobs sent to it: the tools a pool of
//! workers needs (a job type, catching a job's panic, and a `Drop` that
//! finishes the work), shown on a pool of one.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};

// ANCHOR: job
/// A job: a closure that runs once (`FnOnce`), on another thread (`Send`),
/// and borrows nothing that could end before it runs (`'static`). Each
/// closure has a type of its own; in a `Box<dyn …>` they all have one type,
/// so one channel can carry any of them.
pub type Job = Box<dyn FnOnce() + Send + 'static>;
// ANCHOR_END: job

// ANCHOR: worker
/// A thread that runs the jobs sent to it, one after the other.
pub struct Worker {
    /// `None` once the worker is finishing: see `finish`.
    jobs: Option<Sender<Job>>,
    /// `None` once the thread has been joined.
    thread: Option<JoinHandle<Vec<String>>>,
}

impl Worker {
    pub fn start() -> Worker {
        let (jobs, queue) = mpsc::channel();
        Worker {
            jobs: Some(jobs),
            thread: Some(thread::spawn(move || run_jobs(queue))),
        }
    }

    /// Queues `job`. Any closure of the right shape will do: it is boxed
    /// here, into a `Job`.
    pub fn run(&self, job: impl FnOnce() + Send + 'static) {
        if let Some(jobs) = &self.jobs {
            jobs.send(Box::new(job))
                .expect("the worker catches every panic");
        }
    }
}
// ANCHOR_END: worker

// ANCHOR: catch
/// The worker's thread: runs every job until the channel ends, and returns
/// the messages of the jobs that panicked. A job's panic ends that job only.
fn run_jobs(queue: Receiver<Job>) -> Vec<String> {
    let mut panics = Vec::new();
    for job in queue {
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(job)) {
            panics.push(panic_message(payload));
        }
    }
    panics
}

/// A panic's message: its payload as a `&str` or a `String`, as the threads
/// chapter showed.
fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => match payload.downcast_ref::<&str>() {
            Some(text) => (*text).to_owned(),
            None => "(no message)".to_owned(),
        },
    }
}
// ANCHOR_END: catch

// ANCHOR: finish
impl Worker {
    /// Lets the worker run every queued job, waits for it, and returns the
    /// messages of the jobs that panicked.
    pub fn finish(mut self) -> Vec<String> {
        self.stop()
    }

    fn stop(&mut self) -> Vec<String> {
        // `take` moves the sender out and leaves `None` in its place. Dropped,
        // it ends the channel: the loop in `run_jobs` ends once the queue is
        // empty.
        drop(self.jobs.take());
        match self.thread.take() {
            Some(thread) => thread.join().unwrap_or_default(),
            None => Vec::new(), // Joined already, by `finish`.
        }
    }
}

impl Drop for Worker {
    /// A worker dropped without `finish` still runs its queue to the end.
    fn drop(&mut self) {
        self.stop();
    }
}
// ANCHOR_END: finish

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn jobs_run_in_order_and_panics_are_reported_with_their_message() {
        testkit::watchdog::within_default(
            "the worker to run seven jobs",
            run_seven,
        );
    }

    fn run_seven() {
        let worker = Worker::start();
        let done = Arc::new(AtomicUsize::new(0));
        for n in 0..3 {
            let done = Arc::clone(&done);
            // Each job checks that the ones before it ran first.
            worker.run(move || {
                assert_eq!(done.fetch_add(1, Ordering::SeqCst), n);
            });
        }
        worker.run(|| panic!("a literal"));
        let code = 7;
        worker.run(move || panic!("formatted {code}"));
        worker.run(|| panic::panic_any(42_u8));
        let after = Arc::clone(&done);
        worker.run(move || {
            after.fetch_add(1, Ordering::SeqCst);
        });
        let panics = worker.finish();
        assert_eq!(panics, ["a literal", "formatted 7", "(no message)"]);
        assert_eq!(done.load(Ordering::SeqCst), 4, "a job was lost");
    }

    #[test]
    fn dropping_a_worker_runs_its_queue_to_the_end() {
        testkit::watchdog::within_default(
            "a dropped worker to finish",
            drop_a_worker,
        );
    }

    fn drop_a_worker() {
        let done = Arc::new(AtomicUsize::new(0));
        let worker = Worker::start();
        for _ in 0..100 {
            let done = Arc::clone(&done);
            worker.run(move || {
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        drop(worker);
        assert_eq!(done.load(Ordering::SeqCst), 100);
    }
}
