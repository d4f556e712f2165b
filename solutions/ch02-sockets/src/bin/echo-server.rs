//! The chapter 2 echo server as a program: `cargo run -p ch02-sockets-solution --bin echo-server
//! -- 127.0.0.1:5555`. It serves one client at a time, for ever; stop it with Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;

use ch02_sockets_solution::{listen, serve_one};

fn main() -> ExitCode {
    let text = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5555".to_owned());
    let addr: SocketAddr = match text.parse() {
        Ok(addr) => addr,
        Err(_) => {
            eprintln!(
                "usage: echo-server [ADDRESS:PORT], e.g. 127.0.0.1:5555, [::1]:5555 or 127.0.0.1:0"
            );
            return ExitCode::FAILURE;
        }
    };
    let listener = match listen(addr) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on {addr}: {error}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(bound) => println!("echo server listening on {bound}"),
        Err(error) => eprintln!("listening, but the bound address is unknown: {error}"),
    }
    loop {
        // A client that misbehaves ends its own connection, never the server.
        match serve_one(&listener) {
            Ok(echoed) => println!("a client is done: {echoed} bytes echoed"),
            Err(error) => eprintln!("a client's connection failed: {error}"),
        }
    }
}
