//! Sets the socket options with `cfg` attributes, reads through a 512-byte `BufReader`, echoes with a small buffer and its own write loop over two handles of the stream, and a client that sends and receives at the same time on scoped threads.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;

use socket2::{Domain, Socket, Type};

/// The lecture's first three calls, with `socket2`: create a socket, set `SO_REUSEADDR` (on Unix
/// only), `bind` it to `addr` and `listen`. Works for IPv4 and IPv6 addresses, and for port 0.
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(TcpListener::from(socket))
}

/// The lecture's `sendall`: writes every byte of `data` to `output`, however many calls to
/// `write` that takes. A write that fails ends it with that error.
pub fn send_all(output: &mut impl Write, data: &[u8]) -> io::Result<()> {
    let mut sent = 0;
    while sent < data.len() {
        let taken = output.write(&data[sent..])?;
        if taken == 0 {
            return Err(ErrorKind::WriteZero.into());
        }
        sent += taken;
    }
    Ok(())
}

/// Reads from `input` until the end of the stream and returns every byte that arrived, in order,
/// each read asking for at most 512 bytes. A read that fails is not the end of the stream: its
/// error is returned.
pub fn receive_all(input: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut reader = BufReader::with_capacity(512, input);
    let mut received = Vec::new();
    loop {
        let arrived = reader.fill_buf()?;
        if arrived.is_empty() {
            return Ok(received);
        }
        received.extend_from_slice(arrived);
        let taken = arrived.len();
        reader.consume(taken);
    }
}

/// The heart of the echo server: copies every byte read from `input` to `output` as soon as it
/// arrives, until `input` reaches its end. Returns how many bytes were echoed. A read or a
/// write that fails ends the echo with that error.
pub fn echo(input: &mut impl Read, output: &mut impl Write) -> io::Result<u64> {
    let mut buffer = [0u8; 4096];
    let mut total = 0u64;
    loop {
        let arrived = input.read(&mut buffer)?;
        if arrived == 0 {
            break;
        }
        send_all(output, &buffer[..arrived])?;
        total += arrived as u64;
    }
    Ok(total)
}

/// Serves one client of `listener`: accepts it, echoes everything it sends until it
/// half-closes, then closes the connection. Returns how many bytes were echoed.
pub fn serve_one(listener: &TcpListener) -> io::Result<u64> {
    let (mut reading, _) = listener.accept()?;
    let mut writing = reading.try_clone()?;
    echo(&mut reading, &mut writing)
    // Both handles are dropped here, which closes the connection.
}

/// The echo client: connects to `server`, sends all of `payload`, half-closes, and returns
/// everything the server sends back until it closes. It reads while it sends, so a large payload
/// cannot fill both sides' buffers and leave each waiting for the other.
pub fn echo_client(server: SocketAddr, payload: &[u8]) -> io::Result<Vec<u8>> {
    let stream = TcpStream::connect(server)?;
    thread::scope(|scope| {
        let sender = scope.spawn(|| {
            send_all(&mut &stream, payload)?;
            stream.shutdown(Shutdown::Write)
        });
        let received = receive_all(&mut &stream);
        let sent = sender
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the sending thread panicked")));
        sent.and(received)
    })
}

#[cfg(test)]
#[path = "../../../exercises/ch02-sockets/src/tests.rs"]
mod tests;
