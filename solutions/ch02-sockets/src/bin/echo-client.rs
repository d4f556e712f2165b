//! The chapter 2 echo client as a program: `cargo run -p ch02-sockets-solution --bin echo-client
//! -- 127.0.0.1:5555 "hello"` sends the text (or, without one, everything on standard input),
//! and prints what the server sends back.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

use ch02_sockets_solution::echo_client;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(addr) = args.next().and_then(|text| text.parse::<SocketAddr>().ok()) else {
        eprintln!("usage: echo-client ADDRESS:PORT [TEXT]   (without TEXT, sends standard input)");
        return ExitCode::FAILURE;
    };
    let payload = match args.next() {
        Some(text) => text.into_bytes(),
        None => {
            let mut input = Vec::new();
            if let Err(error) = io::stdin().read_to_end(&mut input) {
                eprintln!("cannot read standard input: {error}");
                return ExitCode::FAILURE;
            }
            input
        }
    };
    match echo_client(addr, &payload) {
        Ok(reply) => {
            // The reply is bytes, not necessarily text, so it goes out unchanged.
            let mut stdout = io::stdout();
            if stdout
                .write_all(&reply)
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("echo with {addr} failed: {error}");
            ExitCode::FAILURE
        }
    }
}
