//! The first example of "Threads" in Rust: three workers, each greeting five
//! times, and a main thread that waits for all of them.

// ANCHOR: start_join
use std::thread;

fn greet(worker: usize) {
    for _ in 0..5 {
        println!("worker {worker}: hello");
    }
}

fn main() {
    let mut workers = Vec::new();
    for n in 0..3 {
        // One call creates the thread and starts it.
        workers.push(thread::spawn(move || greet(n)));
    }
    for worker in workers {
        // Returns once `greet` has returned in that thread.
        worker.join().unwrap();
    }
}
// ANCHOR_END: start_join
