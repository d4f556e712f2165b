//! What `join` hands back: the thread's return value, or the payload of its
//! panic.

// ANCHOR: join_results
use std::any::Any;
use std::thread;

/// The message a thread panicked with. `panic!("a literal")` panics with a
/// `&'static str`; `panic!("{x}")` and most of the standard library (an index
/// out of bounds, an `unwrap` on `None`) with a `String`. Any other payload
/// has no message.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "(no message)"
    }
}

fn main() {
    let squares =
        thread::spawn(|| (1..=4).map(|n| n * n).collect::<Vec<u64>>());
    let out_of_bounds = thread::spawn(|| {
        let empty: Vec<u64> = Vec::new();
        empty[0] // Index out of bounds: this thread panics, with a `String`.
    });
    // `panic!` with a literal: this one panics with a `&str`.
    let gave_up = thread::spawn(|| -> u64 { panic!("nothing left to do") });

    // `join` returns `Ok(value)`: whatever the closure returned.
    println!("squares: {:?}", squares.join().unwrap());

    // A panic ends only its own thread; `join` returns it as `Err(payload)`.
    let doomed = [("out_of_bounds", out_of_bounds), ("gave_up", gave_up)];
    for (name, handle) in doomed {
        match handle.join() {
            Ok(value) => println!("{name} returned {value}"),
            Err(payload) => {
                println!("{name} panicked: {}", panic_message(&*payload));
            }
        }
    }
    println!("main is still running");
}
// ANCHOR_END: join_results

#[cfg(test)]
mod tests {
    use super::panic_message;
    use std::panic;

    #[test]
    fn finds_the_message_of_either_kind_of_payload() {
        let literal = panic::catch_unwind(|| panic!("a literal")).unwrap_err();
        assert_eq!(panic_message(&*literal), "a literal");
        let number = 7;
        let formatted =
            panic::catch_unwind(|| panic!("formatted {number}")).unwrap_err();
        assert_eq!(panic_message(&*formatted), "formatted 7");
        let other =
            panic::catch_unwind(|| panic::panic_any(42_u8)).unwrap_err();
        assert_eq!(panic_message(&*other), "(no message)");
    }
}
