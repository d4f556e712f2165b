//! The lecture's server and client, in Rust, talking to each other over loopback, for the chapter
//! "Sockets".
//!
//! The server runs on a thread of its own, bound to port 0; the port is not printed, so the
//! book's copy of the output never goes stale.

use std::io;
use std::thread;

use ch02_sockets_listings::{lecture_client, lecture_server, listen_with_std};

// ANCHOR: main
fn main() -> io::Result<()> {
    let listener = listen_with_std("127.0.0.1:0".parse().unwrap())?;
    let addr = listener.local_addr()?; // the port the system chose
    let server = thread::spawn(move || lecture_server(&listener));
    let client_got = lecture_client(addr)?;
    let server_got = server.join().expect("the server thread panicked")?;

    println!("server received {:?}", String::from_utf8_lossy(&server_got));
    println!("client received {:?}", String::from_utf8_lossy(&client_got));
    Ok(())
}
// ANCHOR_END: main
