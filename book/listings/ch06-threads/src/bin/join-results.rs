//! What `join` hands back: the thread's return value, or the payload of its panic.

// ANCHOR: join_results
use std::thread;

fn main() {
    let squares = thread::spawn(|| (1..=4).map(|n| n * n).collect::<Vec<u64>>());
    let doomed = thread::spawn(|| {
        let empty: Vec<u64> = Vec::new();
        empty[0] // Index out of bounds: this thread panics.
    });

    // `join` returns `Ok(value)`: whatever the closure returned.
    println!("squares: {:?}", squares.join().unwrap());

    // A panic ends only its own thread; `join` returns it as `Err(payload)`.
    match doomed.join() {
        Ok(value) => println!("the doomed thread returned {value}"),
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .unwrap_or("(no message)");
            println!("the doomed thread panicked: {message}");
        }
    }
    println!("main is still running");
}
// ANCHOR_END: join_results
