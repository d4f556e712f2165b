//! The reference solution of "Sharing between threads": a registry that many threads use at
//! once, a worker pool with a bounded queue, and a pipeline of stages connected by bounded
//! channels.

use std::any::Any;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::{self, JoinHandle};

/// Who is connected, by name, each with a writer that reaches them (a `TcpStream` in a server,
/// anything that implements `Write` in the tests). One registry is shared by every thread of a
/// server (`Arc<Registry<W>>`), so every method takes `&self`.
///
/// Many threads may send at the same time. A writer that blocks (a client that stopped reading)
/// holds up only the threads writing to that one client: never a `join`, a `leave`, `names` or
/// a `send` to somebody else.
pub struct Registry<W> {
    /// Read-locked to look a client up, write-locked only to join or leave. Each writer has a
    /// lock of its own, so writing to one client never needs the lock on the whole map.
    clients: RwLock<HashMap<String, Arc<Mutex<W>>>>,
    delivered: AtomicU64,
}

impl<W: Write> Registry<W> {
    /// An empty registry.
    pub fn new() -> Self {
        Registry {
            clients: RwLock::new(HashMap::new()),
            delivered: AtomicU64::new(0),
        }
    }

    /// Adds `name`, reached through `writer`. Returns false, and changes nothing, when the name
    /// is already taken (the first writer stays, `writer` is dropped); when many threads join
    /// with the same name at once, exactly one wins.
    pub fn join(&self, name: &str, writer: W) -> bool {
        let mut clients = self.clients.write().unwrap_or_else(PoisonError::into_inner);
        match clients.entry(name.to_owned()) {
            Entry::Occupied(_) => false,
            Entry::Vacant(place) => {
                place.insert(Arc::new(Mutex::new(writer)));
                true
            }
        }
    }

    /// Removes `name`; false when nobody has it.
    pub fn leave(&self, name: &str) -> bool {
        let mut clients = self.clients.write().unwrap_or_else(PoisonError::into_inner);
        clients.remove(name).is_some()
    }

    /// Everybody's name, sorted.
    pub fn names(&self) -> Vec<String> {
        let clients = self.clients.read().unwrap_or_else(PoisonError::into_inner);
        let mut names: Vec<String> = clients.keys().cloned().collect();
        names.sort();
        names
    }

    /// Writes `line` and a line feed to `to`'s writer, whole (however few bytes each `write`
    /// takes), and counts one delivered line. An error of kind `NotFound` when nobody has that
    /// name; the writer's own error when writing the line or its line feed fails, and then the
    /// line is not counted.
    ///
    /// Many threads may send to the same client at once: each line arrives whole, with its line
    /// feed, never with another thread's line in between (so both are written while the
    /// client's writer is locked once). Never holds the registry's lock while writing: a
    /// blocked writer must not stop anybody else from using the registry.
    pub fn send(&self, to: &str, line: &str) -> io::Result<()> {
        // The read guard is a temporary of this statement, so it is gone before the write.
        let writer = self
            .clients
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(to)
            .cloned();
        let writer = writer.ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("nobody is called {to}"))
        })?;
        let mut writer = writer.lock().unwrap_or_else(PoisonError::into_inner);
        writer.write_all(line.as_bytes())?;
        writer.write_all(b"\n")?;
        writer.flush()?;
        self.delivered.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// How many lines `send` has delivered, over the registry's whole life and every thread.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }
}

impl<W: Write> Default for Registry<W> {
    fn default() -> Self {
        Self::new()
    }
}

/// What a closed [`Pool`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Jobs that ran to the end.
    pub completed: usize,
    /// The message of every job that panicked, in the order they panicked: the payload's `&str`
    /// or `String`, or `"a panic without a message"` when it is neither.
    pub panicked: Vec<String>,
}

/// [`Pool::try_execute`] found the queue full: the job was not queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

/// A job for a worker.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// What the workers share with the pool.
#[derive(Default)]
struct Tally {
    completed: AtomicUsize,
    panicked: Mutex<Vec<String>>,
}

/// A fixed number of worker threads that take jobs from a bounded queue.
///
/// - Exactly `threads` workers run jobs, each on its own thread, at the same time; the pool
///   never starts another thread for a job.
/// - At most `queue` jobs wait in the queue; [`Pool::execute`] then blocks until a worker takes
///   one (backpressure), and [`Pool::try_execute`] refuses. `queue` may be 0: a job then goes
///   straight to a worker that is free to take it.
/// - A job that panics is caught, its message reported by [`Pool::close`], and its worker goes
///   on with the next job.
/// - [`Pool::close`], or dropping the pool, lets the workers finish every queued job, then
///   joins every worker.
pub struct Pool {
    /// `None` once the pool is closing: dropping the sender is what tells the workers to stop.
    jobs: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
    tally: Arc<Tally>,
}

impl Pool {
    /// Starts `threads` workers (at least one; panics on 0) sharing a queue of `queue` jobs.
    pub fn new(threads: usize, queue: usize) -> Pool {
        assert!(threads > 0, "a pool needs at least one worker");
        let (jobs, queued) = mpsc::sync_channel::<Job>(queue);
        let queued = Arc::new(Mutex::new(queued));
        let tally = Arc::new(Tally::default());
        let workers = (0..threads)
            .map(|_| {
                let queued = Arc::clone(&queued);
                let tally = Arc::clone(&tally);
                thread::spawn(move || work(&queued, &tally))
            })
            .collect();
        Pool {
            jobs: Some(jobs),
            workers,
            tally,
        }
    }

    /// Queues `job`, waiting while the queue is full.
    pub fn execute(&self, job: impl FnOnce() + Send + 'static) {
        let jobs = self.jobs.as_ref().expect("only closing takes the sender");
        // Workers catch every panic, so they outlive the pool's sender and always receive.
        jobs.send(Box::new(job))
            .expect("the workers stopped while the pool was open");
    }

    /// Queues `job` if the queue has room right now, and returns `Err(Full)` otherwise.
    pub fn try_execute(&self, job: impl FnOnce() + Send + 'static) -> Result<(), Full> {
        let jobs = self.jobs.as_ref().expect("only closing takes the sender");
        match jobs.try_send(Box::new(job)) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(Full),
            Err(TrySendError::Disconnected(_)) => {
                panic!("the workers stopped while the pool was open")
            }
        }
    }

    /// Lets the workers finish every queued job, joins every worker, and says what they did.
    pub fn close(mut self) -> Report {
        self.shut_down();
        Report {
            completed: self.tally.completed.load(Ordering::Relaxed),
            panicked: std::mem::take(
                &mut *self
                    .tally
                    .panicked
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner),
            ),
        }
    }

    /// Hangs up, then joins every worker. Hanging up first matters: a worker's `recv` returns
    /// `Err` only once the sender is gone and the queue is empty.
    fn shut_down(&mut self) {
        drop(self.jobs.take());
        for worker in self.workers.drain(..) {
            // A worker catches its jobs' panics, so joining it cannot fail.
            let _ = worker.join();
        }
    }
}

impl Drop for Pool {
    /// Dropping a pool closes it too, so no worker is ever left running.
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// A worker's life: take one job at a time until the queue is closed and empty.
fn work(queued: &Mutex<Receiver<Job>>, tally: &Tally) {
    loop {
        // The guard is a temporary of this statement: the lock is free again before the job runs.
        let next = queued.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = next else {
            return;
        };
        match panic::catch_unwind(AssertUnwindSafe(job)) {
            Ok(()) => {
                tally.completed.fetch_add(1, Ordering::Relaxed);
            }
            Err(payload) => tally
                .panicked
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(panic_message(&*payload)),
        }
    }
}

/// The message a job panicked with.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// Runs `input` through two stages, each on a thread of its own, and returns the receiving end
/// of the results: `second(first(item))` for every item, in the input's order.
///
/// Returns at once: the stages are connected by bounded channels of `capacity` items each
/// (input → `first` → `second` → the returned receiver), so the three threads (one reading the
/// input, one per stage) work at the same time, and a consumer that stops reading soon stops
/// them all: at most `3 × capacity + 3` items are ever taken from `input` ahead of what the
/// consumer has received. When the consumer drops the receiver, every thread stops, and
/// `input`, `first` and `second` are dropped.
pub fn pipeline<T, U, V, F, G>(
    input: impl Iterator<Item = T> + Send + 'static,
    capacity: usize,
    first: F,
    second: G,
) -> Receiver<V>
where
    T: Send + 'static,
    U: Send + 'static,
    V: Send + 'static,
    F: FnMut(T) -> U + Send + 'static,
    G: FnMut(U) -> V + Send + 'static,
{
    let (items, to_first) = mpsc::sync_channel(capacity);
    let (firsts, to_second) = mpsc::sync_channel(capacity);
    let (seconds, results) = mpsc::sync_channel(capacity);
    thread::spawn(move || {
        for item in input {
            if items.send(item).is_err() {
                // The next stage is gone, so nobody wants the rest of the input.
                return;
            }
        }
    });
    stage(to_first, first, firsts);
    stage(to_second, second, seconds);
    results
}

/// One stage on a thread of its own: applies `apply` to every item, in order, and passes the
/// result on, until the input ends or the next stage hangs up.
fn stage<A, B>(from: Receiver<A>, mut apply: impl FnMut(A) -> B + Send + 'static, to: SyncSender<B>)
where
    A: Send + 'static,
    B: Send + 'static,
{
    thread::spawn(move || {
        for item in from {
            if to.send(apply(item)).is_err() {
                return;
            }
        }
    });
}

#[cfg(test)]
#[path = "../../../exercises/ch07-sharing/src/tests.rs"]
mod tests;
