//! A non-blocking write meets a full socket, for the chapter "One thread, many
//! sockets": whole writes, then part of one, then `WouldBlock`; no event while
//! the peer reads nothing; a writable event once it has read.
//!
//! The byte counts depend on the system and its socket buffers; the order of
//! what happens does not.

use std::io::{self, ErrorKind, Read, Write};
use std::net;
use std::time::Duration;

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

const CHUNK: usize = 64 * 1024;
const CLIENT: Token = Token(0);

fn main() -> io::Result<()> {
    let listener = net::TcpListener::bind("127.0.0.1:0")?;
    let client = net::TcpStream::connect(listener.local_addr()?)?;
    let (mut peer, _) = listener.accept()?; // reads nothing, for now
    peer.set_read_timeout(Some(Duration::from_secs(5)))?;
    client.set_nonblocking(true)?;
    let mut client = TcpStream::from_std(client);

    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut client, CLIENT, Interest::WRITABLE)?;
    let mut events = Events::with_capacity(8);
    poll.poll(&mut events, Some(Duration::from_secs(5)))?;
    println!("poll: {} (the socket's buffer is empty)", said(&events));

    println!("the peer reads nothing; the client writes {CHUNK} bytes a time:");
    let mut writes = Writes::default();
    writes.until_would_block(&mut client)?;
    // The rule of readiness: an event means "try again until WouldBlock".
    // Space can still free up as the last bytes move to the peer's side.
    loop {
        poll.poll(&mut events, Some(Duration::from_millis(200)))?;
        if events.is_empty() {
            break;
        }
        println!("poll: {}, so the client writes again", said(&events));
        writes.until_would_block(&mut client)?;
    }
    println!("poll, 200 ms, the peer still reading nothing: no event");

    let mut taken = vec![0u8; writes.total];
    peer.read_exact(&mut taken)?;
    println!("the peer reads all {} bytes", writes.total);
    poll.poll(&mut events, Some(Duration::from_secs(5)))?;
    println!("poll: {}", said(&events));
    writes.one(&mut client)?;
    writes.end_run(writes.count);
    Ok(())
}

/// What a round of `poll` reported for the client.
fn said(events: &Events) -> &'static str {
    match events.iter().find(|event| event.token() == CLIENT) {
        Some(event) if event.is_writable() => "writable",
        Some(_) => "an event, not writable",
        None => "no event",
    }
}

/// The writes made so far, and how many were whole in a row, so that a
/// long run of them takes one line.
#[derive(Default)]
struct Writes {
    count: usize,
    total: usize,
    whole_from: Option<usize>,
}

impl Writes {
    /// Writes until the socket says `WouldBlock`.
    fn until_would_block(&mut self, client: &mut TcpStream) -> io::Result<()> {
        while self.one(client)? {}
        Ok(())
    }

    /// One write of a chunk; `false` once it said `WouldBlock`.
    fn one(&mut self, client: &mut TcpStream) -> io::Result<bool> {
        let chunk = [b'x'; CHUNK];
        self.count += 1;
        let result = client.write(&chunk);
        if !matches!(result, Ok(CHUNK)) {
            self.end_run(self.count - 1);
        }
        match result {
            Ok(CHUNK) => {
                self.total += CHUNK;
                self.whole_from.get_or_insert(self.count);
            }
            Ok(n) => {
                self.total += n;
                println!("  write {}: took {n} bytes of {CHUNK}", self.count);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                println!(
                    "  write {}: WouldBlock; {} bytes taken so far",
                    self.count, self.total
                );
                return Ok(false);
            }
            Err(e) => return Err(e),
        }
        Ok(true)
    }

    /// Prints the run of whole writes that ended with write `last`, if any.
    fn end_run(&mut self, last: usize) {
        match self.whole_from.take() {
            Some(first) if first == last => {
                println!("  write {first}: took all {CHUNK} bytes");
            }
            Some(first) => {
                println!(
                    "  writes {first} to {last}: each took all {CHUNK} bytes"
                );
            }
            None => {}
        }
    }
}
