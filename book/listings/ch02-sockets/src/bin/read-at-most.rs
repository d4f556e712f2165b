//! Shows that `read` returns at most as many bytes as the buffer holds, and `Ok(0)` at the end,
//! for the chapter "Sockets".
//!
//! The sender finishes (and closes) before the receiver starts reading, so every byte is already
//! waiting and the reads come out the same on every run.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};

use ch02_sockets_listings::read_in_fours;

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut sender = TcpStream::connect(listener.local_addr()?)?;
    let (mut receiver, _) = listener.accept()?;
    sender.write_all(b"hello world")?;
    drop(sender); // closes: after the 11 bytes, the receiver's read returns Ok(0)

    read_in_fours(&mut receiver)?;
    Ok(())
}
