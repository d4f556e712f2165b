//! The echo server as a program. The binary that includes this module names the crate
//! whose `listen` and `serve_one` it runs `chapter`: your exercise (`cargo run -p ch02-sockets
//! --bin echo-server`), or the reference solution in the instructor's workbook.
//!
//! It listens on the address given as its argument, by default `127.0.0.1:0` (a port the
//! operating system chooses, so it never collides with another program), prints where, and
//! serves one client at a time, for ever. Ctrl-C stops it.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use crate::chapter::{listen, serve_one};

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
    let listener = match listen(addr) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on {addr}: {error}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(bound) => println!(
            "echo server listening on {bound}\ntry: nc {} {}",
            bound.ip(),
            bound.port()
        ),
        Err(error) => eprintln!("listening, but the bound address is unknown: {error}"),
    }
    loop {
        // A client that misbehaves ends its own connection, never the server.
        match serve_one(&listener) {
            Ok(echoed) => println!("a client is done: {echoed} bytes echoed"),
            Err(error) => {
                eprintln!("serving a client failed: {error}");
                // The error may come from `accept` itself: the server is out of file
                // descriptors or memory, and the next call would fail at once too, so this loop
                // would spin. The `io::Error` alone cannot always say whether it came from
                // `accept` or from a client, so pause briefly after any error: a client's error
                // costs 50 ms, and a failing `accept` is retried 20 times a second, not millions.
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
}
