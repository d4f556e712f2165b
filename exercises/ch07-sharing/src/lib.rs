//! The exercise of "Sharing between threads": a registry that many threads use at once, a worker
//! pool with a bounded queue, and a pipeline of stages connected by bounded channels.
//!
//! Read the chapter first: `book/src/ch07-sharing/index.md` (or `cargo xtask book --open`).
//! Then replace each `todo!()` below, one at a time, and run `cargo xtask check ch7` after each.
//! The tests are in `src/tests.rs`; reading them is allowed, and often helps.
//! Stuck? `cargo xtask hint ch7` shows one hint at a time.

use std::io::{self, Write};
use std::marker::PhantomData;
use std::sync::Mutex;
use std::sync::mpsc::Receiver;

/// Who is connected, by name, each with a writer that reaches them (a `TcpStream` in a server,
/// anything that implements `Write` in the tests). One registry is shared by every thread of a
/// server (`Arc<Registry<W>>`), so every method takes `&self`.
///
/// Many threads may send at the same time. A writer that blocks (a client that stopped reading)
/// holds up only the threads writing to that one client: never a `join`, a `leave`, `names` or
/// a `send` to somebody else.
pub struct Registry<W> {
    // TODO: replace this placeholder with your fields: the clients by name, behind a lock, each
    // writer in an `Arc<Mutex<W>>` of its own, and an atomic count of lines delivered.
    _writers: PhantomData<Mutex<W>>,
}

impl<W: Write> Registry<W> {
    /// An empty registry.
    pub fn new() -> Self {
        // TODO: build your fields.
        todo!("create an empty registry")
    }

    /// Adds `name`, reached through `writer`. Returns false, and changes nothing, when the name
    /// is already taken (the first writer stays, `writer` is dropped); when many threads join
    /// with the same name at once, exactly one wins.
    pub fn join(&self, name: &str, writer: W) -> bool {
        // TODO: check and insert under ONE lock: two lock sections leave a gap where another
        // thread can take the name. `HashMap::entry` does both at once. (Delete the `let _`,
        // which only keeps the compiler quiet until you use `writer`.)
        let _ = writer;
        todo!("add {name} to the registry")
    }

    /// Removes `name`; false when nobody has it.
    pub fn leave(&self, name: &str) -> bool {
        // TODO: remove the entry under the lock.
        todo!("remove {name} from the registry")
    }

    /// Everybody's name, sorted.
    pub fn names(&self) -> Vec<String> {
        // TODO: collect the keys and sort them.
        todo!("list the names in the registry")
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
        // TODO: under the registry's lock, only clone the `Arc` of `to`'s writer. Let that guard
        // go, then lock the writer alone, once, and `write_all` the line and the line feed under
        // that one guard. Count with `fetch_add` once both are written.
        todo!("send {line:?} to {to}")
    }

    /// How many lines `send` has delivered, over the registry's whole life and every thread.
    pub fn delivered(&self) -> u64 {
        // TODO: load the atomic counter.
        todo!("count the delivered lines")
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
    // TODO: replace this placeholder with your fields: the sending side of a `sync_channel`
    // (in an `Option`, so that closing can drop it), the workers' `JoinHandle`s, and what the
    // workers share to count completed jobs and collect panic messages.
    _todo: (),
}

impl Pool {
    /// Starts `threads` workers (at least one; panics on 0) sharing a queue of `queue` jobs.
    pub fn new(threads: usize, queue: usize) -> Pool {
        // TODO: `mpsc::sync_channel(queue)` (with `queue` 0 it holds nothing: each `send` waits
        // for a worker's `recv`, a rendezvous); the workers share the receiver as an
        // `Arc<Mutex<Receiver<Job>>>`. A worker locks it only to `recv` one job, then lets the
        // guard go BEFORE running the job, or the workers take turns instead of running at once.
        todo!("start {threads} workers with a queue of {queue} jobs")
    }

    /// Queues `job`, waiting while the queue is full.
    pub fn execute(&self, job: impl FnOnce() + Send + 'static) {
        // TODO: box the job and `send` it. (The `let _` line only keeps the compiler quiet
        // until you use `job`; delete it.)
        let _ = job;
        todo!("queue a job")
    }

    /// Queues `job` if the queue has room right now, and returns `Err(Full)` otherwise.
    pub fn try_execute(&self, job: impl FnOnce() + Send + 'static) -> Result<(), Full> {
        // TODO: `try_send`, and turn `TrySendError::Full` into `Full`. (Delete the `let _`.)
        let _ = job;
        todo!("queue a job if there is room")
    }

    /// Lets the workers finish every queued job, joins every worker, and says what they did.
    pub fn close(self) -> Report {
        // TODO: drop the sender first (each worker's `recv` then returns `Err` once the queue
        // is empty), then join every worker. Share the code with `Drop`.
        todo!("close the pool")
    }
}

impl Drop for Pool {
    /// Dropping a pool closes it too, so no worker is ever left running.
    fn drop(&mut self) {
        // TODO: the same as `close`, without the report.
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
    // TODO: three `sync_channel(capacity)`s and three threads: one sends each input item, one
    // receives, applies `first` and sends on, one applies `second`. When a `send` fails, the
    // next stage is gone: stop. (Delete the `let _`, which only keeps the compiler quiet.)
    let _ = (input, first, second);
    todo!("build a pipeline with channels of {capacity} items")
}

#[cfg(test)]
mod tests;
