//! Loopback sockets for tests: listeners on port 0, connections with timeouts, one-shot servers.
//!
//! Port 0 asks the operating system for any free port, so tests never collide with each other,
//! with a student's own server on 5555, or with a second run of the suite.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use crate::watchdog;

/// How long a test's own socket waits for one read or write before giving up.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// A listener on `127.0.0.1`, on a port the operating system chose.
pub fn listener() -> TcpListener {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .expect("could not bind 127.0.0.1:0; is the loopback interface up?")
}

/// A listener on `[::1]`, or `None` where this machine has no IPv6 loopback.
pub fn listener_v6() -> Option<TcpListener> {
    TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).ok()
}

/// The address a listener was given, with the port the operating system chose.
pub fn addr_of(listener: &TcpListener) -> SocketAddr {
    listener
        .local_addr()
        .expect("a bound listener always has a local address")
}

/// An address on which nothing listens: bound for a moment, then closed.
pub fn closed_port() -> SocketAddr {
    addr_of(&listener())
}

/// Connects to `addr` with read and write timeouts of [`IO_TIMEOUT`], so the test's side of the
/// conversation never blocks for ever.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, watchdog::scaled(IO_TIMEOUT))
        .unwrap_or_else(|error| panic!("{}", connect_failure(addr, &error)));
    set_timeouts(&stream);
    stream
}

/// Why a test could not connect, in words: the raw OS error says little to a student.
fn connect_failure(addr: SocketAddr, error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => format!(
            "could not connect to the server at {addr}: nothing accepts connections there \
             (connection refused). Is the listener still open? A server that has stopped, or \
             whose listener was dropped, refuses connections"
        ),
        _ if is_timeout(error) => format!(
            "could not connect to the server at {addr}: no answer within {} ({error})",
            watchdog::describe(watchdog::scaled(IO_TIMEOUT))
        ),
        _ => format!("could not connect to the server at {addr}: {error}"),
    }
}

/// Connects to `addr` like [`connect`], with a receive buffer of about `bytes` (the system may
/// round it up, and Linux doubles it). A client that does not read then closes its window
/// after a few kilobytes, and what the server sends beyond that stays in the server's own
/// buffers: where a close that resets the connection destroys it.
pub fn connect_with_small_window(addr: SocketAddr, bytes: usize) -> TcpStream {
    connect_small(addr, bytes, false)
}

/// Connects to `addr` like [`connect_with_small_window`], and, where the system lets a program
/// ask (Unix), with segments of at most 1460 bytes, an Ethernet's, as a client across a real
/// network has, instead of loopback's 64 KiB. Linux sizes a new connection's send buffer from
/// its segments: over loopback, a server's socket takes some 3 MB for a client that reads
/// nothing before its `write` says `WouldBlock`; for this client, some 50 KB, so a test can see
/// what a server does when a write is cut short without sending megabytes. Windows has no such
/// setting: there this is [`connect_with_small_window`].
pub fn connect_with_small_buffers(addr: SocketAddr, bytes: usize) -> TcpStream {
    connect_small(addr, bytes, true)
}

/// [`connect_with_small_window`], with small segments too where `small_segments` asks.
fn connect_small(addr: SocketAddr, bytes: usize, small_segments: bool) -> TcpStream {
    let domain = socket2::Domain::for_address(addr);
    let socket = socket2::Socket::new(domain, socket2::Type::STREAM, None)
        .unwrap_or_else(|error| panic!("could not make a socket to connect to {addr}: {error}"));
    socket
        .set_recv_buffer_size(bytes)
        .expect("could not set the test socket's receive buffer size");
    #[cfg(unix)]
    if small_segments {
        socket
            .set_tcp_mss(1460)
            .expect("could not set the test socket's segment size");
    }
    #[cfg(not(unix))]
    let _ = small_segments;
    socket
        .connect_timeout(&addr.into(), watchdog::scaled(IO_TIMEOUT))
        .unwrap_or_else(|error| panic!("{}", connect_failure(addr, &error)));
    let stream = TcpStream::from(socket);
    set_timeouts(&stream);
    stream
}

/// Gives `stream` read and write timeouts of [`IO_TIMEOUT`].
pub fn set_timeouts(stream: &TcpStream) {
    let timeout = Some(watchdog::scaled(IO_TIMEOUT));
    stream
        .set_read_timeout(timeout)
        .and_then(|()| stream.set_write_timeout(timeout))
        .expect("could not set socket timeouts");
}

/// Accepts one connection, with [`IO_TIMEOUT`] set on it.
pub fn accept(listener: &TcpListener) -> TcpStream {
    let (stream, _) = listener
        .accept()
        .expect("the test's listener could not accept a connection");
    set_timeouts(&stream);
    stream
}

/// A connected pair of loopback sockets, `(test's end, code's end)`: the test writes into the
/// first (with TCP_NODELAY, so small writes leave at once) and hands the second, the accepted
/// end, to the code under test. Both have [`IO_TIMEOUT`] set.
pub fn pair() -> (TcpStream, TcpStream) {
    let listener = listener();
    let test_end = connect(addr_of(&listener));
    let code_end = accept(&listener);
    crate::peer::no_delay(&test_end);
    (test_end, code_end)
}

/// True for the errors a read or write timeout produces: `WouldBlock` on Unix, `TimedOut` on
/// Windows.
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// A test's own server: a listener on port 0 and a thread that serves exactly one connection.
pub struct OneShot<T> {
    addr: SocketAddr,
    handle: thread::JoinHandle<T>,
}

impl<T: Send + 'static> OneShot<T> {
    /// Binds `127.0.0.1:0` and serves the first connection with `handler` on a new thread.
    pub fn start(handler: impl FnOnce(TcpStream) -> T + Send + 'static) -> Self {
        Self::on(listener(), handler)
    }

    /// Serves the first connection to `listener` with `handler` on a new thread.
    pub fn on(
        listener: TcpListener,
        handler: impl FnOnce(TcpStream) -> T + Send + 'static,
    ) -> Self {
        let addr = addr_of(&listener);
        let handle = thread::spawn(move || handler(accept(&listener)));
        OneShot { addr, handle }
    }

    /// Where to connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits for the handler to finish and returns what it returned; fails the test if the
    /// handler panicked or did not finish within the watchdog's default limit.
    pub fn finish(self) -> T {
        match watchdog::join(
            self.handle,
            watchdog::DEFAULT_LIMIT,
            "the test's server to finish",
        ) {
            Ok(value) => value,
            Err(payload) => panic!(
                "the test's own server failed: {}",
                watchdog::panic_message(&*payload)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_one_shot_server_serves_one_client() {
        let server = OneShot::start(|mut stream| {
            let mut request = String::new();
            stream.read_to_string(&mut request).unwrap();
            request
        });
        let mut client = connect(server.addr());
        client.write_all(b"hello").unwrap();
        drop(client);
        assert_eq!(server.finish(), "hello");
    }

    #[test]
    fn a_pair_is_connected_both_ways() {
        let (mut test_end, mut code_end) = pair();
        test_end.write_all(b"ping").unwrap();
        let mut got = [0; 4];
        code_end.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"ping");
        code_end.write_all(b"pong").unwrap();
        test_end.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"pong");
    }

    #[test]
    fn a_client_with_small_buffers_fills_the_servers_socket_after_kilobytes() {
        let listener = listener();
        let client = connect_with_small_buffers(addr_of(&listener), 4096);
        let mut server_end = accept(&listener);
        server_end
            .set_nonblocking(true)
            .expect("could not make the server's end non-blocking");
        let chunk = [b'x'; 4096];
        let mut taken = 0;
        // Bounded, whatever the system: 64 MiB is more than any socket buffer.
        while taken < 64 << 20 {
            match server_end.write(&chunk) {
                Ok(count) => taken += count,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) => panic!("writing to a client that reads nothing failed: {error}"),
            }
        }
        if cfg!(unix) {
            assert!(
                taken < 1 << 20,
                "the server's socket took {taken} bytes for a client with small buffers that \
                 reads nothing; it should take less than 1 MiB"
            );
        }
        drop(client);
    }

    #[test]
    fn nothing_listens_on_a_closed_port() {
        let error = TcpStream::connect(closed_port()).expect_err("nothing should be listening");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
    }
}
