//! Parses a few pieces of text as endpoints and prints what each one is,
//! for the chapter "TCP/IP in one page". It uses std only and no network, so
//! the book lets you run it in the Rust Playground.

use std::net::SocketAddr;

fn main() {
    for text in ["127.0.0.1:5555", "[::1]:5555", "::1:5555", "localhost:5555"] {
        describe(text);
    }
}

// ANCHOR: parse
fn describe(text: &str) {
    match text.parse::<SocketAddr>() {
        Ok(SocketAddr::V4(addr)) => {
            println!(
                "{text:<16} IPv4 address {}, port {}",
                addr.ip(),
                addr.port()
            )
        }
        Ok(SocketAddr::V6(addr)) => {
            println!(
                "{text:<16} IPv6 address {}, port {}",
                addr.ip(),
                addr.port()
            )
        }
        Err(error) => println!("{text:<16} error: {error}"),
    }
}
// ANCHOR_END: parse
