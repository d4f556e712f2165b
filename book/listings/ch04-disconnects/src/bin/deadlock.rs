//! Why a client that writes 8 MiB to an echo server before reading anything gets stuck, and
//! the fix, for the chapter "Disconnects and blocking".
//!
//! The stuck client gets a 2-second write timeout, so the program reports the deadlock instead
//! of hanging for ever. How much was sent before it stuck depends on the machine's buffers, so
//! the program prints only that it was not everything.

use std::io;
use std::net::TcpStream;
use std::time::Duration;

use ch04_disconnects_listings::{
    is_timeout, start_echo_server, write_then_read, write_while_reading,
};

const EIGHT_MIB: usize = 8 << 20;

// ANCHOR: main
fn main() -> io::Result<()> {
    let payload: Vec<u8> = (0..EIGHT_MIB).map(|i| (i % 251) as u8).collect();

    let (addr, _server) = start_echo_server()?;
    let stream = TcpStream::connect(addr)?;
    // A write timeout, so that the deadlock shows as an error:
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    match write_then_read(&stream, &payload) {
        Ok(echo) => println!("write, then read: {} bytes back", echo.len()),
        Err(e) if is_timeout(&e) => {
            println!("write, then read: stuck; 8 MiB not sent in 2 s")
        }
        Err(e) => println!("write, then read: failed with {e}"),
    }

    let (addr, _server) = start_echo_server()?;
    let stream = TcpStream::connect(addr)?;
    let echo = write_while_reading(&stream, &payload)?;
    let same = echo == payload;
    println!(
        "write while reading: {} MiB back, unchanged: {same}",
        echo.len() >> 20
    );
    Ok(())
}
// ANCHOR_END: main
