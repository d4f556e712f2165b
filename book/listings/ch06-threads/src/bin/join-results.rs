//! What `join` hands back: the thread's return value, or the payload of its
//! panic.

// ANCHOR: join_results
use std::any::Any;
use std::thread;

/// The message a thread panicked with. A fixed message (`panic!("a
/// literal")`, `unwrap` on `None`) is a `&'static str`; one with values in it
/// (`panic!("{x}")`, an index out of bounds, `unwrap` on an `Err`) is a
/// `String`. Any other payload has no message.
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

    #[test]
    fn the_standard_library_panics_with_either_type() {
        // `black_box` hides the values from the compiler, as a program would.
        use std::hint::black_box;
        let none =
            panic::catch_unwind(|| black_box(None::<u8>).unwrap()).unwrap_err();
        assert!(none.is::<&str>(), "Option::unwrap on None: a &'static str");
        let err =
            panic::catch_unwind(|| black_box(Err::<u8, &str>("no")).unwrap())
                .unwrap_err();
        assert!(err.is::<String>(), "Result::unwrap on an Err: a String");
        assert!(panic_message(&*err).contains("no"));
        let index = panic::catch_unwind(|| {
            let empty: Vec<u8> = Vec::new();
            empty[0]
        })
        .unwrap_err();
        assert!(index.is::<String>(), "an index out of bounds: a String");
        assert!(panic_message(&*index).starts_with("index out of bounds"));
    }
}
