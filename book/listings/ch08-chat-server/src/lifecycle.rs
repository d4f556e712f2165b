//! The life of a server, without the chat: a thread per connection up to a
//! bound, and a shutdown after which new connections are refused, every client
//! has seen the end of its stream, and every thread has been joined. Nothing
//! in it counts on one thread waking another from a blocking call, so it
//! stops the same way on Linux, macOS and Windows.

use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// What the acceptor and `stop` share.
#[derive(Default)]
struct Shared {
    stopping: AtomicBool,
}

// ANCHOR: wait
/// How long a serving thread waits in one call before it looks at the flag.
pub const TICK: Duration = Duration::from_millis(250);

/// Waits until the client has sent something, or has closed (true), or until
/// `stopping` is set (false). Every accepted socket has a read timeout of
/// TICK, so a silent client cannot keep us from looking at the flag.
pub fn wait_for_data(stream: &TcpStream, stopping: &AtomicBool) -> bool {
    loop {
        if stopping.load(Ordering::SeqCst) {
            return false;
        }
        // `peek` waits like `read` but takes nothing: a timeout loses no data.
        match stream.peek(&mut [0]) {
            Ok(_) => return true,
            Err(e) if is_timeout(&e) => {} // nothing yet: look at the flag
            Err(_) => return true,         // the next read reports the error
        }
    }
}

/// How a call fails when the socket's timeout runs out: `WouldBlock` on Unix,
/// `TimedOut` on Windows.
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
// ANCHOR_END: wait

/// A running server that gives each connection to `serve` on a thread of its
/// own.
pub struct Lifecycle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: JoinHandle<()>,
}

impl Lifecycle {
    /// Listens on `addr`; at most `max` connections are served at once. `serve`
    /// gets the flag it must give up on (through [`wait_for_data`]).
    pub fn start(
        addr: SocketAddr,
        max: usize,
        serve: fn(&TcpStream, &AtomicBool),
    ) -> io::Result<Lifecycle> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let acceptor = thread::spawn({
            let shared = Arc::clone(&shared);
            move || accept(listener, &shared, max, serve)
        });
        Ok(Lifecycle {
            addr,
            shared,
            acceptor,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    // ANCHOR: stop
    /// Stops accepting, ends every connection, and returns once every thread
    /// has finished.
    pub fn stop(self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // The acceptor is blocked in `accept`: connecting is what wakes it up.
        // A server on 0.0.0.0 or [::] is reached on loopback: connecting to the
        // unspecified address itself fails on Windows.
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = TcpStream::connect(addr);
        let _ = self.acceptor.join();
    }
    // ANCHOR_END: stop
}

// ANCHOR: accept
fn accept(
    listener: TcpListener,
    shared: &Arc<Shared>,
    max: usize,
    serve: fn(&TcpStream, &AtomicBool),
) {
    let mut threads: Vec<JoinHandle<()>> = Vec::new();
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        // Forget the connections that have ended.
        threads.retain(|thread| !thread.is_finished());
        if threads.len() >= max {
            let _ = (&stream).write_all(b"* error: the server is full\n");
            continue; // Dropping the stream closes it.
        }
        // No read may block for longer than a TICK.
        if stream.set_read_timeout(Some(TICK)).is_err() {
            continue;
        }
        let shared = Arc::clone(shared);
        threads.push(thread::spawn(move || {
            serve(&stream, &shared.stopping);
        })); // The stream is dropped, so closed, when `serve` returns.
    }
    drop(listener); // From here on, connecting is refused.
    // Every serving thread sees the flag within a TICK and returns.
    for thread in threads {
        let _ = thread.join();
    }
}
// ANCHOR_END: accept

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use testkit::{net, watchdog};

    /// Reads until the client ends the connection, or the server stops.
    fn wait_for_the_end(stream: &TcpStream, stopping: &AtomicBool) {
        let mut buffer = [0; 64];
        while wait_for_data(stream, stopping) {
            match (&*stream).read(&mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    }

    #[test]
    fn stop_ends_every_connection_and_refuses_new_ones() {
        watchdog::within_default("stop to return", || {
            let server = Lifecycle::start(
                (Ipv4Addr::LOCALHOST, 0).into(),
                2,
                wait_for_the_end,
            )
            .unwrap();
            let addr = server.local_addr();
            let mut clients = [net::connect(addr), net::connect(addr)];
            let mut third = net::connect(addr);
            let mut refusal = String::new();
            third.read_to_string(&mut refusal).unwrap();
            assert_eq!(refusal, "* error: the server is full\n");
            server.stop();
            for client in &mut clients {
                assert_eq!(
                    client.read(&mut [0; 16]).unwrap(),
                    0,
                    "end of stream"
                );
            }
            assert!(TcpStream::connect(addr).is_err());
        });
    }

    #[test]
    fn stop_wakes_a_server_listening_on_every_address() {
        watchdog::within_default("stop to return", || {
            let server = Lifecycle::start(
                (Ipv4Addr::UNSPECIFIED, 0).into(),
                1,
                wait_for_the_end,
            )
            .unwrap();
            server.stop();
        });
    }
}
