//! Binds listeners on port 0 for IPv4 and IPv6, the loopback and every interface, for the chapter
//! "Sockets".
//!
//! The chosen ports change on every run, so the program prints `<port>` for them.

use std::net::{SocketAddr, TcpListener};

// ANCHOR: main
fn main() {
    for text in ["127.0.0.1:0", "[::1]:0", "0.0.0.0:0", "[::]:0"] {
        let addr: SocketAddr = text.parse().expect("a valid endpoint");
        match TcpListener::bind(addr) {
            Ok(listener) => {
                let bound = listener.local_addr().expect("a bound address");
                let family = if bound.is_ipv4() { "IPv4" } else { "IPv6" };
                let chosen = bound.port() != 0;
                // The address without its port, which changes on every run.
                let shown = SocketAddr::new(bound.ip(), 0).to_string();
                let shown = shown.trim_end_matches(":0");
                println!(
                    "{text:<12} -> {family} listener on {shown}:<port> \
                     (a port was chosen: {chosen})"
                );
            }
            Err(error) => println!("{text:<12} -> cannot bind here: {error}"),
        }
    }
}
// ANCHOR_END: main
