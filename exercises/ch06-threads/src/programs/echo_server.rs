//! The threaded echo server as a program: a thread per client, so clients are served at once.
//! The binary that includes this module names the crate whose `serve` it runs `chapter`: your
//! exercise (`cargo run -p ch06-threads --bin echo-server`), or the reference solution in the
//! instructor's workbook.
//!
//! It listens on the address given as its argument, by default `127.0.0.1:0` (a port the
//! operating system chooses, so it never collides with another program), prints where, and
//! serves until it is stopped (Ctrl-C).

use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;

use crate::chapter::serve;

pub fn main() -> ExitCode {
    let text = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let Ok(addr) = text.parse::<SocketAddr>() else {
        eprintln!(
            "usage: echo-server [ADDRESS:PORT], e.g. 127.0.0.1:0 (any free port, the default), \
             127.0.0.1:5555 or [::1]:5555"
        );
        return ExitCode::FAILURE;
    };
    let listener = match TcpListener::bind(addr) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on {addr}: {error}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(bound) => println!(
            "echo server listening on {bound}, a thread per client\ntry: nc {} {}",
            bound.ip(),
            bound.port()
        ),
        Err(error) => eprintln!("listening, but the bound address is unknown: {error}"),
    }
    // `serve` never returns (its type is `!`): nothing but Ctrl-C stops the server.
    serve(listener)
}
