//! A `Mutex<HashMap>` written to with `writeln!`, and a pool fed by an unbounded channel whose bound is kept by counting free slots (queued jobs against the queue plus idle workers) under a `Condvar`.

use std::collections::HashMap;
use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::{self, JoinHandle};

/// Who is connected, by name, each with a writer that reaches them.
pub struct Registry<W> {
    by_name: Mutex<HashMap<String, Arc<Mutex<W>>>>,
    lines: AtomicU64,
}

impl<W: Write> Registry<W> {
    /// An empty registry.
    pub fn new() -> Self {
        Registry {
            by_name: Mutex::default(),
            lines: AtomicU64::new(0),
        }
    }

    /// Adds `name`, reached through `writer`; false when the name is taken.
    pub fn join(&self, name: &str, writer: W) -> bool {
        let mut by_name = self.by_name.lock().unwrap_or_else(PoisonError::into_inner);
        if by_name.contains_key(name) {
            false
        } else {
            by_name.insert(name.to_owned(), Arc::new(Mutex::new(writer)));
            true
        }
    }

    /// Removes `name`; false when nobody has it.
    pub fn leave(&self, name: &str) -> bool {
        let removed = self
            .by_name
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        // The writer, if this was its last handle, is dropped here, after the lock.
        removed.is_some()
    }

    /// Everybody's name, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .by_name
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        names.sort_unstable();
        names
    }

    /// Writes `line` and a line feed to `to`'s writer with `writeln!`, under one guard.
    pub fn send(&self, to: &str, line: &str) -> io::Result<()> {
        let found = {
            let by_name = self.by_name.lock().unwrap_or_else(PoisonError::into_inner);
            by_name.get(to).cloned()
        };
        let writer = found.ok_or(io::ErrorKind::NotFound)?;
        let mut out = writer.lock().unwrap_or_else(PoisonError::into_inner);
        writeln!(out, "{line}")?;
        drop(out);
        self.lines.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// How many lines `send` has delivered.
    pub fn delivered(&self) -> u64 {
        self.lines.load(Ordering::Relaxed)
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

/// How full the queue is: jobs sent but not yet taken, and workers waiting for one.
#[derive(Default)]
struct Slots {
    queued: usize,
    idle: usize,
}

#[derive(Default)]
struct Counters {
    slots: Mutex<Slots>,
    changed: Condvar,
    completed: Mutex<usize>,
    panicked: Mutex<Vec<String>>,
}

/// A fixed number of worker threads that take jobs from a bounded queue.
pub struct Pool {
    queue: usize,
    sender: Option<Sender<Job>>,
    counters: Arc<Counters>,
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `threads` workers (at least one) sharing a queue of `queue` jobs.
    pub fn new(threads: usize, queue: usize) -> Pool {
        assert!(threads >= 1, "a pool needs a worker or more, not {threads}");
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let counters = Arc::new(Counters::default());
        let mut workers = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (receiver, counters) = (Arc::clone(&receiver), Arc::clone(&counters));
            workers.push(thread::spawn(move || run_jobs(&receiver, &counters)));
        }
        Pool {
            queue,
            sender: Some(sender),
            counters,
            workers,
        }
    }

    /// Takes a slot, waiting for one when `wait` is true; false when there is none.
    fn take_slot(&self, wait: bool) -> bool {
        let counters = &*self.counters;
        let mut slots = counters
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while slots.queued >= self.queue + slots.idle {
            if !wait {
                return false;
            }
            slots = counters
                .changed
                .wait(slots)
                .unwrap_or_else(PoisonError::into_inner);
        }
        slots.queued += 1;
        true
    }

    fn send(&self, job: Job) {
        if let Some(sender) = &self.sender {
            sender
                .send(job)
                .expect("the workers outlive the pool's sender");
        }
    }

    /// Queues `job`, waiting while the queue is full.
    pub fn execute(&self, job: impl FnOnce() + Send + 'static) {
        self.take_slot(true);
        self.send(Box::new(job));
    }

    /// Queues `job` if the queue has room right now.
    pub fn try_execute(&self, job: impl FnOnce() + Send + 'static) -> Result<(), Full> {
        if !self.take_slot(false) {
            return Err(Full);
        }
        self.send(Box::new(job));
        Ok(())
    }

    /// Lets the workers finish every queued job, joins them, and says what they did.
    pub fn close(mut self) -> Report {
        self.hang_up_and_join();
        Report {
            completed: *self
                .counters
                .completed
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
            panicked: self
                .counters
                .panicked
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }

    fn hang_up_and_join(&mut self) {
        self.sender = None;
        while let Some(worker) = self.workers.pop() {
            let _ = worker.join();
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.hang_up_and_join();
    }
}

/// A worker: counts itself idle while it waits, takes one job at a time, and catches panics.
fn run_jobs(receiver: &Mutex<Receiver<Job>>, counters: &Counters) {
    loop {
        {
            let mut slots = counters
                .slots
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            slots.idle += 1;
            counters.changed.notify_all();
        }
        let next = {
            let receiver = receiver.lock().unwrap_or_else(PoisonError::into_inner);
            receiver.recv()
        };
        {
            let mut slots = counters
                .slots
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            slots.idle -= 1;
            if next.is_ok() {
                slots.queued -= 1;
            }
        }
        let Ok(job) = next else { break };
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(job)) {
            let message = if let Some(text) = payload.downcast_ref::<String>() {
                text.clone()
            } else if let Some(text) = payload.downcast_ref::<&str>() {
                (*text).to_owned()
            } else {
                "a panic without a message".to_owned()
            };
            counters
                .panicked
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(message);
        } else {
            *counters
                .completed
                .lock()
                .unwrap_or_else(PoisonError::into_inner) += 1;
        }
    }
}

/// Runs `input` through two stages, each on a thread of its own, connected by bounded channels.
pub fn pipeline<T, U, V, F, G>(
    input: impl Iterator<Item = T> + Send + 'static,
    capacity: usize,
    mut first: F,
    mut second: G,
) -> Receiver<V>
where
    T: Send + 'static,
    U: Send + 'static,
    V: Send + 'static,
    F: FnMut(T) -> U + Send + 'static,
    G: FnMut(U) -> V + Send + 'static,
{
    let (items_in, items_out) = mpsc::sync_channel(capacity);
    let (halves_in, halves_out) = mpsc::sync_channel(capacity);
    let (results_in, results_out) = mpsc::sync_channel(capacity);
    thread::spawn(move || -> Result<(), ()> {
        for item in input {
            items_in.send(item).map_err(drop)?;
        }
        Ok(())
    });
    thread::spawn(move || -> Result<(), ()> {
        while let Ok(item) = items_out.recv() {
            halves_in.send(first(item)).map_err(drop)?;
        }
        Ok(())
    });
    thread::spawn(move || -> Result<(), ()> {
        while let Ok(half) = halves_out.recv() {
            results_in.send(second(half)).map_err(drop)?;
        }
        Ok(())
    });
    results_out
}

#[cfg(test)]
#[path = "../../../exercises/ch07-sharing/src/tests.rs"]
mod tests;
