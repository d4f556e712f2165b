//! Does not compile, on purpose: chapter 6's start/join example without
//! `move`, so each closure borrows the loop's `i`. The book compiles it at
//! build time and shows rustc's error (E0373).

// ANCHOR: no_move
use std::thread;

fn fun(num: usize) {
    for _ in 0..5 {
        println!("Thread {num}");
    }
}

fn main() {
    let mut threads = Vec::new();
    for i in 0..3 {
        let t = thread::spawn(|| fun(i)); // No `move`: borrows `i`.
        threads.push(t);
    }

    for t in threads {
        t.join().unwrap();
    }
}
// ANCHOR_END: no_move
