//! The code that the book's chapter "TCP/IP in one page" shows, included by anchor and compiled
//! here.
//!
//! The programs in `src/bin/` print the output the chapter shows (the book runs them when it is
//! built); the tests below run the functions here over loopback.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};

// ANCHOR: addresses
/// One service on the loopback interface, over IPv4 and over IPv6.
pub fn loopback_endpoints() -> [SocketAddr; 2] {
    // 127.0.0.1:5555
    let v4 = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 5555);
    // [::1]:5555
    let v6 = SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 5555);
    [v4, v6]
}
// ANCHOR_END: addresses

// ANCHOR: server
/// Answers one client: reads one line, sends it back in capitals.
pub fn serve_one(listener: &TcpListener) -> io::Result<String> {
    // Waits until a client connects.
    let (stream, _client) = listener.accept()?;
    let mut line = String::new();
    // Reads up to and including the first '\n'.
    BufReader::new(&stream).read_line(&mut line)?;
    (&stream).write_all(line.to_uppercase().as_bytes())?;
    Ok(line)
    // `stream` is dropped here: the connection closes, and the
    // client's next read returns Ok(0), the end of the stream.
}
// ANCHOR_END: server

// ANCHOR: client
/// Sends one line to `server`; returns all it answers until it closes.
pub fn ask(server: SocketAddr, line: &str) -> io::Result<String> {
    let mut stream = TcpStream::connect(server)?;
    // `write` alone may send only part of the line; `write_all` loops.
    stream.write_all(line.as_bytes())?;
    let mut reply = String::new();
    // Reads until the server closes the connection.
    stream.read_to_string(&mut reply)?;
    Ok(reply)
}
// ANCHOR_END: client

#[cfg(test)]
mod tests {
    use super::*;

    use std::thread;

    use testkit::{net, watchdog};

    #[test]
    fn loopback_endpoints_print_as_the_chapter_says() {
        let [v4, v6] = loopback_endpoints();
        assert_eq!(v4.to_string(), "127.0.0.1:5555");
        assert_eq!(v6.to_string(), "[::1]:5555");
        assert_eq!("[::1]:5555".parse::<SocketAddr>(), Ok(v6));
    }

    #[test]
    fn one_line_goes_to_the_server_and_comes_back_in_capitals() {
        let listener = net::listener();
        let addr = net::addr_of(&listener);
        let server = thread::spawn(move || serve_one(&listener));
        let reply = watchdog::within_default("the server's reply", move || ask(addr, "hi\n"))
            .expect("the exchange should work over loopback");
        assert_eq!(reply, "HI\n");
        let received = watchdog::join(server, watchdog::DEFAULT_LIMIT, "the server to finish")
            .expect("the server thread panicked")
            .expect("the server should read the line");
        assert_eq!(received, "hi\n");
    }
}
