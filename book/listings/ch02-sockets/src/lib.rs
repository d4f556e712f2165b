//! The code that chapter 2 of the book shows, included by anchor and compiled here: the
//! lecture's socket calls in Rust, one by one.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};

use socket2::{Domain, Protocol, Socket, Type};

// ANCHOR: lecture_server
/// The lecture's server, call for call: bind and listen, accept one client, greet it, and
/// return the first bytes it sends.
pub fn lecture_server(listener: &TcpListener) -> io::Result<Vec<u8>> {
    let (mut client, _addr) = listener.accept()?; // client, addr = sock.accept()
    client.write_all(b"hello")?; // client.sendall(b"hello")
    let mut buffer = [0u8; 512];
    let n = client.read(&mut buffer)?; // data = client.recv(512)
    Ok(buffer[..n].to_vec())
} // client.close(): the stream is dropped here
// ANCHOR_END: lecture_server

// ANCHOR: lecture_client
/// The lecture's client, call for call: connect, send, receive at most 512 bytes, close.
pub fn lecture_client(server: SocketAddr) -> io::Result<Vec<u8>> {
    let mut client = TcpStream::connect(server)?; // client.connect(('127.0.0.1', 5555))
    client.write_all(b"hello")?; // client.sendall(b"hello")
    let mut buffer = [0u8; 512];
    let n = client.read(&mut buffer)?; // data = client.recv(512)
    drop(client); // client.close()
    Ok(buffer[..n].to_vec())
}
// ANCHOR_END: lecture_client

// ANCHOR: socket2_listen
/// The lecture's `socket`, `setsockopt`, `bind` and `listen`, one call each, with `socket2`.
pub fn listen_explicitly(addr: SocketAddr) -> io::Result<TcpListener> {
    // sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1), on Unix only (see below)
    if cfg!(unix) {
        socket.set_reuse_address(true)?;
    }
    socket.bind(&addr.into())?; // sock.bind(('127.0.0.1', 5555))
    socket.listen(128)?; // sock.listen()
    Ok(socket.into()) // from here on, an ordinary std TcpListener
}
// ANCHOR_END: socket2_listen

// ANCHOR: bind_once
/// The same four steps, as std does them in one call (and, on Unix, with `SO_REUSEADDR` set).
pub fn listen_with_std(addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr)
}
// ANCHOR_END: bind_once

// ANCHOR: echo
/// An echo server's whole job for one client: send back every byte, as soon as it arrives, until
/// the client says it has finished.
pub fn echo(stream: &TcpStream) -> io::Result<u64> {
    let mut buffer = [0u8; 512];
    let mut echoed = 0;
    loop {
        let n = (&*stream).read(&mut buffer)?; // at most 512 bytes, maybe fewer
        if n == 0 {
            return Ok(echoed); // Ok(0): the client shut down its sending side
        }
        (&*stream).write_all(&buffer[..n])?; // only the n bytes that arrived
        echoed += n as u64;
    }
}
// ANCHOR_END: echo

// ANCHOR: close
/// Two ways to end a conversation: `shutdown` one direction and keep the other, or drop.
pub fn say_goodbye(stream: TcpStream) -> io::Result<Vec<u8>> {
    (&stream).write_all(b"that is all from me")?;
    // "I will send nothing more": the peer's read returns Ok(0), but we can still read.
    stream.shutdown(Shutdown::Write)?;
    let mut rest = Vec::new();
    (&stream).read_to_end(&mut rest)?;
    Ok(rest)
    // `stream` is dropped here, which closes both directions and frees the socket.
}
// ANCHOR_END: close

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
