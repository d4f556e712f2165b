//! The life of a server, without the chat: a thread per connection up to a
//! bound, and a shutdown after which new connections are refused, every client
//! has seen the end of its stream, and every thread has been joined.

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

/// What the acceptor and `stop` share.
#[derive(Default)]
struct Shared {
    stopping: AtomicBool,
    /// A clone of every open connection's socket, so `stop` can end them all.
    open: Mutex<HashMap<u64, TcpStream>>,
}

/// A running server that gives each connection to `serve` on a thread of its
/// own.
pub struct Lifecycle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: JoinHandle<()>,
}

impl Lifecycle {
    /// Listens on `addr`; at most `max` connections are served at once.
    pub fn start(
        addr: SocketAddr,
        max: usize,
        serve: fn(&TcpStream),
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
        let _ = TcpStream::connect(self.addr);
        let _ = self.acceptor.join();
    }
    // ANCHOR_END: stop
}

// ANCHOR: accept
fn accept(
    listener: TcpListener,
    shared: &Arc<Shared>,
    max: usize,
    serve: fn(&TcpStream),
) {
    let mut threads: Vec<JoinHandle<()>> = Vec::new();
    for (id, stream) in (0..).zip(listener.incoming()) {
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
        let Ok(copy) = stream.try_clone() else {
            continue;
        };
        shared.open.lock().unwrap().insert(id, copy);
        let shared = Arc::clone(shared);
        threads.push(thread::spawn(move || {
            serve(&stream);
            shared.open.lock().unwrap().remove(&id);
        }));
    }
    drop(listener); // From here on, connecting is refused.
    for stream in shared.open.lock().unwrap().values() {
        // The client's read returns Ok(0); the serving thread's blocked read
        // returns too.
        let _ = stream.shutdown(Shutdown::Both);
    }
    for thread in threads {
        let _ = thread.join();
    }
}
// ANCHOR_END: accept

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::Ipv4Addr;
    use testkit::{net, watchdog};

    /// Reads until the client or the server ends the connection.
    fn wait_for_the_end(stream: &TcpStream) {
        let _ = io::copy(&mut &*stream, &mut io::sink());
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
}
