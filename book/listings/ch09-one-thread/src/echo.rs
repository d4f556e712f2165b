//! An echo server on one thread, with mio: every client gets its own bytes
//! back, however many clients there are, and none of them can hold up the
//! others. The loop sleeps in `poll` until a socket is ready, then does, for
//! each ready socket, everything that can be done without blocking.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::thread::{self, JoinHandle};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token, Waker};

// ANCHOR: tokens
/// The token of the listening socket's events.
const LISTENER: Token = Token(0);
/// The token of the waker's event, which means "stop".
const WAKER: Token = Token(1);
// ANCHOR_END: tokens

// ANCHOR: server
/// A running echo server: its address, a way to wake its loop, and the
/// loop's thread.
pub struct EchoServer {
    addr: SocketAddr,
    waker: Waker,
    thread: JoinHandle<io::Result<()>>,
}

impl EchoServer {
    /// Binds `addr` and starts the event loop on a thread of its own.
    pub fn start(addr: SocketAddr) -> io::Result<EchoServer> {
        let mut listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let poll = Poll::new()?;
        let registry = poll.registry();
        registry.register(&mut listener, LISTENER, Interest::READABLE)?;
        let waker = Waker::new(registry, WAKER)?;
        let thread = thread::spawn(move || run(poll, listener));
        Ok(EchoServer {
            addr,
            waker,
            thread,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Wakes the loop, which returns and so closes every connection, and
    /// waits for its thread. The waker lives until the thread is joined.
    pub fn stop(self) -> io::Result<()> {
        self.waker.wake()?;
        self.thread.join().expect("the echo server's loop panicked")
    }
}
// ANCHOR_END: server

// ANCHOR: run
/// The event loop: sleeps until something is ready, then serves every
/// socket an event names, until the waker's event arrives.
fn run(mut poll: Poll, listener: TcpListener) -> io::Result<()> {
    let mut events = Events::with_capacity(256);
    let mut clients: HashMap<Token, Client> = HashMap::new();
    let mut next_token = 2; // 0 and 1 are the listener's and the waker's
    loop {
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        for event in &events {
            match event.token() {
                WAKER => return Ok(()), // `clients` is dropped: all closed
                LISTENER => {
                    let registry = poll.registry();
                    accept_all(
                        &listener,
                        registry,
                        &mut clients,
                        &mut next_token,
                    );
                }
                token => {
                    // An earlier event of this round may have closed it.
                    let Some(client) = clients.get_mut(&token) else {
                        continue;
                    };
                    if !client.serve() {
                        clients.remove(&token); // dropping it closes it
                    }
                }
            }
        }
    }
}
// ANCHOR_END: run

// ANCHOR: accept_all
/// Accepts every connection that is waiting, until `accept` says
/// `WouldBlock`: one readiness event may stand for many connections.
fn accept_all(
    listener: &TcpListener,
    registry: &Registry,
    clients: &mut HashMap<Token, Client>,
    next_token: &mut usize,
) {
    loop {
        let mut stream = match listener.accept() {
            Ok((stream, _peer)) => stream,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            // A signal, or one client that gave up while it waited in
            // the queue: neither is about the others, so go on.
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == ErrorKind::ConnectionAborted => continue,
            // Too many open files, say. This round of accepting ends, not
            // the server; the connection waits in the listen queue.
            Err(_) => return,
        };
        let token = Token(*next_token);
        *next_token += 1; // never reused, so a stale event finds nobody
        let both = Interest::READABLE | Interest::WRITABLE;
        if registry.register(&mut stream, token, both).is_ok() {
            clients.insert(token, Client::new(stream));
        } // else: `stream` is dropped, and that one client is turned away
    }
}
// ANCHOR_END: accept_all

// ANCHOR: client
/// The most bytes kept for a client that does not read its echo. With that
/// many waiting, the server stops reading from that client until the
/// client has read some: the server's memory stays bounded.
const MAX_PENDING: usize = 64 * 1024;

/// One client: its socket, and what the loop must remember about it
/// between two events.
struct Client {
    stream: TcpStream,
    /// Bytes read from the client and not yet written back.
    pending: Vec<u8>,
    /// The client has sent everything: write back the rest, then close.
    finished: bool,
}

impl Client {
    fn new(stream: TcpStream) -> Client {
        Client {
            stream,
            pending: Vec::new(),
            finished: false,
        }
    }

    /// Does everything that can be done now without blocking, and stops
    /// only at a `WouldBlock`: readiness is reported once per change, so
    /// the next event comes only after a call has said `WouldBlock`.
    /// Returns `false` when the connection is over.
    fn serve(&mut self) -> bool {
        loop {
            if self.write_pending().is_err() {
                return false;
            }
            if self.pending.len() >= MAX_PENDING {
                return true; // a write said WouldBlock: wait until writable
            }
            if self.finished {
                return !self.pending.is_empty();
            }
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => self.finished = true,
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false, // a reset, say
            }
        }
    }

    /// Writes pending bytes until none are left or the socket is full.
    fn write_pending(&mut self) -> io::Result<()> {
        while !self.pending.is_empty() {
            match self.stream.write(&self.pending) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.pending.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
// ANCHOR_END: client

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::Shutdown;
    use testkit::{net, watchdog};

    fn start() -> EchoServer {
        EchoServer::start("127.0.0.1:0".parse().unwrap())
            .expect("the echo server could not start")
    }

    #[test]
    fn a_client_gets_its_bytes_back() {
        let server = start();
        let addr = server.local_addr();
        watchdog::within_default("the echo of one line", move || {
            let mut client = net::connect(addr);
            client.write_all(b"hello, loop\n").unwrap();
            let mut echo = [0u8; 12];
            client.read_exact(&mut echo).unwrap();
            assert_eq!(&echo, b"hello, loop\n");
        });
        server.stop().unwrap();
    }

    #[test]
    fn a_mebibyte_comes_back_whole_while_the_client_reads_as_it_writes() {
        let server = start();
        let addr = server.local_addr();
        watchdog::within_default("the echo of a mebibyte", move || {
            let sent: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
            let client = net::connect(addr);
            let mut writer = client.try_clone().unwrap();
            let expected = sent.clone();
            let writing = thread::spawn(move || {
                writer.write_all(&sent).unwrap();
                writer.shutdown(Shutdown::Write).unwrap();
            });
            let mut echo = Vec::new();
            (&client).read_to_end(&mut echo).unwrap();
            writing.join().unwrap();
            assert!(echo == expected, "the echo differs from what was sent");
        });
        server.stop().unwrap();
    }

    #[test]
    fn a_client_that_never_reads_does_not_hold_up_another() {
        let server = start();
        let addr = server.local_addr();
        watchdog::within_default("the second client's echo", move || {
            // The first client sends far more than the buffers hold, and
            // never reads: the server stops reading it, and goes on.
            let stuck = net::connect(addr);
            stuck.set_nonblocking(true).unwrap();
            let flood = vec![b'x'; 64 * 1024];
            let mut sent = 0;
            while sent < 16 << 20 {
                match (&stuck).write(&flood) {
                    Ok(n) => sent += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => panic!("the flood failed: {e}"),
                }
            }
            let mut other = net::connect(addr);
            other.write_all(b"still there?\n").unwrap();
            let mut echo = [0u8; 13];
            other.read_exact(&mut echo).unwrap();
            assert_eq!(&echo, b"still there?\n");
        });
        server.stop().unwrap();
    }

    #[test]
    fn stop_wakes_the_loop_and_closes_every_connection() {
        let server = start();
        let addr = server.local_addr();
        let mut idle = net::connect(addr);
        idle.write_all(b"ping").unwrap();
        let mut echo = [0u8; 4];
        idle.read_exact(&mut echo).unwrap();
        watchdog::within_default("stop to return", move || server.stop())
            .unwrap();
        let mut rest = Vec::new();
        let read = idle.read_to_end(&mut rest);
        assert!(
            matches!(read, Ok(0)),
            "after stop, the client should read the end of the stream, \
             got {read:?}"
        );
    }
}
