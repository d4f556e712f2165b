//! What blocks, and the three ways out: a timeout, non-blocking mode, and the error each gives,
//! for the chapter "Disconnects and blocking".

use std::io::{self, Read};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use ch04_disconnects_listings::is_timeout;

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let ours = TcpStream::connect(listener.local_addr()?)?;
    let (_silent_peer, _) = listener.accept()?; // connected; never sends
    with_a_timeout(&ours)?;
    non_blocking(&ours, &listener)
}

// ANCHOR: timeout
/// A read from a peer that never sends, with a timeout.
fn with_a_timeout(ours: &TcpStream) -> io::Result<()> {
    ours.set_read_timeout(Some(Duration::from_millis(100)))?;
    // Returns after about 100 ms:
    let error = (&*ours).read(&mut [0u8; 512]).unwrap_err();
    let kind = error.kind();
    println!(
        "read with a timeout:  {kind:?} (a timeout: {})",
        is_timeout(&error)
    );
    Ok(())
}
// ANCHOR_END: timeout

// ANCHOR: nonblocking
/// A read from a peer that never sends, and an accept that nobody
/// connects to, both in non-blocking mode.
fn non_blocking(ours: &TcpStream, listener: &TcpListener) -> io::Result<()> {
    ours.set_nonblocking(true)?;
    let error = (&*ours).read(&mut [0u8; 512]).unwrap_err(); // at once
    println!("read, non-blocking:   {:?}", error.kind());

    listener.set_nonblocking(true)?;
    let error = listener.accept().unwrap_err(); // at once
    println!("accept, non-blocking: {:?}", error.kind());
    Ok(())
}
// ANCHOR_END: nonblocking
