//! Leans on std's adapters: `take` and `read_to_end` for the limit, `peek` to wait, `incoming()` for the accept loop, and a spawned (not scoped) writer thread on a cloned stream.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How often [`accept_until_stopped`] looks at its stop flag while no client arrives.
pub const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Reads `input` to its end and returns every byte; more than `limit` bytes is `InvalidData`.
pub fn read_to_end_limited(input: &mut impl Read, limit: usize) -> io::Result<Vec<u8>> {
    // One byte more than the limit is enough to know that the peer sent too much.
    let most = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut received = Vec::new();
    // `read_to_end` retries Interrupted and stops at the first Ok(0).
    input.take(most).read_to_end(&mut received)?;
    if received.len() > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("more than {limit} bytes arrived"),
        ));
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

/// Turns a failed wait into an answer, when it is one.
fn answer(error: io::Error) -> io::Result<Received> {
    use io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, TimedOut, WouldBlock};
    match error.kind() {
        WouldBlock | TimedOut => Ok(Received::Silent),
        ConnectionReset | ConnectionAborted | BrokenPipe => Ok(Received::Reset),
        _ => Err(error),
    }
}

/// Waits at most `timeout` for data, reads what has arrived into `buffer`, and says what
/// happened.
pub fn receive(stream: &TcpStream, buffer: &mut [u8], timeout: Duration) -> io::Result<Received> {
    stream.set_read_timeout(Some(timeout))?;
    // Peeking waits for data without taking it; the read that follows then returns at once.
    let peeked = loop {
        match stream.peek(buffer) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            other => break other,
        }
    };
    match peeked {
        Ok(0) => Ok(Received::Closed),
        Ok(_) => loop {
            match (&*stream).read(buffer) {
                Ok(0) => return Ok(Received::Closed),
                Ok(n) => return Ok(Received::Data(n)),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return answer(error),
            }
        },
        Err(error) => answer(error),
    }
}

/// Fills all of `buffer` from `stream` before `deadline`: `TimedOut` when the deadline passes
/// first, `UnexpectedEof` when the peer closes first.
pub fn read_exact_before(
    stream: &TcpStream,
    buffer: &mut [u8],
    deadline: Instant,
) -> io::Result<()> {
    let wanted = buffer.len();
    let mut rest = buffer;
    while !rest.is_empty() {
        let left = deadline
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{} of {wanted} bytes missing at the deadline", rest.len()),
                )
            })?;
        stream.set_read_timeout(Some(left))?;
        let n = match (&*stream).read(rest) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => n,
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::Interrupted
                        | io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                ) =>
            {
                0
            }
            Err(error) => return Err(error),
        };
        rest = &mut std::mem::take(&mut rest)[n..];
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
pub fn accept_until_stopped(
    listener: &TcpListener,
    stop: &impl StopFlag,
    mut handle: impl FnMut(TcpStream),
) -> io::Result<usize> {
    listener.set_nonblocking(true)?;
    let mut handled = 0;
    for incoming in listener.incoming() {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        match incoming {
            Ok(stream) => {
                stream.set_nonblocking(false)?;
                handle(stream);
                handled += 1;
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(POLL_INTERVAL);
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(handled)
}

/// Sends all of `payload`, half-closes, and returns everything the server sends back.
pub fn echo_exchange(stream: &TcpStream, payload: &[u8]) -> io::Result<Vec<u8>> {
    let mut sending = stream.try_clone()?;
    let owned = payload.to_vec();
    let writer = thread::spawn(move || {
        sending.write_all(&owned)?;
        sending.shutdown(Shutdown::Write)
    });
    let mut echo = Vec::new();
    let mut chunk = [0u8; 8192];
    let read = loop {
        match (&*stream).read(&mut chunk) {
            Ok(0) => break Ok(()),
            Ok(n) => echo.extend_from_slice(&chunk[..n]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => break Err(error),
        }
    };
    if read.is_err() {
        // Wakes a writer that is stuck on a connection that is gone.
        let _ = stream.shutdown(Shutdown::Both);
    }
    let written = writer
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the writing thread panicked")));
    read.and(written).map(|()| echo)
}

#[cfg(test)]
#[path = "../../../exercises/ch04-disconnects/src/tests.rs"]
mod tests;
