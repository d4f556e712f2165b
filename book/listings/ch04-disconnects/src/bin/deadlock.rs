//! Why a client that writes 8 MiB to an echo server before reading anything gets stuck, and
//! the fix, for chapter 4.
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

fn main() -> io::Result<()> {
    let payload: Vec<u8> = (0..EIGHT_MIB).map(|i| (i % 251) as u8).collect();

    // ANCHOR: main
    let (addr, _server) = start_echo_server()?;
    let stream = TcpStream::connect(addr)?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?; // so the deadlock shows
    match write_then_read(&stream, &payload) {
        Ok(echo) => println!("write, then read: {} bytes came back", echo.len()),
        Err(error) if is_timeout(&error) => {
            println!("write, then read: stuck; write_all could not send 8 MiB in 2 s")
        }
        Err(error) => println!("write, then read: failed with {error}"),
    }

    let (addr, _server) = start_echo_server()?;
    let stream = TcpStream::connect(addr)?;
    let echo = write_while_reading(&stream, &payload)?;
    println!(
        "write while reading: {} MiB came back, unchanged: {}",
        echo.len() >> 20,
        echo == payload
    );
    // ANCHOR_END: main
    Ok(())
}
