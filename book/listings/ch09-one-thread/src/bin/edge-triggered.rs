//! Readiness is reported once per change, for the chapter "One thread, many
//! sockets": a server that reads part of what arrived and goes back to `poll`
//! is not told again about the rest, until the client sends more.
//!
//! What the second `poll` reports is the system's choice: mio promises an
//! event only after a call has said `WouldBlock`. On Linux (epoll), no event
//! comes; the program prints what happens wherever it runs.

use std::io::{self, ErrorKind, Read, Write};
use std::net;
use std::time::Duration;

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

const SERVER_SIDE: Token = Token(0);

fn main() -> io::Result<()> {
    let listener = net::TcpListener::bind("127.0.0.1:0")?;
    let mut client = net::TcpStream::connect(listener.local_addr()?)?;
    let (server_side, _) = listener.accept()?;
    server_side.set_nonblocking(true)?;
    let mut server_side = TcpStream::from_std(server_side);
    let mut poll = Poll::new()?;
    poll.registry().register(
        &mut server_side,
        SERVER_SIDE,
        Interest::READABLE,
    )?;
    let mut events = Events::with_capacity(8);

    send(&mut client, "one\ntwo\nthree\n")?;
    wait(&mut poll, &mut events, Duration::from_secs(5))?;
    let mut buffer = [0u8; 4];
    read(&mut server_side, &mut buffer)?;
    println!("back to poll, with 10 bytes still unread:");
    wait(&mut poll, &mut events, Duration::from_millis(200))?;
    println!("read until WouldBlock:");
    while read(&mut server_side, &mut buffer)? {}
    send(&mut client, "four\n")?;
    wait(&mut poll, &mut events, Duration::from_secs(5))?;
    while read(&mut server_side, &mut buffer)? {}
    Ok(())
}

/// The client sends `text` in one write.
fn send(client: &mut net::TcpStream, text: &str) -> io::Result<()> {
    client.write_all(text.as_bytes())?;
    println!("the client sends {text:?} ({} bytes)", text.len());
    Ok(())
}

/// One `poll`, for at most `timeout`, and what it said.
fn wait(
    poll: &mut Poll,
    events: &mut Events,
    timeout: Duration,
) -> io::Result<()> {
    poll.poll(events, Some(timeout))?;
    let said = match events.iter().find(|e| e.token() == SERVER_SIDE) {
        Some(event) if event.is_readable() => "readable".to_string(),
        Some(_) => "an event, not readable".to_string(),
        None => format!("no event within {} ms", timeout.as_millis()),
    };
    println!("  poll: {said}");
    Ok(())
}

/// One read into `buffer`; `false` once it said `WouldBlock` (or the end).
fn read(server_side: &mut TcpStream, buffer: &mut [u8]) -> io::Result<bool> {
    match server_side.read(buffer) {
        Ok(0) => {
            println!("  read: the end of the stream");
            Ok(false)
        }
        Ok(n) => {
            let text = String::from_utf8_lossy(&buffer[..n]);
            let bytes = if n == 1 { "byte" } else { "bytes" };
            println!("  read {n} {bytes}: {text:?}");
            Ok(true)
        }
        Err(e) if e.kind() == ErrorKind::WouldBlock => {
            println!("  read: WouldBlock");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}
