//! The code that the book's chapter "Sockets" shows, included by anchor and compiled here: the
//! lecture's socket calls in Rust, one by one.
//!
//! Every line the book shows is at most 80 columns wide, so no listing scrolls sideways.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};

use socket2::{Domain, Protocol, SockRef, Socket, Type};

// ANCHOR: lecture_server
/// The lecture's server, call for call: accept one client, greet it, and
/// return the first bytes it sends. (Python's calls in the comments.)
pub fn lecture_server(listener: &TcpListener) -> io::Result<Vec<u8>> {
    // client, addr = sock.accept()
    let (mut client, _addr) = listener.accept()?;
    // client.sendall(b"hello")
    client.write_all(b"hello")?;
    // data = client.recv(512)
    let mut buffer = [0u8; 512];
    let n = client.read(&mut buffer)?;
    Ok(buffer[..n].to_vec())
} // client.close(): `client` is dropped here, which closes it
// ANCHOR_END: lecture_server

// ANCHOR: lecture_client
/// The lecture's client, call for call: connect, send, receive at most 512
/// bytes, close. (Python's calls in the comments.)
pub fn lecture_client(server: SocketAddr) -> io::Result<Vec<u8>> {
    // client.connect(('127.0.0.1', 5555))
    let mut client = TcpStream::connect(server)?;
    // client.sendall(b"hello")
    client.write_all(b"hello")?;
    // data = client.recv(512)
    let mut buffer = [0u8; 512];
    let n = client.read(&mut buffer)?;
    // client.close()
    drop(client);
    Ok(buffer[..n].to_vec())
}
// ANCHOR_END: lecture_client

// ANCHOR: socket2_listen
/// The lecture's `socket`, `setsockopt`, `bind` and `listen`, one call
/// each, with `socket2`.
pub fn listen_explicitly(addr: SocketAddr) -> io::Result<TcpListener> {
    // sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    let domain = Domain::for_address(addr); // IPv4 or IPv6, as `addr` is
    let socket = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?;
    // sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1),
    // on Unix only (see below)
    if cfg!(unix) {
        socket.set_reuse_address(true)?;
    }
    // sock.bind(('127.0.0.1', 5555))
    socket.bind(&addr.into())?;
    // sock.listen()
    socket.listen(128)?;
    // From here on, an ordinary std TcpListener.
    Ok(socket.into())
}
// ANCHOR_END: socket2_listen

// ANCHOR: bind_once
/// The same four steps, as std does them in one call (and, on Unix, with `SO_REUSEADDR` set).
pub fn listen_with_std(addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr)
}
// ANCHOR_END: bind_once

// ANCHOR: echo
/// An echo server's whole job for one client: send back every byte, as
/// soon as it arrives, until the client says it has finished.
pub fn echo(stream: &TcpStream) -> io::Result<u64> {
    let mut buffer = [0u8; 512];
    let mut echoed = 0;
    loop {
        // At most 512 bytes, maybe fewer.
        let n = (&*stream).read(&mut buffer)?;
        if n == 0 {
            // Ok(0): the client shut down its sending side.
            return Ok(echoed);
        }
        // Only the n bytes that arrived.
        (&*stream).write_all(&buffer[..n])?;
        echoed += n as u64;
    }
}
// ANCHOR_END: echo

// ANCHOR: close
/// Two ways to end a conversation: `shutdown` one direction and keep the
/// other, or drop.
pub fn say_goodbye(stream: TcpStream) -> io::Result<Vec<u8>> {
    (&stream).write_all(b"that is all from me")?;
    // "I will send nothing more": the peer's read returns Ok(0), but
    // this side can still read.
    stream.shutdown(Shutdown::Write)?;
    let mut rest = Vec::new();
    (&stream).read_to_end(&mut rest)?;
    Ok(rest)
    // `stream` is dropped here: both directions close, the socket is freed.
}
// ANCHOR_END: close

// ANCHOR: write
/// Gives one `write` all of `data` on a non-blocking socket, so that it
/// returns at once with the number of bytes the socket took: maybe fewer.
pub fn write_once(stream: &mut TcpStream, data: &[u8]) -> io::Result<usize> {
    stream.set_nonblocking(true)?;
    let taken = stream.write(data)?;
    stream.set_nonblocking(false)?;
    Ok(taken)
}
// ANCHOR_END: write

// ANCHOR: write_all
/// Sends what the first `write` did not take. Like the lecture's `sendall`,
/// `write_all` calls `write` again and again, each call waiting until the
/// socket can take some bytes, until none is left.
pub fn send_the_rest(stream: &mut TcpStream, rest: &[u8]) -> io::Result<()> {
    stream.write_all(rest)
}
// ANCHOR_END: write_all

// ANCHOR: reads
/// Reads `input` to its end with a 4-byte buffer, like `recv(4)`, prints
/// what each read returned, and returns the sizes.
pub fn read_in_fours(input: &mut impl Read) -> io::Result<Vec<usize>> {
    let mut buffer = [0u8; 4]; // at most 4 bytes per read
    let mut sizes = Vec::new();
    loop {
        let n = input.read(&mut buffer)?;
        let piece = String::from_utf8_lossy(&buffer[..n]);
        println!("read returned {n}: {piece:?}");
        sizes.push(n);
        if n == 0 {
            return Ok(sizes); // Ok(0): the end of the stream
        }
    }
}
// ANCHOR_END: reads

// ANCHOR: std_sets_it
/// Whether `TcpListener::bind` set `SO_REUSEADDR` on its socket.
pub fn std_sets_reuse_address() -> io::Result<bool> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    SockRef::from(&listener).reuse_address()
}
// ANCHOR_END: std_sets_it

#[cfg(test)]
mod tests {
    use super::*;

    use std::thread;

    use testkit::{net, watchdog};

    #[test]
    fn the_lecture_server_and_client_greet_each_other() {
        let listener = listen_explicitly("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = net::addr_of(&listener);
        let (server, client) = watchdog::within_default("the lecture's exchange", move || {
            let server = thread::spawn(move || lecture_server(&listener));
            let client = lecture_client(addr).unwrap();
            (server.join().unwrap().unwrap(), client)
        });
        assert_eq!(server, b"hello");
        assert_eq!(client, b"hello");
    }

    #[test]
    fn one_write_may_take_part_and_write_all_sends_the_rest() {
        let listener = net::listener();
        let mut sender = net::connect(net::addr_of(&listener));
        let (receiver, _) = listener.accept().unwrap();
        let payload: Vec<u8> = (0..8 << 20).map(|i| (i % 251) as u8).collect();
        let expected = payload.clone();
        let (taken, received) = watchdog::within_default("8 MiB sent", move || {
            // The receiver is not reading yet: one write takes what fits.
            let taken = write_once(&mut sender, &payload).unwrap();
            let reader = thread::spawn(move || {
                let mut received = Vec::new();
                (&receiver).read_to_end(&mut received).map(|_| received)
            });
            send_the_rest(&mut sender, &payload[taken..]).unwrap();
            drop(sender);
            (taken, reader.join().unwrap().unwrap())
        });
        assert!(taken <= expected.len(), "one write took {taken} bytes");
        assert!(
            received == expected,
            "the receiver got {} bytes, not the 8 MiB sent, in order",
            received.len()
        );
    }

    #[test]
    fn reads_return_at_most_the_buffer_then_zero_at_the_end() {
        let sizes = read_in_fours(&mut &b"hello world"[..]).unwrap();
        assert_eq!(sizes, [4, 4, 3, 0]);

        let listener = net::listener();
        let mut sender = net::connect(net::addr_of(&listener));
        let (mut receiver, _) = listener.accept().unwrap();
        sender.write_all(b"hello world").unwrap();
        drop(sender);
        let sizes =
            watchdog::within_default("the reads", move || read_in_fours(&mut receiver).unwrap());
        assert_eq!(sizes.last(), Some(&0), "the last read is Ok(0)");
        assert!(sizes.iter().all(|&n| n <= 4), "a read over 4: {sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), 11, "reads: {sizes:?}");
    }

    #[test]
    fn std_sets_reuse_address_on_unix_only() {
        assert_eq!(std_sets_reuse_address().unwrap(), cfg!(unix));
    }

    #[test]
    fn the_echo_loop_echoes_until_the_client_half_closes() {
        let listener =
            listen_with_std("[::1]:0".parse().unwrap()).unwrap_or_else(|_| net::listener());
        let addr = net::addr_of(&listener);
        let echoed = watchdog::within_default("the echo", move || {
            let server = thread::spawn(move || {
                let (stream, _) = listener.accept()?;
                echo(&stream)
            });
            let client = net::connect(addr);
            let rest = say_goodbye(client).unwrap();
            assert_eq!(rest, b"that is all from me");
            server.join().unwrap().unwrap()
        });
        assert_eq!(echoed, 19);
    }
}
