//! Shows `write` taking only part of a buffer, and `write_all` taking all of it, for the chapter
//! "Sockets".
//!
//! How much one `write` takes depends on the machine's socket buffers, so the program prints
//! only whether it was everything, never the number.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::thread;

use ch02_sockets_listings::{send_the_rest, write_once};

const EIGHT_MIB: usize = 8 << 20;

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut sender = TcpStream::connect(listener.local_addr()?)?;
    let (receiver, _) = listener.accept()?;
    let payload = vec![b'x'; EIGHT_MIB];

    // The receiver is not reading yet, so one write takes only what fits in the buffers.
    let taken = write_once(&mut sender, &payload)?;
    println!(
        "write was given 8 MiB and took all of it: {}",
        taken == EIGHT_MIB
    );

    // The receiver drains the connection on another thread while write_all sends the rest.
    let reader = thread::spawn(move || io::copy(&mut &receiver, &mut io::sink()));
    send_the_rest(&mut sender, &payload[taken..])?;
    drop(sender);
    let received = reader.join().expect("the reader panicked")?;
    println!(
        "write_all sent the rest; the receiver got {} MiB",
        received >> 20
    );
    Ok(())
}
