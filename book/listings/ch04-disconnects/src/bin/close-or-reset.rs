//! A clean close and a reset, seen from the reading side, for the chapter
//! "Disconnects and blocking".

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

// ANCHOR: main
fn main() -> io::Result<()> {
    let show =
        |piece: &[u8]| println!("got {:?}", String::from_utf8_lossy(piece));

    let (ours, mut peer) = pair()?;
    peer.write_all(b"bye")?;
    drop(peer); // an orderly close: FIN after the last byte
    let ending = read_until_the_end(&ours, show)?;
    println!("after a close: {ending:?}");

    let (mut ours, mut peer) = pair()?;
    peer.write_all(b"bye")?;
    ours.write_all(b"unread")?; // the peer never reads this...
    // (peek waits until it has arrived, and leaves it unread)
    peer.peek(&mut [0u8; 1])?;
    drop(peer); // ...so closing sends a reset (RST), not a FIN
    let ending = read_until_the_end(&ours, show)?;
    println!("after a reset: {ending:?}");
    Ok(())
}
// ANCHOR_END: main
