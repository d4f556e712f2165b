//! The exercise of "Threads": start threads and collect what each returns, split CPU-bound work
//! over N threads that really run at the same time, and serve many echo clients at once.
//!
//! Read the chapter first: `book/src/ch06-threads/index.md` (or `cargo xtask book --open`).
//! Then replace each `todo!()` below, one at a time, and run `cargo xtask check ch6` after each.
//! The tests are in `src/tests.rs`; reading them is allowed, and often helps.
//! Stuck? `cargo xtask hint ch6` shows one hint at a time.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};

/// Starts `count` threads, all at once, the way the lecture starts its three: thread `i` runs
/// `work(i)`. Then joins every thread and returns what each returned, in the order they were
/// started (whatever order they finish in): `Ok(value)`, or `Err(message)` when that thread
/// panicked, with the panic's message, whether its payload is a `&str` or a `String`
/// (`"a panic without a message"` when it is neither). One thread's panic never loses the
/// others' results.
///
/// Every thread is started before any is joined, so the threads run at the same time.
pub fn run_threads<T, F>(count: usize, work: F) -> Vec<Result<T, String>>
where
    T: Send + 'static,
    F: Fn(usize) -> T + Clone + Send + 'static,
{
    // TODO: a first loop that spawns (each thread gets its own clone of `work`, moved in), and
    // a second loop that joins the `JoinHandle`s. `join` returns `Err(payload)` for a panic:
    // the payload is a `&str` or a `String`, found with `downcast_ref`. (Delete the `let _`,
    // which only keeps the compiler quiet until you use `work`.)
    let _ = work;
    todo!("start {count} threads, then join them all")
}

/// Adds up `work(item)` over every item, splitting `items` over `threads` threads that run at
/// the same time.
///
/// - `threads` is at least one: `threads == 0` is the caller's mistake, and panics, even for
///   an empty slice.
/// - Uses `min(threads, items.len())` threads: never more threads than items (with more
///   threads than items, each item gets a thread of its own), and none at all for an empty
///   slice.
/// - Each thread takes one contiguous chunk of `items`; chunk lengths differ by at most one
///   (10 items on 4 threads are chunks of 3, 3, 2 and 2), so no thread waits for a busier one.
/// - Borrows `items` instead of copying them (`T` need not be `Clone`): the extra memory does
///   not grow with the input.
pub fn parallel_sum<T, F>(items: &[T], threads: usize, work: F) -> u64
where
    T: Sync,
    F: Fn(&T) -> u64 + Sync,
{
    // TODO: `std::thread::scope` lets threads borrow `items` and `work`. Work out where each
    // chunk starts and ends, spawn one scoped thread per chunk, and add up what they return.
    // (Delete the `let _`.)
    let _ = work;
    todo!(
        "add up the work over {} items on {threads} threads",
        items.len()
    )
}

/// Echoes everything one client sends back to it, unchanged, each piece as soon as it
/// arrives, until the client shuts down its sending side (`read` returns `Ok(0)`); then sends
/// back whatever is left, closes, and returns how many bytes it echoed. A client that
/// disconnects abruptly (a reset) ends the call with the error the socket gave, never `Ok`.
pub fn echo(stream: TcpStream) -> io::Result<u64> {
    // TODO: read into a buffer and `write_all` what arrived, until `read` returns `Ok(0)`; `?`
    // passes any error on. `io::copy(&mut &stream, &mut &stream)` does the same loop in one
    // line (`&TcpStream` reads and writes too, so one stream is both ends of the copy).
    todo!("echo everything {stream:?} sends")
}

/// Where [`serve`] gets its connections: a [`TcpListener`], or, in the tests, a listener whose
/// `accept` fails on purpose, the way a real one fails when the server has run out of file
/// descriptors or memory. Provided: there is nothing to write here.
pub trait Accept {
    /// Waits for the next connection and returns it, with the client's address, as
    /// [`TcpListener::accept`] does.
    fn accept(&self) -> io::Result<(TcpStream, SocketAddr)>;
}

impl Accept for TcpListener {
    fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        // The listener's own `accept`: a type's own methods come before a trait's.
        TcpListener::accept(self)
    }
}

/// Serves echo clients for ever, many at once: each accepted connection gets a thread of its
/// own running [`echo`], so a client that stays connected and silent never delays the others,
/// and a client that disconnects abruptly ends only its own thread.
///
/// `serve` never returns, and its return type `!` ("never") says so: the compiler checks that
/// no path leaves the loop. An `io::Result<()>` would promise a result that never comes, since
/// no error ends the server:
///
/// - When `accept` fails (too many open files, out of memory, a client that gave up before it
///   was accepted, …), the cause is usually the server's own resources, which come back as
///   clients leave. `serve` pauses briefly (10 to 100 ms) and accepts again. Without the pause
///   it would spin: retry at once, thousands of times a second, on an error still there.
/// - When the operating system refuses a new thread, that one connection is closed and the
///   server goes on. (`thread::spawn` panics then; `thread::Builder::new().spawn(…)` returns
///   an error instead.)
pub fn serve(listener: impl Accept) -> ! {
    // TODO: loop on `listener.accept()`. On `Ok`, move the stream into
    // `thread::Builder::new().spawn(…)` and call `echo` there: an error from one client belongs
    // to that client's thread, not to this loop. On `Err`, `thread::sleep` a moment and go on.
    // (`?` does not compile here: `serve` has no error to return. Delete the `let _`.)
    let _ = listener;
    todo!("serve echo clients")
}

#[cfg(test)]
mod tests;
