//! The reference chat server as a program: `cargo run -p ch08-chat-server-solution --bin
//! chat-server -- 127.0.0.1:5555` (the default), `-- [::1]:5555`, or `-- 127.0.0.1:0`.

use std::io::{self, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

use ch08_chat_server_solution::Server;

fn main() -> ExitCode {
    let wanted = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5555".to_owned());
    let addr: SocketAddr = match wanted.to_socket_addrs().map(|mut addrs| addrs.next()) {
        Ok(Some(addr)) => addr,
        Ok(None) | Err(_) => {
            eprintln!(
                "chat-server: {wanted:?} is not an address such as 127.0.0.1:5555 or [::1]:5555"
            );
            return ExitCode::FAILURE;
        }
    };
    let server = match Server::start(addr) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("chat-server: cannot listen on {addr}: {error}");
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
