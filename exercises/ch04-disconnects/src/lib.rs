//! The exercise of "Disconnects and blocking": the end of a stream, a reset, a peer that goes
//! silent, a server that can be stopped, and a client that cannot deadlock.
//!
//! Read the chapter first: `book/src/ch04-disconnects/index.md` (or `cargo xtask book --open`).
//! Then replace each `todo!()` below, one at a time, and run `cargo xtask check ch4` after each.
//! The tests are in `src/tests.rs`; reading them is allowed, and often helps.
//! Stuck? `cargo xtask hint ch4` shows one hint at a time.

// The `todo!()` bodies do not use their parameters yet; this keeps the compiler quiet until they
// do. Delete it once every function is written.
#![allow(unused_variables)]

use std::io::{self, Read};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How often [`accept_until_stopped`] looks at its stop flag while no client arrives.
pub const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Reads `input` to its end (the first read that returns `Ok(0)`) and returns every byte.
///
/// - A read that fails with `Interrupted` did nothing: try it again.
/// - Any other error (a reset, for instance) is returned as it is: the peer did *not* finish.
/// - Exactly `limit` bytes is fine; more than `limit` bytes is an error of kind `InvalidData`,
///   returned as soon as a read takes the total past the limit (also when that read is the last
///   one before `Ok(0)`), so that a peer cannot make you allocate without bound.
/// - The buffer you read into may have any size.
pub fn read_to_end_limited(input: &mut impl Read, limit: usize) -> io::Result<Vec<u8>> {
    // TODO: a loop around `read` that matches on its result: `Ok(0)`, `Ok(n)`, an error whose
    // `kind()` is `Interrupted`, and any other error.
    todo!("read to the end, at most {limit} bytes")
}

/// What one wait for data from the peer saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// This many bytes (at least one) arrived, at the start of the buffer.
    Data(usize),
    /// The peer closed its sending side cleanly: the read returned `Ok(0)`.
    Closed,
    /// The connection ended abruptly: reset, aborted or broken pipe.
    Reset,
    /// Nothing arrived within the timeout. The connection is still open.
    Silent,
}

/// Waits at most `timeout` (which must not be zero) for data from `stream`, reads what has
/// arrived into `buffer`, and says what happened. It returns as soon as some bytes have arrived
/// (one read: it does not wait for `buffer` to fill up), and waits for data that comes later
/// within the timeout. A clean close, a reset and a silent peer are answers, not errors; only
/// other failures are `Err`. An interrupted read is tried again.
pub fn receive(stream: &TcpStream, buffer: &mut [u8], timeout: Duration) -> io::Result<Received> {
    // TODO: `stream.set_read_timeout(Some(timeout))`, then `(&*stream).read(buffer)` (reading
    // needs a `&mut`, and `&TcpStream` implements `Read`). A timeout shows up as `WouldBlock`
    // on Unix and `TimedOut` on Windows; a reset as `ConnectionReset`, `ConnectionAborted` or
    // `BrokenPipe`.
    todo!("wait at most {timeout:?} for data")
}

/// Fills all of `buffer` from `stream` before `deadline`, however the bytes are spread over
/// reads. Fails with an error of kind `TimedOut` (on every platform) when the deadline passes
/// first, at the deadline (not a whole timeout later), and of kind `UnexpectedEof` when the peer
/// closes first. Any other error, a reset included, is returned as it is.
///
/// A timeout on each read is not enough: a peer that sends one byte every now and then would
/// keep every single read within its timeout for ever.
pub fn read_exact_before(
    stream: &TcpStream,
    buffer: &mut [u8],
    deadline: Instant,
) -> io::Result<()> {
    // TODO: before every read, set the read timeout to the time left until `deadline`
    // (`deadline.saturating_duration_since(Instant::now())`), and give up when none is left.
    todo!("read {} bytes before the deadline", buffer.len())
}

/// What [`accept_until_stopped`] asks "should I stop now?": an `AtomicBool` that another thread
/// sets, read with `stop.load(Ordering::Relaxed)`. It is a trait only so that the tests can pass
/// a flag of their own, which counts how often the loop looks at it; you need not implement it.
pub trait StopFlag {
    /// True once the loop should stop, as `AtomicBool::load` says.
    fn load(&self, order: Ordering) -> bool;
}

impl StopFlag for AtomicBool {
    fn load(&self, order: Ordering) -> bool {
        AtomicBool::load(self, order)
    }
}

/// Accepts clients of `listener` one after another and passes each to `handle` (in blocking
/// mode, as `accept` normally gives it), until `stop` becomes true. Notices `stop` within about
/// [`POLL_INTERVAL`] even when no client ever comes. While nobody is waiting, it sleeps
/// [`POLL_INTERVAL`] between two tries, instead of spinning: an idle server uses no processor
/// time. Returns how many clients were handled.
pub fn accept_until_stopped(
    listener: &TcpListener,
    stop: &impl StopFlag,
    handle: impl FnMut(TcpStream),
) -> io::Result<usize> {
    // TODO: a blocking `accept` waits for ever. Put the listener in non-blocking mode; then
    // `accept` fails with `WouldBlock` when nobody is waiting, and you can look at `stop`
    // (`stop.load(Ordering::Relaxed)`), sleep `POLL_INTERVAL`, and try again. Some systems hand
    // out accepted streams in non-blocking mode too: set them back with `set_nonblocking(false)`.
    // Calling `handle` changes it, so declare the parameter as `mut handle`.
    todo!("accept clients until asked to stop")
}

/// Sends all of `payload` to an echo server on `stream`, half-closes, and returns everything
/// the server sends back until it closes (which may be more, or less, than `payload`), however
/// large the payload is. An error while writing or reading is returned, even when the other
/// direction ended well.
///
/// Writing everything before reading anything deadlocks once the payload is larger than what
/// the two sides' buffers hold: the server stops reading while its echo cannot be sent, and you
/// stop reading while you are still writing. Write on one thread and read on another.
pub fn echo_exchange(stream: &TcpStream, payload: &[u8]) -> io::Result<Vec<u8>> {
    // TODO: `std::thread::scope`: spawn a thread that does `(&*stream).write_all(payload)` and
    // then `stream.shutdown(Shutdown::Write)`; read to the end on this thread; then join.
    todo!("exchange {} bytes with the echo server", payload.len())
}

#[cfg(test)]
mod tests;
