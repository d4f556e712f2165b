//! The one-thread echo server of the chapter "One thread, many sockets", as a
//! program: `cargo run -p ch09-one-thread-listings --bin echo-server`, then
//! connect with `nc 127.0.0.1 PORT` from as many terminals as you like.
//! Ctrl-C stops it.
//!
//! It listens on the address given as its argument, `127.0.0.1:0` by
//! default: port 0 lets the system choose a free port, which it prints.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::{env, thread};

use ch09_one_thread_listings::echo::EchoServer;

fn main() -> ExitCode {
    let arg = env::args().nth(1);
    let text = arg.as_deref().unwrap_or("127.0.0.1:0");
    let addr: SocketAddr = match text.parse() {
        Ok(addr) => addr,
        Err(_) => {
            eprintln!("{text:?} is not an address like 127.0.0.1:5555");
            return ExitCode::FAILURE;
        }
    };
    match EchoServer::start(addr) {
        Ok(server) => {
            println!("echo server listening on {}", server.local_addr());
            // The loop runs on its own thread; this one has nothing to do.
            loop {
                thread::park();
            }
        }
        Err(error) => {
            eprintln!("could not start the echo server on {addr}: {error}");
            ExitCode::FAILURE
        }
    }
}
