//! Does not compile, on purpose: the start/join example of "Threads" with each
//! thread's number in an `Rc`, which is not `Send`. The book compiles it at
//! build time and shows rustc's error (E0277).

// ANCHOR: rc
use std::rc::Rc;
use std::thread;

fn fun(num: usize) {
    for _ in 0..5 {
        println!("Thread {num}");
    }
}

fn main() {
    let mut threads = Vec::new();
    for i in 0..3 {
        let i = Rc::new(i); // Not `Send`: its count has no lock.
        let t = thread::spawn(move || fun(*i));
        threads.push(t);
    }

    for t in threads {
        t.join().unwrap();
    }
}
// ANCHOR_END: rc
