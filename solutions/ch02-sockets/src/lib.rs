//! The reference solution of "Sockets": the lecture's socket calls in Rust, one by one, and an
//! echo server with its client.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};

use socket2::{Domain, Protocol, Socket, Type};

/// How many bytes one read asks for: the lecture's `recv(512)`.
const RECV_SIZE: usize = 512;

/// How many connections may wait, fully connected, for `accept`.
const BACKLOG: i32 = 128;

/// How many bytes the echo loop moves per read: large enough that a big payload costs few
/// system calls (the benchmark in `benches/echo.rs` measures it), and a fixed amount per client.
const ECHO_BUFFER: usize = 256 * 1024;

/// The lecture's first three calls: create a socket, set `SO_REUSEADDR`, `bind` it to `addr` and
/// `listen`, using the `socket2` crate so that each call is visible. Works for IPv4 and IPv6
/// addresses, and for port 0 (the operating system picks a free port).
///
/// On Unix, `SO_REUSEADDR` lets a restarted server bind its port again at once, even while
/// connections it closed a moment ago still wait out their `TIME_WAIT`. On Windows that option
/// means something else (another program could take the port over), so set it only on Unix,
/// which is exactly what `TcpListener::bind` does for you.
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if cfg!(unix) {
        socket.set_reuse_address(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// The lecture's `sendall`: writes every byte of `data` to `output`, however many calls to
/// `write` that takes. A write that fails ends it with that error.
pub fn send_all(output: &mut impl Write, data: &[u8]) -> io::Result<()> {
    output.write_all(data)
}

/// Reads from `input` until the end of the stream (a read that returns `Ok(0)`) and returns
/// every byte that arrived, in order. Each read asks for at most 512 bytes, like the lecture's
/// `recv(512)`, and may get fewer. A read that fails is not the end of the stream: its error is
/// returned.
pub fn receive_all(input: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut received = Vec::new();
    let mut buffer = [0u8; RECV_SIZE];
    loop {
        let n = input.read(&mut buffer)?;
        if n == 0 {
            return Ok(received);
        }
        received.extend_from_slice(&buffer[..n]);
    }
}

/// The heart of the echo server: copies every byte read from `input` to `output` as soon as it
/// arrives, until `input` reaches its end. Returns how many bytes were echoed. A read or a
/// write that fails ends the echo with that error: a failed read is not the end of the input.
///
/// "As soon as it arrives" matters: a client may wait for the echo of one byte before it sends
/// the next, so never wait for more input before writing back what you have.
pub fn echo(input: &mut impl Read, output: &mut impl Write) -> io::Result<u64> {
    let mut buffer = vec![0u8; ECHO_BUFFER];
    let mut echoed = 0;
    loop {
        let n = input.read(&mut buffer)?;
        if n == 0 {
            return Ok(echoed);
        }
        // Only the first `n` bytes are new; the rest of the buffer is left over from before.
        output.write_all(&buffer[..n])?;
        echoed += n as u64;
    }
}

/// Serves one client of `listener`: accepts it, echoes everything it sends until it
/// half-closes, then closes the connection. Returns how many bytes were echoed.
pub fn serve_one(listener: &TcpListener) -> io::Result<u64> {
    let (stream, _client) = listener.accept()?;
    // Reading and writing through two shared references to one socket is how std lets a
    // `TcpStream` be both ends of the copy at once.
    let echoed = echo(&mut &stream, &mut &stream)?;
    // Dropping the stream here closes the connection: the client's read then returns Ok(0).
    drop(stream);
    Ok(echoed)
}

/// The echo client: connects to `server`, sends all of `payload`, half-closes (the server's read
/// then returns `Ok(0)`), and returns everything the server sends back until it closes.
///
/// This client sends everything before it reads anything. That is fine for a few kilobytes;
/// "Disconnects and blocking" shows why it deadlocks with megabytes, and how to fix it.
pub fn echo_client(server: SocketAddr, payload: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(server)?;
    send_all(&mut stream, payload)?;
    stream.shutdown(Shutdown::Write)?;
    receive_all(&mut stream)
}

#[cfg(test)]
#[path = "../../../exercises/ch02-sockets/src/tests.rs"]
mod tests;
