//! The reference solution of "Disconnects and blocking": the end of a stream, a reset, a peer
//! that goes silent, a server that can be stopped, and a client that cannot deadlock.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How often [`accept_until_stopped`] looks at its stop flag while no client arrives.
pub const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// How many bytes each read asks for.
const CHUNK: usize = 64 * 1024;

/// True for the errors a read or write timeout produces: `WouldBlock` on Unix, `TimedOut` on
/// Windows.
fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// True for the errors of a connection that ended abruptly.
fn is_reset(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

/// Reads `input` to its end (the first read that returns `Ok(0)`) and returns every byte.
///
/// - A read that fails with `Interrupted` did nothing: try it again.
/// - Any other error (a reset, for instance) is returned as it is: the peer did *not* finish.
/// - Exactly `limit` bytes is fine; more than `limit` bytes is an error of kind `InvalidData`,
///   returned as soon as a read takes the total past the limit (also when that read is the last
///   one before `Ok(0)`), so that a peer cannot make you allocate without bound.
/// - The buffer you read into may have any size.
pub fn read_to_end_limited(input: &mut impl Read, limit: usize) -> io::Result<Vec<u8>> {
    let mut received = Vec::new();
    let mut buffer = vec![0u8; CHUNK];
    loop {
        match input.read(&mut buffer) {
            Ok(0) => return Ok(received),
            Ok(n) => {
                if received.len() + n > limit {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("the peer sent more than {limit} bytes"),
                    ));
                }
                received.extend_from_slice(&buffer[..n]);
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        }
    }
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
    stream.set_read_timeout(Some(timeout))?;
    loop {
        match (&*stream).read(buffer) {
            Ok(0) => return Ok(Received::Closed),
            Ok(n) => return Ok(Received::Data(n)),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) if is_timeout(&error) => return Ok(Received::Silent),
            Err(error) if is_reset(&error) => return Ok(Received::Reset),
            Err(error) => return Err(error),
        }
    }
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
    let mut filled = 0;
    while filled < buffer.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the deadline passed with {filled} of {} bytes read",
                    buffer.len()
                ),
            ));
        }
        // Each read may wait only for what is left of the whole budget.
        stream.set_read_timeout(Some(left))?;
        match (&*stream).read(&mut buffer[filled..]) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the peer closed after {filled} of {} bytes", buffer.len()),
                ));
            }
            Ok(n) => filled += n,
            // A timed-out read goes round the loop, which reports the deadline.
            Err(error) if is_timeout(&error) => continue,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        }
    }
    Ok(())
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
    mut handle: impl FnMut(TcpStream),
) -> io::Result<usize> {
    // In non-blocking mode, accept returns at once, with WouldBlock when nobody is waiting, so
    // the loop gets to look at the flag.
    listener.set_nonblocking(true)?;
    let mut handled = 0;
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                // macOS and Windows hand out accepted streams in the listener's mode.
                stream.set_nonblocking(false)?;
                handle(stream);
                handled += 1;
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => thread::sleep(POLL_INTERVAL),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        }
    }
    Ok(handled)
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
    thread::scope(|scope| {
        let writer = scope.spawn(|| {
            (&*stream).write_all(payload)?;
            stream.shutdown(Shutdown::Write)
        });
        let mut echo = Vec::with_capacity(payload.len());
        let read = (&*stream).read_to_end(&mut echo);
        if read.is_err() {
            // The writer may be stuck on a connection that is gone; shutting it down wakes it.
            let _ = stream.shutdown(Shutdown::Both);
        }
        let written = writer.join().expect("the writing thread panicked");
        // The read's error comes first: it says why the conversation ended.
        read?;
        written?;
        Ok(echo)
    })
}

#[cfg(test)]
#[path = "../../../exercises/ch04-disconnects/src/tests.rs"]
mod tests;
