//! The chat server as a program. The binary that includes this module names the crate
//! whose `Server` it runs `chapter`: your exercise (`cargo run -p ch08-chat-server --bin
//! chat-server`), or the reference solution in the instructor's workbook.
//!
//! It listens on the address given as its argument, by default `127.0.0.1:5555`, the protocol's
//! (`127.0.0.1:0` lets the operating system choose a free port, so it never collides with another
//! program; `[::1]:0` for IPv6), and prints where as its first line,
//! `chat server listening on ADDRESS`, which the book's programs and the benchmark read.

use std::io::{self, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

use crate::chapter::Server;

pub fn main() -> ExitCode {
    let wanted = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5555".to_owned());
    let addr: SocketAddr = match wanted.to_socket_addrs().map(|mut addrs| addrs.next()) {
        Ok(Some(addr)) => addr,
        Ok(None) | Err(_) => {
            eprintln!(
                "chat-server: {wanted:?} is not an address such as 127.0.0.1:5555 (the \
                 default), 127.0.0.1:0 (any free port) or [::1]:5555"
            );
            return ExitCode::FAILURE;
        }
    };
    let server = match Server::start(addr) {
        Ok(server) => server,
        Err(error) => {
            eprintln!(
                "chat-server: cannot listen on {addr}: {error} (`127.0.0.1:0` as the argument \
                 takes any free port)"
            );
            return ExitCode::FAILURE;
        }
    };
    let addr = server.local_addr();
    // Whoever started us may have stopped reading our output; that must not stop the server.
    let _ = writeln!(
        io::stdout(),
        "chat server listening on {addr}\ntry: nc {} {}",
        addr.ip(),
        addr.port()
    );
    // The server runs on threads of its own; this one has nothing left to do until the process
    // is stopped (Ctrl-C).
    loop {
        std::thread::park();
    }
}
