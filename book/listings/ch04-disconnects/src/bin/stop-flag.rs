//! A flag that one thread sets and another reads: an `AtomicBool`, shared by reference between
//! scoped threads, for the chapter "Disconnects and blocking".

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use ch04_disconnects_listings::run_until_stopped;

// ANCHOR: main
fn main() {
    let stop = AtomicBool::new(false);
    let pause = || thread::sleep(Duration::from_millis(1));
    thread::scope(|scope| {
        // The worker borrows `stop`, and so does this thread, below.
        let worker = scope.spawn(|| run_until_stopped(&stop, pause));
        thread::sleep(Duration::from_millis(20));
        stop.store(true, Ordering::Relaxed); // through a shared `&`
        println!("main: stop is set");
        worker.join().expect("the worker panicked");
        println!("main: the worker saw it, and returned");
    });
}
// ANCHOR_END: main
