//! The naive chat server, the Python one's design in Rust: a thread per
//! client, a shared list of sockets behind one lock, and a broadcast that
//! writes to every socket while holding it. It works until one client stops
//! reading.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

// ANCHOR: naive
/// Every connected client's socket, by connection number.
type Clients = Arc<Mutex<Vec<(u64, TcpStream)>>>;

/// Sends `line` to everyone but `from`, writing to each socket in turn, with
/// the lock held.
fn broadcast(clients: &Clients, from: u64, line: &[u8]) {
    let clients = clients.lock().unwrap();
    for (id, stream) in clients.iter() {
        if *id != from {
            // Blocks while this client's buffers are full, and everyone else
            // waits for the lock.
            let _ = (&*stream).write_all(line);
        }
    }
}

/// One thread per client: every line it sends goes to all the others.
fn handle(clients: Clients, id: u64, stream: TcpStream) {
    let mut lines = BufReader::new(&stream);
    let mut line = Vec::new();
    while matches!(lines.read_until(b'\n', &mut line), Ok(n) if n > 0) {
        broadcast(&clients, id, &line);
        line.clear();
    }
    clients.lock().unwrap().retain(|(other, _)| *other != id);
}
// ANCHOR_END: naive

/// Starts the naive server on `addr` and returns where it listens; it runs
/// until the process ends.
pub fn start(addr: SocketAddr) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    let clients: Clients = Arc::default();
    thread::spawn(move || {
        for (id, stream) in (0..).zip(listener.incoming()) {
            let Ok(stream) = stream else { continue };
            let Ok(copy) = stream.try_clone() else {
                continue;
            };
            clients.lock().unwrap().push((id, copy));
            let clients = Arc::clone(&clients);
            thread::spawn(move || handle(clients, id, stream));
        }
    });
    Ok(local)
}
