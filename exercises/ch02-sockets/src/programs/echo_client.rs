//! The echo client as a program. The binary that includes this module names the crate
//! whose `echo_client` it runs `chapter`: your exercise (`cargo run -p ch02-sockets --bin
//! echo-client -- ADDRESS:PORT "hello"`), or the reference solution in the instructor's workbook.
//!
//! It sends the text (or, without one, everything on standard input), half-closes, and prints
//! what the server sends back.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

use crate::chapter::echo_client;

pub fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(addr) = args.next().and_then(|text| text.parse::<SocketAddr>().ok()) else {
        eprintln!(
            "usage: echo-client ADDRESS:PORT [TEXT]   (the address the echo server printed; \
             without TEXT, sends standard input)"
        );
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
