//! The code that chapter 4 of the book shows, included by anchor and compiled here: how a
//! connection ends, and what blocks.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;

// ANCHOR: what_happened
/// How a connection's reading side ended.
#[derive(Debug)]
pub enum Ending {
    /// The peer shut down its sending side (or closed): every byte it sent has arrived.
    Clean,
    /// The connection broke: bytes the peer sent may be lost.
    Abrupt(io::ErrorKind),
}

/// Reads until the peer stops, handing each piece to `piece`, and says how the stream ended.
pub fn read_until_the_end(stream: &TcpStream, mut piece: impl FnMut(&[u8])) -> io::Result<Ending> {
    let mut buffer = [0u8; 512];
    loop {
        match (&*stream).read(&mut buffer) {
            Ok(0) => return Ok(Ending::Clean), // the lecture's `len(data) == 0`
            Ok(n) => piece(&buffer[..n]),
            // A signal arrived before any byte did: nothing happened, so read again.
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) if is_abrupt(&error) => return Ok(Ending::Abrupt(error.kind())),
            Err(error) => return Err(error), // anything else: let the caller decide
        }
    }
}

/// The errors of a connection that ended abruptly.
pub fn is_abrupt(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}
// ANCHOR_END: what_happened

// ANCHOR: is_timeout
/// A read or write timeout: `WouldBlock` on Unix, `TimedOut` on Windows.
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
// ANCHOR_END: is_timeout

/// A one-client echo server on a thread: echoes until the client half-closes, then closes.
///
/// Its socket buffers are fixed at 64 KiB. Linux would otherwise grow them to many megabytes, and
/// how much data fits in flight, and so when the deadlock below starts, would vary from machine
/// to machine.
pub fn start_echo_server() -> io::Result<(std::net::SocketAddr, thread::JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            let socket = socket2::SockRef::from(&stream);
            // Whatever goes wrong ends this one connection only.
            let _ = socket.set_recv_buffer_size(64 * 1024);
            let _ = socket.set_send_buffer_size(64 * 1024);
            let _ = io::copy(&mut &stream, &mut &stream);
        }
    });
    Ok((addr, server))
}

// ANCHOR: write_then_read
/// Sends everything, then reads the echo. Fine for a little data; deadlocks with a lot.
pub fn write_then_read(stream: &TcpStream, payload: &[u8]) -> io::Result<Vec<u8>> {
    (&*stream).write_all(payload)?;
    stream.shutdown(Shutdown::Write)?;
    let mut echo = Vec::new();
    (&*stream).read_to_end(&mut echo)?;
    Ok(echo)
}
// ANCHOR_END: write_then_read

// ANCHOR: write_while_reading
/// Sends on one thread while reading on this one, so neither side ever waits for the other.
pub fn write_while_reading(stream: &TcpStream, payload: &[u8]) -> io::Result<Vec<u8>> {
    thread::scope(|scope| {
        let writer = scope.spawn(|| {
            (&*stream).write_all(payload)?;
            stream.shutdown(Shutdown::Write)
        });
        let mut echo = Vec::new();
        let read = (&*stream).read_to_end(&mut echo);
        let written = writer.join().expect("the writer panicked");
        read?;
        written?;
        Ok(echo)
    })
}
// ANCHOR_END: write_while_reading

#[cfg(test)]
mod tests {
    use super::*;

    use testkit::{net, peer, watchdog};

    #[test]
    fn a_close_is_clean_and_a_reset_is_abrupt() {
        let listener = net::listener();
        let ours = net::connect(net::addr_of(&listener));
        let theirs = net::accept(&listener);
        drop(theirs);
        let ending = watchdog::within_default("the clean end", move || {
            read_until_the_end(&ours, |_| {}).unwrap()
        });
        assert!(matches!(ending, Ending::Clean), "{ending:?}");

        let ours = net::connect(net::addr_of(&listener));
        peer::reset(net::accept(&listener));
        let ending = watchdog::within_default("the abrupt end", move || {
            read_until_the_end(&ours, |_| {}).unwrap()
        });
        assert!(matches!(ending, Ending::Abrupt(_)), "{ending:?}");
    }

    #[test]
    fn writing_while_reading_moves_8_mib_through_the_echo_server() {
        let payload: Vec<u8> = (0..8 << 20).map(|i: usize| (i % 251) as u8).collect();
        let (addr, _server) = start_echo_server().unwrap();
        let sent = payload.clone();
        let echo = watchdog::within_default("8 MiB to come back", move || {
            write_while_reading(&net::connect(addr), &sent).unwrap()
        });
        assert!(echo == payload, "the echo differs from the payload");
    }
}
