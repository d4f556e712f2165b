//! A first exchange over loopback: a server thread and a client in one program, for the chapter
//! "TCP/IP in one page".
//!
//! The transcript is printed after both sides have finished, in a fixed order, and without the
//! port number (which changes each run), so the book's copy of the output never goes stale.

use std::io;
use std::net::TcpListener;
use std::thread;

use ch01_tcp_ip_listings::{ask, serve_one};

// ANCHOR: main
fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?; // port 0: any free port
    let addr = listener.local_addr()?; // the port the system chose
    let server = thread::spawn(move || serve_one(&listener));
    let reply = ask(addr, "hello, server\n")?;
    let received = server.join().expect("the server thread panicked")?;

    // Printed once both sides are done, so always in this order.
    println!("server  listening on {}:<port>", addr.ip());
    println!("client  connected and sent {:?}", "hello, server\n");
    println!("server  received {received:?}, answered in capitals");
    println!("client  received {reply:?}, then the end of the stream");
    Ok(())
}
// ANCHOR_END: main
