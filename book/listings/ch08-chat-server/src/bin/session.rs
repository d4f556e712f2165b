//! A session with the reference chat server, for the book: it runs the server
//! on port 0, connects scripted clients, and prints what each one sends (`->`)
//! and receives (`<-`). Every step waits for the lines it expects, so the
//! transcript is the same on every run.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use ch08_chat_server_listings::reference;

/// A scripted client that prints everything it does.
struct Client {
    name: &'static str,
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(addr: SocketAddr, name: &'static str) -> Client {
        let stream =
            TcpStream::connect(addr).expect("the server should accept");
        // A safety net so that a broken server ends the program instead of
        // hanging the book.
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("setting a timeout");
        let reader =
            BufReader::new(stream.try_clone().expect("cloning a socket"));
        println!("{name:>6}    (connects)");
        Client {
            name,
            stream,
            reader,
        }
    }

    fn send(&mut self, line: &str) {
        println!("{:>6} -> {line}", self.name);
        self.stream
            .write_all(format!("{line}\n").as_bytes())
            .expect("sending");
    }

    fn receive(&mut self) {
        let mut line = String::new();
        let text = match self.reader.read_line(&mut line) {
            Ok(0) => {
                "(end of stream: the server closed the connection)".to_owned()
            }
            Ok(_) => line.trim_end_matches('\n').to_owned(),
            Err(error) => format!("(error: {error})"),
        };
        println!("{:>6} <- {text}", self.name);
    }

    fn join(addr: SocketAddr, name: &'static str) -> Client {
        let mut client = Client::connect(addr, name);
        client.receive();
        client.send(name);
        client.receive();
        client
    }

    fn leave(self) {
        println!("{:>6}    (closes the connection)", self.name);
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

fn main() {
    reference::exit_unless_available("transcript");
    let server = reference::start_or_exit();
    let addr = server.local_addr();

    let mut alice = Client::join(addr, "alice");
    let mut bob = Client::join(addr, "bob");
    alice.receive();

    let mut guest = Client::connect(addr, "guest");
    guest.receive();
    guest.send("Mr Smith");
    guest.receive();
    guest.receive();

    let mut carol = Client::join(addr, "carol");
    alice.receive();
    bob.receive();

    alice.send("hi all");
    bob.receive();
    carol.receive();
    bob.send("héllo, wörld ✓");
    alice.receive();
    carol.receive();

    bob.leave();
    alice.receive();
    carol.receive();

    server.shutdown();
    println!("        (the server shuts down)");
    alice.receive();
    carol.receive();
}
