//! Polls a non-blocking socket until a deadline instead of setting read timeouts, builds the deadline read on `receive`, reads into a 64-byte buffer, and reads the echo on a scoped thread while writing on the caller's.

use std::io::{self, Read};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How often [`accept_until_stopped`] looks at its stop flag while no client arrives.
pub const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// How long [`receive`] sleeps between two looks at a quiet socket.
const TICK: Duration = Duration::from_millis(2);

/// Reads `input` to its end and returns every byte; more than `limit` bytes is `InvalidData`.
pub fn read_to_end_limited(input: &mut impl Read, limit: usize) -> io::Result<Vec<u8>> {
    let mut received = Vec::new();
    let mut piece = [0u8; 64];
    loop {
        let n = match input.read(&mut piece) {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        let room = limit - received.len();
        if n > room {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the peer sent more than {limit} bytes"),
            ));
        }
        received.extend_from_slice(&piece[..n]);
    }
    Ok(received)
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

/// One non-blocking look at the socket: `None` when nothing has arrived yet.
fn look(stream: &TcpStream, buffer: &mut [u8]) -> io::Result<Option<Received>> {
    match (&*stream).read(buffer) {
        Ok(0) => Ok(Some(Received::Closed)),
        Ok(n) => Ok(Some(Received::Data(n))),
        Err(error) => match error.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(None),
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => Ok(Some(Received::Reset)),
            _ => Err(error),
        },
    }
}

/// Waits at most `timeout` for data, reads what has arrived into `buffer`, and says what
/// happened. It looks at the socket in non-blocking mode every few milliseconds.
pub fn receive(stream: &TcpStream, buffer: &mut [u8], timeout: Duration) -> io::Result<Received> {
    let give_up = Instant::now() + timeout;
    stream.set_nonblocking(true)?;
    let outcome = loop {
        match look(stream, buffer) {
            Ok(None) if Instant::now() < give_up => thread::sleep(TICK),
            Ok(None) => break Ok(Received::Silent),
            Ok(Some(seen)) => break Ok(seen),
            Err(error) => break Err(error),
        }
    };
    // Leave the stream as it was given: blocking.
    stream.set_nonblocking(false)?;
    outcome
}

/// Fills all of `buffer` from `stream` before `deadline`: `TimedOut` when the deadline passes
/// first, `UnexpectedEof` when the peer closes first.
pub fn read_exact_before(
    stream: &TcpStream,
    buffer: &mut [u8],
    deadline: Instant,
) -> io::Result<()> {
    let mut filled = 0;
    while filled < buffer.len() {
        let now = Instant::now();
        if now >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{filled} of {} bytes by the deadline", buffer.len()),
            ));
        }
        match receive(stream, &mut buffer[filled..], deadline - now)? {
            Received::Data(n) => filled += n,
            Received::Silent => {}
            Received::Closed => return Err(io::ErrorKind::UnexpectedEof.into()),
            Received::Reset => return Err(io::ErrorKind::ConnectionReset.into()),
        }
    }
    Ok(())
}

/// What [`accept_until_stopped`] asks "should I stop now?".
pub trait StopFlag {
    /// True once the loop should stop, as `AtomicBool::load` says.
    fn load(&self, order: Ordering) -> bool;
}

impl StopFlag for AtomicBool {
    fn load(&self, order: Ordering) -> bool {
        AtomicBool::load(self, order)
    }
}

/// Accepts clients one after another and passes each to `handle`, until `stop` becomes true.
/// While nobody comes it sleeps in two halves, looking at the flag between them.
pub fn accept_until_stopped(
    listener: &TcpListener,
    stop: &impl StopFlag,
    mut handle: impl FnMut(TcpStream),
) -> io::Result<usize> {
    listener.set_nonblocking(true)?;
    let mut handled = 0;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(handled);
        }
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false)?;
                handle(stream);
                handled += 1;
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(POLL_INTERVAL / 2);
                if stop.load(Ordering::Relaxed) {
                    return Ok(handled);
                }
                thread::sleep(POLL_INTERVAL / 2);
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
}

/// Sends all of `payload`, half-closes, and returns everything the server sends back.
pub fn echo_exchange(stream: &TcpStream, payload: &[u8]) -> io::Result<Vec<u8>> {
    thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut echo = Vec::new();
            io::copy(&mut &*stream, &mut echo).map(|_| echo)
        });
        let written = io::copy(&mut &payload[..], &mut &*stream)
            .and_then(|_| stream.shutdown(Shutdown::Write));
        if written.is_err() {
            // The reader may wait for a reply that will never come.
            let _ = stream.shutdown(Shutdown::Both);
        }
        let echo = reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the reading thread panicked")));
        written.and(echo)
    })
}

#[cfg(test)]
#[path = "../../../exercises/ch04-disconnects/src/tests.rs"]
mod tests;
