//! What blocks, and the three ways out: a timeout, non-blocking mode, and the error each gives,
//! for chapter 4.

use std::io::{self, Read};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use ch04_disconnects_listings::is_timeout;

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let ours = TcpStream::connect(listener.local_addr()?)?;
    let (_silent_peer, _) = listener.accept()?; // connected, and never sends a byte

    // ANCHOR: timeout
    ours.set_read_timeout(Some(Duration::from_millis(100)))?;
    let error = (&ours).read(&mut [0u8; 512]).unwrap_err(); // returns after about 100 ms
    println!(
        "read with a timeout:     {:?} (a timeout: {})",
        error.kind(),
        is_timeout(&error)
    );
    // ANCHOR_END: timeout

    // ANCHOR: nonblocking
    ours.set_nonblocking(true)?;
    let error = (&ours).read(&mut [0u8; 512]).unwrap_err(); // returns at once
    println!("read, non-blocking:      {:?}", error.kind());

    listener.set_nonblocking(true)?;
    let error = listener.accept().unwrap_err(); // nobody is connecting: returns at once
    println!("accept, non-blocking:    {:?}", error.kind());
    // ANCHOR_END: nonblocking
    Ok(())
}
