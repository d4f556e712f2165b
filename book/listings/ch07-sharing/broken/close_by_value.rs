//! Does not compile, on purpose: a worker whose `finish(self)` moves its
//! fields out, on a type that implements `Drop`. The book compiles it at
//! build time and shows rustc's error (E0509).

// ANCHOR: close_by_value
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;

pub struct Worker {
    jobs: Sender<Box<dyn FnOnce() + Send>>,
    thread: JoinHandle<()>,
}

impl Worker {
    /// Ends the queue, then waits for the thread to run what is left.
    pub fn finish(self) {
        drop(self.jobs);
        self.thread.join().unwrap();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Should finish too, but `&mut self` cannot give away `self.jobs`.
    }
}
// ANCHOR_END: close_by_value

fn main() {}
