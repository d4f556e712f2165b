//! Writing to a peer that has gone, for the chapter "Disconnects and blocking": the first write
//! still succeeds, a later one fails, and the program lives on to report it.
//!
//! How many writes succeed before the failure depends on timing, so only the error is printed.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};

/// A connected pair on loopback: (our end, the peer's end).
fn pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let ours = TcpStream::connect(listener.local_addr()?)?;
    let (peer, _) = listener.accept()?;
    Ok((ours, peer))
}

// ANCHOR: main
fn main() -> io::Result<()> {
    let (mut ours, peer) = pair()?;
    drop(peer); // the peer closes both directions and goes away

    let first = ours.write_all(b"are you there?");
    println!("first write after the peer closed: ok = {}", first.is_ok());
    // The peer's system answers that data with a reset; a later write
    // reports it.
    let error = loop {
        if let Err(error) = ours.write_all(b"hello?") {
            break error;
        }
    };
    println!("a later write: {:?}", error.kind());
    Ok(())
}
// ANCHOR_END: main
