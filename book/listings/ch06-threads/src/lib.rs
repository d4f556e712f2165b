//! The code that the book's chapter "Threads" shows, included by anchor and
//! compiled (and tested) here.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

/// The name of Python 3 on this machine: `python3`, or `python` (as on
/// Windows).
pub fn find_python() -> Option<String> {
    ["python3", "python"]
        .into_iter()
        .map(str::to_owned)
        .find(|name| {
            Command::new(name)
                .args(["-c", "import sys; sys.exit(sys.version_info[0] != 3)"])
                .status()
                .is_ok_and(|status| status.success())
        })
}

/// The folder of the chapter's Python scripts, next to this crate's sources.
pub fn python_scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

// ANCHOR: collatz
/// The number of Collatz steps from `n` down to 1: halve an even number,
/// triple an odd one and add one. Pure arithmetic, so a thread running it
/// never waits for anything.
pub fn collatz_steps(mut n: u64) -> u64 {
    let mut steps = 0;
    while n != 1 {
        n = if n.is_multiple_of(2) {
            n / 2
        } else {
            3 * n + 1
        };
        steps += 1;
    }
    steps
}
// ANCHOR_END: collatz

/// The total number of Collatz steps of every number in `start..end`.
pub fn total_steps(start: u64, end: u64) -> u64 {
    (start..end).map(collatz_steps).sum()
}

/// `1..=limit` cut into `workers` contiguous ranges whose lengths differ by at
/// most one, the same split as the Python scripts make.
pub fn chunks(limit: u64, workers: u64) -> Vec<(u64, u64)> {
    let (base, longer) = (limit / workers, limit % workers);
    let mut start = 1;
    (0..workers)
        .map(|i| {
            let end = start + base + u64::from(i < longer);
            let range = (start, end);
            start = end;
            range
        })
        .collect()
}

// ANCHOR: spawned_sum
/// Counts the steps of `1..=limit` on `workers` threads, each returning its
/// own part.
pub fn spawned_total(limit: u64, workers: u64) -> u64 {
    let handles: Vec<thread::JoinHandle<u64>> = chunks(limit, workers)
        .into_iter()
        // `move` gives each thread its own copy of `start` and `end`.
        .map(|(start, end)| thread::spawn(move || total_steps(start, end)))
        .collect();
    handles
        .into_iter()
        .map(|handle| handle.join().expect("a counting thread panicked"))
        .sum()
}
// ANCHOR_END: spawned_sum

// ANCHOR: scoped_sum
/// Adds up `numbers` on two threads that borrow the two halves of the slice:
/// no copy, no `Arc`, and no `'static` needed, because the scope joins both
/// threads before it returns.
pub fn scoped_total(numbers: &[u64]) -> u64 {
    let (left, right) = numbers.split_at(numbers.len() / 2);
    thread::scope(|scope| {
        let first = scope.spawn(|| left.iter().sum::<u64>());
        let second = scope.spawn(|| right.iter().sum::<u64>());
        first.join().unwrap() + second.join().unwrap()
    })
}
// ANCHOR_END: scoped_sum

// ANCHOR: thread_per_connection
/// Echoes one client's bytes back until it shuts down its sending side.
fn echo(stream: TcpStream) -> io::Result<u64> {
    // Reads and writes until `read` returns `Ok(0)`; returns the byte count.
    io::copy(&mut &stream, &mut &stream)
}

/// Serves every client that connects, each on a thread of its own. It never
/// returns (`!`): no error ends the server.
pub fn serve(listener: TcpListener) -> ! {
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(connection) => connection,
            Err(error) => {
                // The server is short of something (file descriptors, memory)
                // that comes back as clients leave: pause, then try again.
                eprintln!("accept failed: {error}");
                thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        // `thread::spawn` panics when the OS refuses a thread; `Builder`
        // returns the error, and drops the closure: the stream closes.
        let spawned = thread::Builder::new().spawn(move || {
            if let Err(error) = echo(stream) {
                eprintln!("{peer}: {error}");
            }
        });
        if let Err(error) = spawned {
            eprintln!("{peer}: no thread for this client: {error}");
        }
    }
}
// ANCHOR_END: thread_per_connection

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    use testkit::compile::{expect_compile_error, rustc_runs};

    #[test]
    fn a_closure_that_borrows_into_a_thread_is_refused_with_e0373() {
        if !rustc_runs() {
            eprintln!("skipped: rustc cannot be run on this machine");
            return;
        }
        let file = "book/listings/ch06-threads/broken/no_move.rs";
        let messages = expect_compile_error(file, "E0373").unwrap();
        assert!(messages.contains("borrows `n`"), "{messages}");
        assert!(messages.contains("--> no_move.rs:"), "{messages}");
    }

    #[test]
    fn collatz_counts_steps() {
        assert_eq!(collatz_steps(1), 0);
        assert_eq!(collatz_steps(6), 8);
        assert_eq!(collatz_steps(27), 111);
    }

    #[test]
    fn chunks_cover_the_range_once() {
        assert_eq!(chunks(10, 4), [(1, 4), (4, 7), (7, 9), (9, 11)]);
        assert_eq!(chunks(3, 1), [(1, 4)]);
    }

    #[test]
    fn threads_give_the_serial_answer() {
        assert_eq!(spawned_total(3000, 3), total_steps(1, 3001));
        let numbers: Vec<u64> = (1..=100).collect();
        assert_eq!(scoped_total(&numbers), 5050);
    }

    #[test]
    fn two_clients_are_served_at_once() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || serve(listener));
        // A server that serves one client at a time never answers the
        // second: the watchdog ends the test with that sentence instead.
        testkit::watchdog::within_default(
            "the second client's echo while the first stays connected",
            move || {
                let mut first = TcpStream::connect(addr).unwrap();
                let mut second = TcpStream::connect(addr).unwrap();
                second.write_all(b"hi").unwrap();
                let mut back = [0; 2];
                second.read_exact(&mut back).unwrap();
                assert_eq!(&back, b"hi");
                first.write_all(b"yo").unwrap();
                first.read_exact(&mut back).unwrap();
                assert_eq!(&back, b"yo");
            },
        );
    }
}
