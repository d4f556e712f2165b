//! Listens with std's `TcpListener::bind` (which sets `SO_REUSEADDR` on Unix itself), writes with a hand-written `write` loop, reads straight into the result's spare room, and echoes with `io::copy`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};

/// The most bytes one read of `receive_all` asks for, like the lecture's `recv(512)`.
const CHUNK: usize = 512;

/// The lecture's first three calls: create a socket, set `SO_REUSEADDR`, `bind` it to `addr` and
/// `listen`. Works for IPv4 and IPv6 addresses, and for port 0.
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    // std makes the same calls: a socket of the address's family, SO_REUSEADDR on Unix only,
    // bind, listen.
    TcpListener::bind(addr)
}

/// The lecture's `sendall`: writes every byte of `data` to `output`, however many calls to
/// `write` that takes. A write that fails ends it with that error.
pub fn send_all(output: &mut impl Write, data: &[u8]) -> io::Result<()> {
    let mut rest = data;
    while !rest.is_empty() {
        match output.write(rest)? {
            0 => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the writer accepted no more bytes",
                ));
            }
            taken => rest = &rest[taken..],
        }
    }
    Ok(())
}

/// Reads from `input` until the end of the stream and returns every byte that arrived, in order,
/// each read asking for at most 512 bytes. A read that fails is not the end of the stream: its
/// error is returned.
pub fn receive_all(input: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut received = Vec::new();
    loop {
        let filled = received.len();
        received.resize(filled + CHUNK, 0);
        let outcome = input.read(&mut received[filled..]);
        let got = *outcome.as_ref().unwrap_or(&0);
        received.truncate(filled + got);
        if outcome? == 0 {
            return Ok(received);
        }
    }
}

/// The heart of the echo server: copies every byte read from `input` to `output` as soon as it
/// arrives, until `input` reaches its end. Returns how many bytes were echoed. A read or a
/// write that fails ends the echo with that error.
pub fn echo(input: &mut impl Read, output: &mut impl Write) -> io::Result<u64> {
    // `io::copy` writes back what each read returned before it reads again.
    io::copy(input, output)
}

/// Serves one client of `listener`: accepts it, echoes everything it sends until it
/// half-closes, then closes the connection. Returns how many bytes were echoed.
pub fn serve_one(listener: &TcpListener) -> io::Result<u64> {
    let (stream, _) = listener.accept()?;
    let echoed = echo(&mut &stream, &mut &stream)?;
    // Said out loud rather than left to the drop: both directions are done.
    stream.shutdown(Shutdown::Both)?;
    Ok(echoed)
}

/// The echo client: connects to `server`, sends all of `payload`, half-closes, and returns
/// everything the server sends back until it closes.
pub fn echo_client(server: SocketAddr, payload: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(server)?;
    send_all(&mut stream, payload)?;
    stream.shutdown(Shutdown::Write)?;
    receive_all(&mut stream)
}

#[cfg(test)]
#[path = "../../../exercises/ch02-sockets/src/tests.rs"]
mod tests;
