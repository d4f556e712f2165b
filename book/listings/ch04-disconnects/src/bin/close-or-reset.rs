//! A clean close and a reset, seen from the reading side, for chapter 4.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};

use ch04_disconnects_listings::read_until_the_end;

/// A connected pair on loopback: (our end, the peer's end).
fn pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let ours = TcpStream::connect(listener.local_addr()?)?;
    let (peer, _) = listener.accept()?;
    Ok((ours, peer))
}

fn main() -> io::Result<()> {
    // ANCHOR: main
    let (ours, mut peer) = pair()?;
    peer.write_all(b"bye")?;
    drop(peer); // an orderly close: FIN after the last byte
    let ending = read_until_the_end(&ours, |piece| {
        println!("got {:?}", String::from_utf8_lossy(piece))
    })?;
    println!("after a close: {ending:?}");

    let (mut ours, mut peer) = pair()?;
    peer.write_all(b"bye")?;
    ours.write_all(b"unread")?; // the peer never reads this...
    peer.peek(&mut [0u8; 1])?; // (peek waits until it has arrived, and leaves it unread)
    drop(peer); // ...and closing with unread data sends a reset (RST), not a FIN
    let ending = read_until_the_end(&ours, |piece| {
        println!("got {:?}", String::from_utf8_lossy(piece))
    })?;
    println!("after a reset: {ending:?}");
    // ANCHOR_END: main
    Ok(())
}
