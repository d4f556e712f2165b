//! Does not compile, on purpose: the start/join example of "Threads" without
//! `move`, so each closure borrows the loop's `n`. The book compiles it at
//! build time and shows rustc's error (E0373).

// ANCHOR: no_move
use std::thread;

fn greet(worker: usize) {
    for _ in 0..5 {
        println!("worker {worker}: hello");
    }
}

fn main() {
    let mut workers = Vec::new();
    for n in 0..3 {
        workers.push(thread::spawn(|| greet(n))); // No `move`: borrows `n`.
    }
    for worker in workers {
        worker.join().unwrap();
    }
}
// ANCHOR_END: no_move
