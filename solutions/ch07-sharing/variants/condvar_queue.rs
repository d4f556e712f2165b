//! A `BTreeMap` behind a `Mutex` (names come out sorted), one `write_all` of the line with its line feed, and a pool whose queue is a `VecDeque` with two `Condvar`s instead of a channel.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};

/// Locks `mutex`, and goes on with its value even if a thread panicked while holding it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Who is connected, by name, each with a writer that reaches them.
pub struct Registry<W> {
    clients: Mutex<BTreeMap<String, Arc<Mutex<W>>>>,
    delivered: AtomicU64,
}

impl<W: Write> Registry<W> {
    /// An empty registry.
    pub fn new() -> Self {
        Registry {
            clients: Mutex::new(BTreeMap::new()),
            delivered: AtomicU64::new(0),
        }
    }

    /// Adds `name`, reached through `writer`; false when the name is taken.
    pub fn join(&self, name: &str, writer: W) -> bool {
        let mut clients = lock(&self.clients);
        if clients.contains_key(name) {
            return false;
        }
        clients.insert(name.to_owned(), Arc::new(Mutex::new(writer)));
        true
    }

    /// Removes `name`; false when nobody has it.
    pub fn leave(&self, name: &str) -> bool {
        lock(&self.clients).remove(name).is_some()
    }

    /// Everybody's name, sorted: a `BTreeMap` keeps its keys in order.
    pub fn names(&self) -> Vec<String> {
        lock(&self.clients).keys().cloned().collect()
    }

    /// Writes `line` and a line feed to `to`'s writer, in one `write_all`.
    pub fn send(&self, to: &str, line: &str) -> io::Result<()> {
        let Some(writer) = lock(&self.clients).get(to).map(Arc::clone) else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no client called {to}"),
            ));
        };
        let mut whole = Vec::with_capacity(line.len() + 1);
        whole.extend_from_slice(line.as_bytes());
        whole.push(b'\n');
        lock(&writer).write_all(&whole)?;
        self.delivered.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// How many lines `send` has delivered.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::SeqCst)
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
    /// The message of every job that panicked, in the order they panicked.
    pub panicked: Vec<String>,
}

/// [`Pool::try_execute`] found the queue full: the job was not queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The queue and what the workers report, under one lock.
struct State {
    queue: VecDeque<Job>,
    /// Workers waiting for a job: a job handed to one of them does not count as waiting.
    idle: usize,
    closing: bool,
    report: Report,
}

struct Shared {
    capacity: usize,
    state: Mutex<State>,
    /// Signalled when a job is queued, or when the pool closes.
    job_queued: Condvar,
    /// Signalled when a job leaves the queue, or a worker becomes idle.
    room: Condvar,
}

impl Shared {
    fn has_room(&self, state: &State) -> bool {
        state.queue.len() < self.capacity + state.idle
    }
}

/// A fixed number of worker threads that take jobs from a bounded queue.
pub struct Pool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `threads` workers (at least one) sharing a queue of `queue` jobs.
    pub fn new(threads: usize, queue: usize) -> Pool {
        if threads == 0 {
            panic!("Pool::new: a pool needs at least one worker");
        }
        let shared = Arc::new(Shared {
            capacity: queue,
            state: Mutex::new(State {
                queue: VecDeque::new(),
                idle: 0,
                closing: false,
                report: Report::default(),
            }),
            job_queued: Condvar::new(),
            room: Condvar::new(),
        });
        let workers = (0..threads)
            .map(|_| {
                let shared = Arc::clone(&shared);
                thread::spawn(move || worker(&shared))
            })
            .collect();
        Pool { shared, workers }
    }

    /// Queues `job`, waiting while the queue is full.
    pub fn execute(&self, job: impl FnOnce() + Send + 'static) {
        let shared = &*self.shared;
        let state = lock(&shared.state);
        let mut state = shared
            .room
            .wait_while(state, |state| !shared.has_room(state))
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.queue.push_back(Box::new(job));
        shared.job_queued.notify_one();
    }

    /// Queues `job` if the queue has room right now.
    pub fn try_execute(&self, job: impl FnOnce() + Send + 'static) -> Result<(), Full> {
        let mut state = lock(&self.shared.state);
        if !self.shared.has_room(&state) {
            return Err(Full);
        }
        state.queue.push_back(Box::new(job));
        self.shared.job_queued.notify_one();
        Ok(())
    }

    /// Lets the workers finish every queued job, joins them, and says what they did.
    pub fn close(mut self) -> Report {
        self.finish();
        std::mem::take(&mut lock(&self.shared.state).report)
    }

    fn finish(&mut self) {
        lock(&self.shared.state).closing = true;
        self.shared.job_queued.notify_all();
        for worker in std::mem::take(&mut self.workers) {
            let _ = worker.join();
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Takes jobs until the pool closes and the queue is empty.
fn worker(shared: &Shared) {
    loop {
        let job = {
            let mut state = lock(&shared.state);
            loop {
                if let Some(job) = state.queue.pop_front() {
                    shared.room.notify_one();
                    break job;
                }
                if state.closing {
                    return;
                }
                state.idle += 1;
                shared.room.notify_one();
                state = shared
                    .job_queued
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                state.idle -= 1;
            }
        };
        let outcome = panic::catch_unwind(AssertUnwindSafe(job));
        let mut state = lock(&shared.state);
        match outcome {
            Ok(()) => state.report.completed += 1,
            Err(payload) => {
                let message = match payload.downcast::<String>() {
                    Ok(text) => *text,
                    Err(payload) => match payload.downcast::<&'static str>() {
                        Ok(text) => (*text).to_owned(),
                        Err(_) => "a panic without a message".to_owned(),
                    },
                };
                state.report.panicked.push(message);
            }
        }
    }
}

/// Runs `input` through two stages, each on a thread of its own, connected by bounded channels.
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
    let (to_first, first_in) = mpsc::sync_channel::<T>(capacity);
    let (to_second, second_in) = mpsc::sync_channel::<U>(capacity);
    let (out, results) = mpsc::sync_channel::<V>(capacity);
    spawn_named("pipeline input", move || {
        let mut input = input;
        // `try_for_each` stops at the first failed send: the first stage is gone.
        let _ = input.try_for_each(|item| to_first.send(item));
    });
    relay("pipeline first stage", first_in, first, to_second);
    relay("pipeline second stage", second_in, second, out);
    results
}

fn spawn_named(name: &str, body: impl FnOnce() + Send + 'static) {
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(body)
        .expect("the system refused a thread for the pipeline");
}

/// Applies `apply` to each item from `from` and passes it to `to`, until either end is gone.
fn relay<A, B>(
    name: &str,
    from: Receiver<A>,
    apply: impl FnMut(A) -> B + Send + 'static,
    to: SyncSender<B>,
) where
    A: Send + 'static,
    B: Send + 'static,
{
    spawn_named(name, move || {
        let _ = from.into_iter().map(apply).try_for_each(|out| to.send(out));
    });
}

#[cfg(test)]
#[path = "../../../exercises/ch07-sharing/src/tests.rs"]
mod tests;
