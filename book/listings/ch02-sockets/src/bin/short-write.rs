//! Shows `write` taking only part of a buffer, and `write_all` taking all of it, for chapter 2.
//!
//! How much one `write` takes depends on the machine's socket buffers, so the program prints
//! only whether it was everything, never the number.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

const EIGHT_MIB: usize = 8 << 20;

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut sender = TcpStream::connect(listener.local_addr()?)?;
    let (receiver, _) = listener.accept()?;
    let payload = vec![b'x'; EIGHT_MIB];

    // ANCHOR: write
    // Non-blocking, so that write returns at once with whatever the socket could take.
    sender.set_nonblocking(true)?;
    let taken = sender.write(&payload)?;
    println!(
        "write was given 8 MiB and took all of it: {}",
        taken == EIGHT_MIB
    );
    // ANCHOR_END: write

    // The receiver drains the connection on another thread while write_all sends the rest.
    let reader = thread::spawn(move || io::copy(&mut &receiver, &mut io::sink()));
    // ANCHOR: write_all
    // Blocking again: each write waits until the socket can take some bytes.
    sender.set_nonblocking(false)?;
    // write_all calls write again and again, until every byte is taken.
    sender.write_all(&payload[taken..])?;
    // ANCHOR_END: write_all
    drop(sender);
    let received = reader.join().expect("the reader panicked")?;
    println!(
        "write_all sent the rest; the receiver got {} MiB",
        received >> 20
    );
    Ok(())
}
