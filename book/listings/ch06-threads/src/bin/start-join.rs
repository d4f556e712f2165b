//! The lecture's start/join example in Rust: three threads, each printing
//! its number five times.

// ANCHOR: start_join
use std::thread;

fn fun(num: usize) {
    for _ in 0..5 {
        println!("Thread {num}");
    }
}

fn main() {
    let mut threads = Vec::new();
    for i in 0..3 {
        // `spawn` starts the thread at once: there is no separate `start`.
        let t = thread::spawn(move || fun(i));
        threads.push(t);
    }

    for t in threads {
        t.join().unwrap(); // block until thread ends
    }
}
// ANCHOR_END: start_join
